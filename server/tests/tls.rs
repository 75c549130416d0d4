//! HTTPS served directly with rustls when `AUTH_TLS_CERT`/`AUTH_TLS_KEY`
//! are set, with `Strict-Transport-Security` — and no HSTS over plain http.
//! The certificate is made in the test (rcgen), and the client trusts only it.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn over_tls_the_server_answers_with_hsts_and_sessions_work() {
    // Arrange: a self-signed certificate for 127.0.0.1, trusted by the client.
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .expect("generate a certificate");
    let dir = tempfile::tempdir().expect("a temp dir for the certificate");
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, certified.cert.pem()).expect("write the certificate");
    std::fs::write(&key_path, certified.signing_key.serialize_pem()).expect("write the key");
    let app = TestApp::spawn_with(&[
        ("AUTH_TLS_CERT", cert_path.to_str().expect("utf-8 path")),
        ("AUTH_TLS_KEY", key_path.to_str().expect("utf-8 path")),
    ])
    .await;
    let client = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(certified.cert.pem().as_bytes()).expect("parse the certificate"),
        )
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
