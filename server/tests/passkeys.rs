//! Passkeys, black-box, with a software authenticator
//! (`common::passkey`): adding, naming and removing them, signing in with
//! one alone, one as the second step of a password sign-in and as a
//! step-up, and what must be refused: a replayed or expired ceremony, a
//! ceremony used for another purpose, a credential registered to another
//! account, a signature counter that goes back, a forged user handle, and
//! bad input on every endpoint.

mod common;

use std::time::Duration;

use common::{passkey::Authenticator, *};
use reqwest::Method;
use serde_json::{Value, json};

const ORIGIN: &str = "https://app.example";
const RP_ID: &str = "app.example";
const PENDING_COOKIE: &str = "__Secure-mfa";

async fn spawn(overrides: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![("AUTH_PUBLIC_ORIGIN", ORIGIN)];
    vars.extend_from_slice(overrides);
    TestApp::spawn_with(&vars).await
}

fn authenticator() -> Authenticator {
    Authenticator::new(ORIGIN, RP_ID)
}

/// `POST …/options` (no body) answering 200: the challenge.
async fn options(app: &TestApp, path: &str, jar: &Jar) -> Value {
    let response = app.post_empty(path, jar).await;
    assert_status(&response, 200);
    let challenge: Value = response.json();
    assert!(challenge["ceremony"].as_str().is_some_and(|c| c.len() >= 40), "{challenge}");
    challenge
}

/// Adds a passkey made by `device` to `user` (fresh from sign-in); the 201 body.
async fn add_passkey(app: &TestApp, user: &User, device: &mut Authenticator, name: &str) -> Value {
    let challenge = options(app, "/api/auth/passkeys/options", &user.jar).await;
    let credential = device.create(&challenge["options"]);
    let body = json!({ "ceremony": challenge["ceremony"], "name": name, "credential": credential });
    let added = app.post_json("/api/auth/passkeys", &user.jar, &body).await;
    assert_status(&added, 201);
    added.json()
}

/// Signs in with credential `index` of `device` alone; the response.
async fn sign_in_alone(app: &TestApp, device: &mut Authenticator, index: usize) -> Response {
    let challenge = options(app, "/api/auth/passkey/options", &Jar::default()).await;
    let assertion = device.get(&challenge["options"], index);
    app.post_json(
        "/api/auth/passkey",
        &Jar::default(),
        &json!({ "ceremony": challenge["ceremony"], "credential": assertion }),
    )
    .await
}

async fn factors(app: &TestApp, jar: &Jar) -> Value {
    let response = app.get("/api/auth/mfa", jar).await;
    assert_status(&response, 200);
    response.json()
}

#[tokio::test]
async fn a_passkey_is_added_and_signs_in_alone() {
    let app = spawn(&[]).await;
    let user = app.new_user().await;
    let mut device = authenticator();

    // The options ask for a discoverable key with user verification, under
    // a user handle that is neither the user's id nor their email.
    let challenge = options(&app, "/api/auth/passkeys/options", &user.jar).await;
    let creation = &challenge["options"];
    assert_eq!(creation["rp"]["id"], json!(RP_ID), "{creation}");
    assert_eq!(creation["authenticatorSelection"]["residentKey"], json!("required"));
    assert_eq!(creation["authenticatorSelection"]["userVerification"], json!("required"));
    let handle = passkey::decode(&creation["user"]["id"]);
    assert_eq!(handle.len(), 16, "a UUID");
    assert_ne!(handle, user.info.user.id.as_bytes());
    let credential = device.create(creation);
    let body = json!({ "ceremony": challenge["ceremony"], "name": "  Laptop  ", "credential": credential });
    let added = app.post_json("/api/auth/passkeys", &user.jar, &body).await;
    assert_status(&added, 201);
    let added: Value = added.json();
    assert_eq!(added["passkey"]["name"], json!("Laptop"));
    assert_eq!(added["recovery_codes"]["codes"].as_array().map(Vec::len), Some(10), "the first factor makes codes");

    let listed = factors(&app, &user.jar).await;
    assert_eq!(listed["passkeys"].as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed["passkeys"][0]["last_used_at"], Value::Null);
    assert_eq!(listed["step_up_methods"], json!(["passkey"]));
    assert_eq!(listed["passkeys_available"], json!(true));

    // A second passkey: the first is excluded, and no new codes.
    let again = options(&app, "/api/auth/passkeys/options", &user.jar).await;
    let excluded = again["options"]["excludeCredentials"].as_array().cloned().unwrap_or_default();
    assert_eq!(excluded.len(), 1, "{again}");
    assert_eq!(excluded[0]["id"], json!(passkey::encode(&device.credentials[0].id)));
    assert_eq!(passkey::decode(&again["options"]["user"]["id"]), handle, "one handle per user, for good");
    let second = add_passkey(&app, &user, &mut device, "Phone").await;
    assert_eq!(second["recovery_codes"]["codes"], json!([]));

    // Sign in with no email typed: a session, proven by a hardware key.
    let signed_in = sign_in_alone(&app, &mut device, 0).await;
    assert_status(&signed_in, 200);
    let info = signed_in.session_info();
    assert_eq!(info.user.id, user.info.user.id);
    assert_eq!(info.amr, ["hwk", "mfa"]);
    let mut jar = Jar::default();
    jar.absorb(&signed_in);
    assert_status(&app.me(&jar).await, 200);
    let listed = factors(&app, &jar).await;
    let used = |name: &str| {
        let passkeys = listed["passkeys"].as_array().expect("a list");
        passkeys.iter().find(|p| p["name"] == json!(name)).expect("listed")["last_used_at"].as_i64()
    };
    assert!(used("Laptop").is_some_and(|at| at >= now() - 5), "{listed}");
    assert_eq!(used("Phone"), None);
}

