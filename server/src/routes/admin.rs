//! `/api/admin/*`: for role `admin` only.

use app::types::AdminUserView;
use axum::{Json, Router, extract::State, routing::get};

use crate::{auth::AuthUser, error::ApiError, state::AppState, store};

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/users", get(list_users))
}

async fn list_users(State(state): State<AppState>, user: AuthUser) -> Result<Json<Vec<AdminUserView>>, ApiError> {
    user.require_role("admin")?;
    let users = store::users::list_users(&state.db).await?;
    Ok(Json(
        users
            .into_iter()
            .map(|u| AdminUserView { roles: u.role_list(), id: u.id, email: u.email, created_at: u.created_at })
            .collect(),
    ))
}
