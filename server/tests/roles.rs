//! Changing a user's roles (`PUT /api/admin/users/{id}/roles`): admin only,
//! validated, guarded against an admin locking themself out, and effective
//! at once: the user's access tokens from before the change are refused
//! within a second (on every instance), and a refresh issues one with the new
//! roles.

mod common;

use app::types::{AdminUserView, UserView};
use common::*;
use reqwest::Method;
use serde_json::json;

/// `PUT /api/admin/users/{user_id}/roles` with `{"roles": roles}`.
async fn put_roles(api: &Api, jar: &Jar, user_id: &str, roles: &[&str]) -> Response {
    let path = format!("/api/admin/users/{user_id}/roles");
    api.send(api.request(Method::PUT, &path, jar).json(&json!({ "roles": roles }))).await
}

/// The user's roles as `GET /api/admin/users` lists them, sorted.
async fn listed_roles(api: &Api, admin_jar: &Jar, user_id: &str) -> Vec<String> {
    let response = api.get("/api/admin/users", admin_jar).await;
    assert_status(&response, 200);
    let users: Vec<AdminUserView> = response.json();
    let user = users.iter().find(|view| view.id == user_id).unwrap_or_else(|| panic!("user {user_id} is listed"));
    sorted(&user.roles)
}

fn sorted(roles: &[String]) -> Vec<String> {
    let mut roles = roles.to_vec();
    roles.sort();
    roles
}

fn has_admin(roles: &[String]) -> bool {
    roles.iter().any(|role| role == "admin")
}

fn strings(roles: &[&str]) -> Vec<String> {
    sorted(&roles.iter().map(|role| (*role).to_owned()).collect::<Vec<_>>())
}

#[tokio::test]
async fn granting_admin_refuses_the_old_access_token_and_a_refresh_carries_the_new_role() {
    // Arrange: the user's current token was just accepted.
    let (app, admin) = TestApp::spawn_with_admin(&[]).await;
    let user = app.new_user().await;
    assert_status(&app.me(&user.jar).await, 200);
    assert_error(&app.get("/api/admin/users", &user.jar).await, 403, "forbidden");

    // Act
    let response = put_roles(&app, &admin.jar, &user.info.user.id, &["user", "admin"]).await;

    // Assert: the answer is the changed user.
    assert_status(&response, 200);
    let view: AdminUserView = response.json();
    assert_eq!(view.id, user.info.user.id);
    assert_eq!(view.email, user.email);
    assert_eq!(sorted(&view.roles), strings(&["admin", "user"]));
    assert!(view.created_at > 0);
    assert_eq!(listed_roles(&app, &admin.jar, &user.info.user.id).await, strings(&["admin", "user"]));

    // Assert: the token from before the change stops working.
    let old = app.wait_until_unauthenticated("/api/me", &user.jar).await;
    assert_error(&old, 401, "unauthenticated");

    // Assert: a refresh issues a token with the new roles.
    let mut jar = user.jar.clone();
    let refresh = app.refresh(&mut jar).await;
    assert_status(&refresh, 200);
    let info = refresh.session_info();
    assert_eq!(info.session_id, user.info.session_id, "the session survives a role change");
    assert!(has_admin(&info.user.roles), "{:?}", info.user);
    let me = app.me(&jar).await;
    assert_status(&me, 200);
    let me: UserView = me.json();
    assert!(has_admin(&me.roles), "{me:?}");
    assert_status(&app.get("/api/admin/users", &jar).await, 200);
}

#[tokio::test]
async fn a_demoted_admin_loses_the_admin_api_within_a_second_and_is_forbidden_after_a_refresh() {
    // Arrange: a second admin, whose admin token was just accepted.
    let (app, admin) = TestApp::spawn_with_admin(&[]).await;
    let second = app.new_user().await;
    assert_status(&put_roles(&app, &admin.jar, &second.info.user.id, &["user", "admin"]).await, 200);
    assert_error(&app.wait_until_unauthenticated("/api/me", &second.jar).await, 401, "unauthenticated");
    let mut second_jar = second.jar.clone();
    assert_status(&app.refresh(&mut second_jar).await, 200);
    assert_status(&app.get("/api/admin/users", &second_jar).await, 200);

    // Act
    let response = put_roles(&app, &admin.jar, &second.info.user.id, &["user"]).await;

    // Assert
    assert_status(&response, 200);
    assert_eq!(sorted(&response.json::<AdminUserView>().roles), strings(&["user"]));
    let old = app.wait_until_unauthenticated("/api/admin/users", &second_jar).await;
    assert_error(&old, 401, "unauthenticated");
    let refresh = app.refresh(&mut second_jar).await;
    assert_status(&refresh, 200);
    assert_eq!(sorted(&refresh.session_info().user.roles), strings(&["user"]));
    assert_error(&app.get("/api/admin/users", &second_jar).await, 403, "forbidden");
    let me: UserView = app.me(&second_jar).await.json();
    assert!(!has_admin(&me.roles), "{me:?}");
}

