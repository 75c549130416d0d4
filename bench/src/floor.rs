//! The floor: a bare axum server answering the request shapes the bench
//! sends, the way the real server does on the wire (`Set-Cookie` for both
//! cookies and a JSON session body on register, login and refresh; a JSON
//! user on `GET /api/me`), with no crypto and no storage. What it serves in
//! a run is the ceiling of HTTP on this stack on this machine: every figure
//! of the real server is read as a share of it (`--spawn floor`,
//! `docs/PERFORMANCE.md`).
//!
//! Run as `bench serve-floor` (the bench spawns itself so); it listens on
//! `LEPTOS_SITE_ADDR` (default `127.0.0.1:0`) and prints the same
//! `listening on http://…` line as the server.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::IntoResponse,
    routing::{get, post},
};
use serde_json::{Value, json};

/// The bench's argument that serves the floor instead of measuring.
pub const SERVE: &str = "serve-floor";

/// Lengths of the real cookies' values: an EdDSA access JWT with its claims,
/// a refresh token (base64url of 57 bytes).
const ACCESS_LEN: usize = 560;
const REFRESH_LEN: usize = 76;

#[derive(Clone)]
struct Floor {
    access_cookie: Arc<str>,
    refresh_cookie: Arc<str>,
    /// Makes every issued value differ, as the real tokens do.
    counter: Arc<AtomicU64>,
}

/// Serves until killed.
pub async fn serve() -> anyhow::Result<()> {
    let addr = std::env::var("LEPTOS_SITE_ADDR").unwrap_or_else(|_| "127.0.0.1:0".to_owned());
    let cookie = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    let floor = Floor {
        access_cookie: cookie("AUTH_ACCESS_COOKIE", "__Host-access").into(),
        refresh_cookie: cookie("AUTH_REFRESH_COOKIE", "__Secure-refresh").into(),
        counter: Arc::default(),
    };
    let app = Router::new()
        .route("/api/auth/register", post(register))
        .route("/api/auth/login", post(session))
        .route("/api/auth/refresh", post(session))
        .route("/api/me", get(me))
        .with_state(floor);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("floor: listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

async fn register(State(floor): State<Floor>) -> impl IntoResponse {
    (StatusCode::CREATED, issue(&floor))
}

async fn session(State(floor): State<Floor>) -> impl IntoResponse {
    issue(&floor)
}

async fn me() -> impl IntoResponse {
    ([(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))], Json(user()))
}

/// Both cookies, with the real ones' attributes, and a session body.
fn issue(floor: &Floor) -> impl IntoResponse + use<> {
    let n = floor.counter.fetch_add(1, Ordering::Relaxed);
    let value = |len: usize| format!("{n:0>len$}");
    let mut headers = HeaderMap::new();
    let access =
        format!("{}={}; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=900", floor.access_cookie, value(ACCESS_LEN));
    let refresh = format!(
        "{}={}; HttpOnly; SameSite=Lax; Secure; Path=/api/auth; Max-Age=604800",
        floor.refresh_cookie,
        value(REFRESH_LEN)
    );
    for cookie in [access, refresh] {
        if let Ok(value) = HeaderValue::try_from(cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let body = json!({
        "user": user(),
        "session_id": "0194f3a2-7b7c-7d3e-9f10-2b3c4d5e6f70",
        "access_expires_at": 1_796_600_900,
        "refresh_expires_at": 1_797_204_800,
        "expires_in": 900,
        "server_time": 1_796_600_000,
        "auth_time": 1_796_600_000,
        "amr": ["pwd"],
        "mfa_enrolment_required": false,
        "bound": false,
    });
    (headers, Json(body))
}

fn user() -> Value {
    json!({
        "id": "0194f3a2-7b7c-7d3e-9f10-2b3c4d5e6f71",
        "email": "bench@example.com",
        "roles": ["user"],
        "email_verified": false,
    })
}
