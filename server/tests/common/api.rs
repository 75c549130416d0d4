//! A client for one server: [`Api`] sends requests with a [`Jar`]'s cookies
//! and reads each answer whole into a [`Response`]; it also speaks the
//! contract's common steps (register, log in, refresh, …) and makes the
//! [`User`]s tests act as.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use app::types::SessionInfo;
use reqwest::header::{COOKIE, HeaderMap, SET_COOKIE};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::asserts::assert_status;
use super::cookies::{Jar, SetCookie};
use super::{
    ADMIN_EMAIL, ADMIN_PASSWORD, DEFAULT_ACCESS_COOKIE, DEFAULT_REFRESH_COOKIE, PASSWORD, REVOCATION_WAIT, unique_email,
};

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

    /// The audit events of `kind`, newest first, read by `admin`: waits (up
    /// to 5 s) for at least one, since the log is written in the background.
    pub async fn audit_events(&self, admin: &Jar, kind: &str) -> Vec<Value> {
        for _ in 0..50 {
            let found: Value = self.get(&format!("/api/admin/events?kind={kind}"), admin).await.json();
            let found = found.as_array().cloned().unwrap_or_default();
            if !found.is_empty() {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Vec::new()
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

    /// Logs the seeded admin ([`ADMIN_EMAIL`]) in: a fresh admin session.
    /// Asserts 200 and the admin role.
    pub async fn sign_in_admin(&self) -> User {
        let mut jar = Jar::default();
        let response = self.login(&mut jar, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_status(&response, 200);
        let info = response.session_info();
        assert!(info.user.roles.iter().any(|role| role == "admin"), "the seeded admin is an admin: {:?}", info.user);
        User { email: ADMIN_EMAIL.to_owned(), password: ADMIN_PASSWORD.to_owned(), jar, info }
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

/// A signed-in account: a registered user and the session registration
/// started, or the seeded admin and the session its login started.
#[derive(Clone, Debug)]
pub struct User {
    pub email: String,
    pub password: String,
    pub jar: Jar,
    pub info: SessionInfo,
}

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
