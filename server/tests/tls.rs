//! HTTPS served directly with rustls when `AUTH_TLS_CERT`/`AUTH_TLS_KEY`
//! are set, with `Strict-Transport-Security` — and no HSTS over plain http.
//! The certificate is made in the test (rcgen), and the client trusts only it.

mod common;

use common::*;
use serde_json::json;

/// A self-signed certificate for 127.0.0.1 written to a temp dir: the
/// certificate PEM and the (cert, key) paths.
fn self_signed() -> (tempfile::TempDir, String, String, String) {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .expect("generate a certificate");
    let dir = tempfile::tempdir().expect("a temp dir for the certificate");
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, certified.cert.pem()).expect("write the certificate");
    std::fs::write(&key_path, certified.signing_key.serialize_pem()).expect("write the key");
    let path = |p: &std::path::Path| p.to_str().expect("utf-8 path").to_owned();
    (dir, certified.cert.pem(), path(&cert_path), path(&key_path))
}

#[tokio::test]
async fn over_tls_the_server_answers_with_hsts_and_sessions_work() {
    // Arrange: a self-signed certificate for 127.0.0.1, trusted by the client.
    let (_dir, cert_pem, cert_path, key_path) = self_signed();
    let app = TestApp::spawn_with(&[("AUTH_TLS_CERT", &cert_path), ("AUTH_TLS_KEY", &key_path)]).await;
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem.as_bytes()).expect("parse the certificate"))
        .no_proxy()
        .build()
        .expect("an HTTPS client");
    let base = format!("https://127.0.0.1:{}", app.addr.port());

    // Act
    let health = client.get(format!("{base}/healthz")).send().await.expect("an HTTPS answer");
    let register = client
        .post(format!("{base}/api/auth/register"))
        .json(&json!({ "email": unique_email(), "password": PASSWORD }))
        .send()
        .await
        .expect("an HTTPS answer");

    // Assert
    assert_eq!(health.status(), 200);
    let hsts = health.headers().get("strict-transport-security").expect("HSTS over TLS");
    assert!(hsts.to_str().unwrap_or("").contains("max-age="), "HSTS {hsts:?}");
    assert_eq!(register.status(), 201);
    assert!(register.headers().get("strict-transport-security").is_some());
    // Plain http to the TLS port is refused, not served.
    let plain = reqwest::get(format!("http://127.0.0.1:{}/healthz", app.addr.port())).await;
    assert!(plain.map_or(true, |r| r.status() != 200), "plain http must not be served on the TLS port");
}

#[tokio::test]
async fn over_plain_http_there_is_no_hsts_header() {
    let app = TestApp::spawn().await;

    let response = app.get("/healthz", &Jar::default()).await;

    assert_status(&response, 200);
    assert!(response.header("strict-transport-security").is_none());
}

#[tokio::test]
async fn the_optional_plain_http_listener_redirects_every_request_to_https() {
    let (_dir, _cert_pem, cert_path, key_path) = self_signed();
    // A free port for the redirect listener (released just before use).
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("its address").port();
    let redirect_addr = format!("127.0.0.1:{port}");
    let origin = "https://app.example.test";
    let _app = TestApp::spawn_with(&[
        ("AUTH_TLS_CERT", &cert_path),
        ("AUTH_TLS_KEY", &key_path),
        ("AUTH_HTTP_REDIRECT_ADDR", &redirect_addr),
        ("AUTH_PUBLIC_ORIGIN", origin),
    ])
    .await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .expect("an HTTP client");

    let page = client.get(format!("http://{redirect_addr}/admin?tab=users")).send().await.expect("an answer");
    let post = client.post(format!("http://{redirect_addr}/api/auth/login")).send().await.expect("an answer");

    // 308 keeps the method, so a POST is re-sent as a POST over HTTPS.
    assert_eq!(page.status(), 308);
    assert_eq!(page.headers()["location"], format!("{origin}/admin?tab=users").as_str());
    assert_eq!(post.status(), 308);
    assert_eq!(post.headers()["location"], format!("{origin}/api/auth/login").as_str());
    assert!(post.headers().get("set-cookie").is_none(), "nothing is served over plain http");
}

#[test]
fn a_redirect_listener_without_tls_is_a_configuration_error() {
    let vars = [("AUTH_HTTP_REDIRECT_ADDR", "127.0.0.1:8080")];
    let err =
        server::config::Config::from_lookup(|name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned()))
            .expect_err("refused without TLS");
    assert!(err.to_string().contains("AUTH_HTTP_REDIRECT_ADDR"), "{err}");
}
