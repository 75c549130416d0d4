//! The authenticator app (TOTP) card of the security page: its status, and
//! turning it on or off.
//!
//! Turning it on takes two calls: `setup` makes a secret (shown as the
//! server's QR code and as text to type in), and `confirm` turns it on with
//! a first code the app made from it, which proves the app holds the secret.
//! For a first second factor the answer carries the recovery codes, which
//! the page then shows once.

use leptos::{ev::SubmitEvent, html, prelude::*};

use super::turn_off::TurnOff;

use crate::{
    api::{self, ApiError},
    components::{BusyButton, CodeField, CodeKind, read_code, use_step_up, with_step_up},
    format::{date_time, iso_utc, sentence, too_many_attempts},
    session::use_session,
    types::{
        ErrorCode, InputField,
        mfa::{OneTimeCode, TotpEnabled, TotpSetup},
    },
};

/// The card. `must_keep`: the policy needs a second factor and this is the
/// only one, so it cannot be turned off.
#[component]
pub(super) fn TotpSection(
    /// When TOTP was turned on; `None` while off.
    enabled_at: Option<i64>,
    must_keep: bool,
    reload: Callback<()>,
    show_codes: Callback<Vec<String>>,
) -> impl IntoView {
    let status = match enabled_at {
        Some(at) => view! { "On since " <time datetime=iso_utc(at)>{date_time(at)}</time> }.into_any(),
        None => "Off".into_any(),
    };
    view! {
        <section class="card" aria-labelledby="totp-heading" data-testid="totp-section">
            <h2 id="totp-heading">"Authenticator app"</h2>
            <dl class="facts">
                <div>
                    <dt>"Status"</dt>
                    <dd data-testid="totp-status">{status}</dd>
                </div>
            </dl>
            {match enabled_at {
                Some(_) => view! { <TurnOff must_keep reload/> }.into_any(),
                None => view! { <TurnOn reload show_codes/> }.into_any(),
            }}
        </section>
    }
}

/// "Set up authenticator app", then the QR code and the first code.
#[component]
fn TurnOn(reload: Callback<()>, show_codes: Callback<Vec<String>>) -> impl IntoView {
    let session = use_session();
    let step_up = use_step_up();
    let setup = RwSignal::new(None::<TotpSetup>);
    let begin = Action::new_local(move |(): &()| with_step_up(step_up, api::setup_totp));
    // Taken once: each call makes a new derived signal.
    let pending = begin.pending();
    let value = begin.value();
    let error = RwSignal::new(None::<String>);
    Effect::new(move || match value.get() {
        Some(Ok(new_setup)) => {
            error.set(None);
            setup.set(Some(new_setup));
        }
        Some(Err(refusal)) => error.set(Some(session.refusal_text(&refusal))),
        None => {}
    });
    let cancel = Callback::new(move |()| setup.set(None));

    move || match setup.get() {
        Some(setup) => view! { <Confirm setup reload show_codes cancel/> }.into_any(),
        None => view! {
            <p class="hint">"Use an app such as Google Authenticator, Microsoft Authenticator or 1Password."</p>
            {move || {
                error
                    .get()
                    .map(|message| {
                        view! {
                            <p class="form-error" role="alert" data-testid="totp-error">
                                {message}
                            </p>
                        }
                    })
            }}
            <div class="actions">
                <BusyButton
                    label="Set up authenticator app"
                    busy_label="Starting…"
                    busy=pending
                    on_press=Callback::new(move |()| {
                        begin.dispatch(());
                    })
                    test_id="totp-setup"
                    class="button button-primary"
                />
            </div>
        }
        .into_any(),
    }
}

/// Which part of the confirm form a refusal is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Code,
    Form,
}

fn describe(refusal: &ApiError) -> (Field, String) {
    match refusal.code() {
        Some(ErrorCode::CodeInvalid) => {
            (Field::Code, "That code is not right. Enter the code your app shows now.".to_owned())
        }
        Some(ErrorCode::RateLimited) => (Field::Form, too_many_attempts(refusal.retry_after_secs())),
        _ if refusal.field() == Some(InputField::Code) => (Field::Code, sentence(&refusal.message())),
        _ => (Field::Form, sentence(&refusal.message())),
    }
}

