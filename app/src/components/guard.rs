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

use crate::session::{SignOutReason, use_session};

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

/// `/login`, with `reason` (why the session ended) and `next` (where to
/// return) when they say something.
pub fn login_href(reason: Option<SignOutReason>, next: &str) -> String {
    let mut query = Vec::new();
    if let Some(reason) = reason {
        query.push(format!("reason={}", reason.as_str()));
    }
    if next != "/" && next.starts_with('/') {
        query.push(format!("next={}", encode_query_value(next)));
    }
    if query.is_empty() { "/login".to_owned() } else { format!("/login?{}", query.join("&")) }
}

/// `next` if it is a path on this site, else `/`: an open redirect through
/// `?next=https://evil.example` must not be possible.
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
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
    fn the_login_link_carries_the_reason_and_the_way_back() {
        assert_eq!(login_href(None, "/"), "/login");
        assert_eq!(login_href(Some(SignOutReason::Revoked), "/"), "/login?reason=revoked");
        assert_eq!(login_href(Some(SignOutReason::Expired), "/admin?x=1"), "/login?reason=expired&next=/admin%3Fx%3D1");
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path(Some("/admin?x=1")), "/admin?x=1");
        for bad in
            [None, Some(""), Some("https://evil.example"), Some("//evil.example"), Some("/\\evil"), Some("/a\nb")]
        {
            assert_eq!(local_path(bad), "/", "{bad:?}");
        }
    }
}
