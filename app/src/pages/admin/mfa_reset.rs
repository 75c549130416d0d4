//! The second factors of a user in the admin table: what they are, and
//! "Reset two-step" (asked twice) for a user who lost them.

use leptos::prelude::*;

use crate::{
    api,
    components::{ConfirmTwice, ConfirmWords, use_step_up, with_step_up},
    format::sentence,
    session::use_session,
    types::mfa::SecondFactor,
};

/// The kinds of second factor, strongest first, for the table: "Passkey,
/// authenticator, recovery codes", or a dash for none.
pub(super) fn describe_factors(factors: &[SecondFactor]) -> String {
    let names: Vec<&str> = [
        (SecondFactor::Passkey, "passkey"),
        (SecondFactor::Totp, "authenticator"),
        (SecondFactor::Recovery, "recovery codes"),
    ]
    .into_iter()
    .filter(|(factor, _)| factors.contains(factor))
    .map(|(_, name)| name)
    .collect();
    if names.is_empty() { "—".to_owned() } else { sentence_case(&names.join(", ")) }
}

/// The first letter in upper case (and no full stop, unlike `sentence`).
fn sentence_case(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Removing a user's second factors: asked twice, then `DELETE
/// /api/admin/users/{id}/mfa` and the list again.
#[component]
pub(super) fn MfaReset(user_id: String, email: String, mfa_reset: Callback<()>) -> impl IntoView {
    let session = use_session();
    let step_up = use_step_up();
    let asking = RwSignal::new(false);
    let reset = Action::new_local(move |(): &()| {
        let user_id = user_id.clone();
        async move { with_step_up(step_up, || api::reset_user_mfa(&user_id)).await }
    });
    let pending = reset.pending();
    let value = reset.value();
    Effect::new(move || match value.get() {
        Some(Ok(())) => mfa_reset.run(()),
        Some(Err(error)) if error.is_unauthorized() => session.check_now(),
        _ => {}
    });
    let error = move || match value.get() {
        Some(Err(error)) if !pending.get() => Some(sentence(&error.message())),
        _ => None,
    };
    let question = format!(
        "Remove every second factor of {email}? They sign in with their password alone until they set one up again."
    );
    let label = format!("Reset two-step verification of {email}");

    view! {
        <div class="mfa-reset">
            <ConfirmTwice
                words=ConfirmWords {
                    ask: "Reset two-step",
                    ask_test_id: "admin-mfa-reset",
                    confirm: "Yes, reset",
                    busy: "Resetting…",
                    confirm_test_id: "admin-mfa-reset-confirm",
                    cancel: "Cancel",
                    cancel_test_id: "admin-mfa-reset-cancel",
                }
                asking
                question
                label
                busy=pending
                on_confirm=Callback::new(move |()| {
                    reset.dispatch(());
                })
            />
            {move || {
                error()
                    .map(|message| {
                        view! {
                            <p class="form-error small" role="alert" data-testid="admin-mfa-reset-error">
                                {message}
                            </p>
                        }
                    })
            }}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_are_named_in_the_table() {
        assert_eq!(describe_factors(&[]), "—");
        assert_eq!(describe_factors(&[SecondFactor::Recovery, SecondFactor::Totp]), "Authenticator, recovery codes");
        assert_eq!(describe_factors(&[SecondFactor::Passkey]), "Passkey");
        assert_eq!(
            describe_factors(&[SecondFactor::Totp, SecondFactor::Recovery, SecondFactor::Passkey]),
            "Passkey, authenticator, recovery codes"
        );
    }
}
