//! The second-factors service: TOTP enrolment and checks, recovery codes,
//! the pending state between a password and its second step, and the
//! freshness rule for sensitive actions.
//!
//! Every code check goes through [`check_code`]: counted per client
//! address and per user before the work (a wrong code uses up both quotas,
//! a right one is forgiven), so codes cannot be guessed faster from many
//! addresses or many pending sign-ins.

use app::types::mfa::{SecondFactor, StepUpMethod, TotpSetup, amr};
use sha2::{Digest, Sha256};

use crate::{
    audit::{Event, EventKind},
    auth::otp,
    client::Client,
    error::ApiError,
    metrics::FactorOutcome,
    state::AppState,
    store::{self, mfa::Removal, mfa_pending::PendingRow, users::UserRow},
};

/// Wrong codes a pending sign-in survives; the fifth ends it.
pub const MAX_PENDING_FAILURES: i64 = 5;

/// A one-time code's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    Totp,
    Recovery,
}

impl CodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::Recovery => "recovery",
        }
    }
}

/// The `amr` of a password sign-in completed by a one-time code.
pub const PASSWORD_AND_CODE: [&str; 3] = [amr::PASSWORD, amr::OTP, amr::MULTI_FACTOR];

/// The second factors a password sign-in of `user` can be completed with;
/// empty when the user has none (the password alone signs in).
pub fn sign_in_methods(user: &UserRow) -> Vec<SecondFactor> {
    let mut methods = Vec::new();
    if user.mfa_enrolled_at.is_none() {
        return methods;
    }
    if user.has_passkey {
        methods.push(SecondFactor::Passkey);
    }
    if user.has_totp {
        methods.push(SecondFactor::Totp);
    }
    methods.push(SecondFactor::Recovery);
    methods
}

/// What `POST /api/auth/step-up` accepts from `user`: their second factors
/// when they have one (a password alone would let a phished password
/// reach every sensitive action), else the password.
pub fn step_up_methods(user: &UserRow) -> Vec<StepUpMethod> {
    let mut methods = Vec::new();
    if user.has_passkey {
        methods.push(StepUpMethod::Passkey);
    }
    if user.has_totp {
        methods.push(StepUpMethod::Totp);
    }
    if methods.is_empty() {
        methods.push(StepUpMethod::Password);
    }
    methods
}

/// The clock one-time codes are checked against: the instance's, unless a
/// test pinned it (`Config::code_clock`).
fn code_now(state: &AppState) -> i64 {
    match &state.config.code_clock {
        Some(clock) => clock.load(std::sync::atomic::Ordering::SeqCst),
        None => state.now(),
    }
}

/// Hex SHA-256: how pending tokens are kept.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks a one-time code of `user_id` under the code limits. `Ok(true)`:
/// accepted (and used up: a TOTP step or a recovery code works once).
/// `Ok(false)` is a wrong, used or stale code, already counted, audited
/// with `context` and measured.
pub async fn check_code(
    state: &AppState,
    client: &Client,
    user_id: &str,
    kind: CodeKind,
    code: &str,
    context: &str,
) -> Result<bool, ApiError> {
    let ip_key = client.ip_key();
    let user_key = format!("user:{user_id}");
    let limited = |err: ApiError| {
        state.metrics.factor(kind.as_str(), FactorOutcome::RateLimited);
        err
    };
    state.limits.codes_by_ip.acquire(&ip_key).map_err(limited)?;
    if let Err(err) = state.limits.codes_by_user.acquire(&user_key) {
        state.limits.codes_by_ip.forgive(&ip_key);
        return Err(limited(err));
    }
    let accepted = match kind {
        CodeKind::Totp => accept_totp(state, user_id, code).await?,
        CodeKind::Recovery => match otp::recovery_hash(user_id, code) {
            Some(hash) => store::mfa::use_recovery_code(&state.db, user_id, &hash, state.now()).await?,
            None => false,
        },
    };
    if accepted {
        state.limits.codes_by_ip.forgive(&ip_key);
        state.limits.codes_by_user.forgive(&user_key);
        state.metrics.factor(kind.as_str(), FactorOutcome::Success);
    } else {
        state.metrics.factor(kind.as_str(), FactorOutcome::WrongCode);
        state.audit.record(
            Event::new(EventKind::MfaFailed)
                .user(user_id)
                .client(client)
                .detail(format!("{}: {context}", kind.as_str())),
        );
    }
    Ok(accepted)
}

/// Accepts a code of the user's active TOTP factor. Records the matched
/// step, so the same code (and any earlier one) is refused afterwards.
async fn accept_totp(state: &AppState, user_id: &str, code: &str) -> Result<bool, ApiError> {
    let Some(row) = store::mfa::find_totp(&state.db, user_id).await? else { return Ok(false) };
    if row.confirmed_at.is_none() {
        return Ok(false);
    }
    let secret = state.sealer.open(&store::mfa::totp_secret_name(user_id), &row.secret)?;
    let Some(step) = otp::matching_step(&secret, code, code_now(state)) else { return Ok(false) };
    Ok(store::mfa::accept_totp_step(&state.db, user_id, step, state.now(), None).await?)
}

