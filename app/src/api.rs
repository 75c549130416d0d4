//! The browser's calls to the JSON auth API (see `docs/API.md`).
//!
//! Requests are same-origin `fetch`es: the browser attaches the HttpOnly
//! token cookies itself, and this code never reads, writes or sees a token.
//! Answers decode into [`SessionInfo`] on success and [`ErrorBody`] on
//! failure.
//!
//! The network code exists only in the `hydrate` build. The server renders
//! pages without calling its own API: these functions are only reached from
//! effects and event handlers, which run in the browser alone, so the `ssr`
//! build compiles them to stubs that answer [`ApiError::Unavailable`].

use std::fmt;

use crate::types::{Credentials, ErrorBody, SessionInfo};

const LOGIN_URL: &str = "/api/auth/login";
const REGISTER_URL: &str = "/api/auth/register";
const SESSION_URL: &str = "/api/auth/session";
const LOGOUT_URL: &str = "/api/auth/logout";

/// Why a call to the API did not succeed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// The server refused with a contract error body (`{"error", "message"}`).
    Server { status: u16, body: ErrorBody },
    /// No answer at all: offline, connection refused, request aborted.
    Network,
    /// An answer outside the contract (wrong status or undecodable body).
    Unexpected { status: u16 },
    /// Called in a build without browser networking (server-side rendering).
    Unavailable,
}

impl ApiError {
    /// The machine code from the error body (`invalid_credentials`, …), if any.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Server { body, .. } => Some(&body.error),
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
            Self::Server { status, body } => write!(f, "{status} {}", body.error),
            Self::Network => f.write_str("network error"),
            Self::Unexpected { status } => write!(f, "unexpected answer ({status})"),
            Self::Unavailable => f.write_str("API not available in this build"),
        }
    }
}

impl std::error::Error for ApiError {}

/// `POST /api/auth/login`: signs in; the server sets the token cookies.
pub async fn login(credentials: &Credentials) -> Result<SessionInfo, ApiError> {
    transport::post_json(LOGIN_URL, credentials).await
}

/// `POST /api/auth/register`: creates the account and signs it in.
pub async fn register(credentials: &Credentials) -> Result<SessionInfo, ApiError> {
    transport::post_json(REGISTER_URL, credentials).await
}

/// `GET /api/auth/session`: who is signed in. `Ok(None)` when nobody is
/// (`401`), so callers can tell "signed out" from "could not ask".
pub async fn session() -> Result<Option<SessionInfo>, ApiError> {
    match transport::get_json(SESSION_URL).await {
        Ok(session) => Ok(Some(session)),
        Err(ApiError::Server { status: 401, .. }) => Ok(None),
        Err(error) => Err(error),
    }
}

/// `POST /api/auth/logout`: revokes the session and clears the cookies.
/// Idempotent on the server, so signing out twice is harmless.
pub async fn logout() -> Result<(), ApiError> {
    transport::post_empty(LOGOUT_URL).await
}

#[cfg(feature = "hydrate")]
mod transport {
    //! `fetch` through gloo-net. Same-origin requests carry the cookies by
    //! default (`credentials: same-origin`), so nothing here sets them.

    use gloo_net::http::{Request, Response};
    use serde::{Serialize, de::DeserializeOwned};

    use super::ApiError;
    use crate::types::ErrorBody;

    pub(super) async fn post_json<B, T>(url: &str, body: &B) -> Result<T, ApiError>
    where
        B: Serialize,
        T: DeserializeOwned,
    {
        // `.json()` serialises the body and sets `Content-Type: application/json`.
        // Status 0: nothing was sent because the body would not serialise.
        let request = Request::post(url).json(body).map_err(|_| ApiError::Unexpected { status: 0 })?;
        decode(answer(request.send()).await?).await
    }

    pub(super) async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, ApiError> {
        decode(answer(Request::get(url).send()).await?).await
    }

    pub(super) async fn post_empty(url: &str) -> Result<(), ApiError> {
        let response = answer(Request::post(url).send()).await?;
        if response.ok() { Ok(()) } else { Err(error_from(response).await) }
    }

    /// Waits for the response; getting none at all is a network error.
    async fn answer(request: impl Future<Output = Result<Response, gloo_net::Error>>) -> Result<Response, ApiError> {
        request.await.map_err(|error| {
            leptos::logging::warn!("request failed: {error}");
            ApiError::Network
        })
    }

    async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
        if response.ok() {
            let status = response.status();
            response.json::<T>().await.map_err(|_| ApiError::Unexpected { status })
        } else {
            Err(error_from(response).await)
        }
    }

    async fn error_from(response: Response) -> ApiError {
        let status = response.status();
        match response.json::<ErrorBody>().await {
            Ok(body) => ApiError::Server { status, body },
            Err(_) => ApiError::Unexpected { status },
        }
    }
}

#[cfg(not(feature = "hydrate"))]
mod transport {
    //! The server renders pages without calling its own API; see the module
    //! docs above for why these are never reached.

    use serde::{Serialize, de::DeserializeOwned};

    use super::ApiError;

    pub(super) async fn post_json<B, T>(_url: &str, _body: &B) -> Result<T, ApiError>
    where
        B: Serialize,
        T: DeserializeOwned,
    {
        Err(ApiError::Unavailable)
    }

    pub(super) async fn get_json<T: DeserializeOwned>(_url: &str) -> Result<T, ApiError> {
        Err(ApiError::Unavailable)
    }

    pub(super) async fn post_empty(_url: &str) -> Result<(), ApiError> {
        Err(ApiError::Unavailable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_error(status: u16, code: &str, message: &str) -> ApiError {
        ApiError::Server { status, body: ErrorBody { error: code.to_owned(), message: message.to_owned() } }
    }

    #[test]
    fn a_server_error_shows_the_servers_message() {
        let error = server_error(401, "invalid_credentials", "Wrong email or password.");

        assert_eq!(error.message(), "Wrong email or password.");
        assert_eq!(error.code(), Some("invalid_credentials"));
    }

    #[test]
    fn a_network_error_has_a_generic_message_and_no_code() {
        let error = ApiError::Network;

        assert!(error.message().contains("Could not reach the server"));
        assert_eq!(error.code(), None);
    }

    #[test]
    fn display_names_the_status_and_code_but_not_the_message() {
        let error = server_error(409, "email_taken", "That email is already registered.");

        assert_eq!(error.to_string(), "409 email_taken");
    }
}
