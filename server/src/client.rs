//! `Client`: who is calling, for session records, audit events and rate
//! limits. The peer address comes from the connection; `X-Forwarded-For`
//! is believed only when the peer is a configured proxy
//! (`AUTH_TRUSTED_PROXIES`). Handlers take it as an extractor
//! (`crate::extract`).

use std::net::IpAddr;

use axum::http::{HeaderMap, header};

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

    /// The caller as the request shows it: `peer` (the connection's
    /// address), or the address `X-Forwarded-For` names when `peer` is one
    /// of `trusted_proxies`.
    pub fn from_request(peer: Option<IpAddr>, headers: &HeaderMap, trusted_proxies: &[IpAddr]) -> Self {
        let ip = match peer {
            Some(peer) if trusted_proxies.contains(&peer) => forwarded_for(headers).or(Some(peer)),
            other => other,
        };
        let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(|ua| truncate(ua, 512));
        Self { ip, user_agent }
    }
}

/// The right-most address in `X-Forwarded-For`: the one our proxy saw.
fn forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    let value = headers.get_all("x-forwarded-for").iter().next_back()?.to_str().ok()?;
    value.rsplit(',').next()?.trim().parse().ok()
}

/// Cuts a string to at most `max` bytes on a character boundary.
pub fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}
