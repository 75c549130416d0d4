//! Operator actions shared by the HTTP API and the command line: creating
//! users, changing roles, rotating keys (ending sessions is
//! [`crate::sessions`]' job). Each one updates the store,
//! drops what this instance cached about it and records an audit event, so
//! the API and the CLI cannot drift apart.

use app::types::InputField;

use crate::{
    audit::{Actor, Event, EventKind},
    auth::{keys, mac_keys},
    client::Client,
    domain::{Email, NewPassword, Roles},
    error::ApiError,
    notices::{self, Notice},
    state::AppState,
    store::{
        self,
        users::{RolesSet, UserRow},
    },
};

/// Creates an account; `409 email_taken` if the email has one.
pub async fn create_user(
    state: &AppState,
    email: &Email,
    password: NewPassword,
    roles: &Roles,
) -> Result<UserRow, ApiError> {
    if store::users::find_user_by_email(&state.db, email.as_str()).await?.is_some() {
        return Err(ApiError::EmailTaken);
    }
    let now = store::now();
    let user = UserRow {
        id: uuid::Uuid::new_v4().to_string(),
        email: email.as_str().to_owned(),
        password_hash: state.passwords.hash(password.into_inner()).await?,
        roles: roles.joined(),
        created_at: now,
        authz_version: 0,
        email_verified_at: None,
        mfa_enrolled_at: None,
        has_totp: false,
        has_passkey: false,
    };
    if !store::users::insert_user(&state.db, &user).await? {
        return Err(ApiError::EmailTaken);
    }
    Ok(user)
}

/// Sets exactly `roles` on a user. Their access tokens issued before are
/// refused from now on (here at once, elsewhere within a second); a refresh
/// issues one with the new roles.
pub async fn set_roles(state: &AppState, user: &UserRow, roles: &Roles, actor: Actor<'_>) -> Result<UserRow, ApiError> {
    let before = user.roles.clone();
    let after = roles.joined();
    if before == after {
        // Nothing changes: no version bump (which would send every token of
        // the user through a refresh) and no event.
        return Ok(user.clone());
    }
    match store::users::set_user_roles(&state.db, &user.id, &after, store::now()).await? {
        RolesSet::Done => {}
        RolesSet::NotFound => return Err(ApiError::NotFound),
        RolesSet::LastAdmin => {
            return Err(ApiError::invalid_field(
                InputField::Roles,
                "this is the last admin: make another account admin first",
            ));
        }
    }
    state.gate.forget_user(&user.id);
    tracing::info!(user_id = %user.id, roles = %after, "roles changed");
    let event = Event::new(EventKind::RoleChanged).user(&user.id);
    state.audit.record(actor.stamp(event, &format!("{before} -> {after}")));
    store::users::find_user_by_id(&state.db, &user.id).await?.ok_or(ApiError::NotFound)
}

/// Removes every second factor and recovery code of a user (one who lost
/// them all, after the operator checked who they are). Audited and mailed
/// to the user. `Ok(false)`: the user had none.
pub async fn reset_second_factors(state: &AppState, user_id: &str, actor: Actor<'_>) -> Result<bool, ApiError> {
    if !store::mfa::reset_factors(&state.db, user_id, store::now()).await? {
        return Ok(false);
    }
    state.gate.forget_user(user_id);
    tracing::info!(user_id = %user_id, "second factors reset");
    state.audit.record(actor.stamp(Event::new(EventKind::MfaReset).user(user_id), "every second factor removed"));
    let what = "an administrator removed its second factors; set up a new one".to_owned();
    let client = actor.client.cloned().unwrap_or(Client { ip: None, user_agent: None });
    if let Err(err) = notices::queue(state, user_id, Notice::SecondFactor { what }, &client).await {
        tracing::warn!(error = %err, user_id = %user_id, "queueing the second-factor reset notice failed");
    }
    Ok(true)
}

/// Makes a new signing key current (see [`keys::rotate`]) and reloads this
/// instance's keys; returns the new `kid`.
/// With `AUTH_SIGNING_KEY_FILE` there is nothing to rotate: `422`.
pub async fn rotate_keys(state: &AppState) -> Result<String, ApiError> {
    if state.config.signing_key_file.is_some() {
        return Err(ApiError::invalid(
            "the signing key comes from AUTH_SIGNING_KEY_FILE: replace that file and restart instead",
        ));
    }
    let kid = keys::rotate(&state.db, &state.sealer).await.map_err(ApiError::Internal)?;
    state.keys.reload(&state.db).await.map_err(ApiError::Internal)?;
    state.audit.record(Event::new(EventKind::KeyRotated).detail(format!("new kid {kid}")));
    Ok(kid)
}

/// Makes a new refresh MAC key current and reloads this instance's keys;
/// tokens under the old key still refresh (once each: the answer carries a
/// token under the new key) for one refresh life. Returns when that ends.
pub async fn rotate_mac_key(state: &AppState) -> Result<i64, ApiError> {
    let grace = state.config.refresh_idle_secs;
    let until = mac_keys::rotate(&state.db, &state.sealer, grace).await.map_err(ApiError::Internal)?;
    state.refresh_keys.reload(&state.db).await.map_err(ApiError::Internal)?;
    state.audit.record(Event::new(EventKind::MacKeyRotated).detail(format!("previous key verifies until {until}")));
    Ok(until)
}
