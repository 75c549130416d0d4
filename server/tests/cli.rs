//! The `server` binary's subcommands, run as an operator would (the real
//! executable, configured only by environment variables) against a temp
//! database: `migrate`, `user create`, `user set-role`, `sessions revoke`,
//! `keys rotate` / `keys list` and `--help`. Their effects are checked
//! through a server started on the same database. Exit codes: 0 success,
//! 2 bad input (with a message on stderr).

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use app::types::{SessionInfo, UserView};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::process::server_command;
use common::*;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use serde_json::Value;
use tempfile::TempDir;
use tokio::io::AsyncWriteExt;

const EMAIL: &str = "a@example.com";
/// Every subcommand, as `server --help` and its sub-helps must name them.
const TOP_LEVEL_SUBCOMMANDS: &[&str] = &["serve", "migrate", "user", "sessions", "keys"];
/// The contract's environment variables (`--help` lists them all, and
/// every one of `server::config::VARIABLES`).
const ENV_VARS: &[&str] = &[
    "DATABASE_URL",
    "LEPTOS_SITE_ADDR",
    "AUTH_PUBLIC_ORIGIN",
    "AUTH_ALLOWED_ORIGINS",
    "AUTH_ACCESS_TTL_SECS",
    "AUTH_REFRESH_IDLE_SECS",
    "AUTH_SESSION_MAX_SECS",
    "AUTH_REUSE_GRACE_SECS",
    "AUTH_REFRESH_LEAD_SECS",
    "AUTH_ISSUER",
    "AUTH_AUDIENCE",
    "AUTH_SIGNING_KEY_FILE",
    "AUTH_COOKIE_SECURE",
    "AUTH_ACCESS_COOKIE",
    "AUTH_REFRESH_COOKIE",
    "AUTH_RATE_LIMITS",
    "AUTH_TRUSTED_PROXIES",
    "AUTH_ADMIN_EMAIL",
    "AUTH_ADMIN_PASSWORD",
    "AUTH_TLS_CERT",
    "AUTH_TLS_KEY",
    "AUTH_METRICS",
    "LEPTOS_SITE_ROOT",
    "LEPTOS_SITE_PKG_DIR",
    "LEPTOS_OUTPUT_NAME",
    "RUST_LOG",
    "LOG_FORMAT",
];

// ---------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------

/// What one run of the binary did.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    #[track_caller]
    fn assert_code(&self, expected: i32) {
        assert_eq!(
            self.code,
            Some(expected),
            "unexpected exit code\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout,
            self.stderr
        );
    }

    /// Asserts exit code 2 and a message on stderr.
    #[track_caller]
    fn assert_bad_input(&self) {
        self.assert_code(2);
        assert!(!self.stderr.trim().is_empty(), "exit 2 without a message on stderr; stdout: {}", self.stdout);
    }
}

/// Runs the server binary with `args`, only the given environment (plus
/// PATH, `RUST_LOG=warn`, `NO_COLOR`), in `cwd` (no `.env` there), feeding
/// `stdin` when given. Waits at most 60 s.
async fn run_binary(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>, cwd: &Path) -> Run {
    let mut command = tokio::process::Command::from(server_command(cwd));
    command
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("start the server binary");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("a stdin pipe");
        // The binary may exit before reading (bad input found first): a
        // broken pipe is not the test's failure.
        let _ = pipe.write_all(input.as_bytes()).await;
        drop(pipe);
    }
    let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("`server {}` did not exit within 60 s", args.join(" ")))
        .expect("wait for the server binary");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The CLI pointed at one database.
struct Cli {
    database_url: String,
    /// The working directory: empty, so no `.env` is read.
    cwd: TempDir,
}

impl Cli {
    fn new(database_url: &str) -> Cli {
        Cli { database_url: database_url.to_owned(), cwd: tempfile::tempdir().expect("a temp dir for the cwd") }
    }

