//! The server-rendered pages and the resume hop (docs/API.md, "Pages and
//! the resume hop"): the first HTML already knows the session, protected
//! pages send signed-out visitors through `/api/auth/resume`, which renews
//! the session from the refresh cookie or lands on sign-in saying why.

mod common;

use common::*;

#[tokio::test]
async fn the_dashboard_renders_signed_in_on_the_server() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let (jar, _) = app.new_session(&user).await;

    let page = app.get("/", &jar).await;

    assert_status(&page, 200);
    assert!(page.body.contains(&user.email), "the first HTML shows who is signed in");
    for text in ["Your account", "Your sessions", "Change password", "cookie-auth-bootstrap"] {
        assert!(page.body.contains(text), "the dashboard shows {text:?}");
    }
    assert!(!page.body.contains(&app.access_token(&jar)), "no token in the page");
}

#[tokio::test]
async fn the_admin_page_renders_for_admins_and_is_a_403_page_for_others() {
    let (app, admin) = TestApp::spawn_with_admin(&[]).await;
    let user = app.new_user().await;
    let (jar, _) = app.new_session(&user).await;

    let as_admin = app.get("/admin", &admin.jar).await;
    let as_user = app.get("/admin", &jar).await;

    assert_status(&as_admin, 200);
    assert!(as_admin.body.contains("Users") && as_admin.body.contains("Recent auth events"));
    assert_status(&as_user, 403);
    assert!(as_user.body.contains("Access denied"));
}

#[tokio::test]
async fn sign_in_and_register_render_for_anyone_and_unknown_pages_are_404() {
    let app = TestApp::spawn().await;

    let login = app.get("/login", &Jar::default()).await;
    let register = app.get("/register", &Jar::default()).await;
    let missing = app.get("/no/such/page", &Jar::default()).await;

    assert_status(&login, 200);
    assert!(login.body.contains("login-form"));
    assert_status(&register, 200);
    assert!(register.body.contains("Create an account"));
    assert_status(&missing, 404);
    assert!(missing.body.contains("Page not found"));
}

#[tokio::test]
async fn the_sign_in_page_says_why_the_last_session_ended() {
    let app = TestApp::spawn().await;
    let cases = [
        ("reused", "an old sign-in token of this session was used again"),
        ("expired", "Your session expired"),
        ("revoked", "Your session was ended"),
        ("signed_out", "You are signed out"),
    ];
    for (reason, text) in cases {
        let page = app.get(&format!("/login?reason={reason}"), &Jar::default()).await;

        assert_status(&page, 200);
        assert!(page.body.contains(text), "reason {reason} shows {text:?}");
    }
}

#[tokio::test]
async fn a_protected_page_without_an_access_token_goes_through_the_resume_hop() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let (jar, _) = app.new_session(&user).await;
    // Only the refresh cookie: the access cookie has expired in the browser.
    let refresh_only = app.jar_with_refresh(&app.refresh_token(&jar));

    let page = app.get("/admin", &refresh_only).await;
    let resumed = app.get("/api/auth/resume?next=%2Fadmin", &refresh_only).await;

    assert_status(&page, 303);
    assert_eq!(page.header("location"), Some("/api/auth/resume?next=/admin"));
    assert_status(&resumed, 303);
    assert_eq!(resumed.header("location"), Some("/admin"));
    let mut renewed = refresh_only.clone();
    renewed.absorb(&resumed);
    assert_status(&app.me(&renewed).await, 200);
}

#[tokio::test]
async fn the_resume_hop_follows_only_local_paths() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    for next in ["https%3A%2F%2Fevil.example", "%2F%2Fevil.example", "%2F%5Cevil.example"] {
        let (jar, _) = app.new_session(&user).await;

        let resumed = app.get(&format!("/api/auth/resume?next={next}"), &jar).await;

        assert_status(&resumed, 303);
        assert_eq!(resumed.header("location"), Some("/"), "next={next}");
    }
}

