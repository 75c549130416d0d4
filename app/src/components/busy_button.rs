//! A button that starts a request and shows its progress.
//!
//! Disabled until the page is hydrated (before that, a click would do
//! nothing) and while its request runs (so it cannot be sent twice);
//! `aria-busy` and a changed label tell screen readers why.

use leptos::prelude::*;

/// A `type="button"` that runs `on_press` and shows `busy` as progress.
#[component]
pub fn BusyButton(
    /// The label at rest.
    label: &'static str,
    /// The label while `busy`, such as "Signing out…".
    busy_label: &'static str,
    /// Whether the request this button started is running.
    #[prop(into)]
    busy: Signal<bool>,
    /// Called on click.
    on_press: Callback<()>,
    /// The `data-testid`.
    test_id: &'static str,
    /// Another reason to be disabled (nothing to act on).
    #[prop(optional, into)]
    disabled: Option<Signal<bool>>,
    /// Names the button when its label alone is ambiguous (one per row).
    #[prop(optional, into)]
    aria_label: Option<String>,
    /// CSS classes; a plain outlined button by default.
    #[prop(default = "button")]
    class: &'static str,
) -> impl IntoView {
    // Effects run only in the browser, once hydrated.
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move || set_hydrated.set(true));

    let inactive = move || !hydrated.get() || busy.get() || disabled.is_some_and(|disabled| disabled.get());

    view! {
        <button
            type="button"
            class=class
            data-testid=test_id
            aria-label=aria_label
            disabled=inactive
            aria-busy=move || if busy.get() { "true" } else { "false" }
            on:click=move |_| {
                if !inactive() {
                    on_press.run(());
                }
            }
        >
            {move || if busy.get() { busy_label } else { label }}
        </button>
    }
}
