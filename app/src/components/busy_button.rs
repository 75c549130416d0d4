//! A button that starts a request and shows its progress.
//!
//! Disabled until the page is hydrated (before that, a click would do
//! nothing) and while its request runs (so it cannot be sent twice);
//! `aria-busy` and a changed label tell screen readers why.
//!
//! A plain button runs `on_press` on click. A form's button is `submit`:
//! the form's `on:submit` starts the request, so Enter in a field does too,
//! and while the button is disabled Enter submits nothing.

use leptos::prelude::*;

/// A button that runs `on_press` (or submits its form) and shows `busy` as
/// progress.
#[component]
pub fn BusyButton(
    /// The label at rest.
    label: &'static str,
    /// The label while `busy`, such as "Signing out…".
    busy_label: &'static str,
    /// Whether the request this button started is running.
    #[prop(into)]
    busy: Signal<bool>,
    /// Called on click; left out for a `submit` button.
    #[prop(optional)]
    on_press: Option<Callback<()>>,
    /// `type="submit"`: the button of a form, whose `on:submit` does the work.
    #[prop(optional)]
    submit: bool,
    /// The `data-testid`.
    #[prop(into)]
    test_id: String,
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
    let kind = if submit { "submit" } else { "button" };

    view! {
        <button
            type=kind
            class=class
            data-testid=test_id
            aria-label=aria_label
            disabled=inactive
            aria-busy=move || if busy.get() { "true" } else { "false" }
            on:click=move |_| {
                if let Some(on_press) = on_press
                    && !inactive()
                {
                    on_press.run(());
                }
            }
        >
            {move || if busy.get() { busy_label } else { label }}
        </button>
    }
}
