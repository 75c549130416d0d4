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

mod error;
mod transport;

pub use error::ApiError;

use crate::types::{
    AdminUserView, AuthEventView, Credentials, EmailChangeRequest, ForgotPassword, LinkToken, PasswordChange,
    PasswordReset, RoleChange, SessionInfo, SessionView,
    mfa::{Factors, LoginAnswer, OneTimeCode, PasskeyView, RecoveryCodes, StepUpProof, TotpEnabled, TotpSetup},
    passkeys::{NewPasskey, PasskeyAdded, PasskeyAssertion, PasskeyChallenge, PasskeyRename},
    paths::encode_segment,
};

const LOGIN_URL: &str = "/api/auth/login";
const REGISTER_URL: &str = "/api/auth/register";
const REFRESH_URL: &str = "/api/auth/refresh";
const SESSION_URL: &str = "/api/auth/session";
const SESSIONS_URL: &str = "/api/auth/sessions";
const LOGOUT_URL: &str = "/api/auth/logout";
const PASSWORD_URL: &str = "/api/auth/password";
const FORGOT_URL: &str = "/api/auth/password/forgot";
const RESET_URL: &str = "/api/auth/password/reset";
const VERIFY_URL: &str = "/api/auth/email/verify";
const RESEND_URL: &str = "/api/auth/email/resend";
const CHANGE_EMAIL_URL: &str = "/api/auth/email/change";
const CONFIRM_EMAIL_URL: &str = "/api/auth/email/confirm";
const UNDO_EMAIL_URL: &str = "/api/auth/email/undo";
const ADMIN_USERS_URL: &str = "/api/admin/users";
const ADMIN_EVENTS_URL: &str = "/api/admin/events";
const MFA_URL: &str = "/api/auth/mfa";
/// `POST`: the second step of a sign-in; `DELETE`: turns TOTP off.
const TOTP_URL: &str = "/api/auth/mfa/totp";
const RECOVERY_URL: &str = "/api/auth/mfa/recovery";
const TOTP_SETUP_URL: &str = "/api/auth/mfa/totp/setup";
const TOTP_CONFIRM_URL: &str = "/api/auth/mfa/totp/confirm";
const RECOVERY_CODES_URL: &str = "/api/auth/mfa/recovery-codes";
const STEP_UP_URL: &str = "/api/auth/step-up";
const STEP_UP_PASSKEY_OPTIONS_URL: &str = "/api/auth/step-up/passkey/options";
/// `POST`: finishes adding a passkey; `/{id}`: `PUT` renames, `DELETE` removes.
const PASSKEYS_URL: &str = "/api/auth/passkeys";
const PASSKEYS_OPTIONS_URL: &str = "/api/auth/passkeys/options";
const PASSKEY_SIGN_IN_URL: &str = "/api/auth/passkey";
const PASSKEY_SIGN_IN_OPTIONS_URL: &str = "/api/auth/passkey/options";
const MFA_PASSKEY_URL: &str = "/api/auth/mfa/passkey";
const MFA_PASSKEY_OPTIONS_URL: &str = "/api/auth/mfa/passkey/options";

/// `POST /api/auth/login`: checks the password. Either signs in (the server
/// sets the token cookies) or, for an account with a second factor, asks
/// for it: the server then holds the sign-in in a short-lived pending
/// cookie that [`login_totp`] or [`login_recovery`] completes.
pub async fn login(credentials: &Credentials) -> Result<LoginAnswer, ApiError> {
    transport::post_json(LOGIN_URL, credentials).await
}

/// `POST /api/auth/mfa/totp`: the second step of a sign-in, with a code
/// from the authenticator app. `401 code_invalid`: a wrong or used code;
/// `401 mfa_pending_invalid`: the pending sign-in is gone (sign in again).
pub async fn login_totp(code: &OneTimeCode) -> Result<SessionInfo, ApiError> {
    transport::post_json(TOTP_URL, code).await
}

/// `POST /api/auth/mfa/recovery`: the second step with a recovery code,
/// which is then used up. Refusals as for [`login_totp`].
pub async fn login_recovery(code: &OneTimeCode) -> Result<SessionInfo, ApiError> {
    transport::post_json(RECOVERY_URL, code).await
}

