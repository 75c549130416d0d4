//! The live-session check behind every access token. An access token is
//! only as good as its session: logout, a revoke or a reuse kill must stop
//! it within a second, not at its expiry. Asking the database on every
//! request would cost a round trip, so positive answers are cached for
//! [`TTL`]; a revoke on this instance drops its entry at once, and one on
//! another instance is seen when the entry ages out (under a second).

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

#[derive(Debug, Default)]
pub struct SessionGate {
    // A std Mutex: the critical sections are a hash lookup, never held
    // across an await.
    live_until: Mutex<HashMap<String, Instant>>,
}

impl SessionGate {
    /// True when the session may still be used.
    pub async fn is_live(&self, db: &Db, session_id: &str) -> Result<bool, sqlx::Error> {
        let now = Instant::now();
        if let Ok(map) = self.live_until.lock()
            && map.get(session_id).is_some_and(|until| *until > now)
        {
            return Ok(true);
        }
        let live = store::sessions::session_is_live(db, session_id, store::now()).await?;
        if let Ok(mut map) = self.live_until.lock() {
            if live {
                if map.len() >= MAX_ENTRIES {
                    map.clear();
                }
                map.insert(session_id.to_owned(), now + TTL);
            } else {
                map.remove(session_id);
            }
        }
        Ok(live)
    }

    /// Forgets a session at once (called after revoking it here).
    pub fn forget(&self, session_id: &str) {
        if let Ok(mut map) = self.live_until.lock() {
            map.remove(session_id);
        }
    }
}
