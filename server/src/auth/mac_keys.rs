//! The refresh-token MAC keys: the current one, which signs, and after a
//! `server keys rotate-mac` the previous one, which still verifies for one
//! refresh life (`AUTH_REFRESH_IDLE_SECS`), so every live session can
//! present its token once more and get one under the new key; nobody is
//! signed out by a rotation. Kept in the database (sealed under
//! `AUTH_SECRET_KEY_FILE` when set) and shared by every instance: each
//! reloads every few seconds, and at once (at most once a second) when a
//! token verifies under neither key it knows.

use hmac::Mac;
use std::{
    sync::{Arc, Mutex, RwLock},
    time::{Duration, Instant},
};

use super::{
    refresh::{RefreshKey, RefreshToken},
    sealing::Sealer,
};
use crate::{db::Db, store};

/// The row of the current key and of the previous one.
const CURRENT: &str = "refresh_mac_key";
const PREVIOUS: &str = "refresh_mac_key.previous";
/// What a MAC key is sealed for, whichever row holds it.
const PURPOSE: &str = "refresh_mac_key";
/// How often a running instance re-reads the keys.
pub const RELOAD_INTERVAL: Duration = Duration::from_secs(10);
const UNKNOWN_RELOAD: Duration = Duration::from_secs(1);

/// One snapshot of the keys.
struct MacKeySet {
    current: RefreshKey,
    /// The previous key and until when (Unix seconds) it verifies.
    previous: Option<(RefreshKey, i64)>,
}

/// The keys, reloadable.
pub struct RefreshKeys {
    set: RwLock<Arc<MacKeySet>>,
    sealer: Arc<Sealer>,
    grace_secs: i64,
    last_reload: Mutex<Instant>,
    reloading: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for RefreshKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshKeys(<keys>)")
    }
}

impl RefreshKeys {
    /// Loads the keys, making the first one on an empty database (several
    /// instances starting together agree on one: the first insert wins).
    /// `grace_secs`: how long a previous key verifies after a rotation.
    pub async fn load(db: &Db, sealer: Arc<Sealer>, grace_secs: i64) -> anyhow::Result<Self> {
        let candidate = sealer.seal(PURPOSE, &RefreshKey::random_bytes())?;
        store::keys::get_or_insert_secret(db, CURRENT, &candidate, store::now()).await?;
        let set = read(db, &sealer, grace_secs).await?;
        Ok(Self {
            set: RwLock::new(Arc::new(set)),
            sealer,
            grace_secs,
            // The first unknown token may reload at once: a rotation can
            // have happened just before this instance started.
            last_reload: Mutex::new(Instant::now().checked_sub(UNKNOWN_RELOAD).unwrap_or_else(Instant::now)),
            reloading: tokio::sync::Mutex::new(()),
        })
    }

