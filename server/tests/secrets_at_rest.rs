//! `AUTH_SECRET_KEY_FILE`: the refresh MAC keys and the signing keys the
//! database keeps are sealed under it, so a read-only copy of the database
//! mints nothing; `server keys rotate-mac` replaces the MAC key without
//! signing anyone out.

mod common;

use std::path::Path;
use std::time::Duration;

use common::process::server_command;
use common::*;
use server::auth::refresh::{RefreshKey, RefreshToken};
use sqlx::Connection;
use tempfile::TempDir;

/// A key file of 64 hex digits in its own temp dir.
fn key_file() -> (TempDir, String) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("secret.key");
    let hex: String = (0..32).map(|_| format!("{:02x}", rand_byte())).collect();
    std::fs::write(&path, hex).expect("write the key file");
    let path = path.to_str().expect("UTF-8").to_owned();
    (dir, path)
}

fn rand_byte() -> u8 {
    uuid::Uuid::new_v4().as_bytes()[0]
}

/// Reads rows straight from the database, as a thief with a dump would.
async fn dump(database_url: &str, sql: &str) -> Vec<Vec<u8>> {
    let rows: Vec<(Vec<u8>,)> = if database_url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(database_url).await.expect("open the database");
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut conn).await.expect("read the dump")
    } else {
        let mut conn = sqlx::PgConnection::connect(database_url).await.expect("open the database");
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut conn).await.expect("read the dump")
    };
    rows.into_iter().map(|(value,)| value).collect()
}

/// Every refresh token the dump's MAC key material could mint for the
/// session's live generation: one per 32-byte window of the stored value.
fn forgeries(stored: &[u8], session_id: &str, generation: i64) -> Vec<String> {
    let session_id = uuid::Uuid::parse_str(session_id).expect("a session id");
    stored
        .windows(32)
        .filter_map(|window| RefreshKey::from_bytes(window).ok())
        .map(|key| RefreshToken { session_id, generation }.encode(&key))
        .collect()
}

#[tokio::test]
async fn a_copy_of_the_database_mints_no_refresh_token_when_secrets_are_sealed() {
    // Arrange
    let (_keys, key_path) = key_file();
    let app = TestApp::spawn_with(&[("AUTH_SECRET_KEY_FILE", &key_path)]).await;
    let user = app.new_user().await;

    // Act: the thief reads the MAC key and signing keys out of a dump.
    let macs = dump(app.database_url(), "SELECT value FROM server_secrets WHERE name = 'refresh_mac_key'").await;
    let privates = dump(app.database_url(), "SELECT private_der FROM signing_keys").await;

    // Assert: nothing in it mints a token, or parses as a signing key.
    assert_eq!(macs.len(), 1);
    for forged in forgeries(&macs[0], &user.info.session_id, 0) {
        let mut jar = app.jar_with_refresh(&forged);
        assert_error(&app.refresh(&mut jar).await, 401, "refresh_invalid");
    }
    for private in &privates {
        assert!(
            <ed25519_dalek::SigningKey as ed25519_dalek::pkcs8::DecodePrivateKey>::from_pkcs8_der(private).is_err(),
            "a signing key is stored in the clear"
        );
    }
    // …while the real token still works.
    let mut jar = user.jar.clone();
    assert_status(&app.refresh(&mut jar).await, 200);
}

#[tokio::test]
async fn secrets_kept_in_the_clear_are_sealed_at_start_and_sessions_survive() {
    // Arrange: a database made without a key, a session in it.
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let dir = app.stop().await;

    // Act: the operator adds the key.
    let (_keys, key_path) = key_file();
    let app = TestApp::spawn_in(dir, &[("AUTH_SECRET_KEY_FILE", &key_path)]).await;

    // Assert
    let mut jar = user.jar.clone();
    assert_status(&app.refresh(&mut jar).await, 200);
    assert_status(&app.me(&user.jar).await, 200);
    let macs = dump(app.database_url(), "SELECT value FROM server_secrets").await;
    assert!(macs.iter().all(|value| value.starts_with(b"sealed1:")), "every secret is sealed now");
    let app = app.restart().await;
    assert_status(&app.refresh(&mut jar).await, 200);
}

