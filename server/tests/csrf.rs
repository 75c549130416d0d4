//! Cross-site request refusal: unsafe methods under /api with
//! `Sec-Fetch-Site: cross-site` or a foreign `Origin` are refused with
//! `403 csrf_rejected` and have no effect; same-origin and configured origins
//! pass; no CORS headers are granted to foreign origins.

mod common;

use common::*;
use reqwest::Method;
use reqwest::header::{ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_ORIGIN, ORIGIN};
use serde_json::json;

const APP_ORIGIN: &str = "https://app.example";
const PARTNER_ORIGIN: &str = "https://partner.example";
const EVIL_ORIGIN: &str = "https://evil.example";

/// Sends `method path` with the jar's cookies plus one extra header.
async fn send_with_header(app: &TestApp, method: Method, path: &str, jar: &Jar, header: (&str, &str)) -> Response {
    app.send(app.request(method, path, jar).header(header.0, header.1)).await
}

async fn login_with_header(app: &TestApp, user: &User, header: (&str, &str)) -> Response {
    let body = json!({ "email": user.email, "password": user.password });
    app.send(app.request(Method::POST, "/api/auth/login", &Jar::default()).header(header.0, header.1).json(&body)).await
}

#[tokio::test]
async fn a_cross_site_post_is_refused() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let cross_site = ("sec-fetch-site", "cross-site");

    // Act
    let login = login_with_header(&app, &user, cross_site).await;
    let refresh = send_with_header(&app, Method::POST, "/api/auth/refresh", &user.jar, cross_site).await;

    // Assert
    assert_error(&login, 403, "csrf_rejected");
    assert!(login.cookie(&app.access_cookie).is_none(), "a refused login sets no cookie");
    assert_error(&refresh, 403, "csrf_rejected");
    assert!(refresh.set_cookies.is_empty(), "a refused refresh touches no cookie");
}

#[tokio::test]
async fn a_post_from_a_foreign_origin_is_refused() {
    // Arrange
    let app = TestApp::spawn_with(&[("AUTH_PUBLIC_ORIGIN", APP_ORIGIN)]).await;
    let user = app.new_user().await;

    for origin in [EVIL_ORIGIN, "null", "https://app.example.evil.example", "http://app.example"] {
        // Act
        let login = login_with_header(&app, &user, ("origin", origin)).await;
        let register = app
            .send(
                app.request(Method::POST, "/api/auth/register", &Jar::default())
                    .header(ORIGIN, origin)
                    .json(&json!({ "email": unique_email(), "password": PASSWORD })),
            )
            .await;

        // Assert
        assert_eq!(login.status.as_u16(), 403, "Origin {origin}: {}", login.body);
        assert_error(&login, 403, "csrf_rejected");
        assert_error(&register, 403, "csrf_rejected");
    }
}

#[tokio::test]
async fn a_refused_cross_site_logout_leaves_the_session_working() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let mut jar = user.jar.clone();

    // Act
    let cross_site =
        send_with_header(&app, Method::POST, "/api/auth/logout", &jar, ("sec-fetch-site", "cross-site")).await;
    let foreign = send_with_header(&app, Method::POST, "/api/auth/logout", &jar, ("origin", EVIL_ORIGIN)).await;

    // Assert
    assert_error(&cross_site, 403, "csrf_rejected");
    assert_error(&foreign, 403, "csrf_rejected");
    assert!(cross_site.set_cookies.is_empty() && foreign.set_cookies.is_empty());
    assert_status(&app.me(&jar).await, 200);
    assert_status(&app.refresh(&mut jar).await, 200);
    assert_status(&app.me(&jar).await, 200);
}

#[tokio::test]
async fn a_refused_cross_site_session_revocation_leaves_the_session_working() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let (other_jar, other) = app.new_session(&user).await;
    let path = format!("/api/auth/sessions/{}", other.session_id);

    // Act
    let response = send_with_header(&app, Method::DELETE, &path, &user.jar, ("origin", EVIL_ORIGIN)).await;

    // Assert
    assert_error(&response, 403, "csrf_rejected");
    assert_status(&app.refresh(&mut other_jar.clone()).await, 200);
}

#[tokio::test]
async fn same_origin_and_configured_origins_are_allowed() {
    // Arrange
    let app =
        TestApp::spawn_with(&[("AUTH_PUBLIC_ORIGIN", APP_ORIGIN), ("AUTH_ALLOWED_ORIGINS", PARTNER_ORIGIN)]).await;
    let user = app.new_user().await;

    // Act
    let own = login_with_header(&app, &user, ("origin", APP_ORIGIN)).await;
    let partner = login_with_header(&app, &user, ("origin", PARTNER_ORIGIN)).await;
    let same_origin = login_with_header(&app, &user, ("sec-fetch-site", "same-origin")).await;
    let typed_in = login_with_header(&app, &user, ("sec-fetch-site", "none")).await;

    // Assert
    assert_status(&own, 200);
    assert_status(&partner, 200);
    assert_status(&same_origin, 200);
    assert_status(&typed_in, 200);
}

#[tokio::test]
async fn foreign_origins_get_no_cors_headers() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;

    // Act
    let get = send_with_header(&app, Method::GET, "/api/me", &user.jar, ("origin", EVIL_ORIGIN)).await;
    let preflight = app
        .send(
            app.request(Method::OPTIONS, "/api/auth/login", &Jar::default())
                .header(ORIGIN, EVIL_ORIGIN)
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "content-type"),
        )
        .await;

    // Assert
    for (name, response) in [("GET", &get), ("preflight", &preflight)] {
        assert!(!response.status.is_server_error(), "{name}: {}", response.status);
        assert!(
            response.headers.get(ACCESS_CONTROL_ALLOW_ORIGIN).is_none(),
            "{name} grants CORS: {:?}",
            response.headers
        );
        assert!(
            response.headers.get(ACCESS_CONTROL_ALLOW_CREDENTIALS).is_none(),
            "{name} grants credentials: {:?}",
            response.headers
        );
    }
}
