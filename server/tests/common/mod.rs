//! Test harness: a real server on port 0 with its own SQLite file in a temp
//! dir — or, when `TEST_DATABASE_URL` names a PostgreSQL server, its own
//! fresh PostgreSQL database — a tiny cookie jar, and helpers that speak the
//! HTTP contract (`docs/API.md`). Every test binary includes this module and uses a
//! different part of it, hence the blanket `dead_code` allowance.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::ops::Deref;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use app::types::{ErrorBody, SessionInfo};
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, HeaderMap, SET_COOKIE};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use server::config::Config;
use server::startup::Application;
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub mod process;

pub const DEFAULT_ACCESS_COOKIE: &str = "__Host-access";
pub const DEFAULT_REFRESH_COOKIE: &str = "__Secure-refresh";
/// Access token life when `AUTH_ACCESS_TTL_SECS` is unset.
pub const DEFAULT_ACCESS_TTL: i64 = 900;
/// Refresh token life when `AUTH_REFRESH_IDLE_SECS` is unset.
pub const DEFAULT_REFRESH_IDLE: i64 = 604_800;
/// A password that passes validation.
pub const PASSWORD: &str = "correct horse battery staple";
/// How long a revoked session's access token may keep working (the server
/// caches session checks for about a second; we allow two).
pub const REVOCATION_WAIT: Duration = Duration::from_secs(2);

/// Unix seconds now, from the test's clock (same machine as the server).
pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_secs() as i64
}

/// An email no other test uses.
pub fn unique_email() -> String {
    format!("user-{}@example.com", uuid::Uuid::new_v4().simple())
}

// ---------------------------------------------------------------------------
// The server under test
// ---------------------------------------------------------------------------

/// A server running in this test's runtime on 127.0.0.1:0, with its own
/// SQLite file. Dropping it stops the server (the shutdown sender drops).
pub struct TestApp {
    pub api: Api,
    /// Holds `app.db`; kept alive so the file outlives the server.
    dir: TempDir,
    vars: HashMap<String, String>,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Deref for TestApp {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

impl TestApp {
    /// A server with the contract's defaults (rate limits off).
    pub async fn spawn() -> TestApp {
        Self::spawn_with(&[]).await
    }

    /// A server with the defaults overridden by `overrides` (env var name, value).
    pub async fn spawn_with(overrides: &[(&str, &str)]) -> TestApp {
        let dir = tempfile::tempdir().expect("create a temp dir for the database");
        Self::spawn_in(dir, overrides).await
    }

    /// A server whose database lives in `dir` (reused across restarts).
    pub async fn spawn_in(dir: TempDir, overrides: &[(&str, &str)]) -> TestApp {
        let mut vars = base_vars(dir.path());
        for (name, value) in overrides {
            vars.insert((*name).to_owned(), (*value).to_owned());
        }
        Self::start(dir, vars).await
    }

    async fn start(dir: TempDir, vars: HashMap<String, String>) -> TestApp {
        Self::start_skewed(dir, vars, 0).await
    }

    async fn start_skewed(dir: TempDir, mut vars: HashMap<String, String>, clock_offset_secs: i64) -> TestApp {
        // Only a database of this dir's own is swapped for PostgreSQL; a
        // sibling keeps the URL of the instance it shares a database with.
        let own_sqlite = format!("sqlite://{}/app.db", dir.path().display());
        if vars.get("DATABASE_URL") == Some(&own_sqlite)
            && let Some(url) = postgres_database_for(dir.path()).await
        {
            vars.insert("DATABASE_URL".to_owned(), url);
        }
        let lookup = vars.clone();
        let mut config =
            Config::from_lookup(move |name| lookup.get(name).cloned()).expect("the test configuration is valid");
        config.clock_offset_secs = clock_offset_secs;
        let application = Application::build(config).await.expect("the application builds");
        let addr = application.local_addr();
        let (shutdown, signal) = oneshot::channel::<()>();
        let task = tokio::spawn(application.run_until(async move {
            // A send or a dropped sender both mean "stop".
            let _ = signal.await;
        }));
        let api = Api::new(addr, &vars);
        TestApp { api, dir, vars, shutdown, task }
    }

    /// A second server instance on the same database with the same
    /// configuration (a new port): two instances behind a load balancer.
    pub async fn spawn_sibling(&self) -> TestApp {
        let dir = tempfile::tempdir().expect("create a temp dir");
        Self::start(dir, self.vars.clone()).await
    }

    /// Like [`TestApp::spawn_sibling`], on a machine whose clock runs
    /// `offset_secs` seconds off.
    pub async fn spawn_skewed_sibling(&self, offset_secs: i64) -> TestApp {
        let dir = tempfile::tempdir().expect("create a temp dir");
        Self::start_skewed(dir, self.vars.clone(), offset_secs).await
    }

    /// The database URL this server uses.
    pub fn database_url(&self) -> &str {
        &self.vars["DATABASE_URL"]
    }

    /// The temp dir holding the database.
    pub fn db_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Signals shutdown, waits for the server to finish, and hands back the
    /// database dir so a new server can be started on the same file.
    pub async fn stop(self) -> TempDir {
        self.stop_keeping_vars().await.0
    }

    /// Stops this server and starts a new one on the same database with the
    /// same configuration (a new port).
    pub async fn restart(self) -> TestApp {
        let (dir, vars) = self.stop_keeping_vars().await;
        Self::start(dir, vars).await
    }

    async fn stop_keeping_vars(self) -> (TempDir, HashMap<String, String>) {
        let TestApp { api, dir, vars, shutdown, task } = self;
        // Drop our client first so its idle keep-alive connections close.
        drop(api);
        let _ = shutdown.send(());
        match tokio::time::timeout(Duration::from_secs(15), task).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(error))) => panic!("the server stopped with an error: {error}"),
            Ok(Err(join_error)) => panic!("the server task failed: {join_error}"),
            Err(_) => panic!("the server did not stop within 15 s of the shutdown signal"),
        }
        (dir, vars)
    }
}

