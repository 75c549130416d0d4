//! `/forgot`: asks for the address to mail a password-reset link to. The
//! answer is the same whether or not an account uses it.

use leptos::{ev::SubmitEvent, html, prelude::*};
use leptos_meta::Title;
use leptos_router::components::A;

use crate::{
    api,
    components::BusyButton,
    format::sentence,
    types::{ForgotPassword, paths},
};

const EMAIL_ID: &str = "forgot-email";
const ERROR_ID: &str = "forgot-error";

#[component]
pub fn Forgot() -> impl IntoView {
    let email_input = NodeRef::<html::Input>::new();
    let send = Action::new_local(|body: &ForgotPassword| {
        let body = body.clone();
        async move { api::forgot_password(&body).await }
    });
    let pending = send.pending();
    let value = send.value();
    let sent_to = RwSignal::new(String::new());
    let sent = move || matches!(value.get(), Some(Ok(())));
    let error = move || match value.get() {
        Some(Err(refusal)) => Some(sentence(&refusal.message())),
        _ => None,
    };

    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let Some(input) = email_input.get_untracked() else { return };
        let email = input.value().trim().to_owned();
        sent_to.set(email.clone());
        send.dispatch(ForgotPassword { email });
    };

    view! {
        <Title text="Forgot password · Cookie Auth"/>
        <section class="card card-narrow" aria-labelledby="forgot-heading">
            <h1 id="forgot-heading">"Forgot your password?"</h1>
            <Show
                when=sent
                fallback=move || {
                    view! {
                        <p class="muted">
                            "Enter the email address of your account: we will mail you a link to choose a new password."
                        </p>
                        <form class="auth-form" method="post" novalidate data-testid="forgot-form" on:submit=on_submit>
                            <div class="field">
                                <label for=EMAIL_ID>"Email"</label>
                                <input
                                    id=EMAIL_ID
                                    name="email"
                                    type="email"
                                    autocomplete="email"
                                    autocapitalize="none"
                                    spellcheck="false"
                                    required
                                    aria-invalid=move || if error().is_some() { "true" } else { "false" }
                                    aria-describedby=move || error().is_some().then_some(ERROR_ID)
                                    node_ref=email_input
                                />
                                {move || {
                                    error()
                                        .map(|message| {
                                            view! {
                                                <p id=ERROR_ID class="form-error" role="alert" data-testid="form-error">
                                                    {message}
                                                </p>
                                            }
                                        })
                                }}
                            </div>
                            <BusyButton
                                label="Send reset link"
                                busy_label="Sending…"
                                busy=pending
                                submit=true
                                test_id="forgot-submit"
                                class="button button-primary"
                            />
                        </form>
                    }
                }
            >
                <p class="notice" role="status" data-testid="forgot-sent">
                    {move || {
                        format!(
                            "If an account uses {}, a link to reset its password is on its way. \
                             It works once, for a short while.",
                            sent_to.get(),
                        )
                    }}
                </p>
            </Show>
            <p class="card-footer">"Remembered it? " <A href=paths::LOGIN>"Sign in"</A></p>
        </section>
    }
}
