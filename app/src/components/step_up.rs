//! Step-up: the one way every sensitive action asks "confirm it's you".
//!
//! A call that changes something sensitive (the password, the email
//! address, roles, second factors) answers `403 step_up_required` when the
//! session's last proof (`auth_time`) is older than `AUTH_STEP_UP_SECS`.
//! [`with_step_up`] runs such a call; on that answer it opens the
//! [`StepUpDialog`] (mounted once by the [`App`](crate::App)), waits until
//! the user has proved themselves there (`POST /api/auth/step-up`, whose
//! fresh session is adopted like a sign-in's, so the refresh scheduler
//! follows it), and runs the call once more. Cancel hands back the original
//! refusal, which the form shows like any other.
//!
//! The dialog asks for what `GET /api/auth/mfa` lists in `step_up_methods`:
//! the password for an account without a second factor, else a code from
//! the authenticator app (with a switch when both are allowed).

use futures::channel::oneshot;
use leptos::{
    ev::{MouseEvent, SubmitEvent},
    html,
    prelude::*,
    task::spawn_local,
};

use super::{
    BusyButton, Fetched,
    code_field::{CodeField, CodeKind, read_code},
};
use crate::{
    api::{self, ApiError},
    format::{sentence, too_many_attempts},
    session::use_session,
    types::{
        ErrorCode,
        mfa::{StepUpMethod, StepUpProof},
    },
};

const PASSWORD_ID: &str = "step-up-password";
const PASSWORD_ERROR_ID: &str = "step-up-password-error";
const CODE_ID: &str = "step-up-code";
const ERROR_TEST_ID: &str = "step-up-error";

/// The step-up dialog's handle, provided once by the App. Copy it freely.
#[derive(Clone, Copy)]
pub struct StepUp {
    /// Whether the dialog is open.
    open: RwSignal<bool>,
    /// The calls waiting for the dialog: each hears `true` once the user
    /// proved themselves, `false` on cancel. Two calls refused at once share
    /// one dialog.
    waiting: StoredValue<Vec<oneshot::Sender<bool>>>,
}

/// Creates the [`StepUp`] handle and provides it as context (before any
/// page, so every form can use it).
pub fn provide_step_up() -> StepUp {
    let step_up = StepUp { open: RwSignal::new(false), waiting: StoredValue::new(Vec::new()) };
    provide_context(step_up);
    step_up
}

/// The [`StepUp`] provided by the App. Take it in the component's body,
/// not inside the async call.
pub fn use_step_up() -> StepUp {
    expect_context()
}

impl StepUp {
    /// Opens the dialog and waits for its outcome: `true` once proved.
    async fn confirmed(self) -> bool {
        let (sender, receiver) = oneshot::channel();
        self.waiting.update_value(|waiting| waiting.push(sender));
        self.open.set(true);
        // A dropped sender (the app went away) counts as a cancel.
        receiver.await.unwrap_or(false)
    }

    /// Closes the dialog and tells every waiting call.
    fn finish(self, proved: bool) {
        let waiting = self.waiting.try_update_value(std::mem::take).unwrap_or_default();
        self.open.set(false);
        for sender in waiting {
            // The caller may have given up waiting; nothing to tell then.
            let _ = sender.send(proved);
        }
    }
}

/// Runs `call`; when the server wants a fresh proof first (`403
/// step_up_required`), asks for it in the dialog and runs `call` once more.
/// Cancelling the dialog answers the first refusal.
pub async fn with_step_up<T, F, Fut>(step_up: StepUp, call: F) -> Result<T, ApiError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    match call().await {
        Err(refusal) if refusal.code() == Some(ErrorCode::StepUpRequired) => {
            if step_up.confirmed().await {
                call().await
            } else {
                Err(refusal)
            }
        }
        answer => answer,
    }
}

