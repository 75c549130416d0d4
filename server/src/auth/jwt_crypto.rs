//! jsonwebtoken's cryptography, EdDSA only.
//!
//! jsonwebtoken ships two backends: `rust_crypto`, which also brings RSA,
//! ECDSA and HMAC, and `aws_lc_rs`, a C library. Access tokens here are
//! only ever Ed25519 (`auth::tokens` refuses every other `alg` before
//! verifying), so this provider does Ed25519 with the `ed25519-dalek` the
//! key store already uses, and refuses every other algorithm. The RSA crate
//! stays out of the build, and with it a version conflict with webauthn-rs.
//!
//! Keys are derived once: an Ed25519 signing key from its PKCS#8 bytes
//! costs a scalar multiplication (its public half), a verifying key a point
//! decompression, each about as much as the signature itself. jsonwebtoken
//! hands the factories the raw key bytes on every call, so the factories
//! keep the few keys in use (the current one, and the previous one during a
//! rotation) by those bytes.
//!
//! [`install`] must run before the first token is signed or verified;
//! building the application state does it.

use std::sync::{Arc, Mutex};

use ed25519_dalek::{Signature, SigningKey, VerifyingKey, pkcs8::DecodePrivateKey};
use jsonwebtoken::{
    Algorithm, AlgorithmFamily, DecodingKey, EncodingKey,
    crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils},
    errors::{ErrorKind, Result},
    signature::{self, Signer, Verifier},
};

/// The provider; JWK helpers are not needed (`auth::keys` writes the JWKS).
static PROVIDER: CryptoProvider =
    CryptoProvider { signer_factory, verifier_factory, key_utils: KeyUtils::new_unimplemented() };

/// Makes this the process's provider. Idempotent.
pub fn install() {
    // `Err` only means it is installed already: by an earlier call.
    let _ = PROVIDER.install_default();
}

/// Keys in use, by the bytes they were made from; the oldest goes first.
struct KeyCache<K> {
    keys: Mutex<Vec<(Vec<u8>, Arc<K>)>>,
}

/// More than the keys in use at once (current, previous, one loaded early).
const CACHED_KEYS: usize = 4;

static SIGNING_KEYS: KeyCache<SigningKey> = KeyCache::new();
static VERIFYING_KEYS: KeyCache<VerifyingKey> = KeyCache::new();

impl<K> KeyCache<K> {
    const fn new() -> Self {
        Self { keys: Mutex::new(Vec::new()) }
    }

    /// The key made from `bytes`, made by `make` the first time.
    fn get(&self, bytes: &[u8], make: impl FnOnce(&[u8]) -> Result<K>) -> Result<Arc<K>> {
        let found = |keys: &Vec<(Vec<u8>, Arc<K>)>| keys.iter().find(|(b, _)| b == bytes).map(|(_, k)| k.clone());
        if let Some(key) = self.keys.lock().ok().and_then(|keys| found(&keys)) {
            return Ok(key);
        }
        let key = Arc::new(make(bytes)?);
        if let Ok(mut keys) = self.keys.lock() {
            if keys.len() >= CACHED_KEYS {
                keys.remove(0);
            }
            keys.push((bytes.to_vec(), key.clone()));
        }
        Ok(key)
    }
}

fn signer_factory(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
    if *algorithm != Algorithm::EdDSA || key.family() != AlgorithmFamily::Ed {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    let key = SIGNING_KEYS
        .get(key.as_bytes(), |der| SigningKey::from_pkcs8_der(der).map_err(|_| ErrorKind::InvalidEddsaKey.into()))?;
    Ok(Box::new(EdSigner(key)))
}

fn verifier_factory(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    if *algorithm != Algorithm::EdDSA || key.family() != AlgorithmFamily::Ed {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    let key = VERIFYING_KEYS.get(key.try_get_as_bytes()?, |bytes| {
        let bytes: &[u8; 32] = bytes.try_into().map_err(|_| ErrorKind::InvalidEddsaKey)?;
        VerifyingKey::from_bytes(bytes).map_err(|_| ErrorKind::InvalidEddsaKey.into())
    })?;
    Ok(Box::new(EdVerifier(key)))
}

struct EdSigner(Arc<SigningKey>);

impl Signer<Vec<u8>> for EdSigner {
    fn try_sign(&self, message: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        Ok(ed25519_dalek::Signer::sign(self.0.as_ref(), message).to_bytes().to_vec())
    }
}

impl JwtSigner for EdSigner {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}

struct EdVerifier(Arc<VerifyingKey>);

impl Verifier<Vec<u8>> for EdVerifier {
    fn verify(&self, message: &[u8], signature: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        let signature = Signature::from_slice(signature).map_err(|_| signature::Error::new())?;
        // Strict: no malleable signatures, no small-order keys.
        self.0.verify_strict(message, &signature).map_err(|_| signature::Error::new())
    }
}

impl JwtVerifier for EdVerifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_pair() -> (EncodingKey, DecodingKey) {
        use ed25519_dalek::pkcs8::EncodePrivateKey;
        let signing = SigningKey::from_bytes(&[7; 32]);
        let der = signing.to_pkcs8_der().expect("encode the key");
        (EncodingKey::from_ed_der(der.as_bytes()), DecodingKey::from_ed_der(signing.verifying_key().as_bytes()))
    }

    #[test]
    fn signs_and_verifies_ed25519_and_nothing_else() {
        install();
        let (encoding, decoding) = key_pair();

        let signature = jsonwebtoken::crypto::sign(b"header.claims", &encoding, Algorithm::EdDSA).expect("sign");

        assert!(jsonwebtoken::crypto::verify(&signature, b"header.claims", &decoding, Algorithm::EdDSA).unwrap());
        assert!(!jsonwebtoken::crypto::verify(&signature, b"header.claimz", &decoding, Algorithm::EdDSA).unwrap());
        // Another key is another key, not the cached one.
        let other = {
            use ed25519_dalek::pkcs8::EncodePrivateKey;
            let der = SigningKey::from_bytes(&[9; 32]).to_pkcs8_der().expect("encode the key");
            EncodingKey::from_ed_der(der.as_bytes())
        };
        let forged = jsonwebtoken::crypto::sign(b"header.claims", &other, Algorithm::EdDSA).expect("sign");
        assert_ne!(forged, signature);
        assert!(!jsonwebtoken::crypto::verify(&forged, b"header.claims", &decoding, Algorithm::EdDSA).unwrap());
        let hmac = EncodingKey::from_secret(b"a shared secret").expect("an HMAC key");
        assert!(jsonwebtoken::crypto::sign(b"m", &hmac, Algorithm::HS256).is_err());
        assert!(jsonwebtoken::crypto::sign(b"m", &encoding, Algorithm::ES256).is_err());
    }
}
