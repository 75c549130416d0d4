//! Security notices mailed to the user (`docs/API.md`, "Mail and links"):
//! a sign-in from a new device, a password change, a replayed refresh token.

mod common;

use std::time::Duration;

use common::*;
use reqwest::{Method, header::USER_AGENT};
use serde_json::json;

const FIREFOX_ON_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
const NEW_SIGN_IN: &str = "New sign-in to your account";

async fn login_from(app: &TestApp, email: &str, password: &str, user_agent: &str) -> Response {
    let request = app
        .request(Method::POST, "/api/auth/login", &Jar::default())
        .header(USER_AGENT, user_agent)
        .json(&json!({ "email": email, "password": password }));
    app.send(request).await
}

#[tokio::test]
async fn a_sign_in_from_a_new_device_is_mailed_once_and_a_known_device_is_not() {
    // Arrange: registered with no user agent at all ("Unknown device").
    let app = TestApp::spawn().await;
    let user = app.new_user().await;

    // Act
    assert_status(&app.login(&mut Jar::default(), &user.email, &user.password).await, 200);
    assert_status(&login_from(&app, &user.email, &user.password, FIREFOX_ON_WINDOWS).await, 200);
    assert_status(&login_from(&app, &user.email, &user.password, FIREFOX_ON_WINDOWS).await, 200);

    // Assert: one notice, for the one new device, saying which and when.
    let notice = app.wait_for_mail(&user.email, NEW_SIGN_IN, 1).await;
    assert!(notice.body.contains("Firefox on Windows"), "{}", notice.body);
    assert!(notice.body.contains("UTC"), "{}", notice.body);
    assert!(notice.body.contains("/forgot"), "{}", notice.body);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let notices = app.mails_to(&user.email).into_iter().filter(|m| m.subject == NEW_SIGN_IN).count();
    assert_eq!(notices, 1, "the same device again, or the registering one, is no news");
}

#[tokio::test]
async fn a_password_change_is_mailed() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let change = json!({ "current_password": user.password, "new_password": "changed by the user" });

    // Act
    assert_status(&app.post_json("/api/auth/password", &user.jar, &change).await, 204);

    // Assert
    let notice = app.wait_for_mail(&user.email, "Your password was changed", 1).await;
    assert!(notice.body.contains("every other device was signed out"), "{}", notice.body);
}

#[tokio::test]
async fn a_replayed_refresh_token_is_mailed() {
    // Arrange: a token rotated twice, then presented again (past the grace).
    let app = TestApp::spawn_with(&[("AUTH_REUSE_GRACE_SECS", "0")]).await;
    let user = app.new_user().await;
    let stolen = app.refresh_token(&user.jar);
    let mut jar = user.jar.clone();
    assert_status(&app.refresh(&mut jar).await, 200);

    // Act
    let replay = app.refresh(&mut app.jar_with_refresh(&stolen)).await;

    // Assert
    assert_error(&replay, 401, "refresh_reused");
    let notice = app.wait_for_mail(&user.email, "We ended a session of your account", 1).await;
    assert!(notice.body.contains("used again"), "{}", notice.body);
}
