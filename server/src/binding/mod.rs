//! Device-bound sessions (W3C DBSC): a browser that can keeps a key pair it
//! cannot export, and a session bound to it refreshes only with a proof
//! signed by that key. Copied cookies are then worth one access token's
//! life at most.
//!
//! - Every response that starts a session, or renews one through the
//!   scheduler's refresh or the page resume hop, offers binding
//!   (`Secure-Session-Registration`, added by [`offer`]).
//! - The browser registers at [`REGISTER_PATH`] (`routes/binding.rs`); the
//!   session row keeps the public key, and the rotation that answers binds
//!   the new tokens to it (`cnf.jkt`).
//! - From then on the browser refreshes the access cookie itself at
//!   [`REFRESH_PATH`], answering a [`challenge::Challenge`] each time; the
//!   unproven refresh and resume are refused for that session.
//!
//! The browser app is the fallback for every other browser: it keeps its
//! own refresh scheduler for unbound sessions.

pub mod challenge;
pub mod proof;

use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, header},
    middleware::Next,
    response::Response,
};
use serde_json::{Value, json};
use tower_cookies::Cookie;
use uuid::Uuid;

use self::challenge::Challenge;
use crate::{
    audit::{Event, EventKind},
    auth::{cookies, refresh::RefreshToken},
    client::Client,
    config::{Config, origin_host},
    error::ApiError,
    metrics::BindingOutcome,
    state::AppState,
};

/// Where a browser registers its key: under the refresh cookie's path, so
/// the cookie comes along.
pub const REGISTER_PATH: &str = "/api/auth/device-binding";
/// Where a browser refreshes a bound session (the `refresh_url`).
pub const REFRESH_PATH: &str = "/api/auth/device-binding/refresh";
/// Paths the browser need not hold for a refresh: static files.
const EXCLUDED_PATHS: [&str; 2] = ["/pkg", "/favicon.ico"];

pub const REGISTRATION: HeaderName = HeaderName::from_static("secure-session-registration");
pub const CHALLENGE: HeaderName = HeaderName::from_static("secure-session-challenge");
/// The proof a browser sends.
pub const RESPONSE: HeaderName = HeaderName::from_static("secure-session-response");
/// The session a browser's refresh is for.
pub const SESSION_ID: HeaderName = HeaderName::from_static("sec-secure-session-id");

/// `AUTH_DEVICE_BINDING`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// No offers; the binding endpoints answer 404.
    Off,
    /// Browsers that can bind do; others keep the scheduler.
    On,
    /// As `On`, and the admin API refuses an unbound session
    /// (`403 device_binding_required`).
    RequiredForAdmin,
}

impl Policy {
    pub fn parse(value: &str) -> Option<Self> {
        match value.to_ascii_lowercase().as_str() {
            "off" => Some(Self::Off),
            "on" => Some(Self::On),
            "required-for-admin" => Some(Self::RequiredForAdmin),
            _ => None,
        }
    }

    pub fn is_on(self) -> bool {
        self != Self::Off
    }
}

/// A proof that proved nothing: counted, audited (with why) and answered
/// `401 binding_proof_invalid`, which ends the browser's device session.
pub fn refuse_proof(
    state: &AppState,
    user_id: Option<&str>,
    session_id: &str,
    client: &Client,
    why: String,
) -> ApiError {
    tracing::info!(session_id, reason = %why, "device-binding proof refused");
    state.metrics.binding(BindingOutcome::Invalid);
    let mut event = Event::new(EventKind::BindingProofInvalid).session(session_id).client(client).detail(why.clone());
    if let Some(user_id) = user_id {
        event = event.user(user_id);
    }
    state.audit.record(event);
    ApiError::BindingProofInvalid(why)
}

/// How long a challenge is good for: past the next access expiry, so a
/// challenge sent ahead of time with one refresh still serves the next.
pub fn challenge_life(config: &Config) -> i64 {
    config.access_ttl_secs + 300
}

/// A challenge for the session's generation `generation`.
pub fn challenge_for(state: &AppState, session_id: Uuid, generation: i64) -> String {
    let expires_at = state.now() + challenge_life(&state.config);
    Challenge { session_id, generation, expires_at }.encode(&state.refresh_keys)
}

