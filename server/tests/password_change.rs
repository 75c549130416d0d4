//! Changing the password (`POST /api/auth/password`): it needs the access
//! cookie and the current password, ends every other session of the user
//! (their refresh tokens at once, their access tokens within a second) while
//! the caller stays signed in, swaps which password logs in, validates the
//! new password, counts wrong current passwords against the login limiter,
//! and answers wrong methods and media types with contract errors.

mod common;

use app::types::SessionView;
use common::*;
use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use serde_json::json;

const PATH: &str = "/api/auth/password";
const NEW_PASSWORD: &str = "a brand new passphrase for tests";
const WRONG_PASSWORD: &str = "not the current password";
const LIMITS_ON: &[(&str, &str)] = &[("AUTH_RATE_LIMITS", "on")];

/// `POST /api/auth/password`; the jar takes any cookies the response sets.
async fn change_password(api: &Api, jar: &mut Jar, current: &str, new: &str) -> Response {
    let body = json!({ "current_password": current, "new_password": new });
    let response = api.post_json(PATH, jar, &body).await;
    jar.absorb(&response);
    response
}

#[tokio::test]
async fn a_password_change_ends_every_other_session_and_keeps_the_callers() {
    // Arrange: a second session whose access token was just accepted.
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let (other_jar, _) = app.new_session(&user).await;
    assert_status(&app.me(&other_jar).await, 200);
    let mut jar = user.jar.clone();

    // Act
    let response = change_password(&app, &mut jar, &user.password, NEW_PASSWORD).await;

    // Assert
    assert_status(&response, 204);
    let other_refresh = app.refresh(&mut other_jar.clone()).await;
    assert_error(&other_refresh, 401, "refresh_invalid");
    let other_me = app.wait_until_unauthenticated("/api/me", &other_jar).await;
    assert_error(&other_me, 401, "unauthenticated");
    let me = app.me(&jar).await;
    assert_status(&me, 200);
    let refresh = app.refresh(&mut jar).await;
    assert_status(&refresh, 200);
    assert_eq!(refresh.session_info().session_id, user.info.session_id, "the caller keeps its session");
    assert_status(&app.me(&jar).await, 200);
    let listing = app.sessions(&jar).await;
    assert_status(&listing, 200);
    let ids: Vec<String> = listing.json::<Vec<SessionView>>().into_iter().map(|session| session.id).collect();
    assert_eq!(ids, vec![user.info.session_id.clone()], "only the caller's session is left");
}

#[tokio::test]
async fn after_a_password_change_only_the_new_password_logs_in() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;

    // Act
    let response = change_password(&app, &mut user.jar.clone(), &user.password, NEW_PASSWORD).await;

    // Assert
    assert_status(&response, 204);
    let old = app.login(&mut Jar::default(), &user.email, &user.password).await;
    assert_error(&old, 401, "invalid_credentials");
    assert!(old.cookie(&app.access_cookie).is_none(), "a refused login sets no session");
    let new = app.login(&mut Jar::default(), &user.email, NEW_PASSWORD).await;
    assert_status(&new, 200);
    assert_eq!(new.session_info().user.id, user.info.user.id);
}

#[tokio::test]
async fn a_wrong_current_password_is_invalid_credentials_and_changes_nothing() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let (other_jar, other) = app.new_session(&user).await;
    let mut jar = user.jar.clone();

    // Act
    let response = change_password(&app, &mut jar, WRONG_PASSWORD, NEW_PASSWORD).await;

    // Assert
    assert_error(&response, 401, "invalid_credentials");
    assert_not_echoed(&response, NEW_PASSWORD);
    assert_not_echoed(&response, WRONG_PASSWORD);
    assert_status(&app.me(&jar).await, 200);
    let mut other_jar = other_jar.clone();
    let other_refresh = app.refresh(&mut other_jar).await;
    assert_status(&other_refresh, 200);
    assert_eq!(other_refresh.session_info().session_id, other.session_id);
    assert_status(&app.login(&mut Jar::default(), &user.email, &user.password).await, 200);
    let new = app.login(&mut Jar::default(), &user.email, NEW_PASSWORD).await;
    assert_error(&new, 401, "invalid_credentials");
}

#[tokio::test]
async fn a_new_password_outside_8_to_1024_characters_is_invalid_input_and_changes_nothing() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let (other_jar, _) = app.new_session(&user).await;
    let too_long = "x".repeat(1025);

    for new in ["short7!", "", too_long.as_str()] {
        // Act
        let response = change_password(&app, &mut user.jar.clone(), &user.password, new).await;

        // Assert
        assert_eq!(response.status.as_u16(), 422, "new password of {} chars: {}", new.len(), response.body);
        assert_invalid_field(&response, "new_password");
    }
    assert_status(&app.login(&mut Jar::default(), &user.email, &user.password).await, 200);
    assert_status(&app.refresh(&mut other_jar.clone()).await, 200);
    assert_status(&app.me(&user.jar).await, 200);
}

