//! Starting and rotating sessions: the refresh-token state machine.
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

use app::types::{SessionInfo, UserView};
use uuid::Uuid;

use super::{
    refresh::RefreshToken,
    tokens::{AccessClaims, Subject},
};
use crate::{
    audit::{Event, EventKind},
    client::Client,
    error::ApiError,
    metrics::RefreshOutcome,
    state::AppState,
    store::{
        self,
        sessions::{NewSession, RevokeReason, SessionRow},
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
    /// True when a racing request was answered with the live token inside
    /// the grace window rather than by rotating.
    pub grace: bool,
}

/// Starts a session for a signed-in user.
pub async fn start(state: &AppState, user: &UserRow, client: &Client) -> Result<Issued, ApiError> {
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
        },
    )
    .await?;
    if !started {
        // The password changed while this sign-in was being checked.
        return Err(ApiError::InvalidCredentials);
    }
    evict_beyond_cap(state, &user.id, &id.to_string(), client, now).await?;
    let grant = Grant {
        session_id: id,
        generation: 0,
        user_id: &user.id,
        email: &user.email,
        roles: user.role_list(),
        authz_version: user.authz_version,
        refresh_expires_at: idle,
        absolute_expires_at: absolute,
    };
    issue(state, grant, now)
}

/// Ends the user's least recently used sessions beyond
/// `AUTH_MAX_SESSIONS_PER_USER`, so signing in again and again cannot grow
/// one account's live rows without bound.
async fn evict_beyond_cap(
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
    revoke(state, &sid, RevokeReason::Reuse).await?;
    state.audit.record(
        Event::new(EventKind::ReuseDetected)
            .user(&row.user_id)
            .session(&sid)
            .client(client)
            .detail(format!("generation {} presented, live {}", token.generation, row.generation)),
    );
    Err(ApiError::RefreshReused)
}

/// The SessionInfo for a request made with a valid access token: expiry
/// from the token, the refresh horizon and the user from the session row.
pub fn info_for_access(row: &SessionRow, claims: &AccessClaims, now: i64) -> SessionInfo {
    SessionInfo {
        user: UserView { id: row.user_id.clone(), email: row.email.clone(), roles: split_roles(&row.roles) },
        session_id: row.id.clone(),
        access_expires_at: claims.exp,
        refresh_expires_at: row.idle_expires_at,
        expires_in: (claims.exp - now).max(0),
        server_time: now,
    }
}

/// Revokes a session and drops it from this instance's live cache. The
/// owner's id when this call revoked it (`None`: already ended or unknown).
pub async fn revoke(state: &AppState, session_id: &str, reason: RevokeReason) -> Result<Option<String>, ApiError> {
    let owner = store::sessions::revoke_session(&state.db, session_id, reason, store::now()).await?;
    state.gate.forget(session_id);
    Ok(owner)
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

/// What a response grants: the session's live refresh generation and the
/// user it belongs to.
struct Grant<'a> {
    session_id: Uuid,
    generation: i64,
    user_id: &'a str,
    email: &'a str,
    roles: Vec<String>,
    authz_version: i64,
    refresh_expires_at: i64,
    absolute_expires_at: i64,
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
            refresh_expires_at,
            absolute_expires_at: row.absolute_expires_at,
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
    };
    let (access_token, claims) = state
        .tokens
        .issue(&state.keys.snapshot(), &subject, now, grant.absolute_expires_at)
        .map_err(|e| ApiError::Internal(e.into()))?;
    let refresh_token =
        state.refresh_keys.encode(&RefreshToken { session_id: grant.session_id, generation: grant.generation });
    Ok(Issued {
        info: SessionInfo {
            user: UserView { id: grant.user_id.to_owned(), email: grant.email.to_owned(), roles: grant.roles },
            session_id: sid,
            access_expires_at: claims.exp,
            refresh_expires_at: grant.refresh_expires_at,
            expires_in: claims.exp - now,
            server_time: now,
        },
        access_token,
        refresh_token,
        refresh_max_age: grant.refresh_expires_at - now,
        grace: false,
    })
}

/// Cuts a string to at most `max` bytes on a character boundary.
pub fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}
