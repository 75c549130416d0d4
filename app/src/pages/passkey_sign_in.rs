//! Signing in with a passkey: alone, from the sign-in page
//! ([`PasskeySignIn`]: no email typed, the passkey says whose it is), or as
//! the second step after a password ([`PasskeyStep`]).
//!
//! Either way the answer is a session, adopted exactly as a password
//! sign-in's is ([`SessionContext::signed_in`](crate::session::SessionContext::signed_in)):
//! the page's guard then moves on to `next`, or home. The buttons show only
//! once the page knows this browser can use passkeys.

use leptos::prelude::*;

use crate::{
    api,
    components::{
        BusyButton, PasskeyFailure, PasskeyMessage, PasskeyNote, describe_failure, sign_challenge, use_passkey_support,
    },
    format::sentence,
    session::use_session,
    types::{ErrorCode, SessionInfo},
};

/// Which sign-in the passkey finishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// `POST /api/auth/passkey`: the passkey alone.
    Alone,
    /// `POST /api/auth/mfa/passkey`: after a right password.
    SecondStep,
}

impl Stage {
    /// What a refused passkey reads as, with what else there is to try.
    fn not_accepted(self) -> &'static str {
        match self {
            Self::Alone => "That passkey was not accepted. Try again or use your password.",
            Self::SecondStep => "That passkey was not accepted. Try again or enter a code.",
        }
    }
}

/// The challenge, the browser's prompt, and the session it earns.
async fn sign_in(stage: Stage) -> Result<SessionInfo, PasskeyFailure> {
    let session = match stage {
        Stage::Alone => {
            let assertion = sign_challenge(api::passkey_sign_in_options()).await?;
            api::sign_in_with_passkey(&assertion).await?
        }
        Stage::SecondStep => {
            let assertion = sign_challenge(api::login_passkey_options()).await?;
            api::login_passkey(&assertion).await?
        }
    };
    Ok(session)
}

/// "Sign in with a passkey", below the password form.
#[component]
pub(super) fn PasskeySignIn() -> impl IntoView {
    let supported = use_passkey_support();
    move || {
        (supported.get() == Some(true)).then(|| {
            view! {
                <p class="divider">"or"</p>
                <div class="passkey-option">
                    <PasskeyButton
                        stage=Stage::Alone
                        label="Sign in with a passkey"
                        primary=false
                        test_id="passkey-sign-in"
                        error_test_id="passkey-sign-in-error"
                    />
                </div>
            }
            .into_any()
        })
    }
}

/// "Use your passkey": the first way the second step offers, above the
/// code form. `restart` goes back to the password when the pending
/// sign-in is gone, as the code form does.
#[component]
pub(super) fn PasskeyStep(
    restart: Callback<Option<String>>,
    /// The `data-testid` of the page's error lines.
    error_test_id: &'static str,
) -> impl IntoView {
    let supported = use_passkey_support();
    move || match supported.get() {
        Some(true) => view! {
            <div class="passkey-option">
                <p>"Use the passkey on this device, or on your phone."</p>
                <PasskeyButton
                    stage=Stage::SecondStep
                    label="Use your passkey"
                    primary=true
                    test_id="use-passkey"
                    error_test_id
                    restart
                />
            </div>
            <p class="divider">"or enter a code"</p>
        }
        .into_any(),
        Some(false) => {
            view! { <p class="hint spaced">"This browser cannot use passkeys, so enter a code instead."</p> }.into_any()
        }
        None => ().into_any(),
    }
}

/// The button, and what became of its last try.
#[component]
fn PasskeyButton(
    stage: Stage,
    label: &'static str,
    /// The first way offered on the page (else an alternative).
    primary: bool,
    test_id: &'static str,
    error_test_id: &'static str,
    /// Back to the password step, with why (second step only).
    #[prop(optional)]
    restart: Option<Callback<Option<String>>>,
) -> impl IntoView {
    let session = use_session();
    let attempt = Action::new_local(move |(): &()| sign_in(stage));
    // Taken once: each call makes a new derived signal.
    let pending = attempt.pending();
    let value = attempt.value();
    let note = RwSignal::new(None::<PasskeyMessage>);
    Effect::new(move || match value.get() {
        // Signed in: the page's guard moves on to `next`, as after a password.
        Some(Ok(info)) => session.signed_in(info),
        Some(Err(failure)) => match (failure.refusal(), restart) {
            (Some(refusal), Some(restart)) if refusal.code() == Some(ErrorCode::MfaPendingInvalid) => {
                restart.run(Some(sentence(&refusal.message())));
            }
            _ => note.set(Some(describe_failure(&failure, stage.not_accepted()))),
        },
        None => {}
    });
    let class = if primary { "button button-primary" } else { "button" };

    view! {
        <BusyButton
            label
            busy_label="Waiting for your passkey…"
            busy=pending
            on_press=Callback::new(move |()| {
                note.set(None);
                attempt.dispatch(());
            })
            test_id
            class
        />
        <PasskeyNote message=note test_id=error_test_id/>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{api::ApiError, types::ErrorBody};

    #[test]
    fn a_refused_passkey_points_to_the_other_way_in() {
        assert!(Stage::Alone.not_accepted().ends_with("use your password."));
        assert!(Stage::SecondStep.not_accepted().ends_with("enter a code."));
    }

    #[test]
    fn the_not_accepted_sentence_is_what_a_refused_assertion_shows() {
        let refused = PasskeyFailure::Server(ApiError::Server {
            status: 401,
            body: ErrorBody { error: ErrorCode::PasskeyInvalid, message: "m".into(), field: None },
            retry_after: None,
        });
        assert_eq!(
            describe_failure(&refused, Stage::Alone.not_accepted()).text,
            "That passkey was not accepted. Try again or use your password."
        );
    }
}
