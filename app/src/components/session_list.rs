//! The signed-in user's live sessions (one per device or browser), each
//! with a revoke button, and "sign out other sessions". A session bound to
//! its device (DBSC) says so, and says when a renewal without the device's
//! key was refused (copied cookies, most likely).
//!
//! Loaded in the browser after hydration (the server renders "Loading"), and
//! again after every change and every refresh. Revoking the current session signs this
//! browser out, like signing out.

use leptos::{prelude::*, task::spawn_local};

use crate::{
    api::{self, ApiError},
    components::{BusyButton, Fetched},
    format::{date_time, describe_user_agent, iso_utc, sentence},
    session::{SignOutReason, use_session},
    types::SessionView,
};

/// Revoking several sessions: their ids in, success or the first failure out.
type RevokeAction = Action<Vec<String>, Result<(), ApiError>>;

/// Revokes `ids` one by one. One that is already gone (`404`) is fine.
async fn revoke_all(ids: Vec<String>) -> Result<(), ApiError> {
    for id in ids {
        match api::revoke_session(&id).await {
            Ok(()) => {}
            Err(error) if error.status() == Some(404) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// The "Your sessions" card. `reload_on`: a counter the page moves when
/// the list is worth asking again (after a password change).
#[component]
pub fn SessionList(#[prop(optional, into)] reload_on: Option<Signal<u32>>) -> impl IntoView {
    let session = use_session();
    let (listing, set_listing) = signal(Fetched::<Vec<SessionView>>::Loading);
    let (version, set_version) = signal(0_u32);
    let reload = Callback::new(move |()| set_version.update(|version| *version += 1));

    // A renewed access token: after a `401` here the list is worth asking
    // again, and its "last used" times have moved on anyway.
    let renewed = Memo::new(move |_| session.session.with(|s| s.as_ref().map(|s| s.access_expires_at)));

    // Effects run only in the browser; this one again whenever `version`
    // moves or the session is renewed.
    Effect::new(move || {
        version.track();
        renewed.track();
        if let Some(reload_on) = reload_on {
            reload_on.track();
        }
        spawn_local(async move {
            set_listing.set(Fetched::from_answer(api::sessions().await, session));
        });
    });

    let sign_out_others: RevokeAction = Action::new_local(|ids: &Vec<String>| revoke_all(ids.clone()));
    // Taken once: each call makes a new derived signal.
    let others_pending = sign_out_others.pending();
    let others_result = sign_out_others.value();
    let others = move || {
        listing.with(|listing| match listing {
            Fetched::Loaded(rows) => rows.iter().filter(|row| !row.current).map(|row| row.id.clone()).collect(),
            _ => Vec::new(),
        })
    };
    Effect::new(move || {
        if let Some(result) = others_result.get() {
            if result.as_ref().is_err_and(ApiError::is_unauthorized) {
                session.check_now();
            }
            reload.run(());
        }
    });
    let others_error = move || match others_result.get() {
        Some(Err(error)) if !others_pending.get() => Some(sentence(&error.message())),
        _ => None,
    };

    view! {
        <section class="card card-wide" aria-labelledby="sessions-heading">
            <div class="card-head">
                <h2 id="sessions-heading">"Your sessions"</h2>
                <BusyButton
                    label="Sign out other sessions"
                    busy_label="Signing out others…"
                    busy=others_pending
                    disabled=Signal::derive(move || others().is_empty())
                    on_press=Callback::new(move |()| {
                        sign_out_others.dispatch(others());
                    })
                    test_id="sign-out-others"
                />
            </div>
            {move || others_error().map(|message| view! { <p class="form-error" role="alert">{message}</p> })}
            {move || {
                listing.get().show("Loading your sessions…", None, |rows| {
                    view! {
                        <ul class="session-list">
                            {rows.into_iter().map(|row| view! { <SessionRow row reload/> }).collect_view()}
                        </ul>
                    }
                        .into_any()
                })
            }}
        </section>
    }
}

/// One session: its device, when it was used, and a revoke button.
#[component]
fn SessionRow(row: SessionView, reload: Callback<()>) -> impl IntoView {
    let session = use_session();
    let device = describe_user_agent(row.user_agent.as_deref());
    let current = row.current;
    let id = row.id.clone();
    let revoke: RevokeAction = Action::new_local(|ids: &Vec<String>| revoke_all(ids.clone()));
    let pending = revoke.pending();
    let result = revoke.value();

    Effect::new(move || match result.get() {
        Some(Ok(())) if current => session.signed_out(SignOutReason::Revoked),
        Some(Ok(())) => reload.run(()),
        Some(Err(error)) if error.is_unauthorized() => session.check_now(),
        _ => {}
    });
    let error = move || match result.get() {
        Some(Err(error)) if !pending.get() => Some(sentence(&error.message())),
        _ => None,
    };
    let last_used = date_time(row.last_used_at);
    let bound = row.bound.then(|| {
        view! {
            <span
                class="badge badge-bound"
                data-testid="session-bound"
                title="Only this device's browser can renew this session: copied cookies are useless"
            >
                "Bound to device"
            </span>
        }
    });
    let refused = row.binding_refused_at.map(|at| {
        view! {
            <p class="form-error small" data-testid="binding-refused">
                "A renewal without this device's key was refused on "
                <time datetime=iso_utc(at)>{date_time(at)}</time>
                ". If that was not one of your own tabs, revoke this session and change your password."
            </p>
        }
    });
    let current_attr = if current { "true" } else { "false" };
    let aria_label = if current {
        format!("Revoke this session ({device}) and sign out")
    } else {
        format!("Revoke the session on {device}, last used {last_used}")
    };

    view! {
        <li class="session-row" data-testid="session-row" data-current=current_attr>
            <div class="session-info">
                <p class="session-device">
                    {device} {current.then(|| view! { <span class="badge">"This browser"</span> })} {bound}
                </p>
                <p class="muted small">
                    "Last used " <time datetime=iso_utc(row.last_used_at)>{last_used}</time> " · signed in "
                    <time datetime=iso_utc(row.created_at)>{date_time(row.created_at)}</time>
                </p>
                {row.user_agent.map(|agent| view! { <p class="muted small user-agent">{agent}</p> })}
                {refused}
                {move || error().map(|message| view! { <p class="form-error" role="alert">{message}</p> })}
            </div>
            <BusyButton
                label="Revoke"
                busy_label="Revoking…"
                busy=pending
                on_press=Callback::new(move |()| {
                    revoke.dispatch(vec![id.clone()]);
                })
                test_id="revoke-session"
                aria_label=aria_label
                class="button button-danger"
            />
        </li>
    }
}
