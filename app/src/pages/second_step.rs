//! The second step of a sign-in: the password was right and the account has
//! a second factor, which finishes it: a passkey (offered first, see
//! [`PasskeyStep`]), six digits from the authenticator app, or one of the
//! recovery codes.
//!
//! The server keeps the half-done sign-in in a short-lived HttpOnly cookie
//! (five minutes, five tries) that this page never sees. When it is gone
//! (`401 mfa_pending_invalid`) the page goes back to the password, with the
//! server's message.

use leptos::{
    ev::{MouseEvent, SubmitEvent},
    html,
    prelude::*,
};

use super::passkey_sign_in::PasskeyStep;
use crate::{
    api::{self, ApiError},
    components::{BusyButton, CodeField, CodeKind, read_code},
    format::{sentence, too_many_attempts},
    session::use_session,
    types::{
        ErrorCode, InputField, SessionInfo,
        mfa::{OneTimeCode, SecondFactor},
    },
};

const ERROR_TEST_ID: &str = "mfa-error";

/// Finishing the sign-in: which code and what was typed in, the session out.
type FinishAction = Action<(CodeKind, String), Result<SessionInfo, ApiError>>;

/// Which part of the form a refusal is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Code,
    Form,
}

/// Places a refusal and words it for the code that was tried.
fn describe(refusal: &ApiError, kind: CodeKind) -> (Field, String) {
    match (refusal.code(), kind) {
        (Some(ErrorCode::CodeInvalid), CodeKind::Totp) => {
            (Field::Code, "That code is not right. Enter the code your app shows now.".to_owned())
        }
        (Some(ErrorCode::CodeInvalid), CodeKind::Recovery) => {
            (Field::Code, "That recovery code is not right, or it was used already.".to_owned())
        }
        (Some(ErrorCode::RateLimited), _) => (Field::Form, too_many_attempts(refusal.retry_after_secs())),
        _ if refusal.field() == Some(InputField::Code) => (Field::Code, sentence(&refusal.message())),
        _ => (Field::Form, sentence(&refusal.message())),
    }
}

