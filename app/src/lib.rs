//! The Leptos application, shared by the server (server-side rendering,
//! feature `ssr`) and the browser (hydration, feature `hydrate`).
//!
//! # Layout
//!
//! - [`shell`]: the HTML document the server renders around [`App`],
//!   including the session data island ([`session::BootstrapData`]).
//! - [`App`]: meta context, session context, the step-up dialog, stylesheet
//!   and the routes.
//! - [`pages`]: one module per route (dashboard, security, admin, sign in
//!   with its second step, register, not found) and the 403 page.
//! - [`components`]: the route guards, the header, the credentials form,
//!   the token status, session list and password form of the dashboard, a
//!   busy button, the one-time code field, what the passkey buttons share,
//!   and the step-up dialog with
//!   [`with_step_up`](components::with_step_up), which every sensitive call
//!   goes through.
//! - [`session`]: what the app knows about the session; in the browser, the
//!   refresh scheduler and its coordination between tabs.
//! - [`api`]: the browser's calls to the JSON API; the network code exists
//!   only in the `hydrate` build.
//! - [`format`]: durations, dates and user agents as text.
//! - [`types`]: what crosses the wire, shared with the server.
//! - [`webauthn`]: the browser's half of a passkey ceremony.
//!
//! Tokens never reach this crate. They live in HttpOnly cookies that the
//! server sets and the browser sends with same-origin requests on its own;
//! the app only ever sees [`types::SessionInfo`].

pub mod api;
pub mod components;
pub mod format;
pub mod pages;
pub mod session;
pub mod types;
pub mod webauthn;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

use crate::{
    components::{SiteHeader, StepUpDialog, provide_step_up},
    pages::{Admin, ConfirmEmail, Dashboard, Forgot, Login, NotFound, Register, Reset, Security, UndoEmail, Verify},
    session::{BootstrapData, provide_session_context},
};

/// The HTML document the server renders for every page.
///
/// `HydrationScripts` loads `/pkg/<output_name>.js` and `.wasm`, which call
/// the `frontend` crate's `hydrate()`. `AutoReload` adds nothing unless
/// `cargo leptos watch` is running. `BootstrapData` carries the session the
/// page was rendered with to the browser; it needs the request's
/// [`session::Bootstrap`] in the Leptos context (signed out without one).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="stylesheet" id="leptos" href=stylesheet_href(&options)/>
                <BootstrapData/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The site's stylesheet: `/<site_pkg_dir>/<output_name>.css`, from the
/// same settings that name the script and wasm bundle (`LEPTOS_OUTPUT_NAME`).
pub fn stylesheet_href(options: &LeptosOptions) -> String {
    format!("/{}/{}.css", options.site_pkg_dir, options.output_name)
}

/// Sets this page's Content-Security-Policy. Scripts run only from our own
/// origin or with this response's nonce (Leptos' hydration bootstrap), wasm
/// may be compiled, and nothing may frame the page. No `unsafe-inline`, no
/// `unsafe-eval`.
#[cfg(feature = "ssr")]
fn content_security_policy() {
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else { return };
    let nonce = leptos::nonce::use_nonce().map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    // `cargo leptos watch` live-reloads over a websocket on another port.
    let reload = if std::env::var_os("LEPTOS_WATCH").is_some() { " ws:" } else { "" };
    let policy = format!(
        "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'{reload}; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = http::HeaderValue::from_str(&policy) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The application: a header, the routed pages and the step-up dialog.
#[component]
pub fn App() -> impl IntoView {
    // Lets `<Title>` anywhere below write into `<head>`.
    provide_meta_context();
    // Before any page: they all read it, and in the browser this starts the
    // refresh scheduler.
    provide_session_context();
    // Before any page too: their sensitive calls may ask for a fresh proof.
    provide_step_up();

    view! {
        <Title text="Cookie Auth"/>

        <Router>
            <SiteHeader/>
            <main class="site-main">
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view=Dashboard/>
                    <Route path=path!("/security") view=Security/>
                    <Route path=path!("/admin") view=Admin/>
                    <Route path=path!("/login") view=Login/>
                    <Route path=path!("/register") view=Register/>
                    <Route path=path!("/forgot") view=Forgot/>
                    <Route path=path!("/reset") view=Reset/>
                    <Route path=path!("/verify") view=Verify/>
                    <Route path=path!("/confirm-email") view=ConfirmEmail/>
                    <Route path=path!("/undo-email") view=UndoEmail/>
                </Routes>
            </main>
            // One dialog for the whole app, opened by `with_step_up`.
            <StepUpDialog/>
        </Router>
    }
}
