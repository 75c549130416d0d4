//! The server under test: [`TestApp`] runs the application in the test's
//! runtime on 127.0.0.1:0 (alone, beside a sibling on the same database, or
//! restarted), each test on a database of its own: a SQLite file in a temp
//! dir, or with `TEST_DATABASE_URL` a fresh PostgreSQL database.

use std::collections::HashMap;
use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicI64;
use std::time::Duration;

use server::config::Config;
use server::startup::Application;
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::ADMIN_VARS;
use super::api::{Api, User};

/// A server running in this test's runtime on 127.0.0.1:0, with its own
/// database. Dropping it stops the server (the shutdown sender drops).
pub struct TestApp {
    pub api: Api,
    /// Holds `app.db` (SQLite); kept alive so the file outlives the server.
    dir: TempDir,
    pub(super) vars: HashMap<String, String>,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
    /// The clock one-time codes are checked against (Unix seconds): pinned
    /// at start to the real time; tests move it to test drift exactly.
    pub code_clock: Arc<AtomicI64>,
}

impl Deref for TestApp {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

impl TestApp {
    /// A server with the contract's defaults (rate limits off).
    pub async fn spawn() -> TestApp {
        Self::spawn_with(&[]).await
    }

    /// A server with the defaults overridden by `overrides` (env var name, value).
    pub async fn spawn_with(overrides: &[(&str, &str)]) -> TestApp {
        let dir = tempfile::tempdir().expect("create a temp dir for the database");
        Self::spawn_in(dir, overrides).await
    }

    /// A server that seeds the admin [`super::ADMIN_EMAIL`] (`overrides` on
    /// top of the defaults), and that admin signed in.
    pub async fn spawn_with_admin(overrides: &[(&str, &str)]) -> (TestApp, User) {
        let mut vars = ADMIN_VARS.to_vec();
        vars.extend_from_slice(overrides);
        let app = Self::spawn_with(&vars).await;
        let admin = app.sign_in_admin().await;
        (app, admin)
    }

    /// A server whose database lives in `dir` (reused across restarts).
    pub async fn spawn_in(dir: TempDir, overrides: &[(&str, &str)]) -> TestApp {
        let mut vars = base_vars(dir.path());
        for (name, value) in overrides {
            vars.insert((*name).to_owned(), (*value).to_owned());
        }
        Self::start(dir, vars).await
    }

    async fn start(dir: TempDir, vars: HashMap<String, String>) -> TestApp {
        Self::start_skewed(dir, vars, 0).await
    }

    async fn start_skewed(dir: TempDir, mut vars: HashMap<String, String>, clock_offset_secs: i64) -> TestApp {
        // Only a database of this dir's own is swapped for PostgreSQL; a
        // sibling keeps the URL of the instance it shares a database with.
        let own_sqlite = sqlite_url(dir.path());
        if vars.get("DATABASE_URL") == Some(&own_sqlite)
            && let Some(url) = postgres_database_for(dir.path()).await
        {
            vars.insert("DATABASE_URL".to_owned(), url);
        }
        let lookup = vars.clone();
        let mut config =
            Config::from_lookup(move |name| lookup.get(name).cloned()).expect("the test configuration is valid");
        config.clock_offset_secs = clock_offset_secs;
        let code_clock = Arc::new(AtomicI64::new(server::store::now() + clock_offset_secs));
        config.code_clock = Some(code_clock.clone());
        let application = Application::build(config).await.expect("the application builds");
        let addr = application.local_addr();
        let (shutdown, signal) = oneshot::channel::<()>();
        let task = tokio::spawn(application.run_until(async move {
            // A send or a dropped sender both mean "stop".
            let _ = signal.await;
        }));
        let api = Api::new(addr, &vars);
        TestApp { api, dir, vars, shutdown, task, code_clock }
    }

    /// A second server instance on the same database with the same
    /// configuration (a new port): two instances behind a load balancer.
    pub async fn spawn_sibling(&self) -> TestApp {
        let dir = tempfile::tempdir().expect("create a temp dir");
        Self::start(dir, self.vars.clone()).await
    }

