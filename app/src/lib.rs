//! The Leptos application, shared by the server (server-side rendering,
//! feature `ssr`) and the browser (hydration, feature `hydrate`).
//!
//! # Layout
//!
//! - [`shell`]: the HTML document the server renders around [`App`].
//! - [`App`]: meta context, stylesheet, title and the routes.
//! - [`pages`]: one module per route (home, sign in, register, not found).
//! - [`components`]: pieces several pages share (the credentials form).
//! - [`api`]: the browser's calls to the JSON API under `/api/auth`; the
//!   network code exists only in the `hydrate` build.
//! - [`types`]: what crosses the wire, shared with the server.
//!
//! Tokens never reach this crate. They live in HttpOnly cookies that the
//! server sets and the browser sends with same-origin requests on its own;
//! the app only ever sees [`types::SessionInfo`].

pub mod api;
pub mod components;
pub mod pages;
pub mod types;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    components::{A, Route, Router, Routes},
    path,
};

use crate::pages::{Home, Login, NotFound, Register};

/// The HTML document the server renders for every page.
///
/// `HydrationScripts` loads `/pkg/<output_name>.js` and `.wasm`, which call
/// the `frontend` crate's `hydrate()`. `AutoReload` adds nothing unless
/// `cargo leptos watch` is running.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
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

/// The application: a header and the routed pages.
#[component]
pub fn App() -> impl IntoView {
    // Lets `<Title>` and `<Stylesheet>` anywhere below write into `<head>`.
    provide_meta_context();

    view! {
        <Stylesheet id="leptos" href="/pkg/cookie-auth.css"/>
        <Title text="Cookie Auth"/>

        <Router>
            <header class="site-header">
                <A href="/">"Cookie Auth"</A>
            </header>
            <main class="site-main">
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view=Home/>
                    <Route path=path!("/login") view=Login/>
                    <Route path=path!("/register") view=Register/>
                </Routes>
            </main>
        </Router>
    }
}
