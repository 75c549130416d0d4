//! Using a passkey: the request options (for one user's passkeys, or for
//! any passkey of this site) and the checks on the browser's assertion.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyAuthentication, PublicKeyCredential, WebauthnError,
};

use app::types::{InputField, mfa::amr, passkeys::PasskeyChallenge};

use super::{
    Proof,
    ceremony::{Purpose, begin, take},
    from_json, stored_passkeys, to_json, webauthn,
};
use crate::{
    audit::{Event, EventKind},
    client::Client,
    error::ApiError,
    metrics::FactorOutcome,
    state::AppState,
    store::{self, passkeys::PasskeyRow},
};

/// Options for an assertion by one of `user_id`'s passkeys (the second
/// step of a password sign-in, or a step-up). `422` when they have none.
pub async fn start_authentication(
    state: &AppState,
    client: &Client,
    purpose: Purpose,
    user_id: &str,
) -> Result<PasskeyChallenge, ApiError> {
    let webauthn = webauthn(state)?;
    let passkeys = stored_passkeys(&store::passkeys::for_user(&state.db, user_id).await?)?;
    if passkeys.is_empty() {
        return Err(ApiError::invalid_field(InputField::Method, "this account has no passkey"));
    }
    let (challenge, authentication) =
        webauthn.start_passkey_authentication(&passkeys).map_err(|err| ApiError::Internal(err.into()))?;
    let options = serde_json::to_value(&challenge.public_key).map_err(|err| ApiError::Internal(err.into()))?;
    begin(state, client, purpose, Some(user_id), to_json(&authentication)?, options).await
}

/// Options for an assertion by any passkey of this site (sign in with a
/// passkey alone).
pub async fn start_sign_in(state: &AppState, client: &Client) -> Result<PasskeyChallenge, ApiError> {
    let webauthn = webauthn(state)?;
    let (challenge, authentication) =
        webauthn.start_discoverable_authentication().map_err(|err| ApiError::Internal(err.into()))?;
    let options = serde_json::to_value(&challenge.public_key).map_err(|err| ApiError::Internal(err.into()))?;
    begin(state, client, Purpose::SignIn, None, to_json(&authentication)?, options).await
}

/// Checks an assertion for a ceremony of `purpose`. For a known user
/// (`expected_user`), only their passkeys count; for a passkey sign-in the
/// passkey names its user. Every refusal is `401 passkey_invalid`,
/// audited and measured.
pub async fn finish_authentication(
    state: &AppState,
    client: &Client,
    purpose: Purpose,
    expected_user: Option<&str>,
    ceremony: &str,
    credential: serde_json::Value,
) -> Result<Proof, ApiError> {
    let webauthn = webauthn(state)?;
    let refuse = |user_id: Option<&str>, why: &str| {
        state.metrics.factor("passkey", FactorOutcome::Refused);
        let mut event = Event::new(EventKind::MfaFailed).client(client).detail(format!("{}: {why}", purpose.context()));
        if let Some(user_id) = user_id {
            event = event.user(user_id);
        }
        state.audit.record(event);
        ApiError::PasskeyInvalid
    };
    let Some(row) = take(state, client, purpose, ceremony).await? else {
        return Err(refuse(expected_user, "unknown, expired or used ceremony"));
    };
    if row.user_id.as_deref() != expected_user {
        return Err(refuse(expected_user, "a ceremony of another user"));
    }
    let Ok(answer) = serde_json::from_value::<PublicKeyCredential>(credential) else {
        return Err(ApiError::invalid_field(InputField::Credential, "the credential is not a WebAuthn assertion"));
    };
    let credential_id = URL_SAFE_NO_PAD.encode(answer.get_credential_id());
    let stored = store::passkeys::by_credential_id(&state.db, &credential_id).await?;
    let Some(stored) = stored.filter(|stored| expected_user.is_none_or(|user| user == stored.user_id)) else {
        return Err(refuse(expected_user, "a passkey this account does not have"));
    };
    let mut passkey: Passkey = from_json(&stored.credential)?;
    let verified = match expected_user {
        Some(_) => {
            let authentication: PasskeyAuthentication = from_json(&row.state)?;
            webauthn.finish_passkey_authentication(&answer, &authentication)
        }
        None => {
            let authentication: DiscoverableAuthentication = from_json(&row.state)?;
            // The user handle is unsigned: it must name the passkey's owner.
            let owner = match webauthn.identify_discoverable_authentication(&answer) {
                Ok((handle, _)) => store::passkeys::user_of_handle(&state.db, &handle.to_string()).await?,
                Err(_) => None,
            };
            if owner.as_deref() != Some(stored.user_id.as_str()) {
                return Err(refuse(Some(&stored.user_id), "the user handle does not match the passkey"));
            }
            webauthn.finish_discoverable_authentication_v2(&answer, authentication, &passkey)
        }
    };
    let result = match verified {
        Ok(result) => result,
        Err(WebauthnError::CredentialPossibleCompromise) => return Err(clone_suspected(state, client, &stored)),
        Err(err) => {
            tracing::info!(error = %err, "passkey assertion refused");
            return Err(refuse(Some(&stored.user_id), "the assertion did not verify"));
        }
    };
    passkey.update_credential(&result);
    let counter = i64::from(result.counter());
    if !store::passkeys::record_use(&state.db, &stored.id, &to_json(&passkey)?, counter, state.now()).await? {
        // Another assertion with this counter (or a later one) won.
        return Err(clone_suspected(state, client, &stored));
    }
    state.metrics.factor("passkey", FactorOutcome::Success);
    let key_amr = if result.backup_eligible() { amr::SOFTWARE_KEY } else { amr::HARDWARE_KEY };
    Ok(Proof { user_id: stored.user_id, passkey_id: stored.id, key_amr })
}

/// Audits a passkey whose counter went backwards and answers the refusal.
fn clone_suspected(state: &AppState, client: &Client, stored: &PasskeyRow) -> ApiError {
    tracing::warn!(user_id = %stored.user_id, passkey = %stored.id, "passkey counter went backwards: possible clone");
    state.metrics.factor("passkey", FactorOutcome::CloneSuspected);
    state.audit.record(
        Event::new(EventKind::PasskeyCloneSuspected)
            .user(&stored.user_id)
            .client(client)
            .detail(format!("passkey \"{}\" ({})", stored.name, stored.id)),
    );
    ApiError::PasskeyInvalid
}
