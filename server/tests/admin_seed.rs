//! `AUTH_ADMIN_EMAIL` / `AUTH_ADMIN_PASSWORD`: the seeded admin. Registering
//! proves no ownership of an email, so an account that already exists under
//! that email becomes admin only when the configured password is its own;
//! otherwise the server refuses to start (exit 2, naming the variable).

mod common;

use std::time::Duration;

use common::process::server_command;
use common::*;

const OPS_EMAIL: &str = "ops@example.com";
const OPERATOR_PASSWORD: &str = "the operator's password";
const SQUATTER_PASSWORD: &str = "registered it first";

async fn roles_after_login(app: &TestApp, email: &str, password: &str) -> Vec<String> {
    let response = app.login(&mut Jar::default(), email, password).await;
    assert_status(&response, 200);
    response.session_info().user.roles
}

#[tokio::test]
async fn an_account_squatting_the_admin_email_is_not_made_admin_and_the_server_refuses_to_start() {
    // Arrange: someone registers the address before the operator sets it.
    let app = TestApp::spawn().await;
    assert_status(&app.register(&mut Jar::default(), OPS_EMAIL, SQUATTER_PASSWORD).await, 201);
    let database_url = app.database_url().to_owned();
    let dir = app.stop().await;

    // Act: the operator configures that address with their own password.
    let cwd = tempfile::tempdir().expect("a temp dir");
    let mut command = tokio::process::Command::from(server_command(cwd.path()));
    command
        .env("DATABASE_URL", &database_url)
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("AUTH_ADMIN_EMAIL", OPS_EMAIL)
        .env("AUTH_ADMIN_PASSWORD", OPERATOR_PASSWORD)
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("the server exits instead of serving")
        .expect("run the server binary");

    // Assert: exit 2, the variable named, and the squatter is no admin.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("AUTH_ADMIN_PASSWORD"), "the message names the variable: {stderr}");
    let app = TestApp::spawn_in(dir, &[]).await;
    assert_eq!(roles_after_login(&app, OPS_EMAIL, SQUATTER_PASSWORD).await, vec!["user".to_owned()]);
}

#[tokio::test]
async fn an_existing_account_whose_password_is_the_configured_one_gains_the_admin_role() {
    // Arrange: the operator registered the address themself.
    let app = TestApp::spawn().await;
    assert_status(&app.register(&mut Jar::default(), OPS_EMAIL, OPERATOR_PASSWORD).await, 201);
    let dir = app.stop().await;

    // Act
    let app =
        TestApp::spawn_in(dir, &[("AUTH_ADMIN_EMAIL", OPS_EMAIL), ("AUTH_ADMIN_PASSWORD", OPERATOR_PASSWORD)]).await;

    // Assert
    let roles = roles_after_login(&app, OPS_EMAIL, OPERATOR_PASSWORD).await;
    assert!(roles.iter().any(|r| r == "admin"), "{roles:?}");
}
