//! The `link_tokens` table: single-use links mailed to users, kept only as
//! a hash of the token.

use crate::db::{Db, on_pool};

/// A link as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkRow {
    pub token_hash: String,
    pub user_id: String,
    pub purpose: String,
    pub email: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// Stores a new link and revokes the user's earlier live links of the same
/// purpose (the newest mail is the one that works), in one transaction.
pub async fn insert_link(db: &Db, link: &LinkRow) -> Result<(), sqlx::Error> {
    let revoke = "UPDATE link_tokens SET revoked_at = $3 \
                  WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL AND revoked_at IS NULL";
    let insert = "INSERT INTO link_tokens (token_hash, user_id, purpose, email, created_at, expires_at) \
                  VALUES ($1, $2, $3, $4, $5, $6)";
    on_pool!(db, write, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query(revoke).bind(&link.user_id).bind(&link.purpose).bind(link.created_at).execute(&mut *tx).await?;
        sqlx::query(insert)
            .bind(&link.token_hash)
            .bind(&link.user_id)
            .bind(&link.purpose)
            .bind(&link.email)
            .bind(link.created_at)
            .bind(link.expires_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    })
}

/// The link with this token hash, read through the writer so a redemption
/// that just happened is seen.
pub async fn find_link(db: &Db, token_hash: &str) -> Result<Option<LinkRow>, sqlx::Error> {
    let sql = "SELECT token_hash, user_id, purpose, email, created_at, expires_at, used_at, revoked_at \
               FROM link_tokens WHERE token_hash = $1";
    on_pool!(db, write, |pool| sqlx::query_as(sql).bind(token_hash).fetch_optional(pool).await)
}

/// Marks the link used if it is still live: one compare-and-swap, so two
/// racing redemptions cannot both win. `Ok(false)`: it was not live.
pub async fn use_link(db: &Db, token_hash: &str, now: i64) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE link_tokens SET used_at = $2 \
               WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2";
    let done =
        on_pool!(db, write, |pool| sqlx::query(sql).bind(token_hash).bind(now).execute(pool).await?.rows_affected());
    Ok(done == 1)
}

/// True when the user has a live link for `purpose` (unused, unretired,
/// unexpired at `now`).
pub async fn has_live_link(db: &Db, user_id: &str, purpose: &str, now: i64) -> Result<bool, sqlx::Error> {
    let sql = "SELECT 1 FROM link_tokens WHERE user_id = $1 AND purpose = $2 \
               AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $3 LIMIT 1";
    let row: Option<(i32,)> = on_pool!(db, read, |pool| sqlx::query_as(sql)
        .bind(user_id)
        .bind(purpose)
        .bind(now)
        .fetch_optional(pool)
        .await?);
    Ok(row.is_some())
}

/// Deletes links that expired before `cutoff`; returns how many.
pub async fn prune_links(db: &Db, cutoff: i64) -> Result<u64, sqlx::Error> {
    let sql = "DELETE FROM link_tokens WHERE expires_at < $1";
    on_pool!(db, write, |pool| Ok(sqlx::query(sql).bind(cutoff).execute(pool).await?.rows_affected()))
}
