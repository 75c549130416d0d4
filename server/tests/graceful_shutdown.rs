//! The real binary, stopped by SIGTERM (or Ctrl-C's SIGINT) in the middle of
//! a burst of refreshes (sent once every session has rotated at least once),
//! exits 0 within 15 s, finishes the requests in flight instead of dropping
//! them, and loses no acknowledged rotation: for every session, the last
//! refresh token a `200` handed out still refreshes on a server started
//! afterwards on the same database, and the audit log (flushed at shutdown)
//! lists a `refreshed` event for each acknowledged rotation.
//!
//! And SIGKILL, which gives the server no chance to finish anything: still
//! no acknowledged rotation is lost, since a refresh is answered only after
//! its compare-and-swap has committed (SQLite's WAL is in the kernel's
//! hands by then, PostgreSQL's commit is flushed). On SQLite and, with
//! `TEST_DATABASE_URL`, PostgreSQL.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use app::types::AuthEventView;
use common::process::{ServerProcess, send_signal, tail};
use common::*;
use reqwest::Method;
use reqwest::header::SET_COOKIE;
use tempfile::TempDir;

/// How long the burst may take to rotate every session once (the signal
/// waits for that).
const WARM_UP_LIMIT: Duration = Duration::from_secs(30);
/// How often the warm-up is checked.
const WARM_UP_POLL: Duration = Duration::from_millis(20);
/// Bursts a test may run to see a request in flight at the signal answered
/// after it: one that finds none is ambiguous, not a failure (the server may
/// have answered everything before `kill` returned); a server that drops
/// in-flight requests finds none in any burst.
const BURSTS: usize = 3;
/// How long the process may take to exit after the signal.
const EXIT_LIMIT: Duration = Duration::from_secs(15);
/// Events per page of `GET /api/admin/events`, at most.
const EVENTS_PAGE: usize = 500;

/// A database (SQLite file in a temp dir, or PostgreSQL with
/// `TEST_DATABASE_URL`) that outlives the server processes run on it.
struct Database {
    dir: TempDir,
    url: String,
}

impl Database {
    async fn new() -> Database {
        let dir = tempfile::tempdir().expect("a temp dir for the database");
        let url = database_url_for(dir.path()).await;
        Database { dir, url }
    }
}

/// Starts `server [args]` on `db` with `env` on top of this test's
/// settings, logging to `db.dir/{name}.*.log`.
fn start_server(db: &Database, name: &str, args: &[&str], env: &[(&str, &str)]) -> ServerProcess {
    let mut vars = vec![
        ("DATABASE_URL", db.url.as_str()),
        // A rotation the server committed but whose answer never reached
        // the client leaves the client holding the parent token; a wide
        // grace keeps that case from passing for a lost rotation. What
        // is tested is that every *acknowledged* token survives.
        ("AUTH_REUSE_GRACE_SECS", "120"),
        ("RUST_LOG", "info,sqlx=warn"),
    ];
    vars.extend_from_slice(env);
    ServerProcess::start(db.dir.path(), name, args, &vars)
}

/// What one session's refresh loop saw.
#[derive(Debug)]
struct Outcome {
    /// The refresh token of the last `200` (or the one the loop started with).
    latest: String,
    /// How many refreshes answered `200`.
    rotated: usize,
    /// `503`s (a server may refuse new work while it drains).
    unavailable: usize,
    /// When the headers of the last `200` or `503` arrived.
    last_answered_at: Option<Instant>,
    /// Any other status, with its body: never expected.
    unexpected: Vec<(u16, String)>,
    /// When the first transport error (refused / closed connection) ended the loop.
    ended_by_error_at: Option<Instant>,
}

