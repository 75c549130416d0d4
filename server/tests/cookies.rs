//! The Set-Cookie headers the server writes: names, attributes, lifetimes,
//! and how cookies are cleared.

mod common;

use common::*;

/// Asserts the attributes every auth cookie carries, and its Max-Age
/// (within a second, in case the server computes it across a clock tick).
#[track_caller]
fn assert_cookie_attributes(cookie: &SetCookie, path: &str, max_age: i64) {
    assert!(!cookie.value.is_empty(), "empty value: {}", cookie.raw);
    assert!(cookie.has("HttpOnly"), "missing HttpOnly: {}", cookie.raw);
    assert!(cookie.has("Secure"), "missing Secure: {}", cookie.raw);
    assert_eq!(
        cookie.value_of("SameSite").map(str::to_ascii_lowercase).as_deref(),
        Some("lax"),
        "SameSite is not Lax: {}",
        cookie.raw
    );
    assert_eq!(cookie.path(), Some(path), "wrong Path: {}", cookie.raw);
    assert!(!cookie.has("Domain"), "a Domain is set: {}", cookie.raw);
    let actual = cookie.max_age().unwrap_or_else(|| panic!("missing Max-Age: {}", cookie.raw));
    assert!((actual - max_age).abs() <= 1, "Max-Age is {actual}, expected {max_age}: {}", cookie.raw);
}

/// Asserts that `response` sets exactly one access and one refresh cookie,
/// and nothing else, with the contract's attributes.
#[track_caller]
fn assert_session_cookies(api: &Api, response: &Response, access_life: i64, refresh_life: i64) {
    for cookie in &response.set_cookies {
        assert!(
            cookie.name == api.access_cookie || cookie.name == api.refresh_cookie,
            "unexpected cookie: {}",
            cookie.raw
        );
    }
    let access = response.cookies_named(&api.access_cookie);
    let refresh = response.cookies_named(&api.refresh_cookie);
    assert_eq!(access.len(), 1, "one access cookie: {:?}", response.set_cookies);
    assert_eq!(refresh.len(), 1, "one refresh cookie: {:?}", response.set_cookies);
    assert_cookie_attributes(access[0], "/", access_life);
    assert_cookie_attributes(refresh[0], "/api/auth", refresh_life);
}

#[tokio::test]
async fn register_sets_both_cookies_with_the_contract_attributes() {
    // Arrange
    let app = TestApp::spawn().await;

    // Act
    let response = app.register(&mut Jar::default(), &unique_email(), PASSWORD).await;

    // Assert
    assert_status(&response, 201);
    assert_session_cookies(&app, &response, DEFAULT_ACCESS_TTL, DEFAULT_REFRESH_IDLE);
    let info = response.session_info();
    assert!((info.refresh_expires_at - info.server_time - DEFAULT_REFRESH_IDLE).abs() <= 1);
}

#[tokio::test]
async fn login_sets_both_cookies_with_the_contract_attributes() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;

    // Act
    let response = app.login(&mut Jar::default(), &user.email, PASSWORD).await;

    // Assert
    assert_status(&response, 200);
    assert_session_cookies(&app, &response, DEFAULT_ACCESS_TTL, DEFAULT_REFRESH_IDLE);
}

#[tokio::test]
async fn refresh_sets_both_cookies_with_the_contract_attributes() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let mut jar = user.jar.clone();

    // Act
    let response = app.refresh(&mut jar).await;

    // Assert
    assert_status(&response, 200);
    assert_session_cookies(&app, &response, DEFAULT_ACCESS_TTL, DEFAULT_REFRESH_IDLE);
}

#[tokio::test]
async fn cookie_lifetimes_follow_the_configured_token_lives() {
    // Arrange
    let app = TestApp::spawn_with(&[("AUTH_ACCESS_TTL_SECS", "120"), ("AUTH_REFRESH_IDLE_SECS", "3600")]).await;

    // Act
    let register = app.register(&mut Jar::default(), &unique_email(), PASSWORD).await;

    // Assert
    assert_status(&register, 201);
    assert_session_cookies(&app, &register, 120, 3600);
    let info = register.session_info();
    assert_eq!(info.expires_in, 120);
    assert_eq!(info.access_expires_at - info.server_time, 120);
    assert!((info.refresh_expires_at - info.server_time - 3600).abs() <= 1);
}

#[tokio::test]
async fn logout_clears_each_cookie_with_its_name_and_path() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;

    // Act
    let response = app.logout(&mut user.jar.clone()).await;

    // Assert
    assert_status(&response, 204);
    assert_clears_both_cookies(&app, &response);
    for cookie in &response.set_cookies {
        assert!(cookie.is_removal(), "logout sets a live cookie: {}", cookie.raw);
        assert!(!cookie.has("Domain"), "a Domain is set: {}", cookie.raw);
    }
}

