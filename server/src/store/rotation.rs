//! The rotation of a refresh-token family: one compare-and-swap `UPDATE`
//! per session that advances its generation only if nobody else did.
//!
//! [`Rotations`] is group commit: one task takes every rotation waiting at
//! that moment (up to [`MAX_GROUP`]) and swaps them in one statement and
//! one commit. On SQLite every write goes through one connection anyway,
//! so the group is also one hop to sqlx's connection thread instead of one
//! per rotation; on PostgreSQL it is one round trip and one WAL flush
//! instead of one per rotation.
//! Each row is still its own compare-and-swap; a session asked for twice
//! in one group is held for the next one, so the second sees the first's
//! result exactly as it would have in two statements. A rotation whose
//! caller has gone (the client hung up while it waited) is left out, as it
//! was when each request ran its own statement.
//!
//! The task keeps the connection it took for as long as groups follow each
//! other, up to [`LEASE`], instead of taking it from sqlx's pool and giving
//! it back for every group: each of those is a round trip of its own (see
//! [`Lease`]). Idle, it first lets the other requests ready on its worker
//! ask, so a quiet server's rotations still share commits.
//!
//! When the database cannot serve (pool timeout, busy, I/O), every caller
//! in the group gets that answer at once (`503`); retrying each alone would
//! only wait out the same timeout once per row. Any other failure of a
//! grouped statement is retried one rotation at a time, so an error about
//! one row reaches only its caller. (Should a statement fail after SQLite
//! committed it, say while decoding a returned row, the retry finds the
//! sessions rotated and their callers take the slow path: the grace
//! answer, never a second rotation.) On PostgreSQL two instances can
//! group the same sessions (tabs behind a load balancer); each group lists
//! its rows in id order so both lock them in the same order, and should
//! PostgreSQL still break a deadlock, the statement it fails is retried
//! one rotation at a time like any other failure.

use std::{
    collections::HashMap,
    panic::AssertUnwindSafe,
    sync::{Arc, LazyLock},
    time::{Duration, Instant},
};

use futures::FutureExt;

use sqlx::{Database, Executor, PgPool, Pool, Postgres, Sqlite, SqlitePool, pool::PoolConnection, query::QueryAs};
use tokio::sync::{mpsc, mpsc::error::TryRecvError, oneshot};

use crate::{db::Db, error::is_unavailable};

/// What a successful rotation needs to issue the successor, returned by the
/// compare-and-swap itself so the hot path is one statement.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Rotated {
    pub user_id: String,
    pub idle_expires_at: i64,
    pub absolute_expires_at: i64,
    pub email: String,
    pub roles: String,
    pub authz_version: i64,
    pub email_verified_at: Option<i64>,
    pub auth_time: i64,
    pub amr: String,
    pub mfa_enrolled_at: Option<i64>,
    pub binding_jkt: Option<String>,
}

/// What a rotation proves about the device (DBSC), for
/// [`rotate_if_current`].
#[derive(Debug, Clone, Copy)]
pub enum DeviceCheck<'a> {
    /// No proof: only an unbound session rotates.
    Unbound,
    /// A registration: an unbound session rotates and is bound to this key
    /// (its canonical JWK and thumbprint) in the same statement.
    Bind { key: &'a str, jkt: &'a str },
    /// A proof signed by the key of this thumbprint: only the session bound
    /// to it rotates.
    BoundTo { jkt: &'a str },
}

