//! Prometheus metrics: not served by default; with `AUTH_METRICS=on`,
//! `GET /metrics` on the main listener answers the text exposition format,
//! and sign-ins, refreshes and reuse kills move their counters by exactly
//! one each, `auth_active_sessions` counts the live sessions,
//! `auth_audit_events_dropped_total` is exposed, and request latency is
//! labelled by route pattern (never by raw path; paths no route matches
//! share `route="unmatched"`). A malformed `AUTH_METRICS` is a configuration
//! error.
//!
//! Counter checks are before/after deltas taken within one test, so they
//! hold whether or not the servers of this binary share a registry.

mod common;

use std::collections::HashMap;

use common::*;
use reqwest::header::CONTENT_TYPE;
use server::config::Config;

/// One scrape of `GET /metrics`.
struct Scrape {
    text: String,
}

/// One sample line: `name{labels} value [timestamp]`.
struct Sample<'a> {
    name: &'a str,
    labels: &'a str,
    value: f64,
}

impl Scrape {
    fn samples(&self) -> impl Iterator<Item = Sample<'_>> {
        self.text.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with('#')).filter_map(|line| {
            // Label values may hold braces (`/api/auth/sessions/{id}`): the
            // label set ends at the last `}`.
            let (name, labels, rest) = match (line.find('{'), line.rfind('}')) {
                (Some(open), Some(close)) if open < close => {
                    (&line[..open], &line[open + 1..close], &line[close + 1..])
                }
                _ => {
                    let (name, rest) = line.split_once(char::is_whitespace)?;
                    (name, "", rest)
                }
            };
            let value = rest.split_whitespace().next()?.parse().ok()?;
            Some(Sample { name, labels, value })
        })
    }

    /// The samples of series `name` whose labels include every pair.
    fn matching<'a>(&'a self, name: &'a str, labels: &'a [(&'a str, &'a str)]) -> impl Iterator<Item = Sample<'a>> {
        self.samples()
            .filter(move |sample| sample.name == name && labels.iter().all(|pair| has_label(sample.labels, *pair)))
    }

    /// The sum of the matching samples; 0 when there is none (a labelled
    /// counter appears only once it has counted).
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.matching(name, labels).map(|sample| sample.value).sum()
    }

    fn has(&self, name: &str, labels: &[(&str, &str)]) -> bool {
        self.matching(name, labels).next().is_some()
    }
}

/// True when the label set `labels` (`a="x",b="y"`) holds `key="value"`.
fn has_label(labels: &str, (key, value): (&str, &str)) -> bool {
    let pair = format!("{key}=\"{value}\"");
    labels.starts_with(&pair) || labels.contains(&format!(",{pair}"))
}

/// `GET /metrics`; asserts a 200 in a Prometheus text format.
async fn scrape(api: &Api) -> Scrape {
    let response = api.get("/metrics", &Jar::default()).await;
    assert_status(&response, 200);
    let content_type = response.header(CONTENT_TYPE.as_str()).unwrap_or("");
    assert!(
        content_type.starts_with("text/plain") || content_type.starts_with("application/openmetrics-text"),
        "GET /metrics answers {content_type:?}, not the Prometheus text format"
    );
    Scrape { text: response.body }
}

/// A counter's growth between two scrapes, as a whole number.
fn delta(before: &Scrape, after: &Scrape, name: &str, labels: &[(&str, &str)]) -> i64 {
    (after.value(name, labels) - before.value(name, labels)).round() as i64
}

#[tokio::test]
async fn metrics_are_not_served_by_default() {
    // Arrange
    let app = TestApp::spawn().await;

    // Act
    let response = app.get("/metrics", &Jar::default()).await;

    // Assert
    assert_status(&response, 404);
    assert!(!response.body.contains("auth_logins_total"), "the 404 leaks metrics: {}", response.body);
}

