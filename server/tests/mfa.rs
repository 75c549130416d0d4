//! Second factors, black-box: TOTP enrolment and the two-step sign-in,
//! replay and drift, recovery codes, the pending state's limits, step-up
//! freshness on every sensitive route, the `AUTH_REQUIRE_MFA` policy and
//! the admin's reset. One-time codes are checked against the test's pinned
//! clock (`TestApp::code_clock`), so drift limits are exact.

mod common;

use std::sync::atomic::Ordering;

use common::*;
use serde_json::{Value, json};
use server::auth::otp;

const PENDING_COOKIE: &str = "__Secure-mfa";

/// The TOTP secret of a setup answer, as bytes.
fn secret_of(setup: &Value) -> Vec<u8> {
    let text = setup["secret"].as_str().expect("the setup answer holds the secret");
    totp_rs::Secret::try_from_base32(text).expect("the secret is base32").as_ref().to_vec()
}

/// The code for the pinned clock plus `offset` seconds.
fn code(app: &TestApp, secret: &[u8], offset: i64) -> String {
    otp::code_at(secret, app.code_clock.load(Ordering::SeqCst) + offset)
}

/// Moves the pinned code clock on by `secs`.
fn advance(app: &TestApp, secs: i64) {
    app.code_clock.fetch_add(secs, Ordering::SeqCst);
}

/// Turns TOTP on for `user` (fresh from registration); returns the secret
/// and the recovery codes shown. Leaves the code clock one step on, so the
/// next code is not the confirming one.
async fn enrol_totp(app: &TestApp, user: &mut User) -> (Vec<u8>, Vec<String>) {
    let setup = app.post_empty("/api/auth/mfa/totp/setup", &user.jar).await;
    assert_status(&setup, 200);
    let setup: Value = setup.json();
    assert!(setup["otpauth_uri"].as_str().is_some_and(|uri| uri.starts_with("otpauth://totp/")), "{setup}");
    assert!(setup["qr_svg"].as_str().is_some_and(|svg| svg.contains("<svg")), "the QR code is SVG");
    let secret = secret_of(&setup);
    let confirmed =
        app.post_json("/api/auth/mfa/totp/confirm", &user.jar, &json!({ "code": code(app, &secret, 0) })).await;
    assert_status(&confirmed, 200);
    user.jar.absorb(&confirmed);
    let body: Value = confirmed.json();
    let codes: Vec<String> = serde_json::from_value(body["recovery_codes"]["codes"].clone()).expect("codes");
    advance(app, 30);
    (secret, codes)
}

/// A password sign-in that must stop at the second step; returns the jar
/// holding only the pending cookie.
async fn first_step(app: &TestApp, user: &User) -> Jar {
    let mut jar = Jar::default();
    let response = app.login(&mut jar, &user.email, &user.password).await;
    assert_status(&response, 200);
    let body: Value = response.json();
    assert_eq!(body["mfa_required"], json!(true), "{body}");
    assert!(response.cookie(&app.access_cookie).is_none(), "no session before the second factor");
    assert!(response.cookie(&app.refresh_cookie).is_none(), "no session before the second factor");
    assert!(jar.get(PENDING_COOKIE).is_some(), "the pending cookie is set");
    jar
}

