//! The "Change email" card: the new address and the current password. The
//! change happens only once the link mailed to the new address is used;
//! the old address is told, and can undo it.

use leptos::{ev::SubmitEvent, html, prelude::*};

use super::{BusyButton, use_step_up, with_step_up};
use crate::{
    api::{self, ApiError},
    format::sentence,
    session::use_session,
    types::{EmailChangeRequest, ErrorCode, InputField},
};

const NEW_ID: &str = "email-new";
const PASSWORD_ID: &str = "email-password";
const NEW_ERROR_ID: &str = "email-new-error";
const PASSWORD_ERROR_ID: &str = "email-password-error";
const FORM_ERROR_ID: &str = "email-form-error";

/// Which input a refusal is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    NewEmail,
    Password,
    Form,
}

/// Places a refusal and words it for this form.
fn describe(error: &ApiError) -> (Field, String) {
    match (error.code(), error.field()) {
        (Some(ErrorCode::InvalidCredentials), _) => (Field::Password, "Password is wrong.".to_owned()),
        (Some(ErrorCode::EmailTaken), _) => (Field::NewEmail, "Another account uses that address.".to_owned()),
        (_, Some(InputField::NewEmail)) => (Field::NewEmail, sentence(&error.message())),
        _ => (Field::Form, sentence(&error.message())),
    }
}

#[component]
pub fn EmailForm() -> impl IntoView {
    let session = use_session();
    let new_input = NodeRef::<html::Input>::new();
    let password_input = NodeRef::<html::Input>::new();
    // An old sign-in first proves itself again in the step-up dialog.
    let step_up = use_step_up();
    let ask = Action::new_local(move |body: &EmailChangeRequest| {
        let body = body.clone();
        async move { with_step_up(step_up, || api::change_email(&body)).await }
    });
    let pending = ask.pending();
    let value = ask.value();
    let asked_for = RwSignal::new(String::new());
    let error = move || match value.get() {
        Some(Err(refusal)) => {
            if refusal.is_unauthorized() && refusal.code() != Some(ErrorCode::InvalidCredentials) {
                session.check_now();
            }
            Some(describe(&refusal))
        }
        _ => None,
    };
    let error_at = move |field: Field| error().is_some_and(|(at, _)| at == field);
    let error_view = move |field: Field, id: &'static str| {
        move || {
            error().filter(|(at, _)| *at == field).map(|(_, message)| {
                view! {
                    <p id=id class="form-error" role="alert" data-testid=id>
                        {message}
                    </p>
                }
            })
        }
    };

    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let (Some(new_email), Some(password)) = (new_input.get_untracked(), password_input.get_untracked()) else {
            return;
        };
        asked_for.set(new_email.value().trim().to_owned());
        ask.dispatch(EmailChangeRequest { new_email: new_email.value().trim().to_owned(), password: password.value() });
        password.set_value("");
    };

    view! {
        <section class="card card-wide password-card" aria-labelledby="email-heading">
            <h2 id="email-heading">"Change email"</h2>
            <form class="auth-form" method="post" novalidate data-testid="email-form" on:submit=on_submit>
                <div class="field">
                    <label for=NEW_ID>"New email"</label>
                    <input
                        id=NEW_ID
                        name="new_email"
                        type="email"
                        autocomplete="email"
                        autocapitalize="none"
                        spellcheck="false"
                        required
                        aria-invalid=move || if error_at(Field::NewEmail) { "true" } else { "false" }
                        aria-describedby=move || error_at(Field::NewEmail).then_some(NEW_ERROR_ID)
                        node_ref=new_input
                    />
                    {error_view(Field::NewEmail, NEW_ERROR_ID)}
                </div>
                <div class="field">
                    <label for=PASSWORD_ID>"Current password"</label>
                    <input
                        id=PASSWORD_ID
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        required
                        aria-invalid=move || if error_at(Field::Password) { "true" } else { "false" }
                        aria-describedby=move || error_at(Field::Password).then_some(PASSWORD_ERROR_ID)
                        node_ref=password_input
                    />
                    {error_view(Field::Password, PASSWORD_ERROR_ID)}
                </div>
                {error_view(Field::Form, FORM_ERROR_ID)}
                {move || {
                    matches!(value.get(), Some(Ok(())))
                        .then(|| {
                            view! {
                                <p class="notice" role="status" data-testid="email-change-sent">
                                    {format!(
                                        "Check {} for a link to confirm the change. Until it is used, nothing changes.",
                                        asked_for.get(),
                                    )}
                                </p>
                            }
                        })
                }}
                <BusyButton
                    label="Change email"
                    busy_label="Sending…"
                    busy=pending
                    submit=true
                    test_id="email-submit"
                    class="button button-primary"
                />
            </form>
        </section>
    }
}
