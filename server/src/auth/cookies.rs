//! Every Set-Cookie the server sends is built here, from config: the access
//! cookie (`Path=/`), the refresh cookie (`Path=/api/auth`, so it travels
//! only to the auth endpoints) and their removals (same name and path,
//! `Max-Age=0`). All are `HttpOnly; Secure; SameSite=Lax` with no `Domain`.

use axum::http::{HeaderMap, header};
use tower_cookies::{
    Cookie, Cookies,
    cookie::{SameSite, time::Duration},
};

use crate::config::Config;

/// Path of the refresh cookie: the browser sends it to auth endpoints only.
pub const REFRESH_PATH: &str = "/api/auth";

fn build(config: &Config, name: &str, value: String, path: &'static str, max_age_secs: i64) -> Cookie<'static> {
    Cookie::build((name.to_owned(), value))
        .http_only(true)
        .secure(config.cookie_secure)
        .same_site(SameSite::Lax)
        .path(path)
        .max_age(Duration::seconds(max_age_secs.max(0)))
        .build()
}

/// The access cookie as the server sets it (device binding names its
/// attributes to the browser).
pub fn access_cookie(config: &Config, value: String, max_age_secs: i64) -> Cookie<'static> {
    build(config, &config.access_cookie, value, "/", max_age_secs)
}

/// Sets both session cookies.
pub fn set_session(
    cookies: &Cookies,
    config: &Config,
    access: String,
    access_max_age: i64,
    refresh: String,
    refresh_max_age: i64,
) {
    cookies.add(access_cookie(config, access, access_max_age));
    cookies.add(build(config, &config.refresh_cookie, refresh, REFRESH_PATH, refresh_max_age));
}

/// Clears both session cookies.
pub fn clear_session(cookies: &Cookies, config: &Config) {
    cookies.add(build(config, &config.access_cookie, String::new(), "/", 0));
    cookies.add(build(config, &config.refresh_cookie, String::new(), REFRESH_PATH, 0));
}

/// Life of the pending second-step cookie (and its row): five minutes.
pub const PENDING_MAX_AGE: i64 = 300;

/// The name of the pending second-step cookie: `__Secure-mfa` (the
/// prefix needs `Secure`, so plain-http setups get `mfa-pending`).
pub fn pending_name(config: &Config) -> &'static str {
    if config.cookie_secure { "__Secure-mfa" } else { "mfa-pending" }
}

/// Sets the cookie that carries a password sign-in to its second step:
/// HttpOnly, `Path=/api/auth` like the refresh cookie, five minutes.
pub fn set_pending(cookies: &Cookies, config: &Config, token: String) {
    let mut cookie = build(config, pending_name(config), token, REFRESH_PATH, PENDING_MAX_AGE);
    cookie.set_same_site(SameSite::Strict);
    cookies.add(cookie);
}

/// Clears the pending second-step cookie.
pub fn clear_pending(cookies: &Cookies, config: &Config) {
    let mut cookie = build(config, pending_name(config), String::new(), REFRESH_PATH, 0);
    cookie.set_same_site(SameSite::Strict);
    cookies.add(cookie);
}

/// The pending second-step token of a request, if it carries exactly one.
pub fn pending_token(headers: &HeaderMap, config: &Config) -> Option<String> {
    presented(headers, pending_name(config)).one()
}

/// What a request's `Cookie` headers hold under one cookie name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    /// No such cookie, or an empty one.
    Absent,
    /// Exactly one value (repeats of the same value count once).
    One(String),
    /// Two different values: one was planted next to ours (by a sibling
    /// subdomain, say), and which one a reader picks must never decide who
    /// the caller is.
    Conflicting,
}

impl Presented {
    /// The value when there is exactly one.
    pub fn one(self) -> Option<String> {
        match self {
            Self::One(value) => Some(value),
            Self::Absent | Self::Conflicting => None,
        }
    }
}

/// Reads the cookie `name` from a request's `Cookie` headers.
pub fn presented(headers: &HeaderMap, name: &str) -> Presented {
    let mut found: Option<String> = None;
    let values = headers.get_all(header::COOKIE).iter().filter_map(|value| value.to_str().ok());
    for cookie in values.flat_map(|value| Cookie::split_parse(value).filter_map(Result::ok)) {
        if cookie.name() != name {
            continue;
        }
        match &found {
            Some(seen) if seen != cookie.value() => return Presented::Conflicting,
            Some(_) => {}
            None => found = Some(cookie.value().to_owned()),
        }
    }
    match found.filter(|value| !value.is_empty()) {
        Some(value) => Presented::One(value),
        None => Presented::Absent,
    }
}

/// The access token in a request, if it carries exactly one.
pub fn access_token(headers: &HeaderMap, config: &Config) -> Option<String> {
    presented(headers, &config.access_cookie).one()
}

/// The refresh cookie of a request. Callers refuse [`Presented::Conflicting`]
/// without clearing anything: the planted value is the problem, not the
/// victim's own cookie.
pub fn refresh_token(headers: &HeaderMap, config: &Config) -> Presented {
    presented(headers, &config.refresh_cookie)
}
