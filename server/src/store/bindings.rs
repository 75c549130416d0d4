//! Device binding on the `sessions` table: the key a session is bound to
//! (set once), and the mark left when a renewal without its proof was
//! refused. The rotation that binds is `rotation::rotate_if_current`.

use crate::db::{Db, on_pool};

/// What a device-binding refresh needs of a session before it checks a
/// proof: its device key (if bound) and live generation.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BoundKey {
    pub binding_key: Option<String>,
    pub generation: i64,
}

/// The device key and live generation of a live session. A reader
/// suffices: the key never changes once set, and the generation is only
/// a hint (the rotation itself is a compare-and-swap).
pub async fn find_bound_key(db: &Db, id: &str, now: i64) -> Result<Option<BoundKey>, sqlx::Error> {
    let sql = "SELECT binding_key, generation FROM sessions \
               WHERE id = $1 AND revoked_at IS NULL AND idle_expires_at > $2 AND absolute_expires_at > $2";
    on_pool!(db, read, |pool| sqlx::query_as(sql).bind(id).bind(now).fetch_optional(pool).await)
}

/// Binds a live, unbound session at generation `generation` to a key
/// without rotating (a registration that lost a race to the scheduler's
/// refresh and is answered with the live token). `Ok(false)`: it was not.
pub async fn bind_at(db: &Db, id: &str, generation: i64, key: &str, jkt: &str, now: i64) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE sessions SET binding_key = $3, binding_jkt = $4, bound_at = $5, bound_generation = $2 \
               WHERE id = $1 AND generation = $2 AND binding_jkt IS NULL AND revoked_at IS NULL";
    let done = on_pool!(db, write, |pool| {
        sqlx::query(sql).bind(id).bind(generation).bind(key).bind(jkt).bind(now).execute(pool).await?.rows_affected()
    });
    Ok(done == 1)
}

/// Marks a bound session: a renewal without its proof was refused now.
pub async fn mark_refused(db: &Db, id: &str, now: i64) -> Result<(), sqlx::Error> {
    let sql = "UPDATE sessions SET binding_refused_at = $2 WHERE id = $1";
    on_pool!(db, write, |pool| sqlx::query(sql).bind(id).bind(now).execute(pool).await?.rows_affected());
    Ok(())
}

/// How many live sessions are bound to a device (the
/// `auth_bound_sessions` gauge).
pub async fn count_bound_sessions(db: &Db, now: i64) -> Result<i64, sqlx::Error> {
    let sql = "SELECT COUNT(*) FROM sessions WHERE binding_jkt IS NOT NULL \
               AND revoked_at IS NULL AND idle_expires_at > $1 AND absolute_expires_at > $1";
    let (n,): (i64,) = on_pool!(db, read, |pool| sqlx::query_as(sql).bind(now).fetch_one(pool).await?);
    Ok(n)
}
