//! Route guards: pages that need a session ([`RequireSession`]) and pages
//! for signed-out visitors only ([`GuestOnly`]).
//!
//! An account that must have a second factor and has none yet
//! (`mfa_enrolment_required`: the API refuses it almost everything) is sent
//! from every signed-in page to the security page, which alone shows, until
//! it has one.
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
    types::paths::{self, encode_query_value, is_local_path, local_path, login_href},
};

/// Shows `children` only while someone is signed in; otherwise goes to
/// `/login`, with the reason of the sign-out and the way back. A user who
/// must first set up a second factor goes to the security page instead
/// (unless this is it: `enrolment`).
#[component]
pub fn RequireSession(
    /// This is the page where a second factor is set up: shown even to a
    /// user who must set one up first.
    #[prop(optional)]
    enrolment: bool,
    children: ChildrenFn,
) -> impl IntoView {
    let session = use_session();
    let signed_in = move || session.session.with(Option::is_some);
    let must_enrol =
        move || !enrolment && session.session.with(|s| s.as_ref().is_some_and(|s| s.mfa_enrolment_required));
    let location = use_location();
    let (pathname, search) = (location.pathname, location.search);
    let here = move || {
        let search = search.get_untracked();
        if search.is_empty() { pathname.get_untracked() } else { format!("{}?{search}", pathname.get_untracked()) }
    };
    let login = move || login_href(session.sign_out_reason.get_untracked(), &here());
    let enrol = move || enrolment_href(&here());

    if !session.session.with_untracked(Option::is_some) {
        redirect_on_server(&login());
    } else if untrack(must_enrol) {
        redirect_on_server(&enrol());
    }
    let navigate = use_navigate();
    Effect::new(move || {
        if !signed_in() {
            navigate(&login(), NavigateOptions { replace: true, ..Default::default() });
        } else if must_enrol() {
            navigate(&enrol(), NavigateOptions { replace: true, ..Default::default() });
        }
    });

    view! {
        <Show
            when=move || signed_in() && !must_enrol()
            fallback=move || {
                let message = if untrack(signed_in) {
                    "Taking you to set up two-step verification…"
                } else {
                    "Taking you to sign in…"
                };
                view! { <p class="muted" role="status">{message}</p> }
            }
        >
            {children()}
        </Show>
    }
}

/// The security page, with `next` (where the user was going) to return to
/// once a second factor is set up.
fn enrolment_href(next: &str) -> String {
    if next == paths::HOME || !is_local_path(next) {
        paths::SECURITY.to_owned()
    } else {
        format!("{}?next={}", paths::SECURITY, encode_query_value(next))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enrolment_keeps_the_way_back() {
        assert_eq!(enrolment_href("/"), "/security");
        assert_eq!(enrolment_href("/admin"), "/security?next=/admin");
        assert_eq!(enrolment_href("/admin?x=1"), "/security?next=/admin%3Fx%3D1");
        assert_eq!(enrolment_href("//evil.example"), "/security");
    }
}
