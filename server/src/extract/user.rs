//! `AuthUser`: the caller, proven by a valid access token whose session is
//! still live and whose roles are current. Handlers that take it answer
//! `401 unauthenticated` without one; [`RequireRole`] (or
//! [`AuthUser::require_role`]) turns a missing role into `403 forbidden`.
//!
//! Both work in any axum app whose state can hand out an [`AppState`]
//! (`AppState: FromRef<S>`), and read the access cookie straight from the
//! `Cookie` header, so a host app needs no extra layer to use them.

use std::marker::PhantomData;

use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
};

use crate::{
    auth::{
        cookies,
        tokens::{AccessClaims, TokenError},
    },
    binding,
    error::ApiError,
    state::AppState,
    store,
};

/// The authenticated caller. With `AUTH_REQUIRE_VERIFIED_EMAIL=on` the
/// extractor also refuses a caller whose address is not verified
/// (`403 email_unverified`), and with `AUTH_REQUIRE_MFA` one it covers who
/// has no second factor (`403 mfa_enrolment_required`); [`SignedIn`] takes
/// them anyway.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub claims: AccessClaims,
    /// The user proved they read mail at their address.
    pub email_verified: bool,
    /// The user has a second factor.
    pub mfa_enrolled: bool,
}

/// Any signed-in caller, verified address or not: for what an unverified
/// user must still reach (who am I, send the link again).
#[derive(Debug, Clone)]
pub struct SignedIn(pub AuthUser);

impl AuthUser {
    pub fn user_id(&self) -> &str {
        &self.claims.sub
    }

    pub fn session_id(&self) -> &str {
        &self.claims.sid
    }

    pub fn email(&self) -> Option<&str> {
        self.claims.email.as_deref()
    }

    pub fn roles(&self) -> &[String] {
        &self.claims.roles
    }

    pub fn has_role(&self, role: &str) -> bool {
        self.claims.roles.iter().any(|r| r == role)
    }

    /// `403 step_up_required` unless the caller proved themselves (signed
    /// in or stepped up) within `AUTH_STEP_UP_SECS`: for sensitive actions.
    /// Refresh carries the proof's time over but never moves it.
    pub fn require_fresh(&self, state: &AppState) -> Result<(), ApiError> {
        if state.now() - self.claims.auth_time <= state.config.step_up_secs {
            Ok(())
        } else {
            Err(ApiError::StepUpRequired)
        }
    }

    /// `403 forbidden` unless the caller has `role`.
    pub fn require_role(&self, role: &str) -> Result<(), ApiError> {
        if self.has_role(role) { Ok(()) } else { Err(ApiError::Forbidden) }
    }
}

impl<S> FromRequestParts<S> for AuthUser
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let SignedIn(user) = SignedIn::from_request_parts(parts, state).await?;
        let config = &AppState::from_ref(state).config;
        if config.require_verified_email && !user.email_verified {
            return Err(ApiError::EmailUnverified);
        }
        if config.require_mfa.covers(user.roles()) && !user.mfa_enrolled {
            return Err(ApiError::MfaEnrolmentRequired);
        }
        Ok(user)
    }
}

impl<S> FromRequestParts<S> for SignedIn
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let token = cookies::access_token(&parts.headers, &state.config).ok_or(ApiError::Unauthenticated)?;
        Ok(Self(authenticate(&state, &token).await?.ok_or(ApiError::Unauthenticated)?))
    }
}

/// The caller behind `token` if it is a valid access token of a live
/// session with current roles; `Ok(None)` if it is not; `Err` only when the
/// database cannot say.
pub async fn authenticate(state: &AppState, token: &str) -> Result<Option<AuthUser>, ApiError> {
    let Some(claims) = verify_signature(state, token).await else { return Ok(None) };
    match state.gate.live_session(&state.db, &claims.sid, claims.ver).await? {
        Some(live) if live.user_id != claims.sub => {
            tracing::warn!(session_id = %claims.sid, "access token names another user's session");
            Ok(None)
        }
        Some(live) if live.authz_version == claims.ver => {
            Ok(Some(AuthUser { claims, email_verified: live.email_verified, mfa_enrolled: live.mfa_enrolled }))
        }
        Some(_) => {
            tracing::debug!(session_id = %claims.sid, "access token with outdated roles refused");
            Ok(None)
        }
        None => Ok(None),
    }
}

/// Checks the token itself (signature, header, claims), reloading the keys
/// once when it names a key this instance has not seen yet (a rotation on
/// another instance).
///
/// **Not** proof of a live session: a logged-out, revoked or demoted
/// token passes this. Authorise with [`authenticate`] (or [`AuthUser`]);
/// this alone is for naming a session to end (logout).
pub async fn verify_signature(state: &AppState, token: &str) -> Option<AccessClaims> {
    let now = store::now();
    if let Some(claims) = state.verified.get(token, now) {
        return Some(claims);
    }
    let result = match state.tokens.verify(&state.keys.snapshot(), token, now) {
        Err(TokenError::UnknownKid) if state.keys.reload_for_unknown_kid(&state.db).await => {
            state.tokens.verify(&state.keys.snapshot(), token, now)
        }
        other => other,
    };
    match result {
        Ok(claims) => {
            state.verified.insert(token, &claims);
            Some(claims)
        }
        Err(err) => {
            tracing::debug!(error = %err, "access token refused");
            None
        }
    }
}

/// A role, for [`RequireRole`]: `struct Editor; impl Role for Editor {
/// const NAME: &'static str = "editor"; }`.
pub trait Role: Send + Sync + 'static {
    const NAME: &'static str;
}

/// The `admin` role.
#[derive(Debug)]
pub struct Admin;

impl Role for Admin {
    const NAME: &'static str = "admin";
}

/// An authenticated caller who has role `R`: `401` without a valid token,
/// `403 forbidden` without the role.
#[derive(Debug)]
pub struct RequireRole<R: Role> {
    pub user: AuthUser,
    role: PhantomData<R>,
}

impl<R: Role> std::ops::Deref for RequireRole<R> {
    type Target = AuthUser;

    fn deref(&self) -> &AuthUser {
        &self.user
    }
}

impl<S, R> FromRequestParts<S> for RequireRole<R>
where
    S: Send + Sync,
    AppState: FromRef<S>,
    R: Role,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        user.require_role(R::NAME)?;
        let policy = AppState::from_ref(state).config.device_binding;
        if R::NAME == Admin::NAME && policy == binding::Policy::RequiredForAdmin && user.claims.cnf.is_none() {
            return Err(ApiError::DeviceBindingRequired);
        }
        Ok(Self { user, role: PhantomData })
    }
}