    async fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, &[], None).await
    }

    async fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        self.run_with(args, &[], Some(stdin)).await
    }

    async fn run_with(&self, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Run {
        let mut vars = vec![("DATABASE_URL", self.database_url.as_str())];
        vars.extend_from_slice(env);
        run_binary(args, &vars, stdin, self.cwd.path()).await
    }

    /// `server user create EMAIL [--admin]` with `password` on stdin; asserts exit 0.
    async fn create_user(&self, email: &str, password: &str, admin: bool) -> Run {
        let mut args = vec!["user", "create", email];
        if admin {
            args.push("--admin");
        }
        let run = self.run_with_stdin(&args, &format!("{password}\n")).await;
        run.assert_code(0);
        run
    }
}

/// A fresh database, already migrated by `server migrate`, and the dir a
/// TestApp must be spawned in to use it.
async fn migrated_database() -> (TempDir, Cli) {
    let dir = tempfile::tempdir().expect("a temp dir for the database");
    let cli = Cli::new(&database_url_for(dir.path()).await);
    cli.run(&["migrate"]).await.assert_code(0);
    (dir, cli)
}

/// A server on the CLI's database; asserts that it is the same database.
async fn app_on(dir: TempDir, cli: &Cli) -> TestApp {
    let app = TestApp::spawn_in(dir, &[]).await;
    assert_eq!(app.database_url(), cli.database_url, "the server and the CLI share the database");
    app
}

/// Logs in with a fresh jar; asserts 200.
async fn login(app: &TestApp, email: &str, password: &str) -> (Jar, SessionInfo) {
    let mut jar = Jar::default();
    let response = app.login(&mut jar, email, password).await;
    assert_status(&response, 200);
    (jar, response.session_info())
}

/// `GET /api/me`'s roles, sorted; asserts 200.
async fn my_roles(app: &TestApp, jar: &Jar) -> Vec<String> {
    let me = app.me(jar).await;
    assert_status(&me, 200);
    sorted(&me.json::<UserView>().roles)
}

fn sorted(roles: &[String]) -> Vec<String> {
    let mut roles = roles.to_vec();
    roles.sort();
    roles
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

/// The `kid` in a JWT's header (read without verification).
fn token_kid(token: &str) -> String {
    let header = token.split('.').next().expect("a JWT header");
    let bytes = URL_SAFE_NO_PAD.decode(header).expect("base64url header");
    let header: Value = serde_json::from_slice(&bytes).expect("JSON header");
    header["kid"].as_str().expect("the header has a kid").to_owned()
}

/// True when `text` has `number` as a word of its own (not inside an id or
/// an email).
fn says_number(text: &str, number: u32) -> bool {
    let number = number.to_string();
    text.split(|c: char| c.is_whitespace() || "=:,;()[]{}\"'".contains(c))
        .map(|word| word.trim_matches('.'))
        .any(|word| word == number)
}

/// The lines of `keys list` output that name `kid`: in full, or by a
/// prefix of at least 6 characters (a listing may shorten it as `0g9Xa1…`).
fn lines_naming<'a>(output: &'a str, kid: &str) -> Vec<&'a str> {
    let names = |word: &str| {
        let stem = word.trim_end_matches(['…', '.']);
        word == kid || (stem.len() >= 6 && kid.starts_with(stem))
    };
    output.lines().filter(|line| line.split_whitespace().any(names)).collect()
}

// ---------------------------------------------------------------------------
// migrate
// ---------------------------------------------------------------------------

#[tokio::test]
async fn migrate_exits_0_and_running_it_again_is_harmless() {
    // Arrange
    let dir = tempfile::tempdir().expect("a temp dir for the database");
    let cli = Cli::new(&database_url_for(dir.path()).await);

    // Act
    let first = cli.run(&["migrate"]).await;
    let second = cli.run(&["migrate"]).await;

    // Assert
    first.assert_code(0);
    second.assert_code(0);
    let app = app_on(dir, &cli).await;
    let user = app.new_user().await;
    assert_status(&app.me(&user.jar).await, 200);
}

// ---------------------------------------------------------------------------
// user create
// ---------------------------------------------------------------------------

