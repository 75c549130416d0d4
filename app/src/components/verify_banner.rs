//! Until the user confirms their address: a banner on the dashboard with a
//! button to mail the link again, or, with `AUTH_REQUIRE_VERIFIED_EMAIL`,
//! a "check your inbox" card in place of the dashboard (the API refuses
//! everything else until then).

use leptos::prelude::*;

use super::BusyButton;
use crate::{api, format::sentence, session::use_session};

/// The banner (`blocking`: the card that replaces the dashboard).
#[component]
pub fn VerifyBanner(
    /// The address the link went to.
    email: String,
    /// Whether the API refuses the user until they confirm.
    blocking: bool,
    /// More actions beside "Send the link again" (the card's sign-out).
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let session = use_session();
    let resend = Action::new_local(|(): &()| api::resend_verification());
    let pending = resend.pending();
    let value = resend.value();
    let outcome = move || match value.get() {
        Some(Ok(())) => Some(
            view! {
                <p class="notice" role="status" data-testid="verify-resent">"A new link is on its way."</p>
            }
            .into_any(),
        ),
        Some(Err(refusal)) => {
            if refusal.is_unauthorized() {
                session.check_now();
            }
            Some(view! { <p class="form-error" role="alert">{sentence(&refusal.message())}</p> }.into_any())
        }
        None => None,
    };
    let heading = if blocking { "Check your inbox" } else { "Confirm your email address" };
    let text = if blocking {
        format!("We mailed a link to {email}. Open it to start using your account.")
    } else {
        format!("We mailed a link to {email}. Open it to confirm that the address is yours.")
    };

    view! {
        <section
            class=if blocking { "card verify-card" } else { "card verify-banner" }
            role="region"
            aria-labelledby="verify-heading"
            data-testid="verify-banner"
        >
            <h2 id="verify-heading">{heading}</h2>
            <p>{text}</p>
            {outcome}
            <div class="button-row">
                <BusyButton
                    label="Send the link again"
                    busy_label="Sending…"
                    busy=pending
                    on_press=Callback::new(move |()| {
                        resend.dispatch(());
                    })
                    test_id="verify-resend"
                />
                {children.map(|children| children())}
            </div>
        </section>
    }
}
