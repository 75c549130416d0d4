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
//! generation; with an older token of the bound family such a proof gets
//! the live token at any age (the device's last answer was lost). Without a
//! proof, a token issued since the binding is refused with
//! `binding_proof_missing`: no rotation, no reuse verdict, no revocation, so
//! neither a copied cookie nor a stale tab of the rightful browser can end
//! or advance the session. A token from before the binding is judged by the
//! reuse rule (but for the page's refresh that raced the registration). A
//! proof answering a used-up or expired challenge gets a new challenge
//! (`403`), never a token.

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
        rotation::DeviceCheck,
        sessions::{RevokeReason, SessionRow},
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
        Err(
            ApiError::BindingProofMissing | ApiError::BindingProofInvalid(_) | ApiError::BindingProofRequired { .. },
        ) => RefreshOutcome::Unproven,
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
        store::rotation::rotate_if_current(&state.db, &sid, token.generation, now, cfg.refresh_idle_secs, check).await?
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
    match check_device(state, device, &row, token.session_id, token.generation, fresh.rotated_secs_ago, client).await? {
        DeviceVerdict::Generations => {}
        DeviceVerdict::LiveToken => return live_token(state, &row, token.session_id, now),
        DeviceVerdict::Reuse => return Err(reuse(state, &row, token.generation, client).await?),
    }
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
        return live_token(state, &row, token.session_id, now);
    }
    Err(reuse(state, &row, token.generation, client).await?)
}

/// The answer to a racing or retried request: the session's live token
/// itself, not a sibling, so every response ends with the same cookie.
fn live_token(state: &AppState, row: &SessionRow, session_id: Uuid, now: i64) -> Result<Issued, ApiError> {
    let mut issued = issue(state, Grant::of(row, session_id, row.generation, row.idle_expires_at), now)?;
    issued.grace = true;
    Ok(issued)
}

/// A replayed token: the whole session is revoked (and the user told).
/// Returns the answer, `refresh_reused`.
async fn reuse(state: &AppState, row: &SessionRow, presented: i64, client: &Client) -> Result<ApiError, ApiError> {
    tracing::warn!(session_id = %row.id, user_id = %row.user_id, "refresh token reuse detected; session revoked");
    let detail = format!("generation {presented} presented, live {}", row.generation);
    if revocation::revoke(state, &row.id, None, RevokeReason::Reuse, client, Some(detail)).await?.is_some() {
        notices::send(state, &row.user_id, Notice::SessionReused, client);
    }
    Ok(ApiError::RefreshReused)
}

/// What the device rules make of a rotation that lost its compare-and-swap.
enum DeviceVerdict {
    /// Nothing to say: the generation rules decide (grace, reuse).
    Generations,
    /// A proof by the bound key for the live generation, with an older token
    /// of the bound family: the device itself, whose last answer was lost.
    /// It gets the live token, however long ago that was issued.
    LiveToken,
    /// A token from before the binding, without a proof, once the
    /// registration race is over: a stale copy, judged by the reuse rule.
    /// (Else a thief who bound a copied unbound session to a key of its own
    /// would have switched reuse detection off for the victim's tokens.)
    Reuse,
}

/// The device rules of a rotation that lost its compare-and-swap (see the
/// module docs), before the generation rules.
async fn check_device(
    state: &AppState,
    device: Device<'_>,
    row: &SessionRow,
    session_id: Uuid,
    presented: i64,
    rotated_secs_ago: i64,
    client: &Client,
) -> Result<DeviceVerdict, ApiError> {
    let bound_generation = row.bound_generation.unwrap_or(0);
    let refusal = match (device, row.binding_jkt.as_deref()) {
        (Device::Unproven, None) | (Device::Register(_), None) => return Ok(DeviceVerdict::Generations),
        (Device::Unproven, Some(_)) => {
            // The page's refresh that raced the registration (it rotated
            // the parent of the first bound token moments ago) is refused
            // like any later one; an older pre-binding token is a copy.
            let racing_registration = presented == bound_generation - 1
                && row.generation == bound_generation
                && rotated_secs_ago < state.config.reuse_grace_secs;
            if presented < bound_generation && !racing_registration {
                return Ok(DeviceVerdict::Reuse);
            }
            refuse_unproven(state, row, client).await?;
            return Err(ApiError::BindingProofMissing);
        }
        (Device::Register(_), Some(_)) => "this session is bound to a device already",
        (Device::Proven { .. }, None) => "this session is not bound to a device",
        (Device::Proven { jkt, .. }, Some(bound)) if bound != jkt => "the proof is signed by another key",
        (Device::Proven { challenge_generation, .. }, Some(_)) => {
            if challenge_generation != row.generation {
                // A used-up challenge (a replay, or a browser whose answer
                // was lost): a new one for the live generation, never a token.
                state.metrics.binding(BindingOutcome::Challenged);
                return Err(ApiError::BindingProofRequired {
                    challenge: binding::challenge_header(state, session_id, row.generation),
                });
            }
            if presented >= bound_generation && presented < row.generation {
                return Ok(DeviceVerdict::LiveToken);
            }
            return Ok(DeviceVerdict::Generations);
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