/// The code form. `restart` goes back to the password step, with a message
/// when the pending sign-in is gone.
#[component]
pub(super) fn SecondStep(methods: Vec<SecondFactor>, restart: Callback<Option<String>>) -> impl IntoView {
    let session = use_session();
    let can_use_app = methods.contains(&SecondFactor::Totp);
    let can_recover = methods.contains(&SecondFactor::Recovery);
    let can_use_passkey = methods.contains(&SecondFactor::Passkey);
    let using = RwSignal::new(if can_recover && !can_use_app { CodeKind::Recovery } else { CodeKind::Totp });

    let finish: FinishAction = Action::new_local(|(kind, code): &(CodeKind, String)| {
        let (kind, body) = (*kind, OneTimeCode { code: code.clone() });
        async move {
            match kind {
                CodeKind::Totp => api::login_totp(&body).await,
                CodeKind::Recovery => api::login_recovery(&body).await,
            }
        }
    });
    // Taken once: each call makes a new derived signal.
    let pending = finish.pending();
    let value = finish.value();
    let error = RwSignal::new(None::<(Field, String)>);
    Effect::new(move || match value.get() {
        // Signed in: the page's guard moves on to `next`, as after a password.
        Some(Ok(info)) => session.signed_in(info),
        Some(Err(refusal)) if refusal.code() == Some(ErrorCode::MfaPendingInvalid) => {
            restart.run(Some(sentence(&refusal.message())));
        }
        Some(Err(refusal)) => error.set(Some(describe(&refusal, using.get_untracked()))),
        None => {}
    });
    let code_error =
        Signal::derive(move || error.get().filter(|(at, _)| *at == Field::Code).map(|(_, message)| message));
    let form_error = move || error.get().filter(|(at, _)| *at == Field::Form).map(|(_, message)| message);

    let input = NodeRef::<html::Input>::new();
    // The code is what the user came for: focus it (again after a switch).
    // Not at first beside a passkey, which comes first (and on a phone the
    // keyboard would cover it).
    let focus_code = RwSignal::new(!can_use_passkey);
    Effect::new(move || {
        if focus_code.get()
            && let Some(input) = input.get()
        {
            let _ = input.focus();
        }
    });

    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let code = read_code(input).unwrap_or_default();
        // An empty code would only spend one of the few tries.
        if code.is_empty() {
            error.set(Some((Field::Code, "Enter the code.".to_owned())));
            return;
        }
        error.set(None);
        finish.dispatch((using.get_untracked(), code));
    };
    // Beside a passkey the code is the alternative, not the first way.
    let verify_class = if can_use_passkey { "button" } else { "button button-primary" };
    let use_code = move |kind: CodeKind| {
        move |_: MouseEvent| {
            error.set(None);
            focus_code.set(true);
            using.set(kind);
        }
    };

    view! {
        <section class="card card-narrow" aria-labelledby="mfa-heading">
            <h1 id="mfa-heading">"Two-step verification"</h1>
            {can_use_passkey.then(|| view! { <PasskeyStep restart error_test_id=ERROR_TEST_ID/> })}
            <form class="auth-form" method="post" novalidate data-testid="mfa-form" on:submit=on_submit>
                {move || match using.get() {
                    CodeKind::Totp => {
                        view! {
                            <p class="form-intro">"Enter the 6-digit code from your authenticator app."</p>
                            <CodeField
                                kind=CodeKind::Totp
                                id="mfa-code"
                                label="Code"
                                test_id="mfa-code"
                                input
                                error=code_error
                                error_test_id=ERROR_TEST_ID
                            />
                        }
                            .into_any()
                    }
                    CodeKind::Recovery => {
                        view! {
                            <p class="form-intro">
                                "Enter one of the recovery codes you saved when you set up two-step verification."
                            </p>
                            <CodeField
                                kind=CodeKind::Recovery
                                id="mfa-recovery-code"
                                label="Recovery code"
                                test_id="mfa-recovery-code"
                                input
                                error=code_error
                                error_test_id=ERROR_TEST_ID
                            />
                        }
                            .into_any()
                    }
                }}
                {move || {
                    form_error()
                        .map(|message| {
                            view! {
                                <p class="form-error" role="alert" data-testid=ERROR_TEST_ID>
                                    {message}
                                </p>
                            }
                        })
                }}
                <BusyButton
                    label="Verify"
                    busy_label="Verifying…"
                    busy=pending
                    submit=true
                    test_id="mfa-submit"
                    class=verify_class
                />
            </form>
            {(can_use_app && can_recover)
                .then(|| {
                    view! {
                        <p class="form-aside">
                            {move || match using.get() {
                                CodeKind::Totp => {
                                    view! {
                                        <button
                                            type="button"
                                            class="link-button"
                                            data-testid="mfa-use-recovery"
                                            on:click=use_code(CodeKind::Recovery)
                                        >
                                            "Use a recovery code instead"
                                        </button>
                                    }
                                        .into_any()
                                }
                                CodeKind::Recovery => {
                                    view! {
                                        <button
                                            type="button"
                                            class="link-button"
                                            data-testid="mfa-use-totp"
                                            on:click=use_code(CodeKind::Totp)
                                        >
                                            "Use your authenticator app instead"
                                        </button>
                                    }
                                        .into_any()
                                }
                            }}
                        </p>
                    }
                })}
            <p class="card-footer">
                <button type="button" class="link-button" data-testid="mfa-back" on:click=move |_| restart.run(None)>
                    "Sign in with another account"
                </button>
            </p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ErrorBody;

    fn refusal(status: u16, code: ErrorCode, field: Option<InputField>) -> ApiError {
        ApiError::Server {
            status,
            body: ErrorBody { error: code, message: "whatever the server says".into(), field },
            retry_after: None,
        }
    }

    #[test]
    fn a_wrong_code_shows_at_the_input_in_words_for_its_kind() {
        let wrong = refusal(401, ErrorCode::CodeInvalid, Some(InputField::Code));
        assert_eq!(describe(&wrong, CodeKind::Totp).0, Field::Code);
        assert!(describe(&wrong, CodeKind::Recovery).1.contains("used already"));
        assert_eq!(
            describe(&refusal(422, ErrorCode::InvalidInput, Some(InputField::Code)), CodeKind::Totp),
            (Field::Code, "Whatever the server says.".to_owned())
        );
    }

    #[test]
    fn other_refusals_show_above_the_button() {
        assert_eq!(describe(&refusal(429, ErrorCode::RateLimited, None), CodeKind::Totp).0, Field::Form);
        assert_eq!(describe(&ApiError::Network, CodeKind::Recovery).0, Field::Form);
    }
}
