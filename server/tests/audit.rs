//! The audit log (`GET /api/admin/events`): every auth event a client causes
//! is listed for admins, newest first, with the user, the session, the
//! caller's address and user agent; it pages with `limit` and `before`,
//! filters by `kind` and `user_id`, refuses bad query values, and never
//! holds a token or a password.

mod common;

use std::collections::BTreeSet;

use common::*;
use reqwest::Method;
use reqwest::header::USER_AGENT;
use serde_json::{Value, json};

const AGENT: &str = "AuditProbe/1.0 (integration tests)";
const WRONG_PASSWORD: &str = "wrong-password-audit-probe";
const NEW_PASSWORD: &str = "new-password-audit-probe";

/// Sends `method path` with the jar's cookies, [`AGENT`] as the User-Agent
/// and an optional JSON body.
async fn send_as(api: &Api, method: Method, path: &str, jar: &Jar, body: Option<&Value>) -> Response {
    let mut request = api.request(method, path, jar).header(USER_AGENT, AGENT);
    if let Some(body) = body {
        request = request.json(body);
    }
    api.send(request).await
}

/// Every access and refresh token the server handed out.
#[derive(Default)]
struct Tokens(BTreeSet<String>);

impl Tokens {
    fn record(&mut self, response: &Response) {
        for cookie in &response.set_cookies {
            let auth_cookie = cookie.name == DEFAULT_ACCESS_COOKIE || cookie.name == DEFAULT_REFRESH_COOKIE;
            if auth_cookie && !cookie.value.is_empty() && !cookie.is_removal() {
                self.0.insert(cookie.value.clone());
            }
        }
    }

    /// Each token, plus a JWT's signature alone.
    fn needles(&self) -> Vec<String> {
        let mut needles = Vec::new();
        for token in &self.0 {
            needles.push(token.clone());
            let parts: Vec<&str> = token.split('.').collect();
            if parts.len() == 3 && parts[2].len() >= 40 {
                needles.push(parts[2].to_owned());
            }
        }
        needles
    }
}

/// Signs in (register or login) with [`AGENT`]; the new jar and the answer.
async fn sign_in(api: &Api, tokens: &mut Tokens, path: &str, email: &str, password: &str) -> (Jar, Response) {
    let body = json!({ "email": email, "password": password });
    let response = send_as(api, Method::POST, path, &Jar::default(), Some(&body)).await;
    tokens.record(&response);
    let mut jar = Jar::default();
    jar.absorb(&response);
    (jar, response)
}

/// A user who went through every kind of event, one step each, all sent
/// with [`AGENT`].
struct Story {
    app: TestApp,
    admin: Jar,
    admin_id: String,
    user_id: String,
    email: String,
    /// The session registration started (revokes the third, then logs out).
    first: String,
    /// Logged in, refreshed, then killed by a replayed refresh token.
    second: String,
    /// Logged in, then revoked from the first.
    third: String,
    tokens: Tokens,
}

