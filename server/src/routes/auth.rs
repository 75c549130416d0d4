//! `/api/auth/*`: register, login, logout, the current session and
//! password change (refresh is [`super::refresh`]).

use app::types::{
    Credentials, InputField, PasswordChange, SessionInfo,
    mfa::{LoginAnswer, MfaRequired, amr},
};
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
};
use tower_cookies::Cookies;

use super::Routes;
use crate::{
    audit::{Actor, Event, EventKind},
    auth::{cookies, limits::Refusal},
    client::Client,
    domain::{Email, MAX_PASSWORD_CHARS, NewPassword, Roles},
    error::ApiError,
    extract::{AuthUser, SignedIn, user::verify_signature},
    factors,
    metrics::LoginOutcome,
    notices::{self, Notice},
    ops,
    sessions::{self, Issued},
    state::AppState,
    store::{
        self,
        sessions::RevokeReason,
        users::{PasswordUpdate, UserRow},
    },
};

pub fn routes() -> Routes {
    Routes::default()
        .post("/auth/register", register)
        .post("/auth/login", login)
        .post("/auth/logout", logout)
        .get("/auth/session", current_session)
        .post("/auth/password", change_password)
}

/// Hands the tokens to the browser as cookies and returns what it may know.
pub(super) fn respond(state: &AppState, cookies: &Cookies, issued: Issued) -> Json<SessionInfo> {
    Json(set_cookies(state, cookies, issued))
}

/// Sets both cookies of a freshly issued pair; returns what the browser may
/// know of it.
pub(super) fn set_cookies(state: &AppState, cookies: &Cookies, issued: Issued) -> SessionInfo {
    let Issued { info, access_token, refresh_token, refresh_max_age, .. } = issued;
    cookies::set_session(cookies, &state.config, access_token, info.expires_in, refresh_token, refresh_max_age);
    info
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
    let user = ops::create_user(&state, &email, password, &Roles::parse(&["user"])?).await?;
    tracing::info!(user_id = %user.id, "user registered");
    super::recovery::mail_verification(&state, &user, &client).await?;
    let issued = sessions::start(&state, &user, &client, &[amr::PASSWORD]).await?;
    state
        .audit
        .record(Event::new(EventKind::Registered).user(&user.id).session(&issued.info.session_id).client(&client));
    Ok((StatusCode::CREATED, respond(&state, &cookies, issued)))
}

async fn login(
    State(state): State<AppState>,
    cookies: Cookies,
    client: Client,
    Json(body): Json<Credentials>,
) -> Result<Json<LoginAnswer>, ApiError> {
    // Both quotas are taken before the (slow) hash and given back on success.
    let ip_key = client.ip_key();
    let email = Email::parse(&body.email).ok();
    let email_key = email.as_ref().map(|e| format!("email:{}", e.as_str()));
    // A flood of refused attempts is counted, but only the first refusal
    // of each window is audited: the log must not drown in it.
    let limited = |refusal: Refusal| {
        state.metrics.login(LoginOutcome::RateLimited);
        if refusal.first {
            state.audit.record(Event::new(EventKind::LoginFailed).client(&client).detail("rate_limited"));
        }
        ApiError::from(refusal)
    };
    state.limits.login_by_ip.check(&ip_key).map_err(limited)?;
    if let Some(key) = &email_key
        && let Err(refusal) = state.limits.login_by_email.check(key)
    {
        state.limits.login_by_ip.forgive(&ip_key);
        return Err(limited(refusal));
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
        (_, user) => {
            tracing::info!(ip = ?client.ip, "login failed");
            state.metrics.login(LoginOutcome::InvalidCredentials);
            let mut event = Event::new(EventKind::LoginFailed).client(&client);
            if let Some(user) = &user {
                event = event.user(&user.id);
            }
            state.audit.record(event.detail(if user.is_some() { "wrong password" } else { "unknown email" }));
            return Err(ApiError::InvalidCredentials);
        }
    };
    state.limits.login_by_ip.forgive(&ip_key);
    if let Some(key) = &email_key {
        state.limits.login_by_email.forgive(key);
    }
    if let Some(second) = second_step(&state, &cookies, &user).await? {
        tracing::info!(user_id = %user.id, "password accepted; second factor asked for");
        return Ok(Json(LoginAnswer::SecondStep(second)));
    }
    tracing::info!(user_id = %user.id, "login succeeded");
    let issued = sessions::start(&state, &user, &client, &[amr::PASSWORD]).await?;
    notices::send(&state, &user.id, Notice::SignIn { session_id: issued.info.session_id.clone() }, &client);
    state.metrics.login(LoginOutcome::Success);
    state
        .audit
        .record(Event::new(EventKind::LoginSucceeded).user(&user.id).session(&issued.info.session_id).client(&client));
    Ok(Json(LoginAnswer::Session(set_cookies(&state, &cookies, issued))))
}

