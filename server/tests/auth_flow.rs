//! The main auth flow: register, login, session, me, refresh, logout, plus
//! the health check and the JWKS document.

mod common;

use app::types::UserView;
use common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn registering_returns_201_a_session_body_and_both_cookies() {
    // Arrange
    let app = TestApp::spawn().await;
    let email = unique_email();
    let mut jar = Jar::default();

    // Act
    let response = app.register(&mut jar, &email, PASSWORD).await;

    // Assert
    assert_status(&response, 201);
    let info = response.session_info();
    assert_eq!(info.user.email, email);
    assert_eq!(info.user.roles, vec!["user".to_owned()]);
    assert!(!info.user.id.is_empty());
    assert!(!info.session_id.is_empty());
    assert_eq!(info.expires_in, info.access_expires_at - info.server_time);
    assert_eq!(info.expires_in, DEFAULT_ACCESS_TTL);
    assert!(info.refresh_expires_at > info.access_expires_at);
    assert!((info.server_time - now()).abs() <= 5, "server_time is the server's clock");
    let access = response.cookie_value(&app.access_cookie);
    let refresh = response.cookie_value(&app.refresh_cookie);
    assert_eq!(access.split('.').count(), 3, "the access cookie holds a JWT");
    assert!(refresh.len() >= 43, "the refresh token carries at least 256 bits");
    assert_ne!(access, refresh);
}

#[tokio::test]
async fn registering_an_email_twice_is_a_conflict_whatever_its_case() {
    // Arrange
    let app = TestApp::spawn().await;
    let local = format!("dup-{}", uuid::Uuid::new_v4().simple());
    let email = format!("{local}@example.com");
    let shouted = format!("{}@Example.COM", local.to_uppercase());
    let first = app.register(&mut Jar::default(), &email, PASSWORD).await;
    assert_status(&first, 201);

    // Act
    let same = app.register(&mut Jar::default(), &email, PASSWORD).await;
    let other_case = app.register(&mut Jar::default(), &shouted, PASSWORD).await;

    // Assert
    assert_error(&same, 409, "email_taken");
    assert_error(&other_case, 409, "email_taken");
    assert_not_echoed(&same, &email);
    assert_not_echoed(&other_case, &shouted);
    assert!(same.cookie(&app.access_cookie).is_none(), "a conflict sets no session");
}

#[tokio::test]
async fn logging_in_with_the_right_password_starts_a_new_session() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let mut jar = Jar::default();

    // Act
    let response = app.login(&mut jar, &user.email, PASSWORD).await;

    // Assert
    assert_status(&response, 200);
    let info = response.session_info();
    assert_eq!(info.user, user.info.user);
    assert_ne!(info.session_id, user.info.session_id, "login starts its own session");
    assert_eq!(info.expires_in, info.access_expires_at - info.server_time);
    assert!(jar.get(&app.access_cookie).is_some());
    assert!(jar.get(&app.refresh_cookie).is_some());
    assert_status(&app.me(&jar).await, 200);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_401_body() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let unknown = unique_email();

    // Act
    let wrong_password = app.login(&mut Jar::default(), &user.email, "not the password at all").await;
    let unknown_email = app.login(&mut Jar::default(), &unknown, PASSWORD).await;

    // Assert
    assert_error(&wrong_password, 401, "invalid_credentials");
    assert_error(&unknown_email, 401, "invalid_credentials");
    assert_eq!(wrong_password.body, unknown_email.body);
    assert_not_echoed(&wrong_password, &user.email);
    assert_not_echoed(&unknown_email, &unknown);
    assert!(wrong_password.cookie(&app.access_cookie).is_none());
    assert!(unknown_email.cookie(&app.access_cookie).is_none());
}

#[tokio::test]
async fn session_and_me_answer_with_the_access_cookie() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;

    // Act
    let session = app.session(&user.jar).await;
    let me = app.me(&user.jar).await;

    // Assert
    assert_status(&session, 200);
    let info = session.session_info();
    assert_eq!(info.user, user.info.user);
    assert_eq!(info.session_id, user.info.session_id);
    assert_eq!(info.expires_in, info.access_expires_at - info.server_time);
    assert!(info.expires_in > 0 && info.expires_in <= DEFAULT_ACCESS_TTL);
    assert_status(&me, 200);
    let view: UserView = me.json();
    assert_eq!(view, user.info.user);
}

#[tokio::test]
async fn session_and_me_are_unauthenticated_without_the_access_cookie() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let mut refresh_only = user.jar.clone();
    refresh_only.remove(&app.access_cookie);

    // Act
    let session = app.session(&Jar::default()).await;
    let me = app.me(&Jar::default()).await;
    let me_with_refresh_only = app.me(&refresh_only).await;

    // Assert
    assert_error(&session, 401, "unauthenticated");
    assert_error(&me, 401, "unauthenticated");
    assert_error(&me_with_refresh_only, 401, "unauthenticated");
}

#[tokio::test]
async fn refreshing_keeps_the_session_and_rotates_both_cookies() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let mut jar = user.jar.clone();
    let old_access = app.access_token(&jar);
    let old_refresh = app.refresh_token(&jar);

    // Act
    let response = app.refresh(&mut jar).await;

    // Assert
    assert_status(&response, 200);
    let info = response.session_info();
    assert_eq!(info.session_id, user.info.session_id);
    assert_eq!(info.user, user.info.user);
    assert_eq!(info.expires_in, info.access_expires_at - info.server_time);
    assert_ne!(app.access_token(&jar), old_access);
    assert_ne!(app.refresh_token(&jar), old_refresh);
    assert_status(&app.me(&jar).await, 200);
}

