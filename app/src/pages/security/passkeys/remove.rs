//! Removing a passkey, asked twice (and refused by the page when the
//! policy needs a second factor and this passkey is the only one).

use leptos::prelude::*;

use crate::{
    api,
    components::{ConfirmTwice, ConfirmWords, use_step_up, with_step_up},
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
        Some(Err(refusal)) => error.set(Some(session.refusal_text(&refusal))),
        None => {}
    });

    let words = ConfirmWords {
        ask: "Remove",
        ask_test_id: "remove-passkey",
        confirm: "Yes, remove it",
        busy: "Removing…",
        confirm_test_id: "confirm-remove-passkey",
        cancel: "Keep it",
        cancel_test_id: "cancel-remove-passkey",
    };
    let question = move || format!("Remove the passkey “{}”? You can no longer sign in with it.", name.get());
    let on_confirm = Callback::new(move |()| {
        error.set(None);
        remove.dispatch(());
    });

    view! {
        <ConfirmTwice
            words
            asking
            question=Signal::derive(question)
            label=Signal::derive(move || format!("Remove the passkey {}", name.get()))
            busy=pending
            on_confirm
        />
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
