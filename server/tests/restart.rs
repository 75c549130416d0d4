//! A restarted server on the same database (the SQLite file, or the
//! PostgreSQL database with `TEST_DATABASE_URL`) keeps sessions,
//! revocations and its generated signing keys.

mod common;

use common::*;

#[tokio::test]
async fn a_restarted_server_keeps_sessions_and_signing_keys() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let kids_before = app.kids().await;

    // Act
    let app = app.restart().await;

    // Assert
    assert_eq!(app.kids().await, kids_before, "the signing keys survive the restart");
    let me = app.me(&user.jar).await;
    assert_status(&me, 200);
    let session = app.session(&user.jar).await;
    assert_status(&session, 200);
    assert_eq!(session.session_info().session_id, user.info.session_id);
    let mut jar = user.jar.clone();
    let refresh = app.refresh(&mut jar).await;
    assert_status(&refresh, 200);
    assert_eq!(refresh.session_info().session_id, user.info.session_id);
    assert_status(&app.me(&jar).await, 200);
}

#[tokio::test]
async fn a_server_started_on_a_handed_over_database_dir_sees_its_users() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let dir = app.stop().await;

    // Act
    let app = TestApp::spawn_in(dir, &[]).await;

    // Assert
    let login = app.login(&mut Jar::default(), &user.email, PASSWORD).await;
    assert_status(&login, 200);
    assert_eq!(login.session_info().user, user.info.user);
    let again = app.register(&mut Jar::default(), &user.email, PASSWORD).await;
    assert_error(&again, 409, "email_taken");
}

#[tokio::test]
async fn a_session_logged_out_before_a_restart_stays_revoked() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let logout = app.logout(&mut user.jar.clone()).await;
    assert_status(&logout, 204);

    // Act
    let app = app.restart().await;

    // Assert
    let refresh = app.refresh(&mut user.jar.clone()).await;
    assert_status(&refresh, 401);
    let me = app.wait_until_unauthenticated("/api/me", &user.jar).await;
    assert_error(&me, 401, "unauthenticated");
}