#[tokio::test]
async fn user_create_makes_an_account_that_logs_in_with_the_role_user() {
    // Arrange
    let (dir, cli) = migrated_database().await;

    // Act
    let run = cli.create_user(EMAIL, PASSWORD, false).await;

    // Assert
    for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        assert!(!text.contains(PASSWORD), "user create writes the password to {stream}");
    }
    let app = app_on(dir, &cli).await;
    let (jar, info) = login(&app, EMAIL, PASSWORD).await;
    assert_eq!(info.user.email, EMAIL);
    assert_eq!(sorted(&info.user.roles), strings(&["user"]));
    assert_eq!(my_roles(&app, &jar).await, strings(&["user"]));
    let admin_only = app.get("/api/admin/users", &jar).await;
    assert_error(&admin_only, 403, "forbidden");
}

#[tokio::test]
async fn user_create_with_admin_gives_the_roles_user_and_admin() {
    // Arrange
    let (dir, cli) = migrated_database().await;

    // Act
    cli.create_user(EMAIL, PASSWORD, true).await;

    // Assert
    let app = app_on(dir, &cli).await;
    let (jar, _) = login(&app, EMAIL, PASSWORD).await;
    assert_eq!(my_roles(&app, &jar).await, strings(&["admin", "user"]));
    assert_status(&app.get("/api/admin/users", &jar).await, 200);
}

#[tokio::test]
async fn user_create_of_an_existing_email_exits_2_and_keeps_the_first_password() {
    // Arrange
    let (dir, cli) = migrated_database().await;
    cli.create_user(EMAIL, PASSWORD, false).await;
    let other_password = "another password entirely";

    // Act
    let again = cli.run_with_stdin(&["user", "create", EMAIL], &format!("{other_password}\n")).await;

    // Assert
    again.assert_bad_input();
    assert!(!again.stderr.contains(other_password), "the error echoes the password: {}", again.stderr);
    let app = app_on(dir, &cli).await;
    login(&app, EMAIL, PASSWORD).await;
    let refused = app.login(&mut Jar::default(), EMAIL, other_password).await;
    assert_error(&refused, 401, "invalid_credentials");
}

#[tokio::test]
async fn user_create_refuses_an_invalid_email_with_exit_2() {
    // Arrange
    let (_dir, cli) = migrated_database().await;

    // Act
    let run = cli.run_with_stdin(&["user", "create", "not-an-email"], &format!("{PASSWORD}\n")).await;

    // Assert
    run.assert_bad_input();
}

#[tokio::test]
async fn user_create_refuses_a_too_short_password_with_exit_2_and_makes_no_account() {
    // Arrange
    let (dir, cli) = migrated_database().await;
    let short = "Sh0rt!";

    // Act
    let run = cli.run_with_stdin(&["user", "create", EMAIL], &format!("{short}\n")).await;

    // Assert
    run.assert_bad_input();
    assert!(!run.stderr.contains(short), "the error echoes the password: {}", run.stderr);
    let app = app_on(dir, &cli).await;
    let register = app.register(&mut Jar::default(), EMAIL, PASSWORD).await;
    assert_status(&register, 201);
}

#[tokio::test]
async fn user_create_with_nothing_on_stdin_exits_2() {
    // Arrange
    let (_dir, cli) = migrated_database().await;

    // Act
    let run = cli.run_with_stdin(&["user", "create", EMAIL], "").await;

    // Assert
    run.assert_bad_input();
}

// ---------------------------------------------------------------------------
// user set-role
// ---------------------------------------------------------------------------

#[tokio::test]
async fn user_set_role_sets_exactly_those_roles_and_a_fresh_login_shows_them() {
    // Arrange: two admins (the last one cannot lose the role).
    let (dir, cli) = migrated_database().await;
    cli.create_user(EMAIL, PASSWORD, true).await;
    cli.create_user("other-admin@example.com", PASSWORD, true).await;

    // Act
    let run = cli.run(&["user", "set-role", EMAIL, "user", "editor"]).await;

    // Assert
    run.assert_code(0);
    let app = app_on(dir, &cli).await;
    let (jar, info) = login(&app, EMAIL, PASSWORD).await;
    assert_eq!(sorted(&info.user.roles), strings(&["editor", "user"]));
    assert_eq!(my_roles(&app, &jar).await, strings(&["editor", "user"]));
}

