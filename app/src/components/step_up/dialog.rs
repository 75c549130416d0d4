//! The step-up dialog: asks for a passkey, a code or the password (what
//! the server offers for this account), proves it with
//! `POST /api/auth/step-up`, adopts the fresh session and tells the waiting
//! calls.
//!
//! A passkey, where offered and where this browser can use one, comes first
//! as a button of its own ([`PasskeyProof`]); the code or password form
//! stays below it as the alternative.

use leptos::{
    ev::{MouseEvent, SubmitEvent},
    html,
    prelude::*,
    task::spawn_local,
};

use super::{
    StepUp,
    parts::{ERROR_TEST_ID, Field, PasswordField, describe, offered, session_gone},
    passkey::PasskeyProof,
    use_step_up,
};
use crate::components::{
    BusyButton, Fetched,
    code_field::{CodeField, CodeKind, read_code},
};
use crate::{
    api,
    session::use_session,
    types::mfa::{StepUpMethod, StepUpProof},
    webauthn,
};

const CODE_ID: &str = "step-up-code";

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
    // The password or code asked for in the form now; `None` until known,
    // or when neither is offered.
    let method = RwSignal::new(None::<StepUpMethod>);
    // Effects run only in the browser, where passkey support can be asked.
    Effect::new(move || {
        spawn_local(async move {
            let passkeys_work = webauthn::supported();
            let answer = api::factors().await.map(|factors| offered(&factors.step_up_methods, passkeys_work));
            if let Ok(offered) = &answer {
                // The dialog may have closed meanwhile.
                let _ = method.try_set(offered.iter().copied().find(|way| *way != StepUpMethod::Passkey));
            }
            let _ = set_methods.try_set(Fetched::from_answer(answer, session));
        });
    });
    let offers = move |way: StepUpMethod| {
        methods.with(|methods| matches!(methods, Fetched::Loaded(offered) if offered.contains(&way)))
    };
    let with_passkey = move || offers(StepUpMethod::Passkey);
    let both = move || offers(StepUpMethod::Totp) && offers(StepUpMethod::Password);

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
            // A dead access token, not a wrong password, code or passkey.
            if session_gone(&refusal) {
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

    // With only a passkey offered there is nothing to submit; beside one,
    // the form is the alternative, not the first way.
    let confirm_class = Memo::new(move |_| {
        let passkey = with_passkey();
        (!passkey || method.with(Option::is_some)).then_some(if passkey { "button" } else { "button button-primary" })
    });

    view! {
        <h2 id="step-up-heading">"Confirm it's you"</h2>
        <p id="step-up-text">"This change needs a fresh confirmation that it's you."</p>
        {move || {
            with_passkey()
                .then(|| {
                    view! {
                        <PasskeyProof step_up/>
                        {move || method.with(Option::is_some).then(|| view! { <p class="divider">"or"</p> })}
                    }
                })
        }}
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
                        // The passkey button above is the way.
                        None if with_passkey() => ().into_any(),
                        // The server always offers a way: here, only a passkey
                        // this browser cannot use.
                        None => {
                            view! {
                                <p class="form-error" role="alert" data-testid=ERROR_TEST_ID>
                                    "This browser cannot use your passkey to confirm it's you. Try a browser that can."
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
                {move || {
                    confirm_class
                        .get()
                        .map(|class| {
                            view! {
                                <BusyButton
                                    label="Confirm"
                                    busy_label="Confirming…"
                                    busy=pending
                                    submit=true
                                    disabled=Signal::derive(move || method.with(Option::is_none))
                                    test_id="step-up-submit"
                                    class=class
                                />
                            }
                        })
                }}
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
