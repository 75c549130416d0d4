//! The live-session check behind every access token. An access token is
//! only as good as its session and its user's roles: logout, a revoke, a
//! reuse kill or a role change must stop it within a second, not at its
//! expiry. Asking the database on every request would cost a round trip, so
//! answers are cached for [`TTL`]; a change made on this instance drops the
//! entries it affects at once, and one on another instance is seen when the
//! entry ages out (under a second).

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::{db::Db, store};

/// How long a "this session is live" answer is trusted.
pub const TTL: Duration = Duration::from_millis(500);
/// Beyond this many entries the cache is emptied rather than grown.
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug)]
struct Entry {
    until: Instant,
    live: LiveSession,
}

/// What the store says about a live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSession {
    pub user_id: String,
    /// The user's current authorisation version (bumped by role changes).
    pub authz_version: i64,
    /// Whether the user's email is verified (`AUTH_REQUIRE_VERIFIED_EMAIL`).
    pub email_verified: bool,
    /// Whether the user has a second factor (`AUTH_REQUIRE_MFA`).
    pub mfa_enrolled: bool,
}

#[derive(Debug, Default)]
pub struct SessionGate {
    // A std Mutex: the critical sections are a hash lookup, never held
    // across an await.
    live: Mutex<HashMap<String, Entry>>,
}

impl SessionGate {
    /// The session's user and their current `authz_version` when the
    /// session may still be used; `None` when it may not. A token newer than the
    /// cached answer (`claimed` above it: issued after a role change made
    /// on another instance) is checked against the store, not the cache.
    pub async fn live_session(
        &self,
        db: &Db,
        session_id: &str,
        claimed: i64,
    ) -> Result<Option<LiveSession>, sqlx::Error> {
        let now = Instant::now();
        if let Ok(map) = self.live.lock()
            && let Some(entry) = map.get(session_id)
            && entry.until > now
            && entry.live.authz_version >= claimed
        {
            return Ok(Some(entry.live.clone()));
        }
        let owner = store::sessions::live_session_owner(db, session_id, store::now()).await?;
        let live = owner.map(|owner| LiveSession {
            user_id: owner.user_id,
            authz_version: owner.authz_version,
            email_verified: owner.email_verified,
            mfa_enrolled: owner.mfa_enrolled,
        });
        if let Ok(mut map) = self.live.lock() {
            match &live {
                Some(live) => {
                    if map.len() >= MAX_ENTRIES {
                        map.clear();
                    }
                    map.insert(session_id.to_owned(), Entry { until: now + TTL, live: live.clone() });
                }
                None => {
                    map.remove(session_id);
                }
            }
        }
        Ok(live)
    }

    /// Forgets a session at once (called after revoking it here).
    pub fn forget(&self, session_id: &str) {
        if let Ok(mut map) = self.live.lock() {
            map.remove(session_id);
        }
    }

    /// Forgets every session of a user (after a role change here).
    pub fn forget_user(&self, user_id: &str) {
        if let Ok(mut map) = self.live.lock() {
            map.retain(|_, entry| entry.live.user_id != user_id);
        }
    }
}