#[tokio::test]
async fn a_password_sign_in_then_asks_for_the_passkey() {
    let app = spawn(&[]).await;
    let user = app.new_user().await;
    let mut device = authenticator();
    add_passkey(&app, &user, &mut device, "Key").await;

    let mut jar = Jar::default();
    let login = app.login(&mut jar, &user.email, &user.password).await;
    assert_status(&login, 200);
    let asked: Value = login.json();
    assert_eq!(asked, json!({ "mfa_required": true, "methods": ["passkey", "recovery"] }));
    assert_error(&app.me(&jar).await, 401, "unauthenticated");

    let challenge = options(&app, "/api/auth/mfa/passkey/options", &jar).await;
    let allowed = challenge["options"]["allowCredentials"].as_array().cloned().unwrap_or_default();
    assert_eq!(allowed.len(), 1, "only this user's passkeys: {challenge}");
    let assertion = device.get(&challenge["options"], 0);
    let body = json!({ "ceremony": challenge["ceremony"], "credential": assertion });
    let finished = app.post_json("/api/auth/mfa/passkey", &jar, &body).await;
    assert_status(&finished, 200);
    assert_clears_cookie(&finished, PENDING_COOKIE, "/api/auth");
    assert_eq!(finished.session_info().amr, ["pwd", "hwk", "mfa"]);

    // The pending sign-in is spent.
    assert_error(&app.post_json("/api/auth/mfa/passkey", &jar, &body).await, 401, "mfa_pending_invalid");
}

#[tokio::test]
async fn a_ceremony_works_once_for_its_own_purpose_and_expires() {
    let app = spawn(&[]).await;
    let user = app.new_user().await;
    let mut device = authenticator();

    // Registration: the same answer twice.
    let challenge = options(&app, "/api/auth/passkeys/options", &user.jar).await;
    let credential = device.create(&challenge["options"]);
    let body = json!({ "ceremony": challenge["ceremony"], "name": "Key", "credential": credential });
    assert_status(&app.post_json("/api/auth/passkeys", &user.jar, &body).await, 201);
    assert_invalid_field(&app.post_json("/api/auth/passkeys", &user.jar, &body).await, "credential");

    // Sign-in: the same assertion twice.
    let challenge = options(&app, "/api/auth/passkey/options", &Jar::default()).await;
    let assertion = device.get(&challenge["options"], 0);
    let body = json!({ "ceremony": challenge["ceremony"], "credential": assertion });
    assert_status(&app.post_json("/api/auth/passkey", &Jar::default(), &body).await, 200);
    assert_error(&app.post_json("/api/auth/passkey", &Jar::default(), &body).await, 401, "passkey_invalid");

    // A step-up ceremony cannot sign anyone in.
    let challenge = options(&app, "/api/auth/step-up/passkey/options", &user.jar).await;
    let assertion = device.get(&challenge["options"], 0);
    let body = json!({ "ceremony": challenge["ceremony"], "credential": assertion });
    assert_error(&app.post_json("/api/auth/passkey", &Jar::default(), &body).await, 401, "passkey_invalid");

    // Any instance finishes a ceremony; past five minutes, none does.
    let sibling = app.spawn_sibling().await;
    assert_status(&sign_in_via(&app, &sibling, &mut device).await, 200);
    let late = app.spawn_skewed_sibling(301).await;
    assert_error(&sign_in_via(&app, &late, &mut device).await, 401, "passkey_invalid");
}

