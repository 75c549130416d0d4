//! The real binary with `LOG_FORMAT=json` and `RUST_LOG=debug`: every line
//! it writes to stdout is one JSON object; every line written while handling
//! a request carries that request's id (the `x-request-id` the response
//! carries, or the one the caller sent); and no line holds a token, a
//! password or a `Cookie` header.

mod common;

use std::collections::BTreeSet;

use common::process::{LISTENING, ServerProcess, tail};
use common::*;
use reqwest::Method;
use reqwest::header::COOKIE;
use serde_json::{Value, json};
use tempfile::TempDir;

const WRONG_PASSWORD: &str = "wrong-password-log-probe";
const REQUEST_ID: &str = "x-request-id";

/// The server on a database of its own, logging JSON at debug level; the
/// temp dir holds its database (SQLite) and log files.
async fn start_server() -> (TempDir, ServerProcess) {
    let dir = tempfile::tempdir().expect("a temp dir for the server");
    let database_url = database_url_for(dir.path()).await;
    let env = [("DATABASE_URL", database_url.as_str()), ("LOG_FORMAT", "json"), ("RUST_LOG", "debug,sqlx=warn")];
    let server = ServerProcess::start(dir.path(), "server", &[], &env);
    (dir, server)
}

/// Every string value stored under the key `key`, anywhere in `value`.
fn values_of(value: &Value, key: &str, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (name, inner) in map {
                if name == key
                    && let Some(text) = inner.as_str()
                {
                    found.push(text.to_owned());
                }
                values_of(inner, key, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| values_of(item, key, found)),
        _ => {}
    }
}

/// True when the line was written inside a request: by a handler or the
/// request-tracing layer, or inside the `request` span.
fn written_in_a_request(line: &Value) -> bool {
    let target = line["target"].as_str().unwrap_or("");
    let in_request_span =
        line["spans"].as_array().is_some_and(|spans| spans.iter().any(|span| span["name"] == json!("request")))
            || line["span"]["name"] == json!("request");
    target.starts_with("server::routes") || target.starts_with("tower_http") || in_request_span
}

/// What the test sent and received: secrets to look for, request ids to find.
#[derive(Default)]
struct Seen {
    /// Token values from Set-Cookie headers.
    tokens: BTreeSet<String>,
    /// `Cookie` header values the client sent.
    cookie_headers: BTreeSet<String>,
}

impl Seen {
    /// Notes the response's tokens and returns its `x-request-id`, asserted to be a UUID.
    #[track_caller]
    fn record(&mut self, what: &str, response: &Response) -> String {
        for cookie in &response.set_cookies {
            if !cookie.value.is_empty() && !cookie.is_removal() {
                self.tokens.insert(cookie.value.clone());
            }
        }
        let id = response.header(REQUEST_ID).unwrap_or_else(|| panic!("{what}: no {REQUEST_ID} header")).to_owned();
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{what}: {REQUEST_ID} is not a UUID: {id}");
        id
    }

    /// Notes the `Cookie` header `jar` sends to `path`.
    fn sent(&mut self, jar: &Jar, path: &str) {
        if let Some(header) = jar.header_for(path) {
            self.cookie_headers.insert(header);
        }
    }

