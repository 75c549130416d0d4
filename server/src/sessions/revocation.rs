//! Ending sessions. Each function here ends sessions in the store, drops
//! them from this instance's live cache (other instances notice within a
//! second, see `auth::gate`) and records the audit event; nothing else in
//! the server ends a session.

use crate::{
    audit::{Actor, Event, EventKind},
    client::Client,
    error::ApiError,
    state::AppState,
    store::{
        self,
        sessions::RevokeReason,
        users::{EmailChange, PasswordUpdate},
    },
};

/// Ends one session — only if it belongs to `owner`, when one is given —
/// and records the event `reason` calls for, with `detail` if any. Returns
/// the owner's id when this call ended it; `None` when the session was
/// already ended, is unknown, or is another user's.
pub async fn revoke(
    state: &AppState,
    session_id: &str,
    owner: Option<&str>,
    reason: RevokeReason,
    client: &Client,
    detail: Option<String>,
) -> Result<Option<String>, ApiError> {
    let ended = store::sessions::revoke_session(&state.db, session_id, owner, reason, store::now()).await?;
    state.gate.forget(session_id);
    if let Some(user_id) = &ended {
        let mut event = Event::new(event_for(reason)).user(user_id).session(session_id).client(client);
        if let Some(detail) = detail {
            event = event.detail(detail);
        }
        state.audit.record(event);
    }
    Ok(ended)
}

/// Ends every live session of a user except `keep`; returns how many.
pub async fn revoke_all_but(
    state: &AppState,
    user_id: &str,
    keep: Option<&str>,
    reason: RevokeReason,
    actor: Actor<'_>,
) -> Result<usize, ApiError> {
    let ended = store::sessions::revoke_user_sessions(&state.db, user_id, keep, reason, store::now()).await?;
    Ok(forget_all(state, user_id, &ended, reason, actor))
}

/// Sets a user's new password hash and ends their other sessions (all but
/// `change.keep`) and unused mailed links, in one transaction; returns how
/// many sessions ended. A sign-in racing with it that read the old hash
/// cannot start a session afterwards (see `store::sessions::insert_session`).
pub async fn change_password(
    state: &AppState,
    user_id: &str,
    hash: &str,
    change: PasswordUpdate<'_>,
    actor: Actor<'_>,
) -> Result<usize, ApiError> {
    let ended = store::users::change_password(&state.db, user_id, hash, change, store::now()).await?;
    Ok(forget_all(state, user_id, &ended, change.reason, actor))
}

/// Puts the user's address back from `from` to `to` (the undo of an email
/// change) and ends every session of theirs, in one transaction; the
/// outcome and how many sessions ended.
pub async fn undo_email_change(
    state: &AppState,
    user_id: &str,
    from: &str,
    to: &str,
    actor: Actor<'_>,
) -> Result<(EmailChange, usize), ApiError> {
    let reason = RevokeReason::EmailChangeUndone;
    let (outcome, ended) = store::users::change_email(&state.db, user_id, from, to, Some(reason), state.now()).await?;
    Ok((outcome, forget_all(state, user_id, &ended, reason, actor)))
}

/// Ends the user's least recently used sessions beyond
/// `AUTH_MAX_SESSIONS_PER_USER` (never `newest`, the one just started), so
/// signing in again and again cannot grow one account's live rows without
/// bound. Each is audited as `session_evicted`.
pub(super) async fn evict_beyond_cap(
    state: &AppState,
    user_id: &str,
    newest: &str,
    client: &Client,
    now: i64,
) -> Result<(), ApiError> {
    let cap = state.config.max_sessions_per_user;
    let evicted = store::sessions::evict_sessions_beyond(&state.db, user_id, newest, cap, now).await?;
    for sid in &evicted {
        state.gate.forget(sid);
        state.audit.record(
            Event::new(EventKind::SessionEvicted)
                .user(user_id)
                .session(sid)
                .client(client)
                .detail(format!("least recently used beyond {cap} live sessions")),
        );
    }
    Ok(())
}

/// Drops sessions the store just ended from the live cache and records one
/// `sessions_revoked` event for them; returns how many.
fn forget_all(state: &AppState, user_id: &str, ended: &[String], reason: RevokeReason, actor: Actor<'_>) -> usize {
    for id in ended {
        state.gate.forget(id);
    }
    if !ended.is_empty() {
        let what = format!("{} sessions, reason {}", ended.len(), reason.as_str());
        state.audit.record(actor.stamp(Event::new(EventKind::SessionsRevoked).user(user_id), &what));
    }
    ended.len()
}

/// The audit event for one session ended for `reason`.
fn event_for(reason: RevokeReason) -> EventKind {
    match reason {
        RevokeReason::Logout => EventKind::Logout,
        RevokeReason::Reuse => EventKind::ReuseDetected,
        RevokeReason::Evicted => EventKind::SessionEvicted,
        RevokeReason::Revoked
        | RevokeReason::PasswordChanged
        | RevokeReason::PasswordReset
        | RevokeReason::EmailChangeUndone => EventKind::SessionRevoked,
    }
}
