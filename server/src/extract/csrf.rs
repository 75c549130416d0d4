//! CSRF defence for the API, in layers on top of `SameSite=Lax` cookies:
//! an unsafe request (POST, PUT, PATCH, DELETE) under `/api` is refused with
//! `403 csrf_rejected` when the browser says it comes from another site
//! (`Sec-Fetch-Site: cross-site`, or `same-site` from an origin that is not
//! allowed) or when its `Origin` is present and not the app's own or a
//! configured one. Requests with neither header (curl, other services)
//! carry no ambient browser credentials and pass.

use std::sync::Arc;

use axum::{
    extract::Request,
    http::{HeaderMap, Method, header},
    response::{IntoResponse, Response},
};
use tower_http::validate_request::ValidateRequestHeaderLayer;

use crate::{config::Config, error::ApiError};

/// The guard as a layer: a synchronous check before the handler (no boxed
/// future, unlike an async middleware).
// tower-http's ValidateRequest answers a refusal with a whole Response.
#[allow(clippy::result_large_err)]
pub fn layer(
    config: Arc<Config>,
) -> ValidateRequestHeaderLayer<impl FnMut(&mut Request) -> Result<(), Response> + Clone> {
    ValidateRequestHeaderLayer::custom(move |request: &mut Request| {
        check(&config, request).map_err(IntoResponse::into_response)
    })
}

/// `Err(403 csrf_rejected)` for an unsafe request another site started.
fn check(config: &Config, request: &Request) -> Result<(), ApiError> {
    if is_unsafe(request.method()) && !allowed(config, request.headers()) {
        tracing::info!(method = %request.method(), path = %request.uri().path(), "cross-site request refused");
        return Err(ApiError::CsrfRejected);
    }
    Ok(())
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE)
}

fn allowed(config: &Config, headers: &HeaderMap) -> bool {
    let origin = headers.get(header::ORIGIN).map(|v| v.to_str().unwrap_or("null"));
    if let Some(origin) = origin
        && !config.origin_allowed(origin)
    {
        return false;
    }
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some("cross-site") => false,
        // Another subdomain of the same site: allowed only with an allowed Origin.
        Some("same-site") => origin.is_some(),
        _ => true,
    }
}

/// True when the browser says another site, or another subdomain of ours,
/// started this request (`Sec-Fetch-Site: cross-site` or `same-site`; a
/// redirect chain keeps the value of its first hop). Requests without the
/// header (curl, older browsers) are not.
pub fn started_elsewhere(headers: &HeaderMap) -> bool {
    matches!(headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()), Some("cross-site" | "same-site"))
}
