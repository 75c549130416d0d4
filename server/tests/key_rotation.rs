//! Signing-key rotation with the real CLI (`server keys rotate`, `server keys
//! list`) against the database of running servers: the new key becomes
//! current, running instances pick it up (every 10 s, or at once when a
//! token names a kid they do not know), the old key keeps verifying the
//! tokens it signed, across a restart too, and a server configured with
//! `AUTH_SIGNING_KEY_FILE` refuses to rotate (exit 2).

mod common;

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::process::server_command;
use common::*;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use serde_json::Value;

/// Running instances reload keys every 10 s; this allows for a slow machine.
const RELOAD_WAIT: Duration = Duration::from_secs(15);
const POLL: Duration = Duration::from_millis(250);

/// What one run of the CLI did.
struct Cli {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs the `server` binary with `args` against `database_url`, with only
/// the environment given here (no outside AUTH_* and a cwd without `.env`).
async fn server_cli(database_url: &str, extra_env: &[(&str, &str)], args: &[&str]) -> Cli {
    let cwd = tempfile::tempdir().expect("a temp dir for the CLI");
    let mut command = tokio::process::Command::from(server_command(cwd.path()));
    command
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("AUTH_RATE_LIMITS", "off")
        .kill_on_drop(true);
    for (name, value) in extra_env {
        command.env(name, value);
    }
    let output = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .unwrap_or_else(|_| panic!("`server {}` did not finish within 60 s", args.join(" ")))
        .expect("run the server binary");
    Cli {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[track_caller]
fn assert_exit(cli: &Cli, code: i32) {
    assert_eq!(cli.code, Some(code), "unexpected exit status\nstdout:\n{}\nstderr:\n{}", cli.stdout, cli.stderr);
}

async fn rotate(app: &TestApp) {
    let cli = server_cli(app.database_url(), &[], &["keys", "rotate"]).await;
    assert_exit(&cli, 0);
}

/// The `kid` in a JWT's header.
fn kid_of(token: &str) -> String {
    let header = token.split('.').next().expect("a JWT header segment");
    let bytes = URL_SAFE_NO_PAD.decode(header).expect("a base64url JWT header");
    let header: Value = serde_json::from_slice(&bytes).expect("a JSON JWT header");
    header["kid"].as_str().unwrap_or_else(|| panic!("the header names a kid: {header}")).to_owned()
}

/// The only kid `api` publishes.
async fn only_kid(api: &Api) -> String {
    let kids = api.kids().await;
    assert_eq!(kids.len(), 1, "one signing key before any rotation: {kids:?}");
    kids[0].clone()
}

fn sorted(mut kids: Vec<String>) -> Vec<String> {
    kids.sort();
    kids
}

/// Polls the JWKS until it lists `count` kids, for at most [`RELOAD_WAIT`];
/// returns the last listing.
async fn wait_for_kids(api: &Api, count: usize) -> Vec<String> {
    let deadline = Instant::now() + RELOAD_WAIT;
    loop {
        let kids = api.kids().await;
        if kids.len() == count || Instant::now() >= deadline {
            return kids;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Refreshes `jar` until the new access token is signed by another key than
/// `old_kid`, for at most [`RELOAD_WAIT`]; returns the last token's kid.
async fn wait_for_signing_kid_other_than(api: &Api, jar: &mut Jar, old_kid: &str) -> String {
    let deadline = Instant::now() + RELOAD_WAIT;
    loop {
        assert_status(&api.refresh(jar).await, 200);
        let kid = kid_of(&api.access_token(jar));
        if kid != old_kid || Instant::now() >= deadline {
            return kid;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The line of `text` that mentions `kid`.
fn line_with<'a>(text: &'a str, kid: &str) -> &'a str {
    let lines: Vec<&str> = text.lines().filter(|line| line.contains(kid)).collect();
    assert_eq!(lines.len(), 1, "one line names {kid}:\n{text}");
    lines[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_keys_rotate_a_running_instance_publishes_both_keys_and_signs_with_the_new_one() {
    // Arrange: T1 is signed with the only key, K1.
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let k1 = only_kid(&app).await;
    assert_eq!(kid_of(&app.access_token(&user.jar)), k1);
    let (mut probe, _) = app.new_session(&user).await;

    // Act
    rotate(&app).await;

    // Assert: within the reload interval the JWKS lists K1 and a new K2 ...
    let kids = wait_for_kids(&app, 2).await;
    assert_eq!(kids.len(), 2, "the old and the new key are published: {kids:?}");
    assert!(kids.contains(&k1), "the old key is still published: {kids:?}");
    let k2 = kids.iter().find(|kid| **kid != k1).expect("a new kid").clone();
    // ... K2 signs ...
    assert_eq!(wait_for_signing_kid_other_than(&app, &mut probe, &k1).await, k2);
    let (jar, _) = app.new_session(&user).await;
    assert_eq!(kid_of(&app.access_token(&jar)), k2, "a new login is signed with the new key");
    assert_status(&app.me(&jar).await, 200);
    // ... and T1 still verifies.
    assert_status(&app.me(&user.jar).await, 200);
    let mut old = user.jar.clone();
    assert_status(&app.refresh(&mut old).await, 200);
    assert_eq!(kid_of(&app.access_token(&old)), k2, "a refresh is signed with the new key");
}

/// How often the setup of a test that needs an instance behind a rotation
/// is tried: once, and up to 3 more times with fresh servers.
const SETUP_ATTEMPTS: usize = 4;

/// A rotation that B has not picked up: A and B run from before it, and B
/// has just verified a K1 token; C starts after it, so it signs with K2 from
/// the start and holds a session (`jar`) whose token names K2.
struct BehindTheRotation {
    b: TestApp,
    _c: TestApp,
    user: User,
    k1: String,
    /// C's kids, sorted: K1 and K2.
    c_kids: Vec<String>,
    jar: Jar,
    /// Kept running, and dropped last: its temp dir holds the database B
    /// and C use.
    _a: TestApp,
}

async fn b_behind_a_rotation() -> BehindTheRotation {
    let a = TestApp::spawn().await;
    let b = a.spawn_sibling().await;
    let user = a.new_user().await;
    let k1 = only_kid(&b).await;
    assert_status(&b.me(&user.jar).await, 200);
    rotate(&a).await;
    // Unknown-kid reloads happen at most once a second: make sure a reload
    // B did before the rotation cannot be the reason to refuse.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let c = a.spawn_sibling().await;
    let c_kids = sorted(c.kids().await);
    assert_eq!(c_kids.len(), 2, "an instance started after the rotation knows both keys: {c_kids:?}");
    let (jar, _) = c.new_session(&user).await;
    let k2 = kid_of(&c.access_token(&jar));
    assert_ne!(k2, k1, "C signs with the new key");
    BehindTheRotation { b, _c: c, user, k1, c_kids, jar, _a: a }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_that_has_not_reloaded_yet_verifies_a_token_of_the_new_key_at_once() {
    // Arrange: B must still know only K1 when the K2 token arrives. It
    // reloads every 10 s on its own, and a slow setup can cross that tick;
    // then the Act step would prove nothing, so the setup starts over with
    // fresh servers.
    let mut attempt = 1;
    let setup = loop {
        let setup = b_behind_a_rotation().await;
        let b_kids = setup.b.kids().await;
        if b_kids == [setup.k1.clone()] {
            break setup;
        }
        assert!(
            attempt < SETUP_ATTEMPTS,
            "B reloaded the keys on its own (every 10 s) before the check in each of {SETUP_ATTEMPTS} setups, \
             so no instance was ever behind the rotation; B lists {b_kids:?}"
        );
        attempt += 1;
    };
    let (b, jar) = (&setup.b, &setup.jar);

    // Act
    let me = b.me(jar).await;

    // Assert: B looked the unknown kid up instead of refusing it.
    assert_status(&me, 200);
    assert_eq!(sorted(b.kids().await), setup.c_kids, "B now publishes both keys");
    assert_status(&b.me(&setup.user.jar).await, 200);
    assert_status(&b.session(jar).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_list_names_every_key_and_marks_the_new_one_current() {
    // Arrange
    let app = TestApp::spawn().await;
    let k1 = only_kid(&app).await;
    let before = server_cli(app.database_url(), &[], &["keys", "list"]).await;
    assert_exit(&before, 0);
    assert!(line_with(&before.stdout, &k1).contains("current"), "K1 is current before:\n{}", before.stdout);
    rotate(&app).await;
    let fresh = app.spawn_sibling().await;
    let kids = fresh.kids().await;
    let k2 = kids.iter().find(|kid| **kid != k1).unwrap_or_else(|| panic!("a new kid: {kids:?}")).clone();
    let rotated_at = now();

    // Act
    let after = server_cli(app.database_url(), &[], &["keys", "list"]).await;

    // Assert
    assert_exit(&after, 0);
    let new_line = line_with(&after.stdout, &k2);
    let old_line = line_with(&after.stdout, &k1);
    assert!(new_line.contains("current"), "K2 is current:\n{}", after.stdout);
    assert!(!old_line.contains("current"), "K1 is no longer current:\n{}", after.stdout);
    let (_, until) = old_line
        .split_once("verifying until")
        .unwrap_or_else(|| panic!("K1 keeps verifying for a while:\n{}", after.stdout));
    let until: i64 = until
        .split_whitespace()
        .next()
        .and_then(|date| time::OffsetDateTime::parse(date, &time::format_description::well_known::Rfc3339).ok())
        .map(|date| date.unix_timestamp())
        .unwrap_or_else(|| panic!("a UTC time after `verifying until`: {old_line}"));
    let most = rotated_at + DEFAULT_ACCESS_TTL + 10 + 10 + 60;
    assert!(until > rotated_at && until <= most, "K1 verifies until {until} (rotated at about {rotated_at})");
}

#[tokio::test]
async fn keys_rotate_refuses_with_exit_2_when_the_key_comes_from_a_file() {
    // Arrange
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let pem = key.to_pkcs8_pem(Default::default()).expect("encode the key as PKCS#8 PEM");
    let key_dir = tempfile::tempdir().expect("a temp dir for the key");
    let key_path = key_dir.path().join("signing-key.pem");
    std::fs::write(&key_path, pem.as_bytes()).expect("write the key file");
    let key_path = key_path.to_str().expect("a UTF-8 temp path").to_owned();
    let key_file = [("AUTH_SIGNING_KEY_FILE", key_path.as_str())];
    let app = TestApp::spawn_with(&key_file).await;
    let user = app.new_user().await;
    let kids = app.kids().await;

    // Act
    let cli = server_cli(app.database_url(), &key_file, &["keys", "rotate"]).await;

    // Assert
    assert_exit(&cli, 2);
    assert!(cli.stderr.to_ascii_lowercase().contains("file"), "the message names the key file:\n{}", cli.stderr);
    assert_eq!(app.kids().await, kids);
    let sibling = app.spawn_sibling().await;
    assert_eq!(sibling.kids().await, kids, "nothing was rotated in the database either");
    assert_status(&app.me(&user.jar).await, 200);
    let (jar, _) = sibling.new_session(&user).await;
    let kid = kid_of(&sibling.access_token(&jar));
    assert_eq!(kid, kid_of(&app.access_token(&user.jar)), "the file's key still signs");
    assert!(kids.contains(&kid), "{kids:?}");
}

#[tokio::test]
async fn a_restart_after_a_rotation_keeps_both_keys_and_the_old_tokens() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let k1 = only_kid(&app).await;
    rotate(&app).await;

    // Act
    let app = app.restart().await;

    // Assert
    let kids = app.kids().await;
    assert_eq!(kids.len(), 2, "both keys survive the restart: {kids:?}");
    assert!(kids.contains(&k1), "{kids:?}");
    let k2 = kids.iter().find(|kid| **kid != k1).expect("a new kid").clone();
    assert_status(&app.me(&user.jar).await, 200);
    let (jar, _) = app.new_session(&user).await;
    assert_eq!(kid_of(&app.access_token(&jar)), k2, "the new key signs after the restart");
    assert_status(&app.me(&jar).await, 200);
}

#[tokio::test]
async fn a_rotation_is_in_the_audit_log() {
    // Arrange
    let (app, admin) = TestApp::spawn_with_admin(&[]).await;

    // Act
    rotate(&app).await;

    // Assert
    let response = app.get("/api/admin/events?kind=key_rotated", &admin.jar).await;
    assert_status(&response, 200);
    let events: Vec<Value> = response.json();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["kind"], "key_rotated");
    assert!(events[0]["ip"].is_null(), "a CLI event has no caller address: {}", events[0]);
}
