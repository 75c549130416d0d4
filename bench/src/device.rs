//! A software DBSC device for the bound-refresh scenarios: a P-256 key made
//! per user, and the proofs a browser signs with it (`docs/API.md`,
//! "Device-bound sessions").

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hyper::{HeaderMap, header::HeaderValue};
use p256::ecdsa::{Signature, SigningKey, signature::Signer};

/// The offer on a response that starts a session.
pub const REGISTRATION: &str = "secure-session-registration";
/// A challenge, sent ahead or with a `403`.
pub const CHALLENGE: &str = "secure-session-challenge";
/// The proof a request carries.
pub const PROOF: &str = "secure-session-response";

pub struct Device {
    key: SigningKey,
}

impl Device {
    pub fn new() -> Self {
        loop {
            if let Ok(key) = SigningKey::from_slice(&rand::random::<[u8; 32]>()) {
                return Self { key };
            }
        }
    }

    /// The registration proof: the public key in the header.
    pub fn registration_proof(&self, challenge: &str) -> HeaderValue {
        let point = self.key.verifying_key().to_sec1_point(false);
        let (x, y) = point.as_bytes()[1..].split_at(32);
        let header = format!(
            r#"{{"alg":"ES256","typ":"dbsc+jwt","jwk":{{"kty":"EC","crv":"P-256","x":"{}","y":"{}"}}}}"#,
            URL_SAFE_NO_PAD.encode(x),
            URL_SAFE_NO_PAD.encode(y)
        );
        self.sign(&header, challenge)
    }

    /// A refresh proof: signed by the registered key, carrying none.
    pub fn refresh_proof(&self, challenge: &str) -> HeaderValue {
        self.sign(r#"{"alg":"ES256","typ":"dbsc+jwt"}"#, challenge)
    }

    fn sign(&self, header: &str, challenge: &str) -> HeaderValue {
        let payload = format!(r#"{{"jti":"{challenge}"}}"#);
        let input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(payload));
        let signature: Signature = self.key.sign(input.as_bytes());
        let jws = format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()));
        HeaderValue::from_str(&jws).expect("base64url and dots are header text")
    }
}

/// The challenge of a `Secure-Session-Registration` offer.
pub fn offered(headers: &HeaderMap) -> Option<String> {
    param(headers.get(REGISTRATION)?.to_str().ok()?, "challenge")
}

/// The challenge of a `Secure-Session-Challenge: "<c>";id="…"`.
pub fn challenge(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(CHALLENGE)?.to_str().ok()?;
    Some(value.split(';').next()?.trim_matches('"').to_owned())
}

fn param(value: &str, name: &str) -> Option<String> {
    value
        .split(';')
        .find_map(|part| part.trim().strip_prefix(name)?.strip_prefix('='))
        .map(|v| v.trim_matches('"').to_owned())
}
