//! The database handle: SQLite (embedded default) or PostgreSQL, chosen by
//! `DATABASE_URL` at start. Queries are written once in portable SQL
//! (`$1` placeholders work on both) and run on the concrete pool through
//! [`on_pool!`], so each backend keeps its native, prepared-statement path.
//!
//! SQLite gets two pools: many readers, and exactly one writer connection.
//! Funnelling writes through one connection means SQLite never answers
//! "database is locked" to concurrent refreshes (WAL lets readers go on
//! while it writes), and it is faster than writers fighting for the lock.
//! The writer never checkpoints: a background task does (PASSIVE, once a
//! second, on a reader connection), so the checkpoint's fsync never stalls
//! a commit — that stall was most of the refresh path's p95 latency.
//! Rotations queue for the writer as groups, one statement each
//! (`store::rotation`); on PostgreSQL too, one round trip and one commit
//! per group. SQLite's pools hand out connections without a ping first
//! (a file cannot hang up; the ping was a thread hop per query).

use std::{str::FromStr, time::Duration};

use sqlx::{
    PgPool, SqlitePool,
    postgres::PgPoolOptions,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use crate::store::rotation::{MAX_GROUP, Rotations, Writer};

#[derive(Clone, Debug)]
pub enum Db {
    /// `rotations` groups the refresh path's writes (see `store::rotation`).
    Sqlite { read: SqlitePool, write: SqlitePool, rotations: Rotations },
    /// `rotations` groups the refresh path's writes here too.
    Postgres { pool: PgPool, rotations: Rotations },
}

/// Runs `$body` with `$pool` bound to the concrete pool: `read` picks
/// SQLite's reader pool, `write` its single writer.
macro_rules! on_pool {
    ($db:expr, read, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite { read: $pool, .. } => $body,
            $crate::db::Db::Postgres { pool: $pool, .. } => $body,
        }
    };
    ($db:expr, write, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite { write: $pool, .. } => $body,
            $crate::db::Db::Postgres { pool: $pool, .. } => $body,
        }
    };
}
pub(crate) use on_pool;

impl Db {
    /// Runs `task` every `period` (the first time one period from now)
    /// until the pools close: the background reloads and housekeeping.
    pub async fn every<F, Fut>(&self, period: Duration, mut task: F)
    where
        F: FnMut(Db) -> Fut,
        Fut: Future<Output = ()>,
    {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            if self.is_closed() {
                break;
            }
            task(self.clone()).await;
        }
    }

    /// Connects (creating a SQLite file and its directory when missing).
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true);
            if let Some(dir) = options.get_filename().parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir)?;
            }
            // No ping before handing out a connection: it cannot have been
            // lost (a file, not a network peer), and the ping is a hop to
            // its connection thread and back on every query.
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(10))
                // A group's rows all fit in the channel back from sqlx's
                // connection thread, which therefore never waits for this
                // side to take them.
                .connect_with(options.clone().pragma("wal_autocheckpoint", "0").row_buffer_size(2 * MAX_GROUP))
                .await?;
            let read = SqlitePoolOptions::new()
                .max_connections(8)
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            tokio::spawn(checkpoint_wal(read.clone()));
            let rotations = Rotations::start(Writer::Sqlite(write.clone()));
            Ok(Self::Sqlite { read, write, rotations })
        } else {
            let pool =
                PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
            let rotations = Rotations::start(Writer::Postgres(pool.clone()));
            Ok(Self::Postgres { pool, rotations })
        }
    }

    /// Applies the numbered migrations of this backend.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Self::Sqlite { write, .. } => sqlx::migrate!("./migrations/sqlite").run(write).await?,
            Self::Postgres { pool, .. } => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// Picks the spelling of a statement for this backend, where the two
    /// differ (the database's clock, say).
    pub fn dialect(&self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        match self {
            Self::Sqlite { .. } => sqlite,
            Self::Postgres { .. } => postgres,
        }
    }

    /// True when the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        on_pool!(self, read, |pool| sqlx::query("SELECT 1").execute(pool).await.is_ok())
    }

    /// True once [`Db::close`] ran.
    pub fn is_closed(&self) -> bool {
        on_pool!(self, write, |pool| pool.is_closed())
    }

    pub async fn close(&self) {
        match self {
            Self::Sqlite { read, write, .. } => {
                read.close().await;
                write.close().await;
            }
            Self::Postgres { pool, .. } => pool.close().await,
        }
    }
}

/// Moves committed WAL pages into the database file once a second, off the
/// writer's path; ends when the pool closes.
async fn checkpoint_wal(pool: SqlitePool) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !pool.is_closed() {
        tick.tick().await;
        if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
            if pool.is_closed() {
                break;
            }
            tracing::warn!(error = %err, "WAL checkpoint failed");
        }
    }
}