#[tokio::test]
async fn totp_enrolment_then_a_two_step_sign_in() {
    let app = TestApp::spawn().await;
    let mut user = app.new_user().await;

    let (secret, codes) = enrol_totp(&app, &mut user).await;
    assert_eq!(codes.len(), 10, "ten recovery codes at the first factor");
    let factors: Value = app.get("/api/auth/mfa", &user.jar).await.json();
    assert!(factors["totp_enabled_at"].is_i64(), "{factors}");
    assert_eq!(factors["recovery_codes_left"], json!(10));
    assert_eq!(factors["step_up_methods"], json!(["totp"]));
    assert!(!factors.to_string().contains(&otp::secret_text(&secret)), "the factor list never shows the secret");

    let mut jar = Jar::default();
    let login = app.login(&mut jar, &user.email, &user.password).await;
    assert_status(&login, 200);
    assert_eq!(login.json::<Value>(), json!({ "mfa_required": true, "methods": ["totp", "recovery"] }));
    let pending = login.cookie(PENDING_COOKIE).expect("a pending cookie");
    assert!(pending.has("HttpOnly") && pending.has("Secure"), "{pending:?}");
    assert_eq!(pending.path(), Some("/api/auth"));
    assert_eq!(pending.max_age(), Some(300));
    assert_eq!(pending.value_of("SameSite").map(str::to_ascii_lowercase).as_deref(), Some("strict"));

    let done = app.post_json("/api/auth/mfa/totp", &jar, &json!({ "code": code(&app, &secret, 0) })).await;
    assert_status(&done, 200);
    jar.absorb(&done);
    let info = done.session_info();
    assert_eq!(info.amr, ["pwd", "otp", "mfa"]);
    assert!(jar.get(PENDING_COOKIE).is_none(), "the pending cookie is cleared");
    assert_status(&app.me(&jar).await, 200);
}

#[tokio::test]
async fn a_code_works_once_and_drift_is_one_step_either_way() {
    let app = TestApp::spawn().await;
    let mut user = app.new_user().await;
    let (secret, _) = enrol_totp(&app, &mut user).await;

    let jar = first_step(&app, &user).await;
    let used = code(&app, &secret, 0);
    assert_status(&app.post_json("/api/auth/mfa/totp", &jar, &json!({ "code": used })).await, 200);
    // The same code again (a replay inside its window) in a new sign-in.
    let jar = first_step(&app, &user).await;
    assert_error(&app.post_json("/api/auth/mfa/totp", &jar, &json!({ "code": used })).await, 401, "code_invalid");
    // An earlier step than the last accepted one: refused too.
    let earlier = code(&app, &secret, -30);
    assert_error(&app.post_json("/api/auth/mfa/totp", &jar, &json!({ "code": earlier })).await, 401, "code_invalid");
    // Two steps ahead or behind the server's clock: refused. (Five wrong
    // codes end a pending sign-in, so this is a new one.)
    advance(&app, 120);
    let jar = first_step(&app, &user).await;
    for offset in [-60, 60, 90] {
        let response = app.post_json("/api/auth/mfa/totp", &jar, &json!({ "code": code(&app, &secret, offset) })).await;
        assert_error(&response, 401, "code_invalid");
    }
    // One step ahead (a phone whose clock runs 30 s fast): accepted.
    let jar = first_step(&app, &user).await;
    let ahead = app.post_json("/api/auth/mfa/totp", &jar, &json!({ "code": code(&app, &secret, 30) })).await;
    assert_status(&ahead, 200);
    // One step behind (a phone whose clock runs slow): accepted, once it is
    // later than the step just used.
    advance(&app, 90);
    let jar = first_step(&app, &user).await;
    let behind = app.post_json("/api/auth/mfa/totp", &jar, &json!({ "code": code(&app, &secret, -30) })).await;
    assert_status(&behind, 200);
}

#[tokio::test]
async fn a_recovery_code_signs_in_once_and_is_counted() {
    let app = TestApp::spawn().await;
    let mut user = app.new_user().await;
    let (_, codes) = enrol_totp(&app, &mut user).await;

    let jar = first_step(&app, &user).await;
    let typed = codes[3].to_uppercase().replace('-', " ");
    let done = app.post_json("/api/auth/mfa/recovery", &jar, &json!({ "code": typed })).await;
    assert_status(&done, 200);
    let mut signed_in = jar.clone();
    signed_in.absorb(&done);
    let factors: Value = app.get("/api/auth/mfa", &signed_in).await.json();
    assert_eq!(factors["recovery_codes_left"], json!(9));

    let jar = first_step(&app, &user).await;
    let again = app.post_json("/api/auth/mfa/recovery", &jar, &json!({ "code": codes[3] })).await;
    assert_error(&again, 401, "code_invalid");
    assert_eq!(assert_client_error(&again).field.as_deref(), Some("code"));
}

