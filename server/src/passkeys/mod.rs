//! The passkey service, on top of `webauthn-rs`' safe passkey API: the
//! relying party ([`relying_party`]), ceremonies kept server-side
//! ([`ceremony`]), adding a passkey ([`register`]) and the checks on every
//! assertion ([`assertion`]).
//!
//! Every accepted assertion moves the passkey's signature counter forward
//! by a compare-and-swap. `webauthn-rs` refuses a counter at or below the
//! stored one (a cloned authenticator); that refusal is audited as
//! `passkey_clone_suspected`.

mod assertion;
mod ceremony;
mod register;

use std::time::Duration;

use webauthn_rs::prelude::{Passkey, Url, Webauthn, WebauthnBuilder};

pub use assertion::{finish_authentication, start_authentication, start_sign_in};
pub use ceremony::{CEREMONY_SECS, Purpose};
pub use register::{Registered, finish_registration, start_registration};

use crate::{config::Config, error::ApiError, state::AppState, store::passkeys::PasskeyRow};

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

pub(super) fn webauthn(state: &AppState) -> Result<&Webauthn, ApiError> {
    state.webauthn.as_deref().ok_or_else(|| {
        ApiError::invalid("passkeys are not available here: the server's public origin has no domain name")
    })
}

pub(super) fn stored_passkeys(rows: &[PasskeyRow]) -> Result<Vec<Passkey>, ApiError> {
    rows.iter().map(|row| from_json(&row.credential)).collect()
}

pub(super) fn to_json(value: &impl serde::Serialize) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(|err| ApiError::Internal(err.into()))
}

/// Reads back what this server stored; a failure is a bug or a corrupt row.
pub(super) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    serde_json::from_str(text).map_err(|err| ApiError::Internal(err.into()))
}