#[tokio::test]
async fn the_resume_hop_without_a_live_session_lands_on_sign_in_with_the_reason_if_there_was_one() {
    let app = TestApp::spawn_with(&[("AUTH_REUSE_GRACE_SECS", "0")]).await;
    let user = app.new_user().await;

    let signed_out = app.get("/api/auth/resume?next=%2Fadmin", &Jar::default()).await;
    let (mut jar, _) = app.new_session(&user).await;
    let stolen = jar.clone();
    assert_status(&app.refresh(&mut jar).await, 200);
    let reused = app.get("/api/auth/resume?next=%2F", &stolen).await;
    let (revoked_jar, info) = app.new_session(&user).await;
    let mut other = app.new_session(&user).await.0;
    assert_status(&app.revoke_session(&mut other, &info.session_id).await, 204);
    let revoked = app.get("/api/auth/resume", &revoked_jar).await;

    assert_status(&signed_out, 303);
    // No cookie at all: a first visit (or cookies long gone), nothing to explain.
    assert_eq!(signed_out.header("location"), Some("/login?next=/admin"));
    assert_clears_both_cookies(&app, &signed_out);
    assert_status(&reused, 303);
    assert_eq!(reused.header("location"), Some("/login?reason=reused"));
    assert_clears_both_cookies(&app, &reused);
    assert_status(&revoked, 303);
    assert_eq!(revoked.header("location"), Some("/login?reason=revoked"));
    assert_clears_both_cookies(&app, &revoked);
}

#[tokio::test]
async fn a_resume_hop_started_by_another_site_rotates_nothing_and_bounces_through_a_same_origin_page() {
    // Arrange: only the refresh cookie, as after the access token expired.
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let token = app.refresh_token(&user.jar);
    let jar = app.jar_with_refresh(&token);

    for site in ["cross-site", "same-site"] {
        // Act: a link on another site (or a sibling subdomain) to a page.
        let request = app.request(reqwest::Method::GET, "/api/auth/resume?next=%2Fadmin", &jar);
        let bounced = app.send(request.header("sec-fetch-site", site)).await;

        // Assert: a page that asks again (now same-origin), no new cookies.
        assert_status(&bounced, 200);
        assert!(bounced.set_cookies.is_empty(), "{site}: nothing rotated: {:?}", bounced.set_cookies);
        assert!(
            bounced.body.contains(r#"http-equiv="refresh" content="0;url=/api/auth/resume?next=/admin""#),
            "{site}: the page reloads the hop: {}",
            bounced.body
        );
        assert_no_store(&bounced);
    }
    // The same hop from our own page rotates, and the token was untouched:
    // it is still the live one, not a reused parent.
    let request = app.request(reqwest::Method::GET, "/api/auth/resume?next=%2Fadmin", &jar);
    let same_origin = app.send(request.header("sec-fetch-site", "same-origin")).await;
    assert_status(&same_origin, 303);
    assert_eq!(same_origin.header("location"), Some("/admin"));
    assert_ne!(same_origin.cookie_value(&app.refresh_cookie), token);
}

#[tokio::test]
async fn the_resume_hop_counts_against_the_refresh_limit_of_the_address() {
    // Arrange: limits on (30 failed refreshes a minute per address).
    let app = TestApp::spawn_with(&[("AUTH_RATE_LIMITS", "on")]).await;
    let junk = app.jar_with_refresh("junk");

    // Act: failed resumes use up the address's refresh quota…
    for _ in 0..30 {
        assert_status(&app.get("/api/auth/resume", &junk).await, 303);
    }
    let resume = app.get("/api/auth/resume", &junk).await;
    let refresh = app.post_empty("/api/auth/refresh", &junk).await;

    // Assert: …and both ways in are refused once it is gone.
    assert_rate_limited(&resume);
    assert!(resume.set_cookies.is_empty(), "a rate limit is no sign-out");
    assert_rate_limited(&refresh);
}

#[tokio::test]
async fn pages_are_never_stored_and_vary_by_cookie() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let (jar, _) = app.new_session(&user).await;

    for (path, jar) in [("/", &jar), ("/login", &jar), ("/register", &Jar::default())] {
        let page = app.get(path, jar).await;

        assert_no_store(&page);
        let vary = page.headers.get_all("vary").iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(",");
        assert!(vary.to_ascii_lowercase().contains("cookie"), "{path}: Vary is {vary:?}");
    }
}
