//! The page for a signed-in user without the role a page needs.
//!
//! On a full page load the server answers it with status `403`; after
//! hydration it is shown in place (for example when the API refuses).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::types::paths;

/// "Access denied", with a way back to the dashboard.
#[component]
pub fn Forbidden() -> impl IntoView {
    respond_forbidden();
    view! {
        <Title text="Access denied · Cookie Auth"/>
        <section class="card card-narrow" data-testid="forbidden" aria-labelledby="forbidden-heading">
            <h1 id="forbidden-heading">"Access denied"</h1>
            <p>"This page is for administrators, and your account does not have the admin role."</p>
            <p>"Error 403 (forbidden)."</p>
            <p>
                <A href=paths::HOME>"Back to your dashboard"</A>
            </p>
        </section>
    }
}

/// Sets the page response's status to `403`.
#[cfg(feature = "ssr")]
fn respond_forbidden() {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::FORBIDDEN);
    }
}

/// In the browser there is no response to set.
#[cfg(not(feature = "ssr"))]
fn respond_forbidden() {}
