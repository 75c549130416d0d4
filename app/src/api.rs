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

use crate::types::{
    AdminUserView, AuthEventView, Credentials, ErrorBody, PasswordChange, RoleChange, SessionInfo, SessionView,
};

const LOGIN_URL: &str = "/api/auth/login";
const REGISTER_URL: &str = "/api/auth/register";
const REFRESH_URL: &str = "/api/auth/refresh";
const SESSION_URL: &str = "/api/auth/session";
const SESSIONS_URL: &str = "/api/auth/sessions";
const LOGOUT_URL: &str = "/api/auth/logout";
const PASSWORD_URL: &str = "/api/auth/password";
const ADMIN_USERS_URL: &str = "/api/admin/users";
const ADMIN_EVENTS_URL: &str = "/api/admin/events";

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

    /// The machine code from the error body (`invalid_credentials`, …), if any.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Server { body, .. } => Some(&body.error),
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
            Self::Server { status, body, .. } => write!(f, "{status} {}", body.error),
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

/// `POST /api/auth/refresh`: rotates the refresh token and issues a new
/// access token (both as cookies); answers the renewed session.
pub async fn refresh() -> Result<SessionInfo, ApiError> {
    transport::post_for_json(REFRESH_URL).await
}

/// `POST /api/auth/logout`: revokes the session and clears the cookies.
/// Idempotent on the server, so signing out twice is harmless.
pub async fn logout() -> Result<(), ApiError> {
    transport::post_empty(LOGOUT_URL).await
}

/// `GET /api/auth/sessions`: the caller's live sessions.
pub async fn sessions() -> Result<Vec<SessionView>, ApiError> {
    transport::get_json(SESSIONS_URL).await
}

/// `DELETE /api/auth/sessions/{id}`: revokes one of the caller's sessions.
/// Revoking the current one also clears this browser's cookies.
pub async fn revoke_session(id: &str) -> Result<(), ApiError> {
    transport::delete(&session_url(id)).await
}

/// `GET /api/admin/users`: every user; `403 forbidden` without role `admin`.
pub async fn admin_users() -> Result<Vec<AdminUserView>, ApiError> {
    transport::get_json(ADMIN_USERS_URL).await
}

/// `POST /api/auth/password`: changes the caller's password (`204`). Every
/// other session of the user is signed out; this one stays signed in.
/// `401 invalid_credentials`: the current password is wrong.
pub async fn change_password(change: &PasswordChange) -> Result<(), ApiError> {
    transport::post_json_empty(PASSWORD_URL, change).await
}

/// `PUT /api/admin/users/{id}/roles`: gives the user exactly these roles;
/// answers the user as changed. `422 invalid_input` for roles the server
/// refuses (the message says which rule), `404` for an unknown user.
pub async fn set_roles(user_id: &str, change: &RoleChange) -> Result<AdminUserView, ApiError> {
    let url = format!("{ADMIN_USERS_URL}/{}/roles", escape_segment(user_id));
    transport::put_json(&url, change).await
}

/// `GET /api/admin/events?limit=N`: the newest `limit` (1 to 500) auth
/// events, newest first.
pub async fn list_events(limit: u32) -> Result<Vec<AuthEventView>, ApiError> {
    transport::get_json(&format!("{ADMIN_EVENTS_URL}?limit={limit}")).await
}

/// The URL of one session. Ids are UUIDs, but they come from the server and
/// land in a path, so anything outside the unreserved set is escaped anyway.
fn session_url(id: &str) -> String {
    format!("{SESSIONS_URL}/{}", escape_segment(id))
}