/// The ways this dialog can offer, strongest first, of those the server
/// allows. Passkeys are not offered here yet.
fn offered(allowed: &[StepUpMethod]) -> Vec<StepUpMethod> {
    [StepUpMethod::Totp, StepUpMethod::Password].into_iter().filter(|method| allowed.contains(method)).collect()
}

/// Which part of the dialog a refusal is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    /// The password or the code.
    Secret,
    Form,
}

/// Places a refusal of `POST /api/auth/step-up` and words it.
fn describe(refusal: &ApiError) -> (Field, String) {
    match refusal.code() {
        Some(ErrorCode::InvalidCredentials) => (Field::Secret, "Password is wrong.".to_owned()),
        Some(ErrorCode::CodeInvalid) => {
            (Field::Secret, "That code is not right. Enter the code your app shows now.".to_owned())
        }
        Some(ErrorCode::RateLimited) => (Field::Form, too_many_attempts(refusal.retry_after_secs())),
        _ => (Field::Form, sentence(&refusal.message())),
    }
}

/// The dialog, closed until a call needs it. A modal `<dialog>`: the page
/// behind is inert, focus stays inside, and Escape cancels.
#[component]
pub fn StepUpDialog() -> impl IntoView {
    let step_up = use_step_up();
    let dialog = NodeRef::<html::Dialog>::new();
    Effect::new(move || {
        let open = step_up.open.get();
        let Some(dialog) = dialog.get() else { return };
        if open && !dialog.open() {
            if dialog.show_modal().is_err() {
                // Not connected yet, or another modal is open: shown all the same.
                dialog.set_open(true);
            }
        } else if !open && dialog.open() {
            dialog.close();
        }
    });

    view! {
        <dialog
            class="dialog"
            aria-modal="true"
            aria-labelledby="step-up-heading"
            aria-describedby="step-up-text"
            data-testid="step-up-dialog"
            node_ref=dialog
            // Escape closes a modal dialog by itself: that is a cancel.
            on:close=move |_| {
                if step_up.open.get_untracked() {
                    step_up.finish(false);
                }
            }
        >
            <Show when=move || step_up.open.get()>
                <Prove step_up/>
            </Show>
        </dialog>
    }
}

