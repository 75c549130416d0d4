//! Assertions on the contract's answers (`docs/API.md`): statuses, error
//! bodies, rate limits, cleared cookies, caching headers. Each names what it
//! found when it fails.

use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use serde_json::Value;

use super::api::{Api, Response};

#[track_caller]
pub fn assert_status(response: &Response, expected: u16) {
    assert_eq!(response.status.as_u16(), expected, "unexpected status; body: {}", response.body);
}

/// An error body as the contract spells it, read as plain JSON strings (the
/// tests do not borrow the server's types to read its answers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorBody {
    pub error: String,
    pub message: String,
    /// The refused input, when the error is about one.
    pub field: Option<String>,
}

/// Asserts a 4xx with a JSON `{"error", "message"}` body of non-empty
/// strings (and, if anything more, only a string `field`), and returns it.
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
    let object = value.as_object().map(|o| o.keys().map(String::as_str).collect::<Vec<_>>()).unwrap_or_default();
    assert!(
        object.iter().all(|key| matches!(*key, "error" | "message" | "field")),
        "error body has keys beyond error, message and field: {}",
        response.body
    );
    let field = match value.get("field") {
        None => None,
        Some(Value::String(field)) if !field.is_empty() => Some(field.clone()),
        Some(other) => panic!("error body's field is not a non-empty string: {other}; body {}", response.body),
    };
    ErrorBody { error: error.to_owned(), message: message.to_owned(), field }
}

/// Asserts an API error with exactly this status and code.
#[track_caller]
pub fn assert_error(response: &Response, status: u16, code: &str) {
    assert_status(response, status);
    let body = assert_client_error(response);
    assert_eq!(body.error, code, "unexpected error code; body: {}", response.body);
}

/// Asserts `422 invalid_input` about the input `field`.
#[track_caller]
pub fn assert_invalid_field(response: &Response, field: &str) {
    assert_status(response, 422);
    let body = assert_client_error(response);
    assert_eq!(body.error, "invalid_input", "unexpected error code; body: {}", response.body);
    assert_eq!(body.field.as_deref(), Some(field), "the refusal names another field; body: {}", response.body);
}

/// Asserts a limiter's refusal: `429 rate_limited` with the contract's error
/// body and a whole-seconds `Retry-After` of 1..=60 (the limiters count per
/// minute).
#[track_caller]
pub fn assert_rate_limited(response: &Response) {
    assert_error(response, 429, "rate_limited");
    let retry_after = response
        .header(RETRY_AFTER.as_str())
        .unwrap_or_else(|| panic!("a 429 without a Retry-After header; body: {}", response.body));
    let retry_after: u64 =
        retry_after.parse().unwrap_or_else(|_| panic!("Retry-After is not whole seconds: {retry_after:?}"));
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after} out of range");
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
