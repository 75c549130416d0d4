//! `/verify?token=…`: confirms the email address with the mailed link, as
//! soon as the page runs in the browser.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use super::link_token::take_link_token;
use crate::{
    api,
    format::sentence,
    types::{LinkToken, paths},
};

#[component]
pub fn Verify() -> impl IntoView {
    let token = take_link_token(paths::VERIFY);
    let confirm = Action::new_local(|body: &LinkToken| {
        let body = body.clone();
        async move { api::verify_email(&body).await }
    });
    let value = confirm.value();
    if let Some(token) = token.clone() {
        // Once, in the browser.
        Effect::new(move || {
            confirm.dispatch(LinkToken { token: token.clone() });
        });
    }

    let outcome = move || {
        match (token.is_some(), value.get()) {
        (false, _) => view! {
            <p class="form-error" role="alert" data-testid="verify-result">
                "This page needs the link from your mail. Open it from there, or sign in and ask for a new one."
            </p>
        }
        .into_any(),
        (true, None) => view! { <p class="muted" role="status">"Confirming your address…"</p> }.into_any(),
        (true, Some(Ok(()))) => view! {
            <p class="notice" role="status" data-testid="verify-result">"Your email address is confirmed. Thank you."</p>
        }
        .into_any(),
        (true, Some(Err(refusal))) => view! {
            <p class="form-error" role="alert" data-testid="verify-result">{sentence(&refusal.message())}</p>
        }
        .into_any(),
    }
    };

    view! {
        <Title text="Confirm your email · Cookie Auth"/>
        <section class="card card-narrow" aria-labelledby="verify-heading">
            <h1 id="verify-heading">"Confirm your email"</h1>
            {outcome}
            <p class="card-footer"><A href=paths::HOME>"Go to your dashboard"</A></p>
        </section>
    }
}
