//! The `mail_outbox` table: mail waiting to go out. Sending is
//! at-least-once: an instance leases due rows by pushing their
//! `next_attempt_at` forward in one statement, so two instances never take
//! the same row at once, and a row whose sender died is taken again when
//! the lease ends.

use crate::db::{Db, on_pool};

/// A queued mail; `body` as stored (sealed when a key is configured).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueuedMail {
    pub id: String,
    pub to_addr: String,
    pub subject: String,
    pub body: Vec<u8>,
    pub expires_at: i64,
    pub attempts: i64,
}

pub async fn enqueue(db: &Db, mail: &QueuedMail, now: i64) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO mail_outbox (id, to_addr, subject, body, created_at, expires_at, attempts, next_attempt_at) \
               VALUES ($1, $2, $3, $4, $5, $6, 0, $5)";
    on_pool!(db, write, |pool| {
        sqlx::query(sql)
            .bind(&mail.id)
            .bind(&mail.to_addr)
            .bind(&mail.subject)
            .bind(&mail.body)
            .bind(now)
            .bind(mail.expires_at)
            .execute(pool)
            .await?;
        Ok(())
    })
}

/// Leases up to `limit` unsent mails that are due, until `lease_until`,
/// counting the attempt; oldest first.
pub async fn lease_due(db: &Db, now: i64, lease_until: i64, limit: i64) -> Result<Vec<QueuedMail>, sqlx::Error> {
    let sql = "UPDATE mail_outbox SET next_attempt_at = $2, attempts = attempts + 1 \
               WHERE id IN (SELECT id FROM mail_outbox WHERE sent_at IS NULL AND next_attempt_at <= $1 \
                            ORDER BY next_attempt_at, id LIMIT $3) \
               AND sent_at IS NULL AND next_attempt_at <= $1 \
               RETURNING id, to_addr, subject, body, expires_at, attempts";
    on_pool!(db, write, |pool| sqlx::query_as(sql).bind(now).bind(lease_until).bind(limit).fetch_all(pool).await)
}

/// Records a delivery; the body (which may hold a link) is erased.
pub async fn mark_sent(db: &Db, id: &str, now: i64) -> Result<(), sqlx::Error> {
    let sql = "UPDATE mail_outbox SET sent_at = $2, body = $3, last_error = NULL WHERE id = $1";
    on_pool!(db, write, |pool| {
        sqlx::query(sql).bind(id).bind(now).bind(Vec::<u8>::new()).execute(pool).await?;
        Ok(())
    })
}

/// Records a failed attempt; the next one is due at `retry_at`.
pub async fn mark_failed(db: &Db, id: &str, retry_at: i64, error: &str) -> Result<(), sqlx::Error> {
    let sql = "UPDATE mail_outbox SET next_attempt_at = $2, last_error = $3 WHERE id = $1";
    on_pool!(db, write, |pool| {
        sqlx::query(sql).bind(id).bind(retry_at).bind(error).execute(pool).await?;
        Ok(())
    })
}

/// Drops a mail that can no longer help (its link expired unsent).
pub async fn drop_mail(db: &Db, id: &str) -> Result<(), sqlx::Error> {
    on_pool!(db, write, |pool| {
        sqlx::query("DELETE FROM mail_outbox WHERE id = $1").bind(id).execute(pool).await?;
        Ok(())
    })
}

/// Deletes mail sent before `cutoff`; returns how many.
pub async fn prune_sent(db: &Db, cutoff: i64) -> Result<u64, sqlx::Error> {
    let sql = "DELETE FROM mail_outbox WHERE sent_at IS NOT NULL AND sent_at < $1";
    on_pool!(db, write, |pool| Ok(sqlx::query(sql).bind(cutoff).execute(pool).await?.rows_affected()))
}

/// How many mails are waiting (not sent yet).
pub async fn count_waiting(db: &Db) -> Result<i64, sqlx::Error> {
    let sql = "SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL";
    let (n,): (i64,) = on_pool!(db, read, |pool| sqlx::query_as(sql).fetch_one(pool).await?);
    Ok(n)
}
