//! Passkeys: adding, naming and removing them (`/api/auth/passkeys`),
//! signing in with one alone (`/api/auth/passkey`), and using one as the
//! second step of a password sign-in (`/api/auth/mfa/passkey`) or to step
//! up (`/api/auth/step-up/passkey/options`, then `POST /api/auth/step-up`).
//!
//! Every ceremony is two calls: `…/options` starts it, the next call
//! finishes it (see [`crate::passkeys`]). Managing passkeys takes
//! [`SignedIn`]: under `AUTH_REQUIRE_MFA` a user without a second factor
//! must still reach the routes that give them one.

use app::types::{
    InputField, SessionInfo,
    mfa::{PasskeyView, RecoveryCodes, amr},
    passkeys::{NewPasskey, PasskeyAdded, PasskeyAssertion, PasskeyChallenge, PasskeyRename, check_passkey_name},
};
use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
};
use tower_cookies::Cookies;

use super::{Routes, auth::set_cookies, mfa::finish_pending};
use crate::{
    audit::{Event, EventKind},
    auth::{cookies, otp},
    client::Client,
    error::ApiError,
    extract::{AuthUser, SignedIn},
    factors,
    metrics::{FactorOutcome, LoginOutcome},
    notices::{self, Notice},
    passkeys::{self, Purpose},
    sessions,
    state::AppState,
    store::{
        self,
        passkeys::{Inserted, NewPasskeyRow, PasskeyRow},
        users::UserRow,
    },
};

pub fn routes() -> Routes {
    Routes::default()
        .post("/auth/passkeys/options", registration_options)
        .post("/auth/passkeys", add_passkey)
        .put("/auth/passkeys/{id}", rename_passkey)
        .delete("/auth/passkeys/{id}", delete_passkey)
        .post("/auth/passkey/options", sign_in_options)
        .post("/auth/passkey", sign_in)
        .post("/auth/mfa/passkey/options", second_step_options)
        .post("/auth/mfa/passkey", second_step)
        .post("/auth/step-up/passkey/options", step_up_options)
}

/// A stored passkey as the factor lists show it.
pub(super) fn view(row: PasskeyRow) -> PasskeyView {
    PasskeyView { id: row.id, name: row.name, created_at: row.created_at, last_used_at: row.last_used_at }
}

async fn account(state: &AppState, user: &AuthUser) -> Result<UserRow, ApiError> {
    store::users::find_user_by_id(&state.db, user.user_id()).await?.ok_or(ApiError::Unauthenticated)
}

/// Options to create a passkey for the caller.
async fn registration_options(
    State(state): State<AppState>,
    client: Client,
    SignedIn(user): SignedIn,
) -> Result<Json<PasskeyChallenge>, ApiError> {
    user.require_fresh(&state)?;
    let account = account(&state, &user).await?;
    Ok(Json(passkeys::start_registration(&state, &client, &account.id, &account.email).await?))
}

/// Registers the passkey the browser made. The first second factor also
/// makes the recovery codes, shown only in this answer.
async fn add_passkey(
    State(state): State<AppState>,
    client: Client,
    SignedIn(user): SignedIn,
    Json(body): Json<NewPasskey>,
) -> Result<(StatusCode, Json<PasskeyAdded>), ApiError> {
    user.require_fresh(&state)?;
    // Checked first: a bad name must not use up the ceremony.
    let name = check_passkey_name(&body.name).map_err(|why| ApiError::invalid_field(InputField::Name, why))?;
    let account = account(&state, &user).await?;
    let registered =
        passkeys::finish_registration(&state, &client, &account.id, &body.ceremony, body.credential).await?;
    let codes = if account.mfa_enrolled_at.is_none() { otp::new_recovery_codes() } else { Vec::new() };
    let hashes: Vec<String> = codes.iter().filter_map(|code| otp::recovery_hash(&account.id, code)).collect();
    let id = uuid::Uuid::new_v4().to_string();
    let row = NewPasskeyRow {
        id: &id,
        user_id: &account.id,
        credential_id: &registered.credential_id,
        name: &name,
        credential: &registered.credential,
        sign_count: 0,
    };
    let now = state.now();
    if store::passkeys::insert(&state.db, &row, &hashes, now).await? == Inserted::Taken {
        tracing::info!(user_id = %account.id, "passkey refused: its credential id is registered already");
        return Err(ApiError::PasskeyTaken);
    }
    state.gate.forget_user(&account.id);
    let event = Event::new(EventKind::MfaEnrolled).user(&account.id).session(user.session_id()).client(&client);
    state.audit.record(event.detail(format!("passkey: {name}")));
    let what = format!("a passkey named \"{name}\" was added");
    notices::send(&state, &account.id, Notice::SecondFactor { what }, &client);
    let passkey = PasskeyView { id, name, created_at: now, last_used_at: None };
    Ok((StatusCode::CREATED, Json(PasskeyAdded { passkey, recovery_codes: RecoveryCodes { codes } })))
}

/// Renames one of the caller's passkeys.
async fn rename_passkey(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
    Json(body): Json<PasskeyRename>,
) -> Result<Json<PasskeyView>, ApiError> {
    let name = check_passkey_name(&body.name).map_err(|why| ApiError::invalid_field(InputField::Name, why))?;
    let renamed = store::passkeys::rename(&state.db, user.user_id(), &id, &name).await?;
    renamed.map(|row| Json(view(row))).ok_or(ApiError::NotFound)
}

