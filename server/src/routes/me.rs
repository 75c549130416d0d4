//! `GET /api/me`: the caller, straight from the verified access token
//! (the database is asked only for a token without our `email` claim).

use app::types::UserView;
use axum::{Json, extract::State};

use super::Routes;
use crate::{error::ApiError, extract::AuthUser, state::AppState, store};

pub fn routes() -> Routes {
    Routes::default().get("/me", me)
}

async fn me(State(state): State<AppState>, user: AuthUser) -> Result<Json<UserView>, ApiError> {
    let email_verified = user.email_verified;
    let claims = user.claims;
    let email = match claims.email {
        Some(email) => email,
        None => store::users::find_user_by_id(&state.db, &claims.sub).await?.ok_or(ApiError::Unauthenticated)?.email,
    };
    Ok(Json(UserView { id: claims.sub, email, roles: claims.roles, email_verified }))
}
