//! A host application that uses the auth server as a library.
//!
//! It demonstrates:
//!
//! - a host state of its own ([`HostState`]) that *contains* the auth
//!   server's [`AppState`]; one `FromRef` impl is all the extractors need;
//! - host routes guarded by [`AuthUser`] (any signed-in user) and
//!   [`RequireRole<Admin>`] (role `admin`), answering the contract's
//!   `401 unauthenticated` / `403 forbidden` JSON errors;
//! - [`server::auth_router`] merged in: `/api/*` (register, login, refresh,
//!   logout, sessions, me, admin), `/.well-known/jwks.json` and `/healthz`,
//!   without the Leptos pages.
//!
//! The access cookie is read straight from the `Cookie` header, so the host
//! needs no cookie layer of its own. Serve the router with
//! `into_make_service_with_connect_info::<SocketAddr>()`: the auth routes use
//! the peer address for rate limits and session records.

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::{FromRef, State},
    routing::get,
};
use serde_json::{Value, json};
use server::{
    config::Config,
    extract::{Admin, AuthUser, RequireRole},
    state::AppState,
};

/// What `GET /hello` answers with.
pub const GREETING: &str = "hello from the host app";

/// The host's own state. The auth server's state is one field of it.
#[derive(Clone)]
pub struct HostState {
    pub auth: AppState,
    pub greeting: Arc<str>,
}

/// Lets `AuthUser` and `RequireRole<_>` find the auth state inside ours.
impl FromRef<HostState> for AppState {
    fn from_ref(host: &HostState) -> Self {
        host.auth.clone()
    }
}

/// Connects the database, runs migrations, loads keys, seeds the admin
/// (`server::startup::build_state`), and returns the whole router: the
/// host's routes plus the auth routes.
pub async fn build(config: Config) -> anyhow::Result<Router> {
    let auth = server::startup::build_state(config).await?;
    let host = HostState { auth: auth.clone(), greeting: Arc::from(GREETING) };
    Ok(routes().with_state(host).merge(server::auth_router(auth)))
}

/// The host's own routes, before state is applied.
pub fn routes() -> Router<HostState> {
    Router::new().route("/hello", get(hello)).route("/private", get(private)).route("/reports", get(reports))
}

/// Public.
async fn hello(State(host): State<HostState>) -> Json<Value> {
    Json(json!({ "message": &*host.greeting }))
}

/// Any signed-in user; `401 unauthenticated` otherwise.
async fn private(user: AuthUser) -> Json<Value> {
    let email = user.email().unwrap_or("there");
    Json(json!({ "message": format!("hello {email}"), "user_id": user.user_id() }))
}

/// Role `admin` only: `401` without a session, `403 forbidden` without the role.
async fn reports(admin: RequireRole<Admin>) -> Json<Value> {
    tracing::info!(user_id = %admin.user_id(), "reports listed");
    Json(json!({ "reports": [] }))
}
