//! The sessions service: starting, rotating and ending sessions. Every
//! path that ends a session (sign-out, revoking one or all, a replayed
//! token, a password change, eviction beyond the per-user cap) goes through
//! [`revocation`], which always drops the session from this instance's
//! live cache and records the audit event, so no path can leave a revoked
//! token working here or end a session silently.
//!
//! - [`start`]: a new session for a signed-in user.
//! - [`rotation`]: the refresh-token state machine.
//! - [`revocation`]: ending sessions.

mod revocation;
mod rotation;

use app::types::{SessionInfo, UserView};
use uuid::Uuid;

pub use revocation::{change_password, revoke, revoke_all_but, undo_email_change};
pub use rotation::{Device, rotate};

use crate::{
    auth::{
        refresh::RefreshToken,
        tokens::{AccessClaims, Subject},
    },
    client::Client,
    error::ApiError,
    state::AppState,
    store::{
        self,
        sessions::{NewSession, SessionRow},
        users::{UserRow, split_roles},
    },
};

/// A freshly issued pair of tokens and what the browser may know of them.
pub struct Issued {
    pub info: SessionInfo,
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the refresh cookie should expire.
    pub refresh_max_age: i64,
    /// The refresh token's generation (a device-binding challenge for the
    /// next refresh names it).
    pub generation: i64,
    /// True when a racing request was answered with the live token inside
    /// the grace window rather than by rotating.
    pub grace: bool,
}

/// Starts a session for a user who just proved themselves by `amr` (the
/// RFC 8176 values, e.g. `["pwd"]` or `["pwd", "otp", "mfa"]`).
pub async fn start(state: &AppState, user: &UserRow, client: &Client, amr: &[&str]) -> Result<Issued, ApiError> {
    let cfg = &state.config;
    let now = store::now();
    let id = Uuid::new_v4();
    let absolute = now + cfg.session_max_secs;
    let idle = (now + cfg.refresh_idle_secs).min(absolute);
    let client_ip = client.ip.map(|ip| ip.to_string());
    let started = store::sessions::insert_session(
        &state.db,
        &NewSession {
            id: &id.to_string(),
            user_id: &user.id,
            now,
            idle_expires_at: idle,
            absolute_expires_at: absolute,
            user_agent: client.user_agent.as_deref(),
            client_ip: client_ip.as_deref(),
            password_hash: &user.password_hash,
            amr: &amr.join(" "),
        },
    )
    .await?;
    if !started {
        // The password changed while this sign-in was being checked.
        return Err(ApiError::InvalidCredentials);
    }
    revocation::evict_beyond_cap(state, &user.id, &id.to_string(), client, now).await?;
    let grant = Grant {
        session_id: id,
        generation: 0,
        user_id: &user.id,
        email: &user.email,
        roles: user.role_list(),
        authz_version: user.authz_version,
        email_verified: user.email_verified_at.is_some(),
        mfa_enrolled: user.mfa_enrolled_at.is_some(),
        auth_time: now,
        amr: amr.iter().map(|&m| m.to_owned()).collect(),
        refresh_expires_at: idle,
        absolute_expires_at: absolute,
        binding_jkt: None,
    };
    issue(state, grant, now)
}

/// Records a fresh proof (a step-up, or a first code confirming a factor)
/// in a live session and re-issues its tokens: a new access token with the
/// new `auth_time` and `amr`, and the live refresh generation as it is.
///
/// A device-bound session's new access token expires no later than the one
/// it replaces (`access_expires_at`): a proof of the password is not a proof
/// of the device, so it must not stretch a copied cookie's life.
pub async fn reissue_with_proof(
    state: &AppState,
    session_id: &str,
    amr: &str,
    access_expires_at: i64,
) -> Result<Issued, ApiError> {
    let now = state.now();
    if !store::sessions::record_proof(&state.db, session_id, now, amr).await? {
        return Err(ApiError::Unauthenticated);
    }
    let fresh = store::sessions::find_session_fresh(&state.db, session_id).await?.ok_or(ApiError::Unauthenticated)?;
    let row = fresh.row;
    let id = Uuid::parse_str(&row.id).map_err(|e| ApiError::Internal(e.into()))?;
    let mut grant = Grant::of(&row, id, row.generation, row.idle_expires_at);
    if grant.binding_jkt.is_some() {
        grant.absolute_expires_at = grant.absolute_expires_at.min(access_expires_at);
    }
    issue(state, grant, now)
}