#[tokio::test]
async fn user_set_role_on_a_running_server_refuses_the_old_access_token_and_a_refresh_carries_the_new_roles() {
    // Arrange: an admin signed in on a running server (and another admin,
    // since the last one cannot lose the role).
    let (dir, cli) = migrated_database().await;
    cli.create_user(EMAIL, PASSWORD, true).await;
    cli.create_user("other-admin@example.com", PASSWORD, true).await;
    let app = app_on(dir, &cli).await;
    let (mut jar, _) = login(&app, EMAIL, PASSWORD).await;
    assert_status(&app.get("/api/admin/users", &jar).await, 200);

    // Act: demoted from the command line while the server runs.
    cli.run(&["user", "set-role", EMAIL, "user"]).await.assert_code(0);

    // Assert
    let stale = app.wait_until_unauthenticated("/api/admin/users", &jar).await;
    assert_error(&stale, 401, "unauthenticated");
    let refresh = app.refresh(&mut jar).await;
    assert_status(&refresh, 200);
    assert_eq!(sorted(&refresh.session_info().user.roles), strings(&["user"]));
    assert_eq!(my_roles(&app, &jar).await, strings(&["user"]));
    assert_error(&app.get("/api/admin/users", &jar).await, 403, "forbidden");
}

#[tokio::test]
async fn user_set_role_refuses_to_demote_the_last_admin_with_exit_2() {
    // Arrange: one admin.
    let (dir, cli) = migrated_database().await;
    cli.create_user(EMAIL, PASSWORD, true).await;

    // Act
    let run = cli.run(&["user", "set-role", EMAIL, "user"]).await;

    // Assert: refused, said why, and the account is still admin.
    run.assert_bad_input();
    assert!(run.stderr.contains("last admin"), "{}", run.stderr);
    let app = app_on(dir, &cli).await;
    let (_, info) = login(&app, EMAIL, PASSWORD).await;
    assert_eq!(sorted(&info.user.roles), strings(&["admin", "user"]));
}

#[tokio::test]
async fn user_set_role_for_an_unknown_email_exits_2() {
    // Arrange
    let (_dir, cli) = migrated_database().await;

    // Act
    let run = cli.run(&["user", "set-role", "nobody@example.com", "user"]).await;

    // Assert
    run.assert_bad_input();
}

#[tokio::test]
async fn user_set_role_refuses_a_bad_role_name_with_exit_2_and_changes_nothing() {
    // Arrange
    let (dir, cli) = migrated_database().await;
    cli.create_user(EMAIL, PASSWORD, false).await;

    // Act
    let unknown_user = cli.run(&["user", "set-role", "x", "Bad!"]).await;
    let known_user = cli.run(&["user", "set-role", EMAIL, "Bad!"]).await;
    let mixed = cli.run(&["user", "set-role", EMAIL, "user", "Bad!"]).await;

    // Assert
    unknown_user.assert_bad_input();
    known_user.assert_bad_input();
    mixed.assert_bad_input();
    let app = app_on(dir, &cli).await;
    let (jar, _) = login(&app, EMAIL, PASSWORD).await;
    assert_eq!(my_roles(&app, &jar).await, strings(&["user"]));
}

#[tokio::test]
async fn user_set_role_with_no_roles_exits_2() {
    // Arrange
    let (_dir, cli) = migrated_database().await;
    cli.create_user(EMAIL, PASSWORD, false).await;

    // Act
    let run = cli.run(&["user", "set-role", EMAIL]).await;

    // Assert
    run.assert_bad_input();
}

// ---------------------------------------------------------------------------
// sessions revoke
// ---------------------------------------------------------------------------

