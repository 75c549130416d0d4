//! What handlers take from a request, above the state: the caller's
//! identity ([`user`]: [`AuthUser`], [`RequireRole`]), who is calling
//! ([`crate::client::Client`]) and the CSRF guard layer ([`csrf`]).

pub mod csrf;
pub mod user;

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::request::Parts,
};

pub use user::{Admin, AuthUser, RequireRole, Role, SignedIn};

use crate::{client::Client, state::AppState};

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        Ok(Client::from_request(peer, &parts.headers, &state.config.trusted_proxies))
    }
}