#[tokio::test]
async fn a_new_password_of_exactly_8_characters_is_accepted() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;

    // Act
    let response = change_password(&app, &mut user.jar.clone(), &user.password, "eight8ch").await;

    // Assert
    assert_status(&response, 204);
    assert_status(&app.login(&mut Jar::default(), &user.email, "eight8ch").await, 200);
}

#[tokio::test]
async fn a_password_change_needs_an_access_cookie() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let refresh_only = app.jar_with_refresh(&app.refresh_token(&user.jar));

    for jar in [Jar::default(), refresh_only] {
        // Act
        let response = change_password(&app, &mut jar.clone(), &user.password, NEW_PASSWORD).await;

        // Assert
        assert_error(&response, 401, "unauthenticated");
    }
    assert_status(&app.login(&mut Jar::default(), &user.email, &user.password).await, 200);
    assert_status(&app.me(&user.jar).await, 200);
}

#[tokio::test]
async fn the_eleventh_wrong_current_password_within_a_minute_is_rate_limited() {
    // Arrange
    let app = TestApp::spawn_with(LIMITS_ON).await;
    let user = app.new_user().await;
    let mut jar = user.jar.clone();
    for attempt in 0..10 {
        let response = change_password(&app, &mut jar, WRONG_PASSWORD, NEW_PASSWORD).await;
        assert_eq!(response.status.as_u16(), 401, "attempt {attempt}: {}", response.body);
        assert_error(&response, 401, "invalid_credentials");
    }

    // Act
    let limited = change_password(&app, &mut jar, WRONG_PASSWORD, NEW_PASSWORD).await;

    // Assert
    assert_rate_limited(&limited);
    assert_status(&app.me(&jar).await, 200);
}

#[tokio::test]
async fn get_on_the_password_path_is_method_not_allowed() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;

    // Act
    let response = app.get(PATH, &user.jar).await;

    // Assert
    assert_error(&response, 405, "method_not_allowed");
}

#[tokio::test]
async fn a_text_plain_password_change_is_unsupported_media_type_and_changes_nothing() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let body = json!({ "current_password": user.password, "new_password": NEW_PASSWORD }).to_string();
    let request = app.request(Method::POST, PATH, &user.jar).header(CONTENT_TYPE, "text/plain").body(body);

    // Act
    let response = app.send(request).await;

    // Assert
    assert_error(&response, 415, "unsupported_media_type");
    assert_not_echoed(&response, NEW_PASSWORD);
    assert_status(&app.login(&mut Jar::default(), &user.email, &user.password).await, 200);
    let new = app.login(&mut Jar::default(), &user.email, NEW_PASSWORD).await;
    assert_error(&new, 401, "invalid_credentials");
}

#[tokio::test]
async fn a_sign_in_checked_against_the_old_password_cannot_start_a_session_after_the_change() {
    // The race: a sign-in verifies the old password (tens of milliseconds
    // of Argon2), the password changes meanwhile, then the sign-in starts
    // its session. The store only starts a session while the hash is the
    // one that was checked, so the late session never exists.
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let db = server::db::Db::connect(app.database_url()).await.expect("the test database");
    let before = server::store::users::find_user_by_id(&db, &user.info.user.id).await.expect("read").expect("exists");
    let (mut jar, _) = app.new_session(&user).await;
    let change = json!({ "current_password": PASSWORD, "new_password": "a brand new password" });
    assert_status(&app.post_json("/api/auth/password", &jar, &change).await, 204);
    let _ = app.refresh(&mut jar).await;

    let late = server::store::sessions::NewSession {
        id: &uuid::Uuid::new_v4().to_string(),
        user_id: &before.id,
        now: now(),
        idle_expires_at: now() + 600,
        absolute_expires_at: now() + 600,
        user_agent: None,
        client_ip: None,
        password_hash: &before.password_hash,
        amr: "pwd",
    };
    let started = server::store::sessions::insert_session(&db, &late).await.expect("the insert runs");
    let current = server::store::users::find_user_by_id(&db, &before.id).await.expect("read").expect("exists");
    let fresh = server::store::sessions::NewSession {
        id: &uuid::Uuid::new_v4().to_string(),
        password_hash: &current.password_hash,
        amr: "pwd",
        ..late
    };
    let started_fresh = server::store::sessions::insert_session(&db, &fresh).await.expect("the insert runs");
    db.close().await;

    assert!(!started, "a session checked against the old hash must not start");
    assert!(started_fresh, "one checked against the current hash starts");
}