    /// Each token, a JWT's signature alone, and each Cookie header.
    fn needles(&self) -> Vec<String> {
        let mut needles: Vec<String> = self.cookie_headers.iter().cloned().collect();
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
async fn json_logs_are_one_object_a_line_carry_request_ids_and_no_secrets() {
    // Arrange
    let (_dir, mut server) = start_server().await;
    let addr = server.wait_until_listening().await;
    let api = Api::for_addr(addr);
    let mut seen = Seen::default();
    let email = unique_email();
    // Each request the test made, and the request id its response carried.
    let mut ids: Vec<(&str, String)> = Vec::new();

    // Act: register, a failed login, a login with the caller's own request
    // id, /api/me, refresh, logout.
    let mut jar = Jar::default();
    let register = api.register(&mut jar, &email, PASSWORD).await;
    assert_status(&register, 201);
    ids.push(("register", seen.record("register", &register)));

    let failed = api.login(&mut Jar::default(), &email, WRONG_PASSWORD).await;
    assert_error(&failed, 401, "invalid_credentials");
    ids.push(("failed login", seen.record("failed login", &failed)));

    let own_id = uuid::Uuid::new_v4().to_string();
    let body = json!({ "email": email, "password": PASSWORD });
    let login = api
        .send(api.request(Method::POST, "/api/auth/login", &Jar::default()).header(REQUEST_ID, &own_id).json(&body))
        .await;
    assert_status(&login, 200);
    assert_eq!(seen.record("login", &login), own_id, "the caller's request id is kept");
    jar.absorb(&login);
    ids.push(("login (caller's id)", own_id.clone()));

    seen.sent(&jar, "/api/me");
    let me = api.me(&jar).await;
    assert_status(&me, 200);
    ids.push(("me", seen.record("me", &me)));

    seen.sent(&jar, "/api/auth/refresh");
    let refresh = api.refresh(&mut jar).await;
    assert_status(&refresh, 200);
    ids.push(("refresh", seen.record("refresh", &refresh)));

    seen.sent(&jar, "/api/auth/logout");
    let logout = api.logout(&mut jar).await;
    assert_status(&logout, 204);
    ids.push(("logout", seen.record("logout", &logout)));

    // A hand-written Cookie header (an extra cookie too), to look for verbatim.
    let mut fresh = Jar::default();
    let second_login = api.login(&mut fresh, &email, PASSWORD).await;
    assert_status(&second_login, 200);
    ids.push(("second login", seen.record("second login", &second_login)));
    let raw_cookie = format!("{}={}; theme=dark", api.access_cookie, api.access_token(&fresh));
    let raw = api.send(api.client.get(api.url("/api/auth/session")).header(COOKIE, &raw_cookie)).await;
    assert_status(&raw, 200);
    let what = "session with a hand-written Cookie header";
    ids.push((what, seen.record(what, &raw)));
    seen.cookie_headers.insert(raw_cookie);

    server.stop().await;
    let stdout = server.stdout();

    // Assert: every line is a JSON object.
    assert!(stdout.contains(LISTENING), "the log was captured");
    let mut lines = Vec::new();
    for (number, text) in stdout.lines().enumerate().filter(|(_, text)| !text.trim().is_empty()) {
        let value: Value = serde_json::from_str(text)
            .unwrap_or_else(|error| panic!("stdout line {} is not JSON ({error}): {text}", number + 1));
        assert!(value.is_object(), "stdout line {} is not a JSON object: {text}", number + 1);
        lines.push((number + 1, text, value));
    }

    // Assert: request ids are distinct, and each reaches the log in a
    // `request_id` field.
    let known: BTreeSet<&str> = ids.iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(known.len(), ids.len(), "every response has its own request id: {ids:?}");
    for (what, id) in &ids {
        let carrying: Vec<&Value> =
            lines.iter().filter(|(_, text, _)| text.contains(id.as_str())).map(|(_, _, v)| v).collect();
        assert!(!carrying.is_empty(), "no log line carries the {what} request id {id}:\n{}", tail(&stdout));
        let in_field = carrying.iter().any(|value| {
            let mut found = Vec::new();
            values_of(value, "request_id", &mut found);
            found.iter().any(|found| found == id)
        });
        assert!(in_field, "the {what} request id {id} is not in a `request_id` field");
    }

    // Assert: every line written inside a request names its request: a
    // `request_id` (span or event field) that a response carried.
    let request_lines: Vec<&(usize, &str, Value)> =
        lines.iter().filter(|(_, _, value)| written_in_a_request(value)).collect();
    assert!(!request_lines.is_empty(), "no line was written inside a request:\n{}", tail(&stdout));
    for (number, text, value) in &request_lines {
        let mut named = Vec::new();
        values_of(value, "request_id", &mut named);
        assert!(!named.is_empty(), "line {number}, written inside a request, has no request_id: {text}");
        for id in &named {
            assert!(known.contains(id.as_str()), "line {number} names a request id no response carried ({id}): {text}");
        }
    }

    // Assert: no secret anywhere.
    for needle in seen.needles() {
        if let Some((number, _, _)) = lines.iter().find(|(_, text, _)| text.contains(&needle)) {
            panic!("a token or Cookie header appears in the log at line {number}");
        }
    }
    for secret in [PASSWORD, WRONG_PASSWORD] {
        if let Some((number, _, _)) = lines.iter().find(|(_, text, _)| text.contains(secret)) {
            panic!("a password appears in the log at line {number}");
        }
    }
    let stderr = server.stderr();
    for needle in seen.needles().iter().map(String::as_str).chain([PASSWORD, WRONG_PASSWORD]) {
        assert!(!stderr.contains(needle), "a secret appears on stderr");
    }
}
