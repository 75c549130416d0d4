//! The real `server` binary as a child process, for the tests that need the
//! process itself: its command line, its log output, its signals.

use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The line the server logs once it accepts connections.
pub const LISTENING: &str = "listening on http://";

/// `server` with only the environment a test gives it: everything outside
/// is cleared (no stray AUTH_* or DATABASE_URL) but `PATH` and the coverage
/// run's profile path, the working directory is `cwd` (no `.env` there),
/// and stdin is empty. `tokio::process::Command::from` turns it async.
pub fn server_command(cwd: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        // Coverage runs (cargo llvm-cov) tell the binary where to write its profile.
        .envs(std::env::vars_os().filter(|(name, _)| name.to_string_lossy().starts_with("LLVM_PROFILE")))
        .env("NO_COLOR", "1")
        .env("RUST_BACKTRACE", "1")
        .current_dir(cwd)
        .stdin(Stdio::null());
    command
}

/// A serving `server` process; killed when dropped, so a failing test never
/// leaves it running.
pub struct ServerProcess {
    child: Child,
    stdout_path: PathBuf,
    stderr_path: PathBuf,
}

impl ServerProcess {
    /// Starts `server [args]` in `dir` on port 0 with rate limits off and
    /// `env` on top, writing `dir/{name}.stdout.log` and `.stderr.log`.
    pub fn start(dir: &Path, name: &str, args: &[&str], env: &[(&str, &str)]) -> ServerProcess {
        let stdout_path = dir.join(format!("{name}.stdout.log"));
        let stderr_path = dir.join(format!("{name}.stderr.log"));
        let stdout = File::create(&stdout_path).expect("create the stdout file");
        let stderr = File::create(&stderr_path).expect("create the stderr file");
        let child = server_command(dir)
            .args(args)
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env("AUTH_RATE_LIMITS", "off")
            .envs(env.iter().copied())
            .stdout(Stdio::from(stdout))
            .stderr(Stdio::from(stderr))
            .spawn()
            .expect("start the server binary");
        ServerProcess { child, stdout_path, stderr_path }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stdout(&self) -> String {
        read_lossy(&self.stdout_path)
    }

    pub fn stderr(&self) -> String {
        read_lossy(&self.stderr_path)
    }

    /// Everything it wrote: stdout, then stderr.
    pub fn log(&self) -> String {
        self.stdout() + &self.stderr()
    }

    /// Waits (at most 60 s) for the "listening on http://ADDR" line.
    pub async fn wait_until_listening(&mut self) -> SocketAddr {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(addr) = listening_addr(&self.stdout()) {
                return addr;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the server exited early ({status}); log:\n{}", tail(&self.log()));
            }
            if Instant::now() >= deadline {
                panic!("no `{LISTENING}` line within 60 s; log:\n{}", tail(&self.log()));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for the process to exit; `None` when it is still running
    /// after `limit`.
    pub async fn wait_for_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
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

    /// Asks the server to stop (SIGTERM) so buffered lines are written;
    /// kills it if it has not stopped within 5 s.
    pub async fn stop(&mut self) {
        let _ = kill(self.pid(), "-TERM");
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
pub fn send_signal(pid: u32, signal: &str) {
    let status = kill(pid, signal).expect("run kill");
    assert!(status.success(), "kill {signal} {pid} failed: {status}");
}

fn kill(pid: u32, signal: &str) -> std::io::Result<ExitStatus> {
    Command::new("kill").args([signal, &pid.to_string()]).stdout(Stdio::null()).stderr(Stdio::null()).status()
}

fn read_lossy(path: &Path) -> String {
    std::fs::read(path).map(|bytes| String::from_utf8_lossy(&bytes).into_owned()).unwrap_or_default()
}

fn listening_addr(log: &str) -> Option<SocketAddr> {
    let start = log.find(LISTENING)? + LISTENING.len();
    let addr: String =
        log[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '[' | ']')).collect();
    addr.parse().ok()
}

/// The last 4 KB of a log, for failure messages.
pub fn tail(log: &str) -> &str {
    let mut start = log.len().saturating_sub(4096);
    while !log.is_char_boundary(start) {
        start += 1;
    }
    &log[start..]
}
