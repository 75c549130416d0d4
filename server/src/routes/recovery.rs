//! Recovering an account and proving an address, by mailed links
//! ([`crate::links`]): `POST /api/auth/password/forgot` and `…/reset`,
//! `POST /api/auth/email/verify` and `…/resend`.

use app::types::{
    ForgotPassword, InputField, LinkToken, PasswordReset,
    mfa::{LoginAnswer, amr},
};
use axum::{Json, extract::State, http::StatusCode};
use tower_cookies::Cookies;

use super::Routes;
use crate::{
    audit::{Actor, Event, EventKind},
    client::Client,
    domain::{Email, NewPassword},
    error::ApiError,
    extract::SignedIn,
    links::{self, Purpose},
    mail::messages,
    notices::{self, Notice},
    sessions,
    state::AppState,
    store::{
        self,
        sessions::RevokeReason,
        users::{PasswordUpdate, UserRow},
    },
};

pub fn routes() -> Routes {
    Routes::default()
        .post("/auth/password/forgot", forgot)
        .post("/auth/password/reset", reset)
        .post("/auth/email/verify", verify)
        .post("/auth/email/resend", resend)
}

/// Mails a reset link if an account uses the address. The answer is the
/// same `202`, at the same speed, either way: the lookup and the mail
/// happen after it. Limited per address and per email, so it cannot flood
/// an inbox.
async fn forgot(
    State(state): State<AppState>,
    client: Client,
    Json(body): Json<ForgotPassword>,
) -> Result<StatusCode, ApiError> {
    state.limits.mail_by_ip.acquire(&client.ip_key())?;
    let email = Email::parse(&body.email)?;
    state.limits.mail_by_email.acquire(&format!("email:{}", email.as_str()))?;
    let work = state.clone();
    tokio::spawn(async move {
        if let Err(err) = mail_reset_link(&work, &email, &client).await {
            tracing::warn!(error = %err, "queueing a password-reset mail failed");
        }
    });
    Ok(StatusCode::ACCEPTED)
}

async fn mail_reset_link(state: &AppState, email: &Email, client: &Client) -> Result<(), ApiError> {
    let event = Event::new(EventKind::PasswordResetRequested).client(client);
    let Some(user) = store::users::find_user_by_email(&state.db, email.as_str()).await? else {
        state.audit.record(event.detail("no account uses this email"));
        return Ok(());
    };
    let (token, expires_at) = links::issue(state, &user, Purpose::ResetPassword).await?;
    let ttl = Purpose::ResetPassword.ttl_secs(&state.config);
    state.mail.enqueue(messages::reset_password(&state.config, &user.email, &token, ttl), expires_at).await?;
    state.audit.record(event.user(&user.id));
    Ok(())
}

/// Sets a new password with a reset link: every session of the user ends
/// (a thief signed in with the old password is out), the email counts as
/// verified (the link came through it), and this browser is signed in with
/// a fresh session.
async fn reset(
    State(state): State<AppState>,
    cookies: Cookies,
    client: Client,
    Json(body): Json<PasswordReset>,
) -> Result<Json<LoginAnswer>, ApiError> {
    state.limits.links_by_ip.acquire(&client.ip_key())?;
    let password = NewPassword::parse(body.new_password).map_err(|err| err.at(InputField::NewPassword))?;
    // Checked before the (slow) hash, used after it: a refused password or
    // a busy hasher leaves the link working.
    links::check(&state, &body.token, Purpose::ResetPassword).await?;
    let hash = state.passwords.hash(password.into_inner()).await?;
    let link = links::redeem(&state, &body.token, Purpose::ResetPassword).await?;
    let user = store::users::find_user_by_id(&state.db, &link.user_id)
        .await?
        .filter(|user| user.email == link.email)
        .ok_or(ApiError::LinkInvalid("this link is for an address the account no longer uses"))?;
    let update = PasswordUpdate { keep: None, reason: RevokeReason::PasswordReset, verifies_email: true };
    let actor = Actor { user_id: Some(&user.id), client: Some(&client) };
    let ended = sessions::change_password(&state, &user.id, &hash, update, actor).await?;
    state.audit.record(
        Event::new(EventKind::PasswordReset).user(&user.id).client(&client).detail(format!("{ended} sessions ended")),
    );
    tracing::info!(user_id = %user.id, ended, "password reset by mailed link");
    notices::send(&state, &user.id, Notice::PasswordChanged { by_reset: true }, &client);
    let user = UserRow { password_hash: hash, ..user };
    // A mailed link proves the inbox, not the second factor: an account
    // that has one still needs it to sign in.
    if let Some(second) = super::auth::second_step(&state, &cookies, &user).await? {
        return Ok(Json(LoginAnswer::SecondStep(second)));
    }
    let issued = sessions::start(&state, &user, &client, &[amr::PASSWORD]).await?;
    Ok(Json(LoginAnswer::Session(super::auth::set_cookies(&state, &cookies, issued))))
}

/// Marks the address verified with a verification link.
async fn verify(
    State(state): State<AppState>,
    client: Client,
    Json(body): Json<LinkToken>,
) -> Result<StatusCode, ApiError> {
    state.limits.links_by_ip.acquire(&client.ip_key())?;
    let link = links::redeem(&state, &body.token, Purpose::VerifyEmail).await?;
    if !store::users::mark_email_verified(&state.db, &link.user_id, &link.email, state.now()).await? {
        return Err(ApiError::LinkInvalid("this link is for an address the account no longer uses"));
    }
    // This instance answers with the new state at once, others within a second.
    state.gate.forget_user(&link.user_id);
    state.audit.record(Event::new(EventKind::EmailVerified).user(&link.user_id).client(&client));
    Ok(StatusCode::NO_CONTENT)
}

/// Mails the signed-in user a new verification link (unless the address
/// is verified already); earlier links stop working.
async fn resend(
    State(state): State<AppState>,
    client: Client,
    SignedIn(user): SignedIn,
) -> Result<StatusCode, ApiError> {
    state.limits.mail_by_ip.acquire(&client.ip_key())?;
    let account = store::users::find_user_by_id(&state.db, user.user_id()).await?.ok_or(ApiError::Unauthenticated)?;
    state.limits.mail_by_email.acquire(&format!("email:{}", account.email))?;
    if account.email_verified_at.is_none() {
        mail_verification(&state, &account, &client).await?;
    }
    Ok(StatusCode::ACCEPTED)
}

/// Queues a verification link to the user's address.
pub(super) async fn mail_verification(state: &AppState, user: &UserRow, client: &Client) -> Result<(), ApiError> {
    let (token, expires_at) = links::issue(state, user, Purpose::VerifyEmail).await?;
    let ttl = Purpose::VerifyEmail.ttl_secs(&state.config);
    state.mail.enqueue(messages::verify_email(&state.config, &user.email, &token, ttl), expires_at).await?;
    state.audit.record(Event::new(EventKind::VerificationSent).user(&user.id).client(client));
    Ok(())
}
