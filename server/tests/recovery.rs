//! Recovering an account by mail: password reset and email verification
//! (`docs/API.md`, "Mail and links"). The server under test writes its mail
//! to an outbox dir of the test's own, read back as a mail client would.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

const NEW_PASSWORD: &str = "a brand new passphrase";
const RESET_MAIL: &str = "Reset your password";
const VERIFY_MAIL: &str = "Confirm your email address";

async fn forgot(app: &TestApp, email: &str) -> Response {
    app.post_json("/api/auth/password/forgot", &Jar::default(), &json!({ "email": email })).await
}

async fn reset(app: &TestApp, jar: &mut Jar, token: &str, new_password: &str) -> Response {
    let body = json!({ "token": token, "new_password": new_password });
    let response = app.post_json("/api/auth/password/reset", jar, &body).await;
    jar.absorb(&response);
    response
}

async fn verify(app: &TestApp, token: &str) -> Response {
    app.post_json("/api/auth/email/verify", &Jar::default(), &json!({ "token": token })).await
}

/// A user and the token of a reset link mailed to them.
async fn user_with_reset_link(app: &TestApp) -> (User, String) {
    let user = app.new_user().await;
    assert_status(&forgot(app, &user.email).await, 202);
    let token = app.wait_for_mail(&user.email, RESET_MAIL, 1).await.link_token("/reset");
    (user, token)
}

#[tokio::test]
async fn a_reset_link_sets_the_password_ends_every_session_and_signs_in_afresh() {
    // Arrange
    let app = TestApp::spawn().await;
    let (user, token) = user_with_reset_link(&app).await;
    let (other_jar, _) = app.new_session(&user).await;

    // Act
    let mut browser = Jar::default();
    let response = reset(&app, &mut browser, &token, NEW_PASSWORD).await;

    // Assert: signed in here with a fresh session of the same user.
    assert_status(&response, 200);
    let info = response.session_info();
    assert_eq!(info.user.email, user.email);
    assert_ne!(info.session_id, user.info.session_id);
    assert_status(&app.me(&browser).await, 200);
    // Every earlier session is over: refresh at once, access within a second.
    for jar in [user.jar.clone(), other_jar] {
        assert_error(&app.refresh(&mut jar.clone()).await, 401, "refresh_invalid");
        assert_status(&app.wait_until_unauthenticated("/api/me", &jar).await, 401);
    }
    // The old password is gone, the new one works.
    assert_error(&app.login(&mut Jar::default(), &user.email, &user.password).await, 401, "invalid_credentials");
    assert_status(&app.login(&mut Jar::default(), &user.email, NEW_PASSWORD).await, 200);
}

#[tokio::test]
async fn a_reset_link_works_once() {
    // Arrange
    let app = TestApp::spawn().await;
    let (_, token) = user_with_reset_link(&app).await;
    assert_status(&reset(&app, &mut Jar::default(), &token, NEW_PASSWORD).await, 200);

    // Act
    let again = reset(&app, &mut Jar::default(), &token, "yet another passphrase").await;

    // Assert
    assert_error(&again, 410, "link_used");
}

#[tokio::test]
async fn an_expired_reset_link_is_link_expired_and_changes_nothing() {
    // Arrange: an instance whose clock is an hour ahead sees the 30-minute link as expired.
    let app = TestApp::spawn().await;
    let (user, token) = user_with_reset_link(&app).await;
    let later = app.spawn_skewed_sibling(3600).await;

    // Act
    let response = reset(&later, &mut Jar::default(), &token, NEW_PASSWORD).await;

    // Assert
    assert_error(&response, 410, "link_expired");
    assert_status(&app.login(&mut Jar::default(), &user.email, &user.password).await, 200);
}

#[tokio::test]
async fn tampered_unknown_and_wrong_purpose_tokens_are_link_invalid() {
    // Arrange
    let app = TestApp::spawn().await;
    let (user, token) = user_with_reset_link(&app).await;
    let verify_token = app.wait_for_mail(&user.email, VERIFY_MAIL, 1).await.link_token("/verify");
    let mut tampered = token.clone().into_bytes();
    tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();

    for bad in [tampered.as_str(), "", "short", &"A".repeat(43), &format!("{token}x"), verify_token.as_str()] {
        // Act
        let response = reset(&app, &mut Jar::default(), bad, NEW_PASSWORD).await;

        // Assert
        assert_error(&response, 400, "link_invalid");
        assert_not_echoed(&response, &token);
    }
    // The real link still works after all that.
    assert_status(&reset(&app, &mut Jar::default(), &token, NEW_PASSWORD).await, 200);
}

#[tokio::test]
async fn a_newer_reset_link_or_a_password_change_retires_the_older_link() {
    // Arrange
    let app = TestApp::spawn().await;
    let (user, first) = user_with_reset_link(&app).await;
    assert_status(&forgot(&app, &user.email).await, 202);
    let second = app.wait_for_mail(&user.email, RESET_MAIL, 2).await.link_token("/reset");

    // Act + Assert: the older link no longer works; the newer does, until a
    // password change retires it too.
    assert_error(&reset(&app, &mut Jar::default(), &first, NEW_PASSWORD).await, 400, "link_invalid");
    let change = json!({ "current_password": user.password, "new_password": "changed by the user" });
    assert_status(&app.post_json("/api/auth/password", &user.jar, &change).await, 204);
    assert_error(&reset(&app, &mut Jar::default(), &second, NEW_PASSWORD).await, 400, "link_invalid");
}