/// Starts a passkey sign-in on `start` and finishes it on `finish`.
async fn sign_in_via(start: &TestApp, finish: &TestApp, device: &mut Authenticator) -> Response {
    let challenge = options(start, "/api/auth/passkey/options", &Jar::default()).await;
    let assertion = device.get(&challenge["options"], 0);
    let body = json!({ "ceremony": challenge["ceremony"], "credential": assertion });
    finish.post_json("/api/auth/passkey", &Jar::default(), &body).await
}

#[tokio::test]
async fn a_credential_registered_to_another_account_is_refused() {
    let app = spawn(&[]).await;
    let first = app.new_user().await;
    let second = app.new_user().await;
    let mut device = authenticator();
    add_passkey(&app, &first, &mut device, "Key").await;

    // The same credential, presented for the second account.
    let challenge = options(&app, "/api/auth/passkeys/options", &second.jar).await;
    let credential = device.create_again(&challenge["options"], 0);
    let body = json!({ "ceremony": challenge["ceremony"], "name": "Stolen", "credential": credential });
    assert_error(&app.post_json("/api/auth/passkeys", &second.jar, &body).await, 409, "passkey_taken");
    assert_eq!(factors(&app, &second.jar).await["passkeys"], json!([]));

    // It still signs in the first account, and only that one.
    let signed_in = sign_in_alone(&app, &mut device, 0).await;
    assert_status(&signed_in, 200);
    assert_eq!(signed_in.session_info().user.id, first.info.user.id);
}

#[tokio::test]
async fn a_counter_that_goes_back_is_refused_and_audited() {
    let (app, admin) = TestApp::spawn_with_admin(&[("AUTH_PUBLIC_ORIGIN", ORIGIN)]).await;
    let user = app.new_user().await;
    let mut device = authenticator();
    add_passkey(&app, &user, &mut device, "Key").await;

    let challenge = options(&app, "/api/auth/passkey/options", &Jar::default()).await;
    let assertion = device.get_with_counter(&challenge["options"], 0, 5);
    let body = json!({ "ceremony": challenge["ceremony"], "credential": assertion });
    assert_status(&app.post_json("/api/auth/passkey", &Jar::default(), &body).await, 200);

    // A clone of the authenticator, a few uses behind.
    for counter in [3, 5] {
        let challenge = options(&app, "/api/auth/passkey/options", &Jar::default()).await;
        let assertion = device.get_with_counter(&challenge["options"], 0, counter);
        let body = json!({ "ceremony": challenge["ceremony"], "credential": assertion });
        assert_error(&app.post_json("/api/auth/passkey", &Jar::default(), &body).await, 401, "passkey_invalid");
    }
    let suspected = app.audit_events(&admin.jar, "passkey_clone_suspected").await;
    assert_eq!(suspected.len(), 2, "{suspected:?}");
    assert_eq!(suspected[0]["user_id"], json!(user.info.user.id));

    // The real one, ahead of both, still works.
    let challenge = options(&app, "/api/auth/passkey/options", &Jar::default()).await;
    let assertion = device.get_with_counter(&challenge["options"], 0, 6);
    let body = json!({ "ceremony": challenge["ceremony"], "credential": assertion });
    assert_status(&app.post_json("/api/auth/passkey", &Jar::default(), &body).await, 200);
}

#[tokio::test]
async fn a_forged_user_handle_is_refused() {
    let app = spawn(&[]).await;
    let victim = app.new_user().await;
    let attacker = app.new_user().await;
    let mut victim_device = authenticator();
    add_passkey(&app, &victim, &mut victim_device, "Key").await;
    let mut device = authenticator();
    add_passkey(&app, &attacker, &mut device, "Key").await;

    // The attacker's own passkey, claiming the victim's handle.
    device.credentials[0].user_handle = victim_device.credentials[0].user_handle.clone();
    assert_error(&sign_in_alone(&app, &mut device, 0).await, 401, "passkey_invalid");
}