#[tokio::test]
async fn a_role_change_on_one_instance_refuses_the_old_token_on_the_other_within_a_second() {
    // Arrange: B has just accepted the user's token.
    let (a, admin) = TestApp::spawn_with_admin(&[]).await;
    let b = a.spawn_sibling().await;
    let user = a.new_user().await;
    assert_status(&b.me(&user.jar).await, 200);

    // Act: promote through A.
    let response = put_roles(&a, &admin.jar, &user.info.user.id, &["user", "admin"]).await;

    // Assert: B refuses the old token in time (the polling helper gives up
    // after `REVOCATION_WAIT`), and a refresh on B carries the new role.
    assert_status(&response, 200);
    let old = b.wait_until_unauthenticated("/api/me", &user.jar).await;
    assert_error(&old, 401, "unauthenticated");
    let mut jar = user.jar.clone();
    let refresh = b.refresh(&mut jar).await;
    assert_status(&refresh, 200);
    assert!(has_admin(&refresh.session_info().user.roles));
    assert_status(&b.get("/api/admin/users", &jar).await, 200);
    assert_status(&a.get("/api/admin/users", &jar).await, 200);
}

#[tokio::test]
async fn a_normal_user_may_not_change_roles() {
    // Arrange
    let (app, admin) = TestApp::spawn_with_admin(&[]).await;
    let user = app.new_user().await;
    let other = app.new_user().await;

    for target in [&user.info.user.id, &other.info.user.id] {
        // Act
        let response = put_roles(&app, &user.jar, target, &["user", "admin"]).await;

        // Assert
        assert_error(&response, 403, "forbidden");
    }
    assert_eq!(listed_roles(&app, &admin.jar, &user.info.user.id).await, strings(&["user"]));
    assert_eq!(listed_roles(&app, &admin.jar, &other.info.user.id).await, strings(&["user"]));
    assert_status(&app.me(&user.jar).await, 200);
}

#[tokio::test]
async fn changing_roles_needs_an_access_cookie() {
    // Arrange
    let (app, admin) = TestApp::spawn_with_admin(&[]).await;
    let user = app.new_user().await;

    // Act
    let response = put_roles(&app, &Jar::default(), &user.info.user.id, &["user", "admin"]).await;

    // Assert
    assert_error(&response, 401, "unauthenticated");
    assert_eq!(listed_roles(&app, &admin.jar, &user.info.user.id).await, strings(&["user"]));
}

#[tokio::test]
async fn changing_the_roles_of_an_unknown_user_is_not_found() {
    // Arrange
    let (app, admin) = TestApp::spawn_with_admin(&[]).await;
    let unknown = uuid::Uuid::new_v4().to_string();

    // Act
    let response = put_roles(&app, &admin.jar, &unknown, &["user"]).await;

    // Assert
    assert_error(&response, 404, "not_found");
}

#[tokio::test]
async fn changing_the_roles_of_a_malformed_user_id_is_not_found() {
    // Arrange
    let (app, admin) = TestApp::spawn_with_admin(&[]).await;

    for id in ["not-a-uuid", "12345", "00000000-0000-0000-0000-00000000000g"] {
        // Act
        let response = put_roles(&app, &admin.jar, id, &["user"]).await;

        // Assert
        assert_eq!(response.status.as_u16(), 404, "id {id}: {}", response.body);
        assert_error(&response, 404, "not_found");
    }
}

#[tokio::test]
async fn bad_role_lists_are_invalid_input_and_change_nothing() {
    // Arrange
    let (app, admin) = TestApp::spawn_with_admin(&[]).await;
    let user = app.new_user().await;
    let too_long = "a".repeat(33);
    let seventeen: Vec<String> = (0..17).map(|i| format!("role{i}")).collect();
    let seventeen: Vec<&str> = seventeen.iter().map(String::as_str).collect();
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("an upper-case name", vec!["user", "Admin"]),
        ("an empty name", vec!["user", ""]),
        ("a name with a space", vec!["user", "a b"]),
        ("a 33-character name", vec!["user", too_long.as_str()]),
        ("a name starting with a digit", vec!["user", "1admin"]),
        ("a name starting with a dash", vec!["user", "-admin"]),
        ("a non-ASCII name", vec!["user", "adm\u{ed}n"]),
        ("17 roles", seventeen),
        ("no roles", vec![]),
    ];

    for (what, roles) in cases {
        // Act
        let response = put_roles(&app, &admin.jar, &user.info.user.id, &roles).await;

        // Assert
        assert_eq!(response.status.as_u16(), 422, "{what}: {}", response.body);
        assert_error(&response, 422, "invalid_input");
    }
    assert_eq!(listed_roles(&app, &admin.jar, &user.info.user.id).await, strings(&["user"]));
}

