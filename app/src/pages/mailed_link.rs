//! The pages a mailed link opens that act at once, in the browser:
//! `/verify` (confirm the address), `/confirm-email` (make an email change)
//! and `/undo-email` (put the old address back and sign out everywhere).
//! Each takes the link's token once, replaces the address, and POSTs it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use super::link_token::take_link_token;
use crate::{
    api,
    format::sentence,
    types::{LinkToken, paths},
};

/// What a link page does and says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LinkKind {
    Verify,
    ConfirmEmail,
    UndoEmail,
}

impl LinkKind {
    fn path(self) -> &'static str {
        match self {
            Self::Verify => paths::VERIFY,
            Self::ConfirmEmail => paths::CONFIRM_EMAIL,
            Self::UndoEmail => paths::UNDO_EMAIL,
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::Verify => "Confirm your email",
            Self::ConfirmEmail => "Confirm your new email",
            Self::UndoEmail => "Undo the email change",
        }
    }

    fn working(self) -> &'static str {
        match self {
            Self::Verify | Self::ConfirmEmail => "Confirming your address…",
            Self::UndoEmail => "Putting your address back…",
        }
    }

    fn done(self) -> &'static str {
        match self {
            Self::Verify => "Your email address is confirmed. Thank you.",
            Self::ConfirmEmail => "Your account now uses this address. The old one was told, and can undo it.",
            Self::UndoEmail => {
                "Your old address is back, and every device was signed out. \
                 Reset your password now: whoever changed the address may know it."
            }
        }
    }

    async fn send(self, body: LinkToken) -> Result<(), api::ApiError> {
        match self {
            Self::Verify => api::verify_email(&body).await,
            Self::ConfirmEmail => api::confirm_email(&body).await,
            Self::UndoEmail => api::undo_email_change(&body).await,
        }
    }
}

#[component]
pub fn Verify() -> impl IntoView {
    view! { <MailedLink kind=LinkKind::Verify/> }
}

#[component]
pub fn ConfirmEmail() -> impl IntoView {
    view! { <MailedLink kind=LinkKind::ConfirmEmail/> }
}

#[component]
pub fn UndoEmail() -> impl IntoView {
    view! { <MailedLink kind=LinkKind::UndoEmail/> }
}

#[component]
fn MailedLink(kind: LinkKind) -> impl IntoView {
    let token = take_link_token(kind.path());
    let act = Action::new_local(move |body: &LinkToken| kind.send(body.clone()));
    let value = act.value();
    if let Some(token) = token.clone() {
        // Once, in the browser.
        Effect::new(move || {
            act.dispatch(LinkToken { token: token.clone() });
        });
    }

    let outcome = move || match (token.is_some(), value.get()) {
        (false, _) => view! {
            <p class="form-error" role="alert" data-testid="link-result">
                "This page needs the link from your mail. Open it from there."
            </p>
        }
        .into_any(),
        (true, None) => view! { <p class="muted" role="status">{kind.working()}</p> }.into_any(),
        (true, Some(Ok(()))) => view! {
            <p class="notice" role="status" data-testid="link-result">{kind.done()}</p>
        }
        .into_any(),
        (true, Some(Err(refusal))) => view! {
            <p class="form-error" role="alert" data-testid="link-result">{sentence(&refusal.message())}</p>
        }
        .into_any(),
    };
    let next = move || match (kind, value.get()) {
        (LinkKind::UndoEmail, Some(Ok(()))) => view! { <A href=paths::FORGOT>"Reset your password"</A> }.into_any(),
        _ => view! { <A href=paths::HOME>"Go to your dashboard"</A> }.into_any(),
    };

    view! {
        <Title text=format!("{} · Cookie Auth", kind.title())/>
        <section class="card card-narrow" aria-labelledby="link-heading">
            <h1 id="link-heading">{kind.title()}</h1>
            {outcome}
            <p class="card-footer">{next}</p>
        </section>
    }
}
