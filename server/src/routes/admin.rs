//! `/api/admin/*`: for role `admin` only. The user list, role changes and
//! the audit log.

use app::types::{AdminUserView, AuthEventView, InputField, RoleChange};
use axum::http::StatusCode;
use axum::{
    Json,
    extract::{Path, Query, State, rejection::QueryRejection},
};
use serde::Deserialize;

use super::Routes;
use crate::{
    audit::{Actor, EventKind},
    client::Client,
    domain::Roles,
    error::ApiError,
    extract::{Admin, RequireRole},
    factors, ops,
    state::AppState,
    store::{self, events::EventFilter, users::UserRow},
};

/// Events per page: default and most.
const DEFAULT_EVENTS: i64 = 100;
const MAX_EVENTS: i64 = 500;

pub fn routes() -> Routes {
    Routes::default()
        .get("/admin/users", list_users)
        .put("/admin/users/{id}/roles", set_roles)
        .delete("/admin/users/{id}/mfa", reset_mfa)
        .get("/admin/events", list_events)
}

fn view(user: UserRow) -> AdminUserView {
    let second_factors = factors::sign_in_methods(&user);
    AdminUserView {
        roles: user.role_list(),
        id: user.id,
        email: user.email,
        created_at: user.created_at,
        second_factors,
    }
}

/// Users per page: default and most.
const DEFAULT_USERS: i64 = 100;
const MAX_USERS: i64 = 500;

#[derive(Debug, Deserialize)]
struct UserPage {
    limit: Option<i64>,
    after: Option<String>,
}

/// Every user, oldest first, a page at a time: `?limit=` (1 to 500,
/// default 100) and `?after=<id>`, the last user of the previous page.
async fn list_users(
    State(state): State<AppState>,
    _admin: RequireRole<Admin>,
    query: Result<Query<UserPage>, QueryRejection>,
) -> Result<Json<Vec<AdminUserView>>, ApiError> {
    let Query(query) = query.map_err(|_| ApiError::invalid_field(InputField::Limit, "limit is a whole number"))?;
    let limit = super::page_limit(query.limit, DEFAULT_USERS, MAX_USERS)?;
    let after = query.after.as_deref().map(|id| super::parse_id(id, InputField::After, "after")).transpose()?;
    let users = store::users::list_users(&state.db, limit, after.as_deref()).await?;
    Ok(Json(users.into_iter().map(view).collect()))
}

/// Sets a user's roles. Their existing access tokens stop working within a
/// second (the browser refreshes and gets the new roles). An admin cannot
/// take away their own `admin` role: that is how the last admin locks
/// everyone out.
async fn set_roles(
    State(state): State<AppState>,
    admin: RequireRole<Admin>,
    client: Client,
    Path(id): Path<String>,
    Json(body): Json<RoleChange>,
) -> Result<Json<AdminUserView>, ApiError> {
    admin.require_fresh(&state)?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| ApiError::NotFound)?.to_string();
    let roles = Roles::parse(&body.roles)?;
    let user = store::users::find_user_by_id(&state.db, &id).await?.ok_or(ApiError::NotFound)?;
    if user.id == admin.user_id() && !roles.contains("admin") {
        return Err(ApiError::invalid_field(InputField::Roles, "you cannot remove your own admin role"));
    }
    let actor = Actor { user_id: Some(admin.user_id()), client: Some(&client) };
    let user = ops::set_roles(&state, &user, &roles, actor).await?;
    Ok(Json(view(user)))
}

/// Removes every second factor of a user (their authenticator app and
/// recovery codes), for a user who lost them all. Audited and mailed to
/// the user. `404` for an unknown user or one without a second factor.
async fn reset_mfa(
    State(state): State<AppState>,
    admin: RequireRole<Admin>,
    client: Client,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    admin.require_fresh(&state)?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| ApiError::NotFound)?.to_string();
    let actor = Actor { user_id: Some(admin.user_id()), client: Some(&client) };
    if !ops::reset_second_factors(&state, &id, actor).await? {
        return Err(ApiError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
struct EventQuery {
    limit: Option<i64>,
    before: Option<i64>,
    user_id: Option<String>,
    kind: Option<String>,
}

/// The audit log, newest first.
async fn list_events(
    State(state): State<AppState>,
    _admin: RequireRole<Admin>,
    query: Result<Query<EventQuery>, QueryRejection>,
) -> Result<Json<Vec<AuthEventView>>, ApiError> {
    let Query(query) = query.map_err(|_| ApiError::invalid("limit and before are whole numbers"))?;
    let limit = super::page_limit(query.limit, DEFAULT_EVENTS, MAX_EVENTS)?;
    if let Some(kind) = &query.kind
        && !EventKind::ALL.iter().any(|k| k.as_str() == kind)
    {
        return Err(ApiError::invalid_field(InputField::Kind, "unknown event kind"));
    }
    // User ids are UUIDs; anything else would match nothing (and odd bytes
    // such as NUL must not reach the database).
    let user_id = match query.user_id {
        Some(id) => Some(
            uuid::Uuid::parse_str(&id)
                .map_err(|_| ApiError::invalid_field(InputField::UserId, "user_id is a user's id"))?
                .to_string(),
        ),
        None => None,
    };
    // Whatever requests already answered have queued their events: store
    // them before reading, so the list is never behind.
    state.audit.flush().await;
    let filter = EventFilter { limit, before: query.before, user_id, kind: query.kind };
    let rows = store::events::list_events(&state.db, &filter).await?;
    Ok(Json(
        rows.into_iter()
            .map(|e| AuthEventView {
                id: e.id,
                at: e.at,
                kind: e.kind,
                user_id: e.user_id,
                email: e.email,
                session_id: e.session_id,
                ip: e.ip,
                user_agent: e.user_agent,
                detail: e.detail,
            })
            .collect(),
    ))
}
