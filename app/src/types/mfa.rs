//! Second factors and fresh authentication: what the two-step sign-in,
//! the enrolment endpoints and the step-up check send and take.
//!
//! Nothing here carries a stored secret. [`TotpSetup`] shows the TOTP
//! secret once, to the signed-in user enrolling it (their authenticator
//! app needs it); [`RecoveryCodes`] shows the codes once, at the moment
//! they are made. Bodies carrying a code or a password hide it from `Debug`.

use serde::{Deserialize, Serialize};

use super::SessionInfo;

/// A second factor a user can complete a password sign-in with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecondFactor {
    /// A six-digit code from an authenticator app (RFC 6238).
    Totp,
    /// One of the single-use recovery codes.
    Recovery,
    /// A passkey (WebAuthn).
    Passkey,
}

/// How the user proved themselves (RFC 8176 `amr` values): in the access
/// token's claims, in [`SessionInfo`], and in the audit log.
pub mod amr {
    /// A password.
    pub const PASSWORD: &str = "pwd";
    /// A one-time code (TOTP or a recovery code).
    pub const OTP: &str = "otp";
    /// A hardware-protected key (a passkey on a security key or platform).
    pub const HARDWARE_KEY: &str = "hwk";
    /// A software-protected key (a passkey synced by a password manager).
    pub const SOFTWARE_KEY: &str = "swk";
    /// More than one factor.
    pub const MULTI_FACTOR: &str = "mfa";
}

/// `200` answer of `POST /api/auth/login` when the password was right but
/// the account has a second factor: no session yet. The server set a
/// short-lived pending cookie; one of `methods` finishes the sign-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaRequired {
    /// Always `true`: the marker that tells this answer from a session.
    pub mfa_required: bool,
    pub methods: Vec<SecondFactor>,
}

/// What `POST /api/auth/login` answers: a session, or the second step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LoginAnswer {
    SecondStep(MfaRequired),
    Session(SessionInfo),
}

/// Body of `POST /api/auth/mfa/totp`, `/mfa/recovery` and
/// `/mfa/totp/confirm`: one code. Its `Debug` hides the code.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneTimeCode {
    pub code: String,
}

impl std::fmt::Debug for OneTimeCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OneTimeCode").field("code", &"<redacted>").finish()
    }
}

/// Answer of `POST /api/auth/mfa/totp/setup`: a new, not yet active TOTP
/// secret for the caller's authenticator app. It becomes active when a
/// first code made from it is confirmed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpSetup {
    /// The secret in base32, for typing into an app by hand.
    pub secret: String,
    /// The `otpauth://totp/…` URI the QR code holds.
    pub otpauth_uri: String,
    /// The QR code as an SVG document, drawn by the server.
    pub qr_svg: String,
}

impl std::fmt::Debug for TotpSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpSetup").field("secret", &"<redacted>").finish_non_exhaustive()
    }
}

/// Freshly made recovery codes, shown once: the answer of confirming the
/// first second factor and of `POST /api/auth/mfa/recovery-codes`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryCodes {
    pub codes: Vec<String>,
}

impl std::fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecoveryCodes").field("codes", &self.codes.len()).finish()
    }
}

/// Answer of `POST /api/auth/mfa/totp/confirm`: TOTP is on. `recovery_codes`
/// is filled when this was the account's first second factor (the codes
/// are made then and shown only here), empty otherwise.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpEnabled {
    pub recovery_codes: RecoveryCodes,
    /// The session, re-issued: confirming a code is a fresh proof.
    pub session: SessionInfo,
}

/// A passkey of the caller, as the factor list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyView {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// Answer of `GET /api/auth/mfa`: the caller's factors (never their
/// secrets) and how they can prove themselves again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Factors {
    /// When TOTP was turned on; `None` when it is off.
    pub totp_enabled_at: Option<i64>,
    /// Unused recovery codes left.
    pub recovery_codes_left: i64,
    pub passkeys: Vec<PasskeyView>,
    /// What `POST /api/auth/step-up` accepts from this user: `password`
    /// for an account without a second factor, else its second factors.
    pub step_up_methods: Vec<StepUpMethod>,
    /// `AUTH_REQUIRE_MFA` covers this user: they must keep a second factor.
    pub mfa_required_by_policy: bool,
    /// The server can register and check passkeys (its public origin has a
    /// domain name).
    #[serde(default)]
    pub passkeys_available: bool,
}

/// A way to prove oneself again (`POST /api/auth/step-up`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepUpMethod {
    Password,
    Totp,
    Passkey,
}

/// Body of `POST /api/auth/step-up`: a proof, tagged by `method`. Its
/// `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum StepUpProof {
    Password {
        password: String,
    },
    Totp {
        code: String,
    },
    /// An assertion of one of the user's passkeys, made for a ceremony of
    /// `POST /api/auth/step-up/passkey/options`.
    Passkey {
        ceremony: String,
        credential: serde_json::Value,
    },
}

impl StepUpMethod {
    /// The method as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Totp => "totp",
            Self::Passkey => "passkey",
        }
    }
}

impl StepUpProof {
    pub fn method(&self) -> StepUpMethod {
        match self {
            Self::Password { .. } => StepUpMethod::Password,
            Self::Totp { .. } => StepUpMethod::Totp,
            Self::Passkey { .. } => StepUpMethod::Passkey,
        }
    }
}

impl std::fmt::Debug for StepUpProof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StepUpProof::{:?}(<redacted>)", self.method())
    }
}

/// A user's second factors as an admin sees them (`GET
/// /api/admin/users/{id}/mfa`): which, never their secrets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminFactorsView {
    pub totp_enabled_at: Option<i64>,
    pub recovery_codes_left: i64,
    pub passkeys: Vec<PasskeyView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_secrets_never_reach_debug_output() {
        let shown = format!(
            "{:?} {:?} {:?} {:?}",
            OneTimeCode { code: "123456".into() },
            StepUpProof::Password { password: "hunter2-secret".into() },
            TotpSetup { secret: "JBSWY3DPEHPK3PXP".into(), otpauth_uri: "otpauth://x".into(), qr_svg: String::new() },
            RecoveryCodes { codes: vec!["abcde-fghij".into()] },
        );

        for secret in ["123456", "hunter2-secret", "JBSWY3DPEHPK3PXP", "abcde-fghij"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn a_login_answer_is_told_apart_by_its_marker() {
        let second: LoginAnswer =
            serde_json::from_str(r#"{"mfa_required":true,"methods":["totp","recovery"]}"#).expect("second step parses");

        assert_eq!(
            second,
            LoginAnswer::SecondStep(MfaRequired {
                mfa_required: true,
                methods: vec![SecondFactor::Totp, SecondFactor::Recovery]
            })
        );
    }
}
