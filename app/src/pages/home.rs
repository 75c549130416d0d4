//! `/`: who is signed in, with a way to sign out; otherwise links to sign in
//! or register.
//!
//! The server renders "Checking your session…": it does not read cookies
//! while rendering pages, so the first paint is the same for everyone and
//! cacheable. After hydration the browser asks `GET /api/auth/session` and
//! shows the answer.

use leptos::{prelude::*, task::spawn_local};
use leptos_router::components::A;

use crate::{
    api::{self, ApiError},
    types::SessionInfo,
};

/// What the page knows about the session.
#[derive(Clone, Debug, PartialEq, Eq)]
enum SessionStatus {
    /// Not asked yet (server render, before hydration) or waiting for the answer.
    Checking,
    SignedIn(SessionInfo),
    SignedOut,
    /// The question failed (network, server error); the message says why.
    Unknown(String),
}

/// Signing out: no input, nothing back but success or failure.
type SignOutAction = Action<(), Result<(), ApiError>>;

/// The home page.
#[component]
pub fn Home() -> impl IntoView {
    let (status, set_status) = signal(SessionStatus::Checking);

    // Effects run only in the browser, so the server never calls its own API.
    Effect::new(move || {
        spawn_local(async move {
            let next = match api::session().await {
                Ok(Some(session)) => SessionStatus::SignedIn(session),
                Ok(None) => SessionStatus::SignedOut,
                Err(error) => SessionStatus::Unknown(error.message()),
            };
            // `set` is a no-op if the page was left before the answer came.
            set_status.set(next);
        });
    });

    let sign_out: SignOutAction = Action::new_local(|_: &()| api::logout());
    Effect::new(move || {
        if sign_out.value().with(|result| matches!(result, Some(Ok(())))) {
            set_status.set(SessionStatus::SignedOut);
        }
    });

    view! {
        <section class="card" aria-labelledby="home-heading">
            <h1 id="home-heading">"Your session"</h1>
            {move || match status.get() {
                SessionStatus::Checking => {
                    view! {
                        <p class="muted" role="status">
                            "Checking your session…"
                        </p>
                    }
                        .into_any()
                }
                SessionStatus::SignedIn(session) => {
                    view! { <SignedIn session sign_out/> }.into_any()
                }
                SessionStatus::SignedOut => view! { <SignedOut/> }.into_any(),
                SessionStatus::Unknown(message) => {
                    view! {
                        <div>
                            <p class="form-error" role="alert">
                                {message}
                            </p>
                            <SignedOut/>
                        </div>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

/// The signed-in user, their roles and the sign-out button.
#[component]
fn SignedIn(session: SessionInfo, sign_out: SignOutAction) -> impl IntoView {
    let pending = sign_out.pending();
    let roles = if session.user.roles.is_empty() { "none".to_owned() } else { session.user.roles.join(", ") };
    let error = move || {
        if pending.get() {
            return None;
        }
        sign_out.value().with(|result| match result {
            Some(Err(error)) => Some(error.message()),
            _ => None,
        })
    };

    view! {
        <p>
            "Signed in as " <strong data-testid="signed-in-email">{session.user.email}</strong>
        </p>
        <p>
            "Roles: " <span data-testid="signed-in-roles">{roles}</span>
        </p>
        {move || {
            error()
                .map(|message| {
                    view! {
                        <p class="form-error" role="alert" data-testid="form-error">
                            {message}
                        </p>
                    }
                })
        }}
        <button
            type="button"
            class="button"
            data-testid="sign-out"
            disabled=move || pending.get()
            aria-busy=move || if pending.get() { "true" } else { "false" }
            on:click=move |_| {
                sign_out.dispatch(());
            }
        >
            {move || if pending.get() { "Signing out…" } else { "Sign out" }}
        </button>
    }
}

/// Where to go when nobody is signed in.
#[component]
fn SignedOut() -> impl IntoView {
    view! {
        <p>"You are not signed in."</p>
        <nav class="actions" aria-label="Account">
            <A href="/login">"Sign in"</A>
            <A href="/register">"Create an account"</A>
        </nav>
    }
}
