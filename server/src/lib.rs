//! The cookie-held JWT session server.
//!
//! # Layout
//!
//! - [`config`]: typed configuration from environment variables.
//! - [`startup`]: builds an [`startup::Application`] (database, migrations,
//!   keys, listener) and serves it until told to stop.
//! - [`state`]: [`state::AppState`], shared by every handler.
//! - [`routes`]: the HTTP surface, one module per resource.
//! - [`auth`]: tokens, cookies, passwords, the `AuthUser` extractor, CSRF.
//! - [`store`]: every SQL query, one module per table; [`db`] the pools.
//! - [`domain`]: input newtypes validated at the edge; [`client`] the caller's address.
//! - [`error`]: the one `ApiError` and its contract-shaped responses.
//! - [`audit`]: the audit log writer; [`metrics`]: Prometheus metrics;
//!   [`maintenance`]: pruning old sessions and events.
//! - [`ops`]: operator actions shared by the API and the CLI ([`cli`]):
//!   users, roles, sessions, keys.
//!
//! # Using it as a library
//!
//! Build an [`state::AppState`] with [`startup::build_state`], mount
//! [`auth_router`] in your axum app, and take [`auth::AuthUser`] or
//! [`auth::RequireRole`] in your own handlers (your state needs
//! `AppState: FromRef<YourState>`). `examples/mounted` shows it whole.

pub mod audit;
pub mod auth;
pub mod cli;
pub mod client;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod maintenance;
pub mod metrics;
pub mod ops;
pub mod routes;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;

pub use routes::auth_router;
