//! Changing the account's email address, by mailed links (`crate::links`):
//! `POST /api/auth/email/change` mails a confirmation link to the new
//! address and a notice to the old one; `…/confirm` makes the change and
//! mails the old address a link that undoes it; `…/undo` puts the old
//! address back and ends every session ("this wasn't me").

use app::{
    format::{date_time, describe_user_agent},
    types::{EmailChangeRequest, InputField, LinkToken},
};
use axum::{Json, extract::State, http::StatusCode};

use super::Routes;
use crate::{
    audit::{Actor, Event, EventKind},
    client::Client,
    domain::Email,
    error::ApiError,
    extract::AuthUser,
    links::{self, Purpose},
    mail::messages,
    sessions,
    state::AppState,
    store::{self, users::EmailChange},
};

pub fn routes() -> Routes {
    Routes::default()
        .post("/auth/email/change", change)
        .post("/auth/email/confirm", confirm)
        .post("/auth/email/undo", undo)
}

/// Asks to move the signed-in account to a new address. Needs the current
/// password (a stolen access token alone cannot take the account's mail);
/// a wrong one counts against the sign-in limit of the account's email.
async fn change(
    State(state): State<AppState>,
    client: Client,
    user: AuthUser,
    Json(body): Json<EmailChangeRequest>,
) -> Result<StatusCode, ApiError> {
    user.require_fresh(&state)?;
    let account =
        super::auth::confirm_password(&state, &user, &client, body.password, "wrong password on email change").await?;
    let new_email = Email::parse(&body.new_email).map_err(|err| err.at(InputField::NewEmail))?;
    if new_email.as_str() == account.email {
        return Err(ApiError::invalid_field(InputField::NewEmail, "that is already your address"));
    }
    if store::users::find_user_by_email(&state.db, new_email.as_str()).await?.is_some() {
        return Err(ApiError::EmailTaken);
    }
    // One change at a time: while the previous address can still undo the
    // last change, no other may follow. Otherwise an intruder could move
    // the account on again and have the next undo link mailed to an
    // address of their own.
    let undo = Purpose::UndoEmailChange.as_str();
    if store::links::has_live_link(&state.db, &account.id, undo, state.now()).await? {
        return Err(ApiError::invalid_field(
            InputField::NewEmail,
            "the address changed recently; it can change again once the undo link mailed to the previous \
             address has been used or has expired (7 days)",
        ));
    }
    state.limits.mail_by_email.acquire(&format!("email:{}", new_email.as_str()))?;
    let (token, expires_at) = links::issue_to(&state, &account, Purpose::ChangeEmail, new_email.as_str()).await?;
    let ttl = Purpose::ChangeEmail.ttl_secs(&state.config);
    let confirm = messages::confirm_email_change(&state.config, new_email.as_str(), &token, ttl);
    state.mail.enqueue(confirm, expires_at).await?;
    let device = describe_user_agent(client.user_agent.as_deref());
    let notice = messages::email_change_requested(&account.email, new_email.as_str(), &device, &date_time(state.now()));
    state.mail.enqueue(notice, expires_at).await?;
    let event = Event::new(EventKind::EmailChangeRequested).user(&account.id).session(user.session_id());
    state.audit.record(event.client(&client));
    Ok(StatusCode::ACCEPTED)
}

/// Makes the change with the link mailed to the new address; the old
/// address gets a link that undoes it for a week. Sessions stay signed in.
async fn confirm(
    State(state): State<AppState>,
    client: Client,
    Json(body): Json<LinkToken>,
) -> Result<StatusCode, ApiError> {
    state.limits.links_by_ip.acquire(&client.ip_key())?;
    let link = links::check(&state, &body.token, Purpose::ChangeEmail).await?;
    let user = store::users::find_user_by_id(&state.db, &link.user_id).await?.ok_or(stale())?;
    links::redeem(&state, &body.token, Purpose::ChangeEmail).await?;
    let old_email = user.email.clone();
    match store::users::change_email(&state.db, &user.id, &old_email, &link.email, None, state.now()).await?.0 {
        // Tokens naming the old address refresh (here at once, elsewhere
        // within a second).
        EmailChange::Done => state.gate.forget_user(&user.id),
        EmailChange::Taken => return Err(ApiError::EmailTaken),
        EmailChange::Stale => return Err(stale()),
    }
    // The undo goes to the old address; the link is for the user as they
    // were (that address), so issue it from the old row.
    let (token, expires_at) = links::issue_to(&state, &user, Purpose::UndoEmailChange, &old_email).await?;
    let ttl = Purpose::UndoEmailChange.ttl_secs(&state.config);
    state
        .mail
        .enqueue(messages::email_changed(&state.config, &old_email, &link.email, &token, ttl), expires_at)
        .await?;
    state.audit.record(Event::new(EventKind::EmailChanged).user(&user.id).client(&client));
    tracing::info!(user_id = %user.id, "email changed by mailed link");
    Ok(StatusCode::NO_CONTENT)
}

/// Puts the old address back with the link mailed to it, and ends every
/// session of the account: whoever changed it is signed out.
async fn undo(
    State(state): State<AppState>,
    client: Client,
    Json(body): Json<LinkToken>,
) -> Result<StatusCode, ApiError> {
    state.limits.links_by_ip.acquire(&client.ip_key())?;
    let link = links::redeem(&state, &body.token, Purpose::UndoEmailChange).await?;
    let user = store::users::find_user_by_id(&state.db, &link.user_id).await?.ok_or(stale())?;
    let actor = Actor { user_id: None, client: Some(&client) };
    let (outcome, ended) = sessions::undo_email_change(&state, &user.id, &user.email, &link.email, actor).await?;
    match outcome {
        EmailChange::Done => {}
        EmailChange::Taken => return Err(ApiError::EmailTaken),
        EmailChange::Stale => return Err(stale()),
    }
    let event = Event::new(EventKind::EmailChangeUndone).user(&user.id).client(&client);
    state.audit.record(event.detail(format!("{ended} sessions ended")));
    tracing::warn!(user_id = %user.id, ended, "email change undone by the old address");
    Ok(StatusCode::NO_CONTENT)
}

fn stale() -> ApiError {
    ApiError::LinkInvalid("this link no longer matches the account; ask for a new one")
}
