//! `POST /api/auth/refresh` and `GET /api/auth/resume`: rotating the
//! refresh cookie, for the browser's scheduler and for the page resume hop.

use app::types::SessionInfo;
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
};
use tower_cookies::Cookies;

use super::{Routes, auth::respond};
use crate::{
    auth::cookies::{self, Presented},
    client::Client,
    error::ApiError,
    metrics::RefreshOutcome,
    sessions::{self, Device, Issued},
    state::AppState,
};

pub fn routes() -> Routes {
    Routes::default()
        .post("/auth/refresh", refresh)
        // GET by design: the browser follows a redirect here from a page
        // (see routes/pages.rs); it only ever renews the caller's own session.
        .get("/auth/resume", super::pages::resume)
}

async fn refresh(
    State(state): State<AppState>,
    headers: HeaderMap,
    cookies: Cookies,
    client: Client,
) -> Result<Json<SessionInfo>, ApiError> {
    let issued = rotate_cookie(&state, &headers, &cookies, &client).await?;
    Ok(respond(&state, &cookies, issued))
}

/// Rotates the request's refresh cookie: what `POST /api/auth/refresh` and
/// the page resume hop (`GET /api/auth/resume`) both do, under the same
/// per-address limit, metrics and audit events.
///
/// The attempt is counted up front and given back unless the token is
/// refused. The cookies are cleared only when the token is definitely dead
/// (after an outage the same token must work on the next try), and never
/// when two different refresh cookies arrive: the planted one is the
/// problem, not the victim's own. Nor for a device-bound session renewed
/// without its proof: the jar may well be the rightful browser's, whose
/// device refresh renews it.
pub(super) async fn rotate_cookie(
    state: &AppState,
    headers: &HeaderMap,
    cookies: &Cookies,
    client: &Client,
) -> Result<Issued, ApiError> {
    let ip_key = client.ip_key();
    if let Err(err) = state.limits.refresh_by_ip.acquire(&ip_key) {
        state.metrics.refresh(RefreshOutcome::RateLimited);
        return Err(err);
    }
    let presented = match cookies::refresh_token(headers, &state.config) {
        Presented::One(token) => token,
        Presented::Conflicting => {
            tracing::warn!("two different refresh cookies in one request; refused, cookies kept");
            state.metrics.refresh(RefreshOutcome::Invalid);
            return Err(ApiError::RefreshInvalid);
        }
        Presented::Absent => {
            state.metrics.refresh(RefreshOutcome::Invalid);
            cookies::clear_session(cookies, &state.config);
            return Err(ApiError::RefreshInvalid);
        }
    };
    match sessions::rotate(state, &presented, Device::Unproven, client).await {
        Ok(issued) => {
            state.limits.refresh_by_ip.forgive(&ip_key);
            Ok(issued)
        }
        // Charged, but the jar is kept (see above).
        Err(ApiError::BindingProofMissing) => Err(ApiError::BindingProofMissing),
        Err(err) => {
            if err.status() == StatusCode::UNAUTHORIZED {
                cookies::clear_session(cookies, &state.config);
            } else {
                state.limits.refresh_by_ip.forgive(&ip_key);
            }
            Err(err)
        }
    }
}
