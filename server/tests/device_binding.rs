//! Device-bound sessions (DBSC), black-box, with a software client
//! (`common::dbsc`: P-256 and RSA keys made here): the offer, registration,
//! refresh through a challenge, every refusal of a bad proof (a 4xx with the
//! contract's body, never a 5xx, never a rotation), the refusal of a bound
//! session's renewal without its proof, several instances, and the
//! `required-for-admin` policy. Run on SQLite, and on PostgreSQL when
//! `TEST_DATABASE_URL` is set.

mod common;

use common::dbsc::{self, DeviceKey, PROOF, REFRESH_PATH, REGISTER_PATH, SESSION_ID};
use common::*;
use reqwest::{Method, header::HeaderValue};
use serde_json::{Value, json};
use std::time::Duration;

/// A session bound to `key`, as a browser holds it.
struct Bound {
    jar: Jar,
    session_id: String,
    /// The challenge the last answer sent ahead of time.
    next: Option<String>,
}

/// Registers a new user: the jar, the session id and the offered challenge.
async fn signed_in(app: &TestApp) -> (Jar, String, String) {
    let mut jar = Jar::default();
    let response = app.register(&mut jar, &unique_email(), PASSWORD).await;
    assert_status(&response, 201);
    let (path, challenge) = dbsc::offer(&response).expect("a new session is offered binding");
    assert_eq!(path, REGISTER_PATH);
    (jar, response.session_info().session_id, challenge)
}

/// POST `path` with the jar's cookies and, if given, a proof.
async fn send(app: &TestApp, path: &str, jar: &Jar, proof: Option<&str>) -> Response {
    let mut request = app.request(Method::POST, path, jar);
    if let Some(proof) = proof {
        request = request.header(PROOF, proof);
    }
    app.send(request).await
}

/// A new session bound to `key`; asserts the registration's answer.
async fn bind(app: &TestApp, key: &DeviceKey) -> Bound {
    let (mut jar, session_id, challenge) = signed_in(app).await;
    let response = send(app, REGISTER_PATH, &jar, Some(&key.registration_proof(&challenge))).await;
    assert_status(&response, 200);
    jar.absorb(&response);
    let (next, id) = dbsc::challenge(&response).expect("the first refresh's challenge comes ahead of time");
    assert_eq!(id, session_id);
    Bound { jar, session_id, next: Some(next) }
}

/// What the browser does when the bound cookie is gone: the refresh
/// without a proof, `403` with a challenge, then the proof. The answer.
async fn device_refresh(app: &TestApp, bound: &mut Bound, key: &DeviceKey) -> Response {
    let asked = send(app, REFRESH_PATH, &bound.jar, None).await;
    assert_error(&asked, 403, "binding_proof_required");
    let (challenge, id) = dbsc::challenge(&asked).expect("a 403 carries a challenge");
    assert_eq!(id, bound.session_id);
    answer(app, bound, key, &challenge).await
}

/// The refresh with a proof for `challenge`; asserts 200 and takes the cookies.
async fn answer(app: &TestApp, bound: &mut Bound, key: &DeviceKey, challenge: &str) -> Response {
    let response = send(app, REFRESH_PATH, &bound.jar, Some(&key.refresh_proof(challenge))).await;
    assert_status(&response, 200);
    bound.jar.absorb(&response);
    bound.next = dbsc::challenge(&response).map(|(challenge, _)| challenge);
    response
}

#[tokio::test]
async fn new_sessions_and_unbound_renewals_are_offered_binding_unless_it_is_off() {
    let app = TestApp::spawn().await;
    let (mut jar, session_id, _) = signed_in(&app).await;
    let refreshed = app.refresh(&mut jar).await;
    assert_status(&refreshed, 200);
    assert!(dbsc::offer(&refreshed).is_some(), "an unbound refresh offers binding again");
    assert!(!refreshed.session_info().bound);
    assert_eq!(refreshed.session_info().session_id, session_id);
    // A read of the session is not a renewal.
    assert!(dbsc::offer(&app.session(&jar).await).is_none());

    let off = TestApp::spawn_with(&[("AUTH_DEVICE_BINDING", "off")]).await;
    let mut jar = Jar::default();
    let registered = off.register(&mut jar, &unique_email(), PASSWORD).await;
    assert_status(&registered, 201);
    assert!(dbsc::offer(&registered).is_none());
    let key = DeviceKey::p256();
    assert_error(&send(&off, REGISTER_PATH, &jar, Some(&key.registration_proof("c"))).await, 404, "not_found");
    assert_error(&send(&off, REFRESH_PATH, &jar, None).await, 404, "not_found");
}

