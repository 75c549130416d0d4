//! The real binary, stopped by SIGTERM (or Ctrl-C's SIGINT) in the middle of
//! a burst of refreshes, exits 0 within 15 s and loses no acknowledged
//! rotation: for every session, the last refresh token a `200` handed out
//! still refreshes on a server started afterwards on the same database.

mod common;

use std::fs::File;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::*;
use reqwest::Method;
use reqwest::header::SET_COOKIE;
use tempfile::TempDir;

const LISTENING: &str = "listening on http://";
/// How long the burst runs before the signal.
const BURST_BEFORE_SIGNAL: Duration = Duration::from_millis(300);
/// How long the process may take to exit after the signal.
const EXIT_LIMIT: Duration = Duration::from_secs(15);

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
    /// Starts `server [args]` on `db`, logging to `db.dir/{name}.log`.
    fn start(db: &Database, name: &str, args: &[&str]) -> ServerProcess {
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
    /// Any other status, with its body: never expected.
    unexpected: Vec<(u16, String)>,
    /// When the first transport error (refused / closed connection) ended the loop.
    ended_by_error_at: Option<Instant>,
}

/// Refreshes sequentially with its own client until a transport error (or
/// `deadline`), keeping the refresh token of every `200`.
async fn refresh_loop(addr: SocketAddr, token: String, deadline: Instant) -> Outcome {
    // A client of its own: its own keep-alive connection, like a browser.
    let api = Api::for_addr(addr);
    let mut outcome =
        Outcome { latest: token, rotated: 0, unavailable: 0, unexpected: Vec::new(), ended_by_error_at: None };
    while Instant::now() < deadline {
        let jar = api.jar_with_refresh(&outcome.latest);
        let response = match api.request(Method::POST, "/api/auth/refresh", &jar).send().await {
            Ok(response) => response,
            Err(_) => {
                outcome.ended_by_error_at = Some(Instant::now());
                break;
            }
        };
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
            }
            (503, _) => {
                outcome.unavailable += 1;
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

/// Starts the binary with `args`, makes `sessions` sessions, runs a refresh
/// burst, sends `signal` after [`BURST_BEFORE_SIGNAL`], and checks the exit
/// and that every session's last acknowledged token survives a restart.
async fn burst_then_signal(args: &[&str], signal: &str, sessions: usize) {
    // Arrange: a server with `sessions` registered users.
    let db = Database::new().await;
    let mut server = ServerProcess::start(&db, "first", args);
    let addr = server.wait_until_listening().await;
    let api = Api::for_addr(addr);
    let mut registrations = tokio::task::JoinSet::new();
    for _ in 0..sessions {
        let api = api.clone();
        registrations.spawn(async move { api.new_user().await });
    }
    let mut tokens = Vec::new();
    while let Some(user) = registrations.join_next().await {
        let user = user.expect("a registration task");
        tokens.push(api.refresh_token(&user.jar));
    }
    drop(api);

    // Act: the burst, then the signal in the middle of it.
    let deadline = Instant::now() + Duration::from_secs(60);
    let loops: Vec<_> = tokens.iter().map(|token| tokio::spawn(refresh_loop(addr, token.clone(), deadline))).collect();
    tokio::time::sleep(BURST_BEFORE_SIGNAL).await;
    let signalled_at = Instant::now();
    send_signal(server.pid(), signal);
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
    let rotated: usize = outcomes.iter().map(|outcome| outcome.rotated).sum();
    let unavailable: usize = outcomes.iter().map(|outcome| outcome.unavailable).sum();
    assert!(rotated > 0, "the burst got no 200 ({unavailable} answers were 503); log:\n{}", tail(&log));
    for (i, outcome) in outcomes.iter().enumerate() {
        assert!(outcome.unexpected.is_empty(), "session {i} got unexpected answers: {:?}", outcome.unexpected);
        let ended_at = outcome
            .ended_by_error_at
            .unwrap_or_else(|| panic!("session {i}'s loop was never refused: it ran into the 60 s deadline"));
        assert!(ended_at >= signalled_at, "session {i} lost its connection before the signal; log:\n{}", tail(&log));
    }

    // Assert: no acknowledged rotation lost.
    let mut second = ServerProcess::start(&db, "second", &[]);
    let addr = second.wait_until_listening().await;
    let api = Api::for_addr(addr);
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
