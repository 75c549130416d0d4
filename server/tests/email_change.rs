//! Changing the account's email address by mailed links, and undoing it
//! from the old address (`docs/API.md`, "Mail and links").

mod common;

use common::*;
use serde_json::{Value, json};

const CONFIRM_MAIL: &str = "Confirm your new email address";
const REQUESTED_MAIL: &str = "Someone asked to change your email address";
const CHANGED_MAIL: &str = "Your email address was changed";

async fn ask(app: &TestApp, jar: &Jar, new_email: &str, password: &str) -> Response {
    app.post_json("/api/auth/email/change", jar, &json!({ "new_email": new_email, "password": password })).await
}

async fn use_link(app: &TestApp, action: &str, token: &str) -> Response {
    app.post_json(&format!("/api/auth/email/{action}"), &Jar::default(), &json!({ "token": token })).await
}

/// A user whose change to a new address is confirmed; the new address and
/// the undo token mailed to the old one.
async fn changed_user(app: &TestApp) -> (User, String, String) {
    let user = app.new_user().await;
    let new_email = unique_email();
    assert_status(&ask(app, &user.jar, &new_email, &user.password).await, 202);
    let confirm = app.wait_for_mail(&new_email, CONFIRM_MAIL, 1).await.link_token("/confirm-email");
    assert_status(&use_link(app, "confirm", &confirm).await, 204);
    let undo = app.wait_for_mail(&user.email, CHANGED_MAIL, 1).await.link_token("/undo-email");
    (user, new_email, undo)
}

#[tokio::test]
async fn a_change_happens_only_when_the_new_address_confirms_it() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let new_email = unique_email();

    // Act: ask, and the old address hears of it; nothing changes yet.
    assert_status(&ask(&app, &user.jar, &new_email, &user.password).await, 202);
    let notice = app.wait_for_mail(&user.email, REQUESTED_MAIL, 1).await;
    assert!(notice.body.contains(&new_email), "{}", notice.body);
    assert_status(&app.login(&mut Jar::default(), &user.email, &user.password).await, 200);
    let confirm = app.wait_for_mail(&new_email, CONFIRM_MAIL, 1).await.link_token("/confirm-email");
    let confirmed = use_link(&app, "confirm", &confirm).await;

    // Assert: the account moved; the session that asked is still signed in,
    // and its next token names the new address.
    assert_status(&confirmed, 204);
    let mut jar = user.jar.clone();
    assert_status(&app.refresh(&mut jar).await, 200);
    assert_error(&app.login(&mut Jar::default(), &user.email, &user.password).await, 401, "invalid_credentials");
    assert_status(&app.login(&mut Jar::default(), &new_email, &user.password).await, 200);
    let me: Value = app.me(&jar).await.json();
    assert_eq!(me["email"], new_email.as_str());
    assert_error(&use_link(&app, "confirm", &confirm).await, 410, "link_used");
}

#[tokio::test]
async fn the_old_address_can_undo_the_change_and_every_session_ends() {
    // Arrange: an intruder moved the account and then changed its password.
    let app = TestApp::spawn().await;
    let (user, new_email, undo) = changed_user(&app).await;
    let (intruder_jar, _) = app.new_session(&User { email: new_email.clone(), ..user.clone() }).await;
    let change = json!({ "current_password": user.password, "new_password": "the intruder's password" });
    assert_status(&app.post_json("/api/auth/password", &intruder_jar, &change).await, 204);

    // Act
    let undone = use_link(&app, "undo", &undo).await;

    // Assert: the old address is back, and nobody is signed in any more.
    assert_status(&undone, 204);
    for jar in [user.jar.clone(), intruder_jar] {
        assert_error(&app.refresh(&mut jar.clone()).await, 401, "refresh_invalid");
        assert_status(&app.wait_until_unauthenticated("/api/me", &jar).await, 401);
    }
    assert_status(&app.login(&mut Jar::default(), &user.email, "the intruder's password").await, 200);
    assert_error(
        &app.login(&mut Jar::default(), &new_email, "the intruder's password").await,
        401,
        "invalid_credentials",
    );
    assert_error(&use_link(&app, "undo", &undo).await, 410, "link_used");
}

#[tokio::test]
async fn no_second_change_while_the_first_can_be_undone() {
    // Arrange: the account moved once; its old address holds the undo link.
    let app = TestApp::spawn().await;
    let (user, _, undo) = changed_user(&app).await;

    // Act: an intruder signed in tries to move it on (and so to have the
    // next undo link mailed to an address of their own).
    let mut jar = user.jar.clone();
    assert_status(&app.refresh(&mut jar).await, 200);
    let again = ask(&app, &jar, &unique_email(), &user.password).await;

    // Assert: refused, and the first undo link still works.
    assert_invalid_field(&again, "new_email");
    assert_status(&use_link(&app, "undo", &undo).await, 204);
}

#[tokio::test]
async fn asking_needs_the_session_and_the_current_password_and_a_free_new_address() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let other = app.new_user().await;

    // Act + Assert
    assert_error(&ask(&app, &Jar::default(), &unique_email(), &user.password).await, 401, "unauthenticated");
    assert_error(&ask(&app, &user.jar, &unique_email(), "not the password").await, 401, "invalid_credentials");
    assert_invalid_field(&ask(&app, &user.jar, "not an address", &user.password).await, "new_email");
    assert_invalid_field(&ask(&app, &user.jar, &user.email, &user.password).await, "new_email");
    assert_error(&ask(&app, &user.jar, &other.email, &user.password).await, 409, "email_taken");
    assert_error(&use_link(&app, "confirm", &"A".repeat(43)).await, 400, "link_invalid");
    assert_error(&use_link(&app, "undo", "junk").await, 400, "link_invalid");
}
