//! `/`: the signed-in user's dashboard: who they are, their roles, a link
//! to the security page, the access token's countdown, changing the
//! password and the email address, their sessions, and signing out.
//!
//! The server renders it signed in straight away (the session comes from
//! [`Bootstrap`](crate::session::Bootstrap)); signed-out visitors are sent
//! to sign in, and an account that must first set up a second factor to
//! the security page (both by [`RequireSession`]).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::{
    api::{self, ApiError},
    components::{BusyButton, EmailForm, PasswordForm, RequireSession, SessionList, TokenStatus, VerifyBanner},
    format::sentence,
    session::{SignOutReason, use_session},
    types::paths,
};

/// The dashboard page.
#[component]
pub fn Dashboard() -> impl IntoView {
    view! {
        <Title text="Dashboard · Cookie Auth"/>
        <RequireSession>
            <Gate/>
        </RequireSession>
    }
}

/// With `AUTH_REQUIRE_VERIFIED_EMAIL` an unverified user sees only "check
/// your inbox" (and can sign out); otherwise the dashboard.
#[component]
fn Gate() -> impl IntoView {
    let session = use_session();
    let blocked = move || {
        session.require_verified_email && session.session.with(|s| s.as_ref().is_some_and(|s| !s.user.email_verified))
    };
    let email = move || session.session.with(|s| s.as_ref().map(|s| s.user.email.clone()).unwrap_or_default());
    view! {
        <Show when=blocked fallback=|| view! { <Overview/> }>
            <div class="dashboard">
                <VerifyBanner email=email() blocking=true>
                    <SignOut/>
                </VerifyBanner>
            </div>
        </Show>
    }
}

#[component]
fn Overview() -> impl IntoView {
    let session = use_session();
    let email = move || session.session.with(|s| s.as_ref().map(|s| s.user.email.clone()).unwrap_or_default());
    let roles = move || {
        session.session.with(|s| match s.as_ref().map(|s| s.user.roles.as_slice()) {
            Some([]) | None => "none".to_owned(),
            Some(roles) => roles.join(", "),
        })
    };
    // Moved by a password change, which signs out the other sessions.
    let (password_changes, set_password_changes) = signal(0_u32);
    let password_changed = Callback::new(move |()| set_password_changes.update(|count| *count += 1));

    let unverified = move || session.session.with(|s| s.as_ref().is_some_and(|s| !s.user.email_verified));

    view! {
        <div class="dashboard">
            {move || unverified().then(|| view! { <VerifyBanner email=email() blocking=false/> })}
            <section class="card" aria-labelledby="account-heading">
                <h1 id="account-heading">"Your account"</h1>
                <dl class="facts">
                    <div>
                        <dt>"Signed in as"</dt>
                        <dd class="email" data-testid="signed-in-email">{email}</dd>
                    </div>
                    <div>
                        <dt>"Roles"</dt>
                        <dd data-testid="roles">{roles}</dd>
                    </div>
                </dl>
                <p>
                    <A href=paths::SECURITY attr:data-testid="security-link">
                        "Security: two-step verification"
                    </A>
                </p>
                <SignOut/>
            </section>
            <TokenStatus/>
            <SessionList reload_on=password_changes/>
            <PasswordForm on_changed=password_changed/>
            <EmailForm/>
        </div>
    }
}

/// Signing out: no input, nothing back but success or failure.
type SignOutAction = Action<(), Result<(), ApiError>>;

/// The sign-out button. The server revokes the session and clears the
/// cookies; every tab then lands on the sign-in page.
#[component]
fn SignOut() -> impl IntoView {
    let session = use_session();
    let sign_out: SignOutAction = Action::new_local(|_: &()| api::logout());
    let (pending, result) = (sign_out.pending(), sign_out.value());
    Effect::new(move || {
        if result.with(|result| matches!(result, Some(Ok(())))) {
            session.signed_out(SignOutReason::SignedOut);
        }
    });
    let error = move || match result.get() {
        Some(Err(error)) if !pending.get() => Some(sentence(&error.message())),
        _ => None,
    };

    view! {
        {move || error().map(|message| view! { <p class="form-error" role="alert" data-testid="form-error">{message}</p> })}
        <div class="actions">
            <BusyButton
                label="Sign out"
                busy_label="Signing out…"
                busy=pending
                on_press=Callback::new(move |()| {
                    sign_out.dispatch(());
                })
                test_id="sign-out"
                class="button button-primary"
            />
        </div>
    }
}
