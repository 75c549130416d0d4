//! `Client`: who is calling, for session records and rate limits. The peer
//! address comes from the connection; `X-Forwarded-For` is believed only
//! when the peer is a configured proxy (`AUTH_TRUSTED_PROXIES`).

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{header, request::Parts},
};

use crate::{auth::session::truncate, state::AppState};

#[derive(Debug, Clone)]
pub struct Client {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl Client {
    /// The rate-limit key of this caller's address.
    pub fn ip_key(&self) -> String {
        crate::auth::limits::address_key(self.ip)
    }
}

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let ip = match peer {
            Some(peer) if state.config.trusted_proxies.contains(&peer) => forwarded_for(parts).or(Some(peer)),
            other => other,
        };
        let user_agent =
            parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(|ua| truncate(ua, 512));
        Ok(Self { ip, user_agent })
    }
}

/// The right-most address in `X-Forwarded-For`: the one our proxy saw.
fn forwarded_for(parts: &Parts) -> Option<IpAddr> {
    let value = parts.headers.get_all("x-forwarded-for").iter().next_back()?.to_str().ok()?;
    value.rsplit(',').next()?.trim().parse().ok()
}
