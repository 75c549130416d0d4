//! Refresh tokens: `base64url(version ‖ session id ‖ generation ‖ MAC)`.
//!
//! The MAC is HMAC-SHA-256 under a 256-bit server secret, so a token is 256
//! unguessable bits bound to one session and one generation. The server
//! stores no token at all, only each session's live generation; it can
//! re-derive the live token, which is what lets a request that lost a
//! two-tab race receive the *same* token the winner got (see
//! `docs/ARCHITECTURE.md`, "Refresh tokens").

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

const VERSION: u8 = 1;
const RAW_LEN: usize = 1 + 16 + 8 + 32;
/// Domain separation: this key signs nothing else.
const CONTEXT: &[u8] = b"cookie-auth refresh token v1";

/// The server's refresh-token MAC key, kept as a keyed HMAC state that each
/// use clones (cheaper than re-keying, and infallible after construction).
pub struct RefreshKey(Hmac<Sha256>);

impl RefreshKey {
    pub fn from_bytes(bytes: &[u8]) -> anyhow::Result<Self> {
        if bytes.len() != 32 {
            anyhow::bail!("refresh key must be 32 bytes");
        }
        let mac = Hmac::<Sha256>::new_from_slice(bytes).map_err(|_| anyhow::anyhow!("refresh key"))?;
        Ok(Self(mac))
    }

    /// A fresh random key.
    pub fn random_bytes() -> [u8; 32] {
        rand::random()
    }

    /// The keyed MAC state for `context`: other uses of this key (the
    /// device-binding challenges) each name their own context, so no tag of
    /// one can pass for another.
    pub(crate) fn keyed(&self, context: &[u8]) -> Hmac<Sha256> {
        let mut mac = self.0.clone();
        mac.update(context);
        mac
    }

    fn mac(&self, session_id: &Uuid, generation: i64) -> Hmac<Sha256> {
        let mut mac = self.0.clone();
        mac.update(CONTEXT);
        mac.update(session_id.as_bytes());
        mac.update(&generation.to_be_bytes());
        mac
    }
}

/// What a refresh token names: a session and a generation of its family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshToken {
    pub session_id: Uuid,
    pub generation: i64,
}

