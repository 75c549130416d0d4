//! Error bodies: every error under `/api` is
//! `{"error": code, "message": sentence}`, plus `"field"` when the refusal
//! is about one input, so a form can put the message next to it.

use serde::{Deserialize, Serialize};

/// The stable machine code of an error body (`docs/API.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    Unauthenticated,
    InvalidCredentials,
    RefreshInvalid,
    RefreshExpired,
    RefreshReused,
    Forbidden,
    CsrfRejected,
    NotFound,
    MethodNotAllowed,
    EmailTaken,
    PayloadTooLarge,
    UnsupportedMediaType,
    InvalidInput,
    RateLimited,
    Unavailable,
    Internal,
    /// A mailed link that is not (or no longer) valid: unknown, tampered,
    /// for another purpose, or replaced by a newer one.
    LinkInvalid,
    /// A mailed link that was already used.
    LinkUsed,
    /// A mailed link past its life.
    LinkExpired,
    /// `AUTH_REQUIRE_VERIFIED_EMAIL`: the address is not verified yet.
    EmailUnverified,
    /// A sensitive action needs a proof newer than `AUTH_STEP_UP_SECS`:
    /// `POST /api/auth/step-up`, then retry.
    StepUpRequired,
    /// `AUTH_REQUIRE_MFA` covers the caller, who has no second factor yet.
    MfaEnrolmentRequired,
    /// The second step of a sign-in has no (or no longer a) pending
    /// sign-in: it expired, was used, or failed too often. Sign in again.
    MfaPendingInvalid,
    /// A wrong, used or expired one-time code (TOTP or recovery).
    CodeInvalid,
    /// A passkey assertion that did not prove anything: unknown, expired or
    /// used ceremony, unknown passkey, bad signature, or a signature
    /// counter that went backwards (a cloned authenticator).
    PasskeyInvalid,
    /// The passkey is registered already (to this account or another).
    PasskeyTaken,
    /// A device-binding refresh needs a proof answering the challenge in
    /// `Secure-Session-Challenge` (the browser does this itself).
    BindingProofRequired,
    /// A device-binding proof that proves nothing.
    BindingProofInvalid,
    /// A refresh of a device-bound session without the device's proof:
    /// only that browser's own device refresh can renew it. Not a sign-out.
    BindingProofMissing,
    /// `AUTH_DEVICE_BINDING=required-for-admin`: the admin area needs a
    /// session bound to its device.
    DeviceBindingRequired,
    /// A code this build does not know (a newer server): treated as a
    /// generic refusal. The server never sends it.
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
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
            Self::InvalidInput => "invalid_input",
            Self::RateLimited => "rate_limited",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
            Self::LinkInvalid => "link_invalid",
            Self::LinkUsed => "link_used",
            Self::LinkExpired => "link_expired",
            Self::EmailUnverified => "email_unverified",
            Self::StepUpRequired => "step_up_required",
            Self::MfaEnrolmentRequired => "mfa_enrolment_required",
            Self::MfaPendingInvalid => "mfa_pending_invalid",
            Self::CodeInvalid => "code_invalid",
            Self::PasskeyInvalid => "passkey_invalid",
            Self::PasskeyTaken => "passkey_taken",
            Self::BindingProofRequired => "binding_proof_required",
            Self::BindingProofInvalid => "binding_proof_invalid",
            Self::BindingProofMissing => "binding_proof_missing",
            Self::DeviceBindingRequired => "device_binding_required",
            Self::Unknown => "unknown",
        }
    }
}

/// The input a refusal is about (the `field` of an error body).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputField {
    Email,
    Password,
    CurrentPassword,
    NewPassword,
    /// The address an email change moves to.
    NewEmail,
    Roles,
    /// A mailed link's token.
    Token,
    /// Query parameters of the paged lists.
    Limit,
    Before,
    After,
    UserId,
    Kind,
    /// A one-time code (TOTP or recovery).
    Code,
    /// A step-up proof's `method`.
    Method,
    /// A passkey's name.
    Name,
    /// A WebAuthn credential sent back from the browser.
    Credential,
    /// A field this build does not know.
    #[serde(other)]
    Unknown,
}

/// Every error under `/api`: a stable machine code, a human sentence and,
/// for a refusal of one input, which one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<InputField>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_written_as_the_contract_spells_them() {
        let body = ErrorBody {
            error: ErrorCode::InvalidInput,
            message: "enter a valid email address".into(),
            field: Some(InputField::Email),
        };
        let json = serde_json::to_string(&body).unwrap();
        assert_eq!(json, r#"{"error":"invalid_input","message":"enter a valid email address","field":"email"}"#);
        let bare = ErrorBody { error: ErrorCode::RefreshReused, message: "no".into(), field: None };
        assert_eq!(serde_json::to_string(&bare).unwrap(), r#"{"error":"refresh_reused","message":"no"}"#);
        for code in [ErrorCode::EmailTaken, ErrorCode::UnsupportedMediaType, ErrorCode::CsrfRejected] {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
    }

    #[test]
    fn a_newer_servers_codes_still_read() {
        let body: ErrorBody =
            serde_json::from_str(r#"{"error":"passkey_required","message":"m","field":"otp"}"#).unwrap();
        assert_eq!(body.error, ErrorCode::Unknown);
        assert_eq!(body.field, Some(InputField::Unknown));
    }
}
