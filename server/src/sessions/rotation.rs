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
//!
//! A session bound to a device key (DBSC) rotates only with a proof signed
//! by that key ([`Device::Proven`]), answering a challenge for the live
//! generation. Without one it is refused with `binding_proof_missing` before
//! any of the rules above: no rotation, no reuse verdict, no revocation, so
//! neither a copied cookie nor a stale tab of the rightful browser can end
//! or advance it. A proof answering a used-up or expired challenge gets a
//! new challenge (`403`), never a token.

use uuid::Uuid;

use super::{Grant, Issued, issue, revocation};
use crate::{
    audit::{Event, EventKind},
    binding::{self, proof::DeviceKey},
    client::Client,
    error::ApiError,
    metrics::{BindingOutcome, RefreshOutcome},
    notices::{self, Notice},
    state::AppState,
    store::{
        self,
        sessions::{DeviceCheck, RevokeReason, SessionRow},
        users::split_roles,
    },
};

/// What the caller of a rotation proved about the device.
#[derive(Debug, Clone, Copy)]
pub enum Device<'a> {
    /// Nothing: the scheduler's refresh or the page resume hop.
    Unproven,
    /// A registration (its proof checked by the caller): bind the session
    /// to this key as it rotates.
    Register(&'a DeviceKey),
    /// A refresh proof, checked by the caller against the session's key of
    /// this thumbprint, answering a challenge for `challenge_generation`.
    Proven { jkt: &'a str, challenge_generation: i64 },
}

/// Rotates the presented refresh token (see the module docs). Counted in
/// `auth_refreshes_total` by outcome, whichever route asked (the refresh
/// endpoint, the page resume hop or a device-binding endpoint).
pub async fn rotate(
    state: &AppState,
    presented: &str,
    device: Device<'_>,
    client: &Client,
) -> Result<Issued, ApiError> {
    let result = rotate_uncounted(state, presented, device, client).await;
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

async fn rotate_uncounted(
    state: &AppState,
    presented: &str,
    device: Device<'_>,
    client: &Client,
) -> Result<Issued, ApiError> {
    let token =
        state.refresh_keys.decode_or_reload(&state.db, presented, state.now()).await.ok_or(ApiError::RefreshInvalid)?;
    let sid = token.session_id.to_string();
    let cfg = &state.config;
    let (check, hot) = match device {
        Device::Unproven => (DeviceCheck::Unbound, true),
        Device::Register(key) => (DeviceCheck::Bind { key: &key.canonical_jwk, jkt: &key.thumbprint }, true),
        // A proof answers for one generation: only that one may rotate.
        Device::Proven { jkt, challenge_generation } => {
            (DeviceCheck::BoundTo { jkt }, challenge_generation == token.generation)
        }
    };

    // Hot path: the token is the live one; one compare-and-swap statement.
    let now = state.now();
    let rotated = if hot {
        store::sessions::rotate_if_current(&state.db, &sid, token.generation, now, cfg.refresh_idle_secs, check).await?
    } else {
        None
    };
    if let Some(rotated) = rotated {
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
            binding_jkt: rotated.binding_jkt.as_deref(),
        };
        audit_rotation(state, device, &rotated.user_id, &sid, client);
        return issue(state, grant, now);
    }

    // Slow path: read the session (through the writer, so the read sees the
    // compare-and-swap that beat us) and work out why.
    let fresh = store::sessions::find_session_fresh(&state.db, &sid).await?.ok_or(ApiError::RefreshInvalid)?;
    let mut row = fresh.row;
    let now = state.now();
    check_usable(&row, now)?;
    check_device(state, device, &row, token.session_id, client).await?;
    if token.generation >= row.generation {
        // `==`: live and usable, yet the swap failed — only possible if the
        // row changed between the two statements; let the client retry.
        // `>`: never issued as far as the database knows.
        return Err(if token.generation == row.generation { ApiError::Unavailable } else { ApiError::RefreshInvalid });
    }
    if token.generation == row.generation - 1 && fresh.rotated_secs_ago < cfg.reuse_grace_secs {
        if let Device::Register(key) = device {
            // The scheduler's refresh won the race: bind the live
            // generation instead, and answer with it like any grace.
            let bound =
                store::bindings::bind_at(&state.db, &sid, row.generation, &key.canonical_jwk, &key.thumbprint, now)
                    .await?;
            if !bound {
                return Err(ApiError::Unavailable);
            }
            row.binding_jkt = Some(key.thumbprint.clone());
            audit_rotation(state, device, &row.user_id, &sid, client);
        }
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

/// The device rules of a rotation that lost its compare-and-swap (see the
/// module docs); `Ok` leaves the generation rules to decide.
async fn check_device(
    state: &AppState,
    device: Device<'_>,
    row: &SessionRow,
    session_id: Uuid,
    client: &Client,
) -> Result<(), ApiError> {
    let refusal = match (device, row.binding_jkt.as_deref()) {
        (Device::Unproven, None) | (Device::Register(_), None) => return Ok(()),
        (Device::Unproven, Some(_)) => {
            refuse_unproven(state, row, client).await?;
            return Err(ApiError::BindingProofMissing);
        }
        (Device::Register(_), Some(_)) => "this session is bound to a device already",
        (Device::Proven { .. }, None) => "this session is not bound to a device",
        (Device::Proven { jkt, .. }, Some(bound)) if bound != jkt => "the proof is signed by another key",
        (Device::Proven { challenge_generation, .. }, Some(_)) => {
            if challenge_generation == row.generation {
                return Ok(());
            }
            // A used-up challenge (a replay, or a browser whose answer was
            // lost): a new one for the live generation, never a token.
            state.metrics.binding(BindingOutcome::Challenged);
            return Err(ApiError::BindingProofRequired {
                challenge: binding::challenge_header(state, session_id, row.generation),
            });
        }
    };
    Err(binding::refuse_proof(state, Some(&row.user_id), &row.id, client, refusal.to_owned()))
}

/// A bound session renewed without its proof: refused, audited and marked
/// on the session (the user's session list shows it). Never a revocation:
/// an old tab of the rightful browser does exactly this.
async fn refuse_unproven(state: &AppState, row: &SessionRow, client: &Client) -> Result<(), ApiError> {
    tracing::warn!(session_id = %row.id, "renewal of a device-bound session without a proof refused");
    state.metrics.binding(BindingOutcome::Missing);
    state.audit.record(Event::new(EventKind::BindingProofMissing).user(&row.user_id).session(&row.id).client(client));
    store::bindings::mark_refused(&state.db, &row.id, state.now()).await?;
    Ok(())
}

/// The audit event and metric of a rotation that went through.
fn audit_rotation(state: &AppState, device: Device<'_>, user_id: &str, sid: &str, client: &Client) {
    let kind = match device {
        Device::Unproven if state.config.audit_refreshes => EventKind::Refreshed,
        Device::Unproven => return,
        Device::Register(_) => {
            state.metrics.binding(BindingOutcome::Bound);
            EventKind::SessionBound
        }
        Device::Proven { .. } => {
            state.metrics.binding(BindingOutcome::Refreshed);
            if !state.config.audit_refreshes {
                return;
            }
            EventKind::BoundRefresh
        }
    };
    state.audit.record(Event::new(kind).user(user_id).session(sid).client(client));
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
