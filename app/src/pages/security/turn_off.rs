//! Turning the authenticator app off, asked twice (and refused by the page
//! when the policy needs it and it is the only second factor).

use leptos::prelude::*;

use crate::{
    api,
    components::{ConfirmTwice, ConfirmWords, use_step_up, with_step_up},
    session::use_session,
};

/// "Turn off", asked twice.
#[component]
pub(super) fn TurnOff(must_keep: bool, reload: Callback<()>) -> impl IntoView {
    if must_keep {
        return view! {
            <p class="hint">"Your account must have two-step verification, so the app cannot be turned off."</p>
        }
        .into_any();
    }
    let session = use_session();
    let step_up = use_step_up();
    let asking = RwSignal::new(false);
    let turn_off = Action::new_local(move |(): &()| with_step_up(step_up, api::disable_totp));
    let pending = turn_off.pending();
    let value = turn_off.value();
    let error = RwSignal::new(None::<String>);
    Effect::new(move || match value.get() {
        Some(Ok(())) => reload.run(()),
        Some(Err(refusal)) => error.set(Some(session.refusal_text(&refusal))),
        None => {}
    });

    view! {
        {move || {
            error
                .get()
                .map(|message| {
                    view! {
                        <p class="form-error" role="alert" data-testid="totp-error">
                            {message}
                        </p>
                    }
                })
        }}
        <div class="actions">
            <ConfirmTwice
                words=ConfirmWords {
                    ask: "Turn off",
                    ask_test_id: "totp-disable",
                    confirm: "Yes, turn it off",
                    busy: "Turning off…",
                    confirm_test_id: "totp-disable-confirm",
                    cancel: "Keep it on",
                    cancel_test_id: "totp-disable-cancel",
                }
                asking
                question="Turn off the authenticator app? Signing in will no longer ask for its code.".to_owned()
                label="Turn off the authenticator app".to_owned()
                busy=pending
                on_confirm=Callback::new(move |()| {
                    error.set(None);
                    turn_off.dispatch(());
                })
            />
        </div>
    }
    .into_any()
}
