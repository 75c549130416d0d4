//! Property-based fuzzing (proptest) over HTTP, bounded so it fits in the
//! suite.
//!
//! Against a real server (about 64 cases a property): access tokens that
//! are anything but exactly as issued are `401 unauthenticated`; refresh
//! cookies that are not live tokens are `401 refresh_invalid`; any `Cookie`
//! header is `401`; any JSON (or junk) body to login, register, password
//! change and role change is a contract error — or, where the body happens
//! to be valid, the documented success — and never a 5xx; and the server
//! stays healthy throughout.
//!
//! `PROPTEST_CASES` overrides every case count (and must be at least 1).
//!
//! The in-process properties of pure functions live next to the code they
//! check, as unit tests: refresh-token decoding in `src/auth/refresh.rs`,
//! email, password and role rules in `src/domain/fuzz.rs`, the
//! `Credentials` body type in `app/src/types/fuzz.rs`.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use app::types::{Credentials, RoleChange};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use ed25519_dalek::{Signer as _, SigningKey};
use hmac::{Hmac, Mac};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::{TestRunner, contextualize_config};
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, COOKIE, HeaderValue};
use serde_json::{Value, json};
use server::domain::{Email, NewPassword};
use sha2::{Sha256, Sha512};
use tokio::runtime::Runtime;

/// Cases for a property checked over HTTP.
const HTTP_CASES: u32 = 64;

// ---------------------------------------------------------------------------
// Configuration and runners
// ---------------------------------------------------------------------------

/// `cases` cases (unless `PROPTEST_CASES` says otherwise), no regression
/// files, bounded shrinking. `PROPTEST_CASES=0` is refused: it would pass
/// every property without checking anything.
fn config(cases: u32, shrink_iters: u32) -> ProptestConfig {
    let config = contextualize_config(ProptestConfig {
        cases,
        failure_persistence: None,
        max_shrink_iters: shrink_iters,
        max_shrink_time: 60_000,
        ..ProptestConfig::default()
    });
    assert!(config.cases > 0, "PROPTEST_CASES=0 would check nothing; set it to at least 1");
    config
}

/// A multi-thread runtime, so the server spawned on it keeps serving
/// between `block_on` calls.
fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("build a tokio runtime")
}

/// Runs an HTTP property; panics with the (shrunk) failing input.
fn run_http<S: Strategy>(strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>) {
    let mut runner = TestRunner::new(config(HTTP_CASES, 128));
    if let Err(failure) = runner.run(&strategy, test) {
        panic!("{failure}");
    }
}

async fn assert_healthy(app: &TestApp) {
    let response = app.get("/healthz", &Jar::default()).await;
    assert_status(&response, 200);
}

// ---------------------------------------------------------------------------
// Checks on responses (as proptest results, so failures shrink)
// ---------------------------------------------------------------------------

/// A 4xx with the contract's JSON `{"error", "message"}` body; the code.
fn contract_error(response: &Response) -> Result<String, TestCaseError> {
    prop_assert!(response.status.is_client_error(), "expected a 4xx, got {}; body {}", response.status, response.body);
    let content_type = response.header(CONTENT_TYPE.as_str()).unwrap_or("");
    prop_assert!(
        content_type.starts_with("application/json"),
        "error content type is {content_type:?}; status {}, body {}",
        response.status,
        response.body
    );
    let value: Value = serde_json::from_str(&response.body).map_err(|error| {
        TestCaseError::fail(format!(
            "the error body is not JSON ({error}); status {}, body {}",
            response.status, response.body
        ))
    })?;
    let error = value["error"].as_str().unwrap_or_default();
    let message = value["message"].as_str().unwrap_or_default();
    prop_assert!(!error.is_empty() && !message.is_empty(), "the error body lacks error/message: {}", response.body);
    Ok(error.to_owned())
}

/// Exactly this status and error code.
fn expect_error(response: &Response, status: u16, code: &str) -> Result<(), TestCaseError> {
    let error = contract_error(response)?;
    prop_assert_eq!(response.status.as_u16(), status, "body {}", response.body);
    prop_assert_eq!(error.as_str(), code, "body {}", response.body);
    Ok(())
}

/// `GET /api/me` with `token` as the access cookie is `401 unauthenticated`.
async fn refused_access(app: &TestApp, token: &str) -> Result<(), TestCaseError> {
    let response = app.me(&app.jar_with_access(token)).await;
    expect_error(&response, 401, "unauthenticated")
}

// ---------------------------------------------------------------------------
// Generic strategies
// ---------------------------------------------------------------------------

