//! Spawned servers and their fresh database: start N server processes on
//! port 0 sharing one database, preload sessions, read their memory, and
//! tear everything down again (also on error, Ctrl-C or panic).

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    str::FromStr,
    time::Duration,
};

use sqlx::{AssertSqlSafe, Connection, PgConnection, PgPool, SqlitePool, sqlite::SqliteConnectOptions};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    process::{Child, Command},
};

use crate::{
    cli::{Args, Backend},
    client::CookieNames,
};

/// How long a server may take to print its address (migrations included).
const START_TIMEOUT: Duration = Duration::from_secs(60);
const PRELOAD_BATCH: u64 = 1_000;

/// Running servers plus what they share. Dropping it kills the processes
/// and drops a PostgreSQL database that [`Servers::shutdown`] did not.
pub struct Servers {
    children: Vec<Child>,
    pub urls: Vec<String>,
    database_url: String,
    pg: Option<PgDatabase>,
    dir: tempfile::TempDir,
}

/// A database made for this run, with what it takes to drop it.
struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Servers {
    /// Makes the database, then starts the servers one after the other: the
    /// first runs the migrations and creates the keys alone.
    pub async fn start(args: &Args, backend: Backend, run_id: &str, names: &CookieNames) -> anyhow::Result<Self> {
        // The floor is this binary itself, serving (see `floor.rs`).
        let (bin, bin_args) = match backend {
            Backend::Floor => (std::env::current_exe()?, &[crate::floor::SERVE][..]),
            _ => (server_binary(args.server_bin.as_deref())?, &[][..]),
        };
        let dir = tempfile::Builder::new().prefix("cookie-auth-bench-").tempdir()?;
        let mut servers = Self { children: Vec::new(), urls: Vec::new(), database_url: String::new(), pg: None, dir };
        servers.database_url = match backend {
            Backend::Floor => String::new(),
            Backend::Sqlite => format!("sqlite://{}/bench.db", servers.dir.path().display()),
            Backend::Postgres => {
                let name = format!("cookie_auth_bench_{run_id}");
                let mut admin = PgConnection::connect(&args.pg_admin_url).await?;
                sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\""))).execute(&mut admin).await?;
                let url = with_database(&args.pg_admin_url, &name);
                // From here on, dropping `servers` drops the database too.
                servers.pg = Some(PgDatabase { admin_url: args.pg_admin_url.clone(), name });
                admin.close().await?;
                url
            }
        };
        for index in 0..args.instances {
            let log = servers.dir.path().join(format!("server-{index}.log"));
            let (child, url) = start_one(&bin, bin_args, args.pin, &servers.database_url, names, &log).await?;
            servers.children.push(child);
            servers.urls.push(url);
        }
        Ok(servers)
    }

    /// Resident memory of each server in MiB (`VmRSS`), where readable.
    pub fn rss_mib(&self) -> Vec<Option<f64>> {
        self.children.iter().map(|child| child.id().and_then(vm_rss_mib)).collect()
    }

    /// CPU time (user + system) the servers have used so far, in seconds,
    /// where readable (`/proc/<pid>/stat`, in Linux's 100 Hz `USER_HZ`).
    pub fn cpu_secs(&self) -> Option<f64> {
        self.children.iter().map(|child| child.id().and_then(cpu_secs_of)).sum()
    }

    /// Inserts `count` live sessions of one extra user straight into the
    /// database, in transactions of [`PRELOAD_BATCH`] rows.
    pub async fn preload(&self, count: u64, run_id: &str) -> anyhow::Result<()> {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs().cast_signed();
        let user_id = uuid::Uuid::new_v4().to_string();
        let email = format!("preload-{run_id}@example.com");
        let insert_user = "INSERT INTO users (id, email, password_hash, roles, created_at, updated_at) \
                           VALUES ($1, $2, 'x', 'user', $3, $3)";
        // One pool type per backend; the statements are the same.
        macro_rules! run {
            ($pool:expr) => {{
                let pool = $pool;
                sqlx::query(insert_user).bind(&user_id).bind(&email).bind(now).execute(&pool).await?;
                let mut done = 0;
                while done < count {
                    let rows = PRELOAD_BATCH.min(count - done);
                    let ids: Vec<String> = (0..rows).map(|_| uuid::Uuid::new_v4().to_string()).collect();
                    let mut tx = pool.begin().await?;
                    let mut query = sqlx::query(AssertSqlSafe(insert_sessions_sql(rows, now))).bind(&user_id);
                    for id in &ids {
                        query = query.bind(id);
                    }
                    query.execute(&mut *tx).await?;
                    tx.commit().await?;
                    done += rows;
                }
                pool.close().await;
            }};
        }
        if self.pg.is_some() {
            run!(PgPool::connect(&self.database_url).await?);
        } else {
            let options = SqliteConnectOptions::from_str(&self.database_url)?.busy_timeout(Duration::from_secs(30));
            run!(SqlitePool::connect_with(options).await?);
        }
        Ok(())
    }

    /// Kills the servers, then drops the PostgreSQL database.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        for child in &mut self.children {
            let _ = child.kill().await;
        }
        match self.pg.take() {
            Some(pg) => pg.drop_database().await,
            None => Ok(()),
        }
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.start_kill();
        }
        if let Some(pg) = self.pg.take() {
            // Drop cannot await, and a runtime cannot block inside itself:
            // drop the database from a thread with a runtime of its own.
            let worker = std::thread::spawn(move || -> anyhow::Result<()> {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                runtime.block_on(pg.drop_database())
            });
            if let Ok(Err(err)) = worker.join() {
                eprintln!("bench: could not drop the bench database: {err:#}");
            }
        }
    }
}