/// The SessionInfo for a request made with a valid access token: expiry
/// from the token, the refresh horizon and the user from the session row.
pub fn info_for_access(state: &AppState, row: &SessionRow, claims: &AccessClaims, now: i64) -> SessionInfo {
    let roles = split_roles(&row.roles);
    SessionInfo {
        mfa_enrolment_required: state.config.require_mfa.covers(&roles) && row.mfa_enrolled_at.is_none(),
        user: UserView {
            id: row.user_id.clone(),
            email: row.email.clone(),
            roles,
            email_verified: row.email_verified_at.is_some(),
        },
        session_id: row.id.clone(),
        access_expires_at: claims.exp,
        refresh_expires_at: row.idle_expires_at,
        expires_in: (claims.exp - now).max(0),
        server_time: now,
        auth_time: row.auth_time,
        amr: split_amr(&row.amr),
        bound: claims.cnf.is_some(),
    }
}

/// What a response grants: the session's live refresh generation and the
/// user it belongs to.
struct Grant<'a> {
    session_id: Uuid,
    generation: i64,
    user_id: &'a str,
    email: &'a str,
    roles: Vec<String>,
    authz_version: i64,
    email_verified: bool,
    mfa_enrolled: bool,
    auth_time: i64,
    amr: Vec<String>,
    refresh_expires_at: i64,
    absolute_expires_at: i64,
    /// The device key the session is bound to (its thumbprint).
    binding_jkt: Option<&'a str>,
}

/// The stored, space-separated `amr` as a list.
pub fn split_amr(amr: &str) -> Vec<String> {
    amr.split_whitespace().map(str::to_owned).collect()
}

impl<'a> Grant<'a> {
    /// Generation `generation` of an existing session.
    fn of(row: &'a SessionRow, session_id: Uuid, generation: i64, refresh_expires_at: i64) -> Self {
        Self {
            session_id,
            generation,
            user_id: &row.user_id,
            email: &row.email,
            roles: split_roles(&row.roles),
            authz_version: row.authz_version,
            email_verified: row.email_verified_at.is_some(),
            mfa_enrolled: row.mfa_enrolled_at.is_some(),
            auth_time: row.auth_time,
            amr: split_amr(&row.amr),
            refresh_expires_at,
            absolute_expires_at: row.absolute_expires_at,
            binding_jkt: row.binding_jkt.as_deref(),
        }
    }
}

fn issue(state: &AppState, grant: Grant<'_>, now: i64) -> Result<Issued, ApiError> {
    let sid = grant.session_id.to_string();
    let subject = Subject {
        user_id: grant.user_id,
        session_id: &sid,
        email: grant.email,
        roles: &grant.roles,
        authz_version: grant.authz_version,
        auth_time: grant.auth_time,
        amr: &grant.amr,
        binding_jkt: grant.binding_jkt,
    };
    let (access_token, claims) = state
        .tokens
        .issue(&state.keys.snapshot(), &subject, now, grant.absolute_expires_at)
        .map_err(|e| ApiError::Internal(e.into()))?;
    let refresh_token =
        state.refresh_keys.encode(&RefreshToken { session_id: grant.session_id, generation: grant.generation });
    let mfa_enrolment_required = state.config.require_mfa.covers(&grant.roles) && !grant.mfa_enrolled;
    Ok(Issued {
        info: SessionInfo {
            mfa_enrolment_required,
            auth_time: grant.auth_time,
            amr: grant.amr,
            user: UserView {
                id: grant.user_id.to_owned(),
                email: grant.email.to_owned(),
                roles: grant.roles,
                email_verified: grant.email_verified,
            },
            session_id: sid,
            access_expires_at: claims.exp,
            refresh_expires_at: grant.refresh_expires_at,
            expires_in: claims.exp - now,
            server_time: now,
            bound: grant.binding_jkt.is_some(),
        },
        access_token,
        refresh_token,
        refresh_max_age: grant.refresh_expires_at - now,
        generation: grant.generation,
        grace: false,
    })
}