/// Any string up to `max` chars: every Unicode scalar, controls and NUL too.
fn text(max: usize) -> BoxedStrategy<String> {
    prop::collection::vec(any::<char>(), 0..=max).prop_map(|chars| chars.into_iter().collect()).boxed()
}

/// Field names worth hitting, and anything else.
fn json_key() -> BoxedStrategy<String> {
    const KEYS: &[&str] =
        &["email", "password", "current_password", "new_password", "roles", "id", "admin", "__proto__", ""];
    prop_oneof![2 => select(KEYS).prop_map(str::to_owned), 1 => text(12)].boxed()
}

fn json_number() -> BoxedStrategy<Value> {
    const INTS: &[i64] = &[i64::MIN, -1, 0, 1, i64::MAX];
    const BIG: &[u64] = &[1 << 63, u64::MAX];
    const FLOATS: &[f64] = &[f64::MAX, f64::MIN_POSITIVE, -0.0, 1e300, 0.5];
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        select(INTS).prop_map(Value::from),
        select(BIG).prop_map(Value::from),
        select(FLOATS).prop_map(Value::from),
    ]
    .boxed()
}

/// Any JSON value: null, booleans, numbers, strings, arrays and objects.
fn arb_json() -> BoxedStrategy<Value> {
    const STRINGS: &[&str] =
        &["", "null", "user", "admin", "a@b.c", "\u{0}", "' OR '1'='1", "%00", "../..", "\u{202e}", "💥", "\\u0000"];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        json_number(),
        text(24).prop_map(Value::String),
        select(STRINGS).prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(json_key(), inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
    .boxed()
}

/// An object of `extra` fields, then `fields` (absent when `None`).
fn object(extra: BTreeMap<String, Value>, fields: Vec<(&str, Option<Value>)>) -> Value {
    let mut map: serde_json::Map<String, Value> = extra.into_iter().collect();
    for (name, value) in fields {
        if let Some(value) = value {
            map.insert(name.to_owned(), value);
        }
    }
    Value::Object(map)
}

fn extra_fields() -> BoxedStrategy<BTreeMap<String, Value>> {
    prop::collection::btree_map(json_key(), arb_json(), 0..3).boxed()
}

fn plausible_email() -> BoxedStrategy<String> {
    " {0,2}[A-Za-z0-9._+-]{1,16}@[A-Za-z0-9.-]{1,12}\\.[a-z]{2,6} {0,2}".boxed()
}

/// A cookie value a client can send: visible ASCII and spaces, no `;`.
fn cookie_text() -> BoxedStrategy<String> {
    prop_oneof!["[ -:<-~]{0,300}", "[A-Za-z0-9_.-]{0,400}"].boxed()
}

/// A character for editing a token: base64url mostly, any visible ASCII
/// but `;` (which would end the cookie) otherwise.
fn edit_char() -> BoxedStrategy<char> {
    const BASE64URL: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    prop_oneof![
        3 => select(BASE64URL.chars().collect::<Vec<_>>()),
        1 => prop::char::range('!', '~').prop_filter("not a cookie separator", |c| *c != ';'),
    ]
    .boxed()
}

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// One edit of a token's text.
#[derive(Debug, Clone)]
enum Edit {
    Replace(Index, char),
    Delete(Index),
    Insert(Index, char),
    Truncate(Index),
}

fn edits() -> BoxedStrategy<Edit> {
    prop_oneof![
        4 => (any::<Index>(), edit_char()).prop_map(|(at, c)| Edit::Replace(at, c)),
        1 => any::<Index>().prop_map(Edit::Delete),
        1 => (any::<Index>(), edit_char()).prop_map(|(at, c)| Edit::Insert(at, c)),
        1 => any::<Index>().prop_map(Edit::Truncate),
    ]
    .boxed()
}

impl Edit {
    /// `token` with this edit; never `token` itself (tokens are ASCII).
    fn apply(&self, token: &str) -> String {
        let mut chars: Vec<char> = token.chars().collect();
        if chars.is_empty() {
            return "x".to_owned();
        }
        match self {
            Edit::Replace(at, c) => {
                let i = at.index(chars.len());
                let c = if *c != chars[i] {
                    *c
                } else if chars[i] == 'A' {
                    'B'
                } else {
                    'A'
                };
                chars[i] = c;
            }
            Edit::Delete(at) => {
                chars.remove(at.index(chars.len()));
            }
            Edit::Insert(at, c) => chars.insert(at.index(chars.len() + 1), *c),
            Edit::Truncate(at) => chars.truncate(at.index(chars.len())),
        }
        chars.into_iter().collect()
    }
}

// ---------------------------------------------------------------------------
// Access tokens (over HTTP: verifying needs the server's KeySet)
// ---------------------------------------------------------------------------

/// A real access token, taken apart.
struct Token {
    whole: String,
    segments: [String; 3],
    kid: String,
    claims: Value,
    /// Public material an attacker knows, to try as an HMAC secret: the raw
    /// Ed25519 public key, its JWK `x`, the JWK and the whole JWKS.
    public_secrets: Vec<Vec<u8>>,
}

fn decode_segment(segment: &str) -> Value {
    let bytes = URL_SAFE_NO_PAD.decode(segment).expect("a token segment is base64url");
    serde_json::from_slice(&bytes).expect("a token segment is JSON")
}

/// Registers a user and takes its access token apart; checks it works.
async fn token_under_test(app: &TestApp) -> Token {
    let user = app.new_user().await;
    let whole = app.access_token(&user.jar);
    assert_status(&app.me(&app.jar_with_access(&whole)).await, 200);
    let parts: Vec<&str> = whole.split('.').collect();
    assert_eq!(parts.len(), 3, "an access token has three segments: {whole}");
    let header = decode_segment(parts[0]);
    let claims = decode_segment(parts[1]);
    let kid = header["kid"].as_str().expect("the token names its kid").to_owned();
    let jwks = app.jwks().await;
    let jwk = jwks["keys"]
        .as_array()
        .expect("the JWKS has a keys array")
        .iter()
        .find(|key| key["kid"].as_str() == Some(kid.as_str()))
        .cloned()
        .expect("the JWKS publishes the token's key");
    let x = jwk["x"].as_str().expect("an OKP key has x").to_owned();
    let public_secrets = vec![
        URL_SAFE_NO_PAD.decode(&x).expect("x is base64url"),
        x.into_bytes(),
        jwk.to_string().into_bytes(),
        jwks.to_string().into_bytes(),
    ];
    let segments = [parts[0].to_owned(), parts[1].to_owned(), parts[2].to_owned()];
    Token { whole, segments, kid, claims, public_secrets }
}

/// The classic forgeries: `alg: none`, HMAC keyed with public material,
/// and a token signed by an attacker's key that it embeds (`jwk`) or names.
fn classic_forgeries(token: &Token) -> Vec<String> {
    let [_, claims, signature] = &token.segments;
    let mut elevated = token.claims.clone();
    elevated["roles"] = json!(["user", "admin"]);
    let elevated = b64(elevated.to_string());
    let attacker = SigningKey::from_bytes(&[7; 32]);
    let attacker_jwk = json!({
        "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "kid": "attacker",
        "x": b64(attacker.verifying_key().to_bytes()),
    });
    let mut forged = Vec::new();
    for payload in [claims, &elevated] {
        for alg in ["none", "None", "NONE", "nOnE", ""] {
            let header = b64(json!({ "alg": alg, "typ": "at+jwt", "kid": token.kid }).to_string());
            forged.push(format!("{header}.{payload}."));
            forged.push(format!("{header}.{payload}.{signature}"));
        }
        for secret in &token.public_secrets {
            let header = b64(json!({ "alg": "HS256", "typ": "at+jwt", "kid": token.kid }).to_string());
            let input = format!("{header}.{payload}");
            let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key");
            mac.update(input.as_bytes());
            forged.push(format!("{input}.{}", b64(mac.finalize().into_bytes())));

            let header = b64(json!({ "alg": "HS512", "typ": "at+jwt", "kid": token.kid }).to_string());
            let input = format!("{header}.{payload}");
            let mut mac = Hmac::<Sha512>::new_from_slice(secret).expect("HMAC takes any key");
            mac.update(input.as_bytes());
            forged.push(format!("{input}.{}", b64(mac.finalize().into_bytes())));
        }
        let headers = [
            json!({ "alg": "EdDSA", "typ": "at+jwt", "kid": token.kid, "jwk": attacker_jwk }),
            json!({ "alg": "EdDSA", "typ": "at+jwt", "kid": "attacker", "jwk": attacker_jwk }),
            json!({ "alg": "EdDSA", "typ": "at+jwt", "kid": token.kid }),
            json!({ "alg": "EdDSA", "typ": "at+jwt", "kid": token.kid, "jku": "https://evil.example/jwks.json" }),
            json!({ "alg": "EdDSA", "typ": "at+jwt" }),
        ];
        for header in headers {
            let input = format!("{}.{payload}", b64(header.to_string()));
            let signature = attacker.sign(input.as_bytes());
            forged.push(format!("{input}.{}", b64(signature.to_bytes())));
        }
    }
    forged
}

/// A replacement payload: JSON, or raw text (numbers JSON values cannot hold).
#[derive(Debug, Clone)]
enum Claims {
    Json(Value),
    Text(String),
}

#[derive(Debug, Clone)]
enum AccessCase {
    /// Anything a cookie can hold.
    Text(String),
    /// Three base64url segments of arbitrary bytes.
    Segments(Vec<u8>, Vec<u8>, Vec<u8>),
    /// The real token with one edit.
    Edit(Edit),
    /// The real token's segments reordered or repeated.
    Reorder([usize; 3]),
    /// The real token with one signature bit flipped.
    FlipSignatureBit(Index, u8),
    /// The real token with its header, claims and/or signature replaced.
    Forge { header: Option<Value>, claims: Option<Claims>, signature: Option<Vec<u8>> },
}

impl AccessCase {
    fn materialize(&self, token: &Token) -> String {
        let [header, claims, signature] = &token.segments;
        match self {
            AccessCase::Text(text) => text.clone(),
            AccessCase::Segments(a, b, c) => format!("{}.{}.{}", b64(a), b64(b), b64(c)),
            AccessCase::Edit(edit) => edit.apply(&token.whole),
            AccessCase::Reorder(order) => {
                order.iter().map(|&i| token.segments[i].as_str()).collect::<Vec<_>>().join(".")
            }
            AccessCase::FlipSignatureBit(at, bit) => {
                let mut bytes = URL_SAFE_NO_PAD.decode(signature).expect("the signature is base64url");
                let i = at.index(bytes.len());
                bytes[i] ^= 1 << (bit % 8);
                format!("{header}.{claims}.{}", b64(bytes))
            }
            AccessCase::Forge { header: new_header, claims: new_claims, signature: new_signature } => {
                let header = new_header.as_ref().map_or_else(|| header.clone(), |h| b64(h.to_string()));
                let claims = match new_claims {
                    None => claims.clone(),
                    Some(Claims::Json(value)) => b64(value.to_string()),
                    Some(Claims::Text(text)) => b64(text),
                };
                let signature = new_signature.as_ref().map_or_else(|| signature.clone(), |bytes| b64(bytes.as_slice()));
                format!("{header}.{claims}.{signature}")
            }
        }
    }
}

/// Header objects: every `alg` trick, `typ` and `kid` variants, the
/// key-location headers, `crit`, and arbitrary extra fields.
fn token_headers(kid: String) -> BoxedStrategy<Value> {
    const ALGS: &[&str] = &[
        "none", "None", "NONE", "nOnE", "", "HS256", "HS384", "HS512", "RS256", "PS256", "ES256", "ES256K", "EdDSA",
        "eddsa", "EDDSA", "Ed25519", "ED25519",
    ];
    const TYPS: &[&str] = &["at+jwt", "AT+JWT", "JWT", "jwt", "application/at+jwt", ""];
    let alg = prop_oneof![4 => select(ALGS).prop_map(Value::from), 1 => arb_json()];
    let typ = prop_oneof![4 => select(TYPS).prop_map(Value::from), 1 => arb_json()];
    let kid_values = vec![
        json!(kid),
        json!(format!("{kid} ")),
        json!(format!("{kid}\u{0}")),
        json!(kid.to_uppercase()),
        json!(""),
        json!("../../../../../../dev/null"),
        json!("' OR '1'='1"),
        json!("x".repeat(5000)),
        json!(0),
        json!([kid]),
        Value::Null,
    ];
    let kid = prop_oneof![4 => select(kid_values), 1 => arb_json()];
    let location = select(vec![
        None,
        Some(("jku", json!("https://evil.example/jwks.json"))),
        Some(("jwk", json!({ "kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" }))),
        Some(("x5u", json!("https://evil.example/cert.pem"))),
        Some(("x5c", json!(["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]))),
        Some(("crit", json!(["exp"]))),
        Some(("crit", json!([]))),
        Some(("b64", json!(false))),
        Some(("zip", json!("DEF"))),
        Some(("cty", json!("JWT"))),
    ]);
    (
        prop::option::weighted(0.9, alg),
        prop::option::weighted(0.8, typ),
        prop::option::weighted(0.8, kid),
        location,
        prop::collection::btree_map(json_key(), arb_json(), 0..3),
    )
        .prop_map(|(alg, typ, kid, location, extra)| {
            let mut header = object(extra, vec![("alg", alg), ("typ", typ), ("kid", kid)]);
            if let Some((name, value)) = location {
                header[name] = value;
            }
            header
        })
        .boxed()
}

/// Claims: the real ones with a time claim set to a huge, negative,
/// fractional, textual or out-of-range value, another claim changed or
/// removed; or any JSON at all.
fn token_claims(base: Value) -> BoxedStrategy<Claims> {
    const TIME_CLAIMS: &[&str] = &["exp", "nbf", "iat"];
    // Written into the JSON text as is: some are beyond what a JSON value
    // (or an i64) can hold, some are not JSON at all.
    const RAW_TIMES: &[&str] = &[
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551615",
        "18446744073709551616",
        "99999999999999999999999999999999",
        "-9223372036854775809",
        "1e300",
        "1e400",
        "-1e400",
        "1.5",
        "1E3",
        "-0",
        "\"9999999999\"",
        "null",
        "true",
        "[]",
        "{}",
        "NaN",
        "Infinity",
        "0x7fffffff",
    ];
    let times = {
        let base = base.clone();
        (select(TIME_CLAIMS), select(RAW_TIMES)).prop_map(move |(claim, raw)| {
            let mut claims = base.clone();
            claims[claim] = json!("__RAW_TIME__");
            Claims::Text(claims.to_string().replace("\"__RAW_TIME__\"", raw))
        })
    };
    let time_values = {
        let base = base.clone();
        let value = prop_oneof![json_number(), text(12).prop_map(Value::String), arb_json()];
        (select(TIME_CLAIMS), value).prop_map(move |(claim, value)| {
            let mut claims = base.clone();
            claims[claim] = value;
            Claims::Json(claims)
        })
    };
    const OTHER_CLAIMS: &[&str] = &["iss", "aud", "sub", "sid", "email", "roles", "jti", "ver", "typ", "exp"];
    let changed = {
        let base = base.clone();
        let value = prop_oneof![Just(json!(["user", "admin"])), Just(json!("admin")), arb_json()];
        (select(OTHER_CLAIMS), value).prop_map(move |(claim, value)| {
            let mut claims = base.clone();
            claims[claim] = value;
            Claims::Json(claims)
        })
    };
    let removed = select(OTHER_CLAIMS).prop_map(move |claim| {
        let mut claims = base.clone();
        if let Some(map) = claims.as_object_mut() {
            map.remove(claim);
        }
        Claims::Json(claims)
    });
    prop_oneof![
        2 => times,
        2 => time_values,
        2 => changed,
        1 => removed,
        1 => arb_json().prop_map(Claims::Json),
    ]
    .boxed()
}

fn access_cases(token: &Token) -> BoxedStrategy<AccessCase> {
    let bytes = |max: usize| prop::collection::vec(any::<u8>(), 0..max);
    let forge = (
        prop::option::of(token_headers(token.kid.clone())),
        prop::option::of(token_claims(token.claims.clone())),
        prop::option::of(prop_oneof![bytes(100), prop::collection::vec(any::<u8>(), 64..=64)]),
    )
        .prop_filter("changes something", |(h, c, s)| h.is_some() || c.is_some() || s.is_some())
        .prop_map(|(header, claims, signature)| AccessCase::Forge { header, claims, signature });
    prop_oneof![
        1 => cookie_text().prop_map(AccessCase::Text),
        1 => (bytes(300), bytes(600), bytes(100)).prop_map(|(a, b, c)| AccessCase::Segments(a, b, c)),
        3 => edits().prop_map(AccessCase::Edit),
        1 => prop::array::uniform3(0usize..3)
            .prop_filter("a real reordering", |order| *order != [0, 1, 2])
            .prop_map(AccessCase::Reorder),
        1 => (any::<Index>(), 0u8..8).prop_map(|(at, bit)| AccessCase::FlipSignatureBit(at, bit)),
        4 => forge,
    ]
    .boxed()
}

#[test]
fn access_tokens_not_exactly_as_issued_are_unauthenticated() {
    let rt = runtime();
    let app = rt.block_on(TestApp::spawn());
    let token = rt.block_on(token_under_test(&app));

    for forged in classic_forgeries(&token) {
        if let Err(error) = rt.block_on(refused_access(&app, &forged)) {
            panic!("a forged token was not refused as it should be ({error}): {forged}");
        }
    }

    run_http(access_cases(&token), |case| {
        let candidate = case.materialize(&token);
        prop_assume!(candidate != token.whole, "the case rebuilt the real token");
        rt.block_on(refused_access(&app, &candidate))
    });

    rt.block_on(async {
        // The real token still works: nothing above disturbed the session.
        assert_status(&app.me(&app.jar_with_access(&token.whole)).await, 200);
        assert_healthy(&app).await;
    });
}

// ---------------------------------------------------------------------------
// Refresh cookies
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum RefreshCase {
    Text(String),
    /// The right length and alphabet, random content.
    Shaped(String),
    /// The real token with one edit.
    Edit(Edit),
}

impl RefreshCase {
    fn materialize(&self, real: &str) -> String {
        match self {
            RefreshCase::Text(text) | RefreshCase::Shaped(text) => text.clone(),
            RefreshCase::Edit(edit) => edit.apply(real),
        }
    }
}

#[test]
fn refresh_cookies_that_are_not_live_tokens_are_refresh_invalid() {
    let rt = runtime();
    let app = rt.block_on(TestApp::spawn());
    let mut user = rt.block_on(app.new_user());
    let real = app.refresh_token(&user.jar);

    let cases = prop_oneof![
        1 => cookie_text().prop_map(RefreshCase::Text),
        1 => "[A-Za-z0-9_-]{76}".prop_map(RefreshCase::Shaped),
        2 => edits().prop_map(RefreshCase::Edit),
    ];
    run_http(cases, |case| {
        let candidate = case.materialize(&real);
        prop_assume!(candidate != real, "the case rebuilt the real token");
        rt.block_on(async {
            let response = app.refresh(&mut app.jar_with_refresh(&candidate)).await;
            expect_error(&response, 401, "refresh_invalid")
        })
    });

    rt.block_on(async {
        // Junk never touches the real session: its token still rotates.
        let response = app.refresh(&mut user.jar).await;
        assert_status(&response, 200);
        assert_healthy(&app).await;
    });
}

// ---------------------------------------------------------------------------
// Cookie headers
// ---------------------------------------------------------------------------

/// Header-value bytes (tab, visible ASCII, space, obs-text), raw or as
/// `name=value` pairs using the real cookie names.
fn cookie_headers(access: String, refresh: String) -> BoxedStrategy<Vec<u8>> {
    let byte = prop_oneof![Just(b'\t'), 0x20u8..=0x7e, 0x80u8..=0xff].boxed();
    let raw = prop::collection::vec(byte.clone(), 0..300);
    let names = vec![access.clone(), refresh, access.to_lowercase(), format!(" {access}"), format!("{access} ")];
    let name = prop_oneof![2 => select(names), 1 => "[!-:<-~]{0,20}"];
    let value = prop_oneof!["[ -:<-~]{0,120}".prop_map(String::into_bytes), prop::collection::vec(byte, 0..60),];
    let separator = select(vec!["; ", ";", ", ", " ; ", ";;", "\t;"]);
    let pairs = prop::collection::vec((name, select(vec!["=", "==", ""]), value, separator), 0..6).prop_map(|pairs| {
        let mut header = Vec::new();
        for (name, equals, value, separator) in pairs {
            header.extend_from_slice(name.as_bytes());
            header.extend_from_slice(equals.as_bytes());
            header.extend_from_slice(&value);
            header.extend_from_slice(separator.as_bytes());
        }
        header
    });
    prop_oneof![raw, pairs].boxed()
}

#[test]
fn arbitrary_cookie_headers_are_unauthenticated() {
    let rt = runtime();
    let app = rt.block_on(TestApp::spawn());

    run_http(cookie_headers(app.access_cookie.clone(), app.refresh_cookie.clone()), |bytes| {
        rt.block_on(async {
            let header = HeaderValue::from_bytes(&bytes)
                .map_err(|error| TestCaseError::fail(format!("the strategy made a bad header value: {error}")))?;
            let response = app.send(app.client.get(app.url("/api/me")).header(COOKIE, header)).await;
            let code = contract_error(&response)?;
            prop_assert!(
                (response.status == 401 && code == "unauthenticated")
                    || (response.status == 400 && code == "bad_request"),
                "expected 401 unauthenticated (or 400 bad_request), got {} {}",
                response.status,
                response.body
            );
            Ok::<(), TestCaseError>(())
        })
    });

    rt.block_on(assert_healthy(&app));
}

// ---------------------------------------------------------------------------
// JSON bodies
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Body {
    Json(Value),
    Bytes(Vec<u8>),
}

impl Body {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Body::Json(value) => serde_json::to_vec(value).expect("a JSON value serialises"),
            Body::Bytes(bytes) => bytes.clone(),
        }
    }
}

/// Well-shaped bodies (`shaped`), any JSON, shaped JSON with one byte
/// changed or cut short, and junk bytes.
fn bodies(shaped: BoxedStrategy<Value>) -> BoxedStrategy<Body> {
    let corrupted = (shaped.clone(), any::<Index>(), any::<u8>(), any::<bool>()).prop_map(|(value, at, byte, cut)| {
        let mut bytes = serde_json::to_vec(&value).expect("a JSON value serialises");
        if !bytes.is_empty() {
            let i = at.index(bytes.len());
            if cut {
                bytes.truncate(i);
            } else {
                bytes[i] = byte;
            }
        }
        Body::Bytes(bytes)
    });
    prop_oneof![
        4 => shaped.prop_map(Body::Json),
        2 => arb_json().prop_map(Body::Json),
        1 => corrupted,
        1 => prop::collection::vec(any::<u8>(), 0..512).prop_map(Body::Bytes),
        1 => "[ -~]{0,200}".prop_map(|text| Body::Bytes(text.into_bytes())),
    ]
    .boxed()
}

/// `{email, password}` objects, each field often plausible, sometimes
/// missing or of the wrong type.
fn credentials_objects(known_emails: Vec<String>) -> BoxedStrategy<Value> {
    let mut samples = known_emails;
    samples.extend(["a@b.c", " A@Example.COM ", "x@y", "@", "a@b@c", "a@.b", "\u{0}@x.y"].map(String::from));
    let email = prop_oneof![
        3 => plausible_email().prop_map(Value::String),
        1 => select(samples).prop_map(Value::String),
        1 => text(60).prop_map(Value::String),
        1 => arb_json(),
    ];
    let password = prop_oneof![
        3 => "[ -~]{0,24}".prop_map(Value::String),
        1 => text(40).prop_map(Value::String),
        1 => "[a-z]{1020,1030}".prop_map(Value::String),
        1 => arb_json(),
    ];
    (extra_fields(), prop::option::weighted(0.9, email), prop::option::weighted(0.9, password))
        .prop_map(|(extra, email, password)| object(extra, vec![("email", email), ("password", password)]))
        .boxed()
}

/// `{current_password, new_password}` objects (never the real password).
fn password_change_objects() -> BoxedStrategy<Value> {
    let password = || {
        prop_oneof![
            3 => "[ -~]{0,24}".prop_map(Value::String),
            1 => text(40).prop_map(Value::String),
            1 => "[a-z]{1020,1030}".prop_map(Value::String),
            1 => arb_json(),
        ]
    };
    (extra_fields(), prop::option::weighted(0.9, password()), prop::option::weighted(0.9, password()))
        .prop_map(|(extra, current, new)| object(extra, vec![("current_password", current), ("new_password", new)]))
        .boxed()
}

/// `{roles: [..]}` objects: valid names, almost-valid names, anything.
fn role_change_objects() -> BoxedStrategy<Value> {
    let role = prop_oneof![
        2 => select(vec!["user", "admin", "editor"]).prop_map(str::to_owned),
        2 => "[a-z][a-z0-9_-]{0,31}",
        1 => "[a-z][a-z0-9_-]{30,34}",
        1 => "[A-Za-z0-9_ -]{0,8}",
        1 => text(20),
    ];
    let roles = prop_oneof![
        4 => prop::collection::vec(role.prop_map(Value::String), 0..20).prop_map(Value::Array),
        1 => arb_json(),
    ];
    (extra_fields(), prop::option::weighted(0.9, roles))
        .prop_map(|(extra, roles)| object(extra, vec![("roles", roles)]))
        .boxed()
}

async fn send_body(app: &TestApp, method: Method, path: &str, jar: &Jar, body: &Body) -> Response {
    let request = app.request(method, path, jar).header(CONTENT_TYPE, "application/json").body(body.bytes());
    app.send(request).await
}

/// What register accepts: `Credentials` with a valid email and password.
fn registrable(body: &[u8]) -> bool {
    serde_json::from_slice::<Credentials>(body).is_ok_and(|credentials| {
        Email::parse(&credentials.email).is_ok() && NewPassword::parse(credentials.password).is_ok()
    })
}

/// The role rules of the contract, written out independently: 1 to 16
/// names of `[a-z][a-z0-9_-]{0,31}` once duplicates are collapsed.
fn role_rules(raw: &[String]) -> Option<Vec<String>> {
    let mut roles: Vec<String> = Vec::new();
    for role in raw {
        let mut chars = role.chars();
        let well_formed = role.len() <= 32
            && chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !well_formed {
            return None;
        }
        if !roles.contains(role) {
            roles.push(role.clone());
        }
    }
    (1..=16).contains(&roles.len()).then_some(roles)
}

#[test]
fn login_answers_any_body_with_a_contract_error() {
    let rt = runtime();
    let app = rt.block_on(TestApp::spawn());
    let user = rt.block_on(app.new_user());

    run_http(bodies(credentials_objects(vec![user.email.clone()])), |body| {
        rt.block_on(async {
            let response = send_body(&app, Method::POST, "/api/auth/login", &Jar::default(), &body).await;
            contract_error(&response)?;
            Ok::<(), TestCaseError>(())
        })
    });

    rt.block_on(async {
        let response = app.login(&mut Jar::default(), &user.email, &user.password).await;
        assert_status(&response, 200);
        assert_healthy(&app).await;
    });
}

#[test]
fn register_answers_any_body_with_201_exactly_when_valid() {
    let rt = runtime();
    let app = rt.block_on(TestApp::spawn());

    run_http(bodies(credentials_objects(Vec::new())), |body| {
        rt.block_on(async {
            let response = send_body(&app, Method::POST, "/api/auth/register", &Jar::default(), &body).await;
            if registrable(&body.bytes()) {
                // A valid body makes an account, unless an earlier case
                // already took the (lower-cased) email.
                if response.status != 201 {
                    expect_error(&response, 409, "email_taken")?;
                }
            } else {
                prop_assert!(response.status != 201, "201 for a body the rules refuse");
                contract_error(&response)?;
            }
            Ok::<(), TestCaseError>(())
        })
    });

    rt.block_on(assert_healthy(&app));
}

#[test]
fn password_change_answers_any_body_with_a_contract_error() {
    let rt = runtime();
    let app = rt.block_on(TestApp::spawn());
    let user = rt.block_on(app.new_user());

    run_http(bodies(password_change_objects()), |body| {
        rt.block_on(async {
            let response = send_body(&app, Method::POST, "/api/auth/password", &user.jar, &body).await;
            // Never 204: no generated current password is the real one.
            contract_error(&response)?;
            Ok::<(), TestCaseError>(())
        })
    });

    rt.block_on(async {
        // Still signed in, and the password is unchanged.
        assert_status(&app.me(&user.jar).await, 200);
        let response = app.login(&mut Jar::default(), &user.email, &user.password).await;
        assert_status(&response, 200);
        assert_healthy(&app).await;
    });
}

/// The `{id}` of a role change: the target user in some spelling, or anything.
#[derive(Debug, Clone)]
enum UserRef {
    Target,
    TargetUppercase,
    TargetSimple,
    Other(String),
}

fn percent_encode(segment: &str) -> String {
    let mut out = String::new();
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[test]
fn role_change_answers_any_body_with_200_exactly_when_valid() {
    let rt = runtime();
    let (app, admin) = rt.block_on(TestApp::spawn_with_admin(&[]));
    let target = rt.block_on(app.new_user());
    let target_id = target.info.user.id.clone();

    let user_refs = prop_oneof![
        6 => Just(UserRef::Target),
        1 => Just(UserRef::TargetUppercase),
        1 => Just(UserRef::TargetSimple),
        2 => text(40).prop_map(UserRef::Other),
        1 => "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}".prop_map(UserRef::Other),
    ];
    run_http((user_refs, bodies(role_change_objects())), |(user_ref, body)| {
        let id = match &user_ref {
            UserRef::Target => target_id.clone(),
            UserRef::TargetUppercase => target_id.to_uppercase(),
            UserRef::TargetSimple => target_id.replace('-', ""),
            UserRef::Other(other) => other.clone(),
        };
        let names_target = uuid::Uuid::parse_str(&id).is_ok_and(|uuid| uuid.to_string() == target_id);
        let path = format!("/api/admin/users/{}/roles", percent_encode(&id));
        let wanted =
            serde_json::from_slice::<RoleChange>(&body.bytes()).ok().and_then(|change| role_rules(&change.roles));
        rt.block_on(async {
            let response = send_body(&app, Method::PUT, &path, &admin.jar, &body).await;
            if names_target && wanted.is_some() {
                prop_assert_eq!(
                    response.status.as_u16(),
                    200,
                    "valid roles for the real user were refused: {}",
                    response.body
                );
            }
            if response.status != 200 {
                contract_error(&response)?;
                return Ok(());
            }
            prop_assert!(names_target, "200 for a path that names no user: {path}");
            prop_assert!(wanted.is_some(), "200 for roles the rules refuse");
            let shown: Value = serde_json::from_str(&response.body).map_err(|error| {
                TestCaseError::fail(format!("the 200 body is not JSON ({error}): {}", response.body))
            })?;
            prop_assert_eq!(shown["id"].as_str(), Some(target_id.as_str()));
            let shown_roles: BTreeSet<&str> = shown["roles"]
                .as_array()
                .map(|roles| roles.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let wanted: BTreeSet<&str> = wanted.iter().flatten().map(String::as_str).collect();
            prop_assert_eq!(shown_roles, wanted, "the roles shown are not the roles given: {}", response.body);
            Ok::<(), TestCaseError>(())
        })
    });

    rt.block_on(async {
        assert_status(&app.get("/api/admin/users", &admin.jar).await, 200);
        assert_healthy(&app).await;
    });
}
