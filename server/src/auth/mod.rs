//! Authentication building blocks: signing keys and access tokens
//! ([`keys`], [`tokens`]), refresh tokens ([`refresh`]), the cookies that
//! carry both ([`cookies`]), password hashing ([`password`]), the
//! access-token extractor ([`extractor`]), the live-session check behind it
//! ([`gate`]), the cache of verified tokens in front of it ([`verified`]),
//! brute-force limits ([`limits`]), sessions ([`session`]) and the CSRF
//! guard ([`csrf`]).

pub mod cookies;
pub mod csrf;
pub mod extractor;
pub mod gate;
pub mod keys;
pub mod limits;
pub mod mac_keys;
pub mod password;
pub mod refresh;
pub mod sealing;
pub mod session;
pub mod tokens;
pub mod verified;

pub use extractor::{Admin, AuthUser, RequireRole, Role};
