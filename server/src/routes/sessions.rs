//! `/api/auth/sessions`: the caller's live sessions, and revoking one.

use app::types::{InputField, SessionView};
use axum::{
    Json,
    extract::{Path, Query, State, rejection::QueryRejection},
    http::StatusCode,
};
use serde::Deserialize;
use tower_cookies::Cookies;

use super::{Routes, page_limit, parse_id};
use crate::{
    auth::cookies,
    client::Client,
    error::ApiError,
    extract::AuthUser,
    sessions,
    state::AppState,
    store::{self, sessions::RevokeReason},
};

pub fn routes() -> Routes {
    Routes::default().get("/auth/sessions", list_sessions).delete("/auth/sessions/{id}", revoke_session)
}

/// Sessions per page: default and most.
const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 100;

#[derive(Debug, Deserialize)]
struct PageQuery {
    limit: Option<i64>,
    before: Option<String>,
}

/// The caller's live sessions, most recently used first, a page at a time:
/// `?limit=` (1 to 100, default 50) and `?before=<id>`, the last session of
/// the previous page. A page shorter than `limit` is the last.
async fn list_sessions(
    State(state): State<AppState>,
    user: AuthUser,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<Vec<SessionView>>, ApiError> {
    let Query(query) = query.map_err(|_| ApiError::invalid_field(InputField::Limit, "limit is a whole number"))?;
    let limit = page_limit(query.limit, DEFAULT_PAGE, MAX_PAGE)?;
    let before = query.before.as_deref().map(|id| parse_id(id, InputField::Before, "before")).transpose()?;
    let rows =
        store::sessions::list_live_sessions(&state.db, user.user_id(), store::now(), limit, before.as_deref()).await?;
    Ok(Json(
        rows.into_iter()
            .map(|row| SessionView {
                current: row.id == user.session_id(),
                bound: row.binding_jkt.is_some(),
                binding_refused_at: row.binding_refused_at,
                id: row.id,
                created_at: row.created_at,
                last_used_at: row.last_used_at,
                user_agent: row.user_agent,
            })
            .collect(),
    ))
}

/// Revokes one of the caller's sessions: its refresh token at once, its
/// access tokens within a second. Another user's session is `404`, as if it
/// did not exist. Revoking the current session also clears its cookies.
async fn revoke_session(
    State(state): State<AppState>,
    cookies: Cookies,
    client: Client,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    // Session ids are UUIDs; anything else names no session (and never
    // reaches the database, which may refuse odd bytes such as NUL).
    let id = uuid::Uuid::parse_str(&id).map_err(|_| ApiError::NotFound)?.to_string();
    let current = id == user.session_id();
    let detail = current.then(|| "the current session".to_owned());
    let ended = sessions::revoke(&state, &id, Some(user.user_id()), RevokeReason::Revoked, &client, detail).await?;
    if current {
        // Already ended by a racing request: the outcome the caller wanted.
        cookies::clear_session(&cookies, &state.config);
        return Ok(StatusCode::NO_CONTENT);
    }
    if ended.is_none() {
        return Err(ApiError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}
