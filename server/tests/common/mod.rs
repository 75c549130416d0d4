//! Test harness: a real server on port 0 with its own SQLite file in a temp
//! dir — or, when `TEST_DATABASE_URL` names a PostgreSQL server, its own
//! fresh PostgreSQL database — a tiny cookie jar, and helpers that speak the
//! HTTP contract (`docs/API.md`).
//!
//! Layout (everything is re-exported here, so `use common::*;` is enough):
//!
//! - `app`: `TestApp`, the server under test (with or without a signed-in
//!   admin), and the per-test database.
//! - `api`: `Api`, a client for one server; the fully read `Response`; `User`.
//! - `cookies`: the cookie `Jar` and the parsed `SetCookie`.
//! - `asserts`: assertions on the contract's answers.
//! - `passkey`: a software WebAuthn authenticator.
//! - `process`: the real `server` binary as a child process.
//! - `races`: many sessions refreshed at once.
//!
//! Every test binary includes this module (`mod common;`) and uses a
//! different part of it, hence the blanket `dead_code` allowance (it covers
//! the submodules too) and the `unused_imports` one on the re-exports.
#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

mod api;
mod app;
mod asserts;
mod cookies;
pub mod dbsc;
mod mail;
pub mod passkey;
pub mod process;
pub mod races;

// `self::` because a bare `app::` would also name the `app` crate.
#[allow(unused_imports)]
pub use self::api::{Api, Response, User};
#[allow(unused_imports)]
pub use self::app::{PG_TEST_DB_PREFIX, TestApp, database_url_for, postgres_database_for};
#[allow(unused_imports)]
pub use self::asserts::{
    assert_clears_both_cookies, assert_clears_cookie, assert_client_error, assert_error, assert_invalid_field,
    assert_no_store, assert_not_echoed, assert_rate_limited, assert_status,
};
#[allow(unused_imports)]
pub use self::cookies::{Jar, SetCookie};
#[allow(unused_imports)]
pub use self::mail::{ReceivedMail, link_token, read_outbox};

pub const DEFAULT_ACCESS_COOKIE: &str = "__Host-access";
pub const DEFAULT_REFRESH_COOKIE: &str = "__Secure-refresh";
/// Access token life when `AUTH_ACCESS_TTL_SECS` is unset.
pub const DEFAULT_ACCESS_TTL: i64 = 900;
/// Refresh token life when `AUTH_REFRESH_IDLE_SECS` is unset.
pub const DEFAULT_REFRESH_IDLE: i64 = 604_800;
/// A password that passes validation.
pub const PASSWORD: &str = "correct horse battery staple";
/// How long a revoked session's access token may keep working (the server
/// caches session checks for about a second; we allow two).
pub const REVOCATION_WAIT: Duration = Duration::from_secs(2);
/// The admin [`TestApp::spawn_with_admin`] seeds (`AUTH_ADMIN_EMAIL`).
pub const ADMIN_EMAIL: &str = "admin@example.com";
/// That admin's password (`AUTH_ADMIN_PASSWORD`).
pub const ADMIN_PASSWORD: &str = "admin-password-123";
/// The settings that seed that admin, for a server started another way;
/// [`Api::sign_in_admin`] signs it in.
pub const ADMIN_VARS: [(&str, &str); 2] = [("AUTH_ADMIN_EMAIL", ADMIN_EMAIL), ("AUTH_ADMIN_PASSWORD", ADMIN_PASSWORD)];

/// Unix seconds now, from the test's clock (same machine as the server).
pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_secs() as i64
}

/// An email no other test uses.
pub fn unique_email() -> String {
    format!("user-{}@example.com", uuid::Uuid::new_v4().simple())
}
