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
    on_pool!(db, read, |pool| select_events(filter, "").build_query_as().fetch_all(pool).await)
}

/// The list statement with only the filters `filter` asks for, after
/// `head` (empty, or `EXPLAIN …` in tests). One static statement with
/// `$n IS NULL OR …` for each filter would hide them from the planner:
/// SQLite then reads the whole table newest first whatever the filter, and
/// so does PostgreSQL once it settles on a generic plan.
fn select_events<'a, DB>(filter: &'a EventFilter, head: &str) -> sqlx::QueryBuilder<DB>
where
    DB: sqlx::Database,
    DB::Arguments: Default,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    let mut select = sqlx::QueryBuilder::new(head);
    select.push(
        "SELECT e.id, e.at, e.kind, e.user_id, e.session_id, e.ip, e.user_agent, e.detail, u.email \
         FROM auth_events e LEFT JOIN users u ON u.id = e.user_id",
    );
    let mut glue = " WHERE ";
    if let Some(before) = filter.before {
        select.push(glue).push("e.id < ").push_bind(before);
        glue = " AND ";
    }
    if let Some(user_id) = &filter.user_id {
        select.push(glue).push("e.user_id = ").push_bind(user_id.as_str());
        glue = " AND ";
    }
    if let Some(kind) = &filter.kind {
        select.push(glue).push("e.kind = ").push_bind(kind.as_str());
    }
    select.push(" ORDER BY e.id DESC LIMIT ").push_bind(filter.limit);
    select
}

/// Deletes events stored before `cutoff`, oldest first, `batch` ids per
/// statement; returns how many. Each range is its own short `DELETE`, so
/// SQLite's one writer is never held for long (one statement over a day of
/// events held it for seconds, and every refresh waited), and no index on
/// `at` is kept for it: every stored event wrote an entry there.
///
/// Events are stored in the order they happen, so the walk stops at the
/// first range that holds a newer event. An older one stored after it (the
/// clock stepped back, or another instance's batch came late) stays until
/// the events before it are pruned.
pub async fn prune_events(db: &Db, cutoff: i64, batch: i64) -> Result<u64, sqlx::Error> {
    let range_end = "SELECT MAX(id) FROM (SELECT id FROM auth_events WHERE id > $1 ORDER BY id LIMIT $2) AS range_ids";
    let delete = "DELETE FROM auth_events WHERE id > $1 AND id <= $2 AND at < $3";
    let mut pruned = 0;
    let mut after = 0_i64;
    loop {
        let (last,): (Option<i64>,) =
            on_pool!(db, read, |pool| sqlx::query_as(range_end).bind(after).bind(batch).fetch_one(pool).await?);
        let Some(last) = last else { return Ok(pruned) };
        let deleted = on_pool!(db, write, |pool| sqlx::query(delete)
            .bind(after)
            .bind(last)
            .bind(cutoff)
            .execute(pool)
            .await?
            .rows_affected());
        pruned += deleted;
        // A range not wholly deleted held a newer event, or ended the table.
        if deleted < batch.unsigned_abs() {
            return Ok(pruned);
        }
        after = last;
    }
}

#[cfg(test)]
mod tests {
    use sqlx::Row;

    use super::*;

    /// SQLite's plan for the list under `filter`, one line per step.
    async fn plan(db: &Db, filter: &EventFilter) -> Vec<String> {
        let Db::Sqlite { read, .. } = db else { unreachable!("opened on SQLite") };
        let rows = select_events(filter, "EXPLAIN QUERY PLAN ").build().fetch_all(read).await.expect("explain");
        rows.iter().map(|row| row.get::<String, _>("detail")).collect()
    }

    #[tokio::test]
    async fn each_filter_of_the_list_reads_in_id_order_and_a_kind_through_its_index() {
        // Arrange
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Db::connect(&format!("sqlite:{}", dir.path().join("events.db").display())).await.expect("open");
        db.migrate().await.expect("migrate");
        let user = Some("9a4c1f3e-8d2b-4e6f-a1c7-5b3d9e2f0a18".to_owned());
        let kind = Some("reuse_detected".to_owned());

        for (user_id, kind, before) in [
            (None, None, None),
            (None, None, Some(1_000)),
            (user.clone(), None, None),
            (None, kind.clone(), None),
            (None, kind.clone(), Some(1_000)),
            (user.clone(), kind.clone(), Some(1_000)),
        ] {
            let filter = EventFilter { limit: 50, before, user_id, kind };

            // Act
            let plan = plan(&db, &filter).await;

            // Assert: no sort of every match (the order is the table's or
            // the index's, so the read stops at the limit), and a kind is
            // looked up, not searched for row by row.
            assert!(!plan.iter().any(|step| step.contains("TEMP B-TREE")), "{filter:?} sorts: {plan:?}");
            if filter.kind.is_some() {
                assert!(plan.iter().any(|step| step.contains("auth_events_by_kind")), "{filter:?}: {plan:?}");
            }
        }
    }
}
