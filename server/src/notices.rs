//! Security notices: mail telling a user what happened to their account,
//! so they learn of it even when it was not them — a sign-in from a device
//! not seen before, a password change or reset, a replayed refresh token
//! (someone may hold a copy of their session). Each is queued like any mail
//! and sent off the request path; a failure to queue one is logged and
//! never fails the request that caused it.

use app::format::{date_time, describe_user_agent};

use crate::{
    client::Client,
    error::ApiError,
    mail::{Mail, messages},
    state::AppState,
    store,
};

/// How long a notice is worth sending (it says when things happened).
const NOTICE_TTL_SECS: i64 = 7 * 24 * 3600;

/// What a notice is about.
#[derive(Debug, Clone)]
pub enum Notice {
    /// A sign-in (session `session_id`) from a device none of the user's
    /// other sessions was on.
    SignIn { session_id: String },
    /// The password was changed in the account, or reset by a mailed link.
    PasswordChanged { by_reset: bool },
    /// A rotated refresh token was presented again; the session was ended.
    SessionReused,
    /// Two-step verification changed (turned on or off, codes remade, reset
    /// by an admin) or a recovery code was used; `what` says which.
    SecondFactor { what: String },
}

/// Queues `notice` to user `user_id` in the background.
pub fn send(state: &AppState, user_id: &str, notice: Notice, client: &Client) {
    let (state, user_id, client) = (state.clone(), user_id.to_owned(), client.clone());
    tokio::spawn(async move {
        if let Err(err) = queue(&state, &user_id, notice, &client).await {
            tracing::warn!(error = %err, user_id = %user_id, "queueing a security notice failed");
        }
    });
}

/// Queues `notice` now, for callers that must know it is in the queue
/// before they return (a one-shot command exits right after).
pub async fn queue(state: &AppState, user_id: &str, notice: Notice, client: &Client) -> Result<(), ApiError> {
    let Some(user) = store::users::find_user_by_id(&state.db, user_id).await? else { return Ok(()) };
    let now = state.now();
    let device = describe_user_agent(client.user_agent.as_deref());
    let when = date_time(now);
    let mail: Mail = match notice {
        Notice::SignIn { session_id } => {
            let others = store::sessions::user_agents_of(&state.db, user_id, &session_id).await?;
            if others.iter().any(|ua| describe_user_agent(ua.as_deref()) == device) {
                return Ok(());
            }
            messages::new_sign_in(&state.config, &user.email, &device, &when)
        }
        Notice::PasswordChanged { by_reset } => {
            messages::password_changed(&state.config, &user.email, by_reset, &device, &when)
        }
        Notice::SessionReused => messages::session_reused(&state.config, &user.email, &device, &when),
        Notice::SecondFactor { what } => {
            messages::second_factor_changed(&state.config, &user.email, &what, &device, &when)
        }
    };
    state.mail.enqueue(mail, now + NOTICE_TTL_SECS).await
}