#[tokio::test]
async fn the_pending_sign_in_dies_after_five_wrong_codes() {
    let app = TestApp::spawn().await;
    let mut user = app.new_user().await;
    let (secret, _) = enrol_totp(&app, &mut user).await;
    let wrong = if code(&app, &secret, 0) == "000000" { "111111" } else { "000000" };

    let mut jar = first_step(&app, &user).await;
    for attempt in 1..=5 {
        let response = app.post_json("/api/auth/mfa/totp", &jar, &json!({ "code": wrong })).await;
        assert_error(&response, 401, "code_invalid");
        if attempt == 5 {
            assert_clears_cookie(&response, PENDING_COOKIE, "/api/auth");
        }
    }
    // The right code cannot revive it, even from a jar that kept the cookie.
    jar.set(PENDING_COOKIE, jar.get(PENDING_COOKIE).unwrap_or("kept").to_owned().as_str(), "/api/auth");
    let late = app.post_json("/api/auth/mfa/totp", &jar, &json!({ "code": code(&app, &secret, 0) })).await;
    assert_error(&late, 401, "mfa_pending_invalid");
}

#[tokio::test]
async fn the_pending_sign_in_expires_after_five_minutes_on_any_instance() {
    let app = TestApp::spawn().await;
    let mut user = app.new_user().await;
    let (secret, _) = enrol_totp(&app, &mut user).await;
    let jar = first_step(&app, &user).await;

    // An instance whose clock is 301 s on sees the pending row as expired.
    let later = app.spawn_skewed_sibling(301).await;
    later.code_clock.store(app.code_clock.load(Ordering::SeqCst), Ordering::SeqCst);
    let response = later.post_json("/api/auth/mfa/totp", &jar, &json!({ "code": code(&app, &secret, 0) })).await;
    assert_error(&response, 401, "mfa_pending_invalid");
    // A sibling on time completes it: the pending state is in the database.
    let now = app.spawn_sibling().await;
    now.code_clock.store(app.code_clock.load(Ordering::SeqCst), Ordering::SeqCst);
    let done = now.post_json("/api/auth/mfa/totp", &jar, &json!({ "code": code(&app, &secret, 0) })).await;
    assert_status(&done, 200);
    // Single use: the same pending cookie cannot start a second session.
    advance(&app, 30);
    let twice = app.post_json("/api/auth/mfa/totp", &jar, &json!({ "code": code(&app, &secret, 0) })).await;
    assert_error(&twice, 401, "mfa_pending_invalid");
}

#[tokio::test]
async fn wrong_codes_are_limited_per_user_across_pending_sign_ins() {
    let app = TestApp::spawn_with(&[("AUTH_RATE_LIMITS", "on")]).await;
    let mut user = app.new_user().await;
    let (secret, _) = enrol_totp(&app, &mut user).await;
    let wrong = if code(&app, &secret, 0) == "000000" { "111111" } else { "000000" };

    let jar = first_step(&app, &user).await;
    for _ in 0..5 {
        assert_error(&app.post_json("/api/auth/mfa/totp", &jar, &json!({ "code": wrong })).await, 401, "code_invalid");
    }
    let jar = first_step(&app, &user).await;
    let limited = app.post_json("/api/auth/mfa/totp", &jar, &json!({ "code": code(&app, &secret, 0) })).await;
    assert_rate_limited(&limited);
}

