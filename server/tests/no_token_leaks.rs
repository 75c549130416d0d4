//! The real binary, run as a user would with `RUST_LOG=debug`, never writes
//! an access or refresh token (or a password) to a response body, a response
//! header other than Set-Cookie, or its log.

mod common;

use std::collections::BTreeSet;

use common::process::{LISTENING, ServerProcess};
use common::*;
use reqwest::header::SET_COOKIE;
use tempfile::TempDir;

const WRONG_PASSWORD: &str = "wrong-password-leak-probe";

/// The server on a database of its own (SQLite, or PostgreSQL with
/// `TEST_DATABASE_URL`) with `RUST_LOG=debug`; the temp dir holds the log
/// files (and the SQLite database).
async fn start_server() -> (TempDir, ServerProcess) {
    let dir = tempfile::tempdir().expect("a temp dir for the server");
    let database_url = database_url_for(dir.path()).await;
    let server =
        ServerProcess::start(dir.path(), "server", &[], &[("DATABASE_URL", &database_url), ("RUST_LOG", "debug")]);
    (dir, server)
}

/// Every token the server handed out, and everything else it said.
#[derive(Default)]
struct Seen {
    tokens: BTreeSet<String>,
    /// (what, text): bodies and non-Set-Cookie headers.
    texts: Vec<(String, String)>,
}

impl Seen {
    fn record(&mut self, what: &str, response: &Response) {
        for cookie in &response.set_cookies {
            if !cookie.value.is_empty() && !cookie.is_removal() {
                self.tokens.insert(cookie.value.clone());
            }
        }
        self.texts.push((format!("{what}: body"), response.body.clone()));
        for (name, value) in &response.headers {
            if *name != SET_COOKIE {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                self.texts.push((format!("{what}: header {name}"), value));
            }
        }
    }

    /// Each token, plus a JWT's signature alone (distinctive on its own).
    fn needles(&self) -> Vec<String> {
        let mut needles = Vec::new();
        for token in &self.tokens {
            needles.push(token.clone());
            let parts: Vec<&str> = token.split('.').collect();
            if parts.len() == 3 && parts[2].len() >= 40 {
                needles.push(parts[2].to_owned());
            }
        }
        needles
    }
}

#[tokio::test]
async fn tokens_never_appear_in_bodies_headers_or_logs() {
    // Arrange
    let (_dir, mut server) = start_server().await;
    let addr = server.wait_until_listening().await;
    let api = Api::for_addr(addr);
    let mut seen = Seen::default();
    let email = unique_email();

    // Act: every endpoint, with successes and failures.
    seen.record("healthz", &api.get("/healthz", &Jar::default()).await);
    seen.record("jwks", &api.get("/.well-known/jwks.json", &Jar::default()).await);

    let mut jar = Jar::default();
    let register = api.register(&mut jar, &email, PASSWORD).await;
    assert_status(&register, 201);
    seen.record("register", &register);

    let bad_login = api.login(&mut Jar::default(), &email, WRONG_PASSWORD).await;
    assert_status(&bad_login, 401);
    seen.record("failed login", &bad_login);

    let mut second = Jar::default();
    let login = api.login(&mut second, &email, PASSWORD).await;
    assert_status(&login, 200);
    seen.record("login", &login);
    let second_session = login.session_info().session_id;

    for path in ["/api/me", "/api/auth/session", "/api/auth/sessions"] {
        let response = api.get(path, &jar).await;
        assert_status(&response, 200);
        seen.record(path, &response);
    }

    let parent = jar.clone();
    let refresh = api.refresh(&mut jar).await;
    assert_status(&refresh, 200);
    seen.record("refresh", &refresh);

    let racing = api.refresh(&mut parent.clone()).await;
    assert_status(&racing, 200);
    seen.record("racing refresh", &racing);

    let swapped_access = api.me(&api.jar_with_access(&api.refresh_token(&jar))).await;
    assert_status(&swapped_access, 401);
    seen.record("refresh token as access token", &swapped_access);

    let swapped_refresh = api.refresh(&mut api.jar_with_refresh(&api.access_token(&jar))).await;
    assert_status(&swapped_refresh, 401);
    seen.record("access token as refresh token", &swapped_refresh);

    let revoke = api.revoke_session(&mut jar.clone(), &second_session).await;
    assert_status(&revoke, 204);
    seen.record("revoke session", &revoke);

    let revoked_refresh = api.refresh(&mut second.clone()).await;
    assert_status(&revoked_refresh, 401);
    seen.record("refresh of a revoked session", &revoked_refresh);

    let logged_out = jar.clone();
    let logout = api.logout(&mut jar).await;
    assert_status(&logout, 204);
    seen.record("logout", &logout);

    let after_logout = api.refresh(&mut logged_out.clone()).await;
    assert_status(&after_logout, 401);
    seen.record("refresh after logout", &after_logout);

    server.stop().await;
    let log = server.log();

    // Assert
    assert!(seen.tokens.len() >= 6, "expected several distinct tokens, saw {}", seen.tokens.len());
    assert!(log.contains(LISTENING), "the log was captured");
    for needle in seen.needles() {
        for (what, text) in &seen.texts {
            assert!(!text.contains(&needle), "a token appears in {what}");
        }
        if let Some(line) = log.lines().position(|line| line.contains(&needle)) {
            panic!("a token appears in the log at line {}", line + 1);
        }
    }
    for secret in [PASSWORD, WRONG_PASSWORD] {
        if let Some(line) = log.lines().position(|line| line.contains(secret)) {
            panic!("a password appears in the log at line {}", line + 1);
        }
    }
}