impl PgDatabase {
    async fn drop_database(self) -> anyhow::Result<()> {
        // The servers may still hold connections for a moment: FORCE ends them.
        let mut admin = PgConnection::connect(&self.admin_url).await?;
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut admin).await?;
        admin.close().await?;
        Ok(())
    }
}

/// The CPU `--pin` gives the servers; the driver takes [`DRIVER_CPU`].
const SERVER_CPU: &str = "1";
/// The CPU `--pin` gives this driver.
pub const DRIVER_CPU: &str = "0";

/// Moves every thread of this process to [`DRIVER_CPU`] (`--pin`).
pub async fn pin_driver() -> anyhow::Result<()> {
    let status = Command::new("taskset")
        .args(["-a", "-p", "-c", DRIVER_CPU, &std::process::id().to_string()])
        .stdout(Stdio::null())
        .status()
        .await
        .map_err(|err| anyhow::anyhow!("--pin needs taskset (util-linux): {err}"))?;
    anyhow::ensure!(status.success(), "taskset could not pin the driver to CPU {DRIVER_CPU}");
    Ok(())
}

/// Starts one server (on [`SERVER_CPU`] with one worker when `pin`) and
/// waits for its `listening on http://…` line.
async fn start_one(
    bin: &Path,
    args: &[&str],
    pin: bool,
    database_url: &str,
    names: &CookieNames,
    log: &Path,
) -> anyhow::Result<(Child, String)> {
    // taskset execs the server, so the child's pid is the server's.
    let mut command = if pin { Command::new("taskset") } else { Command::new(bin) };
    if pin {
        command.args(["-c", SERVER_CPU]).arg(bin).env("TOKIO_WORKER_THREADS", "1");
    }
    let mut child = command
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("AUTH_RATE_LIMITS", "off")
        .env("AUTH_ACCESS_COOKIE", &names.access)
        .env("AUTH_REFRESH_COOKIE", &names.refresh)
        // Quiet, except the one startup line that tells us the port.
        .env("RUST_LOG", "warn,server::startup=info")
        .env("NO_COLOR", "1")
        // Plain HTTP text logs whatever the caller's environment says.
        .env_remove("LOG_FORMAT")
        .env_remove("AUTH_TLS_CERT")
        .env_remove("AUTH_TLS_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(std::fs::File::options().create(true).append(true).open(log)?))
        .kill_on_drop(true)
        .spawn()
        .map_err(|err| anyhow::anyhow!("cannot start {}: {err}", bin.display()))?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow::anyhow!("no stdout from the server"))?;
    let mut lines = BufReader::new(stdout).lines();
    let mut file = tokio::fs::File::options().create(true).append(true).open(log).await?;

    let found = tokio::time::timeout(START_TIMEOUT, async {
        while let Some(line) = lines.next_line().await? {
            file.write_all(format!("{line}\n").as_bytes()).await?;
            if let Some(url) = listening_url(&line) {
                return Ok(Some(url));
            }
        }
        Ok::<_, std::io::Error>(None)
    })
    .await;
    let url = match found {
        Ok(Ok(Some(url))) => url,
        Ok(Ok(None)) => anyhow::bail!("the server exited before listening; its log:\n{}", tail(log)),
        Ok(Err(err)) => return Err(err.into()),
        Err(_) => anyhow::bail!("the server did not listen within 60 s; its log:\n{}", tail(log)),
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            if file.write_all(format!("{line}\n").as_bytes()).await.is_err() {
                break;
            }
        }
    });
    Ok((child, url))
}

/// `http://IP:PORT` out of a log line such as
/// `… INFO server::startup: listening on http://127.0.0.1:41234`.
fn listening_url(line: &str) -> Option<String> {
    let (_, rest) = line.split_once("listening on http://")?;
    let addr: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || ".:[]".contains(*c)).collect();
    (!addr.is_empty()).then(|| format!("http://{addr}"))
}

/// The last lines of a log file, for an error message.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// The explicit binary, or the first one built (server-release, release, debug).
fn server_binary(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = explicit {
        return Ok(path.to_owned());
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    ["server-release", "release", "debug"]
        .iter()
        .map(|profile| target.join(profile).join("server"))
        .find(|path| path.is_file())
        .ok_or_else(|| anyhow::anyhow!("no server binary under {}: build one or pass --server-bin", target.display()))
}

/// The admin URL with its database name replaced (query string kept).
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(base, query)| (base, Some(query)));
    let host_start = base.find("://").map_or(0, |i| i + 3);
    let base = base[host_start..].find('/').map_or(base, |slash| &base[..host_start + slash]);
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

/// `INSERT … VALUES (…), (…)` for `rows` sessions: `$1` is the user, `$2…`
/// the session ids; the times are constants of the batch.
fn insert_sessions_sql(rows: u64, now: i64) -> String {
    let (idle, absolute) = (now + 604_800, now + 2_592_000);
    let values: Vec<String> =
        (0..rows).map(|i| format!("(${}, $1, 0, {now}, {now}, {now}, {idle}, {absolute})", i + 2)).collect();
    format!(
        "INSERT INTO sessions (id, user_id, generation, rotated_at, created_at, last_used_at, \
         idle_expires_at, absolute_expires_at) VALUES {}",
        values.join(", ")
    )
}

/// `VmRSS` of a process in MiB.
fn vm_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

/// A process's CPU time so far (utime + stime), in seconds.
fn cpu_secs_of(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command, in parentheses, may hold spaces: count fields after it.
    // The first is the state (field 3); utime and stime are fields 14, 15.
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 1..)?.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}
