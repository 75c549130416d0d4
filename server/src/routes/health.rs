//! `GET /healthz`: 200 when the database answers, 503 when it does not.

use axum::{Json, extract::State, http::StatusCode};
use serde_json::{Value, json};

use super::Routes;
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::default().get("/healthz", healthz)
}

async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    if state.db.ping().await {
        (StatusCode::OK, Json(json!({ "status": "ok" })))
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable" })))
    }
}
