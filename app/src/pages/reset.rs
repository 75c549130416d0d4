//! `/reset?token=…`: choose a new password with the mailed link. Success
//! ends every other session of the account and signs this browser in.

use leptos::{ev::SubmitEvent, html, prelude::*};
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_navigate};

use super::link_token::take_link_token;
use crate::{
    api::{self, ApiError},
    components::BusyButton,
    format::sentence,
    session::use_session,
    types::{
        ErrorCode, InputField, PasswordReset, paths,
        rules::{PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS},
    },
};

const NEW_ID: &str = "reset-new";
const CONFIRM_ID: &str = "reset-confirm";
const HINT_ID: &str = "reset-hint";
const ERROR_ID: &str = "reset-error";

/// A refusal in words, and whether a new link is what helps.
fn describe(refusal: &ApiError) -> (String, bool) {
    let link_dead =
        matches!(refusal.code(), Some(ErrorCode::LinkInvalid | ErrorCode::LinkUsed | ErrorCode::LinkExpired));
    if refusal.field() == Some(InputField::NewPassword) {
        return (format!("Use {PASSWORD_MIN_CHARS} to {PASSWORD_MAX_CHARS} characters."), false);
    }
    (sentence(&refusal.message()), link_dead)
}

#[component]
pub fn Reset() -> impl IntoView {
    let token = take_link_token(paths::RESET);
    view! {
        <Title text="Choose a new password · Cookie Auth"/>
        <section class="card card-narrow" aria-labelledby="reset-heading">
            <h1 id="reset-heading">"Choose a new password"</h1>
            {match token {
                Some(token) => view! { <ResetForm token/> }.into_any(),
                None => view! {
                    <p class="form-error" role="alert" data-testid="reset-error">
                        "This page needs the link from your mail. "
                        <A href=paths::FORGOT>"Ask for a new link"</A>
                    </p>
                }
                .into_any(),
            }}
        </section>
    }
}

#[component]
fn ResetForm(token: String) -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let new_input = NodeRef::<html::Input>::new();
    let confirm_input = NodeRef::<html::Input>::new();
    let reset = Action::new_local(|body: &PasswordReset| {
        let body = body.clone();
        async move { api::reset_password(&body).await }
    });
    let pending = reset.pending();
    let value = reset.value();
    // The browser's own check (passwords differ) or the server's refusal.
    let error = RwSignal::new(None::<(String, bool)>);
    Effect::new(move || match value.get() {
        Some(Ok(info)) => {
            session.signed_in(info);
            navigate(paths::HOME, Default::default());
        }
        Some(Err(refusal)) => error.set(Some(describe(&refusal))),
        None => {}
    });

    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let (Some(new_password), Some(confirm)) = (new_input.get_untracked(), confirm_input.get_untracked()) else {
            return;
        };
        if new_password.value() != confirm.value() {
            error.set(Some(("The passwords do not match.".to_owned(), false)));
            let _ = confirm.focus();
            return;
        }
        error.set(None);
        reset.dispatch(PasswordReset { token: token.clone(), new_password: new_password.value() });
    };
    let has_error = move || error.with(Option::is_some);

    view! {
        <form class="auth-form" method="post" novalidate data-testid="reset-form" on:submit=on_submit>
            <div class="field">
                <label for=NEW_ID>"New password"</label>
                <input
                    id=NEW_ID
                    name="new_password"
                    type="password"
                    autocomplete="new-password"
                    required
                    minlength=PASSWORD_MIN_CHARS.to_string()
                    aria-invalid=move || if has_error() { "true" } else { "false" }
                    aria-describedby=move || if has_error() { format!("{HINT_ID} {ERROR_ID}") } else { HINT_ID.to_owned() }
                    node_ref=new_input
                />
                <p id=HINT_ID class="hint">{format!("At least {PASSWORD_MIN_CHARS} characters.")}</p>
            </div>
            <div class="field">
                <label for=CONFIRM_ID>"Confirm new password"</label>
                <input
                    id=CONFIRM_ID
                    name="confirm_password"
                    type="password"
                    autocomplete="new-password"
                    required
                    node_ref=confirm_input
                />
            </div>
            {move || {
                error
                    .get()
                    .map(|(message, link_dead)| {
                        view! {
                            <p id=ERROR_ID class="form-error" role="alert" data-testid="reset-error">
                                {message}
                                {link_dead.then(|| view! { " " <A href=paths::FORGOT>"Ask for a new link"</A> })}
                            </p>
                        }
                    })
            }}
            <BusyButton
                label="Set new password"
                busy_label="Saving…"
                busy=pending
                submit=true
                test_id="reset-submit"
                class="button button-primary"
            />
            <p class="hint">"Every device signed in to your account will be signed out."</p>
        </form>
    }
}
