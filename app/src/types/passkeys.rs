//! Passkeys (WebAuthn): what the registration and assertion ceremonies
//! send and take.
//!
//! A ceremony has two calls. The first (`…/options`) answers a
//! [`PasskeyChallenge`]: WebAuthn options in their standard JSON form, for
//! `PublicKeyCredential.parseCreationOptionsFromJSON` /
//! `parseRequestOptionsFromJSON`, and the ceremony that holds their
//! challenge on the server (single use, five minutes, any instance). The
//! second call sends the browser's credential back (`credential.toJSON()`)
//! with that ceremony. The credential stays an opaque JSON value here: only
//! the server reads it, with `webauthn-rs`.

use serde::{Deserialize, Serialize};

use super::mfa::{PasskeyView, RecoveryCodes};

/// Longest passkey name, in characters.
pub const MAX_PASSKEY_NAME_CHARS: usize = 64;

/// Answer of the `…/options` endpoints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyChallenge {
    /// Names the server-side ceremony; send it back with the credential.
    pub ceremony: String,
    /// `PublicKeyCredentialCreationOptionsJSON` or
    /// `PublicKeyCredentialRequestOptionsJSON`.
    pub options: serde_json::Value,
}

/// Body of `POST /api/auth/passkeys`: a new passkey, named by its owner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPasskey {
    pub ceremony: String,
    pub name: String,
    /// The `PublicKeyCredential` that `navigator.credentials.create` made,
    /// as `toJSON()` gives it.
    pub credential: serde_json::Value,
}

/// Answer of `POST /api/auth/passkeys`: the passkey is registered. A first
/// second factor also makes the recovery codes, shown only here (empty
/// otherwise).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyAdded {
    pub passkey: PasskeyView,
    pub recovery_codes: RecoveryCodes,
}

/// Body of `PUT /api/auth/passkeys/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyRename {
    pub name: String,
}

/// Body of `POST /api/auth/passkey` (sign in with a passkey alone) and
/// `POST /api/auth/mfa/passkey` (the second step of a password sign-in):
/// the assertion `navigator.credentials.get` made, as `toJSON()` gives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyAssertion {
    pub ceremony: String,
    pub credential: serde_json::Value,
}

/// Trims a passkey name and checks it: 1 to [`MAX_PASSKEY_NAME_CHARS`]
/// characters, no control characters. The error is the sentence to show.
pub fn check_passkey_name(name: &str) -> Result<String, &'static str> {
    let name = name.trim();
    if name.is_empty() {
        return Err("give the passkey a name, such as the device it is on");
    }
    if name.chars().count() > MAX_PASSKEY_NAME_CHARS {
        return Err("a passkey name is at most 64 characters");
    }
    if name.chars().any(char::is_control) {
        return Err("a passkey name cannot hold control characters");
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(check_passkey_name("  Work laptop ").as_deref(), Ok("Work laptop"));
        assert!(check_passkey_name("   ").is_err());
        assert!(check_passkey_name(&"x".repeat(65)).is_err());
        assert_eq!(check_passkey_name(&"é".repeat(64)).map(|n| n.chars().count()), Ok(64));
        assert!(check_passkey_name("a\u{7}b").is_err());
    }
}
