//! The real binary, stopped by SIGTERM (or Ctrl-C's SIGINT) in the middle of
//! a burst of refreshes (sent once every session has rotated at least once),
//! exits 0 within 15 s, finishes the requests in flight instead of dropping
//! them, and loses no acknowledged rotation: for every session, the last
//! refresh token a `200` handed out still refreshes on a server started
//! afterwards on the same database, and the audit log (flushed at shutdown)
//! lists a `refreshed` event for each acknowledged rotation.

mod common;

use std::fs::File;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use app::types::AuthEventView;
use common::*;
use reqwest::Method;
use reqwest::header::SET_COOKIE;
use tempfile::TempDir;

const LISTENING: &str = "listening on http://";
/// How long the burst may take to rotate every session once (the signal
/// waits for that).
const WARM_UP_LIMIT: Duration = Duration::from_secs(30);
/// How often the warm-up is checked.
const WARM_UP_POLL: Duration = Duration::from_millis(20);
/// How long the process may take to exit after the signal.
const EXIT_LIMIT: Duration = Duration::from_secs(15);
/// The admin the server started after the burst seeds, to read the audit log.
const ADMIN_EMAIL: &str = "admin@example.com";
const ADMIN_PASSWORD: &str = "admin-password-123";
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
        let url = match postgres_database_for(dir.path()).await {
            Some(url) => url,
            None => format!("sqlite://{}/app.db", dir.path().display()),
        };
        Database { dir, url }
    }
}

/// The server binary as a child process; killed when dropped, so a failing
/// test never leaves it running.
struct ServerProcess {
    child: Child,
    log_path: PathBuf,
}

impl ServerProcess {
    /// Starts `server [args]` on `db` with `env` on top of the test's
    /// settings, logging to `db.dir/{name}.log`.
    fn start(db: &Database, name: &str, args: &[&str], env: &[(&str, &str)]) -> ServerProcess {
        let log_path = db.dir.path().join(format!("{name}.log"));
        let log = File::create(&log_path).expect("create the log file");
        let log_for_stderr = log.try_clone().expect("share the log file");
        let child = Command::new(env!("CARGO_BIN_EXE_server"))
            .args(args)
            // Only what we set: no outside AUTH_* or DATABASE_URL, and a cwd
            // without a .env file.
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            // Coverage runs (cargo llvm-cov) tell the binary where to write its profile.
            .envs(std::env::vars_os().filter(|(name, _)| name.to_string_lossy().starts_with("LLVM_PROFILE")))
            .env("DATABASE_URL", &db.url)
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env("AUTH_RATE_LIMITS", "off")
            // A rotation the server committed but whose answer never reached
            // the client leaves the client holding the parent token; a wide
            // grace keeps that case from passing for a lost rotation. What
            // is tested is that every *acknowledged* token survives.
            .env("AUTH_REUSE_GRACE_SECS", "120")
            .env("RUST_LOG", "info,sqlx=warn")
            .env("NO_COLOR", "1")
            .env("RUST_BACKTRACE", "1")
            .envs(env.iter().copied())
            .current_dir(db.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_for_stderr))
            .spawn()
            .expect("start the server binary");
        ServerProcess { child, log_path }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn log(&self) -> String {
        std::fs::read(&self.log_path).map(|bytes| String::from_utf8_lossy(&bytes).into_owned()).unwrap_or_default()
    }

