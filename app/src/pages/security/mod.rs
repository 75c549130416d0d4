//! `/security`: two-step verification. Passkeys, the authenticator app
//! (TOTP) on or off, the recovery codes left and new ones.
//!
//! - `passkeys`: the user's passkeys, adding one, renaming and removing
//!   each. First: they are the factor we recommend.
//! - `totp`: the authenticator app: its status, setting it up (QR code,
//!   secret, a first code) and turning it off.
//! - `recovery`: how many recovery codes are left, making new ones, and the
//!   panel that shows new codes once.
//!
//! Every change goes through [`with_step_up`](crate::components::with_step_up).
//! An account that must have a second factor and has none yet
//! (`mfa_enrolment_required`) is sent here by the guard of every other
//! signed-in page, with `?next=` where it was going; a notice says why.
//! The factors are loaded in the browser after hydration.

mod passkeys;
mod recovery;
mod totp;
mod turn_off;

use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

use self::{
    passkeys::PasskeysSection,
    recovery::{CodesPanel, RecoverySection},
    totp::TotpSection,
};
use crate::{
    api,
    components::{Fetched, RequireSession},
    session::use_session,
    types::{mfa::Factors, paths::local_path},
};

/// The security page (signed in only).
#[component]
pub fn Security() -> impl IntoView {
    view! {
        <Title text="Security · Cookie Auth"/>
        <RequireSession enrolment=true>
            <Panels/>
        </RequireSession>
    }
}

/// The notice, then either the codes made just now or the sections.
#[component]
fn Panels() -> impl IntoView {
    let session = use_session();
    let (factors, set_factors) = signal(Fetched::<Factors>::Loading);
    let (version, set_version) = signal(0_u32);
    let reload = Callback::new(move |()| set_version.update(|version| *version += 1));
    // Effects run only in the browser; this one again after every change.
    Effect::new(move || {
        version.track();
        spawn_local(async move {
            let answer = api::factors().await;
            // The page may have gone meanwhile.
            let _ = set_factors.try_set(Fetched::from_answer(answer, session));
        });
    });

    // Codes made just now: shown once, until the user says they saved them.
    let fresh_codes = RwSignal::new(None::<Vec<String>>);
    let show_codes = Callback::new(move |codes: Vec<String>| fresh_codes.set(Some(codes)));
    let must_enrol = move || session.session.with(|s| s.as_ref().is_some_and(|s| s.mfa_enrolment_required));

    // Sent here on the way somewhere (`?next=`): once a factor is set up and
    // its codes are saved, go on there.
    let saved = RwSignal::new(false);
    let on_saved = Callback::new(move |()| {
        fresh_codes.set(None);
        saved.set(true);
    });
    let query = use_query_map();
    let navigate = use_navigate();
    Effect::new(move || {
        if saved.get()
            && !must_enrol()
            && let Some(next) = query.with_untracked(|query| query.get("next"))
        {
            navigate(&local_path(Some(&next)), Default::default());
        }
    });

    view! {
        <div class="security">
            <div class="page-head">
                <h1 id="security-heading">"Security"</h1>
                <p class="muted">
                    "With two-step verification, signing in asks for a passkey or a code from your phone after your password."
                </p>
            </div>
            {move || {
                must_enrol()
                    .then(|| {
                        view! {
                            <p class="notice" role="status" data-testid="mfa-required-notice">
                                "Your account needs two-step verification. Set it up to continue."
                            </p>
                        }
                    })
            }}
            {move || match fresh_codes.get() {
                Some(codes) => view! { <CodesPanel codes on_done=on_saved/> }.into_any(),
                None => {
                    factors
                        .get()
                        .show(
                            "Loading your security settings…",
                            Some("factors-error"),
                            move |factors| view! { <Sections factors reload show_codes/> }.into_any(),
                        )
                }
            }}
        </div>
    }
}

/// One card per kind of factor.
#[component]
fn Sections(factors: Factors, reload: Callback<()>, show_codes: Callback<Vec<String>>) -> impl IntoView {
    let Factors { totp_enabled_at, recovery_codes_left, passkeys, mfa_required_by_policy, passkeys_available, .. } =
        factors;
    let has_factor = totp_enabled_at.is_some() || !passkeys.is_empty();
    // The policy wants a second factor: the last one may not go.
    let must_keep_totp = mfa_required_by_policy && passkeys.is_empty();
    let must_keep_passkey = mfa_required_by_policy && totp_enabled_at.is_none() && passkeys.len() == 1;
    view! {
        <PasskeysSection passkeys available=passkeys_available must_keep=must_keep_passkey reload show_codes/>
        <TotpSection enabled_at=totp_enabled_at must_keep=must_keep_totp reload show_codes/>
        {(has_factor || recovery_codes_left > 0)
            .then(|| view! { <RecoverySection left=recovery_codes_left reload show_codes/> })}
    }
}
