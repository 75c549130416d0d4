//! Secrets at rest: the refresh MAC keys and the private signing keys the
//! database keeps. With `AUTH_SECRET_KEY_FILE` set they are stored sealed
//! under that key (XChaCha20-Poly1305, a random nonce per value, the
//! secret's name as associated data, so a sealed value cannot be moved to
//! another row), and a copy of the database alone mints nothing. Without it
//! they are stored as they are, as before.
//!
//! Sealed values start with [`MAGIC`]; nothing stored in the clear can (a
//! MAC key is exactly 32 bytes, a PKCS#8 key starts with an ASN.1 SEQUENCE).

use std::path::Path;

use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, KeyInit, Payload},
};

use crate::config::ConfigError;

const MAGIC: &[u8] = b"sealed1:";
const NONCE_LEN: usize = 24;

/// Seals and opens stored secrets; `Clear` when no key is configured.
pub enum Sealer {
    Clear,
    Sealed(Box<XChaCha20Poly1305>),
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Clear => "Sealer::Clear",
            Self::Sealed(_) => "Sealer::Sealed(<key>)",
        })
    }
}

fn key_error(reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { name: "AUTH_SECRET_KEY_FILE", reason: reason.into() }
}

impl Sealer {
    /// Reads the key file: 32 bytes written as 64 hex digits (whitespace
    /// around them ignored), e.g. made by `openssl rand -hex 32`.
    pub fn from_file(path: Option<&Path>) -> Result<Self, ConfigError> {
        let Some(path) = path else { return Ok(Self::Clear) };
        let text =
            std::fs::read_to_string(path).map_err(|err| key_error(format!("cannot read {}: {err}", path.display())))?;
        let hex = text.trim();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(key_error("the file must hold 64 hex digits (32 bytes), e.g. from `openssl rand -hex 32`"));
        }
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| key_error("not hex"))?;
        }
        Ok(Self::Sealed(Box::new(XChaCha20Poly1305::new(&key.into()))))
    }

    /// True when a key is configured.
    pub fn is_sealing(&self) -> bool {
        matches!(self, Self::Sealed(_))
    }

    /// True when `stored` is a sealed value (whatever the key).
    pub fn is_sealed(stored: &[u8]) -> bool {
        stored.starts_with(MAGIC)
    }

    /// The form to store `secret` (named `name`) in.
    pub fn seal(&self, name: &str, secret: &[u8]) -> anyhow::Result<Vec<u8>> {
        let Self::Sealed(cipher) = self else { return Ok(secret.to_vec()) };
        let nonce: [u8; NONCE_LEN] = rand::random();
        let sealed = cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: secret, aad: name.as_bytes() })
            .map_err(|_| anyhow::anyhow!("sealing the secret {name}"))?;
        Ok([MAGIC, &nonce, &sealed].concat())
    }

    /// The secret behind a stored value. A sealed value without a key, a
    /// clear one with a key (not yet converted: see [`Sealer::needs_sealing`]
    /// — it is still returned) or one that does not open are errors that
    /// name the variable.
    pub fn open(&self, name: &str, stored: &[u8]) -> anyhow::Result<Vec<u8>> {
        match (self, stored.strip_prefix(MAGIC)) {
            (_, None) => Ok(stored.to_vec()),
            (Self::Clear, Some(_)) => {
                Err(key_error(format!("the database keeps {name} sealed; set the key file it was sealed with")).into())
            }
            (Self::Sealed(cipher), Some(rest)) => {
                if rest.len() < NONCE_LEN {
                    anyhow::bail!("the stored secret {name} is truncated");
                }
                let (nonce, sealed) = rest.split_at(NONCE_LEN);
                cipher.decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad: name.as_bytes() }).map_err(|_| {
                    key_error(format!("{name} does not open with this key (another key sealed it?)")).into()
                })
            }
        }
    }

    /// True when `stored` is in the clear but a key is configured: it is to
    /// be sealed now.
    pub fn needs_sealing(&self, stored: &[u8]) -> bool {
        self.is_sealing() && !Self::is_sealed(stored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(hex_digit: char) -> Sealer {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, hex_digit.to_string().repeat(64)).unwrap();
        Sealer::from_file(Some(&path)).unwrap()
    }

    #[test]
    fn a_sealed_secret_opens_only_under_its_key_and_its_name() {
        let (one, other) = (sealer('a'), sealer('b'));
        let sealed = one.seal("refresh_mac_key", &[7; 32]).unwrap();

        assert!(Sealer::is_sealed(&sealed));
        assert!(!sealed.windows(32).any(|w| w == [7; 32]), "the secret is not in the sealed bytes");
        assert_eq!(one.open("refresh_mac_key", &sealed).unwrap(), vec![7; 32]);
        assert!(other.open("refresh_mac_key", &sealed).is_err(), "another key");
        assert!(one.open("first_signing_key", &sealed).is_err(), "another row");
        assert!(Sealer::Clear.open("refresh_mac_key", &sealed).is_err(), "no key");
    }

    #[test]
    fn a_key_file_must_hold_64_hex_digits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        for bad in ["", "abc", &"g".repeat(64), &"a".repeat(63)] {
            std::fs::write(&path, bad).unwrap();
            let err = Sealer::from_file(Some(&path)).unwrap_err();
            assert!(err.to_string().contains("AUTH_SECRET_KEY_FILE"), "{err}");
        }
        assert!(Sealer::from_file(Some(&dir.path().join("missing"))).is_err());
    }
}
