//! What every passkey button shares: whether this browser can use passkeys
//! (known only once hydrated), one assertion from the server's challenge to
//! what goes back, and how a failed ceremony reads.
//!
//! A ceremony fails in the browser ([`PasskeyError`]: the prompt was
//! closed, no support) or at the server ([`ApiError`]). Closing the prompt
//! is the user's own choice, so it reads as a quiet status, not an alert.

use leptos::prelude::*;

use crate::{
    api::ApiError,
    format::{sentence, too_many_attempts},
    types::{
        ErrorCode,
        passkeys::{PasskeyAssertion, PasskeyChallenge},
    },
    webauthn::{self, PasskeyError},
};

/// Whether this browser can run passkey ceremonies: `None` on the server
/// and until hydrated (so both render the same), then what the browser
/// says. Take it in a component's body.
pub fn use_passkey_support() -> ReadSignal<Option<bool>> {
    let (supported, set_supported) = signal(None);
    // Effects run only in the browser, once hydrated.
    Effect::new(move || set_supported.set(Some(webauthn::supported())));
    supported
}

/// Why a passkey ceremony did not finish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PasskeyFailure {
    /// The browser or the authenticator made no credential.
    Browser(PasskeyError),
    /// The server refused one of the two calls.
    Server(ApiError),
}

impl From<PasskeyError> for PasskeyFailure {
    fn from(error: PasskeyError) -> Self {
        Self::Browser(error)
    }
}

impl From<ApiError> for PasskeyFailure {
    fn from(error: ApiError) -> Self {
        Self::Server(error)
    }
}

impl PasskeyFailure {
    /// The server's refusal, when it was the server that refused.
    pub fn refusal(&self) -> Option<&ApiError> {
        match self {
            Self::Server(refusal) => Some(refusal),
            Self::Browser(_) => None,
        }
    }

    /// A `401` that is not about the passkey: the session behind the cookies
    /// is gone, which a check of the session settles.
    pub fn session_lost(&self) -> bool {
        self.refusal()
            .is_some_and(|refusal| refusal.is_unauthorized() && refusal.code() != Some(ErrorCode::PasskeyInvalid))
    }
}

/// Asks the server for a challenge (`challenge`: one of the `…/options`
/// calls), has one of the user's passkeys sign it, and answers the
/// assertion to send back with its ceremony.
pub async fn sign_challenge<Fut>(challenge: Fut) -> Result<PasskeyAssertion, PasskeyFailure>
where
    Fut: Future<Output = Result<PasskeyChallenge, ApiError>>,
{
    let PasskeyChallenge { ceremony, options } = challenge.await?;
    let credential = webauthn::get(&options).await?;
    Ok(PasskeyAssertion { ceremony, credential })
}

/// A failure as the user reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasskeyMessage {
    /// A closed prompt: shown as a status, not an alert.
    pub quiet: bool,
    pub text: String,
}

/// Words a failure. `not_accepted` is the sentence for an assertion the
/// server did not accept (`passkey_invalid`): it says what else to try.
pub fn describe_failure(failure: &PasskeyFailure, not_accepted: &str) -> PasskeyMessage {
    let (quiet, text) = match failure {
        PasskeyFailure::Browser(error) => (*error == PasskeyError::Cancelled, sentence(&error.to_string())),
        PasskeyFailure::Server(refusal) => (
            false,
            match refusal.code() {
                Some(ErrorCode::PasskeyInvalid) => not_accepted.to_owned(),
                Some(ErrorCode::RateLimited) => too_many_attempts(refusal.retry_after_secs()),
                _ => sentence(&refusal.message()),
            },
        ),
    };
    PasskeyMessage { quiet, text }
}

/// The line under a passkey button: a quiet status after a closed prompt,
/// an alert for the rest (inserting `role="alert"` is announced at once).
#[component]
pub fn PasskeyNote(
    #[prop(into)] message: Signal<Option<PasskeyMessage>>,
    /// The `data-testid` of the line.
    test_id: &'static str,
) -> impl IntoView {
    move || {
        message.get().map(|PasskeyMessage { quiet, text }| {
            if quiet {
                view! {
                    <p class="hint" role="status" data-testid=test_id>
                        {text}
                    </p>
                }
                .into_any()
            } else {
                view! {
                    <p class="form-error" role="alert" data-testid=test_id>
                        {text}
                    </p>
                }
                .into_any()
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ErrorBody;

    fn refusal(status: u16, code: ErrorCode) -> PasskeyFailure {
        PasskeyFailure::Server(ApiError::Server {
            status,
            body: ErrorBody { error: code, message: "whatever the server says".into(), field: None },
            retry_after: None,
        })
    }

    #[test]
    fn a_closed_prompt_reads_quietly_and_other_failures_as_alerts() {
        let closed = describe_failure(&PasskeyError::Cancelled.into(), "no");
        assert!(closed.quiet);
        assert!(closed.text.starts_with("The passkey prompt was closed"), "{}", closed.text);

        let unsupported = describe_failure(&PasskeyError::Unsupported.into(), "no");
        assert_eq!(unsupported, PasskeyMessage { quiet: false, text: "This browser cannot use passkeys.".into() });
    }

    #[test]
    fn a_refused_assertion_says_what_else_to_try() {
        let wording = "That passkey was not accepted. Try again or use your password.";
        assert_eq!(describe_failure(&refusal(401, ErrorCode::PasskeyInvalid), wording).text, wording);
        assert_eq!(describe_failure(&refusal(422, ErrorCode::InvalidInput), wording).text, "Whatever the server says.");
        assert!(describe_failure(&refusal(429, ErrorCode::RateLimited), wording).text.starts_with("Too many attempts"));
    }

    #[test]
    fn only_a_401_about_the_session_means_it_is_gone() {
        assert!(refusal(401, ErrorCode::Unauthenticated).session_lost());
        assert!(!refusal(401, ErrorCode::PasskeyInvalid).session_lost());
        assert!(!refusal(409, ErrorCode::PasskeyTaken).session_lost());
        assert!(!PasskeyFailure::from(PasskeyError::Cancelled).session_lost());
    }
}
