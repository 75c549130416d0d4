//! Listing and revoking sessions, and the admin users endpoint.

mod common;

use app::types::{AdminUserView, SessionInfo, SessionView};
use common::*;
use reqwest::Method;
use reqwest::header::USER_AGENT;
use serde_json::json;

/// Registers or logs in (by `path`), sending `agent` as the User-Agent.
async fn sign_in_with_agent(app: &TestApp, path: &str, email: &str, agent: &str) -> (Jar, SessionInfo) {
    let body = json!({ "email": email, "password": PASSWORD });
    let request = app.request(Method::POST, path, &Jar::default()).header(USER_AGENT, agent).json(&body);
    let response = app.send(request).await;
    assert!(response.status.is_success(), "{path}: {}", response.body);
    let mut jar = Jar::default();
    jar.absorb(&response);
    (jar, response.session_info())
}

fn session_ids(response: &Response) -> Vec<String> {
    response.json::<Vec<SessionView>>().into_iter().map(|session| session.id).collect()
}

#[tokio::test]
async fn the_session_list_shows_each_session_once_with_the_current_one_marked() {
    // Arrange
    let app = TestApp::spawn().await;
    let email = unique_email();
    let (jar, first) = sign_in_with_agent(&app, "/api/auth/register", &email, "AgentOne/1.0 (tests)").await;
    let (_, second) = sign_in_with_agent(&app, "/api/auth/login", &email, "AgentTwo/2.0 (tests)").await;

    // Act
    let response = app.sessions(&jar).await;

    // Assert
    assert_status(&response, 200);
    assert_no_store(&response);
    let sessions: Vec<SessionView> = response.json();
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    let current: Vec<&SessionView> = sessions.iter().filter(|session| session.current).collect();
    assert_eq!(current.len(), 1, "exactly one current session: {sessions:?}");
    assert_eq!(current[0].id, first.session_id);
    let one = sessions.iter().find(|session| session.id == first.session_id).expect("the first session is listed");
    let two = sessions.iter().find(|session| session.id == second.session_id).expect("the second session is listed");
    assert_eq!(one.user_agent.as_deref(), Some("AgentOne/1.0 (tests)"));
    assert_eq!(two.user_agent.as_deref(), Some("AgentTwo/2.0 (tests)"));
    assert!(!two.current);
    for session in &sessions {
        assert!(session.created_at > 0 && session.created_at <= session.last_used_at);
        assert!((session.last_used_at - now()).abs() <= 60);
    }
}

#[tokio::test]
async fn the_session_list_needs_an_access_cookie() {
    // Arrange
    let app = TestApp::spawn().await;

    // Act
    let response = app.sessions(&Jar::default()).await;

    // Assert
    assert_error(&response, 401, "unauthenticated");
}

#[tokio::test]
async fn revoking_another_session_ends_its_refresh_and_access_tokens() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let (other_jar, other) = app.new_session(&user).await;
    let mut jar = user.jar.clone();

    // Act
    let response = app.revoke_session(&mut jar, &other.session_id).await;

    // Assert
    assert_status(&response, 204);
    assert!(
        response.cookie(&app.access_cookie).is_none(),
        "revoking another session leaves the caller's cookies alone"
    );
    let refresh = app.refresh(&mut other_jar.clone()).await;
    assert_status(&refresh, 401);
    let me = app.wait_until_unauthenticated("/api/me", &other_jar).await;
    assert_error(&me, 401, "unauthenticated");
    assert_status(&app.me(&jar).await, 200);
    let listing = app.sessions(&jar).await;
    assert_status(&listing, 200);
    assert_eq!(session_ids(&listing), vec![user.info.session_id.clone()]);
}

#[tokio::test]
async fn revoking_a_session_of_another_user_is_not_found_and_changes_nothing() {
    // Arrange
    let app = TestApp::spawn().await;
    let attacker = app.new_user().await;
    let victim = app.new_user().await;
    let mut attacker_jar = attacker.jar.clone();

    // Act
    let response = app.revoke_session(&mut attacker_jar, &victim.info.session_id).await;

    // Assert
    assert_error(&response, 404, "not_found");
    let mut victim_jar = victim.jar.clone();
    assert_status(&app.me(&victim_jar).await, 200);
    assert_status(&app.refresh(&mut victim_jar).await, 200);
    let listing = app.sessions(&victim_jar).await;
    assert_eq!(session_ids(&listing), vec![victim.info.session_id.clone()]);
}

