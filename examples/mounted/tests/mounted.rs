//! The mounted example end to end: a real server on 127.0.0.1:0 with its own
//! SQLite file, spoken to over HTTP. reqwest has no cookie store in this
//! workspace, so a tiny jar carries the `Set-Cookie` values into a `Cookie`
//! header by hand (paths are ignored: every cookie goes on every request).
//! The example is a demo and runs on SQLite only: `TEST_DATABASE_URL`, which
//! moves the server's own tests to PostgreSQL, is not used here.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::{Value, json};
use server::config::Config;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

const ADMIN_EMAIL: &str = "admin@example.com";
const ADMIN_PASSWORD: &str = "admin password for the example";
const PASSWORD: &str = "correct horse battery staple";

/// Cookie name → value, from the `Set-Cookie` headers seen so far.
#[derive(Default)]
struct Jar(BTreeMap<String, String>);

impl Jar {
    /// Stores each `Set-Cookie`; one with `Max-Age=0` removes the cookie.
    fn absorb(&mut self, response: &reqwest::Response) {
        for header in response.headers().get_all(SET_COOKIE) {
            let text = header.to_str().expect("Set-Cookie is visible ASCII");
            let mut parts = text.split(';');
            let Some((name, value)) = parts.next().and_then(|pair| pair.split_once('=')) else { continue };
            let removed = parts.any(|attr| attr.trim().eq_ignore_ascii_case("max-age=0"));
            if removed {
                self.0.remove(name.trim());
            } else {
                self.0.insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The `Cookie` header carrying every cookie, or `None` when empty.
    fn header(&self) -> Option<String> {
        let pairs: Vec<String> = self.0.iter().map(|(name, value)| format!("{name}={value}")).collect();
        if pairs.is_empty() { None } else { Some(pairs.join("; ")) }
    }
}

struct Example {
    base: String,
    client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

impl Example {
    async fn start() -> Example {
        let dir = tempfile::tempdir().expect("create a temp dir");
        let vars: HashMap<&str, String> = HashMap::from([
            ("DATABASE_URL", format!("sqlite://{}/app.db", dir.path().display())),
            ("LEPTOS_SITE_ADDR", "127.0.0.1:0".to_owned()),
            ("AUTH_COOKIE_SECURE", "false".to_owned()),
            ("AUTH_ACCESS_COOKIE", "access".to_owned()),
            ("AUTH_REFRESH_COOKIE", "refresh".to_owned()),
            ("AUTH_RATE_LIMITS", "off".to_owned()),
            ("AUTH_ADMIN_EMAIL", ADMIN_EMAIL.to_owned()),
            ("AUTH_ADMIN_PASSWORD", ADMIN_PASSWORD.to_owned()),
        ]);
        let config = Config::from_lookup(|name| vars.get(name).cloned()).expect("the configuration is valid");
        let app = mounted_example::build(config).await.expect("the example builds");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("the listener has an address");
        let (shutdown, signal) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(async move {
                    let _ = signal.await;
                })
                .await
        });
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("build the HTTP client");
        Example { base: format!("http://{addr}"), client, shutdown: Some(shutdown), task, _dir: dir }
    }

    fn request(&self, method: reqwest::Method, path: &str, jar: &Jar) -> reqwest::RequestBuilder {
        let request = self.client.request(method, format!("{}{path}", self.base));
        match jar.header() {
            Some(cookies) => request.header(COOKIE, cookies),
            None => request,
        }
    }

    /// GET `path` with the jar's cookies; the status and the JSON body.
    async fn get(&self, path: &str, jar: &Jar) -> (StatusCode, Value) {
        read(self.request(reqwest::Method::GET, path, jar).send().await.expect("the server answers")).await
    }

    /// POST to `path` (JSON body when given); the jar takes the cookies set.
    async fn post(&self, path: &str, jar: &mut Jar, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self.request(reqwest::Method::POST, path, jar);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the server answers");
        jar.absorb(&response);
        read(response).await
    }

    async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        drop(self.client);
        let served = tokio::time::timeout(Duration::from_secs(15), self.task).await;
        assert!(matches!(served, Ok(Ok(Ok(())))), "the server stops cleanly: {served:?}");
    }
}

/// The status and the body as JSON (`Null` for an empty body).
async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("the body is readable");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|err| panic!("not JSON ({err}): status {status}, body {text}"))
    };
    (status, body)
}

#[tokio::test]
async fn host_routes_use_the_mounted_auth() {
    let app = Example::start().await;

    // Public host route.
    let (status, body) = app.get("/hello", &Jar::default()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["message"], mounted_example::GREETING);

    // A guarded host route without a session: the contract's 401.
    let (status, body) = app.get("/private", &Jar::default()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "unauthenticated");

    // Register through the mounted auth API, then the host route knows who.
    let email = "someone@example.com";
    let mut user = Jar::default();
    let (status, body) =
        app.post("/api/auth/register", &mut user, Some(json!({ "email": email, "password": PASSWORD }))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let user_id = body["user"]["id"].as_str().expect("the session body names the user").to_owned();
    assert!(user.get("access").is_some() && user.get("refresh").is_some(), "both cookies are set");

    let (status, body) = app.get("/private", &user).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["message"], format!("hello {email}"));
    assert_eq!(body["user_id"], user_id);

    // A role the user lacks: 403.
    let (status, body) = app.get("/reports", &user).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"], "forbidden");

    // The admin seeded from AUTH_ADMIN_EMAIL / AUTH_ADMIN_PASSWORD gets in.
    let mut admin = Jar::default();
    let (status, body) = app
        .post("/api/auth/login", &mut admin, Some(json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD })))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.get("/reports", &admin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({ "reports": [] }));

    // The public keys are served by the mounted router.
    let (status, body) = app.get("/.well-known/jwks.json", &Jar::default()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["keys"].as_array().is_some_and(|keys| !keys.is_empty()), "{body}");

    // Refresh rotates the refresh token and issues a new access token; the
    // new access cookie works on host routes.
    let old_refresh = user.get("refresh").expect("a refresh cookie").to_owned();
    let old_access = user.get("access").expect("an access cookie").to_owned();
    let (status, body) = app.post("/api/auth/refresh", &mut user, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["id"], user_id);
    let new_refresh = user.get("refresh").expect("the refresh answer leaves a refresh cookie");
    assert_ne!(new_refresh, old_refresh, "the refresh answer set a new refresh cookie");
    let new_access = user.get("access").expect("the refresh answer leaves an access cookie");
    assert_ne!(new_access, old_access, "the refresh answer set a new access cookie");
    let (status, body) = app.get("/private", &user).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user_id"], user_id);

    app.stop().await;
}
