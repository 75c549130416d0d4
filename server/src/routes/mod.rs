//! The HTTP surface: one module per resource, each with its own `router()`,
//! merged here. Everything under `/api` gets the CSRF guard, a 64 KiB body
//! limit, `Cache-Control: no-store` and contract-shaped error bodies even for
//! the framework's own 404/405/413/415.

mod admin;
mod auth;
mod health;
mod jwks;
mod me;
pub(crate) mod pages;
mod sessions;

use axum::{
    Router,
    extract::{DefaultBodyLimit, Request},
    http::{HeaderName, HeaderValue, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use tower::util::option_layer;
use tower_cookies::CookieManagerLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::{auth::csrf, error::ApiError, state::AppState};

/// Largest request body the API reads.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The whole application router, state applied.
pub fn app(state: AppState) -> Router {
    // HSTS only when this server itself speaks TLS: over plain http the
    // header is meaningless (and behind a TLS proxy, the proxy sets it).
    let hsts = state.config.tls.is_some().then(|| {
        SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        )
    });
    let api = Router::new()
        .merge(auth::router())
        .merge(sessions::router())
        .merge(me::router())
        .merge(admin::router())
        .fallback(|| async { ApiError::NotFound })
        .layer(middleware::from_fn_with_state(state.clone(), csrf::guard))
        .layer(middleware::from_fn(contract_errors))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store")));

    Router::new()
        .nest("/api", api)
        .merge(jwks::router())
        .merge(health::router())
        .merge(pages::router(&state))
        .layer(CookieManagerLayer::new())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        // Pages set their own policy with a per-response nonce (app::shell);
        // everything else (JSON, files, errors) gets the strictest one.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
        ))
        .layer(option_layer(hsts))
        .with_state(state)
}

/// Gives the framework's own error responses (axum's 405, the body limit's
/// 413, the JSON extractor's 400/415/422, …) the contract's JSON body. Their
/// plain-text bodies may quote the input; they are replaced, never passed on.
async fn contract_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if (status.is_client_error() || status.is_server_error()) && !is_json {
        let mut replaced = ApiError::from_status(status).into_response();
        // Keep headers such as Set-Cookie and Allow from the original.
        let (parts, _) = response.into_parts();
        for (name, value) in parts.headers.iter() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                replaced.headers_mut().append(name, value.clone());
            }
        }
        *replaced.status_mut() = status;
        return replaced;
    }
    response
}