#[tokio::test]
async fn revoking_an_unknown_session_is_not_found() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let unknown = uuid::Uuid::new_v4().to_string();

    // Act
    let response = app.revoke_session(&mut user.jar.clone(), &unknown).await;

    // Assert
    assert_error(&response, 404, "not_found");
    assert_status(&app.me(&user.jar).await, 200);
}

#[tokio::test]
async fn revoking_a_session_needs_an_access_cookie() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;

    // Act
    let response = app.revoke_session(&mut Jar::default(), &user.info.session_id).await;

    // Assert
    assert_error(&response, 401, "unauthenticated");
    assert_status(&app.me(&user.jar).await, 200);
}

#[tokio::test]
async fn revoking_the_current_session_clears_its_cookies_like_logout() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let old = user.jar.clone();
    let mut jar = user.jar.clone();

    // Act
    let response = app.revoke_session(&mut jar, &user.info.session_id).await;

    // Assert
    assert_status(&response, 204);
    assert_clears_both_cookies(&app, &response);
    assert!(jar.is_empty());
    assert_status(&app.refresh(&mut old.clone()).await, 401);
    let me = app.wait_until_unauthenticated("/api/me", &old).await;
    assert_error(&me, 401, "unauthenticated");
}

#[tokio::test]
async fn admin_users_is_forbidden_for_a_normal_user() {
    // Arrange
    let (app, _admin) = TestApp::spawn_with_admin(&[]).await;
    let user = app.new_user().await;

    // Act
    let response = app.get("/api/admin/users", &user.jar).await;

    // Assert
    assert_error(&response, 403, "forbidden");
}

#[tokio::test]
async fn admin_users_needs_an_access_cookie() {
    // Arrange
    let (app, _admin) = TestApp::spawn_with_admin(&[]).await;

    // Act
    let response = app.get("/api/admin/users", &Jar::default()).await;

    // Assert
    assert_error(&response, 401, "unauthenticated");
}

#[tokio::test]
async fn admin_users_lists_every_user_for_the_seeded_admin() {
    // Arrange
    let (app, admin) = TestApp::spawn_with_admin(&[]).await;
    let user = app.new_user().await;

    // Act
    let response = app.get("/api/admin/users", &admin.jar).await;

    // Assert
    assert_status(&response, 200);
    let users: Vec<AdminUserView> = response.json();
    let listed_admin = users.iter().find(|view| view.id == admin.info.user.id).expect("the admin is listed");
    assert_eq!(listed_admin.email, ADMIN_EMAIL);
    assert!(listed_admin.roles.iter().any(|role| role == "admin"));
    let listed_user = users.iter().find(|view| view.id == user.info.user.id).expect("the user is listed");
    assert_eq!(listed_user.email, user.email);
    assert_eq!(listed_user.roles, vec!["user".to_owned()]);
    assert!(listed_user.created_at > 0);
    assert!(
        !response.body.contains("argon2") && !response.body.contains("password"),
        "no password material in the listing"
    );
}

#[tokio::test]
async fn signing_in_beyond_the_cap_ends_the_least_recently_used_session() {
    // Arrange: a cap of 3; sessions used a second apart (last_used_at is
    // kept in whole seconds), the oldest use first.
    let app = TestApp::spawn_with(&[("AUTH_MAX_SESSIONS_PER_USER", "3")]).await;
    let user = app.new_user().await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (second, _) = app.new_session(&user).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (third, _) = app.new_session(&user).await;

    // Act: a fourth sign-in.
    let (fourth, fourth_info) = app.new_session(&user).await;

    // Assert: the first session (least recently used) ended, the rest live.
    let listed = session_ids(&app.sessions(&fourth).await);
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert!(!listed.contains(&user.info.session_id), "the least recently used session was ended");
    assert!(listed.contains(&fourth_info.session_id));
    let mut first = user.jar.clone();
    assert_error(&app.refresh(&mut first).await, 401, "refresh_invalid");
    assert_error(&app.wait_until_unauthenticated("/api/me", &user.jar).await, 401, "unauthenticated");
    for mut jar in [second, third] {
        assert_status(&app.refresh(&mut jar).await, 200);
    }
}

#[tokio::test]
async fn many_sign_ins_leave_at_most_the_cap_of_live_sessions_each_eviction_audited() {
    // Arrange
    let (app, admin) = TestApp::spawn_with_admin(&[("AUTH_MAX_SESSIONS_PER_USER", "4")]).await;
    let user = app.new_user().await;

    // Act
    let mut last = None;
    for _ in 0..9 {
        last = Some(app.new_session(&user).await.0);
    }

    // Assert: 10 sign-ins, 4 live, 6 evictions in the audit log.
    let last = last.expect("a session");
    assert_eq!(session_ids(&app.sessions(&last).await).len(), 4);
    let events =
        app.get(&format!("/api/admin/events?kind=session_evicted&user_id={}", user.info.user.id), &admin.jar).await;
    assert_status(&events, 200);
    assert_eq!(events.json::<Vec<serde_json::Value>>().len(), 6);
}

