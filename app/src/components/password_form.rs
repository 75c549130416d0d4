//! "Change password" on the dashboard: the current password, the new one
//! twice.
//!
//! Like the credentials form, the inputs are uncontrolled (read on submit)
//! and the button waits for hydration. The browser checks only that the two
//! new passwords match; the server judges the rest, and its refusal is shown
//! beside the field it concerns: a wrong current password (`401
//! invalid_credentials`), a new one outside the rules (`422`). On success
//! the server has signed out every other session of the user, so the page's
//! session list is asked again (`on_changed`). A sign-in older than
//! `AUTH_STEP_UP_SECS` proves itself again first ([`with_step_up`]).

use leptos::{ev::SubmitEvent, html, prelude::*};

use super::{use_step_up, with_step_up};
use crate::{
    api::{self, ApiError},
    format::{sentence, too_many_attempts},
    session::use_session,
    types::{
        ErrorCode, InputField, PasswordChange,
        rules::{PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS},
    },
};

/// Changing the password: both passwords in, `204` or a refusal out.
type ChangeAction = Action<PasswordChange, Result<(), ApiError>>;

/// Which part of the form an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Current,
    New,
    Confirm,
    Form,
}

const CURRENT_ID: &str = "password-current";
const NEW_ID: &str = "password-new";
const CONFIRM_ID: &str = "password-confirm";
const CURRENT_ERROR_ID: &str = "password-current-error";
const NEW_ERROR_ID: &str = "password-new-error";
const CONFIRM_ERROR_ID: &str = "password-confirm-error";
const NEW_HINT_ID: &str = "password-new-hint";
const FORM_ERROR_ID: &str = "password-form-error";

/// Places a refusal and words it for this form.
fn describe(error: &ApiError) -> (Field, String) {
    match (error.status(), error.code()) {
        (Some(401), Some(ErrorCode::InvalidCredentials)) => (Field::Current, "Current password is wrong.".to_owned()),
        (Some(422), _) if error.field() == Some(InputField::NewPassword) => {
            (Field::New, format!("New password must be {PASSWORD_MIN_CHARS} to {PASSWORD_MAX_CHARS} characters."))
        }
        (Some(429), _) => (Field::Form, too_many_attempts(error.retry_after_secs())),
        _ => (Field::Form, sentence(&error.message())),
    }
}

