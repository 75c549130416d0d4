//! The email-and-password form behind both "Sign in" and "Create account".
//!
//! The inputs are uncontrolled: their values are read on submit, so whatever
//! was typed before the WASM took over still counts. The submit button stays
//! disabled until hydration, because before then a submit would be the
//! browser's own form submission rather than our JSON request. `method="post"`
//! backs that up: even then the password could never land in a URL.
//!
//! The server is the one judge of the input (`novalidate`): its error body
//! names the problem, and the form shows it beside the field it concerns
//! (`email_taken`, an `invalid_input` about the email or the password) or
//! above the button for the rest (`invalid_credentials`, `rate_limited`).

use leptos::{ev::SubmitEvent, html, prelude::*};

use crate::{
    api::ApiError,
    format::sentence,
    session::use_session,
    types::{Credentials, ErrorCode, InputField, mfa::LoginAnswer, rules::PASSWORD_MIN_CHARS},
};

/// What a credentials form dispatches: sign in or register. Pages create it
/// with `Action::new_local`, because browser futures are not `Send`. A
/// session is adopted here; the second step of a sign-in
/// ([`LoginAnswer::SecondStep`]) is the page's to show.
pub type AuthAction = Action<Credentials, Result<LoginAnswer, ApiError>>;

/// Which of the two forms this is: sets its labels, ids and autofill hints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormKind {
    SignIn,
    Register,
}

impl FormKind {
    fn test_id(self) -> &'static str {
        match self {
            Self::SignIn => "login-form",
            Self::Register => "register-form",
        }
    }

    /// Element ids, unique per page.
    fn ids(self) -> Ids {
        match self {
            Self::SignIn => Ids {
                email: "login-email",
                password: "login-password",
                email_error: "login-email-error",
                password_error: "login-password-error",
                password_hint: "login-password-hint",
            },
            Self::Register => Ids {
                email: "register-email",
                password: "register-password",
                email_error: "register-email-error",
                password_error: "register-password-error",
                password_hint: "register-password-hint",
            },
        }
    }

    fn submit_label(self) -> &'static str {
        match self {
            Self::SignIn => "Sign in",
            Self::Register => "Create account",
        }
    }

    fn pending_label(self) -> &'static str {
        match self {
            Self::SignIn => "Signing in…",
            Self::Register => "Creating account…",
        }
    }

    /// Tells password managers whether to fill a saved password or offer a
    /// new one.
    fn password_autocomplete(self) -> &'static str {
        match self {
            Self::SignIn => "current-password",
            Self::Register => "new-password",
        }
    }
}

#[derive(Clone, Copy)]
struct Ids {
    email: &'static str,
    password: &'static str,
    email_error: &'static str,
    password_error: &'static str,
    password_hint: &'static str,
}

/// Which part of the form an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Email,
    Password,
    Form,
}

/// Places a refusal by the input the server names (`field`), or by its
/// code when it names none.
fn field_of(error: &ApiError) -> Field {
    match (error.field(), error.code()) {
        (Some(InputField::Email), _) | (None, Some(ErrorCode::EmailTaken)) => Field::Email,
        (Some(InputField::Password), _) => Field::Password,
        _ => Field::Form,
    }
}