/// The hot path of a refresh: advance the live generation from `expected`
/// to `expected + 1` if nobody else did, the session is live and within
/// both limits and `device` holds, sliding the idle limit (capped by the
/// absolute one) and returning what the new tokens need. `None`: the
/// caller must read the session to find out why (race, reuse, expiry,
/// binding).
pub async fn rotate_if_current(
    db: &Db,
    id: &str,
    expected: i64,
    now: i64,
    idle_secs: i64,
    device: DeviceCheck<'_>,
) -> Result<Option<Rotated>, sqlx::Error> {
    // The key being bound (registration only), and the thumbprint a proof
    // was checked against (registration or bound refresh).
    let (key, jkt) = match device {
        DeviceCheck::Unbound => (None, None),
        DeviceCheck::Bind { key, jkt } => (Some(key), Some(jkt)),
        DeviceCheck::BoundTo { jkt } => (None, Some(jkt)),
    };
    let swap =
        Swap { id: id.to_owned(), expected, now, idle_secs, key: key.map(str::to_owned), jkt: jkt.map(str::to_owned) };
    match db {
        Db::Sqlite { rotations, .. } | Db::Postgres { rotations, .. } => rotations.rotate(swap).await,
    }
}

/// The most rotations one grouped statement swaps.
pub const MAX_GROUP: usize = 64;

/// The group sizes a statement is prepared for; a group is padded up to
/// the next one with rows that match no session, so the connection's
/// statement cache holds seven statements, not sixty-four.
const SIZES: [usize; 7] = [1, 2, 4, 8, 16, 32, MAX_GROUP];

/// The statements for each of [`SIZES`], with SQLite's clock and its
/// anonymous `?` parameters (sqlx looks up every `$n` by name when it
/// binds, a scan of the names per parameter: quadratic in a group).
static SQLITE_SQL: LazyLock<Vec<String>> =
    LazyLock::new(|| SIZES.iter().map(|&rows| rotate_sql(rows, "unixepoch()", |_| "?".to_owned())).collect());

/// The same with PostgreSQL's clock and `$n` parameters.
static POSTGRES_SQL: LazyLock<Vec<String>> = LazyLock::new(|| {
    SIZES
        .iter()
        .map(|&rows| rotate_sql(rows, "CAST(FLOOR(EXTRACT(EPOCH FROM now())) AS BIGINT)", |n| format!("${n}")))
        .collect()
});

/// The compare-and-swap for `rows` sessions at once, `db_now` the
/// database's clock, `param(n)` the spelling of the `n`th parameter. `rotated_at` is that clock: the grace window is
/// measured against it (see `sessions::find_session_fresh`), never against
/// an instance's. CASE rather than MIN/LEAST: the one spelling both
/// backends accept.
fn rotate_sql(rows: usize, db_now: &str, param: fn(usize) -> String) -> String {
    let values: Vec<String> = (0..rows)
        .map(|row| {
            let first = row * Swap::PARAMS;
            let params: Vec<String> = (first + 1..=first + Swap::PARAMS).map(param).collect();
            format!("({})", params.join(", "))
        })
        .collect();
    format!(
        "WITH swap(id, expected, at, idle, bkey, bjkt) AS (VALUES {values}) \
         UPDATE sessions SET generation = sessions.generation + 1, rotated_at = {db_now}, last_used_at = swap.at, \
         idle_expires_at = CASE WHEN swap.at + swap.idle < sessions.absolute_expires_at \
         THEN swap.at + swap.idle ELSE sessions.absolute_expires_at END, \
         binding_key = COALESCE(sessions.binding_key, swap.bkey), \
         binding_jkt = COALESCE(sessions.binding_jkt, swap.bjkt), \
         bound_at = CASE WHEN sessions.bound_at IS NULL AND swap.bkey IS NOT NULL THEN swap.at ELSE sessions.bound_at END, \
         bound_generation = CASE WHEN sessions.bound_generation IS NULL AND swap.bkey IS NOT NULL \
         THEN sessions.generation + 1 ELSE sessions.bound_generation END \
         FROM swap \
         WHERE sessions.id = swap.id AND sessions.generation = swap.expected AND sessions.revoked_at IS NULL \
         AND sessions.idle_expires_at > swap.at AND sessions.absolute_expires_at > swap.at \
         AND ((sessions.binding_jkt IS NULL AND (swap.bjkt IS NULL OR swap.bkey IS NOT NULL)) \
         OR (sessions.binding_jkt = swap.bjkt AND swap.bkey IS NULL)) \
         RETURNING sessions.id AS id, sessions.user_id AS user_id, sessions.idle_expires_at AS idle_expires_at, \
         sessions.absolute_expires_at AS absolute_expires_at, sessions.auth_time AS auth_time, \
         sessions.amr AS amr, sessions.binding_jkt AS binding_jkt, \
         (SELECT email FROM users WHERE users.id = sessions.user_id) AS email, \
         (SELECT roles FROM users WHERE users.id = sessions.user_id) AS roles, \
         (SELECT authz_version FROM users WHERE users.id = sessions.user_id) AS authz_version, \
         (SELECT email_verified_at FROM users WHERE users.id = sessions.user_id) AS email_verified_at, \
         (SELECT mfa_enrolled_at FROM users WHERE users.id = sessions.user_id) AS mfa_enrolled_at",
        values = values.join(", ")
    )
}