/// Removes one of the caller's passkeys. With no second factor left, the
/// recovery codes go too; a user `AUTH_REQUIRE_MFA` covers keeps their last.
async fn delete_passkey(
    State(state): State<AppState>,
    client: Client,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    user.require_fresh(&state)?;
    let account = account(&state, &user).await?;
    let keep_one = factors::must_keep_a_factor(&state, &account);
    let name = factors::removed(store::passkeys::delete(&state.db, &account.id, &id, state.now(), keep_one).await?)?;
    state.gate.forget_user(user.user_id());
    let event = Event::new(EventKind::MfaDisabled).user(user.user_id()).session(user.session_id()).client(&client);
    state.audit.record(event.detail(format!("passkey: {name}")));
    let what = format!("the passkey named \"{name}\" was removed");
    notices::send(&state, user.user_id(), Notice::SecondFactor { what }, &client);
    Ok(StatusCode::NO_CONTENT)
}

/// Options any passkey of this site can answer: sign in with no email.
async fn sign_in_options(State(state): State<AppState>, client: Client) -> Result<Json<PasskeyChallenge>, ApiError> {
    Ok(Json(passkeys::start_sign_in(&state, &client).await?))
}

/// Signs in with a passkey alone. A passkey verifies its user (PIN or
/// biometrics) on the device: two factors in one (`amr` `hwk`/`swk` and
/// `mfa`).
async fn sign_in(
    State(state): State<AppState>,
    cookies: Cookies,
    client: Client,
    Json(body): Json<PasskeyAssertion>,
) -> Result<Json<SessionInfo>, ApiError> {
    let proof =
        passkeys::finish_authentication(&state, &client, Purpose::SignIn, None, &body.ceremony, body.credential)
            .await?;
    let user = store::users::find_user_by_id(&state.db, &proof.user_id).await?.ok_or(ApiError::PasskeyInvalid)?;
    let issued = sessions::start(&state, &user, &client, &[proof.key_amr, amr::MULTI_FACTOR]).await?;
    let sid = issued.info.session_id.clone();
    tracing::info!(user_id = %user.id, "login succeeded with a passkey");
    state.metrics.login(LoginOutcome::Success);
    state
        .audit
        .record(Event::new(EventKind::LoginSucceeded).user(&user.id).session(&sid).client(&client).detail("passkey"));
    notices::send(&state, &user.id, Notice::SignIn { session_id: sid }, &client);
    Ok(Json(set_cookies(&state, &cookies, issued)))
}

/// Options for the passkeys of the user whose password sign-in is pending.
async fn second_step_options(
    State(state): State<AppState>,
    headers: HeaderMap,
    cookies: Cookies,
    client: Client,
) -> Result<Json<PasskeyChallenge>, ApiError> {
    let token = cookies::pending_token(&headers, &state.config);
    let (_, pending) = factors::pending(&state, token.as_deref()).await.inspect_err(|_| {
        state.metrics.factor("passkey", FactorOutcome::PendingInvalid);
        cookies::clear_pending(&cookies, &state.config);
    })?;
    Ok(Json(passkeys::start_authentication(&state, &client, Purpose::SecondStep, &pending.user_id).await?))
}

/// Finishes a password sign-in with a passkey. A refused assertion counts
/// against the pending sign-in like a wrong code (the fifth ends it).
async fn second_step(
    State(state): State<AppState>,
    headers: HeaderMap,
    cookies: Cookies,
    client: Client,
    Json(body): Json<PasskeyAssertion>,
) -> Result<Json<SessionInfo>, ApiError> {
    let token = cookies::pending_token(&headers, &state.config);
    let (hash, pending) = factors::pending(&state, token.as_deref()).await.inspect_err(|_| {
        state.metrics.factor("passkey", FactorOutcome::PendingInvalid);
        cookies::clear_pending(&cookies, &state.config);
    })?;
    let user_id = pending.user_id.clone();
    let proof = passkeys::finish_authentication(
        &state,
        &client,
        Purpose::SecondStep,
        Some(&user_id),
        &body.ceremony,
        body.credential,
    )
    .await;
    let proof = match proof {
        Ok(proof) => proof,
        Err(err) => {
            if matches!(err, ApiError::PasskeyInvalid) {
                let failures =
                    store::mfa_pending::fail_pending(&state.db, &hash, factors::MAX_PENDING_FAILURES).await?;
                if failures >= factors::MAX_PENDING_FAILURES {
                    cookies::clear_pending(&cookies, &state.config);
                }
            }
            return Err(err);
        }
    };
    let amr = [amr::PASSWORD, proof.key_amr, amr::MULTI_FACTOR];
    let finished = finish_pending(&state, &cookies, &client, &hash, pending, &amr, "passkey").await?;
    Ok(Json(finished.info))
}

/// Options for one of the caller's passkeys, to step up with
/// (`POST /api/auth/step-up` `{"method": "passkey", …}` finishes it).
async fn step_up_options(
    State(state): State<AppState>,
    client: Client,
    SignedIn(user): SignedIn,
) -> Result<Json<PasskeyChallenge>, ApiError> {
    Ok(Json(passkeys::start_authentication(&state, &client, Purpose::StepUp, user.user_id()).await?))
}
