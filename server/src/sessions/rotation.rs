//! Rotating a refresh token: the state machine.
//!
//! A session's live refresh token is generation `g`. Presented with
//! generation `n`:
//! - `n == g`: rotate by compare-and-swap `g → g+1`; the winner gets `g+1`.
//!   A loser re-reads and lands in the next case.
//! - `n == g-1` (the live token's parent) and within the grace window since
//!   `g` was issued: answer with the live token `g` itself, not a sibling, so
//!   two tabs sharing one cookie jar end up holding the same working token
//!   whichever response lands last.
//! - any other older `n`, or the parent after the window: reuse. The whole
//!   session is revoked and the answer is `401 refresh_reused`.
//!
//! Only a committed compare-and-swap advances `g`; a failed statement
//! leaves it, so an error can never turn the client's token into a "reused" one.

use super::{Grant, Issued, issue, revocation};
use crate::{
    audit::{Event, EventKind},
    client::Client,
    error::ApiError,
    metrics::RefreshOutcome,
    notices::{self, Notice},
    state::AppState,
    store::{
        self,
        sessions::{RevokeReason, SessionRow},
        users::split_roles,
    },
};

/// Rotates the presented refresh token (see the module docs). Counted in
/// `auth_refreshes_total` by outcome, whichever route asked (the refresh
/// endpoint or the page resume hop).
pub async fn rotate(state: &AppState, presented: &str, client: &Client) -> Result<Issued, ApiError> {
    let result = rotate_uncounted(state, presented, client).await;
    state.metrics.refresh(match &result {
        Ok(issued) if issued.grace => RefreshOutcome::Grace,
        Ok(_) => RefreshOutcome::Rotated,
        Err(ApiError::RefreshReused) => RefreshOutcome::Reused,
        Err(ApiError::RefreshExpired) => RefreshOutcome::Expired,
        Err(ApiError::RefreshInvalid) => RefreshOutcome::Invalid,
        Err(_) => RefreshOutcome::Unavailable,
    });
    result
}

async fn rotate_uncounted(state: &AppState, presented: &str, client: &Client) -> Result<Issued, ApiError> {
    let token =
        state.refresh_keys.decode_or_reload(&state.db, presented, state.now()).await.ok_or(ApiError::RefreshInvalid)?;
    let sid = token.session_id.to_string();
    let cfg = &state.config;

    // Hot path: the token is the live one; one compare-and-swap statement.
    let now = state.now();
    if let Some(rotated) =
        store::sessions::rotate_if_current(&state.db, &sid, token.generation, now, cfg.refresh_idle_secs).await?
    {
        let grant = Grant {
            session_id: token.session_id,
            generation: token.generation + 1,
            user_id: &rotated.user_id,
            email: &rotated.email,
            roles: split_roles(&rotated.roles),
            authz_version: rotated.authz_version,
            email_verified: rotated.email_verified_at.is_some(),
            mfa_enrolled: rotated.mfa_enrolled_at.is_some(),
            auth_time: rotated.auth_time,
            amr: super::split_amr(&rotated.amr),
            refresh_expires_at: rotated.idle_expires_at,
            absolute_expires_at: rotated.absolute_expires_at,
        };
        if state.config.audit_refreshes {
            state.audit.record(Event::new(EventKind::Refreshed).user(&rotated.user_id).session(&sid).client(client));
        }
        return issue(state, grant, now);
    }

    // Slow path: read the session (through the writer, so the read sees the
    // compare-and-swap that beat us) and work out why.
    let fresh = store::sessions::find_session_fresh(&state.db, &sid).await?.ok_or(ApiError::RefreshInvalid)?;
    let row = fresh.row;
    let now = state.now();
    check_usable(&row, now)?;
    if token.generation >= row.generation {
        // `==`: live and usable, yet the swap failed — only possible if the
        // row changed between the two statements; let the client retry.
        // `>`: never issued as far as the database knows.
        return Err(if token.generation == row.generation { ApiError::Unavailable } else { ApiError::RefreshInvalid });
    }
    if token.generation == row.generation - 1 && fresh.rotated_secs_ago < cfg.reuse_grace_secs {
        let mut issued = issue(state, Grant::of(&row, token.session_id, row.generation, row.idle_expires_at), now)?;
        issued.grace = true;
        return Ok(issued);
    }
    tracing::warn!(session_id = %sid, user_id = %row.user_id, "refresh token reuse detected; session revoked");
    let detail = format!("generation {} presented, live {}", token.generation, row.generation);
    if revocation::revoke(state, &sid, None, RevokeReason::Reuse, client, Some(detail)).await?.is_some() {
        notices::send(state, &row.user_id, Notice::SessionReused, client);
    }
    Err(ApiError::RefreshReused)
}

fn check_usable(row: &SessionRow, now: i64) -> Result<(), ApiError> {
    match row.revoke_reason.as_deref() {
        Some(reason) if reason == RevokeReason::Reuse.as_str() => return Err(ApiError::RefreshReused),
        Some(_) => return Err(ApiError::RefreshInvalid),
        None if row.revoked_at.is_some() => return Err(ApiError::RefreshInvalid),
        None => {}
    }
    if now >= row.idle_expires_at || now >= row.absolute_expires_at {
        return Err(ApiError::RefreshExpired);
    }
    Ok(())
}
