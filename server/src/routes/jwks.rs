//! `GET /.well-known/jwks.json`: the public keys that verify access tokens.

use axum::{Router, extract::State, http::header, response::IntoResponse, routing::get};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/.well-known/jwks.json", get(jwks))
}

async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "public, max-age=60")],
        state.keys.snapshot().jwks_json.clone(),
    )
}