/// For a user with a second factor, a proven password starts no session:
/// it starts a pending sign-in (five minutes, single use) named by an
/// HttpOnly cookie, and the answer lists the factors that can finish it.
/// `None` for a user without one.
pub(super) async fn second_step(
    state: &AppState,
    cookies: &Cookies,
    user: &UserRow,
) -> Result<Option<MfaRequired>, ApiError> {
    let methods = factors::sign_in_methods(user);
    if methods.is_empty() {
        return Ok(None);
    }
    let token = factors::begin_pending(state, user).await?;
    cookies::set_pending(cookies, &state.config, token);
    Ok(Some(MfaRequired { mfa_required: true, methods }))
}

/// Ends the session named by the access token or, failing that, by the
/// refresh token. Always 204: logging out twice is not an error.
async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    cookies: Cookies,
    client: Client,
) -> Result<StatusCode, ApiError> {
    let mut ended = Vec::new();
    if let Some(token) = cookies::access_token(&headers, &state.config)
        && let Some(claims) = verify_signature(&state, &token).await
    {
        ended.push(claims.sid);
    }
    if let Some(token) = cookies::refresh_token(&headers, &state.config).one()
        && let Some(refresh) = state.refresh_keys.decode_or_reload(&state.db, &token, store::now()).await
    {
        ended.push(refresh.session_id.to_string());
    }
    ended.dedup();
    // Cleared first: even if the database fails below, this browser is
    // signed out (the jar applies to the error response too).
    cookies::clear_session(&cookies, &state.config);
    for sid in &ended {
        sessions::revoke(&state, sid, None, RevokeReason::Logout, &client, None).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The session, also for a user whose address is not verified yet: the
/// app needs it to say "check your inbox".
async fn current_session(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
) -> Result<Json<SessionInfo>, ApiError> {
    let row = store::sessions::find_session(&state.db, user.session_id()).await?.ok_or(ApiError::Unauthenticated)?;
    Ok(Json(sessions::info_for_access(&state, &row, &user.claims, store::now())))
}

/// Checks the signed-in caller's current password before a sensitive
/// change, under the sign-in budget of their email: a stolen access token
/// buys no extra guesses. A wrong one is `401 invalid_credentials`, counted
/// and audited with `failure` as the detail. Returns the account.
pub(super) async fn confirm_password(
    state: &AppState,
    user: &AuthUser,
    client: &Client,
    password: String,
    failure: &str,
) -> Result<UserRow, ApiError> {
    let account = store::users::find_user_by_id(&state.db, user.user_id()).await?.ok_or(ApiError::Unauthenticated)?;
    let limit_key = format!("email:{}", account.email);
    state.limits.login_by_email.acquire(&limit_key)?;
    let password = if password.chars().count() > MAX_PASSWORD_CHARS { String::new() } else { password };
    if !state.passwords.verify(password, Some(account.password_hash.clone())).await? {
        state.metrics.login(LoginOutcome::InvalidCredentials);
        let event = Event::new(EventKind::LoginFailed).user(&account.id).session(user.session_id()).client(client);
        state.audit.record(event.detail(failure));
        return Err(ApiError::InvalidCredentials);
    }
    state.limits.login_by_email.forgive(&limit_key);
    Ok(account)
}

/// Changes the caller's password and signs out every other session (their
/// refresh tokens at once, their access tokens within a second); this one
/// stays signed in. A wrong current password counts against the sign-in
/// limits, keyed by user, so this cannot be used to guess passwords faster.
async fn change_password(
    State(state): State<AppState>,
    client: Client,
    user: AuthUser,
    Json(body): Json<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    user.require_fresh(&state)?;
    confirm_password(&state, &user, &client, body.current_password, "wrong current password on password change")
        .await?;
    let password = NewPassword::parse(body.new_password).map_err(|err| err.at(InputField::NewPassword))?;
    let hash = state.passwords.hash(password.into_inner()).await?;
    let actor = Actor { user_id: Some(user.user_id()), client: Some(&client) };
    let change =
        PasswordUpdate { keep: Some(user.session_id()), reason: RevokeReason::PasswordChanged, verifies_email: false };
    let revoked = sessions::change_password(&state, user.user_id(), &hash, change, actor).await?;
    state.audit.record(
        Event::new(EventKind::PasswordChanged)
            .user(user.user_id())
            .session(user.session_id())
            .client(&client)
            .detail(format!("{revoked} other sessions revoked")),
    );
    notices::send(&state, user.user_id(), Notice::PasswordChanged { by_reset: false }, &client);
    tracing::info!(user_id = %user.user_id(), revoked, "password changed; other sessions revoked");
    Ok(StatusCode::NO_CONTENT)
}
