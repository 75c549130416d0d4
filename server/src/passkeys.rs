//! The passkey service: the relying party, the ceremonies and the checks
//! on every assertion, on top of `webauthn-rs`' safe passkey API.
//!
//! A ceremony's state (it holds the challenge) lives in
//! `webauthn_ceremonies` under the SHA-256 of a random name the browser
//! gets with the options. Finishing takes the row out with one `DELETE`:
//! a ceremony is finished once, on any instance, within five minutes, and
//! only for the purpose (and the user) it was started for.
//!
//! Every accepted assertion then moves the passkey's signature counter
//! forward by a compare-and-swap. `webauthn-rs` refuses a counter at or
//! below the stored one (a cloned authenticator); that refusal is audited
//! as `passkey_clone_suspected`.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder, WebauthnError,
};

use app::types::{InputField, mfa::amr, passkeys::PasskeyChallenge};

use crate::{
    audit::{Event, EventKind},
    client::Client,
    config::Config,
    error::ApiError,
    factors::token_hash,
    metrics::FactorOutcome,
    state::AppState,
    store::{self, passkeys::PasskeyRow},
};

/// Life of a ceremony, and the browser's timeout for it.
pub const CEREMONY_SECS: i64 = 300;
/// Longest ceremony name accepted (ours are 43 characters).
const MAX_CEREMONY_CHARS: usize = 128;

/// What a ceremony is for; a ceremony finishes only as what it started as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Adding a passkey to the signed-in user.
    Register,
    /// Signing in with a passkey alone (no user known yet).
    SignIn,
    /// The second step of a password sign-in.
    SecondStep,
    /// Proving a signed-in user again.
    StepUp,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::SignIn => "sign_in",
            Self::SecondStep => "second_step",
            Self::StepUp => "step_up",
        }
    }

    /// How audit details name where a passkey was used.
    fn context(self) -> &'static str {
        match self {
            Self::Register => "passkey: registration",
            Self::SignIn => "passkey: sign-in",
            Self::SecondStep => "passkey: sign-in second step",
            Self::StepUp => "passkey: step-up",
        }
    }
}

/// The relying party this server is, from `AUTH_PUBLIC_ORIGIN` and
/// `AUTH_WEBAUTHN_RP_*`. `None` when the public origin has no domain name
/// (an IP address): WebAuthn needs one, so passkeys are off.
pub fn relying_party(config: &Config) -> anyhow::Result<Option<Webauthn>> {
    let origin = Url::parse(&config.public_origin)?;
    if origin.domain().is_none() {
        tracing::warn!(
            origin = %config.public_origin,
            "passkeys are off: WebAuthn needs a domain name in AUTH_PUBLIC_ORIGIN (http://localhost:… works)"
        );
        return Ok(None);
    }
    let mut builder = WebauthnBuilder::new(&config.webauthn.id, &origin)?
        .rp_name(&config.webauthn.name)
        .timeout(Duration::from_secs(CEREMONY_SECS as u64));
    for other in &config.allowed_origins {
        let other = Url::parse(other)?;
        if other
            .domain()
            .is_some_and(|host| host == config.webauthn.id || host.ends_with(&format!(".{}", config.webauthn.id)))
        {
            builder = builder.append_allowed_origin(&other);
        }
    }
    Ok(Some(builder.build()?))
}

/// What an accepted assertion proved.
#[derive(Debug, Clone)]
pub struct Proof {
    pub user_id: String,
    pub passkey_id: String,
    /// `hwk` (a key bound to one device) or `swk` (a synced passkey).
    pub key_amr: &'static str,
}

fn webauthn(state: &AppState) -> Result<&Webauthn, ApiError> {
    state.webauthn.as_deref().ok_or_else(|| {
        ApiError::invalid("passkeys are not available here: the server's public origin has no domain name")
    })
}

/// Starts a ceremony: stores its state and answers the options with the
/// ceremony's name. Counted per address (given back when finished).
async fn begin(
    state: &AppState,
    client: &Client,
    purpose: Purpose,
    user_id: Option<&str>,
    ceremony_state: String,
    options: serde_json::Value,
) -> Result<PasskeyChallenge, ApiError> {
    state.limits.ceremonies_by_ip.acquire(&client.ip_key())?;
    let ceremony = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let expires_at = state.now() + CEREMONY_SECS;
    store::passkeys::insert_ceremony(
        &state.db,
        &token_hash(&ceremony),
        purpose.as_str(),
        user_id,
        &ceremony_state,
        expires_at,
    )
    .await?;
    Ok(PasskeyChallenge { ceremony, options })
}

/// Takes a live ceremony of `purpose` for good. `None`: unknown, expired,
/// used, or started for something else.
async fn take(
    state: &AppState,
    client: &Client,
    purpose: Purpose,
    ceremony: &str,
) -> Result<Option<store::passkeys::CeremonyRow>, ApiError> {
    if ceremony.is_empty() || ceremony.len() > MAX_CEREMONY_CHARS {
        return Ok(None);
    }
    let row = store::passkeys::take_ceremony(&state.db, &token_hash(ceremony), purpose.as_str(), state.now()).await?;
    if row.is_some() {
        state.limits.ceremonies_by_ip.forgive(&client.ip_key());
    }
    Ok(row)
}

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

fn stored_passkeys(rows: &[PasskeyRow]) -> Result<Vec<Passkey>, ApiError> {
    rows.iter().map(|row| from_json(&row.credential)).collect()
}

fn to_json(value: &impl serde::Serialize) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(|err| ApiError::Internal(err.into()))
}

/// Reads back what this server stored; a failure is a bug or a corrupt row.
fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    serde_json::from_str(text).map_err(|err| ApiError::Internal(err.into()))
}