/// The secret in groups of four, easier to type into an app by hand.
fn grouped(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    chars.chunks(4).map(|group| group.iter().collect::<String>()).collect::<Vec<_>>().join(" ")
}

/// The new secret (QR code and text) and its first code.
#[component]
fn Confirm(
    setup: TotpSetup,
    reload: Callback<()>,
    show_codes: Callback<Vec<String>>,
    cancel: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let step_up = use_step_up();
    let TotpSetup { secret, qr_svg, .. } = setup;
    let input = NodeRef::<html::Input>::new();
    let confirm = Action::new_local(move |code: &String| {
        let body = OneTimeCode { code: code.clone() };
        async move { with_step_up(step_up, || api::confirm_totp(&body)).await }
    });
    let pending = confirm.pending();
    let value = confirm.value();
    let error = RwSignal::new(None::<(Field, String)>);
    Effect::new(move || match value.get() {
        Some(Ok(TotpEnabled { recovery_codes, session: info })) => {
            // Confirming is a fresh proof: the re-issued session no longer
            // needs enrolment, and the scheduler follows its new token.
            session.signed_in(info);
            if !recovery_codes.codes.is_empty() {
                show_codes.run(recovery_codes.codes);
            }
            reload.run(());
        }
        Some(Err(refusal)) => {
            if refusal.is_unauthorized() && refusal.code() != Some(ErrorCode::CodeInvalid) {
                session.check_now();
            }
            error.set(Some(describe(&refusal)));
        }
        None => {}
    });
    let code_error =
        Signal::derive(move || error.get().filter(|(at, _)| *at == Field::Code).map(|(_, message)| message));
    let form_error = move || error.get().filter(|(at, _)| *at == Field::Form).map(|(_, message)| message);

    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let code = read_code(input).unwrap_or_default();
        if code.is_empty() {
            error.set(Some((Field::Code, "Enter the code your app shows.".to_owned())));
            return;
        }
        error.set(None);
        confirm.dispatch(code);
    };

    view! {
        <div class="totp-setup" data-testid="totp-setup-panel">
            <p>"1. In your authenticator app, add an account and scan this QR code."</p>
            // The server draws the QR code as SVG; the CSP allows no script in it.
            <div
                class="qr"
                role="img"
                aria-label="QR code for your authenticator app"
                data-testid="totp-qr"
                inner_html=qr_svg
            ></div>
            <p class="small">
                "Cannot scan it? Enter this key instead: "
                <code class="secret" data-testid="totp-secret">
                    {grouped(&secret)}
                </code>
            </p>
            <p>"2. Enter the 6-digit code the app shows, to check that it works."</p>
            <form class="auth-form" method="post" novalidate data-testid="totp-confirm-form" on:submit=on_submit>
                <CodeField
                    kind=CodeKind::Totp
                    id="totp-confirm-code"
                    label="Code from the app"
                    test_id="totp-confirm-code"
                    input
                    error=code_error
                    error_test_id="totp-confirm-error"
                />
                {move || {
                    form_error()
                        .map(|message| {
                            view! {
                                <p class="form-error" role="alert" data-testid="totp-error">
                                    {message}
                                </p>
                            }
                        })
                }}
                <div class="button-row">
                    <BusyButton
                        label="Turn on"
                        busy_label="Turning on…"
                        busy=pending
                        submit=true
                        test_id="totp-confirm"
                        class="button button-primary"
                    />
                    <button
                        type="button"
                        class="button"
                        data-testid="totp-setup-cancel"
                        on:click=move |_| cancel.run(())
                    >
                        "Cancel"
                    </button>
                </div>
            </form>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ErrorBody;

    #[test]
    fn the_secret_reads_in_groups_of_four() {
        assert_eq!(grouped("JBSWY3DPEHPK3PXP"), "JBSW Y3DP EHPK 3PXP");
        assert_eq!(grouped("ABCDEF"), "ABCD EF");
        assert_eq!(grouped(""), "");
    }

    #[test]
    fn a_wrong_first_code_shows_at_the_input() {
        let wrong = ApiError::Server {
            status: 401,
            body: ErrorBody { error: ErrorCode::CodeInvalid, message: "m".into(), field: Some(InputField::Code) },
            retry_after: None,
        };
        assert_eq!(describe(&wrong).0, Field::Code);
        assert_eq!(describe(&ApiError::Network).0, Field::Form);
    }
}
