//! Every Set-Cookie the server sends is built here, from config: the access
//! cookie (`Path=/`), the refresh cookie (`Path=/api/auth`, so it travels
//! only to the auth endpoints) and their removals (same name and path,
//! `Max-Age=0`). All are `HttpOnly; Secure; SameSite=Lax` with no `Domain`.

use axum::http::{HeaderMap, header};
use tower_cookies::{
    Cookie, Cookies,
    cookie::{SameSite, time::Duration},
};

use app::types::SessionInfo;

use super::session::Issued;
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

/// Sets both session cookies.
pub fn set_session(
    cookies: &Cookies,
    config: &Config,
    access: String,
    access_max_age: i64,
    refresh: String,
    refresh_max_age: i64,
) {
    cookies.add(build(config, &config.access_cookie, access, "/", access_max_age));
    cookies.add(build(config, &config.refresh_cookie, refresh, REFRESH_PATH, refresh_max_age));
}

/// Sets both cookies of a freshly issued pair and returns what the
/// browser may know of it.
pub fn set_issued(cookies: &Cookies, config: &Config, issued: Issued) -> SessionInfo {
    set_session(
        cookies,
        config,
        issued.access_token,
        issued.info.expires_in,
        issued.refresh_token,
        issued.refresh_max_age,
    );
    issued.info
}

/// Clears both session cookies.
pub fn clear_session(cookies: &Cookies, config: &Config) {
    cookies.add(build(config, &config.access_cookie, String::new(), "/", 0));
    cookies.add(build(config, &config.refresh_cookie, String::new(), REFRESH_PATH, 0));
}

/// The access token in a request's `Cookie` headers, if it carries exactly
/// one. Two different values under the access cookie's name (a cookie
/// planted by a sibling subdomain next to ours) count as none: which one a
/// reader picks must never decide who the caller is.
pub fn access_token(headers: &HeaderMap, config: &Config) -> Option<String> {
    let mut found: Option<String> = None;
    let values = headers.get_all(header::COOKIE).iter().filter_map(|value| value.to_str().ok());
    for cookie in values.flat_map(|value| Cookie::split_parse(value).filter_map(Result::ok)) {
        if cookie.name() != config.access_cookie {
            continue;
        }
        match &found {
            Some(seen) if seen != cookie.value() => return None,
            Some(_) => {}
            None => found = Some(cookie.value().to_owned()),
        }
    }
    found.filter(|value| !value.is_empty())
}

/// The refresh token the request carries, if any.
pub fn refresh_token(cookies: &Cookies, config: &Config) -> Option<String> {
    cookies.get(&config.refresh_cookie).map(|c| c.value().to_owned()).filter(|v| !v.is_empty())
}