/// Refreshes sequentially with its own client until a transport error (or
/// `deadline`), keeping the refresh token of every `200` and counting each
/// in `rotations` as it arrives.
async fn refresh_loop(addr: SocketAddr, token: String, deadline: Instant, rotations: Arc<AtomicUsize>) -> Outcome {
    // A client of its own: its own keep-alive connection, like a browser.
    let api = Api::for_addr(addr);
    let mut outcome = Outcome {
        latest: token,
        rotated: 0,
        unavailable: 0,
        last_answered_at: None,
        unexpected: Vec::new(),
        ended_by_error_at: None,
    };
    while Instant::now() < deadline {
        let jar = api.jar_with_refresh(&outcome.latest);
        let response = match api.request(Method::POST, "/api/auth/refresh", &jar).send().await {
            Ok(response) => response,
            Err(_) => {
                outcome.ended_by_error_at = Some(Instant::now());
                break;
            }
        };
        let arrived_at = Instant::now();
        let status = response.status().as_u16();
        // The headers arrived: a 200 is acknowledged from here on, whether
        // or not the body makes it.
        let new_token = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .filter_map(SetCookie::parse)
            .find(|cookie| cookie.name == api.refresh_cookie && !cookie.is_removal())
            .map(|cookie| cookie.value);
        let body = response.text().await.unwrap_or_default();
        match (status, new_token) {
            (200, Some(token)) => {
                outcome.latest = token;
                outcome.rotated += 1;
                outcome.last_answered_at = Some(arrived_at);
                rotations.fetch_add(1, Ordering::Relaxed);
            }
            (503, _) => {
                outcome.unavailable += 1;
                outcome.last_answered_at = Some(arrived_at);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            (status, _) => {
                outcome.unexpected.push((status, body));
                break;
            }
        }
    }
    outcome
}

/// How many `refreshed` events the audit log lists for `user_id`, read as
/// the admin (page by page); asserts that each names `session_id`.
async fn refreshed_events(api: &Api, admin: &Jar, user_id: &str, session_id: &str) -> usize {
    let mut count = 0;
    let mut before = String::new();
    loop {
        let path = format!("/api/admin/events?kind=refreshed&user_id={user_id}&limit={EVENTS_PAGE}{before}");
        let response = api.get(&path, admin).await;
        assert_status(&response, 200);
        let page: Vec<AuthEventView> = response.json();
        for event in &page {
            assert_eq!(event.kind, "refreshed", "{event:?}");
            assert_eq!(event.session_id.as_deref(), Some(session_id), "a refresh names its session: {event:?}");
        }
        count += page.len();
        match page.last() {
            Some(last) if page.len() == EVENTS_PAGE => before = format!("&before={}", last.id),
            _ => return count,
        }
    }
}

/// A refresh burst under way: the server, each session's (user id,
/// session id, first refresh token), and the loops.
struct Burst {
    server: ServerProcess,
    started: Vec<(String, String, String)>,
    loops: Vec<tokio::task::JoinHandle<Outcome>>,
}

/// Starts the binary with `args` on `db`, makes `sessions` sessions and
/// starts a refresh loop for each; returns once every session has rotated
/// at least once (the loops count each `200` as it arrives).
async fn start_burst(db: &Database, args: &[&str], sessions: usize) -> Burst {
    let mut server = start_server(db, "first", args, &[]);
    let addr = server.wait_until_listening().await;
    let api = Api::for_addr(addr);
    let mut registrations = tokio::task::JoinSet::new();
    for _ in 0..sessions {
        let api = api.clone();
        registrations.spawn(async move { api.new_user().await });
    }
    let mut started = Vec::new();
    while let Some(user) = registrations.join_next().await {
        let user = user.expect("a registration task");
        started.push((user.info.user.id.clone(), user.info.session_id.clone(), api.refresh_token(&user.jar)));
    }
    drop(api);

    let deadline = Instant::now() + Duration::from_secs(60);
    let rotations: Vec<Arc<AtomicUsize>> = started.iter().map(|_| Arc::new(AtomicUsize::new(0))).collect();
    let mut loops: Vec<_> = started
        .iter()
        .zip(&rotations)
        .map(|((_, _, token), rotations)| tokio::spawn(refresh_loop(addr, token.clone(), deadline, rotations.clone())))
        .collect();
    let warm_up_deadline = Instant::now() + WARM_UP_LIMIT;
    loop {
        let counts: Vec<usize> = rotations.iter().map(|count| count.load(Ordering::Relaxed)).collect();
        if counts.iter().all(|&count| count >= 1) {
            break;
        }
        if let Some(i) = loops.iter().position(|task| task.is_finished()) {
            let outcome = loops.swap_remove(i).await.expect("a refresh loop");
            panic!(
                "session {i}'s refresh loop ended before every session had rotated once: {outcome:?}; log:\n{}",
                tail(&server.log())
            );
        }
        assert!(
            Instant::now() < warm_up_deadline,
            "not every session rotated once within {WARM_UP_LIMIT:?} (rotations so far: {counts:?}); log:\n{}",
            tail(&server.log())
        );
        tokio::time::sleep(WARM_UP_POLL).await;
    }
    Burst { server, started, loops }
}

/// Every session's last acknowledged refresh token still refreshes (and
/// its access token then works) on the server `api` talks to.
async fn assert_acknowledged_tokens_refresh(api: &Api, outcomes: &[Outcome]) {
    for (i, outcome) in outcomes.iter().enumerate() {
        let mut jar = api.jar_with_refresh(&outcome.latest);
        let refresh = api.refresh(&mut jar).await;
        assert_eq!(
            refresh.status.as_u16(),
            200,
            "session {i}: the last token a 200 acknowledged ({} rotations in the burst) no longer refreshes: {}",
            outcome.rotated,
            refresh.body
        );
        assert_status(&api.me(&jar).await, 200);
    }
}

/// Starts the binary with `args`, makes `sessions` sessions, runs a refresh
/// burst, sends `signal` once every session has rotated at least once, and
/// checks the exit, that requests in flight were answered, and that every
/// session's acknowledged rotations survive a restart (token and audit log).
async fn burst_then_signal(args: &[&str], signal: &str, sessions: usize) -> bool {
    let db = Database::new().await;
    let Burst { mut server, started, loops } = start_burst(&db, args, sessions).await;
    // Two instants around `kill`: connections may close as soon as the
    // signal is delivered, so after `signalling_at`; and once `kill` has
    // returned (`signalled_at`) the signal has been delivered, so an answer
    // that arrives later was finished during the shutdown.
    let signalling_at = Instant::now();
    send_signal(server.pid(), signal);
    let signalled_at = Instant::now();
    let exit = server.wait_for_exit(EXIT_LIMIT).await;
    let mut outcomes = Vec::new();
    for task in loops {
        outcomes.push(task.await.expect("a refresh loop"));
    }

    // Assert: a clean, prompt exit.
    let log = server.log();
    let status = exit.unwrap_or_else(|| panic!("still running {EXIT_LIMIT:?} after {signal}; log:\n{}", tail(&log)));
    assert!(status.success(), "the server exited with {status} after {signal}; log:\n{}", tail(&log));

    // Assert: the burst was real, and the signal ended it.
    for (i, outcome) in outcomes.iter().enumerate() {
        assert!(outcome.rotated >= 1, "session {i} never rotated: {outcome:?}");
        assert!(outcome.unexpected.is_empty(), "session {i} got unexpected answers: {:?}", outcome.unexpected);
        let ended_at = outcome
            .ended_by_error_at
            .unwrap_or_else(|| panic!("session {i}'s loop was never refused: it ran into the 60 s deadline"));
        assert!(ended_at >= signalling_at, "session {i} lost its connection before the signal; log:\n{}", tail(&log));
    }

    // Assert: requests in flight when the signal came were answered, not
    // dropped. A timing check, yet a robust one: each loop has a request out
    // at all times but the instant between an answer and its next request,
    // so when the signal is delivered requests are being served, and the
    // server answers them (before or after it notices the signal) after
    // `kill` has returned, unless it noticed the signal and finished every
    // one of them in the moment `kill` takes to exit. A server that dropped
    // in-flight requests leaves the loops with transport errors instead. The
    // audit-log check below is the exact counterpart.
    let answered_after_signal =
        outcomes.iter().filter(|outcome| outcome.last_answered_at.is_some_and(|at| at > signalled_at)).count();
    let rotated: usize = outcomes.iter().map(|outcome| outcome.rotated).sum();
    let unavailable: usize = outcomes.iter().map(|outcome| outcome.unavailable).sum();
    if answered_after_signal == 0 {
        eprintln!(
            "none of {rotated} 200s and {unavailable} 503s arrived after {signal} this time (on a loaded machine \
             the server may answer them all before `kill` returns)"
        );
    }

    // Assert: no acknowledged rotation lost.
    // The server started after the burst seeds the admin, to read the audit log.
    let mut second = start_server(&db, "second", &[], &ADMIN_VARS);
    let addr = second.wait_until_listening().await;
    let api = Api::for_addr(addr);
    // The audit log first (the checks below refresh once more): shutdown
    // stores the queued events, so each acknowledged rotation has its
    // `refreshed` event. One more is allowed: a rotation the server
    // committed whose answer never reached the loop (its connection closed
    // first) is audited but not acknowledged.
    let admin = api.sign_in_admin().await;
    for (i, ((user_id, session_id, _), outcome)) in started.iter().zip(&outcomes).enumerate() {
        let audited = refreshed_events(&api, &admin.jar, user_id, session_id).await;
        assert!(
            audited == outcome.rotated || audited == outcome.rotated + 1,
            "session {i}: {audited} `refreshed` events for {} acknowledged rotations",
            outcome.rotated
        );
    }
    assert_acknowledged_tokens_refresh(&api, &outcomes).await;
    second.stop().await;
    answered_after_signal >= 1
}

/// Bursts until one shows a request in flight at the signal answered after
/// it (at most [`BURSTS`]); every burst must pass every other check.
async fn in_flight_requests_are_answered(args: &[&str], signal: &str, sessions: usize) {
    for _ in 0..BURSTS {
        if burst_then_signal(args, signal, sessions).await {
            return;
        }
    }
    panic!("in {BURSTS} bursts no answer arrived after {signal}: the requests in flight were dropped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_refresh_burst_exits_0_and_loses_no_acknowledged_rotation() {
    in_flight_requests_are_answered(&[], "-TERM", 20).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_during_a_refresh_burst_exits_0_and_loses_no_acknowledged_rotation() {
    in_flight_requests_are_answered(&["serve"], "-INT", 20).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_a_refresh_burst_loses_no_acknowledged_rotation() {
    let db = Database::new().await;
    let Burst { mut server, loops, .. } = start_burst(&db, &[], 20).await;
    send_signal(server.pid(), "-KILL");
    let exit = server.wait_for_exit(EXIT_LIMIT).await.expect("SIGKILL ends the process");
    assert!(!exit.success(), "killed, not exited: {exit}");
    let mut outcomes = Vec::new();
    for task in loops {
        outcomes.push(task.await.expect("a refresh loop"));
    }
    for (i, outcome) in outcomes.iter().enumerate() {
        assert!(outcome.rotated >= 1, "session {i} never rotated: {outcome:?}");
        assert!(outcome.unexpected.is_empty(), "session {i} got unexpected answers: {:?}", outcome.unexpected);
        assert!(outcome.ended_by_error_at.is_some(), "session {i}'s loop outlived the kill: {outcome:?}");
    }

    // A rotation committed whose answer never left is within the grace
    // window (120 s here): its parent, the loop's latest, still refreshes.
    let mut second = start_server(&db, "second", &[], &[]);
    let api = Api::for_addr(second.wait_until_listening().await);
    assert_acknowledged_tokens_refresh(&api, &outcomes).await;
    second.stop().await;
}