/// An accessible email-and-password form that dispatches `action`, shows its
/// progress and errors, and hands a new session to the app on success
/// (the page's guard then moves on).
#[component]
pub fn CredentialsForm(
    /// Sign in or register.
    kind: FormKind,
    /// Called with what the user typed.
    action: AuthAction,
) -> impl IntoView {
    let email_input = NodeRef::<html::Input>::new();
    let password_input = NodeRef::<html::Input>::new();
    let ids = kind.ids();

    // Effects run only in the browser, once the page is hydrated.
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move || set_hydrated.set(true));

    // Taken once: each call makes a new derived signal.
    let pending = action.pending();
    let value = action.value();

    let session = use_session();
    Effect::new(move || {
        if let Some(Ok(LoginAnswer::Session(info))) = value.get() {
            session.signed_in(info);
        }
    });

    // The last refusal and where it belongs, hidden while a new attempt runs.
    let error = Memo::new(move |_| {
        if pending.get() {
            return None;
        }
        value.with(|result| match result {
            Some(Err(error)) => Some((field_of(error), sentence(&error.message()))),
            _ => None,
        })
    });
    let error_at = move |field: Field| error.with(|error| error.as_ref().is_some_and(|(at, _)| *at == field));
    // Inserting an element with role="alert" is announced at once.
    let error_view = move |field: Field, id: &'static str| {
        move || {
            error.get().filter(|(at, _)| *at == field).map(|(_, message)| {
                view! {
                    <p id=id class="form-error" role="alert" data-testid="form-error">
                        {message}
                    </p>
                }
            })
        }
    };
    let registering = kind == FormKind::Register;
    let hint = registering.then_some(ids.password_hint);
    // A hint for the browser's own UI; the server's rule is what counts.
    let min_length = registering.then(|| PASSWORD_MIN_CHARS.to_string());
    let password_described_by = move || {
        let error = error_at(Field::Password).then_some(ids.password_error);
        let described: Vec<&str> = hint.into_iter().chain(error).collect();
        (!described.is_empty()).then(|| described.join(" "))
    };

    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let (Some(email), Some(password)) = (email_input.get_untracked(), password_input.get_untracked()) else {
            return;
        };
        action.dispatch(Credentials { email: email.value().trim().to_owned(), password: password.value() });
    };

    view! {
        <form class="auth-form" method="post" novalidate data-testid=kind.test_id() on:submit=on_submit>
            <div class="field">
                <label for=ids.email>"Email"</label>
                <input
                    id=ids.email
                    name="email"
                    type="email"
                    autocomplete="email"
                    autocapitalize="none"
                    spellcheck="false"
                    required
                    aria-invalid=move || if error_at(Field::Email) { "true" } else { "false" }
                    aria-describedby=move || error_at(Field::Email).then_some(ids.email_error)
                    node_ref=email_input
                />
                {error_view(Field::Email, ids.email_error)}
            </div>
            <div class="field">
                <label for=ids.password>"Password"</label>
                <input
                    id=ids.password
                    name="password"
                    type="password"
                    autocomplete=kind.password_autocomplete()
                    required
                    minlength=min_length
                    aria-invalid=move || if error_at(Field::Password) { "true" } else { "false" }
                    aria-describedby=password_described_by
                    node_ref=password_input
                />
                {hint.map(|id| view! { <p id=id class="hint">{format!("At least {PASSWORD_MIN_CHARS} characters.")}</p> })}
                {error_view(Field::Password, ids.password_error)}
            </div>
            {error_view(Field::Form, "form-error")}
            <button
                type="submit"
                class="button button-primary"
                disabled=move || !hydrated.get() || pending.get()
                aria-busy=move || if pending.get() { "true" } else { "false" }
            >
                {move || if pending.get() { kind.pending_label() } else { kind.submit_label() }}
            </button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ErrorBody;

    fn refusal(code: ErrorCode, field: Option<InputField>) -> ApiError {
        ApiError::Server {
            status: 422,
            body: ErrorBody { error: code, message: "whatever the server says".into(), field },
            retry_after: None,
        }
    }

    #[test]
    fn refusals_land_on_the_field_they_are_about() {
        assert_eq!(field_of(&refusal(ErrorCode::EmailTaken, None)), Field::Email);
        assert_eq!(field_of(&refusal(ErrorCode::InvalidInput, Some(InputField::Email))), Field::Email);
        assert_eq!(field_of(&refusal(ErrorCode::InvalidInput, Some(InputField::Password))), Field::Password);
        assert_eq!(field_of(&refusal(ErrorCode::InvalidInput, None)), Field::Form);
        assert_eq!(field_of(&refusal(ErrorCode::InvalidCredentials, None)), Field::Form);
        assert_eq!(field_of(&ApiError::Network), Field::Form);
    }
}