impl RefreshToken {
    /// The token string for the cookie.
    pub fn encode(&self, key: &RefreshKey) -> String {
        let tag = key.mac(&self.session_id, self.generation).finalize().into_bytes();
        let mut raw = [0u8; RAW_LEN];
        raw[0] = VERSION;
        raw[1..17].copy_from_slice(self.session_id.as_bytes());
        raw[17..25].copy_from_slice(&self.generation.to_be_bytes());
        raw[25..].copy_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Parses and authenticates a token; `None` for anything not minted by
    /// this server with this key (the MAC is compared in constant time).
    pub fn decode(token: &str, key: &RefreshKey) -> Option<Self> {
        if token.len() != (RAW_LEN * 4).div_ceil(3) {
            return None;
        }
        let raw = URL_SAFE_NO_PAD.decode(token).ok()?;
        if raw.len() != RAW_LEN || raw[0] != VERSION {
            return None;
        }
        let session_id = Uuid::from_slice(&raw[1..17]).ok()?;
        let generation = i64::from_be_bytes(raw[17..25].try_into().ok()?);
        key.mac(&session_id, generation).verify_slice(&raw[25..]).ok()?;
        Some(Self { session_id, generation })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_round_trips_and_a_flipped_bit_is_refused() {
        let key = RefreshKey::from_bytes(&[7; 32]).unwrap();
        let token = RefreshToken { session_id: Uuid::new_v4(), generation: 41 };
        let encoded = token.encode(&key);
        assert_eq!(RefreshToken::decode(&encoded, &key), Some(token));

        let mut bytes = encoded.into_bytes();
        let last = bytes.len() - 2;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(RefreshToken::decode(std::str::from_utf8(&bytes).unwrap(), &key), None);
    }

    #[test]
    fn a_token_from_another_key_or_of_another_shape_is_refused() {
        let token = RefreshToken { session_id: Uuid::new_v4(), generation: 0 }
            .encode(&RefreshKey::from_bytes(&[1; 32]).unwrap());
        assert_eq!(RefreshToken::decode(&token, &RefreshKey::from_bytes(&[2; 32]).unwrap()), None);
        assert_eq!(RefreshToken::decode("", &RefreshKey::from_bytes(&[1; 32]).unwrap()), None);
        assert_eq!(RefreshToken::decode("a.b.c", &RefreshKey::from_bytes(&[1; 32]).unwrap()), None);
    }
}

/// Properties of encoding and decoding (proptest), moved here from
/// `tests/fuzz.rs`: a token round-trips, and nothing else decodes.
#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;
    use proptest::sample::{Index, select};
    use proptest::test_runner::contextualize_config;

    use super::*;

    /// Cases a property (unless `PROPTEST_CASES` says otherwise).
    const CASES: u32 = 256;

    /// `CASES` cases, no regression files, bounded shrinking.
    /// `PROPTEST_CASES=0` is refused: it would pass every property without
    /// checking anything.
    fn config() -> ProptestConfig {
        let config = contextualize_config(ProptestConfig {
            cases: CASES,
            failure_persistence: None,
            max_shrink_iters: 4096,
            max_shrink_time: 60_000,
            ..ProptestConfig::default()
        });
        assert!(config.cases > 0, "PROPTEST_CASES=0 would check nothing; set it to at least 1");
        config
    }

    fn refresh_key(seed: u8) -> RefreshKey {
        RefreshKey::from_bytes(&[seed; 32]).expect("a 32-byte refresh key")
    }

    fn b64(bytes: impl AsRef<[u8]>) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Any string up to `max` chars: every Unicode scalar, controls and NUL too.
    fn text(max: usize) -> BoxedStrategy<String> {
        prop::collection::vec(any::<char>(), 0..=max).prop_map(|chars| chars.into_iter().collect()).boxed()
    }

    /// A character for editing a token: base64url mostly, any visible ASCII
    /// but `;` (which would end the cookie) otherwise.
    fn edit_char() -> BoxedStrategy<char> {
        const BASE64URL: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        prop_oneof![
            3 => select(BASE64URL.chars().collect::<Vec<_>>()),
            1 => prop::char::range('!', '~').prop_filter("not a cookie separator", |c| *c != ';'),
        ]
        .boxed()
    }

    /// One edit of a token's text.
    #[derive(Debug, Clone)]
    enum Edit {
        Replace(Index, char),
        Delete(Index),
        Insert(Index, char),
        Truncate(Index),
    }

    fn edits() -> BoxedStrategy<Edit> {
        prop_oneof![
            4 => (any::<Index>(), edit_char()).prop_map(|(at, c)| Edit::Replace(at, c)),
            1 => any::<Index>().prop_map(Edit::Delete),
            1 => (any::<Index>(), edit_char()).prop_map(|(at, c)| Edit::Insert(at, c)),
            1 => any::<Index>().prop_map(Edit::Truncate),
        ]
        .boxed()
    }

    impl Edit {
        /// `token` with this edit; never `token` itself (tokens are ASCII).
        fn apply(&self, token: &str) -> String {
            let mut chars: Vec<char> = token.chars().collect();
            if chars.is_empty() {
                return "x".to_owned();
            }
            match self {
                Edit::Replace(at, c) => {
                    let i = at.index(chars.len());
                    let c = if *c != chars[i] {
                        *c
                    } else if chars[i] == 'A' {
                        'B'
                    } else {
                        'A'
                    };
                    chars[i] = c;
                }
                Edit::Delete(at) => {
                    chars.remove(at.index(chars.len()));
                }
                Edit::Insert(at, c) => chars.insert(at.index(chars.len() + 1), *c),
                Edit::Truncate(at) => chars.truncate(at.index(chars.len())),
            }
            chars.into_iter().collect()
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn refresh_tokens_round_trip(session in any::<[u8; 16]>(), generation in any::<i64>()) {
            let key = refresh_key(1);
            let token = RefreshToken { session_id: Uuid::from_bytes(session), generation };
            prop_assert_eq!(RefreshToken::decode(&token.encode(&key), &key), Some(token));
        }

        #[test]
        fn refresh_tokens_with_one_edit_are_refused(
            session in any::<[u8; 16]>(),
            generation in any::<i64>(),
            edit in edits(),
        ) {
            let key = refresh_key(1);
            let encoded = RefreshToken { session_id: Uuid::from_bytes(session), generation }.encode(&key);
            let edited = edit.apply(&encoded);
            prop_assume!(edited != encoded);
            prop_assert_eq!(RefreshToken::decode(&edited, &key), None);
        }

        #[test]
        fn refresh_tokens_of_another_key_are_refused(
            session in any::<[u8; 16]>(),
            generation in any::<i64>(),
            (one, other) in (any::<u8>(), any::<u8>()).prop_filter("two keys", |(a, b)| a != b),
        ) {
            let token = RefreshToken { session_id: Uuid::from_bytes(session), generation };
            prop_assert_eq!(RefreshToken::decode(&token.encode(&refresh_key(one)), &refresh_key(other)), None);
        }

        #[test]
        fn refresh_decoding_refuses_arbitrary_text(
            input in prop_oneof![text(120), "[A-Za-z0-9_-]{76}", "[A-Za-z0-9_-]{70,80}"],
            mut raw in prop::collection::vec(any::<u8>(), 57..=57),
        ) {
            let key = refresh_key(1);
            prop_assert_eq!(RefreshToken::decode(&input, &key), None);
            // The right length and version byte, but no valid MAC.
            raw[0] = 1;
            prop_assert_eq!(RefreshToken::decode(&b64(raw), &key), None);
        }
    }
}
