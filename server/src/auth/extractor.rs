//! `AuthUser`: the caller, proven by a valid access token whose session is
//! still live. Handlers that take it answer `401 unauthenticated` without
//! one; [`AuthUser::require_role`] turns a missing role into `403`.

use axum::{extract::FromRequestParts, http::request::Parts};
use tower_cookies::Cookies;

use super::{cookies, tokens::AccessClaims};
use crate::{error::ApiError, state::AppState, store};

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub claims: AccessClaims,
}

impl AuthUser {
    pub fn user_id(&self) -> &str {
        &self.claims.sub
    }

    pub fn session_id(&self) -> &str {
        &self.claims.sid
    }

    pub fn has_role(&self, role: &str) -> bool {
        self.claims.roles.iter().any(|r| r == role)
    }

    /// `403 forbidden` unless the caller has `role`.
    pub fn require_role(&self, role: &str) -> Result<(), ApiError> {
        if self.has_role(role) { Ok(()) } else { Err(ApiError::Forbidden) }
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let cookies = Cookies::from_request_parts(parts, state).await.map_err(|_| ApiError::Unauthenticated)?;
        let token = cookies::access_token(&cookies, &state.config).ok_or(ApiError::Unauthenticated)?;
        let claims = state.tokens.verify(&state.keys, &token, store::now()).map_err(|err| {
            tracing::debug!(error = %err, "access token refused");
            ApiError::Unauthenticated
        })?;
        if !state.gate.is_live(&state.db, &claims.sid).await? {
            return Err(ApiError::Unauthenticated);
        }
        Ok(Self { claims })
    }
}
