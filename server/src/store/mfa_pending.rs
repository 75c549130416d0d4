//! The `mfa_pending` table: password sign-ins waiting for their second
//! factor. Only a SHA-256 of the pending cookie's token is kept; a row is
//! single use, lives five minutes and dies at the fifth wrong code.

use crate::db::{Db, on_pool};

/// A password sign-in waiting for its second factor.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingRow {
    pub user_id: String,
    pub password_hash: String,
    pub expires_at: i64,
    pub failures: i64,
}

pub async fn insert_pending(
    db: &Db,
    token_hash: &str,
    user_id: &str,
    password_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO mfa_pending (token_hash, user_id, password_hash, created_at, expires_at) \
               VALUES ($1, $2, $3, $4, $5)";
    on_pool!(db, write, |pool| {
        sqlx::query(sql)
            .bind(token_hash)
            .bind(user_id)
            .bind(password_hash)
            .bind(now)
            .bind(expires_at)
            .execute(pool)
            .await?;
        Ok(())
    })
}

/// The pending sign-in behind a token hash, if it is still live (unexpired
/// at `now`, under `max_failures`).
pub async fn find_pending(
    db: &Db,
    token_hash: &str,
    now: i64,
    max_failures: i64,
) -> Result<Option<PendingRow>, sqlx::Error> {
    let sql = "SELECT user_id, password_hash, expires_at, failures FROM mfa_pending \
               WHERE token_hash = $1 AND expires_at > $2 AND failures < $3";
    on_pool!(db, write, |pool| sqlx::query_as(sql)
        .bind(token_hash)
        .bind(now)
        .bind(max_failures)
        .fetch_optional(pool)
        .await)
}

/// Counts a wrong code against a pending sign-in; deletes it at
/// `max_failures`. The failures counted so far.
pub async fn fail_pending(db: &Db, token_hash: &str, max_failures: i64) -> Result<i64, sqlx::Error> {
    let sql = "UPDATE mfa_pending SET failures = failures + 1 WHERE token_hash = $1 RETURNING failures";
    on_pool!(db, write, |pool| {
        let failures: Option<(i64,)> = sqlx::query_as(sql).bind(token_hash).fetch_optional(pool).await?;
        let failures = failures.map_or(max_failures, |(n,)| n);
        if failures >= max_failures {
            sqlx::query("DELETE FROM mfa_pending WHERE token_hash = $1").bind(token_hash).execute(pool).await?;
        }
        Ok(failures)
    })
}

/// Takes a pending sign-in for good: single use, so of two racing
/// completions only one starts a session. `Ok(false)`: already taken.
pub async fn take_pending(db: &Db, token_hash: &str, now: i64) -> Result<bool, sqlx::Error> {
    let sql = "DELETE FROM mfa_pending WHERE token_hash = $1 AND expires_at > $2";
    let done =
        on_pool!(db, write, |pool| sqlx::query(sql).bind(token_hash).bind(now).execute(pool).await?.rows_affected());
    Ok(done == 1)
}

/// Deletes pending sign-ins that expired before `cutoff`; returns how many.
pub async fn prune_pending(db: &Db, cutoff: i64) -> Result<u64, sqlx::Error> {
    let sql = "DELETE FROM mfa_pending WHERE expires_at < $1";
    on_pool!(db, write, |pool| Ok(sqlx::query(sql).bind(cutoff).execute(pool).await?.rows_affected()))
}
