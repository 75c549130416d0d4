//! [`ApiError`]: why a call to the API did not succeed, read from the
//! contract's error body.

use std::fmt;

use crate::types::{ErrorBody, ErrorCode, InputField};

/// Why a call to the API did not succeed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// The server refused with a contract error body (`{"error", "message"}`).
    /// `retry_after`: the seconds of its `Retry-After` header (`429`), if any.
    Server { status: u16, body: ErrorBody, retry_after: Option<u64> },
    /// No answer at all: offline, connection refused, request aborted.
    Network,
    /// An answer outside the contract (wrong status or undecodable body).
    Unexpected { status: u16 },
    /// Called in a build without browser networking (server-side rendering).
    Unavailable,
}

impl ApiError {
    /// The HTTP status, when the server answered at all.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Server { status, .. } | Self::Unexpected { status } => Some(*status),
            Self::Network | Self::Unavailable => None,
        }
    }

    /// `401`: the session behind the cookies is gone (expired, revoked).
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(401)
    }

    /// The machine code from the error body, if the server sent one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Server { body, .. } => Some(body.error),
            _ => None,
        }
    }

    /// The input the server refused, when it named one.
    pub fn field(&self) -> Option<InputField> {
        match self {
            Self::Server { body, .. } => body.field,
            _ => None,
        }
    }

    /// How many seconds to wait before trying again, from `Retry-After`.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::Server { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A sentence fit to show the user. The server's own message when it sent
    /// one (it never holds internals); otherwise a generic one.
    pub fn message(&self) -> String {
        match self {
            Self::Server { body, .. } => body.message.clone(),
            Self::Network => "Could not reach the server. Check your connection and try again.".to_owned(),
            Self::Unexpected { .. } => "The server sent an unexpected answer. Please try again.".to_owned(),
            Self::Unavailable => "The page is still loading. Please try again.".to_owned(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Server { status, body, .. } => write!(f, "{status} {}", body.error.as_str()),
            Self::Network => f.write_str("network error"),
            Self::Unexpected { status } => write!(f, "unexpected answer ({status})"),
            Self::Unavailable => f.write_str("API not available in this build"),
        }
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_error(status: u16, code: ErrorCode, message: &str) -> ApiError {
        ApiError::Server {
            status,
            body: ErrorBody { error: code, message: message.to_owned(), field: None },
            retry_after: None,
        }
    }

    #[test]
    fn a_server_error_shows_the_servers_message() {
        let error = server_error(401, ErrorCode::InvalidCredentials, "Wrong email or password.");

        assert_eq!(error.message(), "Wrong email or password.");
        assert_eq!(error.code(), Some(ErrorCode::InvalidCredentials));
    }

    #[test]
    fn a_network_error_has_a_generic_message_and_no_code() {
        let error = ApiError::Network;

        assert!(error.message().contains("Could not reach the server"));
        assert_eq!(error.code(), None);
    }

    #[test]
    fn a_401_is_unauthorized_whatever_its_body() {
        assert!(server_error(401, ErrorCode::Unauthenticated, "sign in to continue").is_unauthorized());
        assert!(ApiError::Unexpected { status: 401 }.is_unauthorized());
        assert!(!server_error(403, ErrorCode::Forbidden, "no").is_unauthorized());
        assert!(!ApiError::Network.is_unauthorized());
    }

    #[test]
    fn only_a_server_answer_carries_retry_after() {
        let limited = ApiError::Server {
            status: 429,
            body: ErrorBody { error: ErrorCode::RateLimited, message: "too many attempts".into(), field: None },
            retry_after: Some(42),
        };

        assert_eq!(limited.retry_after_secs(), Some(42));
        assert_eq!(server_error(401, ErrorCode::InvalidCredentials, "no").retry_after_secs(), None);
        assert_eq!(ApiError::Network.retry_after_secs(), None);
    }

    #[test]
    fn display_names_the_status_and_code_but_not_the_message() {
        let error = server_error(409, ErrorCode::EmailTaken, "That email is already registered.");

        assert_eq!(error.to_string(), "409 email_taken");
    }
}
