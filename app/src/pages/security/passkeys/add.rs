//! Adding a passkey: a name, then the options (after a fresh proof when
//! the server answers `403 step_up_required`), the browser's ceremony, and
//! registration, which answers the recovery codes when this is the
//! account's first second factor.
//!
//! The name is checked here first ([`check_passkey_name`]), as the server
//! will: a bad name must not cost the user a trip through the prompt.

use leptos::{ev::SubmitEvent, html, prelude::*};

use crate::{
    api,
    components::{
        BusyButton, PasskeyFailure, PasskeyMessage, PasskeyNote, StepUp, describe_failure, use_passkey_support,
        use_step_up, with_step_up,
    },
    format::{passkey_name_for, sentence, this_user_agent},
    session::use_session,
    types::{
        InputField, SessionInfo,
        passkeys::{MAX_PASSKEY_NAME_CHARS, NewPasskey, PasskeyAdded, PasskeyChallenge, check_passkey_name},
    },
    webauthn,
};

const NAME_ID: &str = "passkey-name";
const NAME_HINT_ID: &str = "passkey-name-hint";
const NAME_ERROR_ID: &str = "passkey-name-error";
const ERROR_TEST_ID: &str = "passkey-error";
/// What the name field holds until the page knows which browser this is.
const PLACEHOLDER_NAME: &str = "Passkey";

/// A registered passkey, and the session afresh when it lifted
/// `mfa_enrolment_required`.
type Added = (PasskeyAdded, Option<SessionInfo>);

/// Makes a passkey named `name` and registers it. `must_enrol`: the session
/// still needs a second factor; a first one lifts that, and only a fresh
/// look at the session (`GET /api/auth/session`) says so.
async fn add(step_up: StepUp, name: String, must_enrol: bool) -> Result<Added, PasskeyFailure> {
    let PasskeyChallenge { ceremony, options } = with_step_up(step_up, api::passkey_creation_options).await?;
    let credential = webauthn::create(&options).await?;
    let body = NewPasskey { ceremony, name, credential };
    let added = with_step_up(step_up, || api::add_passkey(&body)).await?;
    let renewed = if must_enrol { api::session().await.ok().flatten() } else { None };
    Ok((added, renewed))
}

/// The add form, or why this browser cannot add a passkey.
#[component]
pub(super) fn AddPasskey(reload: Callback<()>, show_codes: Callback<Vec<String>>) -> impl IntoView {
    let supported = use_passkey_support();
    // Changes once at most: the form is not made twice.
    let unsupported = Memo::new(move |_| supported.get() == Some(false));
    move || {
        if unsupported.get() {
            view! {
                <p class="notice" data-testid="passkeys-unsupported">
                    "This browser cannot make passkeys. Add one from an up-to-date browser, such as \
                     Chrome, Edge, Firefox or Safari."
                </p>
            }
            .into_any()
        } else {
            view! { <AddForm reload show_codes/> }.into_any()
        }
    }
}

/// The name field and "Add a passkey".
#[component]
fn AddForm(reload: Callback<()>, show_codes: Callback<Vec<String>>) -> impl IntoView {
    let session = use_session();
    let step_up = use_step_up();
    let input = NodeRef::<html::Input>::new();
    // Once the input is in the page: name the passkey for this browser,
    // unless the user already typed a name of their own.
    Effect::new(move || {
        if let Some(input) = input.get()
            && input.value() == PLACEHOLDER_NAME
        {
            input.set_value(&passkey_name_for(this_user_agent().as_deref()));
        }
    });

    let create = Action::new_local(move |name: &String| {
        let must_enrol = session.session.with_untracked(|s| s.as_ref().is_some_and(|s| s.mfa_enrolment_required));
        add(step_up, name.clone(), must_enrol)
    });
    // Taken once: each call makes a new derived signal.
    let pending = create.pending();
    let value = create.value();
    let name_error = RwSignal::new(None::<String>);
    let note = RwSignal::new(None::<PasskeyMessage>);
    Effect::new(move || match value.get() {
        Some(Ok((PasskeyAdded { recovery_codes, .. }, renewed))) => {
            if let Some(info) = renewed {
                // The scheduler follows it; the page stops asking to enrol.
                session.signed_in(info);
            }
            if !recovery_codes.codes.is_empty() {
                show_codes.run(recovery_codes.codes);
            }
            reload.run(());
        }
        Some(Err(failure)) => {
            if failure.session_lost() {
                session.check_now();
            }
            match failure.refusal().filter(|refusal| refusal.field() == Some(InputField::Name)) {
                Some(refusal) => name_error.set(Some(sentence(&refusal.message()))),
                None => note.set(Some(describe_failure(&failure, "That passkey was not accepted. Try again."))),
            }
        }
        None => {}
    });
    let has_error = move || name_error.with(Option::is_some);

    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if pending.get_untracked() {
            return;
        }
        name_error.set(None);
        note.set(None);
        let typed = input.get_untracked().map(|input| input.value()).unwrap_or_default();
        match check_passkey_name(&typed) {
            Ok(name) => {
                create.dispatch(name);
            }
            Err(why) => name_error.set(Some(sentence(why))),
        }
    };

    view! {
        <form class="auth-form passkey-add" method="post" novalidate data-testid="add-passkey-form" on:submit=on_submit>
            <div class="field">
                <label for=NAME_ID>"Name of the new passkey"</label>
                <input
                    id=NAME_ID
                    name="passkey-name"
                    type="text"
                    value=PLACEHOLDER_NAME
                    autocomplete="off"
                    maxlength=MAX_PASSKEY_NAME_CHARS.to_string()
                    required
                    aria-invalid=move || if has_error() { "true" } else { "false" }
                    aria-describedby=move || if has_error() { NAME_ERROR_ID } else { NAME_HINT_ID }
                    data-testid="passkey-name-input"
                    node_ref=input
                />
                <p id=NAME_HINT_ID class="hint">
                    "So you can tell your passkeys apart, such as the device or the password manager it is in."
                </p>
                {move || {
                    name_error
                        .get()
                        .map(|message| {
                            view! {
                                <p id=NAME_ERROR_ID class="form-error" role="alert" data-testid=ERROR_TEST_ID>
                                    {message}
                                </p>
                            }
                        })
                }}
            </div>
            <PasskeyNote message=note test_id=ERROR_TEST_ID/>
            <BusyButton
                label="Add a passkey"
                busy_label="Adding passkey…"
                busy=pending
                submit=true
                test_id="add-passkey"
                class="button button-primary"
            />
        </form>
    }
}
