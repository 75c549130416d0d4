//! The passkeys card of the security page: the user's passkeys (name, when
//! added, when last used), adding one, renaming and removing each.
//!
//! - `add`: the name field and "Add a passkey": the options (after a fresh
//!   proof if need be), the browser's ceremony, then registration. A first
//!   second factor's recovery codes are then shown once.
//! - `row`: one passkey, and renaming it in place.
//! - `remove`: removing one, asked twice.
//!
//! Passkeys need a server whose public address has a domain name
//! (`passkeys_available`); without one the card says so and offers no
//! buttons. Whether this browser can make passkeys is known only once
//! hydrated.

mod add;
mod remove;
mod row;

use leptos::prelude::*;

use self::{add::AddPasskey, row::PasskeyRow};
use crate::types::mfa::PasskeyView;

/// The card. `must_keep`: the policy needs a second factor and the only
/// passkey is the only one, so it cannot be removed.
#[component]
pub(super) fn PasskeysSection(
    passkeys: Vec<PasskeyView>,
    /// The server can register and check passkeys.
    available: bool,
    must_keep: bool,
    reload: Callback<()>,
    show_codes: Callback<Vec<String>>,
) -> impl IntoView {
    let list = if passkeys.is_empty() {
        view! { <p data-testid="passkeys-none">"No passkeys yet."</p> }.into_any()
    } else {
        view! {
            <ul class="passkey-list">
                {passkeys
                    .into_iter()
                    .map(|passkey| view! { <PasskeyRow passkey manage=available must_keep reload/> })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    let add = if available {
        view! { <AddPasskey reload show_codes/> }.into_any()
    } else {
        view! {
            <p class="notice" data-testid="passkeys-unavailable">
                "Passkeys are off on this server: they need a site address with a domain name, and this one has none."
            </p>
        }
        .into_any()
    };

    view! {
        <section class="card" aria-labelledby="passkeys-heading" data-testid="passkeys-card">
            <h2 id="passkeys-heading">"Passkeys" <span class="badge">"Recommended"</span></h2>
            <p class="hint spaced">
                "A passkey signs you in with your fingerprint, face or screen lock instead of a code. \
                 It stays on your device or in your password manager, and no fake site can use it."
            </p>
            {list}
            {add}
        </section>
    }
}