/// The prefix of every database the tests make; `scripts/test.sh` drops
/// them all after the run.
pub const PG_TEST_DB_PREFIX: &str = "cookie_auth_test_";

/// With `TEST_DATABASE_URL=postgres://…` set, the URL of a database of this
/// test's own, made on first use. Its name derives from the temp dir, so a
/// restarted server (same dir) finds the same database.
pub async fn postgres_database_for(dir: &Path) -> Option<String> {
    use sqlx::Connection;

    let admin_url = std::env::var("TEST_DATABASE_URL").ok().filter(|u| u.starts_with("postgres"))?;
    let leaf = dir.file_name().and_then(|n| n.to_str()).unwrap_or("db");
    let name: String = format!("{PG_TEST_DB_PREFIX}{leaf}")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
        .collect();
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.expect("connect to TEST_DATABASE_URL");
    let exists: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_optional(&mut admin)
        .await
        .expect("query pg_database");
    if exists.is_none() {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut admin)
            .await
            .expect("create the test database");
    }
    let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(base, _)| base);
    Some(format!("{base}/{name}"))
}

fn base_vars(dir: &Path) -> HashMap<String, String> {
    let mut vars = HashMap::new();
    vars.insert("DATABASE_URL".to_owned(), format!("sqlite://{}/app.db", dir.display()));
    vars.insert("LEPTOS_SITE_ADDR".to_owned(), "127.0.0.1:0".to_owned());
    vars.insert("AUTH_RATE_LIMITS".to_owned(), "off".to_owned());
    vars
}

// ---------------------------------------------------------------------------
// A client for one server
// ---------------------------------------------------------------------------

/// What a test needs to talk to one server; cheap to clone into tasks.
#[derive(Clone)]
pub struct Api {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub client: reqwest::Client,
    pub access_cookie: String,
    pub refresh_cookie: String,
}

impl Api {
    /// A client for a server at `addr` using the default cookie names.
    pub fn for_addr(addr: SocketAddr) -> Api {
        Api::new(addr, &HashMap::new())
    }

