//! A destructive action asked twice: a danger button opens a question with
//! "Yes, …" (busy while the action runs) and a way back. Turning off a
//! factor, removing a passkey and an admin's reset all use it, so they
//! read and behave alike.

use leptos::prelude::*;

use super::BusyButton;

/// The words and test ids of one [`ConfirmTwice`].
#[derive(Clone, Copy, Debug)]
pub struct ConfirmWords {
    /// The first button, and its `data-testid`.
    pub ask: &'static str,
    pub ask_test_id: &'static str,
    /// The "Yes, …" button, its label while busy, and its `data-testid`.
    pub confirm: &'static str,
    pub busy: &'static str,
    pub confirm_test_id: &'static str,
    /// The way back, and its `data-testid`.
    pub cancel: &'static str,
    pub cancel_test_id: &'static str,
}

/// The first button, or (once pressed, while `asking`) the question with
/// its two answers. `label` names the group and the first button for
/// screen readers when the visible words alone are ambiguous (one per row).
#[component]
pub fn ConfirmTwice(
    words: ConfirmWords,
    asking: RwSignal<bool>,
    /// The question, a sentence.
    #[prop(into)]
    question: Signal<String>,
    #[prop(into)] label: Signal<String>,
    /// Whether the confirmed action is running.
    #[prop(into)]
    busy: Signal<bool>,
    on_confirm: Callback<()>,
) -> impl IntoView {
    move || {
        if asking.get() {
            view! {
                <div class="confirm-box" role="group" aria-label=label>
                    <p>{question}</p>
                    <div class="button-row">
                        <BusyButton
                            label=words.confirm
                            busy_label=words.busy
                            busy
                            on_press=on_confirm
                            test_id=words.confirm_test_id
                            class="button button-danger"
                        />
                        <button
                            type="button"
                            class="button"
                            data-testid=words.cancel_test_id
                            on:click=move |_| asking.set(false)
                        >
                            {words.cancel}
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
                    data-testid=words.ask_test_id
                    aria-label=label
                    on:click=move |_| asking.set(true)
                >
                    {words.ask}
                </button>
            }
            .into_any()
        }
    }
}
