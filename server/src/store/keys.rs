//! The `signing_keys` and `server_secrets` tables.

use crate::db::{Db, on_pool};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SigningKeyRow {
    pub kid: String,
    pub private_der: Vec<u8>,
    pub public_key: Vec<u8>,
    pub created_at: i64,
    /// When it stopped signing; `None` for the current key.
    pub retired_at: Option<i64>,
}

/// Keys that still verify (unretired, or retired at or after
/// `retired_since`), newest first: the first unretired one signs.
pub async fn find_verifying_keys(db: &Db, retired_since: i64) -> Result<Vec<SigningKeyRow>, sqlx::Error> {
    let sql = "SELECT kid, private_der, public_key, created_at, retired_at FROM signing_keys \
               WHERE retired_at IS NULL OR retired_at >= $1 ORDER BY created_at DESC, kid DESC";
    on_pool!(db, write, |pool| sqlx::query_as(sql).bind(retired_since).fetch_all(pool).await)
}

/// Every key ever made, newest first (for `keys list`).
pub async fn list_signing_keys(db: &Db) -> Result<Vec<SigningKeyRow>, sqlx::Error> {
    let sql = "SELECT kid, private_der, public_key, created_at, retired_at FROM signing_keys \
               ORDER BY created_at DESC, kid DESC";
    on_pool!(db, read, |pool| sqlx::query_as(sql).fetch_all(pool).await)
}

/// True when some key is current (unretired).
pub async fn has_current_key(db: &Db) -> Result<bool, sqlx::Error> {
    let sql = "SELECT kid FROM signing_keys WHERE retired_at IS NULL LIMIT 1";
    let row: Option<(String,)> = on_pool!(db, write, |pool| sqlx::query_as(sql).fetch_optional(pool).await?);
    Ok(row.is_some())
}

/// Makes `key` the current key and retires every other one, atomically.
pub async fn rotate_signing_key(db: &Db, key: &SigningKeyRow) -> Result<(), sqlx::Error> {
    let insert = "INSERT INTO signing_keys (kid, private_der, public_key, created_at) VALUES ($1, $2, $3, $4)";
    let retire = "UPDATE signing_keys SET retired_at = $2 WHERE retired_at IS NULL AND kid <> $1";
    on_pool!(db, write, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query(insert)
            .bind(&key.kid)
            .bind(&key.private_der)
            .bind(&key.public_key)
            .bind(key.created_at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(retire).bind(&key.kid).bind(key.created_at).execute(&mut *tx).await?;
        tx.commit().await?;
    });
    Ok(())
}

pub async fn insert_signing_key(db: &Db, key: &SigningKeyRow) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO signing_keys (kid, private_der, public_key, created_at) VALUES ($1, $2, $3, $4) \
               ON CONFLICT (kid) DO NOTHING";
    on_pool!(db, write, |pool| {
        sqlx::query(sql)
            .bind(&key.kid)
            .bind(&key.private_der)
            .bind(&key.public_key)
            .bind(key.created_at)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Returns the named secret, storing `candidate` first if there is none.
/// Several instances starting at once all end up with the same value.
pub async fn get_or_insert_secret(db: &Db, name: &str, candidate: &[u8], now: i64) -> Result<Vec<u8>, sqlx::Error> {
    let insert = "INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) \
                  ON CONFLICT (name) DO NOTHING";
    let select = "SELECT value FROM server_secrets WHERE name = $1";
    let (value,): (Vec<u8>,) = on_pool!(db, write, |pool| {
        sqlx::query(insert).bind(name).bind(candidate).bind(now).execute(pool).await?;
        sqlx::query_as(select).bind(name).fetch_one(pool).await?
    });
    Ok(value)
}

/// Every stored secret as `(name, value, created_at)`.
pub async fn list_secrets(db: &Db) -> Result<Vec<(String, Vec<u8>, i64)>, sqlx::Error> {
    let sql = "SELECT name, value, created_at FROM server_secrets ORDER BY name";
    on_pool!(db, write, |pool| sqlx::query_as(sql).fetch_all(pool).await)
}

/// Replaces a secret's stored value (sealing one kept in the clear).
pub async fn replace_secret_value(db: &Db, name: &str, value: &[u8]) -> Result<(), sqlx::Error> {
    let sql = "UPDATE server_secrets SET value = $2 WHERE name = $1";
    on_pool!(db, write, |pool| {
        sqlx::query(sql).bind(name).bind(value).execute(pool).await?;
    });
    Ok(())
}

/// Replaces a signing key's stored private half (sealing one kept in the clear).
pub async fn replace_private_key(db: &Db, kid: &str, private: &[u8]) -> Result<(), sqlx::Error> {
    let sql = "UPDATE signing_keys SET private_der = $2 WHERE kid = $1";
    on_pool!(db, write, |pool| {
        sqlx::query(sql).bind(kid).bind(private).execute(pool).await?;
    });
    Ok(())
}

/// Makes `new` the current secret `name`: the current one becomes
/// `previous` (replacing any older one), in one transaction.
pub async fn rotate_secret(db: &Db, name: &str, previous: &str, new: &[u8], now: i64) -> Result<(), sqlx::Error> {
    on_pool!(db, write, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query("DELETE FROM server_secrets WHERE name = $1").bind(previous).execute(&mut *tx).await?;
        sqlx::query("UPDATE server_secrets SET name = $2 WHERE name = $1")
            .bind(name)
            .bind(previous)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3)")
            .bind(name)
            .bind(new)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    });
    Ok(())
}

/// The named secret and when it was stored, if there is one.
pub async fn find_secret(db: &Db, name: &str) -> Result<Option<(Vec<u8>, i64)>, sqlx::Error> {
    let sql = "SELECT value, created_at FROM server_secrets WHERE name = $1";
    on_pool!(db, write, |pool| sqlx::query_as(sql).bind(name).fetch_optional(pool).await)
}
