//! The `auth_events` table: the audit log.

use crate::db::{Db, on_pool};

/// One audit event as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub at: i64,
    pub kind: String,
    pub user_id: Option<String>,
    pub session_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub detail: Option<String>,
    /// The user's email (joined), when the user still exists.
    pub email: Option<String>,
}

/// An event to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub at: i64,
    pub kind: &'static str,
    pub user_id: Option<String>,
    pub session_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub detail: Option<String>,
}

/// Stores a batch in one multi-row `INSERT` (one statement, one commit):
/// on SQLite's single writer connection this holds the writer for a
/// fraction of the time a statement per event would.
pub async fn insert_events(db: &Db, events: &[NewEvent]) -> Result<(), sqlx::Error> {
    if events.is_empty() {
        return Ok(());
    }
    const INSERT: &str = "INSERT INTO auth_events (at, kind, user_id, session_id, ip, user_agent, detail) ";
    on_pool!(db, write, |pool| {
        let mut insert = sqlx::QueryBuilder::new(INSERT);
        insert.push_values(events, |mut row, e| {
            row.push_bind(e.at)
                .push_bind(e.kind)
                .push_bind(e.user_id.as_deref())
                .push_bind(e.session_id.as_deref())
                .push_bind(e.ip.as_deref())
                .push_bind(e.user_agent.as_deref())
                .push_bind(e.detail.as_deref());
        });
        insert.build().execute(pool).await?;
    });
    Ok(())
}

/// Which events to list.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub limit: i64,
    /// Only events older than this id (paging backwards).
    pub before: Option<i64>,
    pub user_id: Option<String>,
    pub kind: Option<String>,
}

/// Events matching `filter`, newest first.
pub async fn list_events(db: &Db, filter: &EventFilter) -> Result<Vec<EventRow>, sqlx::Error> {
    // Optional filters as `$n IS NULL OR …` keep one static statement.
    let sql = "SELECT e.id, e.at, e.kind, e.user_id, e.session_id, e.ip, e.user_agent, e.detail, u.email \
               FROM auth_events e LEFT JOIN users u ON u.id = e.user_id \
               WHERE ($1 IS NULL OR e.id < $1) AND ($2 IS NULL OR e.user_id = $2) AND ($3 IS NULL OR e.kind = $3) \
               ORDER BY e.id DESC LIMIT $4";
    on_pool!(db, read, |pool| {
        sqlx::query_as(sql)
            .bind(filter.before)
            .bind(&filter.user_id)
            .bind(&filter.kind)
            .bind(filter.limit)
            .fetch_all(pool)
            .await
    })
}

/// Deletes events older than `cutoff`; returns how many.
pub async fn prune_events(db: &Db, cutoff: i64) -> Result<u64, sqlx::Error> {
    let sql = "DELETE FROM auth_events WHERE at < $1";
    on_pool!(db, write, |pool| Ok(sqlx::query(sql).bind(cutoff).execute(pool).await?.rows_affected()))
}
