//! `/admin`: every user, with their roles to edit, and the recent auth
//! events, for admins only. Others get the 403 page; the API checks the
//! role too (`/api/admin/*` answers `403`), so hiding the page is
//! convenience, not the protection.

use leptos::{ev::SubmitEvent, html, prelude::*, task::spawn_local};
use leptos_meta::Title;

use crate::{
    api::{self, ApiError},
    components::{BusyButton, RequireSession},
    format::{date_time, describe_user_agent, iso_utc, sentence},
    pages::Forbidden,
    session::use_session,
    types::{AdminUserView, AuthEventView, RoleChange},
};

/// How many of the newest events the page shows.
const EVENTS_SHOWN: u32 = 50;

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
/// the events table load again.
#[component]
fn Panels() -> impl IntoView {
    let (role_changes, set_role_changes) = signal(0_u32);
    let roles_changed = Callback::new(move |()| set_role_changes.update(|count| *count += 1));
    view! {
        <div class="admin">
            <UserTable roles_changed/>
            <EventTable reload_on=role_changes/>
        </div>
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
fn UserTable(roles_changed: Callback<()>) -> impl IntoView {
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
        Users::Loaded(users) => view! { <Loaded users roles_changed/> }.into_any(),
    }
}

#[component]
fn Loaded(users: Vec<AdminUserView>, roles_changed: Callback<()>) -> impl IntoView {
    let count = users.len();
    view! {
        <section class="card card-wide" aria-labelledby="users-heading">
            <h1 id="users-heading">"Users"</h1>
            <p class="hint roles-hint" id="roles-hint">
                "Roles are separated by spaces. Saving replaces all of the user's roles; \
                 their next request already runs with the new ones."
            </p>
            <div class="table-scroll" role="region" aria-labelledby="users-heading" tabindex="0">
                <table class="data-table stacked" data-testid="admin-users">
                    <caption>{format!("{count} {}", if count == 1 { "user" } else { "users" })}</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Email"</th>
                            <th scope="col">"Roles"</th>
                            <th scope="col">"Created"</th>
                            <th scope="col">"Change roles"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {users.into_iter().map(|user| view! { <UserRow user roles_changed/> }.into_any()).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// One user: the roles as saved, and an editor for them.
#[component]
fn UserRow(user: AdminUserView, roles_changed: Callback<()>) -> impl IntoView {
    let AdminUserView { id, email, roles, created_at } = user;
    let roles = RwSignal::new(roles);
    let shown_email = email.clone();
    view! {
        <tr data-testid="admin-user-row">
            <td class="email" data-label="Email">{shown_email}</td>
            <td data-label="Roles" data-testid="admin-user-roles">{move || roles.with(|roles| roles.join(", "))}</td>
            <td data-label="Created">
                <time datetime=iso_utc(created_at)>{date_time(created_at)}</time>
            </td>
            <td data-label="Change">
                <RoleEditor user_id=id email roles roles_changed/>
            </td>
        </tr>
    }
}

/// Setting a user's roles: the change in, the user as changed out.
type SaveRolesAction = Action<RoleChange, Result<AdminUserView, ApiError>>;

/// What the roles field holds, as the list the API takes: words separated
/// by spaces or commas. The server judges them (names, count).
fn parse_roles(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == ',').filter(|role| !role.is_empty()).map(str::to_owned).collect()
}

/// A text field with the user's roles, space-separated, and "Save". The
/// outcome shows below it: "Saved." or the server's refusal (a `422` names
/// the rule that failed).
#[component]
fn RoleEditor(
    user_id: String,
    email: String,
    /// The roles as saved; set from the server's answer.
    roles: RwSignal<Vec<String>>,
    roles_changed: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let input = NodeRef::<html::Input>::new();

    // Effects run only in the browser, once the page is hydrated.
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move || set_hydrated.set(true));

    let target = user_id.clone();
    let save: SaveRolesAction = Action::new_local(move |change: &RoleChange| {
        let (user_id, change) = (target.clone(), change.clone());
        async move { api::set_roles(&user_id, &change).await }
    });
    // Taken once: each call makes a new derived signal.
    let pending = save.pending();
    let value = save.value();

    Effect::new(move || match value.get() {
        Some(Ok(user)) => {
            if let Some(input) = input.get_untracked() {
                input.set_value(&user.roles.join(" "));
            }
            // Our own roles changed: our access token is now refused, and a
            // refresh brings one with the new roles (and the header's links).
            if session.session.with_untracked(|s| s.as_ref().is_some_and(|s| s.user.id == user.id)) {
                session.check_now();
            }
            roles.set(user.roles);
            roles_changed.run(());
        }
        Some(Err(error)) if error.is_unauthorized() => session.check_now(),
        _ => {}
    });
    let error = move || match value.get() {
        Some(Err(error)) if !pending.get() => Some(sentence(&error.message())),
        _ => None,
    };
    let saved = move || !pending.get() && value.with(|result| matches!(result, Some(Ok(_))));

    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let Some(input) = input.get_untracked() else { return };
        save.dispatch(RoleChange { roles: parse_roles(&input.value()) });
    };

    // User ids are UUIDs: fine inside an element id.
    let input_id = format!("roles-{user_id}");
    let error_id = format!("roles-{user_id}-error");
    let described_by = {
        let error_id = error_id.clone();
        move || if error().is_some() { format!("roles-hint {error_id}") } else { "roles-hint".to_owned() }
    };
    let initial = roles.with_untracked(|roles| roles.join(" "));
    let input_label = format!("Roles of {email}");
    let input_test_id = format!("role-input-{email}");
    let save_label = format!("Save the roles of {email}");
    let save_test_id = format!("role-save-{email}");
    let status_test_id = format!("role-status-{email}");
    let error_test_id = format!("role-error-{email}");

    view! {
        <form class="role-form" method="post" novalidate on:submit=on_submit>
            <input
                id=input_id
                name="roles"
                type="text"
                value=initial
                autocomplete="off"
                autocapitalize="none"
                spellcheck="false"
                aria-label=input_label
                aria-invalid=move || if error().is_some() { "true" } else { "false" }
                aria-describedby=described_by
                data-testid=input_test_id
                node_ref=input
            />
            <button
                type="submit"
                class="button"
                data-testid=save_test_id
                aria-label=save_label
                disabled=move || !hydrated.get() || pending.get()
                aria-busy=move || if pending.get() { "true" } else { "false" }
            >
                {move || if pending.get() { "Saving…" } else { "Save" }}
            </button>
        </form>
        <p class="role-status small" role="status" data-testid=status_test_id>
            {move || saved().then_some("Saved.")}
        </p>
        {move || {
            error()
                .map(|message| {
                    view! {
                        <p
                            id=error_id.clone()
                            class="form-error small"
                            role="alert"
                            data-testid=error_test_id.clone()
                        >
                            {message}
                        </p>
                    }
                })
        }}
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Events {
    Loading,
    Loaded(Vec<AuthEventView>),
    /// The users table shows the 403 page already.
    Forbidden,
    Failed(String),
}

/// The newest auth events, loaded in the browser after hydration and again
/// on "Reload" and whenever `reload_on` moves.
#[component]
fn EventTable(#[prop(into)] reload_on: Signal<u32>) -> impl IntoView {
    let session = use_session();
    let (events, set_events) = signal(Events::Loading);
    let (loading, set_loading) = signal(false);
    let (version, set_version) = signal(0_u32);
    // Only the answer to the latest request is shown: an older one arriving
    // late would hide newer events.
    let latest = StoredValue::new(0_u32);

    Effect::new(move || {
        version.track();
        reload_on.track();
        let ticket = latest.get_value().wrapping_add(1);
        latest.set_value(ticket);
        set_loading.set(true);
        spawn_local(async move {
            let next = match api::list_events(EVENTS_SHOWN).await {
                Ok(rows) => Events::Loaded(rows),
                Err(error) if error.status() == Some(403) => Events::Forbidden,
                Err(error) => {
                    if error.is_unauthorized() {
                        session.check_now();
                    }
                    Events::Failed(sentence(&error.message()))
                }
            };
            // The page may have gone meanwhile.
            if latest.try_get_value() == Some(ticket) {
                set_events.set(next);
                set_loading.set(false);
            }
        });
    });

    // After a `403` the users table shows the 403 page: nothing to add.
    let forbidden = move || events.with(|events| matches!(events, Events::Forbidden));
    view! {
        <Show when=move || !forbidden()>
            <section class="card card-wide" aria-labelledby="events-heading">
                <div class="card-head">
                    <h2 id="events-heading">"Recent auth events"</h2>
                    <BusyButton
                        label="Reload"
                        busy_label="Reloading…"
                        busy=loading
                        on_press=Callback::new(move |()| set_version.update(|version| *version += 1))
                        test_id="events-reload"
                    />
                </div>
                {move || match events.get() {
                    Events::Loaded(rows) => view! { <EventRows rows/> }.into_any(),
                    Events::Failed(message) => {
                        view! {
                            <p class="form-error" role="alert" data-testid="events-error">
                                {message}
                            </p>
                        }
                            .into_any()
                    }
                    Events::Loading | Events::Forbidden => {
                        view! { <p class="muted" role="status">"Loading events…"</p> }.into_any()
                    }
                }}
            </section>
        </Show>
    }
}

/// A dash for what an event does not carry.
fn or_dash(value: Option<String>) -> String {
    value.filter(|value| !value.is_empty()).unwrap_or_else(|| "—".to_owned())
}

#[component]
fn EventRows(rows: Vec<AuthEventView>) -> impl IntoView {
    let count = rows.len();
    let caption = match count {
        0 => "No events yet".to_owned(),
        1 => "1 event".to_owned(),
        n if n >= EVENTS_SHOWN as usize => format!("The latest {n} events, newest first"),
        n => format!("{n} events, newest first"),
    };
    view! {
        <div class="table-scroll" role="region" aria-labelledby="events-heading" tabindex="0">
            <table class="data-table events-table stacked" data-testid="events">
                <caption>{caption}</caption>
                <thead>
                    <tr>
                        <th scope="col">"Time"</th>
                        <th scope="col">"Event"</th>
                        <th scope="col">"User"</th>
                        <th scope="col">"IP address"</th>
                        <th scope="col">"Device"</th>
                        <th scope="col">"Detail"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|event| {
                            let AuthEventView { id, at, kind, user_id, email, ip, user_agent, detail, .. } = event;
                            let device = user_agent.as_deref().map(|agent| describe_user_agent(Some(agent)));
                            let kind_attr = kind.clone();
                            view! {
                                <tr data-testid="event-row" data-kind=kind_attr data-event-id=id.to_string()>
                                    <td class="nowrap" data-label="Time">
                                        <time datetime=iso_utc(at)>{date_time(at)}</time>
                                    </td>
                                    <td data-label="Event">
                                        <code class="event-kind">{kind}</code>
                                    </td>
                                    // Who it concerns: the email, or the id when
                                    // there is no account to name.
                                    <td class="email" data-label="User">{or_dash(email.or(user_id))}</td>
                                    <td class="nowrap" data-label="IP address">{or_dash(ip)}</td>
                                    <td title=user_agent data-label="Device">{or_dash(device)}</td>
                                    <td data-label="Detail">{or_dash(detail)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_read_as_words() {
        assert_eq!(parse_roles("user editor"), ["user", "editor"]);
        assert_eq!(parse_roles("  user,  admin\teditor "), ["user", "admin", "editor"]);
        assert!(parse_roles("   ").is_empty());
    }

    #[test]
    fn missing_event_fields_show_a_dash() {
        assert_eq!(or_dash(None), "—");
        assert_eq!(or_dash(Some(String::new())), "—");
        assert_eq!(or_dash(Some("127.0.0.1".to_owned())), "127.0.0.1");
    }
}
