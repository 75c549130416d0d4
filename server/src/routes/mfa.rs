//! `/api/auth/mfa/*` and `/api/auth/step-up`: the second step of a
//! password sign-in, enrolling and removing TOTP, recovery codes, and
//! proving oneself again before a sensitive action.
//!
//! Enrolment takes [`SignedIn`], not `AuthUser`: under `AUTH_REQUIRE_MFA`
//! a user without a second factor must still reach the routes that give
//! them one.

use app::types::{
    InputField, SessionInfo,
    mfa::{Factors, OneTimeCode, RecoveryCodes, StepUpProof, TotpEnabled, TotpSetup, amr},
};
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
};
use tower_cookies::Cookies;

use super::{Routes, auth::set_cookies};
use crate::{
    audit::{Event, EventKind},
    auth::cookies,
    client::Client,
    error::ApiError,
    extract::{AuthUser, SignedIn},
    factors::{self, CodeKind, PASSWORD_AND_CODE},
    metrics::{FactorOutcome, LoginOutcome},
    notices::{self, Notice},
    passkeys::{self, Purpose},
    sessions,
    state::AppState,
    store::{self, mfa_pending::PendingRow, users::UserRow},
};

pub fn routes() -> Routes {
    Routes::default()
        .post("/auth/mfa/totp", second_step_totp)
        .post("/auth/mfa/recovery", second_step_recovery)
        .get("/auth/mfa", factors_of_caller)
        .post("/auth/mfa/totp/setup", setup_totp)
        .post("/auth/mfa/totp/confirm", confirm_totp)
        .delete("/auth/mfa/totp", disable_totp)
        .post("/auth/mfa/recovery-codes", regenerate_codes)
        .post("/auth/step-up", step_up)
}

async fn second_step_totp(
    state: State<AppState>,
    headers: HeaderMap,
    cookies: Cookies,
    client: Client,
    Json(body): Json<OneTimeCode>,
) -> Result<Json<SessionInfo>, ApiError> {
    second_step(state, headers, cookies, client, CodeKind::Totp, body.code).await
}

async fn second_step_recovery(
    state: State<AppState>,
    headers: HeaderMap,
    cookies: Cookies,
    client: Client,
    Json(body): Json<OneTimeCode>,
) -> Result<Json<SessionInfo>, ApiError> {
    second_step(state, headers, cookies, client, CodeKind::Recovery, body.code).await
}

/// Finishes a password sign-in with a one-time code: the pending cookie
/// names the sign-in, the code proves the second factor, and only then are
/// the session cookies set. A wrong code counts against the pending
/// sign-in (the fifth ends it) and the code limits.
async fn second_step(
    State(state): State<AppState>,
    headers: HeaderMap,
    cookies: Cookies,
    client: Client,
    kind: CodeKind,
    code: String,
) -> Result<Json<SessionInfo>, ApiError> {
    let token = cookies::pending_token(&headers, &state.config);
    let (hash, pending) = match factors::pending(&state, token.as_deref()).await {
        Ok(found) => found,
        Err(err) => {
            state.metrics.factor(kind.as_str(), FactorOutcome::PendingInvalid);
            cookies::clear_pending(&cookies, &state.config);
            return Err(err);
        }
    };
    if !factors::check_code(&state, &client, &pending.user_id, kind, &code, "sign-in second step").await? {
        let failures = store::mfa_pending::fail_pending(&state.db, &hash, factors::MAX_PENDING_FAILURES).await?;
        if failures >= factors::MAX_PENDING_FAILURES {
            cookies::clear_pending(&cookies, &state.config);
        }
        return Err(ApiError::CodeInvalid);
    }
    let issued = finish_pending(&state, &cookies, &client, &hash, pending, &PASSWORD_AND_CODE, kind.as_str()).await?;
    if kind == CodeKind::Recovery {
        recovery_code_used(&state, &issued.user.id, &issued.info.session_id, &client).await?;
    }
    Ok(Json(issued.info))
}

/// A started session, for the caller's own audit and notices.
pub(super) struct Finished {
    pub user: UserRow,
    pub info: SessionInfo,
}

