//! The email-and-password form behind both "Sign in" and "Create account".
//!
//! The inputs are uncontrolled: their values are read on submit, so whatever
//! was typed before the WASM took over still counts. The submit button stays
//! disabled until hydration, because before then a submit would be the
//! browser's own form submission rather than our JSON request. `method="post"`
//! backs that up: even then the password could never land in a URL.

use leptos::{ev::SubmitEvent, html, prelude::*};
use leptos_router::{NavigateOptions, hooks::use_navigate};

use crate::{
    api::ApiError,
    types::{Credentials, SessionInfo},
};

/// What a credentials form dispatches: sign in or register. Pages create it
/// with `Action::new_local`, because browser futures are not `Send`.
pub type AuthAction = Action<Credentials, Result<SessionInfo, ApiError>>;

/// Which of the two forms this is: sets its labels, ids and autofill hints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormKind {
    SignIn,
    Register,
}

impl FormKind {
    /// Prefix for element ids, unique per page.
    fn id(self) -> &'static str {
        match self {
            Self::SignIn => "login",
            Self::Register => "register",
        }
    }

    fn test_id(self) -> &'static str {
        match self {
            Self::SignIn => "login-form",
            Self::Register => "register-form",
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

/// An accessible email-and-password form that dispatches `action`, shows its
/// progress and error, and goes home once it succeeds.
#[component]
pub fn CredentialsForm(
    /// Sign in or register.
    kind: FormKind,
    /// Called with what the user typed.
    action: AuthAction,
) -> impl IntoView {
    let email_input = NodeRef::<html::Input>::new();
    let password_input = NodeRef::<html::Input>::new();

    // Effects run only in the browser, once the page is hydrated.
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move || set_hydrated.set(true));

    let pending = action.pending();

    let navigate = use_navigate();
    Effect::new(move || {
        if action.value().with(|result| matches!(result, Some(Ok(_)))) {
            // Replace: "back" from home should not return to a spent form.
            navigate("/", NavigateOptions { replace: true, ..Default::default() });
        }
    });

    // The last failure, hidden while a new attempt is under way.
    let error = move || {
        if pending.get() {
            return None;
        }
        action.value().with(|result| match result {
            Some(Err(error)) => Some(error.message()),
            _ => None,
        })
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

    let email_id = format!("{}-email", kind.id());
    let password_id = format!("{}-password", kind.id());

    view! {
        <form
            class="auth-form"
            method="post"
            data-testid=kind.test_id()
            on:submit=on_submit
        >
            <div class="field">
                <label for=email_id.clone()>"Email"</label>
                <input
                    id=email_id
                    name="email"
                    type="email"
                    autocomplete="email"
                    autocapitalize="none"
                    spellcheck="false"
                    required
                    node_ref=email_input
                />
            </div>
            <div class="field">
                <label for=password_id.clone()>"Password"</label>
                <input
                    id=password_id
                    name="password"
                    type="password"
                    autocomplete=kind.password_autocomplete()
                    required
                    node_ref=password_input
                />
            </div>
            // Inserting an element with role="alert" is announced at once.
            {move || {
                error()
                    .map(|message| {
                        view! {
                            <p class="form-error" role="alert" data-testid="form-error">
                                {message}
                            </p>
                        }
                    })
            }}
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
