//! Refresh-token rotation: long chains, reuse detection, the grace window for
//! racing tabs, and the absolute session limit.

mod common;

use std::{
    collections::HashSet,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed},
    },
    time::{Duration, Instant},
};

use app::types::SessionView;
use common::*;
use tokio::task::JoinSet;

#[tokio::test]
async fn a_chain_of_100_rotations_keeps_the_session_and_issues_fresh_tokens() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let mut jar = user.jar.clone();
    let mut refresh_tokens = HashSet::from([app.refresh_token(&jar)]);
    let mut access_tokens = HashSet::from([app.access_token(&jar)]);

    for round in 0..100 {
        // Act
        let response = app.refresh(&mut jar).await;

        // Assert
        assert_eq!(response.status.as_u16(), 200, "round {round}: {}", response.body);
        let info = response.session_info();
        assert_eq!(info.session_id, user.info.session_id, "round {round}");
        assert!(
            refresh_tokens.insert(response.cookie_value(&app.refresh_cookie)),
            "round {round} returned a refresh token seen before"
        );
        assert!(
            access_tokens.insert(response.cookie_value(&app.access_cookie)),
            "round {round} returned an access token seen before"
        );
    }
    assert_status(&app.me(&jar).await, 200);
}

#[tokio::test]
async fn replaying_a_rotated_refresh_token_revokes_the_whole_session() {
    // Arrange: no grace, so any replay is reuse.
    let app = TestApp::spawn_with(&[("AUTH_REUSE_GRACE_SECS", "0")]).await;
    let user = app.new_user().await;
    let (other_jar, other_info) = app.new_session(&user).await;
    let stolen = user.jar.clone();
    let mut victim = user.jar.clone();
    assert_status(&app.refresh(&mut victim).await, 200);

    // Act
    let replay = app.refresh(&mut stolen.clone()).await;

    // Assert
    assert_error(&replay, 401, "refresh_reused");
    assert_clears_both_cookies(&app, &replay);
    let newest = app.refresh(&mut victim.clone()).await;
    assert_status(&newest, 401);
    let code = assert_client_error(&newest).error;
    assert!(code == "refresh_reused" || code == "refresh_invalid", "unexpected code {code}");
    let session = app.wait_until_unauthenticated("/api/auth/session", &victim).await;
    assert_error(&session, 401, "unauthenticated");
    let me = app.wait_until_unauthenticated("/api/me", &victim).await;
    assert_error(&me, 401, "unauthenticated");
    let listing = app.sessions(&other_jar).await;
    assert_status(&listing, 200);
    let ids: Vec<String> = listing.json::<Vec<SessionView>>().into_iter().map(|session| session.id).collect();
    assert!(!ids.contains(&user.info.session_id), "the reused session is gone: {ids:?}");
    assert!(ids.contains(&other_info.session_id), "the other session lives: {ids:?}");
    assert_status(&app.refresh(&mut other_jar.clone()).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_refreshes_of_one_token_all_get_the_same_new_token() {
    // Arrange: the default grace window (10 s).
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let original = app.refresh_token(&user.jar);
    let mut racers = JoinSet::new();
    for _ in 0..20 {
        let api = app.api.clone();
        let mut jar = user.jar.clone();
        racers.spawn(async move { api.refresh(&mut jar).await });
    }

    // Act
    let mut responses = Vec::new();
    while let Some(joined) = racers.join_next().await {
        responses.push(joined.expect("a racing refresh task"));
    }

    // Assert
    assert_eq!(responses.len(), 20);
    let mut new_tokens = HashSet::new();
    for response in &responses {
        assert_status(response, 200);
        assert_eq!(response.session_info().session_id, user.info.session_id);
        new_tokens.insert(response.cookie_value(&app.refresh_cookie));
    }
    assert_eq!(new_tokens.len(), 1, "every racer got the winner's token: {new_tokens:?}");
    let live = new_tokens.into_iter().next().expect("one token");
    assert_ne!(live, original);
    let mut jar = app.jar_with_refresh(&live);
    let after = app.refresh(&mut jar).await;
    assert_status(&after, 200);
    assert_eq!(after.session_info().session_id, user.info.session_id);
    assert_status(&app.me(&jar).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_sessions_refreshing_at_once_each_rotate_once_and_answer_their_own_caller() {
    // On either backend they meet in one writer's groups (`store::rotation`).
    let app = TestApp::spawn().await;
    races::forty_sessions_refreshed_twice_at_once(&[&app]).await;
}

#[tokio::test]
async fn replaying_the_parent_within_the_grace_window_returns_the_live_token() {
    // Arrange: the default grace window (10 s).
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let parent = user.jar.clone();
    let mut winner = user.jar.clone();
    let won = app.refresh(&mut winner).await;
    assert_status(&won, 200);
    let live = won.cookie_value(&app.refresh_cookie);

    // Act
    let mut racer = parent.clone();
    let raced = app.refresh(&mut racer).await;

    // Assert
    assert_status(&raced, 200);
    assert_eq!(raced.cookie_value(&app.refresh_cookie), live);
    assert_eq!(raced.session_info().session_id, user.info.session_id);
    assert_status(&app.me(&racer).await, 200);
    let next = app.refresh(&mut winner).await;
    assert_status(&next, 200);
    assert_eq!(next.session_info().session_id, user.info.session_id);
}

#[tokio::test]
async fn a_token_two_rotations_old_is_reuse_even_within_the_grace_window() {
    // Arrange: the default grace window (10 s).
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let grandparent = user.jar.clone();
    let mut jar = user.jar.clone();
    assert_status(&app.refresh(&mut jar).await, 200);
    assert_status(&app.refresh(&mut jar).await, 200);

    // Act
    let replay = app.refresh(&mut grandparent.clone()).await;

    // Assert
    assert_error(&replay, 401, "refresh_reused");
    assert_clears_both_cookies(&app, &replay);
    let newest = app.refresh(&mut jar.clone()).await;
    assert_status(&newest, 401);
    let me = app.wait_until_unauthenticated("/api/me", &jar).await;
    assert_error(&me, 401, "unauthenticated");
}

#[tokio::test]
async fn refresh_expiry_never_passes_the_absolute_session_limit() {
    // Arrange
    let app = TestApp::spawn_with(&[
        ("AUTH_ACCESS_TTL_SECS", "60"),
        ("AUTH_REFRESH_IDLE_SECS", "1000"),
        ("AUTH_SESSION_MAX_SECS", "100"),
    ])
    .await;
    let mut jar = Jar::default();
    let register = app.register(&mut jar, &unique_email(), PASSWORD).await;
    assert_status(&register, 201);
    let created = register.session_info().server_time;

    // Act
    let refresh = app.refresh(&mut jar).await;

    // Assert
    for (name, response) in [("register", &register), ("refresh", &refresh)] {
        assert!(response.status.is_success(), "{name}: {}", response.body);
        let info = response.session_info();
        assert!(
            info.refresh_expires_at <= created + 100,
            "{name}: refresh_expires_at {} passes created {created} + 100",
            info.refresh_expires_at
        );
        assert!(info.refresh_expires_at > info.server_time, "{name}");
        let cookie = response.cookie(&app.refresh_cookie).unwrap_or_else(|| panic!("{name} sets a refresh cookie"));
        let max_age = cookie.max_age().expect("the refresh cookie has a Max-Age");
        assert!(max_age > 0 && max_age <= 100, "{name}: Max-Age {max_age}");
    }
}

#[tokio::test]
async fn a_sign_in_is_answered_while_refreshes_keep_the_writer_busy() {
    // Arrange: twenty sessions refreshed back to back, so rotation groups
    // follow each other and the group task keeps the writer connection.
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let mut jars = vec![user.jar.clone()];
    for _ in 0..19 {
        jars.push(app.new_session(&user).await.0);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let refreshed = Arc::new(AtomicUsize::new(0));
    let mut storm = JoinSet::new();
    for mut jar in jars {
        let (api, stop, refreshed) = (app.api.clone(), stop.clone(), refreshed.clone());
        storm.spawn(async move {
            while !stop.load(Relaxed) {
                assert_status(&api.refresh(&mut jar).await, 200);
                refreshed.fetch_add(1, Relaxed);
            }
        });
    }
    while refreshed.load(Relaxed) < 100 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    // Act: a sign-in writes its session through the same writer.
    let mut jar = Jar::default();
    let signed_in =
        tokio::time::timeout(Duration::from_secs(20), app.login(&mut jar, &user.email, &user.password)).await;
    let before = refreshed.load(Relaxed);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let storm_went_on = refreshed.load(Relaxed) > before;
    stop.store(true, Relaxed);
    while let Some(looped) = storm.join_next().await {
        looped.expect("every refresh of the storm succeeded");
    }

    // Assert
    let response = signed_in.expect("the sign-in waited for the refreshes to stop");
    assert_status(&response, 200);
    assert!(storm_went_on, "the refreshes were still coming when the sign-in was answered");
    assert_status(&app.me(&jar).await, 200);
}

/// A write lock on the sessions held from outside the server: SQLite's
/// one write lock (`BEGIN IMMEDIATE` on a connection of its own), or on
/// PostgreSQL a table lock that stops updates but not reads.
enum OutsideWriter {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl OutsideWriter {
    async fn lock(database_url: &str) -> Self {
        use sqlx::Connection;
        if database_url.starts_with("sqlite") {
            let mut conn = sqlx::SqliteConnection::connect(database_url).await.expect("open the database");
            sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut conn).await.expect("take the write lock");
            Self::Sqlite(conn)
        } else {
            let mut conn = sqlx::PgConnection::connect(database_url).await.expect("open the database");
            sqlx::raw_sql("BEGIN; LOCK TABLE sessions IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut conn)
                .await
                .expect("lock the sessions");
            Self::Postgres(conn)
        }
    }

    async fn release(self) {
        match self {
            Self::Sqlite(mut conn) => sqlx::raw_sql("COMMIT").execute(&mut conn).await.map(drop),
            Self::Postgres(mut conn) => sqlx::raw_sql("COMMIT").execute(&mut conn).await.map(drop),
        }
        .expect("release the lock");
    }
}

#[tokio::test]
async fn a_refresh_waits_out_another_writers_lock_while_the_server_goes_on_answering() {
    // Arrange: another process's write lock, which the rotation must wait
    // out without holding up the runtime (this test's runtime has one
    // thread, the server's and the test's): a rotation that waited for
    // SQLite's lock on a runtime thread would stall this read for the
    // whole busy timeout (10 s).
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let outside = OutsideWriter::lock(app.database_url()).await;
    let started = Instant::now();

    // Act
    let refresh = tokio::spawn({
        let (api, mut jar) = (app.api.clone(), user.jar.clone());
        async move {
            let response = api.refresh(&mut jar).await;
            (response, jar)
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let waited = !refresh.is_finished();
    let me = app.me(&user.jar).await;
    let answered_within = started.elapsed();
    outside.release().await;
    let (refreshed, mut jar) = tokio::time::timeout(Duration::from_secs(20), refresh)
        .await
        .expect("the refresh ended")
        .expect("a refresh task");

    // Assert
    assert!(waited, "the refresh waited for the lock");
    assert_status(&me, 200);
    assert!(answered_within < Duration::from_secs(3), "a read took {answered_within:?} while a refresh waited");
    assert_status(&refreshed, 200);
    assert_eq!(refreshed.session_info().session_id, user.info.session_id);
    assert_status(&app.refresh(&mut jar).await, 200);
}