/// An id made safe for one path segment: anything outside the unreserved
/// set is percent-encoded.
fn escape_segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
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

    /// A POST with a JSON body that answers `204` (password change).
    pub(super) async fn post_json_empty<B: Serialize>(url: &str, body: &B) -> Result<(), ApiError> {
        let request = Request::post(url).json(body).map_err(|_| ApiError::Unexpected { status: 0 })?;
        expect_no_content(answer(request.send()).await?).await
    }

    pub(super) async fn put_json<B, T>(url: &str, body: &B) -> Result<T, ApiError>
    where
        B: Serialize,
        T: DeserializeOwned,
    {
        let request = Request::put(url).json(body).map_err(|_| ApiError::Unexpected { status: 0 })?;
        decode(answer(request.send()).await?).await
    }

    pub(super) async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, ApiError> {
        decode(answer(Request::get(url).send()).await?).await
    }

    /// A POST without a body that answers JSON (refresh).
    pub(super) async fn post_for_json<T: DeserializeOwned>(url: &str) -> Result<T, ApiError> {
        decode(answer(Request::post(url).send()).await?).await
    }

    pub(super) async fn post_empty(url: &str) -> Result<(), ApiError> {
        expect_no_content(answer(Request::post(url).send()).await?).await
    }

    pub(super) async fn delete(url: &str) -> Result<(), ApiError> {
        expect_no_content(answer(Request::delete(url).send()).await?).await
    }

    async fn expect_no_content(response: Response) -> Result<(), ApiError> {
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
        // Delta-seconds only; the server never sends an HTTP date.
        let retry_after = response.headers().get("retry-after").and_then(|value| value.trim().parse().ok());
        match response.json::<ErrorBody>().await {
            Ok(body) => ApiError::Server { status, body, retry_after },
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

    pub(super) async fn post_json_empty<B: Serialize>(_url: &str, _body: &B) -> Result<(), ApiError> {
        Err(ApiError::Unavailable)
    }

    pub(super) async fn put_json<B, T>(_url: &str, _body: &B) -> Result<T, ApiError>
    where
        B: Serialize,
        T: DeserializeOwned,
    {
        Err(ApiError::Unavailable)
    }

    pub(super) async fn get_json<T: DeserializeOwned>(_url: &str) -> Result<T, ApiError> {
        Err(ApiError::Unavailable)
    }

    pub(super) async fn post_for_json<T: DeserializeOwned>(_url: &str) -> Result<T, ApiError> {
        Err(ApiError::Unavailable)
    }

    pub(super) async fn post_empty(_url: &str) -> Result<(), ApiError> {
        Err(ApiError::Unavailable)
    }

    pub(super) async fn delete(_url: &str) -> Result<(), ApiError> {
        Err(ApiError::Unavailable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_error(status: u16, code: &str, message: &str) -> ApiError {
        ApiError::Server {
            status,
            body: ErrorBody { error: code.to_owned(), message: message.to_owned() },
            retry_after: None,
        }
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
    fn a_401_is_unauthorized_whatever_its_body() {
        assert!(server_error(401, "unauthenticated", "sign in to continue").is_unauthorized());
        assert!(ApiError::Unexpected { status: 401 }.is_unauthorized());
        assert!(!server_error(403, "forbidden", "no").is_unauthorized());
        assert!(!ApiError::Network.is_unauthorized());
    }

    #[test]
    fn session_urls_escape_anything_outside_the_unreserved_set() {
        assert_eq!(session_url("0b5c-AZ_9.~"), "/api/auth/sessions/0b5c-AZ_9.~");
        assert_eq!(session_url("../x?y"), "/api/auth/sessions/..%2Fx%3Fy");
    }

    #[test]
    fn only_a_server_answer_carries_retry_after() {
        let limited = ApiError::Server {
            status: 429,
            body: ErrorBody { error: "rate_limited".into(), message: "too many attempts".into() },
            retry_after: Some(42),
        };

        assert_eq!(limited.retry_after_secs(), Some(42));
        assert_eq!(server_error(401, "invalid_credentials", "no").retry_after_secs(), None);
        assert_eq!(ApiError::Network.retry_after_secs(), None);
    }

    #[test]
    fn display_names_the_status_and_code_but_not_the_message() {
        let error = server_error(409, "email_taken", "That email is already registered.");

        assert_eq!(error.to_string(), "409 email_taken");
    }
}
