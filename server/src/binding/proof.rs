//! The proofs a browser signs with its device key: a compact JWS with
//! `typ` `dbsc+jwt`, `alg` ES256 or RS256, and a payload whose `jti` is the
//! challenge it answers. A registration proof carries the public key as
//! `jwk`; a refresh proof must not (the key is the one registered).
//!
//! Nothing here trusts the header: the algorithm must match the key's kind,
//! RSA keys under 2048 bits are refused, and `alg: none`, HMAC and every
//! other algorithm are refused before any key is looked at.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use p256::ecdsa::signature::Verifier;
use rsa::{BoxedUint, RsaPublicKey, pkcs1v15, sha2::Sha256};
use serde::Deserialize;
use serde_json::Value;
use sha2::Digest;

/// The longest proof read: an RS256 registration with an 8192-bit key is
/// about 3 KiB.
const MAX_PROOF_LEN: usize = 8 * 1024;
/// The smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;
/// The `typ` every proof carries.
const TYP: &str = "dbsc+jwt";

/// Why a proof was refused: said in the `binding_proof_invalid` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the proof is not a compact JWS in base64url")]
    Malformed,
    #[error("the proof's typ must be dbsc+jwt")]
    WrongType,
    #[error("the proof's alg must be ES256 or RS256")]
    WrongAlgorithm,
    #[error("a registration proof must carry the device's public key as jwk")]
    MissingKey,
    #[error("a refresh proof must not carry a key: it is signed by the registered one")]
    UnexpectedKey,
    #[error("the proof's jwk is not a P-256 or RSA public key matching its alg")]
    BadKey,
    #[error("RSA device keys must have at least 2048 bits")]
    KeyTooSmall,
    #[error("the proof's signature does not verify")]
    BadSignature,
}

/// The two algorithms a device key may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    Es256,
    Rs256,
}

/// A device's public key, checked and ready to verify.
#[derive(Clone)]
pub struct DeviceKey {
    verifier: Verifying,
    /// The RFC 7638 members in canonical order: what is stored, and what
    /// the thumbprint hashes.
    pub canonical_jwk: String,
    /// RFC 7638 thumbprint (SHA-256, base64url): the access token's
    /// `cnf.jkt` and how a bound session names its key.
    pub thumbprint: String,
}

#[derive(Clone)]
enum Verifying {
    Es256(p256::ecdsa::VerifyingKey),
    Rs256(pkcs1v15::VerifyingKey<Sha256>),
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeviceKey({})", self.thumbprint)
    }
}

impl DeviceKey {
    /// The key in a JWK (what a registration proof carries, or what was
    /// stored), for `alg`.
    pub fn from_jwk(alg: Alg, jwk: &Value) -> Result<Self, Refusal> {
        let member = |name: &str| jwk.get(name).and_then(Value::as_str).ok_or(Refusal::BadKey);
        let bytes = |name: &str| member(name).and_then(|v| URL_SAFE_NO_PAD.decode(v).map_err(|_| Refusal::BadKey));
        match (alg, member("kty")?) {
            (Alg::Es256, "EC") => {
                if member("crv")? != "P-256" {
                    return Err(Refusal::BadKey);
                }
                let (x, y) = (bytes("x")?, bytes("y")?);
                if x.len() != 32 || y.len() != 32 {
                    return Err(Refusal::BadKey);
                }
                let sec1 = [&[0x04][..], &x, &y].concat();
                let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).map_err(|_| Refusal::BadKey)?;
                let canonical = format!(
                    r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
                    URL_SAFE_NO_PAD.encode(&x),
                    URL_SAFE_NO_PAD.encode(&y)
                );
                Ok(Self::new(Verifying::Es256(key), canonical))
            }
            (Alg::Rs256, "RSA") => {
                let (n, e) = (bytes("n")?, bytes("e")?);
                let n = strip_leading_zeros(&n);
                let e = strip_leading_zeros(&e);
                if bit_length(n) < MIN_RSA_BITS {
                    return Err(Refusal::KeyTooSmall);
                }
                if e.is_empty() || e.len() > 8 {
                    return Err(Refusal::BadKey);
                }
                let modulus = BoxedUint::from_be_slice_vartime(n);
                let exponent = BoxedUint::from_be_slice(e, 64).map_err(|_| Refusal::BadKey)?;
                let key = RsaPublicKey::new(modulus, exponent).map_err(|_| Refusal::BadKey)?;
                let canonical = format!(
                    r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                    URL_SAFE_NO_PAD.encode(e),
                    URL_SAFE_NO_PAD.encode(n)
                );
                Ok(Self::new(Verifying::Rs256(pkcs1v15::VerifyingKey::new(key)), canonical))
            }
            _ => Err(Refusal::BadKey),
        }
    }

    /// A key as stored on the session row (its canonical JWK).
    pub fn from_stored(canonical_jwk: &str) -> Result<Self, Refusal> {
        let jwk: Value = serde_json::from_str(canonical_jwk).map_err(|_| Refusal::BadKey)?;
        let alg = match jwk.get("kty").and_then(Value::as_str) {
            Some("EC") => Alg::Es256,
            Some("RSA") => Alg::Rs256,
            _ => return Err(Refusal::BadKey),
        };
        Self::from_jwk(alg, &jwk)
    }

    fn new(verifier: Verifying, canonical_jwk: String) -> Self {
        let thumbprint = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(canonical_jwk.as_bytes()));
        Self { verifier, canonical_jwk, thumbprint }
    }

    fn alg(&self) -> Alg {
        match self.verifier {
            Verifying::Es256(_) => Alg::Es256,
            Verifying::Rs256(_) => Alg::Rs256,
        }
    }

    /// Checks `proof` was signed by this key with this key's algorithm.
    pub fn verify(&self, proof: &Proof) -> Result<(), Refusal> {
        if proof.alg != self.alg() {
            return Err(Refusal::BadSignature);
        }
        let message = proof.signing_input.as_bytes();
        let verified = match &self.verifier {
            Verifying::Es256(key) => p256::ecdsa::Signature::from_slice(&proof.signature)
                .is_ok_and(|signature| key.verify(message, &signature).is_ok()),
            Verifying::Rs256(key) => pkcs1v15::Signature::try_from(proof.signature.as_slice())
                .is_ok_and(|signature| key.verify(message, &signature).is_ok()),
        };
        if verified { Ok(()) } else { Err(Refusal::BadSignature) }
    }
}

