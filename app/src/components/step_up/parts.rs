//! The dialog's pieces that need no dialog: which ways to offer, where a
//! refusal shows and how it reads, and the password field.

use leptos::{html, prelude::*};

use crate::{
    api::ApiError,
    format::{sentence, too_many_attempts},
    types::{ErrorCode, mfa::StepUpMethod},
};

pub(super) const PASSWORD_ID: &str = "step-up-password";
pub(super) const PASSWORD_ERROR_ID: &str = "step-up-password-error";
pub(super) const ERROR_TEST_ID: &str = "step-up-error";

/// What a refused passkey reads as here: the dialog stays open for another go.
pub(super) const PASSKEY_NOT_ACCEPTED: &str = "That passkey was not accepted. Try again.";

/// The ways this dialog can offer, strongest first, of those the server
/// allows. A passkey only where this browser can use one (`passkeys_work`).
pub(super) fn offered(allowed: &[StepUpMethod], passkeys_work: bool) -> Vec<StepUpMethod> {
    [StepUpMethod::Passkey, StepUpMethod::Totp, StepUpMethod::Password]
        .into_iter()
        .filter(|method| allowed.contains(method) && (passkeys_work || *method != StepUpMethod::Passkey))
        .collect()
}

/// Whether a refusal means the session is gone (a dead access token), as
/// opposed to a wrong password, code or passkey, which the user simply
/// tries again.
pub(super) fn session_gone(refusal: &ApiError) -> bool {
    refusal.is_unauthorized()
        && !matches!(
            refusal.code(),
            Some(ErrorCode::InvalidCredentials | ErrorCode::CodeInvalid | ErrorCode::PasskeyInvalid)
        )
}

/// Which part of the dialog a refusal is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Field {
    /// The password or the code.
    Secret,
    Form,
}

/// Places a refusal of `POST /api/auth/step-up` and words it.
pub(super) fn describe(refusal: &ApiError) -> (Field, String) {
    match refusal.code() {
        Some(ErrorCode::InvalidCredentials) => (Field::Secret, "Password is wrong.".to_owned()),
        Some(ErrorCode::CodeInvalid) => {
            (Field::Secret, "That code is not right. Enter the code your app shows now.".to_owned())
        }
        Some(ErrorCode::PasskeyInvalid) => (Field::Form, PASSKEY_NOT_ACCEPTED.to_owned()),
        Some(ErrorCode::RateLimited) => (Field::Form, too_many_attempts(refusal.retry_after_secs())),
        _ => (Field::Form, sentence(&refusal.message())),
    }
}

/// The current password, for an account that proves itself with it.
#[component]
pub(super) fn PasswordField(input: NodeRef<html::Input>, error: Signal<Option<String>>) -> impl IntoView {
    let has_error = move || error.with(Option::is_some);
    view! {
        <p class="hint">"Enter your password."</p>
        <div class="field">
            <label for=PASSWORD_ID>"Password"</label>
            <input
                id=PASSWORD_ID
                name="password"
                type="password"
                autocomplete="current-password"
                required
                aria-invalid=move || if has_error() { "true" } else { "false" }
                aria-describedby=move || has_error().then_some(PASSWORD_ERROR_ID)
                data-testid=PASSWORD_ID
                node_ref=input
            />
            {move || {
                error
                    .get()
                    .map(|message| {
                        view! {
                            <p id=PASSWORD_ERROR_ID class="form-error" role="alert" data-testid=ERROR_TEST_ID>
                                {message}
                            </p>
                        }
                    })
            }}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ErrorBody;

    fn refusal(status: u16, code: ErrorCode) -> ApiError {
        ApiError::Server {
            status,
            body: ErrorBody { error: code, message: "whatever the server says".into(), field: None },
            retry_after: None,
        }
    }

    #[test]
    fn the_code_is_offered_before_the_password() {
        assert_eq!(
            offered(&[StepUpMethod::Password, StepUpMethod::Totp], true),
            [StepUpMethod::Totp, StepUpMethod::Password]
        );
    }

    #[test]
    fn a_passkey_comes_first_where_the_browser_can_use_one() {
        assert_eq!(
            offered(&[StepUpMethod::Totp, StepUpMethod::Passkey], true),
            [StepUpMethod::Passkey, StepUpMethod::Totp]
        );
        assert_eq!(offered(&[StepUpMethod::Passkey, StepUpMethod::Password], false), [StepUpMethod::Password]);
        assert!(offered(&[StepUpMethod::Passkey], false).is_empty());
    }

    #[test]
    fn a_refused_passkey_is_retried_not_taken_for_a_lost_session() {
        assert_eq!(describe(&refusal(401, ErrorCode::PasskeyInvalid)), (Field::Form, PASSKEY_NOT_ACCEPTED.to_owned()));
        assert!(!session_gone(&refusal(401, ErrorCode::PasskeyInvalid)));
        assert!(!session_gone(&refusal(401, ErrorCode::CodeInvalid)));
        assert!(!session_gone(&refusal(401, ErrorCode::InvalidCredentials)));
        assert!(session_gone(&refusal(401, ErrorCode::Unauthenticated)));
        assert!(!session_gone(&refusal(429, ErrorCode::RateLimited)));
    }

    #[test]
    fn a_wrong_password_or_code_shows_at_the_input() {
        assert_eq!(
            describe(&refusal(401, ErrorCode::InvalidCredentials)),
            (Field::Secret, "Password is wrong.".to_owned())
        );
        assert_eq!(describe(&refusal(401, ErrorCode::CodeInvalid)).0, Field::Secret);
        assert_eq!(describe(&refusal(429, ErrorCode::RateLimited)).0, Field::Form);
        assert_eq!(
            describe(&refusal(422, ErrorCode::InvalidInput)),
            (Field::Form, "Whatever the server says.".to_owned())
        );
    }
}