#[tokio::test]
async fn the_session_list_pages_with_limit_and_before() {
    // Arrange: five sessions.
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    for _ in 0..4 {
        app.new_session(&user).await;
    }
    let all = session_ids(&app.sessions(&user.jar).await);
    assert_eq!(all.len(), 5);

    // Act: walk it two at a time.
    let mut walked = Vec::new();
    let mut query = "?limit=2".to_owned();
    loop {
        let page = session_ids(&app.get(&format!("/api/auth/sessions{query}"), &user.jar).await);
        assert!(page.len() <= 2);
        walked.extend(page.iter().cloned());
        match page.last() {
            Some(last) if page.len() == 2 => query = format!("?limit=2&before={last}"),
            _ => break,
        }
    }

    // Assert: the same sessions in the same order, each once.
    assert_eq!(walked, all);
    for bad in ["?limit=0", "?limit=101", "?limit=x", "?before=not-an-id"] {
        assert_error(&app.get(&format!("/api/auth/sessions{bad}"), &user.jar).await, 422, "invalid_input");
    }
}

#[tokio::test]
async fn the_admin_user_list_pages_with_limit_and_after() {
    // Arrange: the admin and four users.
    let (app, admin) = TestApp::spawn_with_admin(&[]).await;
    for _ in 0..4 {
        app.new_user().await;
    }
    let ids = |response: &Response| response.json::<Vec<AdminUserView>>().into_iter().map(|u| u.id).collect::<Vec<_>>();
    let all = ids(&app.get("/api/admin/users", &admin.jar).await);
    assert_eq!(all.len(), 5);

    // Act
    let first = ids(&app.get("/api/admin/users?limit=3", &admin.jar).await);
    let rest = ids(&app.get(&format!("/api/admin/users?limit=3&after={}", first[2]), &admin.jar).await);

    // Assert
    assert_eq!([first, rest].concat(), all);
    for bad in ["?limit=0", "?limit=501", "?after=x"] {
        assert_error(&app.get(&format!("/api/admin/users{bad}"), &admin.jar).await, 422, "invalid_input");
    }
}

/// Sets a session's idle limit in the database, as if time had passed.
async fn set_idle_expiry(db: &server::db::Db, session_id: &str, at: i64) {
    let sql = "UPDATE sessions SET idle_expires_at = $1 WHERE id = $2";
    let updated = match db {
        server::db::Db::Sqlite { write, .. } => {
            sqlx::query(sql).bind(at).bind(session_id).execute(write).await.map(|done| done.rows_affected())
        }
        server::db::Db::Postgres { pool, .. } => {
            sqlx::query(sql).bind(at).bind(session_id).execute(pool).await.map(|done| done.rows_affected())
        }
    };
    assert_eq!(updated.expect("set the idle limit"), 1);
}

#[tokio::test]
async fn pruning_deletes_sessions_a_day_past_their_idle_limit_range_by_range_and_keeps_the_rest() {
    // Arrange: six sessions of one user; three expired more than a day ago,
    // one an hour ago (kept: a late refresh still hears "expired"), two live.
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let mut sessions = vec![(user.jar.clone(), user.info.clone())];
    for _ in 0..5 {
        sessions.push(app.new_session(&user).await);
    }
    let db = server::db::Db::connect(app.database_url()).await.expect("open the database");
    let now = now();
    for (index, (_, info)) in sessions.iter().enumerate() {
        match index {
            0 | 2 | 4 => set_idle_expiry(&db, &info.session_id, now - 2 * 86_400).await,
            1 => set_idle_expiry(&db, &info.session_id, now - 3_600).await,
            _ => {}
        }
    }

    // Act: two sessions per range, so the walk takes several.
    let pruned = server::store::sessions::prune_sessions(&db, now - 86_400, 2).await.expect("prune");
    let again = server::store::sessions::prune_sessions(&db, now - 86_400, 2).await.expect("prune again");

    // Assert
    assert_eq!((pruned, again), (3, 0));
    for (index, (jar, _)) in sessions.iter().enumerate() {
        let response = app.refresh(&mut jar.clone()).await;
        match index {
            0 | 2 | 4 => assert_error(&response, 401, "refresh_invalid"),
            1 => assert_error(&response, 401, "refresh_expired"),
            _ => assert_status(&response, 200),
        }
    }
}
