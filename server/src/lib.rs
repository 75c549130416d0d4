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

pub mod auth;
pub mod client;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod routes;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
