//! `GET /metrics` and the middleware that times every request
//! (`AUTH_METRICS`); the registry itself is [`crate::metrics`].

use std::time::Instant;

use axum::{
    extract::{MatchedPath, Request, State},
    http::{Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::Routes;
use crate::{metrics::RequestLabels, state::AppState, store};

/// `GET /metrics`, for the main listener or one of its own.
pub fn routes() -> Routes {
    Routes::default().get("/metrics", serve)
}

/// Times every request into `http_request_duration_seconds`.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    // Only the standard methods become label values: hyper accepts any
    // token as a method, and each new value would be a new series.
    let method = match *request.method() {
        Method::GET | Method::HEAD | Method::POST | Method::PUT | Method::PATCH | Method::DELETE | Method::OPTIONS => {
            request.method().as_str()
        }
        _ => "other",
    }
    .to_owned();
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_owned();
    let response = next.run(request).await;
    let labels = RequestLabels { method, route, status: response.status().as_u16() };
    state.metrics.request(&labels, started.elapsed());
    response
}

/// The exposition text, with the live-session gauge counted at most once a
/// second.
async fn serve(State(state): State<AppState>) -> Response {
    if state.metrics.live_sessions_due() {
        let now = store::now();
        let counts = tokio::try_join!(
            store::sessions::count_live_sessions(&state.db, now),
            store::bindings::count_bound_sessions(&state.db, now)
        );
        match counts {
            Ok((live, bound)) => state.metrics.set_live_sessions(live, bound),
            Err(err) => tracing::warn!(error = %err, "counting live sessions for metrics failed"),
        }
    }
    match state.metrics.render() {
        Ok(text) => ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text)
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