    /// A client for a server at `addr` configured by `vars` (cookie names).
    pub fn new(addr: SocketAddr, vars: &HashMap<String, String>) -> Api {
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("build the HTTP client");
        Api {
            addr,
            base: format!("http://{addr}"),
            client,
            access_cookie: vars.get("AUTH_ACCESS_COOKIE").cloned().unwrap_or_else(|| DEFAULT_ACCESS_COOKIE.to_owned()),
            refresh_cookie: vars
                .get("AUTH_REFRESH_COOKIE")
                .cloned()
                .unwrap_or_else(|| DEFAULT_REFRESH_COOKIE.to_owned()),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A request to `path` carrying the jar's cookies for that path.
    pub fn request(&self, method: Method, path: &str, jar: &Jar) -> RequestBuilder {
        let mut request = self.client.request(method, self.url(path));
        if let Some(cookies) = jar.header_for(path) {
            request = request.header(COOKIE, cookies);
        }
        request
    }

    /// Sends and reads the whole response.
    pub async fn send(&self, request: RequestBuilder) -> Response {
        let response = request.send().await.expect("the request reaches the server");
        Response::read(response).await
    }

    pub async fn get(&self, path: &str, jar: &Jar) -> Response {
        self.send(self.request(Method::GET, path, jar)).await
    }

    pub async fn post_json(&self, path: &str, jar: &Jar, body: &Value) -> Response {
        self.send(self.request(Method::POST, path, jar).json(body)).await
    }

    /// POST with no body and no content type (refresh, logout).
    pub async fn post_empty(&self, path: &str, jar: &Jar) -> Response {
        self.send(self.request(Method::POST, path, jar)).await
    }

    pub async fn delete(&self, path: &str, jar: &Jar) -> Response {
        self.send(self.request(Method::DELETE, path, jar)).await
    }

    /// GET with a raw `Cookie` header.
    pub async fn get_with_cookie_header(&self, path: &str, cookie_header: &str) -> Response {
        self.send(self.client.get(self.url(path)).header(COOKIE, cookie_header)).await
    }

    /// `POST /api/auth/register`; the jar takes the response's cookies.
    pub async fn register(&self, jar: &mut Jar, email: &str, password: &str) -> Response {
        let body = json!({ "email": email, "password": password });
        let response = self.post_json("/api/auth/register", jar, &body).await;
        jar.absorb(&response);
        response
    }

    /// `POST /api/auth/login`; the jar takes the response's cookies.
    pub async fn login(&self, jar: &mut Jar, email: &str, password: &str) -> Response {
        let body = json!({ "email": email, "password": password });
        let response = self.post_json("/api/auth/login", jar, &body).await;
        jar.absorb(&response);
        response
    }

    /// `POST /api/auth/refresh`; the jar takes the response's cookies.
    pub async fn refresh(&self, jar: &mut Jar) -> Response {
        let response = self.post_empty("/api/auth/refresh", jar).await;
        jar.absorb(&response);
        response
    }

    /// `POST /api/auth/logout`; the jar takes the response's cookies.
    pub async fn logout(&self, jar: &mut Jar) -> Response {
        let response = self.post_empty("/api/auth/logout", jar).await;
        jar.absorb(&response);
        response
    }

    pub async fn me(&self, jar: &Jar) -> Response {
        self.get("/api/me", jar).await
    }

    pub async fn session(&self, jar: &Jar) -> Response {
        self.get("/api/auth/session", jar).await
    }

    pub async fn sessions(&self, jar: &Jar) -> Response {
        self.get("/api/auth/sessions", jar).await
    }

    pub async fn revoke_session(&self, jar: &mut Jar, session_id: &str) -> Response {
        let response = self.delete(&format!("/api/auth/sessions/{session_id}"), jar).await;
        jar.absorb(&response);
        response
    }

    /// The JWKS document, asserted to be a 200 JSON object.
    pub async fn jwks(&self) -> Value {
        let response = self.get("/.well-known/jwks.json", &Jar::default()).await;
        assert_status(&response, 200);
        response.json()
    }

    /// The `kid`s the server publishes.
    pub async fn kids(&self) -> Vec<String> {
        let jwks = self.jwks().await;
        jwks["keys"]
            .as_array()
            .expect("jwks has a keys array")
            .iter()
            .map(|key| key["kid"].as_str().expect("every key has a kid").to_owned())
            .collect()
    }

    /// Registers a fresh user; asserts 201.
    pub async fn new_user(&self) -> User {
        let email = unique_email();
        let mut jar = Jar::default();
        let response = self.register(&mut jar, &email, PASSWORD).await;
        assert_status(&response, 201);
        User { info: response.session_info(), email, password: PASSWORD.to_owned(), jar }
    }

    /// Logs `user` in again: a second, independent session.
    pub async fn new_session(&self, user: &User) -> (Jar, SessionInfo) {
        let mut jar = Jar::default();
        let response = self.login(&mut jar, &user.email, &user.password).await;
        assert_status(&response, 200);
        (jar, response.session_info())
    }

    /// The access token in `jar`; panics when there is none.
    pub fn access_token(&self, jar: &Jar) -> String {
        jar.get(&self.access_cookie).expect("the jar holds an access cookie").to_owned()
    }

    /// The refresh token in `jar`; panics when there is none.
    pub fn refresh_token(&self, jar: &Jar) -> String {
        jar.get(&self.refresh_cookie).expect("the jar holds a refresh cookie").to_owned()
    }

    /// A jar holding only the given access token.
    pub fn jar_with_access(&self, token: &str) -> Jar {
        Jar::default().with(&self.access_cookie, token)
    }

    /// A jar holding only the given refresh token.
    pub fn jar_with_refresh(&self, token: &str) -> Jar {
        Jar::default().with(&self.refresh_cookie, token)
    }

    /// Polls `path` with `jar` until it answers 401, for at most
    /// [`REVOCATION_WAIT`]; returns the last response.
    pub async fn wait_until_unauthenticated(&self, path: &str, jar: &Jar) -> Response {
        let deadline = Instant::now() + REVOCATION_WAIT;
        loop {
            let response = self.get(path, jar).await;
            if response.status == StatusCode::UNAUTHORIZED || Instant::now() >= deadline {
                return response;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A registered user and the session registration started.
#[derive(Clone, Debug)]
pub struct User {
    pub email: String,
    pub password: String,
    pub jar: Jar,
    pub info: SessionInfo,
}

// ---------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------

/// A fully read response.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    pub set_cookies: Vec<SetCookie>,
}

impl Response {
    pub async fn read(response: reqwest::Response) -> Response {
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await.expect("the response body is readable");
        let set_cookies = headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|value| {
                let text = value.to_str().expect("Set-Cookie is visible ASCII");
                SetCookie::parse(text).unwrap_or_else(|| panic!("unparseable Set-Cookie: {text}"))
            })
            .collect();
        Response { status, headers, body, set_cookies }
    }

    /// The body as `T`; panics with the body when it is not.
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.body).unwrap_or_else(|error| {
            panic!("the body is not the expected JSON ({error}); status {}, body {}", self.status, self.body)
        })
    }

    pub fn session_info(&self) -> SessionInfo {
        self.json()
    }

    /// A header as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The last Set-Cookie for `name`.
    pub fn cookie(&self, name: &str) -> Option<&SetCookie> {
        self.set_cookies.iter().rev().find(|cookie| cookie.name == name)
    }

    /// Every Set-Cookie for `name`.
    pub fn cookies_named(&self, name: &str) -> Vec<&SetCookie> {
        self.set_cookies.iter().filter(|cookie| cookie.name == name).collect()
    }

    /// The value of the Set-Cookie for `name`; panics when there is none.
    pub fn cookie_value(&self, name: &str) -> String {
        self.cookie(name)
            .unwrap_or_else(|| {
                panic!("no Set-Cookie for {name}; status {}, cookies {:?}", self.status, self.set_cookies)
            })
            .value
            .clone()
    }
}

/// One parsed `Set-Cookie` header.
#[derive(Clone, Debug)]
pub struct SetCookie {
    pub name: String,
    pub value: String,
    /// Attribute names as sent, with their values (`None` for flags).
    pub attributes: Vec<(String, Option<String>)>,
    pub raw: String,
}

impl SetCookie {
    pub fn parse(raw: &str) -> Option<SetCookie> {
        let mut parts = raw.split(';');
        let (name, value) = parts.next()?.split_once('=')?;
        let attributes = parts
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| match part.split_once('=') {
                Some((key, value)) => (key.trim().to_owned(), Some(value.trim().to_owned())),
                None => (part.to_owned(), None),
            })
            .collect();
        Some(SetCookie {
            name: name.trim().to_owned(),
            value: value.trim().to_owned(),
            attributes,
            raw: raw.to_owned(),
        })
    }

    /// `Some(value)` when the attribute is present (case-insensitive name).
    pub fn attribute(&self, key: &str) -> Option<Option<&str>> {
        self.attributes.iter().find(|(name, _)| name.eq_ignore_ascii_case(key)).map(|(_, value)| value.as_deref())
    }

    pub fn has(&self, key: &str) -> bool {
        self.attribute(key).is_some()
    }

    pub fn value_of(&self, key: &str) -> Option<&str> {
        self.attribute(key).flatten()
    }

    pub fn max_age(&self) -> Option<i64> {
        self.value_of("Max-Age")
            .map(|value| value.parse().unwrap_or_else(|_| panic!("Max-Age is not an integer: {}", self.raw)))
    }

    pub fn path(&self) -> Option<&str> {
        self.value_of("Path")
    }

    /// True when this header tells the browser to delete the cookie.
    pub fn is_removal(&self) -> bool {
        matches!(self.max_age(), Some(age) if age <= 0)
    }
}

// ---------------------------------------------------------------------------
// Cookie jar
// ---------------------------------------------------------------------------

/// Cookies by name, each with its Path; sent only to matching paths, like a
/// browser would.
#[derive(Clone, Debug, Default)]
pub struct Jar {
    cookies: BTreeMap<String, (String, String)>,
}

impl Jar {
    /// Takes the response's Set-Cookie headers: stores new values and drops
    /// the cookies it clears.
    pub fn absorb(&mut self, response: &Response) {
        for cookie in &response.set_cookies {
            if cookie.is_removal() {
                self.cookies.remove(&cookie.name);
            } else {
                let path = cookie.path().unwrap_or("/").to_owned();
                self.cookies.insert(cookie.name.clone(), (cookie.value.clone(), path));
            }
        }
    }

