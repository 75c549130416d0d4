//! One input for a one-time code: six digits from an authenticator app, or
//! a recovery code. Used by the second step of a sign-in, the step-up
//! dialog and turning TOTP on.
//!
//! Like the other forms, the input is uncontrolled: the page reads it on
//! submit through its `NodeRef` ([`read_code`]). The server judges the code;
//! its refusal shows below the input and marks it invalid.

use leptos::{html, prelude::*};

/// Which code the field asks for: sets the keyboard and autofill hints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeKind {
    /// Six digits from an authenticator app (RFC 6238).
    Totp,
    /// One of the single-use recovery codes.
    Recovery,
}

impl CodeKind {
    /// A numeric keypad on phones, and the code from an SMS or app offered
    /// by the browser, for TOTP; plain text for recovery codes.
    fn input_mode(self) -> &'static str {
        match self {
            Self::Totp => "numeric",
            Self::Recovery => "text",
        }
    }

    fn autocomplete(self) -> &'static str {
        match self {
            Self::Totp => "one-time-code",
            Self::Recovery => "off",
        }
    }

    /// A hint for the browser's own UI; the server is the judge.
    fn max_length(self) -> Option<&'static str> {
        match self {
            Self::Totp => Some("6"),
            Self::Recovery => None,
        }
    }
}

/// What the user typed, without the spaces they may have put in (codes are
/// often shown in groups, `123 456`).
pub fn read_code(input: NodeRef<html::Input>) -> Option<String> {
    input.get_untracked().map(|input| without_spaces(&input.value()))
}

fn without_spaces(text: &str) -> String {
    text.split_whitespace().collect()
}

/// A labelled code input with its error. The error element's id is
/// `{id}-error`, and its `data-testid` is `error_test_id`.
#[component]
pub fn CodeField(
    kind: CodeKind,
    /// The input's element id (unique on the page).
    id: &'static str,
    label: &'static str,
    /// The input's `data-testid`.
    test_id: &'static str,
    /// Read on submit with [`read_code`].
    input: NodeRef<html::Input>,
    /// The refusal to show below the input, if any.
    #[prop(into)]
    error: Signal<Option<String>>,
    error_test_id: &'static str,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let described_by = {
        let error_id = error_id.clone();
        move || error.with(Option::is_some).then(|| error_id.clone())
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                class="code-input"
                name="code"
                type="text"
                inputmode=kind.input_mode()
                autocomplete=kind.autocomplete()
                autocapitalize="none"
                spellcheck="false"
                maxlength=kind.max_length()
                required
                aria-invalid=move || if error.with(Option::is_some) { "true" } else { "false" }
                aria-describedby=described_by
                data-testid=test_id
                node_ref=input
            />
            // Inserting an element with role="alert" is announced at once.
            {move || {
                error
                    .get()
                    .map(|message| {
                        view! {
                            <p id=error_id.clone() class="form-error" role="alert" data-testid=error_test_id>
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
    fn spaces_typed_into_a_code_are_dropped() {
        assert_eq!(without_spaces(" 123 456 "), "123456");
        assert_eq!(without_spaces("abcde-fghij"), "abcde-fghij");
        assert_eq!(without_spaces(""), "");
    }
}