/// The dialog's content: made afresh each time it opens, so nothing typed
/// last time lingers.
#[component]
fn Prove(step_up: StepUp) -> impl IntoView {
    let session = use_session();
    let (methods, set_methods) = signal(Fetched::<Vec<StepUpMethod>>::Loading);
    // The way asked for now; `None` until known, or when none is offered.
    let method = RwSignal::new(None::<StepUpMethod>);
    Effect::new(move || {
        spawn_local(async move {
            let answer = api::factors().await.map(|factors| offered(&factors.step_up_methods));
            if let Ok(offered) = &answer {
                // The dialog may have closed meanwhile.
                let _ = method.try_set(offered.first().copied());
            }
            let _ = set_methods.try_set(Fetched::from_answer(answer, session));
        });
    });
    let both = move || methods.with(|methods| matches!(methods, Fetched::Loaded(offered) if offered.len() > 1));

    let prove = Action::new_local(|proof: &StepUpProof| {
        let proof = proof.clone();
        async move { api::step_up(&proof).await }
    });
    // Taken once: each call makes a new derived signal.
    let pending = prove.pending();
    let value = prove.value();
    let error = RwSignal::new(None::<(Field, String)>);
    Effect::new(move || match value.get() {
        Some(Ok(info)) => {
            // Adopted like a sign-in: the scheduler follows the new token.
            session.signed_in(info);
            step_up.finish(true);
        }
        Some(Err(refusal)) => {
            // A dead access token, not a wrong password or code.
            if refusal.is_unauthorized()
                && !matches!(refusal.code(), Some(ErrorCode::InvalidCredentials | ErrorCode::CodeInvalid))
            {
                session.check_now();
            }
            error.set(Some(describe(&refusal)));
        }
        None => {}
    });
    let error_at = move |field: Field| {
        Signal::derive(move || error.get().filter(|(at, _)| *at == field).map(|(_, message)| message))
    };
    let secret_error = error_at(Field::Secret);
    let form_error = error_at(Field::Form);

    let secret_input = NodeRef::<html::Input>::new();
    // Focus the input as soon as it shows (and again after a switch).
    Effect::new(move || {
        if let Some(input) = secret_input.get() {
            let _ = input.focus();
        }
    });

    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let proof = match method.get_untracked() {
            Some(StepUpMethod::Totp) => StepUpProof::Totp { code: read_code(secret_input).unwrap_or_default() },
            Some(StepUpMethod::Password) => {
                StepUpProof::Password { password: secret_input.get_untracked().map(|i| i.value()).unwrap_or_default() }
            }
            _ => return,
        };
        error.set(None);
        prove.dispatch(proof);
    };
    let switch = move |_: MouseEvent| {
        error.set(None);
        method.update(|method| {
            *method = match *method {
                Some(StepUpMethod::Totp) => Some(StepUpMethod::Password),
                _ => Some(StepUpMethod::Totp),
            }
        });
    };

    view! {
        <h2 id="step-up-heading">"Confirm it's you"</h2>
        <p id="step-up-text">"This change needs a fresh confirmation that it's you."</p>
        <form class="auth-form" method="post" novalidate data-testid="step-up-form" on:submit=on_submit>
            {move || match methods.get() {
                Fetched::Loading => {
                    view! { <p class="muted" role="status">"Checking how you can confirm…"</p> }.into_any()
                }
                Fetched::Failed(message) => {
                    view! {
                        <p class="form-error" role="alert" data-testid=ERROR_TEST_ID>
                            {message}
                        </p>
                    }
                        .into_any()
                }
                Fetched::Loaded(_) => {
                    match method.get() {
                        Some(StepUpMethod::Totp) => {
                            view! {
                                <p class="hint">"Enter the 6-digit code from your authenticator app."</p>
                                <CodeField
                                    kind=CodeKind::Totp
                                    id=CODE_ID
                                    label="Code"
                                    test_id=CODE_ID
                                    input=secret_input
                                    error=secret_error
                                    error_test_id=ERROR_TEST_ID
                                />
                            }
                                .into_any()
                        }
                        Some(_) => view! { <PasswordField input=secret_input error=secret_error/> }.into_any(),
                        None => {
                            view! {
                                <p class="form-error" role="alert" data-testid=ERROR_TEST_ID>
                                    "This account cannot confirm it here. Sign out and sign in again."
                                </p>
                            }
                                .into_any()
                        }
                    }
                }
            }}
            {move || {
                both()
                    .then(|| {
                        let label = if method.get() == Some(StepUpMethod::Totp) {
                            "Use your password instead"
                        } else {
                            "Use your authenticator app instead"
                        };
                        view! {
                            <button type="button" class="link-button" data-testid="step-up-switch" on:click=switch>
                                {label}
                            </button>
                        }
                    })
            }}
            {move || {
                form_error
                    .get()
                    .map(|message| {
                        view! {
                            <p class="form-error" role="alert" data-testid=ERROR_TEST_ID>
                                {message}
                            </p>
                        }
                    })
            }}
            <div class="button-row dialog-actions">
                <BusyButton
                    label="Confirm"
                    busy_label="Confirming…"
                    busy=pending
                    submit=true
                    disabled=Signal::derive(move || method.with(Option::is_none))
                    test_id="step-up-submit"
                    class="button button-primary"
                />
                <button
                    type="button"
                    class="button"
                    data-testid="step-up-cancel"
                    on:click=move |_| step_up.finish(false)
                >
                    "Cancel"
                </button>
            </div>
        </form>
    }
}

/// The current password, for an account that proves itself with it.
#[component]
fn PasswordField(input: NodeRef<html::Input>, error: Signal<Option<String>>) -> impl IntoView {
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