/// One rotation asked for: the statement's parameters for one row.
#[derive(Debug)]
struct Swap {
    id: String,
    expected: i64,
    now: i64,
    idle_secs: i64,
    key: Option<String>,
    jkt: Option<String>,
}

impl Swap {
    /// Parameters per row of [`rotate_sql`].
    const PARAMS: usize = 6;

    fn bind<'q, DB, O>(&'q self, query: QueryAs<'q, DB, O, DB::Arguments>) -> QueryAs<'q, DB, O, DB::Arguments>
    where
        DB: sqlx::Database,
        &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    {
        query
            .bind(self.id.as_str())
            .bind(self.expected)
            .bind(self.now)
            .bind(self.idle_secs)
            .bind(self.key.as_deref())
            .bind(self.jkt.as_deref())
    }
}

/// A rotated row and whose it is.
#[derive(Debug, sqlx::FromRow)]
struct RotatedRow {
    id: String,
    #[sqlx(flatten)]
    rotated: Rotated,
}

type Answer = Result<Option<Rotated>, sqlx::Error>;

/// A rotation waiting for its group, and where its answer goes.
struct Job {
    swap: Swap,
    answer: oneshot::Sender<Answer>,
}

/// Where a group is written: SQLite's writer pool, or the PostgreSQL pool.
#[derive(Debug)]
pub enum Writer {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The queue in front of the database for rotations (see the module
/// docs). Cheap to clone.
#[derive(Clone, Debug)]
pub struct Rotations {
    jobs: mpsc::UnboundedSender<Job>,
}

impl Rotations {
    /// Starts the task that swaps each group on `write`; it ends once every
    /// handle is dropped.
    pub fn start(write: Writer) -> Self {
        let (jobs, queue) = mpsc::unbounded_channel();
        match write {
            Writer::Sqlite(pool) => tokio::spawn(Groups::<Sqlite> { pool, sql: &SQLITE_SQL }.supervise(queue)),
            Writer::Postgres(pool) => tokio::spawn(Groups::<Postgres> { pool, sql: &POSTGRES_SQL }.supervise(queue)),
        };
        Self { jobs }
    }

    async fn rotate(&self, swap: Swap) -> Answer {
        let (answer, answered) = oneshot::channel();
        self.jobs.send(Job { swap, answer }).map_err(|_| sqlx::Error::PoolClosed)?;
        // The task answers every job it takes; no answer means it is gone.
        answered.await.map_err(|_| sqlx::Error::PoolClosed)?
    }
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("session", &self.swap.id).finish_non_exhaustive()
    }
}

/// Runs the task `start` makes until one ends, and starts another each
/// time one panics.
///
/// Every refresh goes through the group task, so a panic in it (none is
/// known; sqlx or a bug could still bring one) must not leave the server
/// answering `503` to every refresh until it restarts. The panicking run's
/// jobs are dropped with it, so their callers get `503` (their answer
/// channel closed); its connection goes back to the pool as it unwinds; the
/// queue outlives it, and the next run takes the jobs that wait.
async fn supervised<F, Task>(mut start: F)
where
    F: FnMut() -> Task,
    Task: Future<Output = ()>,
{
    while let Err(panic) = AssertUnwindSafe(start()).catch_unwind().await {
        let message = panic
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(no message)");
        tracing::error!(panic = message, "the rotation group task panicked; starting it again");
    }
}

/// The longest the group task keeps one connection while groups keep
/// coming; then it gives it back so other writers waiting for SQLite's one
/// writer connection (logins, the audit writer) go first.
const LEASE: Duration = Duration::from_millis(2);

/// The connection a run of back-to-back groups uses, and since when.
///
/// Taking a connection from sqlx's pool and giving it back each cost a
/// round trip to it (on SQLite a hop to its connection thread and back, a
/// pair of context switches; on PostgreSQL a network round trip), as much
/// as the group's statement itself. Under load groups follow each other,
/// so they share one take and one give-back.
struct Lease<DB: Database> {
    conn: PoolConnection<DB>,
    since: Instant,
}

/// Waits for the next job, keeping the connection until the lease ends;
/// `None` once every handle is dropped.
async fn next_job<DB: Database>(
    queue: &mut mpsc::UnboundedReceiver<Job>,
    lease: &mut Option<Lease<DB>>,
) -> Option<Job> {
    if let Some(held) = lease {
        if let Ok(job) = tokio::time::timeout_at((held.since + LEASE).into(), queue.recv()).await {
            return job;
        }
        // Idle for the rest of the lease: give the connection back.
        *lease = None;
    }
    queue.recv().await
}

/// One backend's side of the group task: its pool and its statements
/// (one for each of [`SIZES`]).
struct Groups<DB: Database> {
    pool: Pool<DB>,
    sql: &'static [String],
}

impl<DB> Groups<DB>
where
    DB: Database,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    RotatedRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    /// The group task: [`Self::run`] on `queue`, started again should it
    /// panic (see [`supervised`]).
    async fn supervise(self, queue: mpsc::UnboundedReceiver<Job>) {
        let (groups, queue) = (Arc::new(self), Arc::new(tokio::sync::Mutex::new(queue)));
        supervised(|| {
            let (groups, queue) = (groups.clone(), queue.clone());
            async move { groups.run(&mut *queue.lock().await).await }
        })
        .await;
    }

