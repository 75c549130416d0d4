//! `/login`: sign in with email and password.
//!
//! `?reason=expired|revoked|reused|signed_out` says why the last session
//! ended (shown as a notice); `?next=/path` is where to go once signed in.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use crate::{
    api,
    components::{AuthAction, CredentialsForm, FormKind, GuestOnly},
    types::SignOutReason,
    types::{Credentials, paths},
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

#[component]
fn SignIn() -> impl IntoView {
    let sign_in: AuthAction = Action::new_local(|credentials: &Credentials| {
        let credentials = credentials.clone();
        async move { api::login(&credentials).await }
    });
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
            <CredentialsForm kind=FormKind::SignIn action=sign_in/>
            <p class="form-aside"><A href=paths::FORGOT>"Forgot your password?"</A></p>
            <p class="card-footer">"New here? " <A href=paths::REGISTER>"Create an account"</A></p>
        </section>
    }
}