#[tokio::test]
async fn bad_input_on_every_new_endpoint_is_a_contract_4xx() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let no_pending = Jar::default();
    for path in ["/api/auth/mfa/totp", "/api/auth/mfa/recovery"] {
        let response = app.post_json(path, &no_pending, &json!({ "code": "123456" })).await;
        assert_error(&response, 401, "mfa_pending_invalid");
        let junk = no_pending.clone().with(PENDING_COOKIE, &"x".repeat(4000));
        assert_error(&app.post_json(path, &junk, &json!({ "code": "123456" })).await, 401, "mfa_pending_invalid");
    }
    let bodies =
        [json!({}), json!({ "code": 123456 }), json!(["code"]), json!({ "code": null }), json!({ "method": "sms" })];
    for path in ["/api/auth/mfa/totp/confirm", "/api/auth/step-up", "/api/auth/mfa/totp", "/api/auth/mfa/recovery"] {
        for body in &bodies {
            let response = app.post_json(path, &user.jar, body).await;
            assert_client_error(&response);
        }
    }
    // Nothing pending to confirm; nothing to turn off; no codes to remake.
    let confirm = app.post_json("/api/auth/mfa/totp/confirm", &user.jar, &json!({ "code": "123456" })).await;
    assert_error(&confirm, 401, "code_invalid");
    assert_error(&app.delete("/api/auth/mfa/totp", &user.jar).await, 404, "not_found");
    assert_invalid_field_free(&app.post_empty("/api/auth/mfa/recovery-codes", &user.jar).await);
    // Junk codes of every shape are wrong codes, never a 5xx.
    let mut enrolled = app.new_user().await;
    let (_, _) = enrol_totp(&app, &mut enrolled).await;
    let jar = first_step(&app, &enrolled).await;
    for junk in ["", "12345", "1234567", "abcdef", "１２３４５６", &"9".repeat(10_000)] {
        let response = app.post_json("/api/auth/mfa/recovery", &jar, &json!({ "code": junk })).await;
        assert_client_error(&response);
    }
    // Without a session: 401 on the signed-in routes.
    for (method, path) in
        [("GET", "/api/auth/mfa"), ("POST", "/api/auth/mfa/totp/setup"), ("POST", "/api/auth/step-up")]
    {
        let response = if method == "GET" {
            app.get(path, &Jar::default()).await
        } else {
            app.post_json(path, &Jar::default(), &json!({ "method": "password", "password": PASSWORD })).await
        };
        assert_error(&response, 401, "unauthenticated");
    }
}

/// `422 invalid_input` with no field: a refusal of the request as a whole.
#[track_caller]
fn assert_invalid_field_free(response: &Response) {
    assert_status(response, 422);
    assert_eq!(assert_client_error(response).error, "invalid_input");
}

/// Waits until sessions started now are past a one-second freshness
/// window (`AUTH_STEP_UP_SECS=1`; times are whole seconds).
async fn wait_past_freshness() {
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
}

#[tokio::test]
async fn a_stale_session_must_step_up_for_every_sensitive_route() {
    let (later, admin) = TestApp::spawn_with_admin(&[("AUTH_STEP_UP_SECS", "1")]).await;
    let user = later.new_user().await;
    wait_past_freshness().await;

    let sensitive: Vec<(&str, String, Value, &Jar)> = vec![
        (
            "POST",
            "/api/auth/password".into(),
            json!({ "current_password": PASSWORD, "new_password": "another long password" }),
            &user.jar,
        ),
        (
            "POST",
            "/api/auth/email/change".into(),
            json!({ "new_email": unique_email(), "password": PASSWORD }),
            &user.jar,
        ),
        ("POST", "/api/auth/mfa/totp/setup".into(), json!({}), &user.jar),
        ("POST", "/api/auth/mfa/totp/confirm".into(), json!({ "code": "123456" }), &user.jar),
        ("DELETE", "/api/auth/mfa/totp".into(), json!({}), &user.jar),
        ("POST", "/api/auth/mfa/recovery-codes".into(), json!({}), &user.jar),
        ("POST", "/api/auth/passkeys/options".into(), json!({}), &user.jar),
        ("POST", "/api/auth/passkeys".into(), json!({ "ceremony": "c", "name": "Key", "credential": {} }), &user.jar),
        ("DELETE", format!("/api/auth/passkeys/{}", uuid::Uuid::new_v4()), json!({}), &user.jar),
        ("PUT", format!("/api/admin/users/{}/roles", user.info.user.id), json!({ "roles": ["user"] }), &admin.jar),
        ("DELETE", format!("/api/admin/users/{}/mfa", user.info.user.id), json!({}), &admin.jar),
    ];
    for (method, path, body, jar) in &sensitive {
        let request = later.request(method.parse().expect("a method"), path, jar).json(body);
        let response = later.send(request).await;
        assert_error(&response, 403, "step_up_required");
    }

    // Refreshing never makes a session fresh again.
    let mut jar = user.jar.clone();
    assert_status(&later.refresh(&mut jar).await, 200);
    let change = json!({ "current_password": PASSWORD, "new_password": "another long password" });
    assert_error(&later.post_json("/api/auth/password", &jar, &change).await, 403, "step_up_required");

    // A wrong password does not step up; the right one does, and the
    // action goes through.
    let wrong = later
        .post_json("/api/auth/step-up", &jar, &json!({ "method": "password", "password": "nope nope nope" }))
        .await;
    assert_error(&wrong, 401, "invalid_credentials");
    let totp = later.post_json("/api/auth/step-up", &jar, &json!({ "method": "totp", "code": "123456" })).await;
    assert_invalid_field(&totp, "method");
    let stepped =
        later.post_json("/api/auth/step-up", &jar, &json!({ "method": "password", "password": PASSWORD })).await;
    assert_status(&stepped, 200);
    jar.absorb(&stepped);
    let info = stepped.session_info();
    assert!(info.auth_time >= now() - 1, "auth_time moved to the step-up: {}", info.auth_time);
    assert_eq!(info.amr, ["pwd"]);
    assert_status(&later.post_json("/api/auth/password", &jar, &change).await, 204);
}

