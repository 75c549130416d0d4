//! Whether the address is verified, and `AUTH_REQUIRE_VERIFIED_EMAIL`
//! (`docs/API.md`, "Mail and links").

mod common;

use common::*;
use serde_json::{Value, json};

const VERIFY_MAIL: &str = "Confirm your email address";

async fn verify(app: &TestApp, user: &User) {
    let token = app.wait_for_mail(&user.email, VERIFY_MAIL, 1).await.link_token("/verify");
    let response = app.post_json("/api/auth/email/verify", &Jar::default(), &json!({ "token": token })).await;
    assert_status(&response, 204);
}

#[tokio::test]
async fn required_verification_keeps_the_api_closed_until_the_link_is_used() {
    // Arrange
    let app = TestApp::spawn_with(&[("AUTH_REQUIRE_VERIFIED_EMAIL", "on")]).await;
    let user = app.new_user().await;
    assert!(!user.info.user.email_verified);

    // Act + Assert: signed in, yet only "who am I" and "send it again" work.
    assert_error(&app.me(&user.jar).await, 403, "email_unverified");
    assert_error(&app.sessions(&user.jar).await, 403, "email_unverified");
    let session: Value = app.session(&user.jar).await.json();
    assert_eq!(session["user"]["email_verified"], false);
    assert_status(&app.post_empty("/api/auth/email/resend", &user.jar).await, 202);

    // Once verified (the newest link), everything opens, at once.
    let token = app.wait_for_mail(&user.email, VERIFY_MAIL, 2).await.link_token("/verify");
    let verified = app.post_json("/api/auth/email/verify", &Jar::default(), &json!({ "token": token })).await;
    assert_status(&verified, 204);
    assert_status(&app.me(&user.jar).await, 200);
    let mut jar = user.jar.clone();
    assert!(app.refresh(&mut jar).await.session_info().user.email_verified);
}

#[tokio::test]
async fn by_default_an_unverified_user_uses_the_api_and_sees_the_flag() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;

    // Act + Assert
    assert!(!user.info.user.email_verified);
    let me: Value = app.me(&user.jar).await.json();
    assert_eq!(me["email_verified"], false);
    verify(&app, &user).await;
    let me: Value = app.me(&user.jar).await.json();
    assert_eq!(me["email_verified"], true);
    let (_, info) = app.new_session(&user).await;
    assert!(info.user.email_verified, "a new sign-in says so too");
}

#[tokio::test]
async fn the_seeded_admin_counts_as_verified() {
    // Arrange + Act
    let (_app, admin) = TestApp::spawn_with_admin(&[("AUTH_REQUIRE_VERIFIED_EMAIL", "on")]).await;

    // Assert
    assert!(admin.info.user.email_verified);
}

#[tokio::test]
async fn a_verification_link_verifies_its_own_user_and_no_other() {
    // Arrange: two users; the link of one is used in the other's browser.
    let app = TestApp::spawn().await;
    let (owner, other) = (app.new_user().await, app.new_user().await);
    let token = app.wait_for_mail(&owner.email, VERIFY_MAIL, 1).await.link_token("/verify");

    // Act
    let response = app.post_json("/api/auth/email/verify", &other.jar, &json!({ "token": token })).await;

    // Assert
    assert_status(&response, 204);
    let owner_me: Value = app.me(&owner.jar).await.json();
    let other_me: Value = app.me(&other.jar).await.json();
    assert_eq!(owner_me["email_verified"], true);
    assert_eq!(other_me["email_verified"], false);
}