    /// Like [`TestApp::spawn_sibling`], on a machine whose clock runs
    /// `offset_secs` seconds off.
    pub async fn spawn_skewed_sibling(&self, offset_secs: i64) -> TestApp {
        let dir = tempfile::tempdir().expect("create a temp dir");
        Self::start_skewed(dir, self.vars.clone(), offset_secs).await
    }

    /// The database URL this server uses.
    pub fn database_url(&self) -> &str {
        &self.vars["DATABASE_URL"]
    }

    /// The temp dir holding the database.
    pub fn db_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Signals shutdown, waits for the server to finish, and hands back the
    /// database dir so a new server can be started on the same file.
    pub async fn stop(self) -> TempDir {
        self.stop_keeping_vars().await.0
    }

    /// Stops this server and starts a new one on the same database with the
    /// same configuration (a new port).
    pub async fn restart(self) -> TestApp {
        let (dir, vars) = self.stop_keeping_vars().await;
        Self::start(dir, vars).await
    }

    async fn stop_keeping_vars(self) -> (TempDir, HashMap<String, String>) {
        let TestApp { api, dir, vars, shutdown, task, .. } = self;
        // Drop our client first so its idle keep-alive connections close.
        drop(api);
        let _ = shutdown.send(());
        match tokio::time::timeout(Duration::from_secs(15), task).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(error))) => panic!("the server stopped with an error: {error}"),
            Ok(Err(join_error)) => panic!("the server task failed: {join_error}"),
            Err(_) => panic!("the server did not stop within 15 s of the shutdown signal"),
        }
        (dir, vars)
    }
}

/// The prefix of every database the tests make; `scripts/test.sh` drops
/// them all after the run.
pub const PG_TEST_DB_PREFIX: &str = "cookie_auth_test_";

/// The database a [`TestApp`] spawned in `dir` uses, for servers started
/// another way (the binary, the CLI): its own PostgreSQL database when
/// `TEST_DATABASE_URL` is set, else `dir/app.db`.
pub async fn database_url_for(dir: &Path) -> String {
    match postgres_database_for(dir).await {
        Some(url) => url,
        None => sqlite_url(dir),
    }
}

/// With `TEST_DATABASE_URL=postgres://…` set, the URL of a database of this
/// test's own, made on first use. Its name derives from the temp dir, so a
/// restarted server (same dir) finds the same database. `None` when the
/// variable is unset or empty.
pub async fn postgres_database_for(dir: &Path) -> Option<String> {
    use sqlx::Connection;

    let admin_url = match std::env::var("TEST_DATABASE_URL") {
        Err(std::env::VarError::NotPresent) => return None,
        Ok(url) if url.is_empty() => return None,
        Ok(url) if url.starts_with("postgres") => url,
        // Anything else would run the PostgreSQL pass on SQLite without a word.
        _ => panic!("TEST_DATABASE_URL is set but is not a postgres:// URL"),
    };
    let leaf = dir.file_name().and_then(|n| n.to_str()).unwrap_or("db");
    let name: String = format!("{PG_TEST_DB_PREFIX}{leaf}")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
        .collect();
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.expect("connect to TEST_DATABASE_URL");
    let exists: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_optional(&mut admin)
        .await
        .expect("query pg_database");
    if exists.is_none() {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut admin)
            .await
            .expect("create the test database");
    }
    let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(base, _)| base);
    Some(format!("{base}/{name}"))
}

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}/app.db", dir.display())
}

fn base_vars(dir: &Path) -> HashMap<String, String> {
    let mut vars = HashMap::new();
    vars.insert("DATABASE_URL".to_owned(), sqlite_url(dir));
    vars.insert("LEPTOS_SITE_ADDR".to_owned(), "127.0.0.1:0".to_owned());
    vars.insert("AUTH_RATE_LIMITS".to_owned(), "off".to_owned());
    vars.insert("AUTH_MAIL_OUTBOX".to_owned(), dir.join("outbox").display().to_string());
    vars
}
