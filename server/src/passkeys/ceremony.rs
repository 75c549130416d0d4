//! Ceremonies in progress: a ceremony's state (it holds the challenge)
//! lives in `webauthn_ceremonies` under the SHA-256 of a random name the
//! browser gets with the options. Finishing takes the row out with one
//! `DELETE`: a ceremony is finished once, on any instance, within five
//! minutes, and only for the purpose (and the user) it was started for.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use app::types::passkeys::PasskeyChallenge;

use crate::{client::Client, error::ApiError, factors::token_hash, state::AppState, store};

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
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::SignIn => "sign_in",
            Self::SecondStep => "second_step",
            Self::StepUp => "step_up",
        }
    }

    /// How audit details name where a passkey was used.
    pub(super) fn context(self) -> &'static str {
        match self {
            Self::Register => "passkey: registration",
            Self::SignIn => "passkey: sign-in",
            Self::SecondStep => "passkey: sign-in second step",
            Self::StepUp => "passkey: step-up",
        }
    }
}

/// Starts a ceremony: stores its state and answers the options with the
/// ceremony's name. Counted per address (given back when finished).
pub(super) async fn begin(
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
pub(super) async fn take(
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
