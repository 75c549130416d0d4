//! Brute-force limits: failed logins per address and per case-folded email,
//! failed refreshes per address, `429 rate_limited` with `Retry-After`, and
//! an `X-Forwarded-For` from an untrusted peer that changes nothing.

mod common;

use common::*;
use reqwest::Method;
use serde_json::json;

const LIMITS_ON: &[(&str, &str)] = &[("AUTH_RATE_LIMITS", "on")];

#[tokio::test]
async fn ten_failed_logins_for_one_email_lock_it_even_for_the_right_password() {
    // Arrange
    let app = TestApp::spawn_with(LIMITS_ON).await;
    let user = app.new_user().await;

    // Act: ten wrong passwords, the email's case varying (one counter).
    for attempt in 0..10 {
        let email = if attempt % 2 == 0 { user.email.to_uppercase() } else { user.email.clone() };
        let response = app.login(&mut Jar::default(), &email, "wrong password").await;
        assert_error(&response, 401, "invalid_credentials");
    }
    let locked = app.login(&mut Jar::default(), &user.email, &user.password).await;

    // Assert
    assert_rate_limited(&locked);
    assert!(locked.cookie(&app.access_cookie).is_none(), "a refused login sets no session");
}

#[tokio::test]
async fn successful_logins_do_not_count_against_the_limit() {
    let app = TestApp::spawn_with(LIMITS_ON).await;
    let user = app.new_user().await;

    for _ in 0..12 {
        let response = app.login(&mut Jar::default(), &user.email, &user.password).await;
        assert_status(&response, 200);
    }
}

#[tokio::test]
async fn a_spoofed_forwarded_for_header_does_not_reset_the_address_counter() {
    // Arrange: no trusted proxies, so X-Forwarded-For is the client's word.
    let app = TestApp::spawn_with(LIMITS_ON).await;

    // Act: ten failures for different emails, each claiming another address.
    for attempt in 0..10 {
        let request = app
            .request(Method::POST, "/api/auth/login", &Jar::default())
            .header("x-forwarded-for", format!("203.0.113.{attempt}"))
            .json(&json!({ "email": unique_email(), "password": "wrong password" }));
        assert_error(&app.send(request).await, 401, "invalid_credentials");
    }
    let request = app
        .request(Method::POST, "/api/auth/login", &Jar::default())
        .header("x-forwarded-for", "198.51.100.7")
        .json(&json!({ "email": unique_email(), "password": "wrong password" }));

    // Assert: the real peer address (127.0.0.1) is over its limit.
    assert_rate_limited(&app.send(request).await);
}

#[tokio::test]
async fn thirty_failed_refreshes_from_one_address_are_limited() {
    let app = TestApp::spawn_with(LIMITS_ON).await;

    for _ in 0..30 {
        let response = app.refresh(&mut app.jar_with_refresh("junk")).await;
        assert_error(&response, 401, "refresh_invalid");
    }

    assert_rate_limited(&app.refresh(&mut app.jar_with_refresh("junk")).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_beyond_the_password_queue_are_refused_at_once_with_503_and_retry_after() {
    // Arrange: no room to wait; only the few hashes that run at once.
    let app = TestApp::spawn_with(&[("AUTH_PASSWORD_QUEUE", "0")]).await;
    let user = app.new_user().await;

    // Act: a burst of sign-ins, all at once.
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let api = app.api.clone();
        let email = user.email.clone();
        tasks.push(tokio::spawn(async move { api.login(&mut Jar::default(), &email, "a wrong password").await }));
    }
    let mut responses = Vec::new();
    for task in tasks {
        responses.push(task.await.expect("the request task"));
    }

    // Assert: those that found no turn were told to come back, none waited
    // in an unbounded queue, and nothing failed otherwise.
    let busy: Vec<&Response> = responses.iter().filter(|r| r.status == 503).collect();
    assert!(!busy.is_empty(), "some sign-ins found the queue full");
    for response in &busy {
        let body: serde_json::Value = response.json();
        assert_eq!(body["error"], "unavailable", "the contract's error body: {}", response.body);
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(response.header("retry-after"), Some("1"));
    }
    for response in &responses {
        assert!(matches!(response.status.as_u16(), 401 | 503), "{} {}", response.status, response.body);
    }
    // Once the burst is over, signing in works again.
    assert_status(&app.login(&mut Jar::default(), &user.email, &user.password).await, 200);
}