/// The "Change password" card. `on_changed` runs after a success.
#[component]
pub fn PasswordForm(
    /// Called once the password has changed (the other sessions are gone).
    on_changed: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let current_input = NodeRef::<html::Input>::new();
    let new_input = NodeRef::<html::Input>::new();
    let confirm_input = NodeRef::<html::Input>::new();

    // Effects run only in the browser, once the page is hydrated.
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move || set_hydrated.set(true));

    // An old sign-in first proves itself again in the step-up dialog.
    let step_up = use_step_up();
    let change: ChangeAction = Action::new_local(move |change: &PasswordChange| {
        let change = change.clone();
        async move { with_step_up(step_up, || api::change_password(&change)).await }
    });
    // Taken once: each call makes a new derived signal.
    let pending = change.pending();
    let value = change.value();

    // The last problem (the browser's own check or the server's refusal)
    // and whether the last attempt succeeded.
    let error = RwSignal::new(None::<(Field, String)>);
    let changed = RwSignal::new(false);
    Effect::new(move || match value.get() {
        Some(Ok(())) => {
            error.set(None);
            changed.set(true);
            for input in [current_input, new_input, confirm_input] {
                if let Some(input) = input.get_untracked() {
                    input.set_value("");
                }
            }
            on_changed.run(());
        }
        Some(Err(refusal)) => {
            // A dead access token, not a wrong password: a refresh settles
            // whether the session lives on.
            if refusal.is_unauthorized() && refusal.code() != Some(ErrorCode::InvalidCredentials) {
                session.check_now();
            }
            error.set(Some(describe(&refusal)));
        }
        None => {}
    });

    let error_at = move |field: Field| error.with(|error| error.as_ref().is_some_and(|(at, _)| *at == field));
    let invalid = move |field: Field| move || if error_at(field) { "true" } else { "false" };
    // Inserting an element with role="alert" is announced at once.
    let error_view = move |field: Field, id: &'static str| {
        move || {
            error.get().filter(|(at, _)| *at == field).map(|(_, message)| {
                view! {
                    <p id=id class="form-error" role="alert" data-testid=id>
                        {message}
                    </p>
                }
            })
        }
    };
    let new_described_by = move || {
        if error_at(Field::New) { format!("{NEW_HINT_ID} {NEW_ERROR_ID}") } else { NEW_HINT_ID.to_owned() }
    };

    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let (Some(current), Some(new_password), Some(confirm)) =
            (current_input.get_untracked(), new_input.get_untracked(), confirm_input.get_untracked())
        else {
            return;
        };
        changed.set(false);
        if new_password.value() != confirm.value() {
            error.set(Some((Field::Confirm, "The new passwords do not match.".to_owned())));
            let _ = confirm.focus();
            return;
        }
        error.set(None);
        change.dispatch(PasswordChange { current_password: current.value(), new_password: new_password.value() });
    };

    view! {
        <section class="card card-wide password-card" aria-labelledby="password-heading">
            <h2 id="password-heading">"Change password"</h2>
            <form
                class="auth-form"
                method="post"
                novalidate
                data-testid="password-form"
                on:submit=on_submit
            >
                <div class="field">
                    <label for=CURRENT_ID>"Current password"</label>
                    <input
                        id=CURRENT_ID
                        name="current_password"
                        type="password"
                        autocomplete="current-password"
                        required
                        aria-invalid=invalid(Field::Current)
                        aria-describedby=move || error_at(Field::Current).then_some(CURRENT_ERROR_ID)
                        node_ref=current_input
                    />
                    {error_view(Field::Current, CURRENT_ERROR_ID)}
                </div>
                <div class="field">
                    <label for=NEW_ID>"New password"</label>
                    <input
                        id=NEW_ID
                        name="new_password"
                        type="password"
                        autocomplete="new-password"
                        required
                        minlength=PASSWORD_MIN_CHARS.to_string()
                        aria-invalid=invalid(Field::New)
                        aria-describedby=new_described_by
                        node_ref=new_input
                    />
                    <p id=NEW_HINT_ID class="hint">{format!("At least {PASSWORD_MIN_CHARS} characters.")}</p>
                    {error_view(Field::New, NEW_ERROR_ID)}
                </div>
                <div class="field">
                    <label for=CONFIRM_ID>"Confirm new password"</label>
                    <input
                        id=CONFIRM_ID
                        name="confirm_password"
                        type="password"
                        autocomplete="new-password"
                        required
                        aria-invalid=invalid(Field::Confirm)
                        aria-describedby=move || error_at(Field::Confirm).then_some(CONFIRM_ERROR_ID)
                        node_ref=confirm_input
                    />
                    {error_view(Field::Confirm, CONFIRM_ERROR_ID)}
                </div>
                {error_view(Field::Form, FORM_ERROR_ID)}
                {move || {
                    (changed.get() && !pending.get())
                        .then(|| {
                            view! {
                                <p class="notice" role="status" data-testid="password-changed">
                                    "Password changed. Your other sessions were signed out."
                                </p>
                            }
                        })
                }}
                <button
                    type="submit"
                    class="button button-primary"
                    data-testid="password-submit"
                    disabled=move || !hydrated.get() || pending.get()
                    aria-busy=move || if pending.get() { "true" } else { "false" }
                >
                    {move || if pending.get() { "Changing password…" } else { "Change password" }}
                </button>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ErrorBody;

    fn refusal(status: u16, code: ErrorCode, field: Option<InputField>, retry_after: Option<u64>) -> ApiError {
        ApiError::Server {
            status,
            body: ErrorBody { error: code, message: "whatever the server says".into(), field },
            retry_after,
        }
    }

    #[test]
    fn refusals_land_on_the_field_they_are_about() {
        assert_eq!(
            describe(&refusal(401, ErrorCode::InvalidCredentials, None, None)),
            (Field::Current, "Current password is wrong.".to_owned())
        );
        assert_eq!(
            describe(&refusal(422, ErrorCode::InvalidInput, Some(InputField::NewPassword), None)),
            (Field::New, "New password must be 8 to 1024 characters.".to_owned())
        );
        assert_eq!(
            describe(&refusal(429, ErrorCode::RateLimited, None, Some(37))),
            (Field::Form, "Too many attempts, try again in 37 s.".to_owned())
        );
        assert_eq!(describe(&refusal(429, ErrorCode::RateLimited, None, None)).0, Field::Form);
        assert_eq!(
            describe(&refusal(401, ErrorCode::Unauthenticated, None, None)),
            (Field::Form, "Whatever the server says.".to_owned())
        );
        assert_eq!(describe(&refusal(422, ErrorCode::InvalidInput, None, None)).0, Field::Form);
        assert_eq!(describe(&ApiError::Network).0, Field::Form);
    }
}
