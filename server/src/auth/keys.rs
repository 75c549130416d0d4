//! Ed25519 signing keys: loaded from `AUTH_SIGNING_KEY_FILE`, or generated
//! on first start and kept in the database so sessions survive restarts and
//! several instances share them. The private half never leaves this module
//! except as a `jsonwebtoken::EncodingKey`.
//!
//! Rotation without downtime: [`rotate`] adds a new current key and retires
//! the others, which keep verifying (and stay in the JWKS) until every
//! token they signed has expired ([`verify_window_secs`]).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, RwLock},
    time::{Duration, Instant},
};

use anyhow::Context;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use ed25519_dalek::{
    SigningKey,
    pkcs8::{DecodePrivateKey, EncodePrivateKey},
};
use jsonwebtoken::{DecodingKey, EncodingKey};
use sha2::{Digest, Sha256};

use super::sealing::Sealer;
use crate::{
    config::Config,
    db::Db,
    store::{self, keys::SigningKeyRow},
};

/// Clock skew tolerated on an access token's `exp`, `nbf` and `iat`, in
/// seconds; a retired key keeps verifying that much longer too.
pub const LEEWAY_SECS: i64 = 10;
/// How often a running instance re-reads the keys (picks up `keys rotate`).
pub const RELOAD_INTERVAL: Duration = Duration::from_secs(10);
/// What a private signing key is sealed for (`AUTH_SECRET_KEY_FILE`).
pub const SEALED_AS: &str = "signing_key";
/// A token naming an unknown `kid` reloads the keys at most this often.
const UNKNOWN_KID_RELOAD: Duration = Duration::from_secs(1);

/// One snapshot of the keys: one that signs, all that verify.
pub struct KeySet {
    pub current_kid: String,
    pub encoding: EncodingKey,
    verifying: HashMap<String, DecodingKey>,
    /// The JWKS document, serialised once.
    pub jwks_json: String,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySet").field("current_kid", &self.current_kid).finish_non_exhaustive()
    }
}

impl KeySet {
    /// `rows` newest first; the newest unretired key signs.
    fn from_rows(rows: &[SigningKeyRow], sealer: &Sealer) -> anyhow::Result<Self> {
        let current = rows.iter().find(|r| r.retired_at.is_none()).context("no current signing key")?;
        let mut verifying = HashMap::new();
        let mut jwks = Vec::new();
        for row in rows {
            let x = URL_SAFE_NO_PAD.encode(&row.public_key);
            verifying.insert(row.kid.clone(), DecodingKey::from_ed_components(&x)?);
            jwks.push(serde_json::json!({
                "kty": "OKP", "crv": "Ed25519", "x": x, "kid": row.kid, "alg": "EdDSA", "use": "sig",
            }));
        }
        Ok(Self {
            current_kid: current.kid.clone(),
            encoding: EncodingKey::from_ed_der(&sealer.open(SEALED_AS, &current.private_der)?),
            verifying,
            jwks_json: serde_json::json!({ "keys": jwks }).to_string(),
        })
    }

    /// The verifying key for a `kid`, if it is one of ours.
    pub fn verifying_key(&self, kid: &str) -> Option<&DecodingKey> {
        self.verifying.get(kid)
    }
}

/// The server's keys, reloadable: `server keys rotate` (on any instance, or
/// the CLI) writes a new current key to the database, and every instance
/// picks it up within [`RELOAD_INTERVAL`] — or at once when a token names a
/// `kid` it does not know yet.
pub struct Keys {
    current: RwLock<Arc<KeySet>>,
    /// Set when the key comes from `AUTH_SIGNING_KEY_FILE`: nothing to reload.
    from_file: bool,
    sealer: Arc<Sealer>,
    /// How long a retired key keeps verifying (access TTL + leeway + reload).
    verify_window_secs: i64,
    last_reload: Mutex<Instant>,
    /// One reload at a time: two overlapping reloads could otherwise finish
    /// in the wrong order and put back the older snapshot.
    reloading: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys").field("current", &self.snapshot()).finish_non_exhaustive()
    }
}

impl Keys {
    /// Loads the signing key: the configured file, or the database's keys
    /// (the first one made on first start).
    pub async fn load(db: &Db, config: &Config, sealer: Arc<Sealer>) -> anyhow::Result<Self> {
        let verify_window_secs = verify_window_secs(config);
        let (set, from_file) = match config.signing_key_file.as_deref() {
            Some(path) => {
                let pem = std::fs::read_to_string(path)
                    .with_context(|| format!("reading AUTH_SIGNING_KEY_FILE {}", path.display()))?;
                let key = SigningKey::from_pkcs8_pem(&pem)
                    .map_err(|_| anyhow::anyhow!("AUTH_SIGNING_KEY_FILE is not an Ed25519 PKCS#8 PEM key"))?;
                (KeySet::from_rows(&[row_for(&key, store::now())?], &Sealer::Clear)?, true)
            }
            None => {
                ensure_first_key(db, &sealer).await?;
                (load_from_db(db, verify_window_secs, &sealer).await?, false)
            }
        };
        Ok(Self {
            current: RwLock::new(Arc::new(set)),
            from_file,
            sealer,
            verify_window_secs,
            last_reload: Mutex::new(Instant::now()),
            reloading: tokio::sync::Mutex::new(()),
        })
    }

