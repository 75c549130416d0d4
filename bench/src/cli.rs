//! The command line: what to run, against what, for how long.

use std::path::PathBuf;

use clap::{ArgGroup, Parser, ValueEnum};

/// Load benchmark for the cookie-auth server: many virtual users, each with
/// its own session (cookie jar) and its own keep-alive connection.
#[derive(Debug, Parser)]
#[command(name = "bench", version)]
#[command(group(ArgGroup::new("target").required(true).args(["urls", "spawn"])))]
pub struct Args {
    /// What each virtual user does in a loop.
    #[arg(long, value_enum, default_value_t = Scenario::Refresh)]
    pub scenario: Scenario,

    /// Virtual users; each holds its own session and connection.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..))]
    pub users: u32,

    /// Measured seconds (after the warm-up).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub duration: u64,

    /// Seconds of load before measuring starts (not counted).
    #[arg(long, default_value_t = 2)]
    pub warmup: u64,

    /// Total requests per second, paced evenly over all users; 0 = closed
    /// loop (as fast as possible). Paced latency counts from the scheduled
    /// send time, so a stalled server is not hidden (coordinated omission).
    #[arg(long, default_value_t = 0.0)]
    pub rate: f64,

    /// A running server, e.g. http://127.0.0.1:3000. Repeat for several
    /// instances; users are spread over them round-robin.
    #[arg(long = "url", value_name = "URL")]
    pub urls: Vec<String>,

    /// Start the server(s) here on a fresh database of this kind.
    #[arg(long, value_enum, conflicts_with = "urls")]
    pub spawn: Option<Backend>,

    /// With --spawn: how many server processes share the database.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=8))]
    pub instances: u32,

    /// With --spawn: the server binary. Default: $CARGO_TARGET_DIR (or
    /// target)/server-release/server, then release/server, then debug/server.
    #[arg(long, value_name = "PATH")]
    pub server_bin: Option<PathBuf>,

    /// With --spawn postgres: where to create (and drop) the bench database.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pub pg_admin_url: String,

    /// With --spawn: insert this many extra live sessions (of one extra
    /// user) into the database before the run, to measure a big table.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub preload: u64,

    /// Name of the access cookie (also passed to spawned servers).
    #[arg(long, default_value = "__Host-access")]
    pub access_cookie: String,

    /// Name of the refresh cookie (also passed to spawned servers).
    #[arg(long, default_value = "__Secure-refresh")]
    pub refresh_cookie: String,

    /// Registrations and logins in flight at once while creating sessions.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..))]
    pub setup_concurrency: u32,

    /// Skip the pass that checks every session still refreshes afterwards.
    #[arg(long)]
    pub no_verify: bool,

    /// Print the report as one JSON object instead of text.
    #[arg(long)]
    pub json: bool,

    /// With --spawn: this driver on CPU 0, each server on CPU 1 with one
    /// tokio worker, so the two never compete for a core (needs `taskset`
    /// from util-linux and two CPUs).
    #[arg(long)]
    pub pin: bool,
}

/// What a virtual user does per request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// `POST /api/auth/refresh`: each user's rotation chain back to back.
    Refresh,
    /// `GET /api/me` with the access cookie.
    Me,
    /// 90 % `GET /api/me`, 10 % refresh.
    Mixed,
    /// `POST /api/auth/login` (one Argon2 verification each).
    Login,
    /// Device-bound sessions (DBSC), each user with its own P-256 key:
    /// `POST /api/auth/device-binding/refresh` with a proof answering the
    /// challenge the last answer sent ahead (a browser's steady state).
    BoundRefresh,
    /// The same, each refresh first asking for its challenge (`403`), as a
    /// browser does when it has none: two requests a refresh.
    BoundRefreshChallenged,
}

/// The database the spawned servers share, or the floor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    Sqlite,
    Postgres,
    /// No database and no server: a bare axum server in this crate that
    /// answers the same request shapes with no crypto and no storage (the
    /// ceiling of HTTP on this stack; see `floor.rs`).
    Floor,
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Self::Refresh => "refresh",
            Self::Me => "me",
            Self::Mixed => "mixed",
            Self::Login => "login",
            Self::BoundRefresh => "bound-refresh",
            Self::BoundRefreshChallenged => "bound-refresh-challenged",
        }
    }

    /// The scenarios whose sessions are bound to a device.
    pub fn bound(self) -> bool {
        matches!(self, Self::BoundRefresh | Self::BoundRefreshChallenged)
    }
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
            Self::Floor => "floor",
        }
    }
}

impl Args {
    /// Checks the combinations clap cannot express.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.preload > 0 && matches!(self.spawn, None | Some(Backend::Floor)) {
            anyhow::bail!("--preload needs --spawn sqlite or postgres (it writes to the database directly)");
        }
        if self.spawn == Some(Backend::Floor) && self.scenario.bound() {
            anyhow::bail!("the floor has no device binding: run a bound scenario against a real server");
        }
        if self.pin && self.spawn.is_none() {
            anyhow::bail!("--pin needs --spawn: it places the servers it starts");
        }
        if !(self.rate.is_finite() && self.rate >= 0.0) {
            anyhow::bail!("--rate must be a number ≥ 0");
        }
        if self.access_cookie == self.refresh_cookie {
            anyhow::bail!("--access-cookie and --refresh-cookie must differ");
        }
        Ok(())
    }
}