#[tokio::test]
async fn refreshing_without_a_refresh_cookie_is_refresh_invalid_and_clears_cookies() {
    // Arrange
    let app = TestApp::spawn().await;

    // Act
    let response = app.refresh(&mut Jar::default()).await;

    // Assert
    assert_error(&response, 401, "refresh_invalid");
    assert_clears_both_cookies(&app, &response);
    assert_no_store(&response);
}

#[tokio::test]
async fn logout_clears_both_cookies_and_revokes_the_session() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let old = user.jar.clone();
    let mut jar = user.jar.clone();

    // Act
    let response = app.logout(&mut jar).await;

    // Assert
    assert_status(&response, 204);
    assert!(response.body.is_empty());
    assert_clears_both_cookies(&app, &response);
    assert!(jar.is_empty(), "the jar is emptied by the clearing cookies");
    let refresh = app.refresh(&mut old.clone()).await;
    assert_status(&refresh, 401);
    let session = app.wait_until_unauthenticated("/api/auth/session", &old).await;
    assert_error(&session, 401, "unauthenticated");
    let me = app.wait_until_unauthenticated("/api/me", &old).await;
    assert_error(&me, 401, "unauthenticated");
}

#[tokio::test]
async fn logout_with_only_the_refresh_cookie_still_revokes_the_session() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let mut refresh_only = app.jar_with_refresh(&app.refresh_token(&user.jar));

    // Act
    let response = app.logout(&mut refresh_only).await;

    // Assert
    assert_status(&response, 204);
    assert_clears_both_cookies(&app, &response);
    let refresh = app.refresh(&mut user.jar.clone()).await;
    assert_status(&refresh, 401);
    let me = app.wait_until_unauthenticated("/api/me", &user.jar).await;
    assert_error(&me, 401, "unauthenticated");
}

#[tokio::test]
async fn logout_without_cookies_is_an_idempotent_no_content() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let mut jar = user.jar.clone();

    // Act
    let anonymous = app.logout(&mut Jar::default()).await;
    let first = app.logout(&mut jar).await;
    let second = app.logout(&mut user.jar.clone()).await;

    // Assert
    assert_status(&anonymous, 204);
    assert_status(&first, 204);
    assert_status(&second, 204);
    assert_clears_both_cookies(&app, &second);
}

#[tokio::test]
async fn auth_responses_carry_cache_control_no_store() {
    // Arrange
    let app = TestApp::spawn().await;
    let email = unique_email();
    let mut jar = Jar::default();

    // Act
    let register = app.register(&mut jar, &email, PASSWORD).await;
    let login = app.login(&mut jar, &email, PASSWORD).await;
    let bad_login = app.login(&mut Jar::default(), &email, "wrong password!").await;
    let session = app.session(&jar).await;
    let sessions = app.sessions(&jar).await;
    let me = app.me(&jar).await;
    let refresh = app.refresh(&mut jar).await;
    let logout = app.logout(&mut jar).await;
    let failed_refresh = app.refresh(&mut Jar::default()).await;

    // Assert
    for (name, response, status) in [
        ("register", &register, 201),
        ("login", &login, 200),
        ("failed login", &bad_login, 401),
        ("session", &session, 200),
        ("sessions", &sessions, 200),
        ("me", &me, 200),
        ("refresh", &refresh, 200),
        ("logout", &logout, 204),
        ("failed refresh", &failed_refresh, 401),
    ] {
        assert_eq!(response.status.as_u16(), status, "{name}: {}", response.body);
        assert_no_store(response);
    }
}

#[tokio::test]
async fn the_health_check_answers_200() {
    // Arrange
    let app = TestApp::spawn().await;

    // Act
    let response = app.get("/healthz", &Jar::default()).await;

    // Assert
    assert_status(&response, 200);
}

#[tokio::test]
async fn jwks_publishes_public_ed25519_keys_without_private_parts() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;

    // Act
    let jwks = app.jwks().await;

    // Assert
    let keys = jwks["keys"].as_array().expect("a keys array");
    assert!(!keys.is_empty());
    for key in keys {
        assert!(!key["kid"].as_str().unwrap_or_default().is_empty(), "kid: {key}");
        assert_eq!(key["kty"], json!("OKP"), "{key}");
        assert_eq!(key["crv"], json!("Ed25519"), "{key}");
        let x = key["x"].as_str().unwrap_or_default();
        assert_eq!(x.len(), 43, "x is a base64url Ed25519 public key: {key}");
        assert!(key.get("d").is_none(), "the JWKS leaks a private key: {key}");
        assert!(key.get("p").is_none() && key.get("q").is_none(), "{key}");
    }
    let kid = access_token_kid(&app.access_token(&user.jar));
    assert!(keys.iter().any(|key| key["kid"] == json!(kid)), "the issued token's kid {kid} is published");
}

/// The `kid` in a JWT's header (read without verification).
fn access_token_kid(token: &str) -> String {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = token.split('.').next().expect("a JWT header");
    let bytes = URL_SAFE_NO_PAD.decode(header).expect("base64url header");
    let header: Value = serde_json::from_slice(&bytes).expect("JSON header");
    header["kid"].as_str().expect("the header has a kid").to_owned()
}