#[tokio::test]
async fn a_passkey_steps_up_and_the_password_no_longer_does() {
    let app = spawn(&[("AUTH_STEP_UP_SECS", "1")]).await;
    let mut user = app.new_user().await;
    let mut device = authenticator();
    add_passkey(&app, &user, &mut device, "Key").await;
    tokio::time::sleep(Duration::from_millis(2100)).await;

    let change = json!({ "current_password": user.password, "new_password": "a brand new passphrase 42" });
    assert_error(&app.post_json("/api/auth/password", &user.jar, &change).await, 403, "step_up_required");
    let by_password = json!({ "method": "password", "password": user.password });
    assert_invalid_field(&app.post_json("/api/auth/step-up", &user.jar, &by_password).await, "method");

    let challenge = options(&app, "/api/auth/step-up/passkey/options", &user.jar).await;
    let assertion = device.get(&challenge["options"], 0);
    let proof = json!({ "method": "passkey", "ceremony": challenge["ceremony"], "credential": assertion });
    let stepped = app.post_json("/api/auth/step-up", &user.jar, &proof).await;
    assert_status(&stepped, 200);
    assert_eq!(stepped.session_info().amr, ["hwk"]);
    user.jar.absorb(&stepped);
    assert_status(&app.post_json("/api/auth/password", &user.jar, &change).await, 204);
}

#[tokio::test]
async fn passkeys_are_renamed_and_removed_by_their_owner_only() {
    let app = spawn(&[("AUTH_STEP_UP_SECS", "1")]).await;
    let user = app.new_user().await;
    let other = app.new_user().await;
    let mut device = authenticator();
    let added = add_passkey(&app, &user, &mut device, "Key").await;
    let id = added["passkey"]["id"].as_str().expect("an id").to_owned();
    let path = format!("/api/auth/passkeys/{id}");
    let rename = |jar: &Jar, name: &str| app.send(app.request(Method::PUT, &path, jar).json(&json!({ "name": name })));

    let renamed = rename(&user.jar, "Work key").await;
    assert_status(&renamed, 200);
    assert_eq!(renamed.json::<Value>()["name"], json!("Work key"));
    assert_invalid_field(&rename(&user.jar, "   ").await, "name");
    assert_invalid_field(&rename(&user.jar, &"x".repeat(65)).await, "name");
    assert_error(&rename(&other.jar, "Mine now").await, 404, "not_found");
    assert_error(&app.delete(&path, &other.jar).await, 404, "not_found");

    // Removing one is sensitive: it needs a fresh proof.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_error(&app.delete(&path, &user.jar).await, 403, "step_up_required");
    let mut jar = Jar::default();
    let login = app.login(&mut jar, &user.email, &user.password).await;
    assert_eq!(login.json::<Value>()["methods"], json!(["passkey", "recovery"]));
    let challenge = options(&app, "/api/auth/mfa/passkey/options", &jar).await;
    let assertion = device.get(&challenge["options"], 0);
    let finished = app
        .post_json(
            "/api/auth/mfa/passkey",
            &jar,
            &json!({ "ceremony": challenge["ceremony"], "credential": assertion }),
        )
        .await;
    assert_status(&finished, 200);
    jar.absorb(&finished);
    assert_status(&app.delete(&path, &jar).await, 204);
    assert_error(&app.delete(&path, &jar).await, 404, "not_found");

    // The last factor is gone: so are the codes and the second step.
    let listed = factors(&app, &jar).await;
    assert_eq!(listed["passkeys"], json!([]));
    assert_eq!(listed["recovery_codes_left"], json!(0));
    let login = app.login(&mut Jar::default(), &user.email, &user.password).await;
    assert_status(&login, 200);
    assert_eq!(login.session_info().amr, ["pwd"]);
}