#[tokio::test]
async fn an_es256_key_binds_the_session_and_the_browser_refreshes_it_through_challenges() {
    let origin = "https://app.example";
    let (app, admin) = TestApp::spawn_with_admin(&[("AUTH_METRICS", "on"), ("AUTH_PUBLIC_ORIGIN", origin)]).await;
    let key = DeviceKey::p256();
    let (mut jar, session_id, challenge) = signed_in(&app).await;
    let registered = send(&app, REGISTER_PATH, &jar, Some(&key.registration_proof(&challenge))).await;
    assert_status(&registered, 200);
    jar.absorb(&registered);

    // The session instructions: the access cookie is the bound credential,
    // with exactly the attributes it is set with; static files are out.
    let instructions: Value = registered.json();
    assert_eq!(instructions["session_identifier"], json!(session_id));
    assert_eq!(instructions["refresh_url"], json!(REFRESH_PATH));
    assert_eq!(instructions["scope"]["include_site"], json!(false));
    assert_eq!(instructions["scope"]["origin"], json!(origin));
    let excluded = &instructions["scope"]["scope_specification"];
    let static_files = json!({"type": "exclude", "domain": "app.example", "path": "/pkg"});
    assert!(excluded.as_array().unwrap().contains(&static_files), "{excluded}");
    let credential = &instructions["credentials"][0];
    assert_eq!(credential["type"], json!("cookie"));
    assert_eq!(credential["name"], json!(app.access_cookie));
    let set = registered.cookie(&app.access_cookie).expect("the registration rotates the access cookie");
    let mut said: Vec<&str> = credential["attributes"].as_str().unwrap().split("; ").collect();
    let mut sent: Vec<&str> = set.raw.split("; ").skip(1).filter(|a| !a.starts_with("Max-Age")).collect();
    said.sort_unstable();
    sent.sort_unstable();
    assert_eq!(said, sent);

    // The new access token names the key; the session says it is bound.
    let claims = dbsc::claims(&app.access_token(&jar));
    assert_eq!(claims["cnf"]["jkt"].as_str().map(str::len), Some(43), "{claims}");
    let info = app.session(&jar).await.session_info();
    assert!(info.bound);
    let listed: Value = app.sessions(&jar).await.json();
    assert_eq!(listed[0]["bound"], json!(true));
    assert_eq!(listed[0]["binding_refused_at"], Value::Null);

    // The first refresh with the challenge sent ahead: no 403 round trip.
    let (ahead, _) = dbsc::challenge(&registered).unwrap();
    let mut bound = Bound { jar, session_id: session_id.clone(), next: Some(ahead.clone()) };
    let before = app.refresh_token(&bound.jar);
    let refreshed = answer(&app, &mut bound, &key, &ahead).await;
    assert_eq!(refreshed.body, "", "an empty answer keeps the browser's session config");
    assert_ne!(app.refresh_token(&bound.jar), before, "the refresh cookie rotated");
    assert_eq!(dbsc::claims(&app.access_token(&bound.jar))["cnf"], claims["cnf"]);
    // Then the round trip a browser makes without one, twice.
    for _ in 0..2 {
        device_refresh(&app, &mut bound, &key).await;
        assert_status(&app.me(&bound.jar).await, 200);
    }

    assert_eq!(app.audit_events(&admin.jar, "session_bound").await[0]["session_id"], json!(session_id));
    assert_eq!(app.audit_events(&admin.jar, "bound_refresh").await.len(), 3);
    let metrics = app.get("/metrics", &Jar::default()).await.body;
    assert!(metrics.contains("auth_device_binding_total{outcome=\"bound\"} 1"), "{metrics}");
    assert!(metrics.contains("auth_device_binding_total{outcome=\"refreshed\"} 3"), "{metrics}");
    assert!(metrics.contains("auth_device_binding_total{outcome=\"challenged\"} 2"), "{metrics}");
    assert!(metrics.contains("auth_bound_sessions 1"), "{metrics}");
}