/// Makes a new, pending TOTP secret for the user. `Ok(None)`: TOTP is on
/// already (turn it off first).
pub async fn setup_totp(state: &AppState, user_id: &str, email: &str) -> Result<Option<TotpSetup>, ApiError> {
    let secret = otp::new_secret();
    let sealed = state.sealer.seal(&store::mfa::totp_secret_name(user_id), &secret)?;
    if !store::mfa::put_pending_totp(&state.db, user_id, &sealed, state.now()).await? {
        return Ok(None);
    }
    let otpauth_uri = otp::otpauth_uri(&secret, &state.config.totp_issuer, email)?;
    let qr_svg = otp::qr_svg(&otpauth_uri)?;
    Ok(Some(TotpSetup { secret: otp::secret_text(&secret), otpauth_uri, qr_svg }))
}

/// Confirms the pending TOTP secret with a first code. `Ok(Some(codes))`:
/// TOTP is on; `codes` are new recovery codes when this was the user's
/// first second factor (empty otherwise). `Ok(None)`: a wrong code, or
/// nothing pending.
pub async fn confirm_totp(
    state: &AppState,
    client: &Client,
    user: &UserRow,
    code: &str,
) -> Result<Option<Vec<String>>, ApiError> {
    let ip_key = client.ip_key();
    state.limits.codes_by_ip.acquire(&ip_key)?;
    let Some(row) = store::mfa::find_totp(&state.db, &user.id).await? else { return Ok(None) };
    if row.confirmed_at.is_some() {
        return Ok(None);
    }
    let secret = state.sealer.open(&store::mfa::totp_secret_name(&user.id), &row.secret)?;
    let Some(step) = otp::matching_step(&secret, code, code_now(state)) else {
        state.metrics.factor(CodeKind::Totp.as_str(), FactorOutcome::WrongCode);
        return Ok(None);
    };
    let codes = if user.mfa_enrolled_at.is_none() { otp::new_recovery_codes() } else { Vec::new() };
    let hashes: Vec<String> = codes.iter().filter_map(|code| otp::recovery_hash(&user.id, code)).collect();
    if !store::mfa::accept_totp_step(&state.db, &user.id, step, state.now(), Some(&hashes)).await? {
        return Ok(None);
    }
    state.limits.codes_by_ip.forgive(&ip_key);
    state.gate.forget_user(&user.id);
    Ok(Some(codes))
}

/// Replaces the user's recovery codes. `Ok(None)`: they have no second
/// factor, so codes would mean nothing.
pub async fn regenerate_codes(state: &AppState, user_id: &str) -> Result<Option<Vec<String>>, ApiError> {
    let codes = otp::new_recovery_codes();
    let hashes: Vec<String> = codes.iter().filter_map(|code| otp::recovery_hash(user_id, code)).collect();
    let done = store::mfa::regenerate_codes(&state.db, user_id, &hashes, state.now()).await?;
    Ok(done.then_some(codes))
}

/// Starts the second step of a password sign-in: a pending row and the
/// random token for its cookie.
pub async fn begin_pending(state: &AppState, user: &UserRow) -> Result<String, ApiError> {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let token = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let now = state.now();
    let expires_at = now + crate::auth::cookies::PENDING_MAX_AGE;
    store::mfa_pending::insert_pending(&state.db, &token_hash(&token), &user.id, &user.password_hash, now, expires_at)
        .await?;
    Ok(token)
}

/// The live pending sign-in behind a pending cookie's token.
pub async fn pending(state: &AppState, token: Option<&str>) -> Result<(String, PendingRow), ApiError> {
    let Some(token) = token.filter(|t| t.len() <= 128) else { return Err(ApiError::MfaPendingInvalid) };
    let hash = token_hash(token);
    let row = store::mfa_pending::find_pending(&state.db, &hash, state.now(), MAX_PENDING_FAILURES).await?;
    row.map(|row| (hash, row)).ok_or(ApiError::MfaPendingInvalid)
}

/// True when `AUTH_REQUIRE_MFA` covers `user`: they may not remove their
/// last second factor.
pub fn must_keep_a_factor(state: &AppState, user: &UserRow) -> bool {
    state.config.require_mfa.covers(&user.role_list())
}

/// A factor's removal as the API answers it: `404` when there was none,
/// `422` when it was the last one of a user who must keep one.
pub fn removed<T>(removal: Removal<T>) -> Result<T, ApiError> {
    match removal {
        Removal::Removed(what) => Ok(what),
        Removal::NotFound => Err(ApiError::NotFound),
        Removal::LastFactor => {
            Err(ApiError::invalid("your account must keep a second factor: add another one before removing this one"))
        }
    }
}
