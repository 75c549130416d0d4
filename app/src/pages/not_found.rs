//! The page for any path no route matches.
//!
//! On a full page load the server's fallback renders it with status 404
//! (`leptos_axum::file_and_error_handler`); after hydration the router shows
//! it for client-side navigations.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::types::paths;

/// "Page not found", with a way back home.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <Title text="Page not found · Cookie Auth"/>
        <section class="card" aria-labelledby="not-found-heading">
            <h1 id="not-found-heading">"Page not found"</h1>
            <p>"There is nothing at this address."</p>
            <p>
                <A href=paths::HOME>"Go to the home page"</A>
            </p>
        </section>
    }
}