#[tokio::test]
async fn sessions_revoke_ends_every_session_of_the_user_and_says_how_many() {
    // Arrange: a running server; the user has two sessions, someone else one.
    let (dir, cli) = migrated_database().await;
    let app = app_on(dir, &cli).await;
    let user = app.new_user().await;
    let (second_jar, _) = app.new_session(&user).await;
    let bystander = app.new_user().await;

    // Act
    let run = cli.run(&["sessions", "revoke", "--user", user.email.as_str()]).await;

    // Assert
    run.assert_code(0);
    assert!(says_number(&run.stdout, 2), "the output says how many sessions were revoked (2): {}", run.stdout);
    for jar in [&user.jar, &second_jar] {
        let refresh = app.refresh(&mut jar.clone()).await;
        assert_status(&refresh, 401);
        let me = app.wait_until_unauthenticated("/api/me", jar).await;
        assert_error(&me, 401, "unauthenticated");
    }
    assert_status(&app.refresh(&mut bystander.jar.clone()).await, 200);
    let again = cli.run(&["sessions", "revoke", "--user", user.email.as_str()]).await;
    again.assert_code(0);
    assert!(says_number(&again.stdout, 0), "a second revoke finds no live session (0): {}", again.stdout);
    login(&app, &user.email, PASSWORD).await;
}

#[tokio::test]
async fn sessions_revoke_for_an_unknown_email_exits_2() {
    // Arrange
    let (_dir, cli) = migrated_database().await;

    // Act
    let run = cli.run(&["sessions", "revoke", "--user", "nobody@example.com"]).await;

    // Assert
    run.assert_bad_input();
}

// ---------------------------------------------------------------------------
// keys
// ---------------------------------------------------------------------------