#[tokio::test]
async fn a_user_with_totp_steps_up_with_a_code_not_the_password() {
    let app = TestApp::spawn_with(&[("AUTH_STEP_UP_SECS", "1")]).await;
    let mut user = app.new_user().await;
    let (secret, _) = enrol_totp(&app, &mut user).await;
    wait_past_freshness().await;
    let later = &app;

    let password = json!({ "method": "password", "password": PASSWORD });
    assert_invalid_field(&later.post_json("/api/auth/step-up", &user.jar, &password).await, "method");
    let wrong = later.post_json("/api/auth/step-up", &user.jar, &json!({ "method": "totp", "code": "12345x" })).await;
    assert_error(&wrong, 401, "code_invalid");
    let right = json!({ "method": "totp", "code": code(&app, &secret, 0) });
    let stepped = later.post_json("/api/auth/step-up", &user.jar, &right).await;
    assert_status(&stepped, 200);
    let mut jar = user.jar.clone();
    jar.absorb(&stepped);
    assert_eq!(stepped.session_info().amr, ["otp"]);
    assert_status(&later.post_empty("/api/auth/mfa/recovery-codes", &jar).await, 200);
}

#[tokio::test]
async fn the_policy_holds_covered_users_until_they_enrol() {
    let (app, mut admin) = TestApp::spawn_with_admin(&[("AUTH_REQUIRE_MFA", "admins")]).await;
    assert!(admin.info.mfa_enrolment_required, "the admin is covered and has no second factor");
    assert_error(&app.me(&admin.jar).await, 403, "mfa_enrolment_required");
    assert_error(&app.get("/api/admin/users", &admin.jar).await, 403, "mfa_enrolment_required");
    assert_status(&app.session(&admin.jar).await, 200);
    let factors: Value = app.get("/api/auth/mfa", &admin.jar).await.json();
    assert_eq!(factors["mfa_required_by_policy"], json!(true));

    let user = app.new_user().await;
    assert!(!user.info.mfa_enrolment_required, "a plain user is not covered by `admins`");
    assert_status(&app.me(&user.jar).await, 200);

    enrol_totp(&app, &mut admin).await;
    assert_status(&app.me(&admin.jar).await, 200);
    assert_status(&app.get("/api/admin/users", &admin.jar).await, 200);
    let session = app.session(&admin.jar).await.session_info();
    assert!(!session.mfa_enrolment_required);
}