#[tokio::test]
async fn an_rs256_key_binds_and_an_rsa_key_under_2048_bits_is_refused() {
    let app = TestApp::spawn().await;
    let key = DeviceKey::rsa(2048);
    let mut bound = bind(&app, &key).await;
    device_refresh(&app, &mut bound, &key).await;
    assert!(app.session(&bound.jar).await.session_info().bound);

    let small = DeviceKey::rsa(1024);
    let (mut jar, _, challenge) = signed_in(&app).await;
    let refused = send(&app, REGISTER_PATH, &jar, Some(&small.registration_proof(&challenge))).await;
    assert_error(&refused, 401, "binding_proof_invalid");
    assert!(refused.body.contains("2048"), "{}", refused.body);
    assert!(refused.set_cookies.is_empty(), "nothing is set or cleared");
    // Still unbound: the page's own refresh works.
    assert_status(&app.refresh(&mut jar).await, 200);
}

#[tokio::test]
async fn bad_proofs_are_refused_with_the_contract_body_and_rotate_nothing() {
    let (app, admin) = TestApp::spawn_with_admin(&[]).await;
    let key = DeviceKey::p256();
    let mut bound = bind(&app, &key).await;
    let other = bind(&app, &DeviceKey::p256()).await;
    let first = bound.next.clone().unwrap();
    let used = key.refresh_proof(&first);
    let jar_before = bound.jar.clone();
    answer(&app, &mut bound, &key, &first).await;
    let live = bound.next.clone().unwrap();
    let cookies_before = (app.access_token(&bound.jar), app.refresh_token(&bound.jar));

    let header = |alg: &str| json!({"alg": alg, "typ": "dbsc+jwt"});
    let jti = json!({ "jti": live });
    let cases: Vec<(&str, String, u16, &str)> = vec![
        ("another key", DeviceKey::p256().refresh_proof(&live), 401, "binding_proof_invalid"),
        ("alg none", dbsc::forged(&header("none"), &jti, b""), 401, "binding_proof_invalid"),
        ("HS256", dbsc::forged(&header("HS256"), &jti, &[7; 32]), 401, "binding_proof_invalid"),
        ("typ JWT", key.sign(&json!({"alg": "ES256", "typ": "JWT"}), &jti), 401, "binding_proof_invalid"),
        (
            "an RS256 claim on a P-256 key",
            dbsc::forged(&header("RS256"), &jti, &[1; 256]),
            401,
            "binding_proof_invalid",
        ),
        (
            "a jwk on a refresh proof",
            key.sign(&json!({"alg": "ES256", "typ": "dbsc+jwt", "jwk": key.jwk()}), &jti),
            401,
            "binding_proof_invalid",
        ),
        ("another session's challenge", key.refresh_proof(other.next.as_ref().unwrap()), 401, "binding_proof_invalid"),
        ("a challenge never issued", key.refresh_proof(&dbsc::b64(&[9; 48])), 401, "binding_proof_invalid"),
        ("a replayed proof", used.clone(), 403, "binding_proof_required"),
        ("bad base64", "e30.e30.***".to_owned(), 401, "binding_proof_invalid"),
        ("not a JWS", "garbage".to_owned(), 401, "binding_proof_invalid"),
        ("a huge header", "a".repeat(20_000), 401, "binding_proof_invalid"),
    ];
    for (case, proof, status, code) in &cases {
        let response = send(&app, REFRESH_PATH, &bound.jar, Some(proof)).await;
        assert_eq!(response.status.as_u16(), *status, "{case}: {}", response.body);
        assert_error(&response, *status, code);
        assert!(response.set_cookies.is_empty(), "{case}: no cookie set or cleared");
    }
    // The replay with the cookie it came with: the generation moved on.
    let replayed = send(&app, REFRESH_PATH, &jar_before, Some(&used)).await;
    assert_error(&replayed, 403, "binding_proof_required");
    assert!(replayed.set_cookies.is_empty());

    // Garbage in the headers themselves.
    let raw = |name: &'static str, value: &'static [u8]| {
        app.request(Method::POST, REFRESH_PATH, &bound.jar).header(name, HeaderValue::from_bytes(value).unwrap())
    };
    let response = app.send(raw(PROOF, b"\xff\xfe.\x80")).await;
    assert_error(&response, 401, "binding_proof_invalid");
    let response = app.send(raw(SESSION_ID, b"\"someone-else\"")).await;
    assert_error(&response, 401, "binding_proof_invalid");
    // A second registration of a bound session.
    let again = send(&app, REGISTER_PATH, &bound.jar, Some(&DeviceKey::p256().registration_proof(&live))).await;
    assert_error(&again, 401, "binding_proof_invalid");

    // Nothing rotated: the same cookies, and the live challenge still buys
    // exactly one refresh.
    assert_eq!((app.access_token(&bound.jar), app.refresh_token(&bound.jar)), cookies_before);
    answer(&app, &mut bound, &key, &live).await;
    assert_status(&app.me(&bound.jar).await, 200);
    let invalid = app.audit_events(&admin.jar, "binding_proof_invalid").await;
    assert!(invalid.len() >= 10, "{invalid:?}");
}

