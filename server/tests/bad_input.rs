//! Hostile and malformed input: every case gets a 4xx with the
//! `{"error", "message"}` body (the exact code where the contract names
//! one), never a 5xx, and no error body echoes what was sent.

mod common;

use common::*;
use rand::Rng;
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, COOKIE, HeaderValue};
use serde_json::json;

const AUTH_POSTS: [&str; 2] = ["/api/auth/register", "/api/auth/login"];

/// POSTs `body` with the given content type (none when `None`).
async fn post_raw(app: &TestApp, path: &str, content_type: Option<&str>, body: Vec<u8>) -> Response {
    let mut request = app.request(Method::POST, path, &Jar::default()).body(body);
    if let Some(content_type) = content_type {
        request = request.header(CONTENT_TYPE, content_type);
    }
    app.send(request).await
}

/// A printable, cookie-safe string of `len` random characters.
fn random_cookie_value(len: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'()*+-./:<=>?@[]^_`{|}~";
    let mut rng = rand::thread_rng();
    (0..len).map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char).collect()
}

#[tokio::test]
async fn malformed_json_is_a_bad_request() {
    // Arrange
    let app = TestApp::spawn().await;
    let marker = "malformed-marker@example.com";
    let body = format!(r#"{{"email": "{marker}", "password": "#);

    for path in AUTH_POSTS {
        // Act
        let response = post_raw(&app, path, Some("application/json"), body.clone().into_bytes()).await;

        // Assert
        assert_error(&response, 400, "bad_request");
        assert_not_echoed(&response, marker);
    }
}

#[tokio::test]
async fn a_text_plain_body_is_unsupported_media_type() {
    // Arrange
    let app = TestApp::spawn().await;
    let marker = "plain-marker@example.com";
    let body = json!({ "email": marker, "password": PASSWORD }).to_string();

    for path in AUTH_POSTS {
        // Act
        let response = post_raw(&app, path, Some("text/plain"), body.clone().into_bytes()).await;

        // Assert
        assert_error(&response, 415, "unsupported_media_type");
        assert_not_echoed(&response, marker);
    }
}

#[tokio::test]
async fn a_form_body_is_unsupported_media_type() {
    // Arrange
    let app = TestApp::spawn().await;
    let body = "email=form-marker%40example.com&password=correct+horse+battery+staple";

    for path in AUTH_POSTS {
        // Act
        let response = post_raw(&app, path, Some("application/x-www-form-urlencoded"), body.as_bytes().to_vec()).await;

        // Assert
        assert_error(&response, 415, "unsupported_media_type");
        assert_not_echoed(&response, "form-marker");
    }
}

#[tokio::test]
async fn a_json_body_without_a_content_type_is_a_client_error() {
    // Arrange
    let app = TestApp::spawn().await;
    let body = json!({ "email": unique_email(), "password": PASSWORD }).to_string();

    // Act
    let response = post_raw(&app, "/api/auth/register", None, body.into_bytes()).await;

    // Assert
    assert_client_error(&response);
}

#[tokio::test]
async fn a_json_content_type_with_a_charset_is_accepted() {
    // Arrange
    let app = TestApp::spawn().await;
    let body = json!({ "email": unique_email(), "password": PASSWORD }).to_string();

    // Act
    let response =
        post_raw(&app, "/api/auth/register", Some("application/json; charset=utf-8"), body.into_bytes()).await;

    // Assert
    assert_status(&response, 201);
}

#[tokio::test]
async fn a_body_over_64_kib_is_payload_too_large() {
    // Arrange
    let app = TestApp::spawn().await;
    let body = json!({ "email": unique_email(), "password": "p".repeat(100 * 1024) }).to_string();

    for path in AUTH_POSTS {
        // Act: the server may close the connection right after answering,
        // which can race our upload; retry a connection error a few times.
        let mut outcome = None;
        for _ in 0..3 {
            let request = app
                .request(Method::POST, path, &Jar::default())
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
            if let Ok(response) = request.send().await {
                outcome = Some(Response::read(response).await);
                break;
            }
        }
        let response = outcome.unwrap_or_else(|| panic!("{path}: no response to a 100 KiB body"));

        // Assert
        assert_error(&response, 413, "payload_too_large");
    }
}

#[tokio::test]
async fn an_empty_body_is_a_client_error() {
    // Arrange
    let app = TestApp::spawn().await;

    for path in AUTH_POSTS {
        // Act
        let response = post_raw(&app, path, Some("application/json"), Vec::new()).await;

        // Assert
        assert_client_error(&response);
    }
}

#[tokio::test]
async fn json_with_wrong_types_is_a_client_error() {
    // Arrange
    let app = TestApp::spawn().await;
    let bodies = [
        json!({ "email": 5, "password": PASSWORD }),
        json!({ "email": "types-marker@example.com", "password": true }),
        json!({ "email": ["types-marker@example.com"], "password": PASSWORD }),
        json!({ "email": null, "password": null }),
        // (A JSON array in field order is serde's sequence form of a struct:
        // it is a well-formed request, so it is not listed here.)
        json!("types-marker@example.com"),
    ];

    for path in AUTH_POSTS {
        for body in &bodies {
            // Act
            let response = app.post_json(path, &Jar::default(), body).await;

            // Assert
            assert_client_error(&response);
            assert_not_echoed(&response, "types-marker");
        }
    }
}

#[tokio::test]
async fn json_with_missing_fields_is_a_client_error() {
    // Arrange
    let app = TestApp::spawn().await;
    let bodies = [json!({}), json!({ "email": "missing-marker@example.com" }), json!({ "password": PASSWORD })];

    for path in AUTH_POSTS {
        for body in &bodies {
            // Act
            let response = app.post_json(path, &Jar::default(), body).await;

            // Assert
            assert_client_error(&response);
            assert_not_echoed(&response, "missing-marker");
        }
    }
}

#[tokio::test]
async fn an_email_over_254_characters_is_invalid_input() {
    // Arrange
    let app = TestApp::spawn().await;
    let local = "l".repeat(255 - "@example.com".len());
    let email = format!("{local}@example.com");
    assert_eq!(email.chars().count(), 255);

    // Act
    let response = app.register(&mut Jar::default(), &email, PASSWORD).await;

    // Assert
    assert_invalid_field(&response, "email");
    assert_not_echoed(&response, &email);
    assert_not_echoed(&response, &local[..40]);
}

#[tokio::test]
async fn malformed_emails_are_invalid_input() {
    // Arrange
    let app = TestApp::spawn().await;
    // Most carry the marker "zq", which no sensible message contains.
    let emails = [
        "",
        "   ",
        "@example.com",
        "zq-no-at-sign.example.com",
        "zq-someone@",
        "zq-two@at@example.com",
        "zq white space@example.com",
        "zq-tab\t@example.com",
        "zq-bell\u{7}@example.com",
        "zq-nul\u{0}@example.com",
        "zq-line\nbreak@example.com",
    ];

    for email in emails {
        // Act
        let response = app.register(&mut Jar::default(), email, PASSWORD).await;

        // Assert
        assert_eq!(response.status.as_u16(), 422, "{email:?}: {}", response.body);
        assert_invalid_field(&response, "email");
        assert_not_echoed(&response, "zq");
    }
}

#[tokio::test]
async fn passwords_outside_8_to_1024_characters_are_invalid_input() {
    // Arrange
    let app = TestApp::spawn().await;
    let too_short = "seven77";
    let too_long = "x".repeat(1025);

    // Act
    let short = app.register(&mut Jar::default(), &unique_email(), too_short).await;
    let long = app.register(&mut Jar::default(), &unique_email(), &too_long).await;

    // Assert
    assert_invalid_field(&short, "password");
    assert_invalid_field(&long, "password");
    assert_not_echoed(&short, too_short);
    assert_not_echoed(&long, &too_long[..64]);
}

#[tokio::test]
async fn passwords_of_8_and_1024_characters_are_accepted() {
    // Arrange
    let app = TestApp::spawn().await;
    let shortest = "pässwörd"; // 8 characters, 10 bytes
    let longest = "y".repeat(1024);
    let short_email = unique_email();
    let long_email = unique_email();

    // Act
    let short = app.register(&mut Jar::default(), &short_email, shortest).await;
    let long = app.register(&mut Jar::default(), &long_email, &longest).await;
    let short_login = app.login(&mut Jar::default(), &short_email, shortest).await;
    let long_login = app.login(&mut Jar::default(), &long_email, &longest).await;

    // Assert
    assert_status(&short, 201);
    assert_status(&long, 201);
    assert_status(&short_login, 200);
    assert_status(&long_login, 200);
}

#[tokio::test]
async fn unicode_emails_are_trimmed_lowercased_and_can_log_in() {
    // Arrange
    let app = TestApp::spawn().await;
    let mut jar = Jar::default();

    // Act
    let register = app.register(&mut jar, "  Jörg@Exämple.DE ", PASSWORD).await;
    let login = app.login(&mut Jar::default(), "jörg@exämple.de", PASSWORD).await;
    let shouted = app.login(&mut Jar::default(), "JÖRG@EXÄMPLE.DE", PASSWORD).await;
    let duplicate = app.register(&mut Jar::default(), "jörg@exämple.de", PASSWORD).await;

    // Assert
    assert_status(&register, 201);
    assert_eq!(register.session_info().user.email, "jörg@exämple.de");
    assert_status(&login, 200);
    assert_eq!(login.session_info().user.id, register.session_info().user.id);
    assert_status(&shouted, 200);
    assert_error(&duplicate, 409, "email_taken");
    assert_not_echoed(&duplicate, "jörg");
}

#[tokio::test]
async fn junk_access_cookies_are_unauthenticated() {
    // Arrange
    let app = TestApp::spawn().await;
    let long = random_cookie_value(4096);
    let values = vec![
        String::new(),
        "garbage".to_owned(),
        "a.b.c".to_owned(),
        "..".to_owned(),
        "eyJhbGciOiJub25lIn0.e30.".to_owned(),
        "%00%ff%fe".to_owned(),
        random_cookie_value(40),
        random_cookie_value(300),
        long,
    ];

    for value in &values {
        // Act
        let response = app.me(&app.jar_with_access(value)).await;

        // Assert
        assert_error(&response, 401, "unauthenticated");
        if value.len() > 8 {
            assert_not_echoed(&response, value);
        }
    }
}

#[tokio::test]
async fn junk_refresh_cookies_are_refresh_invalid() {
    // Arrange
    let app = TestApp::spawn().await;
    let values = vec![
        String::new(),
        "garbage".to_owned(),
        "%00%ff%fe".to_owned(),
        random_cookie_value(43),
        random_cookie_value(64),
        random_cookie_value(4096),
    ];

    for value in &values {
        // Act
        let response = app.refresh(&mut app.jar_with_refresh(value)).await;

        // Assert
        assert_error(&response, 401, "refresh_invalid");
        if value.len() > 8 {
            assert_not_echoed(&response, value);
        }
    }
}

#[tokio::test]
async fn malformed_cookie_headers_are_unauthenticated() {
    // Arrange
    let app = TestApp::spawn().await;
    let headers: Vec<HeaderValue> = vec![
        HeaderValue::from_static("garbage-without-equals"),
        HeaderValue::from_static(";;;=;="),
        HeaderValue::from_static("=value-without-name"),
        HeaderValue::from_static("__Host-access"),
        HeaderValue::from_static("__Host-access=\"quoted\""),
        HeaderValue::from_bytes(b"__Host-access=\xff\xfe\x80\x81").expect("obs-text is allowed"),
        HeaderValue::from_bytes(b"\xc3\x28=\xa0\xa1").expect("obs-text is allowed"),
    ];

    for header in headers {
        // Act
        let request = app.client.get(app.url("/api/me")).header(COOKIE, header.clone());
        let response = app.send(request).await;

        // Assert
        assert!(!response.status.is_server_error(), "{header:?} caused {}", response.status);
        assert_error(&response, 401, "unauthenticated");
    }
}

#[tokio::test]
async fn unknown_api_paths_are_not_found_with_an_error_body() {
    // Arrange
    let app = TestApp::spawn().await;

    for path in ["/api/nope", "/api/auth/nope", "/api/me/extra"] {
        // Act
        let response = app.get(path, &Jar::default()).await;

        // Assert
        assert_error(&response, 404, "not_found");
    }
}

#[tokio::test]
async fn wrong_methods_are_method_not_allowed_with_an_error_body() {
    // Arrange
    let app = TestApp::spawn().await;
    let cases = [
        (Method::GET, "/api/auth/refresh"),
        (Method::GET, "/api/auth/logout"),
        (Method::GET, "/api/auth/login"),
        (Method::GET, "/api/auth/register"),
        (Method::DELETE, "/api/me"),
        (Method::POST, "/api/auth/session"),
    ];

    for (method, path) in cases {
        // Act
        let response = app.send(app.request(method.clone(), path, &Jar::default())).await;

        // Assert
        assert_eq!(response.status.as_u16(), 405, "{method} {path}: {}", response.body);
        assert_error(&response, 405, "method_not_allowed");
    }
}

#[tokio::test]
async fn error_bodies_do_not_echo_the_submitted_email() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let unknown = "echo-marker-unknown@example.com";
    let invalid = "<script>echo-marker</script>@@example.com";

    // Act
    let wrong_password = app.login(&mut Jar::default(), &user.email, "wrong-pass-marker-77").await;
    let unknown_email = app.login(&mut Jar::default(), unknown, PASSWORD).await;
    let invalid_email = app.register(&mut Jar::default(), invalid, PASSWORD).await;
    let taken = app.register(&mut Jar::default(), &user.email, PASSWORD).await;

    // Assert
    for response in [&wrong_password, &unknown_email, &invalid_email, &taken] {
        assert_client_error(response);
        assert_not_echoed(response, &user.email);
        assert_not_echoed(response, unknown);
        assert_not_echoed(response, "echo-marker");
        assert_not_echoed(response, "<script>");
        assert_not_echoed(response, "wrong-pass-marker");
    }
}

