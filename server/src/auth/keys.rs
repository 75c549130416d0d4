//! Ed25519 signing keys: loaded from `AUTH_SIGNING_KEY_FILE`, or generated
//! on first start and kept in the database so sessions survive restarts and
//! several instances share them. The private half never leaves this module
//! except as a `jsonwebtoken::EncodingKey`.

use std::collections::HashMap;

use anyhow::Context;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use ed25519_dalek::{
    SigningKey,
    pkcs8::{DecodePrivateKey, EncodePrivateKey},
};
use jsonwebtoken::{DecodingKey, EncodingKey};
use sha2::{Digest, Sha256};

use crate::{
    db::Db,
    store::{self, keys::SigningKeyRow},
};

/// The keys of this server: one that signs, all that verify.
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
    /// Loads the signing key: the configured file, or the database's newest
    /// key (made on first start).
    pub async fn load(db: &Db, key_file: Option<&std::path::Path>) -> anyhow::Result<Self> {
        let rows = match key_file {
            Some(path) => {
                let pem = std::fs::read_to_string(path)
                    .with_context(|| format!("reading AUTH_SIGNING_KEY_FILE {}", path.display()))?;
                let key = SigningKey::from_pkcs8_pem(&pem)
                    .map_err(|_| anyhow::anyhow!("AUTH_SIGNING_KEY_FILE is not an Ed25519 PKCS#8 PEM key"))?;
                vec![row_for(&key, store::now())?]
            }
            None => {
                let mut rows = store::keys::find_active_signing_keys(db).await?;
                if rows.is_empty() {
                    // Instances starting together on an empty database must
                    // agree on one first key: the secrets table elects it
                    // (first insert wins, everyone reads the winner).
                    let candidate = SigningKey::generate(&mut rand::rngs::OsRng);
                    let der = candidate.to_pkcs8_der().map_err(|_| anyhow::anyhow!("encoding the signing key"))?;
                    let now = store::now();
                    let elected =
                        store::keys::get_or_insert_secret(db, "first_signing_key", der.as_bytes(), now).await?;
                    let key = SigningKey::from_pkcs8_der(&elected)
                        .map_err(|_| anyhow::anyhow!("the stored first signing key is not PKCS#8 Ed25519"))?;
                    store::keys::insert_signing_key(db, &row_for(&key, now)?).await?;
                    rows = store::keys::find_active_signing_keys(db).await?;
                }
                rows
            }
        };
        Self::from_rows(&rows)
    }

    fn from_rows(rows: &[SigningKeyRow]) -> anyhow::Result<Self> {
        let current = rows.first().context("no signing key")?;
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
            encoding: EncodingKey::from_ed_der(&current.private_der),
            verifying,
            jwks_json: serde_json::json!({ "keys": jwks }).to_string(),
        })
    }

    /// The verifying key for a `kid`, if it is one of ours.
    pub fn verifying_key(&self, kid: &str) -> Option<&DecodingKey> {
        self.verifying.get(kid)
    }
}

fn row_for(key: &SigningKey, now: i64) -> anyhow::Result<SigningKeyRow> {
    let public = key.verifying_key().to_bytes();
    let der = key.to_pkcs8_der().map_err(|_| anyhow::anyhow!("encoding the signing key"))?;
    Ok(SigningKeyRow {
        kid: thumbprint(&public),
        private_der: der.as_bytes().to_vec(),
        public_key: public.to_vec(),
        created_at: now,
    })
}

/// RFC 7638 JWK thumbprint of an Ed25519 public key: a stable `kid`.
fn thumbprint(public: &[u8; 32]) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, URL_SAFE_NO_PAD.encode(public));
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}
