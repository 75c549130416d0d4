//! "Use your passkey" in the step-up dialog: a challenge for one of the
//! user's passkeys (`POST /api/auth/step-up/passkey/options`), the
//! browser's prompt, then `POST /api/auth/step-up` with the assertion. Its
//! fresh session is adopted like any other proof's.

use leptos::prelude::*;

use super::{
    StepUp,
    parts::{ERROR_TEST_ID, PASSKEY_NOT_ACCEPTED},
};
use crate::{
    api,
    components::{BusyButton, PasskeyFailure, PasskeyMessage, PasskeyNote, describe_failure, sign_challenge},
    session::use_session,
    types::{SessionInfo, mfa::StepUpProof, passkeys::PasskeyAssertion},
};

/// Proves the user with one of their passkeys.
async fn prove() -> Result<SessionInfo, PasskeyFailure> {
    let PasskeyAssertion { ceremony, credential } = sign_challenge(api::step_up_passkey_options()).await?;
    Ok(api::step_up(&StepUpProof::Passkey { ceremony, credential }).await?)
}

/// The passkey button and what became of its last try.
#[component]
pub(super) fn PasskeyProof(step_up: StepUp) -> impl IntoView {
    let session = use_session();
    let attempt = Action::new_local(|(): &()| prove());
    // Taken once: each call makes a new derived signal.
    let pending = attempt.pending();
    let value = attempt.value();
    let note = RwSignal::new(None::<PasskeyMessage>);
    Effect::new(move || match value.get() {
        Some(Ok(info)) => {
            // Adopted like a sign-in: the scheduler follows the new token.
            session.signed_in(info);
            step_up.finish(true);
        }
        Some(Err(failure)) => {
            if failure.session_lost() {
                session.check_now();
            }
            note.set(Some(describe_failure(&failure, PASSKEY_NOT_ACCEPTED)));
        }
        None => {}
    });

    view! {
        <div class="passkey-option">
            <p class="hint">"Use the passkey on this device, or on your phone."</p>
            <BusyButton
                label="Use your passkey"
                busy_label="Waiting for your passkey…"
                busy=pending
                on_press=Callback::new(move |()| {
                    note.set(None);
                    attempt.dispatch(());
                })
                test_id="step-up-passkey"
                class="button button-primary"
            />
            <PasskeyNote message=note test_id=ERROR_TEST_ID/>
        </div>
    }
}
