//! `/login`: sign in with email and password and, for an account with a
//! second factor, a passkey or a code ([`SecondStep`]); or with a passkey
//! alone ([`PasskeySignIn`]), where this browser can use one.
//!
//! `?reason=expired|revoked|reused|signed_out` says why the last session
//! ended (shown as a notice); `?next=/path` is where to go once signed in.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use super::{passkey_sign_in::PasskeySignIn, second_step::SecondStep};
use crate::{
    api,
    components::{AuthAction, CredentialsForm, FormKind, GuestOnly},
    types::SignOutReason,
    types::{
        Credentials,
        mfa::{LoginAnswer, MfaRequired, SecondFactor},
        paths,
    },
};

/// The sign-in page. On success the server sets the session cookies and the
/// guard moves on to `next` (or home).
#[component]
pub fn Login() -> impl IntoView {
    view! {
        <Title text="Sign in · Cookie Auth"/>
        <GuestOnly>
            <SignIn/>
        </GuestOnly>
    }
}

/// The password, then (when the server asks for it) the second step.
#[component]
fn SignIn() -> impl IntoView {
    let sign_in: AuthAction = Action::new_local(|credentials: &Credentials| {
        let credentials = credentials.clone();
        async move { api::login(&credentials).await }
    });
    // The account's second factors, once the password was right.
    let second_step = RwSignal::new(None::<Vec<SecondFactor>>);
    // Why the second step sent the user back to the password (it expired).
    let restarted = RwSignal::new(None::<String>);
    let answer = sign_in.value();
    Effect::new(move || {
        if let Some(Ok(LoginAnswer::SecondStep(MfaRequired { methods, .. }))) = answer.get() {
            restarted.set(None);
            second_step.set(Some(methods));
        }
    });
    let restart = Callback::new(move |reason: Option<String>| {
        restarted.set(reason);
        second_step.set(None);
    });

    move || match second_step.get() {
        Some(methods) => view! { <SecondStep methods restart/> }.into_any(),
        None => view! { <PasswordStep action=sign_in restarted/> }.into_any(),
    }
}

/// Email and password.
#[component]
fn PasswordStep(action: AuthAction, restarted: RwSignal<Option<String>>) -> impl IntoView {
    let query = use_query_map();
    let notice =
        move || query.with(|query| query.get_str("reason").and_then(SignOutReason::parse)).map(SignOutReason::message);

    view! {
        <section class="card card-narrow" aria-labelledby="login-heading">
            <h1 id="login-heading">"Sign in"</h1>
            {move || {
                notice()
                    .map(|message| {
                        view! {
                            <p class="notice" role="status" data-testid="login-notice">
                                {message}
                            </p>
                        }
                    })
            }}
            {move || {
                restarted
                    .get()
                    .map(|message| {
                        view! {
                            <p class="form-error" role="alert" data-testid="mfa-restart">
                                {message}
                            </p>
                        }
                    })
            }}
            <CredentialsForm kind=FormKind::SignIn action/>
            <p class="form-aside"><A href=paths::FORGOT>"Forgot your password?"</A></p>
            <PasskeySignIn/>
            <p class="card-footer">"New here? " <A href=paths::REGISTER>"Create an account"</A></p>
        </section>
    }
}
