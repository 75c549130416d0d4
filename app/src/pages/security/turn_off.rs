//! Turning the authenticator app off, asked twice (and refused by the page
//! when the policy needs it and it is the only second factor).

use leptos::prelude::*;

use crate::{
    api,
    components::{BusyButton, use_step_up, with_step_up},
    format::sentence,
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
        {move || {
            if asking.get() {
                view! {
                    <div class="confirm-box" role="group" aria-labelledby="totp-off-question">
                        <p id="totp-off-question">
                            "Turn off the authenticator app? Signing in will no longer ask for its code."
                        </p>
                        <div class="button-row">
                            <BusyButton
                                label="Yes, turn it off"
                                busy_label="Turning off…"
                                busy=pending
                                on_press=Callback::new(move |()| {
                                    error.set(None);
                                    turn_off.dispatch(());
                                })
                                test_id="totp-disable-confirm"
                                class="button button-danger"
                            />
                            <button
                                type="button"
                                class="button"
                                data-testid="totp-disable-cancel"
                                on:click=move |_| asking.set(false)
                            >
                                "Keep it on"
                            </button>
                        </div>
                    </div>
                }
                    .into_any()
            } else {
                view! {
                    <div class="actions">
                        <button
                            type="button"
                            class="button button-danger"
                            data-testid="totp-disable"
                            on:click=move |_| asking.set(true)
                        >
                            "Turn off"
                        </button>
                    </div>
                }
                    .into_any()
            }
        }}
    }
    .into_any()
}