    /// Takes what waits, swaps it as one group, answers, and again.
    async fn run(&self, queue: &mut mpsc::UnboundedReceiver<Job>) {
        // Jobs for a session already in the group, held for the next one.
        let mut held: Vec<Job> = Vec::new();
        let mut lease: Option<Lease<DB>> = None;
        loop {
            if held.is_empty() {
                let job = match queue.try_recv() {
                    Ok(job) => job,
                    Err(TryRecvError::Disconnected) => break,
                    Err(TryRecvError::Empty) => {
                        let Some(job) = next_job(queue, &mut lease).await else { break };
                        // This task was idle, so it ran as soon as the first
                        // caller asked: let the other requests ready on this
                        // worker ask too, so they share the group's commit.
                        tokio::task::yield_now().await;
                        job
                    }
                };
                held.push(job);
            }
            let mut waiting = std::mem::take(&mut held).into_iter();
            let mut group: Vec<Job> = Vec::with_capacity(MAX_GROUP);
            while group.len() < MAX_GROUP {
                let Some(job) = waiting.next().or_else(|| queue.try_recv().ok()) else { break };
                if job.answer.is_closed() {
                    continue;
                }
                if group.iter().any(|taken| taken.swap.id == job.swap.id) {
                    held.push(job);
                } else {
                    group.push(job);
                }
            }
            held.extend(waiting);
            if group.is_empty() {
                continue;
            }
            if lease.as_ref().is_some_and(|lease| lease.since.elapsed() >= LEASE) {
                lease = None;
            }
            let conn = match lease {
                Some(ref mut lease) => &mut lease.conn,
                None => match self.pool.acquire().await {
                    Ok(conn) => &mut lease.insert(Lease { conn, since: Instant::now() }).conn,
                    Err(err) => {
                        tracing::warn!(error = %err, rotations = group.len(), "no connection for a rotation group");
                        answer_unavailable(group, &err);
                        continue;
                    }
                },
            };
            if !self.swap_group(conn, group).await {
                // The connection may be what failed: the next group takes
                // another (the pool checks this one on its way back).
                lease = None;
            }
        }
    }

