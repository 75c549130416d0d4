//! The users table of the admin page: each user's email, roles, second
//! factors and creation time, an editor that replaces their roles, and
//! "Reset two-step" for a user who lost their authenticator app. Both
//! changes go through [`with_step_up`].
//!
//! On a phone the table stacks, one card per user, each cell labelled from
//! its `data-label`.

use leptos::{ev::SubmitEvent, html, prelude::*, task::spawn_local};

use super::{
    Refused,
    mfa_reset::{MfaReset, describe_factors},
    refusal,
};
use crate::{
    api::{self, ApiError},
    components::{BusyButton, Fetched, use_step_up, with_step_up},
    format::{date_time, iso_utc, sentence},
    session::use_session,
    types::{AdminUserView, RoleChange},
};

/// The users card, loaded in the browser after hydration, and again after
/// a two-step reset. A `403` sets `refused`.
#[component]
pub(super) fn UserTable(roles_changed: Callback<()>, refused: WriteSignal<Option<Refused>>) -> impl IntoView {
    let session = use_session();
    let (users, set_users) = signal(Fetched::<Vec<AdminUserView>>::Loading);
    let (version, set_version) = signal(0_u32);
    // A reset writes an event too.
    let mfa_reset = Callback::new(move |()| {
        set_version.update(|version| *version += 1);
        roles_changed.run(());
    });
    Effect::new(move || {
        version.track();
        spawn_local(async move {
            let answer = api::admin_users().await;
            if let Some(why) = refusal(&answer) {
                refused.set(Some(why));
            } else {
                set_users.set(Fetched::from_answer(answer, session));
            }
        });
    });

    view! {
        <section class="card card-wide" aria-labelledby="users-heading">
            <h1 id="users-heading">"Users"</h1>
            {move || {
                users
                    .get()
                    .show(
                        "Loading users…",
                        None,
                        |list| view! { <UserList users=list roles_changed mfa_reset/> }.into_any(),
                    )
            }}
        </section>
    }
}

/// The hint on roles, and the table.
#[component]
fn UserList(users: Vec<AdminUserView>, roles_changed: Callback<()>, mfa_reset: Callback<()>) -> impl IntoView {
    let count = users.len();
    view! {
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
                        <th scope="col">"Two-step"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Change roles"</th>
                    </tr>
                </thead>
                <tbody>
                    {users
                        .into_iter()
                        .map(|user| view! { <UserRow user roles_changed mfa_reset/> }.into_any())
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// One user: the roles as saved, and an editor for them; the second
/// factors, and a reset of them.
#[component]
fn UserRow(user: AdminUserView, roles_changed: Callback<()>, mfa_reset: Callback<()>) -> impl IntoView {
    let AdminUserView { id, email, roles, created_at, second_factors } = user;
    let roles = RwSignal::new(roles);
    let shown_email = email.clone();
    let has_factors = !second_factors.is_empty();
    let reset_target = (id.clone(), email.clone());
    view! {
        <tr data-testid="admin-user-row">
            <td class="email" data-label="Email">{shown_email}</td>
            <td data-label="Roles" data-testid="admin-user-roles">{move || roles.with(|roles| roles.join(", "))}</td>
            <td data-label="Two-step">
                // One child, so the stacked (phone) layout keeps it beside its label.
                <div>
                    <span data-testid="admin-user-factors">{describe_factors(&second_factors)}</span>
                    {has_factors
                        .then(|| {
                            let (user_id, email) = reset_target;
                            view! { <MfaReset user_id email mfa_reset/> }.into_any()
                        })}
                </div>
            </td>
            <td data-label="Created">
                <time datetime=iso_utc(created_at)>{date_time(created_at)}</time>
            </td>
            <td data-label="Change">
                {view! { <RoleEditor user_id=id email roles roles_changed/> }.into_any()}
            </td>
        </tr>
    }
    .into_any()
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

    let target = user_id.clone();
    let step_up = use_step_up();
    let save: SaveRolesAction = Action::new_local(move |change: &RoleChange| {
        let (user_id, change) = (target.clone(), change.clone());
        async move { with_step_up(step_up, || api::set_roles(&user_id, &change)).await }
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
        // The button submits the form, so Enter in the field saves too.
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
            <BusyButton
                label="Save"
                busy_label="Saving…"
                busy=pending
                submit=true
                test_id=save_test_id
                aria_label=save_label
            />
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_read_as_words() {
        assert_eq!(parse_roles("user editor"), ["user", "editor"]);
        assert_eq!(parse_roles("  user,  admin\teditor "), ["user", "admin", "editor"]);
        assert!(parse_roles("   ").is_empty());
    }
}
