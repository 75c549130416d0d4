//! Step-up: the one way every sensitive action asks "confirm it's you".
//!
//! A call that changes something sensitive (the password, the email
//! address, roles, second factors) answers `403 step_up_required` when the
//! session's last proof (`auth_time`) is older than `AUTH_STEP_UP_SECS`.
//! [`with_step_up`] runs such a call; on that answer it opens the
//! [`StepUpDialog`] (mounted once by the [`App`](crate::App)), waits until
//! the user has proved themselves there (`POST /api/auth/step-up`, whose
//! fresh session is adopted like a sign-in's, so the refresh scheduler
//! follows it), and runs the call once more. Cancel hands back the original
//! refusal, which the form shows like any other.
//!
//! The dialog asks for what `GET /api/auth/mfa` lists in `step_up_methods`:
//! the password for an account without a second factor, else a passkey
//! (first, where this browser can use one) or a code from the
//! authenticator app (with a switch when a code and the password are both
//! allowed).

mod dialog;
mod parts;
mod passkey;

use futures::channel::oneshot;
use leptos::prelude::*;

pub use dialog::StepUpDialog;

use crate::{api::ApiError, types::ErrorCode};
/// The step-up dialog's handle, provided once by the App. Copy it freely.
#[derive(Clone, Copy)]
pub struct StepUp {
    /// Whether the dialog is open.
    open: RwSignal<bool>,
    /// The calls waiting for the dialog: each hears `true` once the user
    /// proved themselves, `false` on cancel. Two calls refused at once share
    /// one dialog.
    waiting: StoredValue<Vec<oneshot::Sender<bool>>>,
}

/// Creates the [`StepUp`] handle and provides it as context (before any
/// page, so every form can use it).
pub fn provide_step_up() -> StepUp {
    let step_up = StepUp { open: RwSignal::new(false), waiting: StoredValue::new(Vec::new()) };
    provide_context(step_up);
    step_up
}

/// The [`StepUp`] provided by the App. Take it in the component's body,
/// not inside the async call.
pub fn use_step_up() -> StepUp {
    expect_context()
}

impl StepUp {
    /// Opens the dialog and waits for its outcome: `true` once proved.
    async fn confirmed(self) -> bool {
        let (sender, receiver) = oneshot::channel();
        self.waiting.update_value(|waiting| waiting.push(sender));
        self.open.set(true);
        // A dropped sender (the app went away) counts as a cancel.
        receiver.await.unwrap_or(false)
    }

    /// Closes the dialog and tells every waiting call.
    fn finish(self, proved: bool) {
        let waiting = self.waiting.try_update_value(std::mem::take).unwrap_or_default();
        self.open.set(false);
        for sender in waiting {
            // The caller may have given up waiting; nothing to tell then.
            let _ = sender.send(proved);
        }
    }
}

/// Runs `call`; when the server wants a fresh proof first (`403
/// step_up_required`), asks for it in the dialog and runs `call` once more.
/// Cancelling the dialog answers the first refusal.
pub async fn with_step_up<T, F, Fut>(step_up: StepUp, call: F) -> Result<T, ApiError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    match call().await {
        Err(refusal) if refusal.code() == Some(ErrorCode::StepUpRequired) => {
            if step_up.confirmed().await {
                call().await
            } else {
                Err(refusal)
            }
        }
        answer => answer,
    }
}
