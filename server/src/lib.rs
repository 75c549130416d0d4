//! The cookie-held JWT session server.
//!
//! # Layout
//!
//! Modules run in layers, listed here from the bottom up: each one uses
//! only modules above it in this list (or in its own group), never one
//! below, so a `use crate::` always points up the page.
//!
//! 1. Leaves. [`config`]: typed configuration from environment variables;
//!    [`error`]: the one `ApiError` and its contract-shaped responses;
//!    [`telemetry`]: logging set-up.
//! 2. Storage. [`db`]: the pools; [`store`]: every SQL query, one module
//!    per table; [`maintenance`]: pruning old sessions and events.
//! 3. Values. [`domain`]: input newtypes validated at the edge;
//!    [`auth`]: keys, tokens, refresh tokens, sealing, cookies, passwords,
//!    the live-session gate and rate limits (none of them knows the state);
//!    [`client`]: who is calling.
//! 4. Recorders. [`audit`]: the audit log writer (and [`audit::Actor`]);
//!    [`metrics`]: the Prometheus registry; [`mail`]: the mail queue and
//!    its transport (SMTP or the outbox directory).
//! 5. [`state`]: [`state::AppState`], shared by every handler.
//! 6. Services. [`sessions`]: starting, rotating and ending sessions (every
//!    revocation goes through it); [`links`]: single-use links mailed to
//!    users; [`notices`]: security notices mailed to users; [`factors`]:
//!    second factors, pending sign-ins and freshness; [`passkeys`]: the
//!    WebAuthn relying party and its ceremonies; [`ops`]:
//!    operator actions shared by the API and the command line.
//! 7. The HTTP edge. [`extract`]: `AuthUser`, `RequireRole`, `Client` and
//!    the CSRF guard; [`routes`]: the HTTP surface, one module per
//!    resource.
//! 8. Entry points. [`startup`]: builds an [`startup::Application`]
//!    (database, migrations, keys, listener) and serves it until told to
//!    stop; [`cli`]: the command line.
//!
//! # Using it as a library
//!
//! Build an [`state::AppState`] with [`startup::build_state`], mount
//! [`auth_router`] in your axum app, and take [`AuthUser`] or
//! [`RequireRole`] in your own handlers (your state needs
//! `AppState: FromRef<YourState>`). `examples/mounted` shows it whole.

pub mod audit;
pub mod auth;
pub mod binding;
pub mod cli;
pub mod client;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod extract;
pub mod factors;
pub mod links;
pub mod mail;
pub mod maintenance;
pub mod metrics;
pub mod notices;
pub mod ops;
pub mod passkeys;
pub mod routes;
pub mod sessions;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;

pub use extract::{Admin, AuthUser, RequireRole, Role};
pub use routes::auth_router;
