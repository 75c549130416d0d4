//! Getting the server's [`Bootstrap`] to the browser without a second request.
//!
//! The server writes it into the document head as a JSON data island,
//! `<script type="application/json" id="cookie-auth-bootstrap">`, and the
//! WASM reads it before hydrating, so both render the same page. Browsers
//! never execute that script type, so a strict Content-Security-Policy (no
//! `'unsafe-inline'`, no nonce) leaves it alone. Leptos' `SharedValue` would
//! do the same job, but it travels in the executable inline `<script>` chunks
//! of the streamed response, which such a policy blocks unless every page
//! carries a nonce.

use leptos::prelude::*;

use super::Bootstrap;

/// The data island's element id.
const ELEMENT_ID: &str = "cookie-auth-bootstrap";

/// The data island, for the document head of [`shell`](crate::shell). The
/// server renders it from the request's context; the browser only reads it.
#[component]
pub fn BootstrapData() -> impl IntoView {
    let json = island_json(&use_context::<Bootstrap>().unwrap_or_default());
    // `<script>` children are raw text (Leptos does not entity-escape them),
    // which is why `island_json` escapes what could end the element.
    view! { <script type="application/json" id=ELEMENT_ID>{json}</script> }
}

/// The JSON text for the island. `<`, `>` and `&` only ever occur inside
/// JSON strings, where their `\u` escapes mean the same, so an email such as
/// `a</script>@x` cannot close the element early.
fn island_json(bootstrap: &Bootstrap) -> String {
    let json = serde_json::to_string(bootstrap).unwrap_or_default();
    json.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

/// The bootstrap for this render: from the request context on the server,
/// from the data island in the browser. Signed out when absent.
#[cfg(not(feature = "hydrate"))]
pub(super) fn load() -> Bootstrap {
    use_context::<Bootstrap>().unwrap_or_default()
}

#[cfg(feature = "hydrate")]
pub(super) fn load() -> Bootstrap {
    read_island().unwrap_or_default()
}

#[cfg(feature = "hydrate")]
fn read_island() -> Option<Bootstrap> {
    let element = web_sys::window()?.document()?.get_element_by_id(ELEMENT_ID)?;
    let json = element.text_content()?;
    // Read once: later navigations are client-side and the island would only
    // go stale (it would still name a user who has since signed out).
    element.remove();
    serde_json::from_str(&json).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{SessionInfo, UserView};

    #[test]
    fn the_island_cannot_be_closed_by_its_content() {
        let session = SessionInfo {
            user: UserView {
                id: "u1".into(),
                email: "a</script><b>&@x.io".into(),
                roles: vec!["user".into()],
                email_verified: true,
            },
            session_id: "s1".into(),
            access_expires_at: 1_900,
            refresh_expires_at: 9_000,
            expires_in: 900,
            server_time: 1_000,
            auth_time: 1_000,
            amr: vec!["pwd".into()],
            mfa_enrolment_required: false,
            bound: false,
        };
        let bootstrap = Bootstrap { session: Some(session), refresh_lead_secs: 120, require_verified_email: true };

        let json = island_json(&bootstrap);

        assert!(!json.contains('<') && !json.contains('>') && !json.contains('&'));
        assert_eq!(serde_json::from_str::<Bootstrap>(&json).unwrap(), bootstrap);
    }
}