#[tokio::test]
async fn a_roles_body_that_is_not_a_list_of_strings_is_refused() {
    // Arrange
    let (app, admin) = TestApp::spawn_with_admin(&[]).await;
    let user = app.new_user().await;
    let path = format!("/api/admin/users/{}/roles", user.info.user.id);

    for body in [json!({ "roles": "admin" }), json!({ "roles": [1, 2] }), json!({}), json!(["admin"])] {
        // Act
        let response = app.send(app.request(Method::PUT, &path, &admin.jar).json(&body)).await;

        // Assert: a contract 4xx (400 or 422), never a change.
        assert_client_error(&response);
        let status = response.status.as_u16();
        assert!(status == 400 || status == 422, "body {body}: {status} {}", response.body);
    }
    assert_eq!(listed_roles(&app, &admin.jar, &user.info.user.id).await, strings(&["user"]));
}

#[tokio::test]
async fn sixteen_roles_and_32_character_names_are_accepted_and_duplicates_collapse() {
    // Arrange
    let (app, admin) = TestApp::spawn_with_admin(&[]).await;
    let user = app.new_user().await;
    let longest = format!("a{}", "b_-9".repeat(8))[..32].to_owned();
    let mut sixteen: Vec<String> = (0..14).map(|i| format!("role{i}")).collect();
    sixteen.push("user".to_owned());
    sixteen.push(longest.clone());
    let sixteen_refs: Vec<&str> = sixteen.iter().map(String::as_str).collect();

    // Act
    let many = put_roles(&app, &admin.jar, &user.info.user.id, &sixteen_refs).await;
    let duplicated = put_roles(&app, &admin.jar, &user.info.user.id, &["user", "admin", "user", "admin"]).await;

    // Assert
    assert_status(&many, 200);
    assert_eq!(sorted(&many.json::<AdminUserView>().roles), sorted(&sixteen));
    assert_status(&duplicated, 200);
    assert_eq!(sorted(&duplicated.json::<AdminUserView>().roles), strings(&["admin", "user"]));
    assert_eq!(listed_roles(&app, &admin.jar, &user.info.user.id).await, strings(&["admin", "user"]));
}

#[tokio::test]
async fn an_admin_may_not_remove_their_own_admin_role() {
    // Arrange
    let (app, admin) = TestApp::spawn_with_admin(&[]).await;

    // Act
    let response = put_roles(&app, &admin.jar, &admin.info.user.id, &["user"]).await;

    // Assert: refused, and the admin's token keeps working past the time a
    // role change would have taken to reach it.
    assert_error(&response, 422, "invalid_input");
    tokio::time::sleep(REVOCATION_WAIT).await;
    assert_status(&app.get("/api/admin/users", &admin.jar).await, 200);
    assert!(has_admin(&listed_roles(&app, &admin.jar, &admin.info.user.id).await));
    let mut jar = admin.jar.clone();
    let refresh = app.refresh(&mut jar).await;
    assert_status(&refresh, 200);
    assert!(has_admin(&refresh.session_info().user.roles));
    assert_status(&app.get("/api/admin/users", &jar).await, 200);
}

#[tokio::test]
async fn two_admins_demoting_each_other_at_once_never_leave_zero_admins() {
    for round in 0..5 {
        // Arrange: exactly two admins, `a` and `b` (the seeded one is
        // demoted by `a`), each with a fresh admin token.
        let (app, root) = TestApp::spawn_with_admin(&[]).await;
        let a = app.new_user().await;
        let b = app.new_user().await;
        for user in [&a, &b] {
            assert_status(&put_roles(&app, &root.jar, &user.info.user.id, &["user", "admin"]).await, 200);
        }
        let (a_jar, _) = app.new_session(&a).await;
        let (b_jar, _) = app.new_session(&b).await;
        assert_status(&put_roles(&app, &a_jar, &root.info.user.id, &["user"]).await, 200);

        // Act: each demotes the other at the same moment.
        let (a_demotes_b, b_demotes_a) = tokio::join!(
            put_roles(&app, &a_jar, &b.info.user.id, &["user"]),
            put_roles(&app, &b_jar, &a.info.user.id, &["user"]),
        );

        // Assert: one won, the other was refused (as the last admin, or
        // because its own admin token was already revoked), one admin is left.
        let won: Vec<_> = [&a_demotes_b, &b_demotes_a].into_iter().filter(|r| r.status == 200).collect();
        assert_eq!(won.len(), 1, "round {round}: {} / {}", a_demotes_b.body, b_demotes_a.body);
        for response in [&a_demotes_b, &b_demotes_a].into_iter().filter(|r| r.status != 200) {
            assert!(
                matches!(response.status.as_u16(), 401 | 422),
                "round {round}: {} {}",
                response.status,
                response.body
            );
        }
        let survivor = if a_demotes_b.status == 200 { &a_jar } else { &b_jar };
        let users: Vec<AdminUserView> = app.get("/api/admin/users", survivor).await.json();
        assert_eq!(users.iter().filter(|u| has_admin(&u.roles)).count(), 1, "round {round}: one admin is left");
    }
}