    fn snapshot(&self) -> Arc<MacKeySet> {
        self.set.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// The token string for the cookie, under the current key.
    pub fn encode(&self, token: &RefreshToken) -> String {
        token.encode(&self.snapshot().current)
    }

    /// Authenticates a token under the current key, or the previous one
    /// while it still verifies. No database access.
    pub fn decode(&self, token: &str, now: i64) -> Option<RefreshToken> {
        let set = self.snapshot();
        RefreshToken::decode(token, &set.current).or_else(|| match &set.previous {
            Some((key, until)) if now < *until => RefreshToken::decode(token, key),
            _ => None,
        })
    }

    /// HMAC-SHA-256 of `body` in `context` under the current key.
    pub fn tag(&self, context: &[u8], body: &[u8]) -> [u8; 32] {
        let mut mac = self.snapshot().current.keyed(context);
        mac.update(body);
        mac.finalize().into_bytes().into()
    }

    /// True when `tag` is (the first 16 or more bytes of) [`RefreshKeys::tag`]
    /// of `body` in `context` under the current key, or the previous one
    /// while it still verifies (compared in constant time).
    pub fn verify_tag_truncated(&self, context: &[u8], body: &[u8], tag: &[u8], now: i64) -> bool {
        if tag.len() < 16 {
            return false;
        }
        let set = self.snapshot();
        let verifies = |key: &RefreshKey| {
            let mut mac = key.keyed(context);
            mac.update(body);
            mac.verify_truncated_left(tag).is_ok()
        };
        verifies(&set.current) || matches!(&set.previous, Some((key, until)) if now < *until && verifies(key))
    }

    /// Like [`RefreshKeys::decode`], but a token neither key verifies
    /// reloads the keys first (a rotation on another instance), at most
    /// once a second so junk cannot hammer the database.
    pub async fn decode_or_reload(&self, db: &Db, token: &str, now: i64) -> Option<RefreshToken> {
        if let Some(found) = self.decode(token, now) {
            return Some(found);
        }
        if !self.reload_if_due(db).await {
            return None;
        }
        self.decode(token, now)
    }

    /// Reloads the keys after something verified under neither key it
    /// knows (a rotation on another instance), at most once a second so
    /// junk cannot hammer the database. `true`: reloaded, worth a retry.
    pub async fn reload_if_due(&self, db: &Db) -> bool {
        let due = {
            let mut last = self.last_reload.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let due = last.elapsed() >= UNKNOWN_RELOAD;
            if due {
                *last = Instant::now();
            }
            due
        };
        if !due {
            return false;
        }
        if let Err(err) = self.reload(db).await {
            tracing::warn!(error = %err, "reloading refresh MAC keys failed");
            return false;
        }
        true
    }

    /// Re-reads the keys from the database.
    pub async fn reload(&self, db: &Db) -> anyhow::Result<()> {
        let _one_at_a_time = self.reloading.lock().await;
        let set = Arc::new(read(db, &self.sealer, self.grace_secs).await?);
        *self.set.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = set;
        Ok(())
    }

    /// Reloads every [`RELOAD_INTERVAL`] until the database closes.
    pub async fn reload_periodically(self: Arc<Self>, db: Db) {
        db.every(RELOAD_INTERVAL, |db| {
            let keys = Arc::clone(&self);
            async move {
                if let Err(err) = keys.reload(&db).await {
                    tracing::warn!(error = %err, "reloading refresh MAC keys failed");
                }
            }
        })
        .await;
    }
}

async fn read(db: &Db, sealer: &Sealer, grace_secs: i64) -> anyhow::Result<MacKeySet> {
    let (stored, created_at) =
        store::keys::find_secret(db, CURRENT).await?.ok_or_else(|| anyhow::anyhow!("no refresh MAC key"))?;
    let current = RefreshKey::from_bytes(&sealer.open(PURPOSE, &stored)?)?;
    let previous = match store::keys::find_secret(db, PREVIOUS).await? {
        Some((stored, _)) => Some((RefreshKey::from_bytes(&sealer.open(PURPOSE, &stored)?)?, created_at + grace_secs)),
        None => None,
    };
    Ok(MacKeySet { current, previous })
}

/// Makes a new MAC key current; the old one verifies for `grace_secs` more
/// (on every instance once it has reloaded). Returns when that ends.
pub async fn rotate(db: &Db, sealer: &Sealer, grace_secs: i64) -> anyhow::Result<i64> {
    let now = store::now();
    let new = sealer.seal(PURPOSE, &RefreshKey::random_bytes())?;
    store::keys::rotate_secret(db, CURRENT, PREVIOUS, &new, now).await?;
    Ok(now + grace_secs)
}

/// Seals every secret the database still keeps in the clear, when a key is
/// configured: the MAC keys, the signing keys and the first-key election
/// record. Runs at start, before anything reads them.
pub async fn seal_stored_secrets(db: &Db, sealer: &Sealer) -> anyhow::Result<()> {
    if !sealer.is_sealing() {
        return Ok(());
    }
    let mut sealed = 0;
    for (name, value, _) in store::keys::list_secrets(db).await? {
        if sealer.needs_sealing(&value) {
            let purpose = if name.starts_with(CURRENT) { PURPOSE } else { super::keys::SEALED_AS };
            store::keys::replace_secret_value(db, &name, &sealer.seal(purpose, &value)?).await?;
            sealed += 1;
        }
    }
    for key in store::keys::list_signing_keys(db).await? {
        if sealer.needs_sealing(&key.private_der) {
            let private = sealer.seal(super::keys::SEALED_AS, &key.private_der)?;
            store::keys::replace_private_key(db, &key.kid, &private).await?;
            sealed += 1;
        }
    }
    if sealed > 0 {
        tracing::info!(secrets = sealed, "sealed secrets kept in the clear under AUTH_SECRET_KEY_FILE");
    }
    Ok(())
}
