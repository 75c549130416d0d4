//! `/register`: create an account, which also signs it in.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::{
    api,
    components::{AuthAction, CredentialsForm, FormKind, GuestOnly},
    types::{Credentials, mfa::LoginAnswer, paths},
};

/// The registration page. On success the server sets the session cookies and
/// the guard goes home.
#[component]
pub fn Register() -> impl IntoView {
    view! {
        <Title text="Create an account · Cookie Auth"/>
        <GuestOnly>
            <CreateAccount/>
        </GuestOnly>
    }
}

#[component]
fn CreateAccount() -> impl IntoView {
    let register: AuthAction = Action::new_local(|credentials: &Credentials| {
        let credentials = credentials.clone();
        async move { api::register(&credentials).await.map(LoginAnswer::Session) }
    });

    view! {
        <section class="card card-narrow" aria-labelledby="register-heading">
            <h1 id="register-heading">"Create an account"</h1>
            <CredentialsForm kind=FormKind::Register action=register/>
            <p class="card-footer">"Already have an account? " <A href=paths::LOGIN>"Sign in"</A></p>
        </section>
    }
}
