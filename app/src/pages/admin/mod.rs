//! `/admin`: every user, with their roles to edit, and the recent auth
//! events, for admins only. Others get the 403 page; the API checks the
//! role too (`/api/admin/*` answers `403`), so hiding the page is
//! convenience, not the protection.
//!
//! - `users`: the users table, each row with its roles editor.
//! - `events`: the table of the newest auth events, with "Reload".
//!
//! Both tables are loaded in the browser after hydration.

mod events;
mod mfa_reset;
mod users;

use leptos::prelude::*;
use leptos_meta::Title;

use self::{events::EventTable, users::UserTable};
use crate::{
    api::ApiError,
    components::RequireSession,
    pages::Forbidden,
    session::use_session,
    types::{ErrorCode, paths},
};

/// The admin page.
#[component]
pub fn Admin() -> impl IntoView {
    let session = use_session();
    let is_admin = Memo::new(move |_| session.is_admin());
    view! {
        <Title text="Users · Cookie Auth"/>
        <RequireSession>
            <Show when=move || is_admin.get() fallback=|| view! { <Forbidden/> }>
                <Panels/>
            </Show>
        </RequireSession>
    }
}

/// How the admin API refused the page (a `403`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refused {
    /// The server no longer counts the user as an admin (the role was taken
    /// away since the page loaded).
    NotAdmin,
    /// `AUTH_DEVICE_BINDING=required-for-admin`, and this session is not
    /// bound to its device.
    Unbound,
}

/// The users, then the events. A role change writes an event, so it makes
/// the events table load again. When either table is refused (`403`), the
/// page says why in place of both.
#[component]
fn Panels() -> impl IntoView {
    let (role_changes, set_role_changes) = signal(0_u32);
    let roles_changed = Callback::new(move |()| set_role_changes.update(|count| *count += 1));
    let (refused, set_refused) = signal(None::<Refused>);
    view! {
        {move || match refused.get() {
            None => {
                view! {
                    <div class="admin">
                        <UserTable roles_changed refused=set_refused/>
                        <EventTable reload_on=role_changes refused=set_refused/>
                    </div>
                }
                    .into_any()
            }
            Some(Refused::NotAdmin) => view! { <Forbidden/> }.into_any(),
            Some(Refused::Unbound) => view! { <BindingRequired/> }.into_any(),
        }}
    }
}

/// Why the admin API refused an answer, if it did (`403`).
fn refusal<T>(answer: &Result<T, ApiError>) -> Option<Refused> {
    match answer {
        Err(error) if error.code() == Some(ErrorCode::DeviceBindingRequired) => Some(Refused::Unbound),
        Err(error) if error.status() == Some(403) => Some(Refused::NotAdmin),
        _ => None,
    }
}

/// The admin area needs a device-bound session, and this one is not.
#[component]
fn BindingRequired() -> impl IntoView {
    view! {
        <section class="card card-narrow" data-testid="binding-required" aria-labelledby="binding-heading">
            <h1 id="binding-heading">"This session is not bound to your device"</h1>
            <p>
                "Administration needs a device-bound session: one only this browser, with a key it cannot give away, can renew. Copied cookies are useless with it."
            </p>
            <p>
                "Sign out and sign in again with a browser that supports device-bound sessions (Chrome on a desktop, over HTTPS). Other browsers can still use the rest of the site."
            </p>
            <p>
                <a href=paths::HOME>"Back to your dashboard"</a>
            </p>
        </section>
    }
}
