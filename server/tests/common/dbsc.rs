//! A software DBSC client: what Chromium does for a device-bound session,
//! with a device key made in the test (P-256 or RSA), so a test can also do
//! what a browser never would: sign with the wrong key, send `alg: none`,
//! replay a proof, answer another session's challenge.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use p256::ecdsa::{Signature, SigningKey, signature::Signer};
use rsa::{RsaPrivateKey, pkcs1v15, sha2::Sha256, signature::SignatureEncoding, traits::PublicKeyParts};
use serde_json::{Value, json};

use super::Response;

/// The headers of the protocol.
pub const REGISTRATION: &str = "secure-session-registration";
pub const CHALLENGE: &str = "secure-session-challenge";
pub const PROOF: &str = "secure-session-response";
pub const SESSION_ID: &str = "sec-secure-session-id";
/// Where the server says a browser registers and refreshes.
pub const REGISTER_PATH: &str = "/api/auth/device-binding";
pub const REFRESH_PATH: &str = "/api/auth/device-binding/refresh";

/// A device key pair.
pub enum DeviceKey {
    P256(SigningKey),
    Rsa(Box<RsaPrivateKey>),
}

impl DeviceKey {
    pub fn p256() -> Self {
        loop {
            if let Ok(key) = SigningKey::from_slice(&rand::random::<[u8; 32]>()) {
                return Self::P256(key);
            }
        }
    }

    /// An RSA key of `bits` bits (made here: a second or so for 2048).
    pub fn rsa(bits: usize) -> Self {
        let key = RsaPrivateKey::new(&mut rand10::rng(), bits).expect("an RSA key");
        Self::Rsa(Box::new(key))
    }

    pub fn alg(&self) -> &'static str {
        match self {
            Self::P256(_) => "ES256",
            Self::Rsa(_) => "RS256",
        }
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> Value {
        match self {
            Self::P256(key) => {
                let point = key.verifying_key().to_sec1_point(false);
                let (x, y) = point.as_bytes()[1..].split_at(32);
                json!({"kty": "EC", "crv": "P-256", "x": b64(x), "y": b64(y)})
            }
            Self::Rsa(key) => json!({
                "kty": "RSA",
                "n": b64(&key.n().to_be_bytes_trimmed_vartime()),
                "e": b64(&key.e().to_be_bytes_trimmed_vartime()),
            }),
        }
    }

    /// A compact JWS of `header` and `payload` signed by this key.
    pub fn sign(&self, header: &Value, payload: &Value) -> String {
        let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(payload.to_string().as_bytes()));
        let signature = match self {
            Self::P256(key) => {
                let signature: Signature = key.sign(input.as_bytes());
                signature.to_bytes().to_vec()
            }
            Self::Rsa(key) => {
                let signer = pkcs1v15::SigningKey::<Sha256>::new(key.as_ref().clone());
                signer.sign(input.as_bytes()).to_vec()
            }
        };
        format!("{input}.{}", b64(&signature))
    }

    /// What Chromium sends to register: the key in the header.
    pub fn registration_proof(&self, challenge: &str) -> String {
        self.sign(&json!({"alg": self.alg(), "typ": "dbsc+jwt", "jwk": self.jwk()}), &json!({"jti": challenge}))
    }

    /// What Chromium sends to refresh: no key.
    pub fn refresh_proof(&self, challenge: &str) -> String {
        self.sign(&json!({"alg": self.alg(), "typ": "dbsc+jwt"}), &json!({"jti": challenge}))
    }
}

/// A JWS with any header, payload and signature bytes: forgeries.
pub fn forged(header: &Value, payload: &Value, signature: &[u8]) -> String {
    format!("{}.{}.{}", b64(header.to_string().as_bytes()), b64(payload.to_string().as_bytes()), b64(signature))
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The `Secure-Session-Registration` offer of a response: (path, challenge).
pub fn offer(response: &Response) -> Option<(String, String)> {
    let value = response.header(REGISTRATION)?;
    let (algs, params) = value.split_once(';')?;
    assert_eq!(algs, "(ES256 RS256)", "{value}");
    Some((param(params, "path")?, param(params, "challenge")?))
}

/// The `Secure-Session-Challenge` of a response: (challenge, session id).
pub fn challenge(response: &Response) -> Option<(String, String)> {
    let value = response.header(CHALLENGE)?;
    let (challenge, params) = value.split_once(';')?;
    Some((challenge.trim_matches('"').to_owned(), param(params, "id")?))
}

fn param(params: &str, name: &str) -> Option<String> {
    params
        .split(';')
        .find_map(|p| p.trim().strip_prefix(name)?.strip_prefix('='))
        .map(|v| v.trim_matches('"').to_owned())
}

/// The payload of a JWT (the access token), unverified: what a test
/// reads claims from.
pub fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON claims")
}