    /// Waits (at most 60 s) for the "listening on http://ADDR" line.
    async fn wait_until_listening(&mut self) -> SocketAddr {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let log = self.log();
            if let Some(addr) = listening_addr(&log) {
                return addr;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the server exited early ({status}); log:\n{}", tail(&log));
            }
            if Instant::now() >= deadline {
                panic!("no `{LISTENING}` line within 60 s; log:\n{}", tail(&log));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for the process to exit; `None` when it is still running
    /// after `limit`.
    async fn wait_for_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Asks the server to stop (SIGTERM); kills it if it has not stopped
    /// within 5 s.
    async fn stop(&mut self) {
        send_signal(self.pid(), "-TERM");
        if self.wait_for_exit(Duration::from_secs(5)).await.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `kill -SIGNAL pid`; asserts that the signal was delivered.
fn send_signal(pid: u32, signal: &str) {
    let pid = pid.to_string();
    let status = Command::new("kill")
        .args([signal, pid.as_str()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill {signal} {pid} failed: {status}");
}

fn listening_addr(log: &str) -> Option<SocketAddr> {
    let start = log.find(LISTENING)? + LISTENING.len();
    let addr: String =
        log[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '[' | ']')).collect();
    addr.parse().ok()
}

/// The last 4 KB of a log, for failure messages.
fn tail(log: &str) -> &str {
    let mut start = log.len().saturating_sub(4096);
    while !log.is_char_boundary(start) {
        start += 1;
    }
    &log[start..]
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

/// Starts the binary with `args`, makes `sessions` sessions, runs a refresh
/// burst, sends `signal` once every session has rotated at least once, and
/// checks the exit, that requests in flight were answered, and that every
/// session's acknowledged rotations survive a restart (token and audit log).
async fn burst_then_signal(args: &[&str], signal: &str, sessions: usize) {
    // Arrange: a server with `sessions` registered users.
    let db = Database::new().await;
    let mut server = ServerProcess::start(&db, "first", args, &[]);
    let addr = server.wait_until_listening().await;
    let api = Api::for_addr(addr);
    let mut registrations = tokio::task::JoinSet::new();
    for _ in 0..sessions {
        let api = api.clone();
        registrations.spawn(async move { api.new_user().await });
    }
    // Per session: its user id, its session id and its first refresh token.
    let mut started = Vec::new();
    while let Some(user) = registrations.join_next().await {
        let user = user.expect("a registration task");
        started.push((user.info.user.id.clone(), user.info.session_id.clone(), api.refresh_token(&user.jar)));
    }
    drop(api);

    // Act: the burst; once every session has rotated at least once (the
    // loops count each `200` as it arrives), the signal in the middle of it.
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
    assert!(
        answered_after_signal >= 1,
        "none of {rotated} 200s and {unavailable} 503s arrived after {signal}: the requests in flight were \
         dropped; log:\n{}",
        tail(&log)
    );

    // Assert: no acknowledged rotation lost.
    let mut second = ServerProcess::start(
        &db,
        "second",
        &[],
        &[("AUTH_ADMIN_EMAIL", ADMIN_EMAIL), ("AUTH_ADMIN_PASSWORD", ADMIN_PASSWORD)],
    );
    let addr = second.wait_until_listening().await;
    let api = Api::for_addr(addr);
    // The audit log first (the checks below refresh once more): shutdown
    // stores the queued events, so each acknowledged rotation has its
    // `refreshed` event. One more is allowed: a rotation the server
    // committed whose answer never reached the loop (its connection closed
    // first) is audited but not acknowledged.
    let mut admin = Jar::default();
    assert_status(&api.login(&mut admin, ADMIN_EMAIL, ADMIN_PASSWORD).await, 200);
    for (i, ((user_id, session_id, _), outcome)) in started.iter().zip(&outcomes).enumerate() {
        let audited = refreshed_events(&api, &admin, user_id, session_id).await;
        assert!(
            audited == outcome.rotated || audited == outcome.rotated + 1,
            "session {i}: {audited} `refreshed` events for {} acknowledged rotations",
            outcome.rotated
        );
    }
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
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_refresh_burst_exits_0_and_loses_no_acknowledged_rotation() {
    burst_then_signal(&[], "-TERM", 20).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_during_a_refresh_burst_exits_0_and_loses_no_acknowledged_rotation() {
    burst_then_signal(&["serve"], "-INT", 5).await;
}
