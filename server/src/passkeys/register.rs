//! Adding a passkey: the creation options and the check of the browser's
//! answer.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use webauthn_rs::prelude::{PasskeyRegistration, RegisterPublicKeyCredential, Uuid};

use app::types::{InputField, passkeys::PasskeyChallenge};

use super::{
    ceremony::{Purpose, begin, take},
    from_json, stored_passkeys, to_json, webauthn,
};
use crate::{client::Client, error::ApiError, state::AppState, store};

/// Options to create a passkey for `user`: a resident (discoverable) key
/// with user verification, excluding the passkeys they have.
pub async fn start_registration(
    state: &AppState,
    client: &Client,
    user_id: &str,
    email: &str,
) -> Result<PasskeyChallenge, ApiError> {
    let webauthn = webauthn(state)?;
    let handle = store::passkeys::user_handle(&state.db, user_id, &Uuid::new_v4().to_string()).await?;
    let handle = Uuid::parse_str(&handle).map_err(|err| ApiError::Internal(err.into()))?;
    let existing = stored_passkeys(&store::passkeys::for_user(&state.db, user_id).await?)?;
    let exclude = existing.iter().map(|passkey| passkey.cred_id().clone()).collect();
    let (challenge, registration) = webauthn
        .start_passkey_registration(handle, email, email, Some(exclude))
        .map_err(|err| ApiError::Internal(err.into()))?;
    let mut options = serde_json::to_value(&challenge.public_key).map_err(|err| ApiError::Internal(err.into()))?;
    // A passkey signs in with no email typed, so it must be discoverable.
    options["authenticatorSelection"]["residentKey"] = "required".into();
    options["authenticatorSelection"]["requireResidentKey"] = true.into();
    begin(state, client, Purpose::Register, Some(user_id), to_json(&registration)?, options).await
}

/// A verified new passkey, ready to store.
pub struct Registered {
    pub credential_id: String,
    pub credential: String,
}

/// Verifies the browser's answer to a registration ceremony of `user_id`.
/// A ceremony of someone else, or none, or an answer that does not verify:
/// `422 invalid_input` (`field: credential`).
pub async fn finish_registration(
    state: &AppState,
    client: &Client,
    user_id: &str,
    ceremony: &str,
    credential: serde_json::Value,
) -> Result<Registered, ApiError> {
    let webauthn = webauthn(state)?;
    let refused = |why: &str| ApiError::invalid_field(InputField::Credential, why);
    let row = take(state, client, Purpose::Register, ceremony).await?;
    let Some(row) = row.filter(|row| row.user_id.as_deref() == Some(user_id)) else {
        return Err(refused("this passkey setup expired or was already used; start again"));
    };
    let registration: PasskeyRegistration = from_json(&row.state)?;
    let answer: RegisterPublicKeyCredential = serde_json::from_value(credential)
        .map_err(|_| refused("the credential is not a WebAuthn registration response"))?;
    let passkey = webauthn.finish_passkey_registration(&answer, &registration).map_err(|err| {
        tracing::info!(error = %err, "passkey registration refused");
        refused("the passkey could not be verified; try again")
    })?;
    Ok(Registered { credential_id: URL_SAFE_NO_PAD.encode(passkey.cred_id()), credential: to_json(&passkey)? })
}