#[tokio::test]
async fn a_refused_refresh_clears_each_cookie_with_its_name_and_path() {
    // Arrange
    let app = TestApp::spawn().await;
    let mut junk = app.jar_with_refresh("not-a-real-refresh-token");

    // Act
    let response = app.refresh(&mut junk).await;

    // Assert
    assert_error(&response, 401, "refresh_invalid");
    assert_clears_both_cookies(&app, &response);
}

#[tokio::test]
async fn custom_cookie_names_are_used_to_set_and_read_the_tokens() {
    // Arrange
    let app =
        TestApp::spawn_with(&[("AUTH_ACCESS_COOKIE", "app_access"), ("AUTH_REFRESH_COOKIE", "app_refresh")]).await;
    assert_eq!(app.access_cookie, "app_access");
    assert_eq!(app.refresh_cookie, "app_refresh");

    // Act
    let register = app.register(&mut Jar::default(), &unique_email(), PASSWORD).await;
    let mut jar = Jar::default();
    jar.absorb(&register);
    let me = app.me(&jar).await;
    let refresh = app.refresh(&mut jar).await;
    let access = app.access_token(&jar);
    let under_default_name = app.get("/api/me", &Jar::default().with(DEFAULT_ACCESS_COOKIE, &access)).await;
    let logout = app.logout(&mut jar).await;

    // Assert
    assert_status(&register, 201);
    assert_session_cookies(&app, &register, DEFAULT_ACCESS_TTL, DEFAULT_REFRESH_IDLE);
    assert_status(&me, 200);
    assert_status(&refresh, 200);
    assert_session_cookies(&app, &refresh, DEFAULT_ACCESS_TTL, DEFAULT_REFRESH_IDLE);
    assert_error(&under_default_name, 401, "unauthenticated");
    assert_status(&logout, 204);
    assert_clears_both_cookies(&app, &logout);
}

#[tokio::test]
async fn two_different_access_cookies_of_one_name_authenticate_nobody() {
    // A sibling subdomain can plant a cookie under our name (when the name
    // has no __Host- prefix); which of two values a reader picks must not
    // decide who the caller is.
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let (jar, _) = app.new_session(&user).await;
    let token = app.access_token(&jar);
    let name = app.access_cookie.clone();

    let same_twice = app.get_with_cookie_header("/api/me", &format!("{name}={token}; {name}={token}")).await;
    let planted_after = app.get_with_cookie_header("/api/me", &format!("{name}={token}; {name}=planted")).await;
    let planted_before = app.get_with_cookie_header("/api/me", &format!("{name}=planted; {name}={token}")).await;

    assert_status(&same_twice, 200);
    assert_error(&planted_after, 401, "unauthenticated");
    assert_error(&planted_before, 401, "unauthenticated");
}

#[tokio::test]
async fn two_different_refresh_cookies_are_refused_without_clearing_or_revoking_either_session() {
    // A sibling subdomain plants `__Secure-refresh=<attacker's token>;
    // Domain=example.com; Path=/api/auth`: the browser sends it beside the
    // victim's. Taking either value would sign the victim into the
    // attacker's account (or out of their own).
    let app = TestApp::spawn().await;
    let victim = app.new_user().await;
    let attacker = app.new_user().await;
    let name = app.refresh_cookie.clone();
    let victims = app.refresh_token(&victim.jar);
    let attackers = app.refresh_token(&attacker.jar);
    let post = |header: String| {
        let request = app.client.post(app.url("/api/auth/refresh")).header(reqwest::header::COOKIE, header);
        app.send(request)
    };

    let planted_after = post(format!("{name}={victims}; {name}={attackers}")).await;
    let planted_before = post(format!("{name}={attackers}; {name}={victims}")).await;
    let resume = app.get_with_cookie_header("/api/auth/resume", &format!("{name}={victims}; {name}={attackers}")).await;

    for refused in [&planted_after, &planted_before] {
        assert_error(refused, 401, "refresh_invalid");
        assert!(refused.set_cookies.is_empty(), "the victim's cookies are kept: {:?}", refused.set_cookies);
    }
    assert_status(&resume, 303);
    assert!(resume.set_cookies.is_empty(), "resume keeps the victim's cookies too: {:?}", resume.set_cookies);
    // Neither session was rotated or revoked: both tokens still refresh once.
    let mut victim_jar = app.jar_with_refresh(&victims);
    let mut attacker_jar = app.jar_with_refresh(&attackers);
    assert_eq!(app.refresh(&mut victim_jar).await.session_info().user.email, victim.email);
    assert_eq!(app.refresh(&mut attacker_jar).await.session_info().user.email, attacker.email);
}
