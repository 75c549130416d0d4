//! jsonwebtoken's cryptography, EdDSA only.
//!
//! jsonwebtoken ships two backends: `rust_crypto`, which also brings RSA,
//! ECDSA and HMAC, and `aws_lc_rs`, a C library. Access tokens here are
//! only ever Ed25519 (`auth::tokens` refuses every other `alg` before
//! verifying), so this provider does Ed25519 with the `ed25519-dalek` the
//! key store already uses, and refuses every other algorithm. The RSA crate
//! stays out of the build, and with it a version conflict with webauthn-rs.
//!
//! [`install`] must run before the first token is signed or verified;
//! building the application state does it.

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

fn signer_factory(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
    if *algorithm != Algorithm::EdDSA || key.family() != AlgorithmFamily::Ed {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    let key = SigningKey::from_pkcs8_der(key.as_bytes()).map_err(|_| ErrorKind::InvalidEddsaKey)?;
    Ok(Box::new(EdSigner(key)))
}

fn verifier_factory(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    if *algorithm != Algorithm::EdDSA || key.family() != AlgorithmFamily::Ed {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    let bytes: &[u8; 32] = key.try_get_as_bytes()?.try_into().map_err(|_| ErrorKind::InvalidEddsaKey)?;
    let key = VerifyingKey::from_bytes(bytes).map_err(|_| ErrorKind::InvalidEddsaKey)?;
    Ok(Box::new(EdVerifier(key)))
}

struct EdSigner(SigningKey);

impl Signer<Vec<u8>> for EdSigner {
    fn try_sign(&self, message: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        Ok(ed25519_dalek::Signer::sign(&self.0, message).to_bytes().to_vec())
    }
}

impl JwtSigner for EdSigner {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}

struct EdVerifier(VerifyingKey);

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
        let hmac = EncodingKey::from_secret(b"a shared secret").expect("an HMAC key");
        assert!(jsonwebtoken::crypto::sign(b"m", &hmac, Algorithm::HS256).is_err());
        assert!(jsonwebtoken::crypto::sign(b"m", &encoding, Algorithm::ES256).is_err());
    }
}
