//! The header on every page: the app's name and the links that fit the
//! session (sign in or register; the dashboard, the security page, and the
//! admin page for admins).

use leptos::prelude::*;
use leptos_router::components::A;

use crate::{session::use_session, types::paths};

/// The site header with its main navigation.
#[component]
pub fn SiteHeader() -> impl IntoView {
    let session = use_session();
    let signed_in = Memo::new(move |_| session.session.with(Option::is_some));
    let is_admin = Memo::new(move |_| session.is_admin());

    view! {
        <header class="site-header">
            <A href=paths::HOME exact=true>
                <span class="brand">"Cookie Auth"</span>
            </A>
            <nav class="site-nav" aria-label="Main">
                <Show
                    when=move || signed_in.get()
                    fallback=|| {
                        view! {
                            <A href=paths::LOGIN>"Sign in"</A>
                            <A href=paths::REGISTER>"Register"</A>
                        }
                    }
                >
                    <A href=paths::HOME exact=true>
                        "Dashboard"
                    </A>
                    <A href=paths::SECURITY>"Security"</A>
                    <Show when=move || is_admin.get()>
                        <A href=paths::ADMIN>"Admin"</A>
                    </Show>
                </Show>
            </nav>
        </header>
    }
}
