//! The one error type of the HTTP layer. Every variant names its status
//! code; `IntoResponse` writes the contract's body
//! `{"error": code, "message": text}`. Internal errors are logged here and
//! shown as a bare 500 with nothing internal in it.

use app::types::ErrorBody;
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
    /// 422: the input is well-formed but not acceptable; the message says why.
    #[error("{0}")]
    InvalidInput(String),
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
    /// 500: a bug or an unexpected failure. Logged, never shown.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::Unauthenticated
            | Self::InvalidCredentials
            | Self::RefreshInvalid
            | Self::RefreshExpired
            | Self::RefreshReused => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::CsrfRejected => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::EmailTaken => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::InvalidInput(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable | Self::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code of the contract.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::Unauthenticated => "unauthenticated",
            Self::InvalidCredentials => "invalid_credentials",
            Self::RefreshInvalid => "refresh_invalid",
            Self::RefreshExpired => "refresh_expired",
            Self::RefreshReused => "refresh_reused",
            Self::Forbidden => "forbidden",
            Self::CsrfRejected => "csrf_rejected",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::EmailTaken => "email_taken",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::InvalidInput(_) => "invalid_input",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable | Self::Busy { .. } => "unavailable",
            Self::Internal(_) => "internal",
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
            StatusCode::UNPROCESSABLE_ENTITY => {
                Self::InvalidInput("the request body has missing or wrong fields".into())
            }
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
fn is_unavailable(err: &sqlx::Error) -> bool {
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
        let body = ErrorBody { error: self.code().into(), message: self.to_string() };
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Self::RateLimited { retry_after_secs } | Self::Busy { retry_after_secs } = self {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}