#[tokio::test]
async fn a_refused_new_password_leaves_the_link_working() {
    // Arrange
    let app = TestApp::spawn().await;
    let (_, token) = user_with_reset_link(&app).await;

    // Act
    let response = reset(&app, &mut Jar::default(), &token, "short").await;

    // Assert
    assert_invalid_field(&response, "new_password");
    assert_status(&reset(&app, &mut Jar::default(), &token, NEW_PASSWORD).await, 200);
}

#[tokio::test]
async fn forgot_answers_the_same_for_an_unknown_email_and_mails_nobody() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let stranger = unique_email();

    // Act
    let known = forgot(&app, &user.email).await;
    let unknown = forgot(&app, &stranger).await;

    // Assert: status, body and headers that matter are the same.
    assert_status(&known, 202);
    assert_status(&unknown, 202);
    assert_eq!(known.body, unknown.body);
    assert_eq!(known.header("content-type"), unknown.header("content-type"));
    app.wait_for_mail(&user.email, RESET_MAIL, 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(app.mails_to(&stranger).is_empty(), "a mail went to an address with no account");
}

/// The time to answer `forgot` for a known and an unknown email, 50 tries
/// each, interleaved: the work happens after the answer, so the medians
/// must not tell them apart. Prints the figures.
#[tokio::test]
async fn forgot_takes_as_long_for_a_known_email_as_for_an_unknown_one() {
    // Arrange
    let app = TestApp::spawn().await;
    let known = app.new_user().await.email;
    let (mut with_account, mut without) = (Vec::new(), Vec::new());

    // Act
    for _ in 0..50 {
        for (email, times) in [(known.as_str(), &mut with_account), (unique_email().as_str(), &mut without)] {
            let started = Instant::now();
            assert_status(&forgot(&app, email).await, 202);
            times.push(started.elapsed());
        }
    }

    // Assert
    let median = |times: &mut Vec<Duration>| {
        times.sort();
        times[times.len() / 2]
    };
    let (known_median, unknown_median) = (median(&mut with_account), median(&mut without));
    println!("forgot, median of 50: known email {known_median:?}, unknown email {unknown_median:?}");
    let gap = known_median.abs_diff(unknown_median);
    assert!(
        gap < Duration::from_millis(5) || gap < known_median.min(unknown_median) / 2,
        "the answer time tells a known email ({known_median:?}) from an unknown one ({unknown_median:?})"
    );
}

#[tokio::test]
async fn forgot_is_limited_per_email_so_no_inbox_can_be_flooded() {
    // Arrange
    let app = TestApp::spawn_with(&[("AUTH_RATE_LIMITS", "on")]).await;
    let user = app.new_user().await;
    for _ in 0..3 {
        assert_status(&forgot(&app, &user.email).await, 202);
    }

    // Act
    let fourth = forgot(&app, &user.email).await;

    // Assert
    assert_rate_limited(&fourth);
}

#[tokio::test]
async fn registering_mails_a_verification_link_that_works_once() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let token = app.wait_for_mail(&user.email, VERIFY_MAIL, 1).await.link_token("/verify");

    // Act
    let first = verify(&app, &token).await;
    let second = verify(&app, &token).await;

    // Assert
    assert_status(&first, 204);
    assert_error(&second, 410, "link_used");
    assert_error(&verify(&app, "not a token at all").await, 400, "link_invalid");
}

#[tokio::test]
async fn resend_needs_a_session_and_retires_the_earlier_link() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let first = app.wait_for_mail(&user.email, VERIFY_MAIL, 1).await.link_token("/verify");

    // Act
    let anonymous = app.post_empty("/api/auth/email/resend", &Jar::default()).await;
    let resent = app.post_empty("/api/auth/email/resend", &user.jar).await;

    // Assert
    assert_error(&anonymous, 401, "unauthenticated");
    assert_status(&resent, 202);
    let second = app.wait_for_mail(&user.email, VERIFY_MAIL, 2).await.link_token("/verify");
    assert_error(&verify(&app, &first).await, 400, "link_invalid");
    assert_status(&verify(&app, &second).await, 204);
    // Verified: asking again mails nothing.
    assert_status(&app.post_empty("/api/auth/email/resend", &user.jar).await, 202);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.mails_to(&user.email).len(), 2);
}

#[tokio::test]
async fn queued_mail_survives_an_smtp_outage_and_a_restart() {
    // Arrange: SMTP points at a port nobody listens on.
    let app = TestApp::spawn_with(&[("AUTH_SMTP_URL", "smtp://127.0.0.1:9")]).await;
    let user = app.new_user().await;
    assert_status(&forgot(&app, &user.email).await, 202);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(app.mails_to(&user.email).is_empty(), "nothing can have been delivered");

    // Act: the same database, now without SMTP: the outbox.
    let dir = app.stop().await;
    let outbox_app = TestApp::spawn_in(dir, &[]).await;

    // Assert: both queued mails arrive, after the retry delay of the failed
    // attempt at the latest, and the reset link in them works.
    outbox_app.wait_for_mail(&user.email, VERIFY_MAIL, 1).await;
    let token = outbox_app.wait_for_mail(&user.email, RESET_MAIL, 1).await.link_token("/reset");
    assert_status(&reset(&outbox_app, &mut Jar::default(), &token, NEW_PASSWORD).await, 200);
}