/// `GET /api/auth/mfa`: the caller's second factors and how they can prove
/// themselves again (step-up).
pub async fn factors() -> Result<Factors, ApiError> {
    transport::get_json(MFA_URL).await
}

/// `POST /api/auth/mfa/totp/setup`: a new TOTP secret (and its QR code),
/// not active until [`confirm_totp`]. May answer `403 step_up_required`.
pub async fn setup_totp() -> Result<TotpSetup, ApiError> {
    transport::post_for_json(TOTP_SETUP_URL).await
}

/// `POST /api/auth/mfa/totp/confirm`: turns TOTP on with a first code from
/// the app; answers the re-issued session and, for a first factor, the
/// recovery codes. `401 code_invalid`: the code does not match.
pub async fn confirm_totp(code: &OneTimeCode) -> Result<TotpEnabled, ApiError> {
    transport::post_json(TOTP_CONFIRM_URL, code).await
}

/// `DELETE /api/auth/mfa/totp`: turns TOTP off (`204`).
pub async fn disable_totp() -> Result<(), ApiError> {
    transport::delete(TOTP_URL).await
}

/// `POST /api/auth/mfa/recovery-codes`: ten new recovery codes; the old
/// ones stop working.
pub async fn regenerate_recovery_codes() -> Result<RecoveryCodes, ApiError> {
    transport::post_for_json(RECOVERY_CODES_URL).await
}

/// `POST /api/auth/step-up`: proves the user again (password or code);
/// answers the session with a fresh `auth_time`. `401 invalid_credentials`
/// (wrong password) or `401 code_invalid` (wrong code).
pub async fn step_up(proof: &StepUpProof) -> Result<SessionInfo, ApiError> {
    transport::post_json(STEP_UP_URL, proof).await
}

/// `POST /api/auth/step-up/passkey/options`: a challenge for one of the
/// caller's passkeys, to prove themselves with (`StepUpProof::Passkey`).
pub async fn step_up_passkey_options() -> Result<PasskeyChallenge, ApiError> {
    transport::post_for_json(STEP_UP_PASSKEY_OPTIONS_URL).await
}

/// `POST /api/auth/passkeys/options`: the options to create a new passkey
/// with. May answer `403 step_up_required`.
pub async fn passkey_creation_options() -> Result<PasskeyChallenge, ApiError> {
    transport::post_for_json(PASSKEYS_OPTIONS_URL).await
}

/// `POST /api/auth/passkeys`: registers the passkey the browser made.
/// `409 passkey_taken`: it is registered already; `422 invalid_input`
/// (`field: name` or `credential`).
pub async fn add_passkey(passkey: &NewPasskey) -> Result<PasskeyAdded, ApiError> {
    transport::post_json(PASSKEYS_URL, passkey).await
}

/// `PUT /api/auth/passkeys/{id}`: renames one of the caller's passkeys.
pub async fn rename_passkey(id: &str, rename: &PasskeyRename) -> Result<PasskeyView, ApiError> {
    transport::put_json(&format!("{PASSKEYS_URL}/{}", encode_segment(id)), rename).await
}

/// `DELETE /api/auth/passkeys/{id}`: removes one of the caller's passkeys
/// (`204`). May answer `403 step_up_required`.
pub async fn delete_passkey(id: &str) -> Result<(), ApiError> {
    transport::delete(&format!("{PASSKEYS_URL}/{}", encode_segment(id))).await
}

/// `POST /api/auth/passkey/options`: a challenge any of this site's
/// passkeys can answer (sign in with no email typed).
pub async fn passkey_sign_in_options() -> Result<PasskeyChallenge, ApiError> {
    transport::post_for_json(PASSKEY_SIGN_IN_OPTIONS_URL).await
}

/// `POST /api/auth/passkey`: signs in with a passkey alone. `401
/// passkey_invalid`: the assertion proved nothing.
pub async fn sign_in_with_passkey(assertion: &PasskeyAssertion) -> Result<SessionInfo, ApiError> {
    transport::post_json(PASSKEY_SIGN_IN_URL, assertion).await
}