impl Story {
    async fn tell() -> Story {
        // The server only seeds the admin: its sign-in is part of the story
        // (sent with the probe's user agent, its tokens recorded), below.
        let mut vars = ADMIN_VARS.to_vec();
        vars.push(("AUTH_REUSE_GRACE_SECS", "0"));
        let app = TestApp::spawn_with(&vars).await;
        let mut tokens = Tokens::default();
        let email = unique_email();

        // registered
        let (first_jar, register) = sign_in(&app, &mut tokens, "/api/auth/register", &email, PASSWORD).await;
        assert_status(&register, 201);
        let first = register.session_info();

        // login_failed
        let (_, failed) = sign_in(&app, &mut tokens, "/api/auth/login", &email, WRONG_PASSWORD).await;
        assert_error(&failed, 401, "invalid_credentials");

        // login_succeeded
        let (mut second_jar, login) = sign_in(&app, &mut tokens, "/api/auth/login", &email, PASSWORD).await;
        assert_status(&login, 200);
        let second = login.session_info().session_id;

        // refreshed
        let parent = second_jar.clone();
        let refresh = send_as(&app, Method::POST, "/api/auth/refresh", &second_jar, None).await;
        assert_status(&refresh, 200);
        tokens.record(&refresh);
        second_jar.absorb(&refresh);

        // reuse_detected
        let replay = send_as(&app, Method::POST, "/api/auth/refresh", &parent, None).await;
        assert_error(&replay, 401, "refresh_reused");

        // session_revoked
        let (_, third_login) = sign_in(&app, &mut tokens, "/api/auth/login", &email, PASSWORD).await;
        assert_status(&third_login, 200);
        let third = third_login.session_info().session_id;
        let revoke = send_as(&app, Method::DELETE, &format!("/api/auth/sessions/{third}"), &first_jar, None).await;
        assert_status(&revoke, 204);

        // logout
        let logout = send_as(&app, Method::POST, "/api/auth/logout", &first_jar, None).await;
        assert_status(&logout, 204);

        // role_changed (the admin's login is one more login_succeeded)
        let (admin, admin_login) = sign_in(&app, &mut tokens, "/api/auth/login", ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_status(&admin_login, 200);
        let admin_id = admin_login.session_info().user.id;
        let body = json!({ "roles": ["user", "admin"] });
        let path = format!("/api/admin/users/{}/roles", first.user.id);
        let role_change = send_as(&app, Method::PUT, &path, &admin, Some(&body)).await;
        assert_status(&role_change, 200);

        Story { app, admin, admin_id, user_id: first.user.id, email, first: first.session_id, second, third, tokens }
    }

    async fn events_response(&self, query: &str) -> Response {
        self.app.get(&format!("/api/admin/events{query}"), &self.admin).await
    }

    async fn events(&self, query: &str) -> Vec<Value> {
        let response = self.events_response(query).await;
        assert_status(&response, 200);
        response.json()
    }
}

fn id(event: &Value) -> i64 {
    event["id"].as_i64().unwrap_or_else(|| panic!("an integer id: {event}"))
}

fn text<'a>(event: &'a Value, field: &str) -> Option<&'a str> {
    event[field].as_str()
}

fn ids(events: &[Value]) -> Vec<i64> {
    events.iter().map(id).collect()
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().map(|event| text(event, "kind").unwrap_or("?")).collect()
}

/// The one event of `kind` that `matches`; panics listing what there is.
fn find<'a>(events: &'a [Value], kind: &str, matches: impl Fn(&Value) -> bool) -> &'a Value {
    let found: Vec<&Value> =
        events.iter().filter(|event| text(event, "kind") == Some(kind) && matches(event)).collect();
    assert_eq!(found.len(), 1, "expected one {kind} event, found {}; kinds listed: {:?}", found.len(), kinds(events));
    found[0]
}

/// Asserts that the event came from this test's HTTP client.
#[track_caller]
fn assert_from_client(event: &Value) {
    assert_eq!(text(event, "ip"), Some("127.0.0.1"), "{event}");
    assert_eq!(text(event, "user_agent"), Some(AGENT), "{event}");
    let at = event["at"].as_i64().unwrap_or_else(|| panic!("an integer at: {event}"));
    assert!((at - now()).abs() <= 120, "at {at} is not about now: {event}");
}

#[tokio::test]
async fn every_kind_of_auth_event_is_listed_with_its_user_session_address_and_agent() {
    // Arrange
    let story = Story::tell().await;
    let user = story.user_id.as_str();

    // Act
    let events = story.events("").await;

    // Assert
    let registered = find(&events, "registered", |e| text(e, "user_id") == Some(user));
    assert_eq!(
        text(registered, "session_id"),
        Some(story.first.as_str()),
        "registration starts a session: {registered}"
    );
    let failed = find(&events, "login_failed", |e| text(e, "user_id") == Some(user));
    assert_eq!(text(failed, "session_id"), None, "a failed login has no session: {failed}");
    let login = find(&events, "login_succeeded", |e| text(e, "session_id") == Some(story.second.as_str()));
    let refreshed = find(&events, "refreshed", |e| text(e, "session_id") == Some(story.second.as_str()));
    let reused = find(&events, "reuse_detected", |e| text(e, "session_id") == Some(story.second.as_str()));
    let revoked = find(&events, "session_revoked", |e| text(e, "session_id") == Some(story.third.as_str()));
    let logout = find(&events, "logout", |e| text(e, "session_id") == Some(story.first.as_str()));
    let role = find(&events, "role_changed", |e| text(e, "user_id") == Some(user));
    // "{before} -> {after} (by user {admin id})"
    let detail = text(role, "detail").unwrap_or_default();
    assert!(detail.starts_with("user -> "), "role_changed detail starts with the roles before: {detail:?}");
    let (_, after) = detail.split_once("->").unwrap_or_default();
    assert!(after.contains("admin"), "role_changed detail lists admin after the change: {detail:?}");
    let by_admin = format!("(by user {})", story.admin_id);
    assert!(detail.ends_with(&by_admin), "role_changed detail ends with {by_admin:?}: {detail:?}");
    find(&events, "login_succeeded", |e| text(e, "user_id") == Some(story.admin_id.as_str()));

    let in_order = [registered, failed, login, refreshed, reused, revoked, logout, role];
    for event in in_order {
        assert_eq!(text(event, "user_id"), Some(user), "{event}");
        assert_from_client(event);
    }
    for event in [registered, failed, login, refreshed, reused, revoked, logout] {
        assert_eq!(text(event, "email"), Some(story.email.as_str()), "{event}");
    }
    let step_ids: Vec<i64> = in_order.iter().map(|event| id(event)).collect();
    assert!(step_ids.windows(2).all(|pair| pair[0] < pair[1]), "events in the order they happened: {step_ids:?}");
}

