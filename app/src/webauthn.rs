//! The browser's half of a passkey ceremony: hand the server's options to
//! `navigator.credentials` and give back what the authenticator made.
//!
//! The options arrive in WebAuthn's standard JSON form and go through
//! `PublicKeyCredential.parseCreationOptionsFromJSON` /
//! `parseRequestOptionsFromJSON`; the credential goes back through its own
//! `toJSON()`. So no byte handling lives here, and nothing secret either: a
//! passkey's private key never leaves the authenticator.
//!
//! In the server's build every call answers [`PasskeyError::Unsupported`]:
//! ceremonies only start from event handlers, in the browser.

use std::fmt;

/// Why a ceremony did not produce a credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PasskeyError {
    /// This browser has no WebAuthn JSON support (or this is the server).
    Unsupported,
    /// The user dismissed the prompt, or it timed out (`NotAllowedError`).
    Cancelled,
    /// The authenticator holds a passkey for this account already
    /// (`InvalidStateError` at creation).
    AlreadyRegistered,
    /// Anything else, with the browser's words.
    Failed(String),
}

impl fmt::Display for PasskeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsupported => f.write_str("this browser cannot use passkeys"),
            Self::Cancelled => f.write_str("the passkey prompt was closed before it finished; try again"),
            Self::AlreadyRegistered => f.write_str("this device already holds a passkey for your account"),
            Self::Failed(message) => write!(f, "the passkey did not work: {message}"),
        }
    }
}

#[cfg(feature = "hydrate")]
mod imp {
    use js_sys::{Function, JSON, Promise, Reflect};
    use wasm_bindgen::prelude::*;

    use super::PasskeyError;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(catch, js_namespace = PublicKeyCredential, js_name = parseCreationOptionsFromJSON)]
        fn parse_creation_options(options: &JsValue) -> Result<JsValue, JsValue>;

        #[wasm_bindgen(catch, js_namespace = PublicKeyCredential, js_name = parseRequestOptionsFromJSON)]
        fn parse_request_options(options: &JsValue) -> Result<JsValue, JsValue>;

        #[wasm_bindgen(catch, js_namespace = ["navigator", "credentials"], js_name = create)]
        fn credentials_create(options: &JsValue) -> Result<Promise, JsValue>;

        #[wasm_bindgen(catch, js_namespace = ["navigator", "credentials"], js_name = get)]
        fn credentials_get(options: &JsValue) -> Result<Promise, JsValue>;
    }

    pub fn supported() -> bool {
        let Ok(class) = Reflect::get(&js_sys::global(), &"PublicKeyCredential".into()) else { return false };
        ["parseCreationOptionsFromJSON", "parseRequestOptionsFromJSON"]
            .iter()
            .all(|name| Reflect::get(&class, &(*name).into()).is_ok_and(|f| f.is_function()))
    }

    pub async fn create(options: &serde_json::Value) -> Result<serde_json::Value, PasskeyError> {
        if !supported() {
            return Err(PasskeyError::Unsupported);
        }
        let public_key = parse_creation_options(&to_js(options)?).map_err(refusal)?;
        let credential = credentials_create(&wrap(&public_key)?).map_err(refusal)?.await.map_err(refusal)?;
        to_json(&credential)
    }

    pub async fn get(options: &serde_json::Value) -> Result<serde_json::Value, PasskeyError> {
        if !supported() {
            return Err(PasskeyError::Unsupported);
        }
        let public_key = parse_request_options(&to_js(options)?).map_err(refusal)?;
        let credential = credentials_get(&wrap(&public_key)?).map_err(refusal)?.await.map_err(refusal)?;
        to_json(&credential)
    }

    /// `{publicKey: options}`, what `credentials.create`/`get` take.
    fn wrap(public_key: &JsValue) -> Result<JsValue, PasskeyError> {
        let options = js_sys::Object::new();
        Reflect::set(&options, &"publicKey".into(), public_key).map_err(refusal)?;
        Ok(options.into())
    }

    fn to_js(value: &serde_json::Value) -> Result<JsValue, PasskeyError> {
        JSON::parse(&value.to_string()).map_err(refusal)
    }

    /// The credential's own `toJSON()`, as a JSON value for the server.
    fn to_json(credential: &JsValue) -> Result<serde_json::Value, PasskeyError> {
        if credential.is_null() || credential.is_undefined() {
            return Err(PasskeyError::Cancelled);
        }
        let to_json: Function = Reflect::get(credential, &"toJSON".into())
            .ok()
            .and_then(|f| f.dyn_into().ok())
            .ok_or(PasskeyError::Unsupported)?;
        let json = to_json.call0(credential).map_err(refusal)?;
        let text: String = JSON::stringify(&json).map_err(refusal)?.into();
        serde_json::from_str(&text).map_err(|err| PasskeyError::Failed(err.to_string()))
    }

    /// A DOMException (or anything thrown) as a [`PasskeyError`].
    fn refusal(error: JsValue) -> PasskeyError {
        let text = |key: &str| Reflect::get(&error, &key.into()).ok().and_then(|v| v.as_string()).unwrap_or_default();
        match text("name").as_str() {
            "NotAllowedError" | "AbortError" => PasskeyError::Cancelled,
            "InvalidStateError" => PasskeyError::AlreadyRegistered,
            "NotSupportedError" => PasskeyError::Unsupported,
            _ => PasskeyError::Failed(text("message")),
        }
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    use super::PasskeyError;

    pub fn supported() -> bool {
        false
    }

    pub async fn create(_options: &serde_json::Value) -> Result<serde_json::Value, PasskeyError> {
        Err(PasskeyError::Unsupported)
    }

    pub async fn get(_options: &serde_json::Value) -> Result<serde_json::Value, PasskeyError> {
        Err(PasskeyError::Unsupported)
    }
}

/// True when this browser can run the ceremonies (always false on the
/// server: call it in an effect or handler).
pub fn supported() -> bool {
    imp::supported()
}

/// Creates a passkey from `POST /api/auth/passkeys/options`' options.
pub async fn create(options: &serde_json::Value) -> Result<serde_json::Value, PasskeyError> {
    imp::create(options).await
}

/// Asks an authenticator to sign a challenge (sign-in, second step or
/// step-up options).
pub async fn get(options: &serde_json::Value) -> Result<serde_json::Value, PasskeyError> {
    imp::get(options).await
}
