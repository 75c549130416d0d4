//! Authentication building blocks, below the state: signing keys and
//! access tokens ([`keys`], [`tokens`], with the EdDSA-only backend of
//! [`jwt_crypto`]), the cache of verified tokens
//! ([`verified`]), refresh tokens and their MAC keys ([`refresh`],
//! [`mac_keys`]), sealing secrets at rest ([`sealing`]), the cookies that
//! carry the tokens ([`cookies`]), password hashing ([`password`]), the
//! live-session check ([`gate`]) and brute-force limits ([`limits`]).
//! None of them knows the application state; the extractors built on them
//! live in [`crate::extract`], the session state machine in
//! [`crate::sessions`].

pub mod cookies;
pub mod gate;
pub mod jwt_crypto;
pub mod keys;
pub mod limits;
pub mod mac_keys;
pub mod otp;
pub mod password;
pub mod refresh;
pub mod sealing;
pub mod tokens;
pub mod verified;
