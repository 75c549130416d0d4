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

/// The ways this dialog can offer, strongest first, of those the server
/// allows. Passkeys are not offered here yet.
pub(super) fn offered(allowed: &[StepUpMethod]) -> Vec<StepUpMethod> {
    [StepUpMethod::Totp, StepUpMethod::Password].into_iter().filter(|method| allowed.contains(method)).collect()
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
    fn the_code_is_offered_before_the_password_and_passkeys_not_yet() {
        assert_eq!(
            offered(&[StepUpMethod::Password, StepUpMethod::Totp]),
            [StepUpMethod::Totp, StepUpMethod::Password]
        );
        assert_eq!(offered(&[StepUpMethod::Passkey, StepUpMethod::Password]), [StepUpMethod::Password]);
        assert!(offered(&[StepUpMethod::Passkey]).is_empty());
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
