//! The contract between the server and the browser, in one place: what
//! crosses the wire (this module), the error codes and the fields they are
//! about ([`errors`]), why a session ended ([`SignOutReason`]), the password
//! rule ([`rules`]) and the page paths with the one way to build and check
//! them ([`paths`]). The server's `ApiError` and the app's checks both use
//! these, so neither can drift from the other.
//!
//! Nothing here may carry a secret: tokens and password hashes stay in the
//! `server` crate. [`Credentials`] carries a password *from* the browser and
//! never back; its `Debug` hides it so it cannot reach a log line.

mod errors;
pub mod mfa;
pub mod passkeys;
pub mod paths;
pub mod rules;
mod sign_out;

use serde::{Deserialize, Serialize};

pub use errors::{ErrorBody, ErrorCode, InputField};
pub use sign_out::SignOutReason;

/// A user as the API shows it (`GET /api/me`, inside [`SessionInfo`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub roles: Vec<String>,
    /// The user proved they read mail at `email` (a link mailed there was used).
    #[serde(default)]
    pub email_verified: bool,
}

/// The session as the browser knows it: who, which session and when it
/// expires. Returned by register, login, refresh and `GET /api/auth/session`.
///
/// The browser schedules its refresh from `expires_in` (relative to when the
/// response arrived), never from its own clock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user: UserView,
    pub session_id: String,
    /// Unix seconds when the access token expires.
    pub access_expires_at: i64,
    /// Unix seconds when the refresh token expires (idle limit, capped by the
    /// absolute limit).
    pub refresh_expires_at: i64,
    /// The access token's remaining life in seconds at `server_time`.
    pub expires_in: i64,
    /// The server's clock when it answered, Unix seconds.
    pub server_time: i64,
    /// When the user last proved themselves in this session (sign-in or
    /// step-up), Unix seconds. Refreshing never moves it.
    #[serde(default)]
    pub auth_time: i64,
    /// How they did (`mfa::amr`: `pwd`, `otp`, `hwk`, `swk`, `mfa`).
    #[serde(default)]
    pub amr: Vec<String>,
    /// `AUTH_REQUIRE_MFA` covers this user and they have no second factor
    /// yet: the app leads them to enrol one (protected routes answer
    /// `403 mfa_enrolment_required` until then).
    #[serde(default)]
    pub mfa_enrolment_required: bool,
    /// The session is bound to this browser's device key (DBSC): the
    /// browser renews the access cookie itself, and the page must not call
    /// `POST /api/auth/refresh` (it would be refused).
    #[serde(default)]
    pub bound: bool,
}

/// One live session of the caller (`GET /api/auth/sessions`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub id: String,
    pub created_at: i64,
    pub last_used_at: i64,
    pub user_agent: Option<String>,
    /// True for the session the request was made with.
    pub current: bool,
    /// Bound to its browser's device key (DBSC): copied cookies cannot
    /// renew it.
    #[serde(default)]
    pub bound: bool,
    /// The last time a renewal of this bound session came without the
    /// device's proof and was refused (Unix seconds): copied cookies, or
    /// a browser whose device refresh failed.
    #[serde(default)]
    pub binding_refused_at: Option<i64>,
}

/// A user as an admin sees it (`GET /api/admin/users`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUserView {
    pub id: String,
    pub email: String,
    pub roles: Vec<String>,
    pub created_at: i64,
    /// The user's second factors (which kinds, never their secrets).
    #[serde(default)]
    pub second_factors: Vec<mfa::SecondFactor>,
}

/// Body of register and login.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("email", &self.email).field("password", &"<redacted>").finish()
    }
}

/// Body of `POST /api/auth/password`: the password in use and its
/// replacement. Like [`Credentials`], its `Debug` hides both.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordChange")
            .field("current_password", &"<redacted>")
            .field("new_password", &"<redacted>")
            .finish()
    }
}

/// Body of `POST /api/auth/password/forgot`: where to mail a reset link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForgotPassword {
    pub email: String,
}

/// Body of `POST /api/auth/password/reset`: the mailed link's token and the
/// new password. Its `Debug` hides both.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordReset {
    pub token: String,
    pub new_password: String,
}

impl std::fmt::Debug for PasswordReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordReset").field("token", &"<redacted>").field("new_password", &"<redacted>").finish()
    }
}

/// Body of `POST /api/auth/email/change`: the new address and the current
/// password. Its `Debug` hides the password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailChangeRequest {
    pub new_email: String,
    pub password: String,
}

impl std::fmt::Debug for EmailChangeRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailChangeRequest")
            .field("new_email", &self.new_email)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Body of `POST /api/auth/email/verify`: a mailed link's token (hidden
/// from `Debug`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkToken {
    pub token: String,
}

impl std::fmt::Debug for LinkToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkToken").field("token", &"<redacted>").finish()
    }
}

/// Body of `PUT /api/admin/users/{id}/roles`: exactly the roles the user
/// is to have.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleChange {
    pub roles: Vec<String>,
}

/// One entry of the audit log (`GET /api/admin/events`), newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthEventView {
    pub id: i64,
    /// Unix seconds when it happened.
    pub at: i64,
    /// `login_succeeded`, `role_changed`, … (see `docs/API.md`).
    pub kind: String,
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub session_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// Free text, such as `rate_limited` or `"user admin -> user"`.
    pub detail: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_debug_output() {
        let credentials = Credentials { email: "a@example.com".into(), password: "hunter2-secret".into() };
        let change = PasswordChange { current_password: "old-secret-1".into(), new_password: "new-secret-2".into() };

        let shown = format!("{credentials:?} {change:?}");

        assert!(shown.contains("a@example.com"));
        for secret in ["hunter2-secret", "old-secret-1", "new-secret-2"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}

#[cfg(test)]
mod fuzz;
