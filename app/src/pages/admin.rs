//! `/admin`: every user, for admins only. Others get the 403 page; the API
//! checks the role too (`GET /api/admin/users` answers `403`), so hiding the
//! page is convenience, not the protection.

use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;

use crate::{
    api,
    components::RequireSession,
    format::{date_time, iso_utc, sentence},
    pages::Forbidden,
    session::use_session,
    types::AdminUserView,
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
                <UserTable/>
            </Show>
        </RequireSession>
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Users {
    Loading,
    Loaded(Vec<AdminUserView>),
    /// The server refused the role (it changed since the page loaded).
    Forbidden,
    Failed(String),
}

/// The users table, loaded in the browser after hydration.
#[component]
fn UserTable() -> impl IntoView {
    let session = use_session();
    let (users, set_users) = signal(Users::Loading);
    Effect::new(move || {
        spawn_local(async move {
            let next = match api::admin_users().await {
                Ok(users) => Users::Loaded(users),
                Err(error) if error.status() == Some(403) => Users::Forbidden,
                Err(error) => {
                    if error.is_unauthorized() {
                        session.check_now();
                    }
                    Users::Failed(sentence(&error.message()))
                }
            };
            set_users.set(next);
        });
    });

    move || match users.get() {
        Users::Loading => view! {
            <section class="card card-wide" aria-labelledby="users-heading">
                <h1 id="users-heading">"Users"</h1>
                <p class="muted" role="status">"Loading users…"</p>
            </section>
        }
        .into_any(),
        Users::Forbidden => view! { <Forbidden/> }.into_any(),
        Users::Failed(message) => view! {
            <section class="card card-wide" aria-labelledby="users-heading">
                <h1 id="users-heading">"Users"</h1>
                <p class="form-error" role="alert">{message}</p>
            </section>
        }
        .into_any(),
        Users::Loaded(users) => view! { <Loaded users/> }.into_any(),
    }
}

#[component]
fn Loaded(users: Vec<AdminUserView>) -> impl IntoView {
    let count = users.len();
    view! {
        <section class="card card-wide" aria-labelledby="users-heading">
            <h1 id="users-heading">"Users"</h1>
            <div class="table-scroll" role="region" aria-labelledby="users-heading" tabindex="0">
                <table class="data-table" data-testid="admin-users">
                    <caption>{format!("{count} {}", if count == 1 { "user" } else { "users" })}</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Email"</th>
                            <th scope="col">"Roles"</th>
                            <th scope="col">"Created"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {users
                            .into_iter()
                            .map(|user| {
                                view! {
                                    <tr data-testid="admin-user-row">
                                        <td class="email">{user.email}</td>
                                        <td>{user.roles.join(", ")}</td>
                                        <td>
                                            <time datetime=iso_utc(user.created_at)>{date_time(user.created_at)}</time>
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}