/// A parsed, not yet verified proof.
#[derive(Debug)]
pub struct Proof {
    pub alg: Alg,
    /// The `jwk` of the header, when there is one.
    jwk: Option<Value>,
    /// The challenge it answers.
    pub jti: String,
    signing_input: String,
    signature: Vec<u8>,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    typ: Option<String>,
    jwk: Option<Value>,
}

#[derive(Deserialize)]
struct Claims {
    jti: String,
}

impl Proof {
    /// Parses the `Secure-Session-Response` header's value: a bare compact
    /// JWS (what Chromium sends), or the same as a structured-field string
    /// in double quotes (what the spec describes).
    pub fn parse(value: &str) -> Result<Self, Refusal> {
        let value = value.trim();
        let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
        if value.len() > MAX_PROOF_LEN {
            return Err(Refusal::Malformed);
        }
        let mut parts = value.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Refusal::Malformed);
        };
        let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| Refusal::Malformed);
        let header: Header = serde_json::from_slice(&decode(header)?).map_err(|_| Refusal::Malformed)?;
        let claims: Claims = serde_json::from_slice(&decode(payload)?).map_err(|_| Refusal::Malformed)?;
        if header.typ.as_deref() != Some(TYP) {
            return Err(Refusal::WrongType);
        }
        let alg = match header.alg.as_str() {
            "ES256" => Alg::Es256,
            "RS256" => Alg::Rs256,
            _ => return Err(Refusal::WrongAlgorithm),
        };
        let signing_input = value[..value.len() - signature.len() - 1].to_owned();
        Ok(Self { alg, jwk: header.jwk, jti: claims.jti, signing_input, signature: decode(signature)? })
    }

    /// The key a registration proof carries, checked against its `alg`.
    pub fn registering_key(&self) -> Result<DeviceKey, Refusal> {
        let jwk = self.jwk.as_ref().ok_or(Refusal::MissingKey)?;
        DeviceKey::from_jwk(self.alg, jwk)
    }

    /// A refresh proof: signed by the registered key, carrying none.
    pub fn check_refresh(&self, key: &DeviceKey) -> Result<(), Refusal> {
        if self.jwk.is_some() {
            return Err(Refusal::UnexpectedKey);
        }
        key.verify(self)
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

fn bit_length(bytes: &[u8]) -> usize {
    match bytes.first() {
        Some(&first) => bytes.len() * 8 - first.leading_zeros() as usize,
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jws(header: &str, payload: &str, signature: &[u8]) -> String {
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(signature)
        )
    }

    #[test]
    fn only_es256_and_rs256_dbsc_proofs_parse() {
        let ok = jws(r#"{"alg":"ES256","typ":"dbsc+jwt"}"#, r#"{"jti":"c"}"#, &[1; 64]);
        assert_eq!(Proof::parse(&ok).unwrap().jti, "c");
        assert_eq!(Proof::parse(&format!("\"{ok}\"")).unwrap().alg, Alg::Es256);
        for (header, refusal) in [
            (r#"{"alg":"none","typ":"dbsc+jwt"}"#, Refusal::WrongAlgorithm),
            (r#"{"alg":"HS256","typ":"dbsc+jwt"}"#, Refusal::WrongAlgorithm),
            (r#"{"alg":"ES256","typ":"JWT"}"#, Refusal::WrongType),
            (r#"{"alg":"ES256"}"#, Refusal::WrongType),
        ] {
            assert_eq!(Proof::parse(&jws(header, r#"{"jti":"c"}"#, &[1; 64])).unwrap_err(), refusal, "{header}");
        }
        for junk in ["", "a.b", "a.b.c.d", "!!.??.**", &"a".repeat(MAX_PROOF_LEN + 1)] {
            assert_eq!(Proof::parse(junk).unwrap_err(), Refusal::Malformed, "{junk}");
        }
    }

    #[test]
    fn lengths_count_bits_not_bytes() {
        assert_eq!(bit_length(&[0x01, 0x00]), 9);
        assert_eq!(bit_length(strip_leading_zeros(&[0, 0, 0x80])), 8);
        assert_eq!(bit_length(&[]), 0);
    }
}