/// `POST /api/auth/mfa/passkey/options`: a challenge for the passkeys of
/// the user whose password sign-in is pending.
pub async fn login_passkey_options() -> Result<PasskeyChallenge, ApiError> {
    transport::post_for_json(MFA_PASSKEY_OPTIONS_URL).await
}

/// `POST /api/auth/mfa/passkey`: the second step of a sign-in, with a
/// passkey. Refusals as for [`login_totp`], with `401 passkey_invalid`.
pub async fn login_passkey(assertion: &PasskeyAssertion) -> Result<SessionInfo, ApiError> {
    transport::post_json(MFA_PASSKEY_URL, assertion).await
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

/// `POST /api/auth/password/forgot`: mails a reset link if an account uses
/// the address; `202` either way.
pub async fn forgot_password(body: &ForgotPassword) -> Result<(), ApiError> {
    transport::post_json_empty(FORGOT_URL, body).await
}

/// `POST /api/auth/password/reset`: sets the password with a mailed link;
/// every other session ends and this browser is signed in afresh.
pub async fn reset_password(body: &PasswordReset) -> Result<SessionInfo, ApiError> {
    transport::post_json(RESET_URL, body).await
}

/// `POST /api/auth/email/verify`: confirms the address with a mailed link.
pub async fn verify_email(body: &LinkToken) -> Result<(), ApiError> {
    transport::post_json_empty(VERIFY_URL, body).await
}

/// `POST /api/auth/email/resend`: mails the signed-in user a new
/// verification link.
pub async fn resend_verification() -> Result<(), ApiError> {
    transport::post_empty(RESEND_URL).await
}

/// `POST /api/auth/email/change`: mails a link to the new address (`202`);
/// the change happens when it is used.
pub async fn change_email(body: &EmailChangeRequest) -> Result<(), ApiError> {
    transport::post_json_empty(CHANGE_EMAIL_URL, body).await
}

/// `POST /api/auth/email/confirm`: makes an email change with its link.
pub async fn confirm_email(body: &LinkToken) -> Result<(), ApiError> {
    transport::post_json_empty(CONFIRM_EMAIL_URL, body).await
}

/// `POST /api/auth/email/undo`: puts the old address back; every session ends.
pub async fn undo_email_change(body: &LinkToken) -> Result<(), ApiError> {
    transport::post_json_empty(UNDO_EMAIL_URL, body).await
}

/// `PUT /api/admin/users/{id}/roles`: gives the user exactly these roles;
/// answers the user as changed. `422 invalid_input` for roles the server
/// refuses (the message says which rule), `404` for an unknown user.
pub async fn set_roles(user_id: &str, change: &RoleChange) -> Result<AdminUserView, ApiError> {
    let url = format!("{ADMIN_USERS_URL}/{}/roles", encode_segment(user_id));
    transport::put_json(&url, change).await
}

/// `DELETE /api/admin/users/{id}/mfa`: removes every second factor of the
/// user (`204`), who then signs in with the password alone.
pub async fn reset_user_mfa(user_id: &str) -> Result<(), ApiError> {
    transport::delete(&format!("{ADMIN_USERS_URL}/{}/mfa", encode_segment(user_id))).await
}

/// `GET /api/admin/events?limit=N`: the newest `limit` (1 to 500) auth
/// events, newest first.
pub async fn list_events(limit: u32) -> Result<Vec<AuthEventView>, ApiError> {
    transport::get_json(&format!("{ADMIN_EVENTS_URL}?limit={limit}")).await
}

/// The URL of one session. Ids are UUIDs, but they come from the server and
/// land in a path, so anything outside the unreserved set is escaped anyway.
fn session_url(id: &str) -> String {
    format!("{SESSIONS_URL}/{}", encode_segment(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_urls_escape_anything_outside_the_unreserved_set() {
        assert_eq!(session_url("0b5c-AZ_9.~"), "/api/auth/sessions/0b5c-AZ_9.~");
        assert_eq!(session_url("../x?y"), "/api/auth/sessions/..%2Fx%3Fy");
    }
}