#[tokio::test]
async fn events_are_newest_first_and_page_with_limit_and_before() {
    // Arrange
    let story = Story::tell().await;
    let all = story.events("").await;
    let all_ids = ids(&all);
    assert!(all.len() >= 9, "every step left an event: {:?}", kinds(&all));
    assert!(all_ids.windows(2).all(|pair| pair[0] > pair[1]), "ids descend: {all_ids:?}");

    // Act
    let first_two = story.events("?limit=2").await;
    let next_two = story.events(&format!("?limit=2&before={}", all_ids[1])).await;
    let mut walked = Vec::new();
    let mut query = "?limit=3".to_owned();
    loop {
        let page = story.events(&query).await;
        assert!(page.len() <= 3, "a page holds at most its limit");
        let Some(last) = page.last() else { break };
        query = format!("?limit=3&before={}", id(last));
        walked.extend(ids(&page));
        assert!(walked.len() <= all_ids.len(), "paging does not repeat: {walked:?}");
    }

    // Assert
    assert_eq!(ids(&first_two), all_ids[..2].to_vec());
    assert_eq!(ids(&next_two), all_ids[2..4].to_vec());
    assert_eq!(walked, all_ids, "walking the pages lists every event once, newest first");
    assert!(story.events(&format!("?before={}", all_ids[all_ids.len() - 1])).await.is_empty());
    assert_eq!(story.events("?limit=1").await.len(), 1);
    assert_eq!(story.events("?limit=500").await.len(), all.len());
}

#[tokio::test]
async fn events_filter_by_kind_and_by_user() {
    // Arrange
    let story = Story::tell().await;
    let user = story.user_id.as_str();

    // Act
    let failed = story.events("?kind=login_failed").await;
    let mine = story.events(&format!("?user_id={user}")).await;
    let my_logins = story.events(&format!("?user_id={user}&kind=login_succeeded")).await;
    let admins = story.events(&format!("?user_id={}", story.admin_id)).await;

    // Assert
    assert!(!failed.is_empty());
    assert!(failed.iter().all(|e| text(e, "kind") == Some("login_failed")), "{:?}", kinds(&failed));
    find(&failed, "login_failed", |e| text(e, "user_id") == Some(user));

    assert!(mine.iter().all(|e| text(e, "user_id") == Some(user)), "{mine:?}");
    let my_kinds: BTreeSet<&str> = kinds(&mine).into_iter().collect();
    for kind in
        ["registered", "login_failed", "login_succeeded", "refreshed", "reuse_detected", "session_revoked", "logout"]
    {
        assert!(my_kinds.contains(kind), "{kind} is listed for the user: {my_kinds:?}");
    }
    assert!(my_kinds.contains("role_changed"), "{my_kinds:?}");
    let mine_ids = ids(&mine);
    assert!(mine_ids.windows(2).all(|pair| pair[0] > pair[1]), "ids descend: {mine_ids:?}");

    assert!(my_logins.iter().all(|e| text(e, "kind") == Some("login_succeeded") && text(e, "user_id") == Some(user)));
    let sessions: BTreeSet<&str> = my_logins.iter().filter_map(|e| text(e, "session_id")).collect();
    assert!(sessions.contains(story.second.as_str()) && sessions.contains(story.third.as_str()), "{sessions:?}");

    assert!(!admins.is_empty());
    assert!(admins.iter().all(|e| text(e, "user_id") == Some(story.admin_id.as_str())), "{admins:?}");
}

