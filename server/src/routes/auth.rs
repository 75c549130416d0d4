//! `/api/auth/*`: register, login, refresh, logout and the current session.

use app::types::{Credentials, SessionInfo};
use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    routing::{get, post},
};
use tower_cookies::Cookies;

use crate::{
    auth::{
        AuthUser, cookies,
        refresh::RefreshToken,
        session::{self, Issued},
    },
    client::Client,
    domain::{Email, MAX_PASSWORD_CHARS, NewPassword},
    error::ApiError,
    state::AppState,
    store::{self, sessions::RevokeReason, users::UserRow},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
        .route("/auth/session", get(current_session))
        // GET by design: the browser follows a redirect here from a page
        // (see routes/pages.rs); it only ever renews the caller's own session.
        .route("/auth/resume", get(super::pages::resume))
}

/// Hands the tokens to the browser as cookies and returns what it may know.
fn respond(state: &AppState, cookies: &Cookies, issued: Issued) -> Json<SessionInfo> {
    Json(cookies::set_issued(cookies, &state.config, issued))
}

async fn register(
    State(state): State<AppState>,
    cookies: Cookies,
    client: Client,
    Json(body): Json<Credentials>,
) -> Result<(StatusCode, Json<SessionInfo>), ApiError> {
    state.limits.register_by_ip.acquire(&client.ip_key())?;
    let email = Email::parse(&body.email)?;
    let password = NewPassword::parse(body.password)?;
    if store::users::find_user_by_email(&state.db, email.as_str()).await?.is_some() {
        return Err(ApiError::EmailTaken);
    }
    let now = store::now();
    let user = UserRow {
        id: uuid::Uuid::new_v4().to_string(),
        email: email.as_str().to_owned(),
        password_hash: state.passwords.hash(password.into_inner()).await?,
        roles: "user".into(),
        created_at: now,
    };
    if !store::users::insert_user(&state.db, &user).await? {
        return Err(ApiError::EmailTaken);
    }
    tracing::info!(user_id = %user.id, "user registered");
    let issued = session::start(&state, &user, &client).await?;
    Ok((StatusCode::CREATED, respond(&state, &cookies, issued)))
}

async fn login(
    State(state): State<AppState>,
    cookies: Cookies,
    client: Client,
    Json(body): Json<Credentials>,
) -> Result<Json<SessionInfo>, ApiError> {
    // Both quotas are taken before the (slow) hash and given back on success.
    let ip_key = client.ip_key();
    let email = Email::parse(&body.email).ok();
    let email_key = email.as_ref().map(|e| format!("email:{}", e.as_str()));
    state.limits.login_by_ip.acquire(&ip_key)?;
    if let Some(key) = &email_key
        && let Err(limited) = state.limits.login_by_email.acquire(key)
    {
        state.limits.login_by_ip.forgive(&ip_key);
        return Err(limited);
    }
    // A malformed email or an absurd password cannot match an account; they
    // still cost a hash so their timing matches a wrong password.
    let user = match &email {
        Some(email) => store::users::find_user_by_email(&state.db, email.as_str()).await?,
        None => None,
    };
    let password = if body.password.chars().count() > MAX_PASSWORD_CHARS { String::new() } else { body.password };
    let matched = state.passwords.verify(password, user.as_ref().map(|u| u.password_hash.clone())).await?;
    let user = match (matched, user) {
        (true, Some(user)) => user,
        _ => {
            tracing::info!(ip = ?client.ip, "login failed");
            return Err(ApiError::InvalidCredentials);
        }
    };
    state.limits.login_by_ip.forgive(&ip_key);
    if let Some(key) = &email_key {
        state.limits.login_by_email.forgive(key);
    }
    tracing::info!(user_id = %user.id, "login succeeded");
    let issued = session::start(&state, &user, &client).await?;
    Ok(respond(&state, &cookies, issued))
}

async fn refresh(
    State(state): State<AppState>,
    cookies: Cookies,
    client: Client,
) -> Result<Json<SessionInfo>, ApiError> {
    // Taken up front, given back unless the refresh is refused as invalid.
    let ip_key = client.ip_key();
    state.limits.refresh_by_ip.acquire(&ip_key)?;
    let Some(presented) = cookies::refresh_token(&cookies, &state.config) else {
        cookies::clear_session(&cookies, &state.config);
        return Err(ApiError::RefreshInvalid);
    };
    match session::rotate(&state, &presented).await {
        Ok(issued) => {
            state.limits.refresh_by_ip.forgive(&ip_key);
            Ok(respond(&state, &cookies, issued))
        }
        Err(err) => {
            // Clear the cookies only when the token is definitely dead; after
            // an outage the same token must still work on the next try.
            if err.status() == StatusCode::UNAUTHORIZED {
                cookies::clear_session(&cookies, &state.config);
            } else {
                state.limits.refresh_by_ip.forgive(&ip_key);
            }
            Err(err)
        }
    }
}

/// Ends the session named by the access token or, failing that, by the
/// refresh token. Always 204: logging out twice is not an error.
async fn logout(State(state): State<AppState>, cookies: Cookies) -> Result<StatusCode, ApiError> {
    let mut ended = Vec::new();
    if let Some(token) = cookies::access_token(&cookies, &state.config)
        && let Ok(claims) = state.tokens.verify(&state.keys, &token, store::now())
    {
        ended.push(claims.sid);
    }
    if let Some(token) = cookies::refresh_token(&cookies, &state.config)
        && let Some(refresh) = RefreshToken::decode(&token, &state.refresh_key)
    {
        ended.push(refresh.session_id.to_string());
    }
    ended.dedup();
    // Cleared first: even if the database fails below, this browser is
    // signed out (the jar applies to the error response too).
    cookies::clear_session(&cookies, &state.config);
    for sid in &ended {
        session::revoke(&state, sid, RevokeReason::Logout).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn current_session(State(state): State<AppState>, user: AuthUser) -> Result<Json<SessionInfo>, ApiError> {
    let row = store::sessions::find_session(&state.db, user.session_id()).await?.ok_or(ApiError::Unauthenticated)?;
    Ok(Json(session::info_for_access(&row, &user.claims, store::now())))
}
