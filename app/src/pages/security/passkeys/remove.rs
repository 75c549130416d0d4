//! Removing a passkey, asked twice (and refused by the page when the
//! policy needs a second factor and this passkey is the only one).

use leptos::prelude::*;

use crate::{
    api,
    components::{BusyButton, use_step_up, with_step_up},
    format::sentence,
    session::use_session,
};

/// "Remove", asked twice; then `DELETE /api/auth/passkeys/{id}` and the
/// list again (the recovery codes may have gone with the last factor).
#[component]
pub(super) fn RemovePasskey(
    id: String,
    /// The passkey's name, as shown now (it may have been renamed).
    name: RwSignal<String>,
    must_keep: bool,
    reload: Callback<()>,
) -> impl IntoView {
    if must_keep {
        return view! {
            <p class="hint">"Your account must have two-step verification, so its only passkey cannot be removed."</p>
        }
        .into_any();
    }
    let session = use_session();
    let step_up = use_step_up();
    let asking = RwSignal::new(false);
    let remove = Action::new_local(move |(): &()| {
        let id = id.clone();
        async move { with_step_up(step_up, || api::delete_passkey(&id)).await }
    });
    // Taken once: each call makes a new derived signal.
    let pending = remove.pending();
    let value = remove.value();
    let error = RwSignal::new(None::<String>);
    Effect::new(move || match value.get() {
        Some(Ok(())) => reload.run(()),
        Some(Err(refusal)) => {
            if refusal.is_unauthorized() {
                session.check_now();
            }
            error.set(Some(sentence(&refusal.message())));
        }
        None => {}
    });

    view! {
        {move || {
            if asking.get() {
                view! {
                    <div
                        class="confirm-box"
                        role="group"
                        aria-label=move || format!("Remove the passkey {}", name.get())
                    >
                        <p>
                            {move || format!("Remove the passkey “{}”? You can no longer sign in with it.", name.get())}
                        </p>
                        <div class="button-row">
                            <BusyButton
                                label="Yes, remove it"
                                busy_label="Removing…"
                                busy=pending
                                on_press=Callback::new(move |()| {
                                    error.set(None);
                                    remove.dispatch(());
                                })
                                test_id="confirm-remove-passkey"
                                class="button button-danger"
                            />
                            <button
                                type="button"
                                class="button"
                                data-testid="cancel-remove-passkey"
                                on:click=move |_| asking.set(false)
                            >
                                "Keep it"
                            </button>
                        </div>
                    </div>
                }
                    .into_any()
            } else {
                view! {
                    <button
                        type="button"
                        class="button button-danger"
                        data-testid="remove-passkey"
                        aria-label=move || format!("Remove the passkey {}", name.get())
                        on:click=move |_| asking.set(true)
                    >
                        "Remove"
                    </button>
                }
                    .into_any()
            }
        }}
        {move || {
            error
                .get()
                .map(|message| {
                    view! {
                        <p class="form-error" role="alert" data-testid="passkey-error">
                            {message}
                        </p>
                    }
                })
        }}
    }
    .into_any()
}