#[tokio::test]
async fn an_expired_challenge_is_answered_with_a_new_one() {
    let app = TestApp::spawn().await;
    let key = DeviceKey::p256();
    let mut bound = bind(&app, &key).await;
    let ahead = bound.next.clone().unwrap();
    // A sibling whose clock is past the challenge's life (access life + 5 min).
    let later = app.spawn_skewed_sibling(DEFAULT_ACCESS_TTL + 301).await;
    let expired = send(&later, REFRESH_PATH, &bound.jar, Some(&key.refresh_proof(&ahead))).await;
    assert_error(&expired, 403, "binding_proof_required");
    assert!(expired.set_cookies.is_empty());
    let (fresh, _) = dbsc::challenge(&expired).unwrap();
    assert_ne!(fresh, ahead);
    answer(&later, &mut bound, &key, &fresh).await;

    // A registration with an expired offer is refused outright.
    let (jar, _, offered) = signed_in(&app).await;
    let refused = send(&later, REGISTER_PATH, &jar, Some(&key.registration_proof(&offered))).await;
    assert_error(&refused, 401, "binding_proof_invalid");
}

#[tokio::test]
async fn a_bound_session_is_never_renewed_without_its_proof_nor_ended_by_the_attempt() {
    let (app, admin) = TestApp::spawn_with_admin(&[]).await;
    let key = DeviceKey::p256();
    let mut bound = bind(&app, &key).await;
    // Both cookies copied to another machine, which has no key.
    let mut stolen = bound.jar.clone();
    let before = app.refresh_token(&bound.jar);

    let refused = app.refresh(&mut stolen).await;
    assert_error(&refused, 401, "binding_proof_missing");
    assert!(refused.set_cookies.is_empty(), "the jar may be the rightful browser's: nothing is cleared");
    let resumed = app.get("/api/auth/resume?next=/dashboard", &stolen).await;
    assert_eq!(resumed.status.as_u16(), 303, "{}", resumed.body);
    assert!(resumed.header("location").unwrap().starts_with("/login"), "{:?}", resumed.header("location"));
    assert!(resumed.cookie(&app.refresh_cookie).is_none_or(|c| !c.is_removal()));
    // The thief can ask for a challenge but cannot answer it.
    let asked = send(&app, REFRESH_PATH, &stolen, None).await;
    let (challenge, _) = dbsc::challenge(&asked).unwrap();
    let forged = send(&app, REFRESH_PATH, &stolen, Some(&DeviceKey::p256().refresh_proof(&challenge))).await;
    assert_error(&forged, 401, "binding_proof_invalid");

    // Nothing rotated or ended: the device refreshes as before.
    assert_eq!(app.refresh_token(&bound.jar), before);
    device_refresh(&app, &mut bound, &key).await;
    assert_status(&app.me(&bound.jar).await, 200);

    let missing = app.audit_events(&admin.jar, "binding_proof_missing").await;
    assert_eq!(missing.len(), 2, "refresh and resume: {missing:?}");
    assert_eq!(missing[0]["session_id"], json!(bound.session_id));
    let listed: Value = app.sessions(&bound.jar).await.json();
    assert_eq!(listed[0]["bound"], json!(true));
    assert!(listed[0]["binding_refused_at"].as_i64().is_some_and(|at| at >= now() - 60), "{listed}");
}