#[tokio::test]
async fn a_sealed_database_without_its_key_refuses_to_start_with_exit_2() {
    // Arrange
    let (_keys, key_path) = key_file();
    let app = TestApp::spawn_with(&[("AUTH_SECRET_KEY_FILE", &key_path)]).await;
    let database_url = app.database_url().to_owned();
    let _dir = app.stop().await;

    // Act: no key, then a wrong one.
    let (_other, wrong_path) = key_file();
    let without = run_server(&database_url, &[]).await;
    let wrong = run_server(&database_url, &[("AUTH_SECRET_KEY_FILE", &wrong_path)]).await;

    // Assert
    for (code, stderr) in [without, wrong] {
        assert_eq!(code, Some(2), "{stderr}");
        assert!(stderr.contains("AUTH_SECRET_KEY_FILE"), "{stderr}");
    }
}

async fn run_server(database_url: &str, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let cwd = tempfile::tempdir().expect("a temp dir");
    let mut command = tokio::process::Command::from(server_command(cwd.path()));
    command.env("DATABASE_URL", database_url).env("LEPTOS_SITE_ADDR", "127.0.0.1:0").kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("the server exits instead of serving")
        .expect("run the server binary");
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

async fn rotate_mac(database_url: &str, key_path: &str, cwd: &Path) {
    let output = tokio::process::Command::from(server_command(cwd))
        .args(["keys", "rotate-mac"])
        .env("DATABASE_URL", database_url)
        .env("AUTH_SECRET_KEY_FILE", key_path)
        .output()
        .await
        .expect("run keys rotate-mac");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout} {}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("refresh until 20"), "says until when, as a date: {stdout}");
}

#[tokio::test]
async fn rotating_the_mac_key_signs_nobody_out_and_retires_the_old_key_after_one_more_rotation() {
    // Arrange
    let (keys, key_path) = key_file();
    let app = TestApp::spawn_with(&[("AUTH_SECRET_KEY_FILE", &key_path)]).await;
    let user = app.new_user().await;
    let url = app.database_url().to_owned();

    // Act 1: rotate; a restarted server knows only the new key as current.
    rotate_mac(&url, &key_path, keys.path()).await;
    let app = app.restart().await;
    let under_first = user.jar.clone();
    let mut jar = user.jar.clone();
    let refreshed = app.refresh(&mut jar).await;

    // Assert 1: the token under the old key still refreshes, once.
    assert_status(&refreshed, 200);

    // Act 2: rotate again; the first key is gone, the second still verifies.
    rotate_mac(&url, &key_path, keys.path()).await;
    let app = app.restart().await;
    let second = app.refresh(&mut jar).await;
    let mut first_again = under_first.clone();
    let replay = app.refresh(&mut first_again).await;

    // Assert 2
    assert_status(&second, 200);
    assert_error(&replay, 401, "refresh_invalid");
    assert_status(&app.refresh(&mut jar).await, 200);
}

#[tokio::test]
async fn a_running_server_picks_up_a_rotated_mac_key_when_it_meets_a_token_under_it() {
    // Arrange: two instances; B rotates (through the same code as the CLI).
    let a = TestApp::spawn().await;
    let user = a.new_user().await;
    let url = a.database_url().to_owned();
    let cwd = tempfile::tempdir().expect("a temp dir");
    let output = tokio::process::Command::from(server_command(cwd.path()))
        .args(["keys", "rotate-mac"])
        .env("DATABASE_URL", &url)
        .output()
        .await
        .expect("run keys rotate-mac");
    assert_eq!(output.status.code(), Some(0));
    let b = a.spawn_sibling().await;

    // Act: B issues a token under the new key; A has not reloaded yet.
    let mut jar = user.jar.clone();
    assert_status(&b.refresh(&mut jar).await, 200);
    let on_a = a.refresh(&mut jar).await;

    // Assert: A reloads on the unknown MAC and rotates.
    assert_status(&on_a, 200);
}
