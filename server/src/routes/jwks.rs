//! `GET /.well-known/jwks.json`: the public keys that verify access tokens.

use axum::{extract::State, http::header, response::IntoResponse};

use super::Routes;
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::default().get("/.well-known/jwks.json", jwks)
}

async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "public, max-age=60")],
        state.keys.snapshot().jwks_json.clone(),
    )
}
