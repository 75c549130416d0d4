//! `/api/auth/*`: register, login, refresh, logout and the current session.

use app::types::{Credentials, SessionInfo, UserView};
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
}

/// Hands the tokens to the browser as cookies and returns what it may know.
fn respond(state: &AppState, cookies: &Cookies, issued: Issued) -> Json<SessionInfo> {
    cookies::set_session(
        cookies,
        &state.config,
        issued.access_token,
        issued.info.expires_in,
        issued.refresh_token,
        issued.refresh_max_age,
    );
    Json(issued.info)
}

async fn register(
    State(state): State<AppState>,
    cookies: Cookies,
    client: Client,
    Json(body): Json<Credentials>,
) -> Result<(StatusCode, Json<SessionInfo>), ApiError> {
    let ip_key = client.ip_key();
    state.limits.register_by_ip.check(&ip_key)?;
    state.limits.register_by_ip.record(&ip_key);
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
    let ip_key = client.ip_key();
    let email_key = format!("email:{}", body.email.trim().to_lowercase());
    state.limits.login_by_ip.check(&ip_key)?;
    state.limits.login_by_email.check(&email_key)?;
    // A malformed email or an absurd password cannot match an account; they
    // still cost a hash so their timing matches a wrong password.
    let user = match Email::parse(&body.email) {
        Ok(email) => store::users::find_user_by_email(&state.db, email.as_str()).await?,
        Err(_) => None,
    };
    let password = if body.password.chars().count() > MAX_PASSWORD_CHARS { String::new() } else { body.password };
    let matched = state.passwords.verify(password, user.as_ref().map(|u| u.password_hash.clone())).await?;
    let user = match (matched, user) {
        (true, Some(user)) => user,
        _ => {
            tracing::info!(ip = ?client.ip, "login failed");
            state.limits.login_by_ip.record(&ip_key);
            state.limits.login_by_email.record(&email_key);
            return Err(ApiError::InvalidCredentials);
        }
    };
    tracing::info!(user_id = %user.id, "login succeeded");
    let issued = session::start(&state, &user, &client).await?;
    Ok(respond(&state, &cookies, issued))
}

async fn refresh(
    State(state): State<AppState>,
    cookies: Cookies,
    client: Client,
) -> Result<Json<SessionInfo>, ApiError> {
    let ip_key = client.ip_key();
    state.limits.refresh_by_ip.check(&ip_key)?;
    let Some(presented) = cookies::refresh_token(&cookies, &state.config) else {
        cookies::clear_session(&cookies, &state.config);
        state.limits.refresh_by_ip.record(&ip_key);
        return Err(ApiError::RefreshInvalid);
    };
    match session::rotate(&state, &presented).await {
        Ok(issued) => Ok(respond(&state, &cookies, issued)),
        Err(err) => {
            // Clear the cookies only when the token is definitely dead; after
            // an outage the same token must still work on the next try.
            if err.status() == StatusCode::UNAUTHORIZED {
                cookies::clear_session(&cookies, &state.config);
                state.limits.refresh_by_ip.record(&ip_key);
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
    for sid in &ended {
        session::revoke(&state, sid, RevokeReason::Logout).await?;
    }
    cookies::clear_session(&cookies, &state.config);
    Ok(StatusCode::NO_CONTENT)
}

async fn current_session(State(state): State<AppState>, user: AuthUser) -> Result<Json<SessionInfo>, ApiError> {
    let row = store::sessions::find_session(&state.db, user.session_id()).await?.ok_or(ApiError::Unauthenticated)?;
    let now = store::now();
    Ok(Json(SessionInfo {
        user: UserView {
            id: row.user_id.clone(),
            email: row.email.clone(),
            roles: store::users::split_roles(&row.roles),
        },
        session_id: row.id,
        access_expires_at: user.claims.exp,
        refresh_expires_at: row.idle_expires_at,
        expires_in: (user.claims.exp - now).max(0),
        server_time: now,
    }))
}
