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
use crate::{api::ApiError, components::RequireSession, pages::Forbidden, session::use_session};

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

/// The users, then the events. A role change writes an event, so it makes
/// the events table load again. When either table is refused (`403`), the
/// 403 page takes the place of both.
#[component]
fn Panels() -> impl IntoView {
    let (role_changes, set_role_changes) = signal(0_u32);
    let roles_changed = Callback::new(move |()| set_role_changes.update(|count| *count += 1));
    let (forbidden, set_forbidden) = signal(false);
    view! {
        <Show when=move || !forbidden.get() fallback=|| view! { <Forbidden/> }>
            <div class="admin">
                <UserTable roles_changed forbidden=set_forbidden/>
                <EventTable reload_on=role_changes forbidden=set_forbidden/>
            </div>
        </Show>
    }
}

/// A `403`: the server no longer counts the user as an admin (the role was
/// taken away since the page loaded).
fn is_forbidden<T>(answer: &Result<T, ApiError>) -> bool {
    answer.as_ref().is_err_and(|error| error.status() == Some(403))
}
