//! The one error type of the HTTP layer. Every variant names its status
//! code; `IntoResponse` writes the contract's body
//! `{"error": code, "message": text}` (plus `"field"` when one input is
//! refused); the codes and fields are `app::types`', shared with the browser. Internal errors are logged here and
//! shown as a bare 500 with nothing internal in it.

use app::types::{ErrorBody, ErrorCode, InputField};
use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the body is not valid JSON.
    #[error("the request body is not valid JSON")]
    BadRequest,
    /// 401: no valid access token.
    #[error("sign in to continue")]
    Unauthenticated,
    /// 401: wrong email or password (one message for both).
    #[error("wrong email or password")]
    InvalidCredentials,
    /// 401: the refresh token is missing, malformed or unknown.
    #[error("the session is not valid; sign in again")]
    RefreshInvalid,
    /// 401: the session ran past its idle or absolute limit.
    #[error("the session has expired; sign in again")]
    RefreshExpired,
    /// 401: a rotated refresh token was replayed; the session is revoked.
    #[error("this session was ended because an old sign-in token was used again; sign in again")]
    RefreshReused,
    /// 403: signed in, but without the needed role.
    #[error("you do not have access to this")]
    Forbidden,
    /// 403: `AUTH_REQUIRE_VERIFIED_EMAIL` and the address is not verified.
    #[error("confirm your email address first: open the link we mailed you")]
    EmailUnverified,
    /// 403: an unsafe request from another site.
    #[error("cross-site request refused")]
    CsrfRejected,
    /// 404: no such resource (or not the caller's).
    #[error("not found")]
    NotFound,
    /// 405: the path exists, the method does not.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409: the email already has an account.
    #[error("an account with this email already exists")]
    EmailTaken,
    /// 413: the body is too large.
    #[error("the request body is too large")]
    PayloadTooLarge,
    /// 415: the body is not `application/json`.
    #[error("send the body as application/json")]
    UnsupportedMediaType,
    /// 422: the input is well-formed but not acceptable; the message says
    /// why and `field`, when the refusal is about one input, which.
    #[error("{message}")]
    InvalidInput { field: Option<InputField>, message: String },
    /// 429: too many attempts; retry after this many seconds.
    #[error("too many attempts; try again later")]
    RateLimited { retry_after_secs: u64 },
    /// 503: the database does not answer.
    #[error("the service is unavailable; try again shortly")]
    Unavailable,
    /// 503 with `Retry-After`: too much work is queued (password hashing);
    /// the request was not started.
    #[error("the service is busy; try again shortly")]
    Busy { retry_after_secs: u64 },
    /// 400: a mailed link that is unknown, tampered, for another purpose,
    /// or replaced; the message says which and what to do.
    #[error("{0}")]
    LinkInvalid(&'static str),
    /// 410: a mailed link that was already used.
    #[error("this link was already used; if you still need one, ask for a new link")]
    LinkUsed,
    /// 410: a mailed link past its life.
    #[error("this link has expired; ask for a new one")]
    LinkExpired,
    /// 403: a sensitive action and the session's last proof is older than
    /// `AUTH_STEP_UP_SECS`.
    #[error("confirm it's you to continue: prove yourself again, then retry")]
    StepUpRequired,
    /// 403: `AUTH_REQUIRE_MFA` covers the caller, who has no second factor.
    #[error("your account needs two-step verification: set it up to continue")]
    MfaEnrolmentRequired,
    /// 401: no live pending sign-in for a second step.
    #[error("this sign-in has expired or was already used; sign in again")]
    MfaPendingInvalid,
    /// 401: a wrong, used or stale one-time code.
    #[error("that code is not valid; check it and try again")]
    CodeInvalid,
    /// 401: a passkey assertion that proves nothing (unknown, expired or
    /// used ceremony; unknown passkey; bad signature; counter went back).
    #[error("that passkey could not be verified; try again")]
    PasskeyInvalid,
    /// 409: the credential is registered already.
    #[error("this passkey is registered already")]
    PasskeyTaken,
    /// 403 with `Secure-Session-Challenge`: a device-binding refresh needs a
    /// proof answering this challenge (none was sent, or it answered one
    /// that is used up or expired).
    #[error("sign this challenge with the session's device key")]
    BindingProofRequired { challenge: HeaderValue },
    /// 401: a device-binding proof that proves nothing; the message says why.
    #[error("{0}")]
    BindingProofInvalid(String),
    /// 401: a refresh of a device-bound session without a proof (the
    /// scheduler's refresh or the page resume hop). Nothing is rotated,
    /// revoked or cleared.
    #[error("this session is bound to its device: only that browser can renew it")]
    BindingProofMissing,
    /// 403: `AUTH_DEVICE_BINDING=required-for-admin` and the session is not
    /// bound to a device.
    #[error(
        "the admin area needs a session bound to its device: sign in with a browser that supports device-bound sessions"
    )]
    DeviceBindingRequired,
    /// 500: a bug or an unexpected failure. Logged, never shown.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest | Self::LinkInvalid(_) => StatusCode::BAD_REQUEST,
            Self::LinkUsed | Self::LinkExpired => StatusCode::GONE,
            Self::Unauthenticated
            | Self::InvalidCredentials
            | Self::RefreshInvalid
            | Self::RefreshExpired
            | Self::RefreshReused
            | Self::MfaPendingInvalid
            | Self::CodeInvalid
            | Self::PasskeyInvalid
            | Self::BindingProofInvalid(_)
            | Self::BindingProofMissing => StatusCode::UNAUTHORIZED,
            Self::Forbidden
            | Self::CsrfRejected
            | Self::EmailUnverified
            | Self::StepUpRequired
            | Self::MfaEnrolmentRequired
            | Self::BindingProofRequired { .. }
            | Self::DeviceBindingRequired => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::EmailTaken | Self::PasskeyTaken => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::InvalidInput { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable | Self::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// `422 invalid_input` about no one field.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidInput { field: None, message: message.into() }
    }

    /// `422 invalid_input` about `field`.
    pub fn invalid_field(field: InputField, message: impl Into<String>) -> Self {
        Self::InvalidInput { field: Some(field), message: message.into() }
    }

    /// The same error, said of `field` when it is a refused input (a new
    /// password checked by the rule of every password, say).
    pub fn at(self, field: InputField) -> Self {
        match self {
            Self::InvalidInput { message, .. } => Self::invalid_field(field, message),
            other => other,
        }
    }

    /// The stable machine-readable code of the contract.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::BadRequest => ErrorCode::BadRequest,
            Self::Unauthenticated => ErrorCode::Unauthenticated,
            Self::InvalidCredentials => ErrorCode::InvalidCredentials,
            Self::RefreshInvalid => ErrorCode::RefreshInvalid,
            Self::RefreshExpired => ErrorCode::RefreshExpired,
            Self::RefreshReused => ErrorCode::RefreshReused,
            Self::Forbidden => ErrorCode::Forbidden,
            Self::CsrfRejected => ErrorCode::CsrfRejected,
            Self::NotFound => ErrorCode::NotFound,
            Self::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            Self::EmailTaken => ErrorCode::EmailTaken,
            Self::PayloadTooLarge => ErrorCode::PayloadTooLarge,
            Self::UnsupportedMediaType => ErrorCode::UnsupportedMediaType,
            Self::InvalidInput { .. } => ErrorCode::InvalidInput,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::Unavailable | Self::Busy { .. } => ErrorCode::Unavailable,
            Self::Internal(_) => ErrorCode::Internal,
            Self::LinkInvalid(_) => ErrorCode::LinkInvalid,
            Self::LinkUsed => ErrorCode::LinkUsed,
            Self::LinkExpired => ErrorCode::LinkExpired,
            Self::EmailUnverified => ErrorCode::EmailUnverified,
            Self::StepUpRequired => ErrorCode::StepUpRequired,
            Self::MfaEnrolmentRequired => ErrorCode::MfaEnrolmentRequired,
            Self::MfaPendingInvalid => ErrorCode::MfaPendingInvalid,
            Self::CodeInvalid => ErrorCode::CodeInvalid,
            Self::PasskeyInvalid => ErrorCode::PasskeyInvalid,
            Self::PasskeyTaken => ErrorCode::PasskeyTaken,
            Self::BindingProofRequired { .. } => ErrorCode::BindingProofRequired,
            Self::BindingProofInvalid(_) => ErrorCode::BindingProofInvalid,
            Self::BindingProofMissing => ErrorCode::BindingProofMissing,
            Self::DeviceBindingRequired => ErrorCode::DeviceBindingRequired,
        }
    }

    /// The error for a bare framework status (axum's own 404/405/413/…).
    pub fn from_status(status: StatusCode) -> Self {
        match status {
            StatusCode::BAD_REQUEST => Self::BadRequest,
            StatusCode::UNAUTHORIZED => Self::Unauthenticated,
            StatusCode::FORBIDDEN => Self::Forbidden,
            StatusCode::NOT_FOUND => Self::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType,
            StatusCode::UNPROCESSABLE_ENTITY => Self::invalid("the request body has missing or wrong fields"),
            StatusCode::TOO_MANY_REQUESTS => Self::RateLimited { retry_after_secs: 60 },
            StatusCode::SERVICE_UNAVAILABLE => Self::Unavailable,
            _ => Self::Internal(anyhow::anyhow!("unmapped framework status {status}")),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        if is_unavailable(&err) {
            tracing::warn!(error = %err, "database unavailable");
            return Self::Unavailable;
        }
        Self::Internal(err.into())
    }
}

/// Errors that mean "the database cannot serve right now" rather than a bug:
/// pool exhaustion, lost connections, PostgreSQL shutting down or out of
/// connections (SQLSTATE classes 08, 53, 57P), SQLite busy or locked.
pub(crate) fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || code.starts_with("53") || code.starts_with("57P") || code == "5" || code == "6"
        }),
        _ => false,
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(err: anyhow::Error) -> Self {
        Self::Internal(err)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(err) = &self {
            tracing::error!(error = ?err, "internal error");
        }
        let status = self.status();
        let field = match &self {
            Self::InvalidInput { field, .. } => *field,
            Self::CodeInvalid => Some(InputField::Code),
            _ => None,
        };
        let body = ErrorBody { error: self.code(), message: self.to_string(), field };
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        match self {
            Self::RateLimited { retry_after_secs } | Self::Busy { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            }
            Self::BindingProofRequired { challenge } => {
                headers.insert(crate::binding::CHALLENGE, challenge);
            }
            _ => {}
        }
        response
    }
}
