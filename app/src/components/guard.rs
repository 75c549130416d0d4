//! Route guards: pages that need a session ([`RequireSession`]) and pages
//! for signed-out visitors only ([`GuestOnly`]).
//!
//! On the server the guard answers with a redirect (`302`), so a wrong
//! visitor never sees the page; in the browser it navigates as soon as the
//! session changes (sign-in, sign-out, a refresh refused in another tab).
//! Both sides render the same placeholder meanwhile, so hydration matches.

use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    hooks::{use_location, use_navigate, use_query_map},
};

use crate::{
    session::use_session,
    types::paths::{local_path, login_href},
};

/// Shows `children` only while someone is signed in; otherwise goes to
/// `/login`, with the reason of the sign-out and the way back.
#[component]
pub fn RequireSession(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let signed_in = move || session.session.with(Option::is_some);
    let location = use_location();
    let login = move || {
        let search = location.search.get_untracked();
        let here = if search.is_empty() {
            location.pathname.get_untracked()
        } else {
            format!("{}?{search}", location.pathname.get_untracked())
        };
        login_href(session.sign_out_reason.get_untracked(), &here)
    };

    if !session.session.with_untracked(Option::is_some) {
        redirect_on_server(&login());
    }
    let navigate = use_navigate();
    Effect::new(move || {
        if !signed_in() {
            navigate(&login(), NavigateOptions { replace: true, ..Default::default() });
        }
    });

    view! {
        <Show
            when=signed_in
            fallback=|| view! { <p class="muted" role="status">"Taking you to sign in…"</p> }
        >
            {children()}
        </Show>
    }
}

/// Shows `children` only while nobody is signed in; otherwise goes on to
/// the `next` page of the query (a local path) or home.
#[component]
pub fn GuestOnly(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let signed_out = move || session.session.with(Option::is_none);
    let query = use_query_map();
    let next = move || local_path(query.with_untracked(|query| query.get("next")).as_deref());

    if !session.session.with_untracked(Option::is_none) {
        redirect_on_server(&next());
    }
    let navigate = use_navigate();
    Effect::new(move || {
        if !signed_out() {
            navigate(&next(), NavigateOptions { replace: true, ..Default::default() });
        }
    });

    view! {
        <Show
            when=signed_out
            fallback=|| view! { <p class="muted" role="status">"You are signed in. Taking you there…"</p> }
        >
            {children()}
        </Show>
    }
}

/// Answers the page request with `302 Location: path`.
#[cfg(feature = "ssr")]
fn redirect_on_server(path: &str) {
    leptos_axum::redirect(path);
}

/// In the browser the guard's effect navigates instead.
#[cfg(not(feature = "ssr"))]
fn redirect_on_server(_path: &str) {}