/// Ends a pending sign-in whose second factor was proven: takes it for
/// good (of two racing completions one wins), clears its cookie, starts
/// the session with `amr` and sets the session cookies.
pub(super) async fn finish_pending(
    state: &AppState,
    cookies: &Cookies,
    client: &Client,
    hash: &str,
    pending: PendingRow,
    amr: &[&str],
    detail: &str,
) -> Result<Finished, ApiError> {
    let taken = store::mfa_pending::take_pending(&state.db, hash, state.now()).await?;
    cookies::clear_pending(cookies, &state.config);
    if !taken {
        return Err(ApiError::MfaPendingInvalid);
    }
    let user = store::users::find_user_by_id(&state.db, &pending.user_id).await?.ok_or(ApiError::MfaPendingInvalid)?;
    // The session starts only if the password is still the one checked
    // at the first step.
    let user = UserRow { password_hash: pending.password_hash, ..user };
    let issued = sessions::start(state, &user, client, amr).await?;
    let sid = issued.info.session_id.clone();
    state.metrics.login(LoginOutcome::Success);
    state
        .audit
        .record(Event::new(EventKind::LoginSucceeded).user(&user.id).session(&sid).client(client).detail(detail));
    notices::send(state, &user.id, Notice::SignIn { session_id: sid }, client);
    Ok(Finished { info: set_cookies(state, cookies, issued), user })
}

/// Audits and mails the use of a recovery code, with how many are left.
async fn recovery_code_used(state: &AppState, user_id: &str, sid: &str, client: &Client) -> Result<(), ApiError> {
    let left = store::mfa::summary(&state.db, user_id).await?.recovery_codes_left;
    state.audit.record(
        Event::new(EventKind::RecoveryCodeUsed)
            .user(user_id)
            .session(sid)
            .client(client)
            .detail(format!("{left} left")),
    );
    let what = format!("a recovery code was used to sign in; {left} unused codes are left");
    notices::send(state, user_id, Notice::SecondFactor { what }, client);
    Ok(())
}

/// The caller's factors (never a secret) and how they can step up.
async fn factors_of_caller(State(state): State<AppState>, SignedIn(user): SignedIn) -> Result<Json<Factors>, ApiError> {
    let account = account(&state, &user).await?;
    let summary = store::mfa::summary(&state.db, &account.id).await?;
    Ok(Json(Factors {
        totp_enabled_at: summary.totp_enabled_at,
        recovery_codes_left: summary.recovery_codes_left,
        passkeys: store::passkeys::for_user(&state.db, &account.id)
            .await?
            .into_iter()
            .map(super::passkeys::view)
            .collect(),
        passkeys_available: state.webauthn.is_some(),
        step_up_methods: factors::step_up_methods(&account),
        mfa_required_by_policy: state.config.require_mfa.covers(&account.role_list()),
    }))
}

async fn account(state: &AppState, user: &AuthUser) -> Result<UserRow, ApiError> {
    store::users::find_user_by_id(&state.db, user.user_id()).await?.ok_or(ApiError::Unauthenticated)
}

/// A new TOTP secret to scan, pending until a first code confirms it.
/// `422` when TOTP is on already (turn it off first).
async fn setup_totp(State(state): State<AppState>, SignedIn(user): SignedIn) -> Result<Json<TotpSetup>, ApiError> {
    user.require_fresh(&state)?;
    let account = account(&state, &user).await?;
    factors::setup_totp(&state, &account.id, &account.email)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::invalid("an authenticator app is already set up; turn it off first"))
}

/// Turns TOTP on with a first code from the app. The first second factor
/// also makes the recovery codes, shown only in this answer. Proving the
/// code counts as a fresh proof: the session is re-issued with it.
async fn confirm_totp(
    State(state): State<AppState>,
    cookies: Cookies,
    client: Client,
    SignedIn(user): SignedIn,
    Json(body): Json<OneTimeCode>,
) -> Result<Json<TotpEnabled>, ApiError> {
    user.require_fresh(&state)?;
    let account = account(&state, &user).await?;
    let Some(codes) = factors::confirm_totp(&state, &client, &account, &body.code).await? else {
        return Err(ApiError::CodeInvalid);
    };
    let event = Event::new(EventKind::MfaEnrolled).user(&account.id).session(user.session_id()).client(&client);
    state.audit.record(event.detail("totp"));
    let what = "an authenticator app was set up".to_owned();
    notices::send(&state, &account.id, Notice::SecondFactor { what }, &client);
    let session = prove(&state, &cookies, &user, &[amr::OTP]).await?;
    Ok(Json(TotpEnabled { recovery_codes: RecoveryCodes { codes }, session }))
}