    /// The keys as of now.
    pub fn snapshot(&self) -> Arc<KeySet> {
        match self.current.read() {
            Ok(set) => set.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Re-reads the keys from the database (a no-op for a key file).
    pub async fn reload(&self, db: &Db) -> anyhow::Result<()> {
        if self.from_file {
            return Ok(());
        }
        let _one_at_a_time = self.reloading.lock().await;
        if let Ok(mut last) = self.last_reload.lock() {
            *last = Instant::now();
        }
        let set = Arc::new(load_from_db(db, self.verify_window_secs, &self.sealer).await?);
        let changed = set.current_kid != self.snapshot().current_kid;
        match self.current.write() {
            Ok(mut current) => *current = set,
            Err(poisoned) => *poisoned.into_inner() = set,
        }
        if changed {
            tracing::info!(kid = %self.snapshot().current_kid, "signing key changed");
        }
        Ok(())
    }

    /// After a token named an unknown `kid`: reloads unless that was done
    /// within the last second (so junk tokens cannot hammer the database).
    /// True when it reloaded.
    pub async fn reload_for_unknown_kid(&self, db: &Db) -> bool {
        if self.from_file {
            return false;
        }
        // Check and claim the slot in one step, so concurrent requests with
        // junk kids start one reload, not one each.
        let due = self
            .last_reload
            .lock()
            .map(|mut last| {
                let due = last.elapsed() >= UNKNOWN_KID_RELOAD;
                if due {
                    *last = Instant::now();
                }
                due
            })
            .unwrap_or(false);
        if !due {
            return false;
        }
        match self.reload(db).await {
            Ok(()) => true,
            Err(err) => {
                tracing::warn!(error = %err, "reloading signing keys failed");
                false
            }
        }
    }

    /// Reloads every [`RELOAD_INTERVAL`] until the database closes.
    pub async fn reload_periodically(self: Arc<Self>, db: Db) {
        if self.from_file {
            return;
        }
        db.every(RELOAD_INTERVAL, |db| {
            let keys = Arc::clone(&self);
            async move {
                if let Err(err) = keys.reload(&db).await {
                    tracing::warn!(error = %err, "reloading signing keys failed");
                }
            }
        })
        .await;
    }
}

/// How long a retired key keeps verifying: every token it signed (the last
/// ones up to a reload interval after retirement) has expired by then.
pub fn verify_window_secs(config: &Config) -> i64 {
    config.access_ttl_secs + LEEWAY_SECS + RELOAD_INTERVAL.as_secs() as i64
}

async fn load_from_db(db: &Db, verify_window_secs: i64, sealer: &Sealer) -> anyhow::Result<KeySet> {
    let rows = store::keys::find_verifying_keys(db, store::now() - verify_window_secs).await?;
    KeySet::from_rows(&rows, sealer)
}

/// Instances starting together on an empty database must agree on one
/// first key: the secrets table elects it (first insert wins, everyone
/// reads the winner).
async fn ensure_first_key(db: &Db, sealer: &Sealer) -> anyhow::Result<()> {
    if store::keys::has_current_key(db).await? {
        return Ok(());
    }
    let candidate = SigningKey::generate(&mut rand::rngs::OsRng);
    let der = candidate.to_pkcs8_der().map_err(|_| anyhow::anyhow!("encoding the signing key"))?;
    let now = store::now();
    let candidate = sealer.seal(SEALED_AS, der.as_bytes())?;
    let elected = store::keys::get_or_insert_secret(db, "first_signing_key", &candidate, now).await?;
    let key = SigningKey::from_pkcs8_der(&sealer.open(SEALED_AS, &elected)?)
        .map_err(|_| anyhow::anyhow!("the stored first signing key is not PKCS#8 Ed25519"))?;
    store::keys::insert_signing_key(db, &sealed(row_for(&key, now)?, sealer)?).await?;
    Ok(())
}

/// The row with its private half sealed (when a key is configured).
fn sealed(mut row: SigningKeyRow, sealer: &Sealer) -> anyhow::Result<SigningKeyRow> {
    row.private_der = sealer.seal(SEALED_AS, &row.private_der)?;
    Ok(row)
}

/// Makes a new key current; the others stop signing now and verify until
/// their window ends. Returns the new `kid`.
pub async fn rotate(db: &Db, sealer: &Sealer) -> anyhow::Result<String> {
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let row = sealed(row_for(&key, store::now())?, sealer)?;
    store::keys::rotate_signing_key(db, &row).await?;
    Ok(row.kid)
}

fn row_for(key: &SigningKey, now: i64) -> anyhow::Result<SigningKeyRow> {
    let public = key.verifying_key().to_bytes();
    let der = key.to_pkcs8_der().map_err(|_| anyhow::anyhow!("encoding the signing key"))?;
    Ok(SigningKeyRow {
        kid: thumbprint(&public),
        private_der: der.as_bytes().to_vec(),
        public_key: public.to_vec(),
        created_at: now,
        retired_at: None,
    })
}

/// RFC 7638 JWK thumbprint of an Ed25519 public key: a stable `kid`.
fn thumbprint(public: &[u8; 32]) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, URL_SAFE_NO_PAD.encode(public));
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}
