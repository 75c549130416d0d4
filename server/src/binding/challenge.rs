//! Challenges for device-binding proofs, without a table: a challenge names
//! a session, the refresh generation it was issued for and when it
//! expires, MAC'd under the refresh-token key (in a context of its own), so
//! every instance can check one and none has to remember it.
//!
//! Single use follows from the generation: a proof answers a challenge for
//! the session's live generation, and the rotation it buys moves that
//! generation on, so the same challenge never buys a second one.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use uuid::Uuid;

use crate::auth::mac_keys::RefreshKeys;

/// Domain separation from the refresh tokens under the same key.
const CONTEXT: &[u8] = b"cookie-auth dbsc challenge v1";
const BODY_LEN: usize = 16 + 8 + 8;
/// 128 bits of the HMAC-SHA-256 tag.
const TAG_LEN: usize = 16;

/// What a challenge names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Challenge {
    pub session_id: Uuid,
    pub generation: i64,
    /// Unix seconds.
    pub expires_at: i64,
}

impl Challenge {
    fn body(&self) -> [u8; BODY_LEN] {
        let mut body = [0u8; BODY_LEN];
        body[..16].copy_from_slice(self.session_id.as_bytes());
        body[16..24].copy_from_slice(&self.generation.to_be_bytes());
        body[24..].copy_from_slice(&self.expires_at.to_be_bytes());
        body
    }

    /// The challenge string (base64url: safe inside a structured-field
    /// string and as a JWT `jti`).
    pub fn encode(&self, keys: &RefreshKeys) -> String {
        let body = self.body();
        let tag = keys.tag(CONTEXT, &body);
        URL_SAFE_NO_PAD.encode([&body[..], &tag[..TAG_LEN]].concat())
    }

    /// A challenge this server issued (under the current MAC key or the
    /// previous one); `None` for anything else. Expiry is the caller's to
    /// judge: an expired challenge is answered differently from a forged one.
    pub fn decode(text: &str, keys: &RefreshKeys, now: i64) -> Option<Self> {
        if text.len() != ((BODY_LEN + TAG_LEN) * 4).div_ceil(3) {
            return None;
        }
        let raw = URL_SAFE_NO_PAD.decode(text).ok()?;
        let (body, tag) = raw.split_at_checked(BODY_LEN)?;
        if !keys.verify_tag_truncated(CONTEXT, body, tag, now) {
            return None;
        }
        Some(Self {
            session_id: Uuid::from_slice(&body[..16]).ok()?,
            generation: i64::from_be_bytes(body[16..24].try_into().ok()?),
            expires_at: i64::from_be_bytes(body[24..].try_into().ok()?),
        })
    }
}
