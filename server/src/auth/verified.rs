//! A cache of access tokens whose signature and claims were verified here.
//!
//! Checking an Ed25519 signature and parsing the JWT costs tens of
//! microseconds — most of an authenticated GET. A token never changes, so
//! once verified its claims can be reused until it expires: the entry is
//! keyed by the whole token (not a part an attacker could reuse) and only
//! ever holds tokens that passed every check. What can change — the
//! session, the user's roles — is not cached here: the session gate checks
//! it on every request.

use std::{collections::HashMap, sync::Mutex};

use super::{keys::LEEWAY_SECS, tokens::AccessClaims};

/// Entries at most; beyond this the cache starts over (cheap, and every
/// entry can be rebuilt from its token).
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Default)]
pub struct VerifiedTokens {
    // A std Mutex: a hash lookup and a clone, never held across an await.
    map: Mutex<HashMap<String, AccessClaims>>,
}

impl VerifiedTokens {
    /// The claims of `token` if it was verified before and is still within
    /// its validity (the same leeway as a full check).
    pub fn get(&self, token: &str, now: i64) -> Option<AccessClaims> {
        let map = self.map.lock().ok()?;
        let claims = map.get(token)?;
        (now <= claims.exp + LEEWAY_SECS && now + LEEWAY_SECS >= claims.nbf).then(|| claims.clone())
    }

    /// Remembers a token that passed every check.
    pub fn insert(&self, token: &str, claims: &AccessClaims) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
            map.insert(token.to_owned(), claims.clone());
        }
    }
}