#[tokio::test]
async fn bad_input_gets_the_contracts_answer_and_never_a_5xx() {
    let app = spawn(&[]).await;
    let user = app.new_user().await;
    let anonymous = Jar::default();

    // Signed out.
    for path in ["/api/auth/passkeys/options", "/api/auth/step-up/passkey/options"] {
        assert_error(&app.post_empty(path, &anonymous).await, 401, "unauthenticated");
    }
    assert_error(&app.post_empty("/api/auth/mfa/passkey/options", &anonymous).await, 401, "mfa_pending_invalid");
    // No passkey to step up with.
    assert_invalid_field(&app.post_empty("/api/auth/step-up/passkey/options", &user.jar).await, "method");

    // Registration: a bad name (checked before the ceremony is used), then
    // answers that are not credentials.
    let challenge = options(&app, "/api/auth/passkeys/options", &user.jar).await;
    let ceremony = challenge["ceremony"].clone();
    for name in ["", "bell\u{7}", &"x".repeat(65)] {
        let body = json!({ "ceremony": ceremony, "name": name, "credential": {} });
        assert_invalid_field(&app.post_json("/api/auth/passkeys", &user.jar, &body).await, "name");
    }
    let body = json!({ "ceremony": ceremony, "name": "Key", "credential": { "id": 5 } });
    assert_invalid_field(&app.post_json("/api/auth/passkeys", &user.jar, &body).await, "credential");
    let body = json!({ "ceremony": "x".repeat(5000), "name": "Key", "credential": {} });
    assert_invalid_field(&app.post_json("/api/auth/passkeys", &user.jar, &body).await, "credential");
    for body in [json!({}), json!({ "ceremony": 1, "name": "Key", "credential": {} }), json!([])] {
        assert_client_error(&app.post_json("/api/auth/passkeys", &user.jar, &body).await);
    }

    // Sign-in: unknown ceremonies, garbage credentials, tampered fields.
    let mut device = authenticator();
    add_passkey(&app, &user, &mut device, "Key").await;
    let unknown = json!({ "ceremony": "nope", "credential": {} });
    assert_error(&app.post_json("/api/auth/passkey", &anonymous, &unknown).await, 401, "passkey_invalid");
    let challenge = options(&app, "/api/auth/passkey/options", &anonymous).await;
    let body = json!({ "ceremony": challenge["ceremony"], "credential": "garbage" });
    assert_invalid_field(&app.post_json("/api/auth/passkey", &anonymous, &body).await, "credential");
    let challenge = options(&app, "/api/auth/passkey/options", &anonymous).await;
    let mut assertion = device.get(&challenge["options"], 0);
    assertion["response"]["signature"] = json!(passkey::encode(b"not a signature"));
    let body = json!({ "ceremony": challenge["ceremony"], "credential": assertion });
    assert_error(&app.post_json("/api/auth/passkey", &anonymous, &body).await, 401, "passkey_invalid");
    let challenge = options(&app, "/api/auth/passkey/options", &anonymous).await;
    let mut assertion = device.get(&challenge["options"], 0);
    assertion["rawId"] = json!(passkey::encode(&[7; 32]));
    let body = json!({ "ceremony": challenge["ceremony"], "credential": assertion });
    assert_error(&app.post_json("/api/auth/passkey", &anonymous, &body).await, 401, "passkey_invalid");
    for body in [json!({}), json!({ "ceremony": null }), json!("text")] {
        assert_client_error(&app.post_json("/api/auth/passkey", &anonymous, &body).await);
    }
    let step_up = json!({ "method": "passkey", "ceremony": "nope", "credential": {} });
    assert_error(&app.post_json("/api/auth/step-up", &user.jar, &step_up).await, 401, "passkey_invalid");
    let rename =
        app.send(app.request(Method::PUT, "/api/auth/passkeys/unknown", &user.jar).json(&json!({"name": "A"})));
    assert_error(&rename.await, 404, "not_found");
}

#[tokio::test]
async fn passkeys_are_off_when_the_origin_has_no_domain_name() {
    // The default public origin is http://127.0.0.1:<port>.
    let app = TestApp::spawn().await;
    let user = app.new_user().await;

    assert_eq!(factors(&app, &user.jar).await["passkeys_available"], json!(false));
    assert_client_error(&app.post_empty("/api/auth/passkey/options", &Jar::default()).await);
    assert_client_error(&app.post_empty("/api/auth/passkeys/options", &user.jar).await);
}

#[tokio::test]
async fn a_user_the_policy_covers_keeps_a_last_passkey() {
    let app = spawn(&[("AUTH_REQUIRE_MFA", "all")]).await;
    let user = app.new_user().await;
    assert!(user.info.mfa_enrolment_required);
    let (mut laptop, mut phone) = (authenticator(), authenticator());
    let first = add_passkey(&app, &user, &mut laptop, "Laptop").await;
    assert_status(&app.me(&user.jar).await, 200);
    let second = add_passkey(&app, &user, &mut phone, "Phone").await;

    let path = |added: &Value| format!("/api/auth/passkeys/{}", added["passkey"]["id"].as_str().expect("an id"));
    assert_status(&app.delete(&path(&first), &user.jar).await, 204);
    let refused = app.delete(&path(&second), &user.jar).await;
    assert_error(&refused, 422, "invalid_input");
    assert_eq!(factors(&app, &user.jar).await["passkeys"].as_array().map(Vec::len), Some(1));
    assert_status(&sign_in_alone(&app, &mut phone, 0).await, 200);
}