#[tokio::test]
async fn a_session_bound_on_one_instance_refreshes_on_another() {
    let app = TestApp::spawn().await;
    let sibling = app.spawn_sibling().await;
    let key = DeviceKey::rsa(2048);
    let mut bound = bind(&app, &key).await;
    let ahead = bound.next.clone().unwrap();
    answer(&sibling, &mut bound, &key, &ahead).await;
    device_refresh(&sibling, &mut bound, &key).await;
    device_refresh(&app, &mut bound, &key).await;
    assert_error(&app.refresh(&mut bound.jar.clone()).await, 401, "binding_proof_missing");
    assert_error(&sibling.refresh(&mut bound.jar.clone()).await, 401, "binding_proof_missing");
}

#[tokio::test]
async fn a_registration_that_loses_to_the_pages_refresh_binds_the_live_generation() {
    let app = TestApp::spawn().await;
    let key = DeviceKey::p256();
    let (jar, session_id, offered) = signed_in(&app).await;
    // A tab's scheduler rotates first; the browser registers with the
    // cookie it had.
    let mut tab = jar.clone();
    assert_status(&app.refresh(&mut tab).await, 200);
    let registered = send(&app, REGISTER_PATH, &jar, Some(&key.registration_proof(&offered))).await;
    assert_status(&registered, 200);
    assert_eq!(registered.cookie_value(&app.refresh_cookie), app.refresh_token(&tab), "the live token, like any grace");
    let mut bound = Bound { jar: tab, session_id, next: dbsc::challenge(&registered).map(|(c, _)| c) };
    bound.jar.absorb(&registered);
    assert!(app.session(&bound.jar).await.session_info().bound);
    let ahead = bound.next.clone().unwrap();
    answer(&app, &mut bound, &key, &ahead).await;
}

#[tokio::test]
async fn a_lost_answer_is_recovered_through_a_new_challenge_without_a_sign_out() {
    // No grace window at all: the device's proof is what vouches for the
    // old cookie, however long ago its answer was lost.
    let app = TestApp::spawn_with(&[("AUTH_REUSE_GRACE_SECS", "0")]).await;
    let key = DeviceKey::p256();
    let mut bound = bind(&app, &key).await;
    let kept = bound.jar.clone();
    let ahead = bound.next.clone().unwrap();
    answer(&app, &mut bound, &key, &ahead).await;
    let live = app.refresh_token(&bound.jar);

    // The browser never saw that answer: it retries with its old cookie.
    let mut retry = Bound { jar: kept, session_id: bound.session_id.clone(), next: None };
    let again = send(&app, REFRESH_PATH, &retry.jar, Some(&key.refresh_proof(&ahead))).await;
    assert_error(&again, 403, "binding_proof_required");
    let (challenge, _) = dbsc::challenge(&again).unwrap();
    let recovered = answer(&app, &mut retry, &key, &challenge).await;
    assert_eq!(recovered.cookie_value(&app.refresh_cookie), live, "the live token, not a sibling");
    device_refresh(&app, &mut retry, &key).await;
    // Without the proof the same old cookie is only refused.
    let mut stale = bound.jar.clone();
    assert_error(&app.refresh(&mut stale).await, 401, "binding_proof_missing");
    device_refresh(&app, &mut retry, &key).await;
}

