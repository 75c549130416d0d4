//! Two server instances on one database behave as one: they share signing
//! keys and the refresh MAC key, rotation stays one atomic step across
//! them, and a revoke on one reaches the other's access-token check within
//! a second. Runs on SQLite (two writers on one file) and, with
//! `TEST_DATABASE_URL` set, on PostgreSQL.

mod common;

use std::time::{Duration, Instant};

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_keys_and_accept_each_others_tokens() {
    // Arrange
    let a = TestApp::spawn().await;
    let b = a.spawn_sibling().await;
    let user = a.new_user().await;

    // Act + Assert: the same JWKS, and A's cookies work on B.
    assert_eq!(a.kids().await, b.kids().await);
    assert_status(&b.me(&user.jar).await, 200);
    let mut jar = user.jar.clone();
    assert_status(&b.refresh(&mut jar).await, 200);
    assert_status(&a.me(&jar).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_refreshes_through_both_instances_all_get_the_same_live_token() {
    // Arrange
    let a = TestApp::spawn().await;
    let b = a.spawn_sibling().await;
    let user = a.new_user().await;

    // Act: 20 refreshes of one token, half through each instance, at once.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let api = if i % 2 == 0 { a.api.clone() } else { b.api.clone() };
        let mut jar = user.jar.clone();
        tasks.push(tokio::spawn(async move {
            let response = api.refresh(&mut jar).await;
            (response, jar)
        }));
    }
    let mut tokens = Vec::new();
    let mut last_jar = None;
    for task in tasks {
        let (response, jar) = task.await.expect("the refresh task finishes");
        assert_status(&response, 200);
        tokens.push(response.cookie_value(&a.refresh_cookie));
        last_jar = Some(jar);
    }

    // Assert: one successor for everyone, and it still rotates on either instance.
    tokens.dedup();
    assert_eq!(tokens.len(), 1, "every racing request got the same live refresh token");
    let mut jar = last_jar.expect("twenty jars");
    assert_status(&b.refresh(&mut jar).await, 200);
    assert_status(&a.refresh(&mut jar).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_sessions_racing_through_both_instances_each_rotate_once() {
    // Each instance groups its rotations (`store::rotation`); here both
    // groups hold the same sessions at once, one racer of each session per
    // instance. On PostgreSQL that is where two groups could deadlock.
    let a = TestApp::spawn().await;
    let b = a.spawn_sibling().await;
    races::forty_sessions_refreshed_twice_at_once(&[&a, &b]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoke_on_one_instance_stops_access_tokens_on_the_other_within_a_second() {
    // Arrange: B has just seen the session as live (its cache is warm).
    let a = TestApp::spawn().await;
    let b = a.spawn_sibling().await;
    let user = a.new_user().await;
    let (other_jar, other) = a.new_session(&user).await;
    assert_status(&b.me(&other_jar).await, 200);

    // Act: revoke that session through A.
    let mut jar = user.jar.clone();
    assert_status(&a.revoke_session(&mut jar, &other.session_id).await, 204);
    let revoked_at = Instant::now();

    // Assert: B refuses it within a second: no request *sent* a second or
    // more after the revoke is answered 200. (Measured from the send, so a
    // slow answer on a loaded machine cannot blur what the server decided.)
    let mut refused = None;
    while revoked_at.elapsed() < REVOCATION_WAIT {
        let sent = revoked_at.elapsed();
        let response = b.me(&other_jar).await;
        if response.status == 401 {
            refused = Some(response);
            break;
        }
        assert!(sent < Duration::from_secs(1), "a request sent {sent:?} after the revoke was still served");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let response = refused.expect("B refuses the revoked session's access token");
    assert_error(&response, 401, "unauthenticated");
    assert_status(&b.me(&user.jar).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_whose_clock_runs_ahead_does_not_turn_a_racing_tab_into_a_reuse_kill() {
    // Arrange: A rotates; B's clock is 30 s ahead of A's (and the database's).
    let a = TestApp::spawn().await;
    let b = a.spawn_skewed_sibling(30).await;
    let user = a.new_user().await;
    let parent = user.jar.clone();
    let mut rotated = user.jar.clone();
    assert_status(&a.refresh(&mut rotated).await, 200);

    // Act: the other tab's request with the parent lands on B at once.
    let mut racing = parent.clone();
    let response = b.refresh(&mut racing).await;

    // Assert: inside the 10 s grace by the database's clock: the live token.
    assert_status(&response, 200);
    assert_eq!(a.refresh_token(&racing), a.refresh_token(&rotated));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_whose_clock_runs_behind_does_not_stretch_the_grace_for_a_thief() {
    // Arrange: a 1 s grace; B's clock is 30 s behind.
    let a = TestApp::spawn_with(&[("AUTH_REUSE_GRACE_SECS", "1")]).await;
    let b = a.spawn_skewed_sibling(-30).await;
    let user = a.new_user().await;
    let stolen = user.jar.clone();
    let mut rightful = user.jar.clone();
    assert_status(&a.refresh(&mut rightful).await, 200);
    // Past the grace by any clock that counts (whole seconds, so 2 s + margin).
    tokio::time::sleep(Duration::from_millis(2200)).await;

    // Act: the thief replays the parent through B.
    let mut thief = stolen.clone();
    let response = b.refresh(&mut thief).await;

    // Assert: reuse, and the whole session is gone.
    assert_error(&response, 401, "refresh_reused");
    assert_error(&a.refresh(&mut rightful).await, 401, "refresh_reused");
}