    /// This jar plus `name=value` for every path.
    pub fn with(mut self, name: &str, value: &str) -> Jar {
        self.set(name, value, "/");
        self
    }

    pub fn set(&mut self, name: &str, value: &str, path: &str) {
        self.cookies.insert(name.to_owned(), (value.to_owned(), path.to_owned()));
    }

    pub fn remove(&mut self, name: &str) {
        self.cookies.remove(name);
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(|(value, _)| value.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.cookies.is_empty()
    }

    /// The `Cookie` header a browser would send to `request_path`.
    pub fn header_for(&self, request_path: &str) -> Option<String> {
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .filter(|(_, (_, path))| path_matches(path, request_path))
            .map(|(name, (value, _))| format!("{name}={value}"))
            .collect();
        if pairs.is_empty() { None } else { Some(pairs.join("; ")) }
    }
}

/// RFC 6265 §5.1.4 path-match.
fn path_matches(cookie_path: &str, request_path: &str) -> bool {
    let request_path = request_path.split('?').next().unwrap_or("");
    if request_path == cookie_path {
        return true;
    }
    request_path.starts_with(cookie_path)
        && (cookie_path.ends_with('/') || request_path[cookie_path.len()..].starts_with('/'))
}

// ---------------------------------------------------------------------------
// Assertions
// ---------------------------------------------------------------------------

#[track_caller]
pub fn assert_status(response: &Response, expected: u16) {
    assert_eq!(response.status.as_u16(), expected, "unexpected status; body: {}", response.body);
}

/// Asserts a 4xx with a JSON `{"error", "message"}` body of non-empty
/// strings, and returns it.
#[track_caller]
pub fn assert_client_error(response: &Response) -> ErrorBody {
    assert!(response.status.is_client_error(), "expected a 4xx, got {}; body: {}", response.status, response.body);
    let content_type = response.header(CONTENT_TYPE.as_str()).unwrap_or("");
    assert!(
        content_type.starts_with("application/json"),
        "error content type is {content_type:?}, not JSON; status {}, body {}",
        response.status,
        response.body
    );
    let value: Value = serde_json::from_str(&response.body).unwrap_or_else(|error| {
        panic!("error body is not JSON ({error}); status {}, body {}", response.status, response.body)
    });
    let error = value["error"].as_str().unwrap_or_default();
    let message = value["message"].as_str().unwrap_or_default();
    assert!(
        !error.is_empty() && !message.is_empty(),
        "error body lacks a non-empty error and message: {}",
        response.body
    );
    ErrorBody { error: error.to_owned(), message: message.to_owned() }
}

/// Asserts an API error with exactly this status and code.
#[track_caller]
pub fn assert_error(response: &Response, status: u16, code: &str) {
    assert_status(response, status);
    let body = assert_client_error(response);
    assert_eq!(body.error, code, "unexpected error code; body: {}", response.body);
}

/// Asserts that the response clears the cookie `name` with `path`.
#[track_caller]
pub fn assert_clears_cookie(response: &Response, name: &str, path: &str) {
    let cookie = response.cookie(name).unwrap_or_else(|| {
        panic!("no Set-Cookie clears {name}; status {}, cookies {:?}", response.status, response.set_cookies)
    });
    assert_eq!(cookie.max_age(), Some(0), "{name} is not cleared: {}", cookie.raw);
    assert_eq!(cookie.path(), Some(path), "{name} is cleared with another Path: {}", cookie.raw);
}

/// Asserts that the response clears both auth cookies.
#[track_caller]
pub fn assert_clears_both_cookies(api: &Api, response: &Response) {
    assert_clears_cookie(response, &api.access_cookie, "/");
    assert_clears_cookie(response, &api.refresh_cookie, "/api/auth");
}

/// Asserts `Cache-Control: no-store`.
#[track_caller]
pub fn assert_no_store(response: &Response) {
    let cache_control = response.header(CACHE_CONTROL.as_str()).unwrap_or("").to_ascii_lowercase();
    assert!(
        cache_control.contains("no-store"),
        "Cache-Control is {cache_control:?}, not no-store; status {}",
        response.status
    );
}

/// Asserts that the body does not contain `input` (errors never echo input).
#[track_caller]
pub fn assert_not_echoed(response: &Response, input: &str) {
    assert!(!response.body.contains(input), "the response echoes the input {input:?}: {}", response.body);
}