#[tokio::test]
async fn bad_event_query_values_are_invalid_input() {
    // Arrange
    let (app, admin) = TestApp::spawn_with_admin(&[]).await;

    let queries = [
        "limit=0",
        "limit=501",
        "limit=abc",
        "limit=-1",
        "limit=1.5",
        "before=x",
        "before=1.5",
        "kind=bogus",
        "user_id=not-a-uuid",
    ];
    for query in queries {
        // Act
        let response = app.get(&format!("/api/admin/events?{query}"), &admin.jar).await;

        // Assert
        assert_eq!(response.status.as_u16(), 422, "{query}: {}", response.body);
        assert_error(&response, 422, "invalid_input");
    }
    assert_status(&app.get("/api/admin/events?limit=1", &admin.jar).await, 200);
    assert_status(&app.get("/api/admin/events?limit=500", &admin.jar).await, 200);
}

#[tokio::test]
async fn events_are_forbidden_for_a_normal_user_and_need_an_access_cookie() {
    // Arrange
    let (app, _admin) = TestApp::spawn_with_admin(&[]).await;
    let user = app.new_user().await;

    // Act
    let normal = app.get("/api/admin/events", &user.jar).await;
    let anonymous = app.get("/api/admin/events", &Jar::default()).await;

    // Assert
    assert_error(&normal, 403, "forbidden");
    assert_error(&anonymous, 401, "unauthenticated");
}

#[tokio::test]
async fn no_event_holds_a_token_or_a_password() {
    // Arrange
    let story = Story::tell().await;

    // Act
    let mut bodies = vec![story.events_response("?limit=500").await];
    bodies.push(story.events_response(&format!("?user_id={}", story.user_id)).await);
    bodies.push(story.events_response("?kind=login_failed").await);

    // Assert
    assert!(story.tokens.0.len() >= 8, "the story saw several tokens: {}", story.tokens.0.len());
    for response in &bodies {
        assert_status(response, 200);
        for needle in story.tokens.needles() {
            assert!(!response.body.contains(&needle), "a token appears in the events");
        }
        for secret in [PASSWORD, WRONG_PASSWORD, ADMIN_PASSWORD] {
            assert!(!response.body.contains(secret), "a password appears in the events");
        }
        assert!(!response.body.contains("argon2"), "a password hash appears in the events");
    }
}

#[tokio::test]
async fn a_password_change_is_audited_without_the_passwords() {
    // Arrange
    let (app, admin) = TestApp::spawn_with_admin(&[]).await;
    let user = app.new_user().await;
    let _other = app.new_session(&user).await;
    let body = json!({ "current_password": user.password, "new_password": NEW_PASSWORD });

    // Act
    let change = send_as(&app, Method::POST, "/api/auth/password", &user.jar, Some(&body)).await;

    // Assert
    assert_status(&change, 204);
    let response = app.get(&format!("/api/admin/events?user_id={}", user.info.user.id), &admin.jar).await;
    assert_status(&response, 200);
    let events: Vec<Value> = response.json();
    let changed = find(&events, "password_changed", |_| true);
    assert_from_client(changed);
    assert_eq!(text(changed, "session_id"), Some(user.info.session_id.as_str()), "the changing session: {changed}");
    assert!(kinds(&events).contains(&"sessions_revoked"), "the other sessions' end is audited: {:?}", kinds(&events));
    for secret in [PASSWORD, NEW_PASSWORD] {
        assert!(!response.body.contains(secret), "a password appears in the events");
    }
}