#[tokio::test]
async fn keys_list_shows_the_one_current_key_and_keys_rotate_adds_a_new_current_one() {
    // Arrange: a running server has made its first key and issued a token.
    let (dir, cli) = migrated_database().await;
    let app = app_on(dir, &cli).await;
    let user = app.new_user().await;
    let old_kids = app.kids().await;
    assert_eq!(old_kids.len(), 1, "a fresh server publishes one key: {old_kids:?}");
    let old_kid = old_kids[0].clone();

    // Act 1
    let before = cli.run(&["keys", "list"]).await;

    // Assert 1
    before.assert_code(0);
    let old_lines = lines_naming(&before.stdout, &old_kid);
    assert_eq!(old_lines.len(), 1, "one line for the key {old_kid}:\n{}", before.stdout);
    assert!(old_lines[0].contains("current"), "the only key is current: {}", old_lines[0]);
    let current_lines = before.stdout.lines().filter(|line| line.contains("current")).count();
    assert_eq!(current_lines, 1, "exactly one current key:\n{}", before.stdout);

    // Act 2
    let rotated_at = now();
    let rotate = cli.run(&["keys", "rotate"]).await;

    // Assert 2: the running server picks the new key up (reload every 10 s).
    rotate.assert_code(0);
    let deadline = Instant::now() + Duration::from_secs(15);
    let new_kids = loop {
        let kids = app.kids().await;
        if kids.len() >= 2 || Instant::now() >= deadline {
            break kids;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(new_kids.len(), 2, "the JWKS publishes the new and the retired key within 15 s: {new_kids:?}");
    assert!(new_kids.contains(&old_kid), "the retired key still verifies: {new_kids:?}");
    let new_kid = new_kids.iter().find(|kid| **kid != old_kid).expect("a new kid").clone();

    let after = cli.run(&["keys", "list"]).await;
    after.assert_code(0);
    let new_lines = lines_naming(&after.stdout, &new_kid);
    let old_lines = lines_naming(&after.stdout, &old_kid);
    assert_eq!(new_lines.len(), 1, "one line for the new key:\n{}", after.stdout);
    assert_eq!(old_lines.len(), 1, "one line for the old key:\n{}", after.stdout);
    assert!(new_lines[0].contains("current"), "the new key is current: {}", new_lines[0]);
    assert!(!old_lines[0].contains("current"), "the old key is no longer current: {}", old_lines[0]);
    let until: i64 = old_lines[0]
        .split("verifying until")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|date| time::OffsetDateTime::parse(date, &time::format_description::well_known::Rfc3339).ok())
        .map(|date| date.unix_timestamp())
        .unwrap_or_else(|| panic!("the old key shows `verifying until <UTC time>`: {}", old_lines[0]));
    assert!(old_lines[0].contains("created 20"), "dates people can read: {}", old_lines[0]);
    let ttl = DEFAULT_ACCESS_TTL;
    assert!(
        until >= rotated_at + ttl && until <= now() + ttl + 60,
        "the old key verifies until about retirement + access TTL + 20 s; got {until}, rotated at {rotated_at}"
    );

    let (jar, _) = login(&app, &user.email, PASSWORD).await;
    assert_eq!(token_kid(&app.access_token(&jar)), new_kid, "new tokens are signed by the new key");
    assert_status(&app.me(&jar).await, 200);
    assert_eq!(token_kid(&app.access_token(&user.jar)), old_kid);
    assert_status(&app.me(&user.jar).await, 200);
    let app = app.restart().await;
    assert_status(&app.me(&user.jar).await, 200);
    let mut restarted_kids = app.kids().await;
    restarted_kids.sort();
    let mut expected = vec![old_kid, new_kid];
    expected.sort();
    assert_eq!(restarted_kids, expected, "a restarted server publishes both keys");
}

#[tokio::test]
async fn keys_rotate_with_a_signing_key_file_exits_2_and_says_to_replace_the_file() {
    // Arrange
    let (_dir, cli) = migrated_database().await;
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let pem = key.to_pkcs8_pem(Default::default()).expect("encode the key as PKCS#8 PEM");
    let key_path = cli.cwd.path().join("signing-key.pem");
    std::fs::write(&key_path, pem.as_bytes()).expect("write the key file");
    let key_path = key_path.to_str().expect("a UTF-8 temp path").to_owned();

    // Act
    let run = cli.run_with(&["keys", "rotate"], &[("AUTH_SIGNING_KEY_FILE", key_path.as_str())], None).await;

    // Assert
    run.assert_bad_input();
    assert!(run.stderr.to_lowercase().contains("file"), "the message tells to replace the key file: {}", run.stderr);
}

// ---------------------------------------------------------------------------
// help and usage
// ---------------------------------------------------------------------------

#[tokio::test]
async fn help_exits_0_and_names_every_subcommand_and_environment_variable() {
    // Arrange
    let cwd = tempfile::tempdir().expect("a temp dir");

    // Act
    let run = run_binary(&["--help"], &[], None, cwd.path()).await;

    // Assert
    run.assert_code(0);
    for subcommand in TOP_LEVEL_SUBCOMMANDS {
        assert!(run.stdout.contains(subcommand), "--help does not mention `{subcommand}`:\n{}", run.stdout);
    }
    let every_variable = ENV_VARS.iter().copied().chain(server::config::VARIABLES.iter().map(|variable| variable.name));
    for name in every_variable {
        assert!(run.stdout.contains(name), "--help does not mention {name}:\n{}", run.stdout);
    }
}

#[tokio::test]
async fn subcommand_help_names_the_nested_subcommands() {
    // Arrange
    let cwd = tempfile::tempdir().expect("a temp dir");
    let cases: &[(&str, &[&str])] =
        &[("user", &["create", "set-role"]), ("sessions", &["revoke"]), ("keys", &["rotate", "list"])];

    for (group, nested) in cases {
        // Act
        let run = run_binary(&[*group, "--help"], &[], None, cwd.path()).await;

        // Assert
        run.assert_code(0);
        for name in *nested {
            assert!(run.stdout.contains(name), "`server {group} --help` does not mention `{name}`:\n{}", run.stdout);
        }
    }
}

#[tokio::test]
async fn an_unknown_subcommand_exits_2() {
    // Arrange
    let cwd = tempfile::tempdir().expect("a temp dir");

    // Act
    let run = run_binary(&["frobnicate"], &[], None, cwd.path()).await;

    // Assert
    run.assert_bad_input();
}