/// `Secure-Session-Challenge: "<challenge>";id="<session id>"`.
pub fn challenge_header(state: &AppState, session_id: Uuid, generation: i64) -> HeaderValue {
    let value = format!("\"{}\";id=\"{session_id}\"", challenge_for(state, session_id, generation));
    HeaderValue::try_from(value).expect("base64url and a UUID are valid header text")
}

/// `Secure-Session-Registration: (ES256 RS256);path="…";challenge="…"`.
fn registration_header(state: &AppState, session_id: Uuid, generation: i64) -> HeaderValue {
    let value = format!(
        "(ES256 RS256);path=\"{REGISTER_PATH}\";challenge=\"{}\"",
        challenge_for(state, session_id, generation)
    );
    HeaderValue::try_from(value).expect("base64url is valid header text")
}

/// The session instructions a registration answers with: the access
/// cookie is the bound credential, with the attributes the server sets it
/// with (the browser compares them), on this origin minus static files.
pub fn instructions(config: &Config, session_id: Uuid) -> Value {
    let host = origin_host(&config.public_origin);
    let excluded: Vec<Value> =
        EXCLUDED_PATHS.iter().map(|path| json!({"type": "exclude", "domain": host, "path": path})).collect();
    json!({
        "session_identifier": session_id.to_string(),
        "refresh_url": REFRESH_PATH,
        "scope": {
            "origin": config.public_origin,
            "include_site": false,
            "scope_specification": excluded,
        },
        "credentials": [{
            "type": "cookie",
            "name": config.access_cookie,
            "attributes": cookie_attributes(&cookies::access_cookie(config, String::new(), 0)),
        }],
    })
}

/// A cookie's attributes as its Set-Cookie says them, minus its value and
/// life (`Max-Age`, `Expires`): what the browser checks a bound cookie by.
fn cookie_attributes(cookie: &Cookie<'_>) -> String {
    let rendered = cookie.to_string();
    rendered
        .split("; ")
        .skip(1)
        .filter(|part| {
            let name = part.split('=').next().unwrap_or_default();
            !name.eq_ignore_ascii_case("Max-Age") && !name.eq_ignore_ascii_case("Expires")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Middleware (outside the cookie layer, so it sees every Set-Cookie):
/// offers binding on a response that sets a refresh cookie of a session
/// that cannot be bound yet: a session just started (generation 0; binding
/// rotates, so a bound session is never at 0), or one renewed by the
/// scheduler's refresh or the page resume hop (which refuse bound
/// sessions). Responses that already carry a DBSC header are left alone.
pub async fn offer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let renewal = matches!(request.uri().path(), "/api/auth/refresh" | "/api/auth/resume");
    let mut response = next.run(request).await;
    let headers = response.headers();
    if headers.contains_key(&REGISTRATION) || headers.contains_key(&CHALLENGE) {
        return response;
    }
    let Some(token) = refresh_cookie_set(headers, &state) else { return response };
    if token.generation == 0 || renewal {
        let value = registration_header(&state, token.session_id, token.generation);
        response.headers_mut().insert(REGISTRATION, value);
    }
    response
}

/// The refresh token a response sets, if it sets one.
fn refresh_cookie_set(headers: &HeaderMap, state: &AppState) -> Option<RefreshToken> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| Cookie::parse(value).ok())
        .find(|cookie| cookie.name() == state.config.refresh_cookie && !cookie.value().is_empty())
        .and_then(|cookie| state.refresh_keys.decode(cookie.value(), state.now()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_the_set_cookie_ones_without_value_or_life() {
        let cookie = Cookie::build(("__Host-access", "token"))
            .http_only(true)
            .secure(true)
            .same_site(tower_cookies::cookie::SameSite::Lax)
            .path("/")
            .max_age(tower_cookies::cookie::time::Duration::seconds(900))
            .build();
        let attributes = cookie_attributes(&cookie);
        let mut parts: Vec<&str> = attributes.split("; ").collect();
        parts.sort_unstable();
        assert_eq!(parts, ["HttpOnly", "Path=/", "SameSite=Lax", "Secure"]);
    }

    #[test]
    fn the_policy_reads_its_three_values() {
        assert_eq!(Policy::parse("OFF"), Some(Policy::Off));
        assert_eq!(Policy::parse("on"), Some(Policy::On));
        assert_eq!(Policy::parse("required-for-admin"), Some(Policy::RequiredForAdmin));
        assert_eq!(Policy::parse("yes"), None);
        assert!(!Policy::Off.is_on() && Policy::RequiredForAdmin.is_on());
    }
}
