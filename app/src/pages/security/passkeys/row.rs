//! One passkey in the list: its name, when it was added and last used, and
//! (where the server allows passkeys) renaming it in place and removing it.

use leptos::{ev::SubmitEvent, html, prelude::*};

use super::remove::RemovePasskey;
use crate::{
    api,
    components::{BusyButton, use_step_up, with_step_up},
    format::{date_time, iso_utc, sentence},
    session::use_session,
    types::{
        mfa::PasskeyView,
        passkeys::{MAX_PASSKEY_NAME_CHARS, PasskeyRename, check_passkey_name},
    },
};

const ERROR_TEST_ID: &str = "passkey-error";

/// The row. `manage`: offer rename and remove; `must_keep`: remove is
/// refused (the policy's last second factor).
#[component]
pub(super) fn PasskeyRow(passkey: PasskeyView, manage: bool, must_keep: bool, reload: Callback<()>) -> impl IntoView {
    let PasskeyView { id, name, created_at, last_used_at } = passkey;
    // Renaming changes only this row: no need to load the list again.
    let name = RwSignal::new(name);
    let renaming = RwSignal::new(false);
    let last_used = match last_used_at {
        Some(at) => view! { "Last used " <time datetime=iso_utc(at)>{date_time(at)}</time> }.into_any(),
        None => "Never used".into_any(),
    };
    let rename_id = id.clone();

    view! {
        <li class="session-row passkey-row" data-testid="passkey-row">
            <div class="session-info">
                {move || {
                    if renaming.get() {
                        view! { <Rename id=rename_id.clone() name renaming/> }.into_any()
                    } else {
                        view! {
                            <p class="session-device" data-testid="passkey-row-name">
                                {move || name.get()}
                            </p>
                        }
                            .into_any()
                    }
                }}
                <p class="muted small">
                    "Added " <time datetime=iso_utc(created_at)>{date_time(created_at)}</time> " · " {last_used}
                </p>
            </div>
            {manage
                .then(|| {
                    view! {
                        <div class="button-row passkey-actions">
                            {move || {
                                (!renaming.get())
                                    .then(|| {
                                        view! {
                                            <button
                                                type="button"
                                                class="button"
                                                data-testid="rename-passkey"
                                                aria-label=move || format!("Rename the passkey {}", name.get())
                                                on:click=move |_| renaming.set(true)
                                            >
                                                "Rename"
                                            </button>
                                        }
                                    })
                            }}
                            <RemovePasskey id name must_keep reload/>
                        </div>
                    }
                })}
        </li>
    }
}

/// The name as a field, with Save and Cancel.
#[component]
fn Rename(id: String, name: RwSignal<String>, renaming: RwSignal<bool>) -> impl IntoView {
    let session = use_session();
    let step_up = use_step_up();
    let input_id = format!("passkey-rename-{id}");
    let error_id = format!("{input_id}-error");
    let input = NodeRef::<html::Input>::new();
    // Straight into the field, its text selected to type over.
    Effect::new(move || {
        if let Some(input) = input.get() {
            let _ = input.focus();
            input.select();
        }
    });

    let save = Action::new_local(move |new_name: &String| {
        let (id, body) = (id.clone(), PasskeyRename { name: new_name.clone() });
        async move { with_step_up(step_up, || api::rename_passkey(&id, &body)).await }
    });
    // Taken once: each call makes a new derived signal.
    let pending = save.pending();
    let value = save.value();
    let error = RwSignal::new(None::<String>);
    Effect::new(move || match value.get() {
        Some(Ok(renamed)) => {
            name.set(renamed.name);
            renaming.set(false);
        }
        Some(Err(refusal)) => error.set(Some(session.refusal_text(&refusal))),
        None => {}
    });
    let has_error = move || error.with(Option::is_some);
    let described_by = {
        let error_id = error_id.clone();
        move || has_error().then(|| error_id.clone())
    };

    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let typed = input.get_untracked().map(|input| input.value()).unwrap_or_default();
        match check_passkey_name(&typed) {
            // Nothing changed: nothing to send.
            Ok(new_name) if new_name == name.get_untracked() => renaming.set(false),
            Ok(new_name) => {
                error.set(None);
                save.dispatch(new_name);
            }
            Err(why) => error.set(Some(sentence(why))),
        }
    };

    view! {
        <form class="auth-form passkey-rename" method="post" novalidate on:submit=on_submit>
            <div class="field">
                <label for=input_id.clone()>"New name"</label>
                <input
                    id=input_id.clone()
                    name="passkey-name"
                    type="text"
                    value=name.get_untracked()
                    autocomplete="off"
                    maxlength=MAX_PASSKEY_NAME_CHARS.to_string()
                    required
                    aria-invalid=move || if has_error() { "true" } else { "false" }
                    aria-describedby=described_by
                    data-testid="passkey-rename-input"
                    node_ref=input
                />
                {move || {
                    error
                        .get()
                        .map(|message| {
                            view! {
                                <p id=error_id.clone() class="form-error" role="alert" data-testid=ERROR_TEST_ID>
                                    {message}
                                </p>
                            }
                        })
                }}
            </div>
            <div class="button-row">
                <BusyButton
                    label="Save"
                    busy_label="Saving…"
                    busy=pending
                    submit=true
                    test_id="save-passkey-name"
                    class="button button-primary"
                />
                <button
                    type="button"
                    class="button"
                    data-testid="cancel-passkey-rename"
                    on:click=move |_| renaming.set(false)
                >
                    "Cancel"
                </button>
            </div>
        </form>
    }
}