#[tokio::test]
async fn required_for_admin_refuses_an_unbound_admin_session() {
    let (app, admin) = TestApp::spawn_with_admin(&[("AUTH_DEVICE_BINDING", "required-for-admin")]).await;
    assert_error(&app.get("/api/admin/users", &admin.jar).await, 403, "device_binding_required");
    // Other routes are not affected.
    assert_status(&app.me(&admin.jar).await, 200);

    let mut jar = Jar::default();
    let signed_in = app.login(&mut jar, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (_, challenge) = dbsc::offer(&signed_in).unwrap();
    let key = DeviceKey::p256();
    let registered = send(&app, REGISTER_PATH, &jar, Some(&key.registration_proof(&challenge))).await;
    assert_status(&registered, 200);
    jar.absorb(&registered);
    assert_status(&app.get("/api/admin/users", &jar).await, 200);
}

#[tokio::test]
async fn a_thief_who_binds_a_copied_unbound_session_does_not_switch_off_reuse_detection() {
    let app = TestApp::spawn().await;
    // A browser without DBSC: its session stays unbound.
    let (mut victim, _, _) = signed_in(&app).await;
    assert_status(&app.refresh(&mut victim).await, 200);
    // Its cookies, copied: the thief refreshes (and is offered binding)
    // and binds the session to a key of its own.
    let mut thief = victim.clone();
    let refreshed = app.refresh(&mut thief).await;
    let (_, offered) = dbsc::offer(&refreshed).expect("an unbound refresh offers binding");
    let key = DeviceKey::p256();
    let registered = send(&app, REGISTER_PATH, &thief, Some(&key.registration_proof(&offered))).await;
    assert_status(&registered, 200);
    thief.absorb(&registered);

    // The victim's next refresh presents a token from before the binding:
    // a reuse, as it always was. The whole session dies, thief included.
    assert_error(&app.refresh(&mut victim).await, 401, "refresh_reused");
    let (challenge, _) = dbsc::challenge(&registered).unwrap();
    let thief_refresh = send(&app, REFRESH_PATH, &thief, Some(&key.refresh_proof(&challenge))).await;
    assert_error(&thief_refresh, 401, "refresh_invalid");
}

#[tokio::test]
async fn the_pages_refresh_that_races_the_registration_is_refused_not_judged_a_reuse() {
    let app = TestApp::spawn().await;
    let key = DeviceKey::p256();
    let (jar, _, offered) = signed_in(&app).await;
    let mut tab = jar.clone();
    let registered = send(&app, REGISTER_PATH, &jar, Some(&key.registration_proof(&offered))).await;
    assert_status(&registered, 200);
    // The tab's refresh, sent with the cookie from before the registration.
    let refused = app.refresh(&mut tab).await;
    assert_error(&refused, 401, "binding_proof_missing");
    let mut bound = Bound { jar, session_id: String::new(), next: dbsc::challenge(&registered).map(|(c, _)| c) };
    bound.jar.absorb(&registered);
    let ahead = bound.next.clone().unwrap();
    answer(&app, &mut bound, &key, &ahead).await;
}

#[tokio::test]
async fn a_step_up_does_not_stretch_a_bound_access_cookie() {
    let app = TestApp::spawn().await;
    let key = DeviceKey::p256();
    let bound = bind(&app, &key).await;
    let before = dbsc::claims(&app.access_token(&bound.jar))["exp"].as_i64().unwrap();
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let mut jar = bound.jar.clone();
    let stepped =
        app.post_json("/api/auth/step-up", &jar, &json!({ "method": "password", "password": PASSWORD })).await;
    assert_status(&stepped, 200);
    jar.absorb(&stepped);
    let claims = dbsc::claims(&app.access_token(&jar));
    assert!(claims["cnf"]["jkt"].is_string(), "{claims}");
    assert!(claims["exp"].as_i64().unwrap() <= before, "{claims} after {before}");
}
