//! The HTTP surface: one module per resource, each with its own `router()`,
//! merged here. Every request gets an `x-request-id` (kept from a proxy when
//! plausible) that its log lines carry. Everything under `/api` gets the CSRF guard, a 64 KiB body
//! limit, `Cache-Control: no-store` and contract-shaped error bodies even for
//! the framework's own 404/405/413/415.

mod admin;
mod auth;
mod binding;
mod email;
mod health;
mod jwks;
mod me;
pub mod metrics;
mod mfa;
pub(crate) mod pages;
mod passkeys;
mod recovery;
mod refresh;
mod sessions;
mod table;

use app::types::InputField;
use axum::{
    Router,
    extract::{DefaultBodyLimit, Request},
    http::{HeaderName, HeaderValue, header},
    middleware,
    response::{IntoResponse, Response},
};
use tower::ServiceBuilder;
use tower_cookies::CookieManagerLayer;
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    trace::TraceLayer,
};

pub use table::Route;
use table::Routes;

use crate::{config::MetricsMode, error::ApiError, extract::csrf, state::AppState};

/// The request id header, set on every request and response.
const REQUEST_ID: &str = "x-request-id";

/// Largest request body the API reads.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The whole application: the API and the Leptos pages, state applied.
pub fn app(state: AppState) -> Router {
    let pages = pages::router(&state);
    harden(core(&state).merge(pages), state)
}

/// The auth server without the Leptos pages, for mounting in another axum
/// app (see `examples/mounted`): `/api/auth/*`, `/api/me`, `/api/admin/*`,
/// `/.well-known/jwks.json`, `/healthz` (and `/metrics` when
/// `AUTH_METRICS=on`), with the same CSRF guard, error bodies, cookies and
/// security headers as the full app.
pub fn auth_router(state: AppState) -> Router {
    harden(core(&state), state)
}

/// The API (mounted under `/api`) and the routes beside it, as tables.
fn surface() -> (Routes, Routes) {
    let api = Routes::default()
        .merge(auth::routes())
        .merge(refresh::routes())
        .merge(binding::routes())
        .merge(sessions::routes())
        .merge(me::routes())
        .merge(admin::routes())
        .merge(recovery::routes())
        .merge(email::routes())
        .merge(mfa::routes())
        .merge(passkeys::routes());
    (api, Routes::default().merge(jwks::routes()).merge(health::routes()))
}

/// Every route the server can serve (`/metrics` included, which is served
/// only when `AUTH_METRICS` says so), the Leptos pages aside:
/// `server/tests/docs.rs` checks this table against `docs/API.md` and
/// against the running router.
pub fn declared() -> Vec<Route> {
    let (api, beside) = surface();
    Routes::default().nest("/api", api).merge(beside).merge(metrics::routes()).into_table()
}

/// The API and the well-known endpoints, before the outer layers.
fn core(state: &AppState) -> Router<AppState> {
    let (api, beside) = surface();
    // One ServiceBuilder stack is one layer: each route wraps it once,
    // instead of a boxed service per layer to clone on every request.
    let guard = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .map_response(contract_errors)
        .layer(csrf::layer(state.config.clone()));
    let api = api.into_router().fallback(|| async { ApiError::NotFound }).layer(guard);
    let router = beside.into_router().nest("/api", api);
    if state.config.metrics == MetricsMode::On { router.merge(metrics::routes().into_router()) } else { router }
}

/// Cookies, security headers, metrics, request ids and tracing around
/// everything; applies the state.
fn harden(router: Router<AppState>, state: AppState) -> Router {
    // HSTS only when this server itself speaks TLS: over plain http the
    // header is meaningless (and behind a TLS proxy, the proxy sets it).
    let hsts = state.config.tls.is_some().then(|| {
        SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        )
    });
    let offer = state
        .config
        .device_binding
        .is_on()
        .then(|| middleware::from_fn_with_state(state.clone(), crate::binding::offer));
    let timing = (state.config.metrics != MetricsMode::Off)
        .then(|| middleware::from_fn_with_state(state.clone(), metrics::track));
    // Outermost first. One ServiceBuilder stack is one layer: each route
    // wraps it once, instead of a boxed service per layer to clone on every
    // request (a tenth of a GET's CPU). What needs no await is a plain
    // map_request / map_response: an async middleware boxes the future of
    // everything inside it, and moving that was 6 % of a GET.
    let stack = ServiceBuilder::new()
        .map_request(drop_odd_request_ids)
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(PropagateRequestIdLayer::x_request_id())
        .option_layer(hsts)
        // Pages set their own policy with a per-response nonce (app::shell);
        // everything else (JSON, files, errors) gets the strictest one.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // Outside the cookie layer: it reads the Set-Cookie headers.
        .option_layer(offer)
        .layer(CookieManagerLayer::new())
        .option_layer(timing);
    router.layer(stack).with_state(state)
}

/// A page size from `?limit=`: `default` when absent, `422` outside 1 to `max`.
fn page_limit(limit: Option<i64>, default: i64, max: i64) -> Result<i64, ApiError> {
    let limit = limit.unwrap_or(default);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::invalid_field(InputField::Limit, format!("limit is 1 to {max}")))
    }
}

/// An id (a UUID) from a query parameter, normalised; `422` naming the
/// parameter otherwise (and odd bytes such as NUL never reach the database).
fn parse_id(raw: &str, field: InputField, name: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(raw)
        .map(|id| id.to_string())
        .map_err(|_| ApiError::invalid_field(field, format!("{name} is an id from an earlier page")))
}

/// The span every log line of a request sits in: method, path (never the
/// query or headers, which may carry secrets) and request id.
fn request_span(request: &Request) -> tracing::Span {
    let id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
    tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
}

/// A request id from a proxy is kept when it looks like one (so logs can be
/// joined across hops); anything else is replaced by our own, so a client
/// cannot write arbitrary text into the logs.
fn drop_odd_request_ids(mut request: Request) -> Request {
    let plausible = |v: &HeaderValue| {
        v.len() <= 64 && v.as_bytes().iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    if request.headers().get(REQUEST_ID).is_some_and(|v| !plausible(v)) {
        request.headers_mut().remove(REQUEST_ID);
    }
    request
}

/// Gives the framework's own error responses (axum's 405, the body limit's
/// 413, the JSON extractor's 400/415/422, …) the contract's JSON body. Their
/// plain-text bodies may quote the input; they are replaced, never passed on.
fn contract_errors(response: Response) -> Response {
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