#[tokio::test]
async fn policy_all_covers_every_user() {
    let app = TestApp::spawn_with(&[("AUTH_REQUIRE_MFA", "all")]).await;
    let mut user = app.new_user().await;
    assert!(user.info.mfa_enrolment_required);
    assert_error(&app.me(&user.jar).await, 403, "mfa_enrolment_required");

    // A secret set up but never confirmed was no factor: it may go.
    assert_status(&app.post_empty("/api/auth/mfa/totp/setup", &user.jar).await, 200);
    assert_status(&app.delete("/api/auth/mfa/totp", &user.jar).await, 204);

    // The one factor of a covered user stays.
    enrol_totp(&app, &mut user).await;
    assert_status(&app.me(&user.jar).await, 200);
    assert_invalid_field_free(&app.delete("/api/auth/mfa/totp", &user.jar).await);
    assert_eq!(app.get("/api/auth/mfa", &user.jar).await.json::<Value>()["recovery_codes_left"], json!(10));
    assert_status(&app.me(&user.jar).await, 200);
}

#[tokio::test]
async fn an_admin_resets_a_users_second_factors() {
    let (app, admin) = TestApp::spawn_with_admin(&[]).await;
    let mut user = app.new_user().await;
    enrol_totp(&app, &mut user).await;
    let path = format!("/api/admin/users/{}/mfa", user.info.user.id);

    assert_error(&app.delete(&path, &user.jar).await, 403, "forbidden");
    let users: Value = app.get("/api/admin/users", &admin.jar).await.json();
    let row = users.as_array().expect("a list").iter().find(|u| u["id"] == json!(user.info.user.id)).cloned();
    assert_eq!(row.expect("listed")["second_factors"], json!(["totp", "recovery"]));

    assert_status(&app.delete(&path, &admin.jar).await, 204);
    assert_error(&app.delete(&path, &admin.jar).await, 404, "not_found");
    let unknown = format!("/api/admin/users/{}/mfa", uuid::Uuid::new_v4());
    assert_error(&app.delete(&unknown, &admin.jar).await, 404, "not_found");

    // The password alone signs in again.
    let mut jar = Jar::default();
    let login = app.login(&mut jar, &user.email, &user.password).await;
    assert_status(&login, 200);
    assert!(login.session_info().amr == ["pwd"]);
    let events: Value = app.get("/api/admin/events?kind=mfa_reset", &admin.jar).await.json();
    assert_eq!(events.as_array().map(Vec::len), Some(1), "{events}");
}

#[tokio::test]
async fn turning_totp_off_removes_the_codes_and_the_second_step() {
    let app = TestApp::spawn().await;
    let mut user = app.new_user().await;
    let (_, codes) = enrol_totp(&app, &mut user).await;
    assert_status(&app.delete("/api/auth/mfa/totp", &user.jar).await, 204);

    let factors: Value = app.get("/api/auth/mfa", &user.jar).await.json();
    assert_eq!(factors["totp_enabled_at"], Value::Null);
    assert_eq!(factors["recovery_codes_left"], json!(0));
    let mut jar = Jar::default();
    let login = app.login(&mut jar, &user.email, &user.password).await;
    assert_status(&login, 200);
    assert!(jar.get(&app.access_cookie).is_some(), "the password alone signs in: {}", codes.len());
}

#[tokio::test]
async fn a_reset_link_does_not_skip_the_second_factor() {
    let app = TestApp::spawn().await;
    let mut user = app.new_user().await;
    enrol_totp(&app, &mut user).await;
    let forgot = app.post_json("/api/auth/password/forgot", &Jar::default(), &json!({ "email": user.email })).await;
    assert_status(&forgot, 202);
    let token = app.wait_for_mail(&user.email, "Reset your password", 1).await.link_token("/reset");
    let body = json!({ "token": token, "new_password": "a new long password" });
    let reset = app.post_json("/api/auth/password/reset", &Jar::default(), &body).await;
    assert_status(&reset, 200);
    assert_eq!(reset.json::<Value>()["mfa_required"], json!(true));
    assert!(reset.cookie(&app.access_cookie).is_none(), "no session without the second factor");
}
