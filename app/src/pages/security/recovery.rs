//! Recovery codes: how many are left, making new ones, and the panel that
//! shows new codes, once. The server keeps only their hashes, so a code
//! not saved now is gone.

use leptos::{html, prelude::*};

use crate::{
    api,
    components::{BusyButton, use_step_up, with_step_up},
    format::sentence,
    session::use_session,
};

/// "N codes left", for people.
fn codes_left(left: i64) -> String {
    match left {
        ..=0 => "No codes left".to_owned(),
        1 => "1 code left".to_owned(),
        n => format!("{n} codes left"),
    }
}

/// The card: codes left and "Make new codes".
#[component]
pub(super) fn RecoverySection(left: i64, reload: Callback<()>, show_codes: Callback<Vec<String>>) -> impl IntoView {
    let session = use_session();
    let step_up = use_step_up();
    let regenerate = Action::new_local(move |(): &()| with_step_up(step_up, api::regenerate_recovery_codes));
    // Taken once: each call makes a new derived signal.
    let pending = regenerate.pending();
    let value = regenerate.value();
    Effect::new(move || match value.get() {
        Some(Ok(codes)) => {
            show_codes.run(codes.codes);
            reload.run(());
        }
        Some(Err(refusal)) if refusal.is_unauthorized() => session.check_now(),
        _ => {}
    });
    let error = move || match value.get() {
        Some(Err(refusal)) if !pending.get() => Some(sentence(&refusal.message())),
        _ => None,
    };

    view! {
        <section class="card" aria-labelledby="recovery-heading" data-testid="recovery-section">
            <h2 id="recovery-heading">"Recovery codes"</h2>
            <p data-testid="recovery-left">{codes_left(left)}</p>
            <p class="hint spaced">
                "Each code signs you in once when you cannot use your passkey or authenticator app. \
                 Making new codes stops the old ones working."
            </p>
            {move || {
                error()
                    .map(|message| {
                        view! {
                            <p class="form-error" role="alert" data-testid="recovery-error">
                                {message}
                            </p>
                        }
                    })
            }}
            <div class="actions">
                <BusyButton
                    label="Make new codes"
                    busy_label="Making codes…"
                    busy=pending
                    on_press=Callback::new(move |()| {
                        regenerate.dispatch(());
                    })
                    test_id="recovery-regenerate"
                />
            </div>
        </section>
    }
}

/// New codes, shown once, until the user says they saved them.
#[component]
pub(super) fn CodesPanel(codes: Vec<String>, on_done: Callback<()>) -> impl IntoView {
    // Moving focus to the heading reads the panel out to screen readers.
    let heading = NodeRef::<html::H2>::new();
    Effect::new(move || {
        if let Some(heading) = heading.get() {
            let _ = heading.focus();
        }
    });
    view! {
        <section class="card codes-card" aria-labelledby="codes-heading" data-testid="recovery-codes">
            <h2 id="codes-heading" tabindex="-1" node_ref=heading>
                "Your recovery codes"
            </h2>
            <p>"Save these codes somewhere safe. Each works once. They are shown only now."</p>
            <ol class="codes-list">
                {codes.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}
            </ol>
            <div class="actions">
                <button
                    type="button"
                    class="button button-primary"
                    data-testid="recovery-done"
                    on:click=move |_| on_done.run(())
                >
                    "Done, I saved them"
                </button>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_reads_as_words() {
        assert_eq!(codes_left(0), "No codes left");
        assert_eq!(codes_left(1), "1 code left");
        assert_eq!(codes_left(9), "9 codes left");
    }
}