#[tokio::test]
async fn a_login_refused_by_the_limiter_is_audited_as_rate_limited() {
    // Arrange: the admin signs in before this address is over its limit.
    let (app, admin) = TestApp::spawn_with_admin(&[("AUTH_RATE_LIMITS", "on")]).await;
    let user = app.new_user().await;
    for _ in 0..10 {
        assert_error(&app.login(&mut Jar::default(), &user.email, WRONG_PASSWORD).await, 401, "invalid_credentials");
    }

    // Act
    let limited = app.login(&mut Jar::default(), &user.email, &user.password).await;

    // Assert: ten wrong passwords for the user, then the refusal (newest).
    assert_rate_limited(&limited);
    let response = app.get("/api/admin/events?kind=login_failed", &admin.jar).await;
    assert_status(&response, 200);
    let events: Vec<Value> = response.json();
    let wrong = events.iter().filter(|e| text(e, "user_id") == Some(user.info.user.id.as_str())).count();
    assert!(wrong >= 10, "the ten wrong passwords are listed: {events:?}");
    let refusal = &events[0];
    assert_eq!(text(refusal, "detail"), Some("rate_limited"), "the newest is the refusal: {refusal}");
    assert_eq!(text(refusal, "ip"), Some("127.0.0.1"), "{refusal}");
    assert_eq!(text(refusal, "session_id"), None, "{refusal}");
    let limited_count = events.iter().filter(|e| text(e, "detail") == Some("rate_limited")).count();
    assert_eq!(limited_count, 1, "{events:?}");
}

#[tokio::test]
async fn with_refresh_auditing_off_refreshes_leave_no_event_but_reuse_still_does() {
    let (app, admin) =
        TestApp::spawn_with_admin(&[("AUTH_AUDIT_REFRESHES", "off"), ("AUTH_REUSE_GRACE_SECS", "0")]).await;
    let user = app.new_user().await;
    let (mut jar, _) = app.new_session(&user).await;
    let stolen = jar.clone();
    assert_status(&app.refresh(&mut jar).await, 200);
    assert_error(&app.refresh(&mut stolen.clone()).await, 401, "refresh_reused");

    let events = app.get(&format!("/api/admin/events?user_id={}", user.info.user.id), &admin.jar).await;

    assert_status(&events, 200);
    let kinds: Vec<String> =
        events.json::<Vec<serde_json::Value>>().iter().filter_map(|e| e["kind"].as_str().map(str::to_owned)).collect();
    assert!(!kinds.iter().any(|k| k == "refreshed"), "no refresh events: {kinds:?}");
    assert!(kinds.iter().any(|k| k == "reuse_detected"), "reuse is always audited: {kinds:?}");
}

#[tokio::test]
async fn pruning_deletes_events_past_retention_oldest_first_and_stops_at_the_first_newer_one() {
    use server::store::events::{EventFilter, NewEvent, insert_events, list_events, prune_events};

    // Arrange: events in the order they are stored: five past the cutoff,
    // two newer, one older again (the clock stepped back), one newer.
    // A database of its own, with no server whose own prune would race.
    let dir = tempfile::tempdir().expect("temp dir");
    let db = server::db::Db::connect(&database_url_for(dir.path()).await).await.expect("open the database");
    db.migrate().await.expect("migrate");
    let cutoff = now() - 90 * 86_400;
    let stored = [-500, -400, -300, -200, -1, 0, 1, -100, 100].map(|offset| cutoff + offset);
    let event = |at| NewEvent {
        at,
        kind: "login_failed",
        user_id: None,
        session_id: None,
        ip: None,
        user_agent: None,
        detail: None,
    };
    insert_events(&db, &stored.map(event)).await.expect("store the events");
    let left = async || -> Vec<i64> {
        let all = EventFilter { limit: 100, ..EventFilter::default() };
        list_events(&db, &all).await.expect("list").iter().rev().map(|e| e.at - cutoff).collect()
    };

    // Act: two events per range, so the walk takes several.
    let pruned = prune_events(&db, cutoff, 2).await.expect("prune");
    let again = prune_events(&db, cutoff, 2).await.expect("prune again");

    // Assert: the walk stopped in the range holding the first newer event,
    // so the late old one waits for the events stored before it.
    assert_eq!((pruned, again), (5, 0));
    assert_eq!(left().await, [0, 1, -100, 100]);

    // Act: once those are past retention too, the walk goes on to it.
    let later = prune_events(&db, cutoff + 50, 2).await.expect("prune later");

    // Assert
    assert_eq!(later, 3);
    assert_eq!(left().await, [100]);
}