    /// Swaps `group` in one statement on `conn` and answers each job; false
    /// when the statement failed.
    async fn swap_group(&self, conn: &mut DB::Connection, group: Vec<Job>) -> bool {
        let sql = self.sql;
        let size = SIZES.iter().position(|&rows| rows >= group.len()).unwrap_or(SIZES.len() - 1);
        // In the order of their ids, so two instances grouping the same
        // sessions on PostgreSQL lock their rows in the same order.
        let mut swaps: Vec<&Swap> = group.iter().map(|job| &job.swap).collect();
        swaps.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        match grouped(&sql[size], &swaps, SIZES[size]).fetch_all(&mut *conn).await {
            Ok(rows) => {
                let mut rotated: HashMap<String, Rotated> = rows.into_iter().map(|row| (row.id, row.rotated)).collect();
                for job in group {
                    // A caller gone while its group ran: the rotation stands,
                    // and a retry within the grace window gets the live token.
                    let _ = job.answer.send(Ok(rotated.remove(&job.swap.id)));
                }
                true
            }
            Err(err) if is_unavailable(&err) => {
                tracing::warn!(error = %err, rotations = group.len(), "a grouped rotation found the database unavailable");
                answer_unavailable(group, &err);
                false
            }
            Err(err) => {
                tracing::warn!(error = %err, rotations = group.len(), "a grouped rotation failed; trying each alone");
                for job in group {
                    let alone = grouped(&sql[0], &[&job.swap], SIZES[0]).fetch_optional(&mut *conn).await;
                    let _ = job.answer.send(alone.map(|row| row.map(|row| row.rotated)));
                }
                false
            }
        }
    }
}

/// `sql` (the statement for `rows` rows) bound to `swaps`, padded up to
/// `rows` with rows that match no session.
fn grouped<'q, DB>(sql: &'static str, swaps: &[&'q Swap], rows: usize) -> QueryAs<'q, DB, RotatedRow, DB::Arguments>
where
    DB: sqlx::Database,
    RotatedRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    static PADDING: Swap = Swap { id: String::new(), expected: -1, now: 0, idle_secs: 0, key: None, jkt: None };
    let mut query = sqlx::query_as(sql);
    for swap in swaps.iter().copied().chain(std::iter::repeat_n(&PADDING, rows.saturating_sub(swaps.len()))) {
        query = swap.bind(query);
    }
    query
}

/// Answers every job of `group` with `err`, the database's "cannot serve
/// now".
fn answer_unavailable(group: Vec<Job>, err: &sqlx::Error) {
    for job in group {
        let _ = job.answer.send(Err(unavailable_again(err)));
    }
}

/// The same "cannot serve now" for another caller (`sqlx::Error` is not
/// `Clone`); `ApiError` turns each into `503 unavailable`.
fn unavailable_again(err: &sqlx::Error) -> sqlx::Error {
    match err {
        sqlx::Error::PoolTimedOut => sqlx::Error::PoolTimedOut,
        sqlx::Error::PoolClosed => sqlx::Error::PoolClosed,
        other => sqlx::Error::Io(std::io::Error::other(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

    use super::*;

    #[tokio::test]
    async fn a_task_that_panics_is_started_again_until_it_ends() {
        // Arrange
        let runs = AtomicUsize::new(0);

        // Act: the first two runs panic, the third ends.
        supervised(|| {
            let panics = runs.fetch_add(1, Relaxed) < 2;
            async move {
                if panics {
                    panic!("a bug in a rotation group");
                }
            }
        })
        .await;

        // Assert
        assert_eq!(runs.load(Relaxed), 3);
    }
}