#[tokio::test]
async fn an_email_with_an_invisible_character_is_invalid_input_and_makes_no_twin() {
    // Arrange: the real account.
    let app = TestApp::spawn().await;
    let email = unique_email();
    assert_status(&app.register(&mut Jar::default(), &email, PASSWORD).await, 201);
    let (local, domain) = email.split_once('@').expect("an address");

    for invisible in ["\u{200B}", "\u{200C}", "\u{200D}", "\u{2060}", "\u{FEFF}", "\u{202E}", "\u{2067}"] {
        // Act: the same address on screen, another string underneath.
        let twin = format!("{local}{invisible}@{domain}");
        let response = app.register(&mut Jar::default(), &twin, PASSWORD).await;

        // Assert
        assert_invalid_field(&response, "email");
    }
}

#[tokio::test]
async fn a_decomposed_spelling_of_an_email_is_the_same_account() {
    let app = TestApp::spawn().await;
    assert_status(&app.register(&mut Jar::default(), "j\u{00F6}rg@example.de", PASSWORD).await, 201);

    let decomposed = app.register(&mut Jar::default(), "jo\u{0308}rg@example.de", PASSWORD).await;
    let login = app.login(&mut Jar::default(), "jo\u{0308}rg@example.de", PASSWORD).await;

    assert_error(&decomposed, 409, "email_taken");
    assert_status(&login, 200);
}
