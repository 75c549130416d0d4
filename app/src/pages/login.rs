//! `/login`: sign in with email and password.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::{
    api,
    components::{AuthAction, CredentialsForm, FormKind},
    types::Credentials,
};

/// The sign-in page. On success the server sets the session cookies and the
/// form goes home.
#[component]
pub fn Login() -> impl IntoView {
    let sign_in: AuthAction = Action::new_local(|credentials: &Credentials| {
        let credentials = credentials.clone();
        async move { api::login(&credentials).await }
    });

    view! {
        <Title text="Sign in · Cookie Auth"/>
        <section class="card" aria-labelledby="login-heading">
            <h1 id="login-heading">"Sign in"</h1>
            <CredentialsForm kind=FormKind::SignIn action=sign_in/>
            <p class="card-footer">
                "New here? " <A href="/register">"Create an account"</A>
            </p>
        </section>
    }
}