#[tokio::test]
async fn metrics_on_counts_logins_refreshes_reuse_and_live_sessions() {
    // Arrange: no grace, so replaying a rotated token is reuse.
    let app = TestApp::spawn_with(&[("AUTH_METRICS", "on"), ("AUTH_REUSE_GRACE_SECS", "0")]).await;
    let user = app.new_user().await;
    let before = scrape(&app).await;

    // Act
    let (mut second, _) = app.new_session(&user).await;
    let failed = app.login(&mut Jar::default(), &user.email, "not the password at all").await;
    assert_error(&failed, 401, "invalid_credentials");
    let rotated_away = second.clone();
    assert_status(&app.refresh(&mut second).await, 200);
    let replay = app.refresh(&mut rotated_away.clone()).await;
    assert_error(&replay, 401, "refresh_reused");
    let (third, _) = app.new_session(&user).await;
    // The live-session gauge is recounted at most once a second.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let after = scrape(&app).await;

    // Assert
    let logins = "auth_logins_total";
    let refreshes = "auth_refreshes_total";
    assert_eq!(delta(&before, &after, logins, &[("outcome", "success")]), 2, "two logins succeeded");
    assert_eq!(delta(&before, &after, logins, &[("outcome", "invalid_credentials")]), 1, "one login failed");
    assert_eq!(delta(&before, &after, logins, &[("outcome", "rate_limited")]), 0);
    assert_eq!(delta(&before, &after, refreshes, &[("outcome", "rotated")]), 1, "one refresh rotated");
    assert_eq!(delta(&before, &after, refreshes, &[("outcome", "reused")]), 1, "one replay was reuse");
    assert_eq!(delta(&before, &after, refreshes, &[("outcome", "grace")]), 0);
    assert_eq!(
        after.value("auth_active_sessions", &[]).round() as i64,
        2,
        "live: the registration's session and the third; the second was revoked as reused\n{}",
        after.text
    );
    let login_route = [("route", "/api/auth/login")];
    assert!(
        after.value("http_request_duration_seconds_count", &login_route) >= 3.0,
        "three logins timed under route=\"/api/auth/login\":\n{}",
        after.text
    );
    assert!(
        after.has("http_request_duration_seconds_count", &[("route", "/api/auth/login"), ("status", "401")]),
        "the failed login is timed with status=\"401\":\n{}",
        after.text
    );
    assert!(
        after.has("http_request_duration_seconds_count", &[("method", "POST"), ("route", "/api/auth/refresh")]),
        "refreshes are timed with method=\"POST\", route=\"/api/auth/refresh\":\n{}",
        after.text
    );
    assert!(after.has("http_request_duration_seconds_bucket", &login_route), "a histogram has buckets");
    assert!(after.has("http_request_duration_seconds_sum", &login_route), "a histogram has a sum");
    assert!(
        after.has("auth_audit_events_dropped_total", &[]),
        "the audit-drop counter is exposed (before anything is dropped):\n{}",
        after.text
    );
    assert_eq!(after.value("auth_audit_events_dropped_total", &[]).round() as i64, 0, "no audit event was dropped");
    assert_status(&app.me(&third).await, 200);
}

#[tokio::test]
async fn request_latency_is_labelled_by_route_pattern_never_by_raw_path() {
    // Arrange
    let app = TestApp::spawn_with(&[("AUTH_METRICS", "on")]).await;
    let user = app.new_user().await;
    let probe = uuid::Uuid::new_v4().simple().to_string();

    // Act: paths a client chooses. The two under /api reach the API's
    // fallback, which no route pattern matches; the page miss reaches the
    // pages' fallback.
    app.get(&format!("/api/no-such-{probe}"), &Jar::default()).await;
    app.get(&format!("/api/nope-{probe}/deeper"), &Jar::default()).await;
    app.get(&format!("/no-such-page-{probe}"), &Jar::default()).await;
    let revoke = app.revoke_session(&mut user.jar.clone(), &format!("{probe}-session")).await;
    let after = scrape(&app).await;

    // Assert
    assert!(revoke.status.is_client_error(), "revoking an unknown session: {}", revoke.status);
    assert!(!after.text.contains(&probe), "a raw path became a label value:\n{}", after.text);
    let routes: HashMap<&str, f64> = after
        .samples()
        .filter(|sample| sample.name == "http_request_duration_seconds_count")
        .map(|sample| (sample.labels, sample.value))
        .collect();
    assert!(
        routes.keys().any(|labels| has_label(labels, ("route", "/api/auth/sessions/{id}"))),
        "the revoke is timed under its route pattern: {routes:?}"
    );
    // A fallback has no matched path: the misses share one label value.
    let unmatched = [("route", "unmatched")];
    assert!(
        after.has("http_request_duration_seconds_count", &unmatched),
        "misses are timed as route=\"unmatched\": {routes:?}"
    );
    assert!(
        after.value("http_request_duration_seconds_count", &unmatched) >= 2.0,
        "both /api misses are counted under route=\"unmatched\": {routes:?}"
    );
}

#[test]
fn auth_metrics_accepts_off_on_or_an_address_and_refuses_anything_else() {
    // Arrange
    let config_with = |metrics: &str| {
        let mut vars: HashMap<&str, String> = HashMap::new();
        vars.insert("DATABASE_URL", "sqlite://unused/app.db".to_owned());
        vars.insert("LEPTOS_SITE_ADDR", "127.0.0.1:0".to_owned());
        vars.insert("AUTH_METRICS", metrics.to_owned());
        Config::from_lookup(move |name| vars.get(name).cloned())
    };

    // Act + Assert
    for good in ["off", "on", "127.0.0.1:9100"] {
        assert!(config_with(good).is_ok(), "AUTH_METRICS={good} is refused");
    }
    for bad in ["garbage", "127.0.0.1", "on:9100"] {
        let error = config_with(bad).err().unwrap_or_else(|| panic!("AUTH_METRICS={bad} is accepted"));
        assert!(error.to_string().contains("AUTH_METRICS"), "the error names the variable: {error}");
    }
}