/// Turns TOTP off. With no second factor left, the recovery codes go too;
/// a user `AUTH_REQUIRE_MFA` covers keeps their last factor (`422`).
async fn disable_totp(
    State(state): State<AppState>,
    client: Client,
    SignedIn(user): SignedIn,
) -> Result<StatusCode, ApiError> {
    user.require_fresh(&state)?;
    let account = account(&state, &user).await?;
    let keep_one = factors::must_keep_a_factor(&state, &account);
    factors::removed(store::mfa::delete_totp(&state.db, &account.id, state.now(), keep_one).await?)?;
    state.gate.forget_user(user.user_id());
    let event = Event::new(EventKind::MfaDisabled).user(user.user_id()).session(user.session_id()).client(&client);
    state.audit.record(event.detail("totp"));
    let what = "the authenticator app was turned off".to_owned();
    notices::send(&state, user.user_id(), Notice::SecondFactor { what }, &client);
    Ok(StatusCode::NO_CONTENT)
}

/// Ten new recovery codes; the old ones stop working.
async fn regenerate_codes(
    State(state): State<AppState>,
    client: Client,
    SignedIn(user): SignedIn,
) -> Result<Json<RecoveryCodes>, ApiError> {
    user.require_fresh(&state)?;
    let codes = factors::regenerate_codes(&state, user.user_id())
        .await?
        .ok_or_else(|| ApiError::invalid("recovery codes need a second factor; set one up first"))?;
    let event = Event::new(EventKind::RecoveryCodesRegenerated).user(user.user_id()).session(user.session_id());
    state.audit.record(event.client(&client));
    let what = "new recovery codes were made; the old ones no longer work".to_owned();
    notices::send(&state, user.user_id(), Notice::SecondFactor { what }, &client);
    Ok(Json(RecoveryCodes { codes }))
}

/// Proves the caller again (password, or a TOTP code for an account that
/// has one) and re-issues the session with a fresh `auth_time`.
async fn step_up(
    State(state): State<AppState>,
    cookies: Cookies,
    client: Client,
    SignedIn(user): SignedIn,
    Json(proof): Json<StepUpProof>,
) -> Result<Json<SessionInfo>, ApiError> {
    let account = account(&state, &user).await?;
    let allowed = factors::step_up_methods(&account);
    if !allowed.contains(&proof.method()) {
        let names: Vec<&str> = allowed.iter().map(|method| method.as_str()).collect();
        let message = format!("this account proves itself with: {}", names.join(", "));
        return Err(ApiError::invalid_field(InputField::Method, message));
    }
    let amr: Vec<&str> = match proof {
        StepUpProof::Password { password } => {
            let refused =
                super::auth::confirm_password(&state, &user, &client, password, "wrong password on step-up").await;
            if let Err(err) = refused {
                state.metrics.factor("password", FactorOutcome::WrongCode);
                return Err(err);
            }
            vec![amr::PASSWORD]
        }
        StepUpProof::Totp { code } => {
            if !factors::check_code(&state, &client, &account.id, CodeKind::Totp, &code, "step-up").await? {
                return Err(ApiError::CodeInvalid);
            }
            vec![amr::OTP]
        }
        StepUpProof::Passkey { ceremony, credential } => {
            let proof = passkeys::finish_authentication(
                &state,
                &client,
                Purpose::StepUp,
                Some(&account.id),
                &ceremony,
                credential,
            )
            .await?;
            vec![proof.key_amr]
        }
    };
    let session = prove(&state, &cookies, &user, &amr).await?;
    let event = Event::new(EventKind::SteppedUp).user(&account.id).session(user.session_id()).client(&client);
    state.audit.record(event.detail(amr.join(" ")));
    Ok(Json(session))
}

/// Records a fresh proof in the caller's session and sets the re-issued
/// access cookie (the refresh token is the same live generation, so the
/// refresh cookie keeps its value).
async fn prove(state: &AppState, cookies: &Cookies, user: &AuthUser, amr: &[&str]) -> Result<SessionInfo, ApiError> {
    let issued = sessions::reissue_with_proof(state, user.session_id(), &amr.join(" "), user.claims.exp).await?;
    Ok(set_cookies(state, cookies, issued))
}
