//! Passkeys: the `passkeys`, `webauthn_handles` and `webauthn_ceremonies`
//! tables. Adding or removing a passkey keeps `users.mfa_enrolled_at` in
//! step (see [`super::mfa`]) in the same transaction.

use super::mfa::{Removal, finish_removal, replace_codes, sync_enrolled};
use crate::db::{Db, on_pool};

/// A stored passkey.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PasskeyRow {
    pub id: String,
    pub user_id: String,
    pub name: String,
    /// webauthn-rs `Passkey`, JSON.
    pub credential: String,
    pub sign_count: i64,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A new passkey, as registration made it.
#[derive(Debug, Clone)]
pub struct NewPasskeyRow<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub credential_id: &'a str,
    pub name: &'a str,
    pub credential: &'a str,
    pub sign_count: i64,
}

/// What [`insert`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    Added,
    /// The credential id is registered already (to anyone).
    Taken,
}

/// A ceremony taken out of the table.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CeremonyRow {
    pub user_id: Option<String>,
    pub state: String,
}

/// The columns of [`PasskeyRow`], in a macro so queries stay `&'static str`.
macro_rules! passkey_columns {
    () => {
        "id, user_id, name, credential, sign_count, created_at, last_used_at"
    };
}

/// The user's WebAuthn handle, made from `fresh` on first use. Racing
/// first uses agree: the first insert wins and both read it back.
pub async fn user_handle(db: &Db, user_id: &str, fresh: &str) -> Result<String, sqlx::Error> {
    on_pool!(db, write, |pool| {
        sqlx::query("INSERT INTO webauthn_handles (user_id, handle) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING")
            .bind(user_id)
            .bind(fresh)
            .execute(pool)
            .await?;
        let (handle,): (String,) = sqlx::query_as("SELECT handle FROM webauthn_handles WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(pool)
            .await?;
        Ok(handle)
    })
}

/// The user a WebAuthn handle belongs to.
pub async fn user_of_handle(db: &Db, handle: &str) -> Result<Option<String>, sqlx::Error> {
    let sql = "SELECT user_id FROM webauthn_handles WHERE handle = $1";
    let row: Option<(String,)> =
        on_pool!(db, write, |pool| sqlx::query_as(sql).bind(handle).fetch_optional(pool).await?);
    Ok(row.map(|(user_id,)| user_id))
}

/// The user's passkeys, oldest first (read through the writer: the
/// security page reads right after a change).
pub async fn for_user(db: &Db, user_id: &str) -> Result<Vec<PasskeyRow>, sqlx::Error> {
    let sql = concat!("SELECT ", passkey_columns!(), " FROM passkeys WHERE user_id = $1 ORDER BY created_at, id");
    on_pool!(db, write, |pool| sqlx::query_as(sql).bind(user_id).fetch_all(pool).await)
}

/// The passkey with this credential id, whoever has it.
pub async fn by_credential_id(db: &Db, credential_id: &str) -> Result<Option<PasskeyRow>, sqlx::Error> {
    let sql = concat!("SELECT ", passkey_columns!(), " FROM passkeys WHERE credential_id = $1");
    on_pool!(db, write, |pool| sqlx::query_as(sql).bind(credential_id).fetch_optional(pool).await)
}

/// Adds a passkey. With `recovery_hashes`, the user's recovery codes are
/// replaced by these (their first second factor). `Taken` when the
/// credential id is registered already, to this account or another.
pub async fn insert(
    db: &Db,
    passkey: &NewPasskeyRow<'_>,
    recovery_hashes: &[String],
    now: i64,
) -> Result<Inserted, sqlx::Error> {
    let sql = "INSERT INTO passkeys (id, user_id, credential_id, name, credential, sign_count, created_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (credential_id) DO NOTHING";
    on_pool!(db, write, |pool| {
        let mut tx = pool.begin().await?;
        let done = sqlx::query(sql)
            .bind(passkey.id)
            .bind(passkey.user_id)
            .bind(passkey.credential_id)
            .bind(passkey.name)
            .bind(passkey.credential)
            .bind(passkey.sign_count)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if done != 1 {
            return Ok(Inserted::Taken);
        }
        if !recovery_hashes.is_empty() {
            replace_codes!(tx, passkey.user_id, recovery_hashes, now);
        }
        sync_enrolled!(tx, passkey.user_id, now);
        tx.commit().await?;
        Ok(Inserted::Added)
    })
}

/// Records a use: the updated credential, its counter and the time. One
/// compare-and-swap on the counter, so of two assertions racing with the
/// same or an older counter only one counts. A counter of 0 means the
/// authenticator keeps none (synced passkeys): it stays 0. `Ok(false)`:
/// the stored counter is already this high.
pub async fn record_use(db: &Db, id: &str, credential: &str, sign_count: i64, now: i64) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE passkeys SET credential = $2, sign_count = $3, last_used_at = $4 \
               WHERE id = $1 AND (sign_count < $3 OR (sign_count = 0 AND $3 = 0))";
    let done = on_pool!(db, write, |pool| {
        sqlx::query(sql).bind(id).bind(credential).bind(sign_count).bind(now).execute(pool).await?.rows_affected()
    });
    Ok(done == 1)
}

/// Renames one of the user's passkeys. `Ok(None)`: no such passkey of theirs.
pub async fn rename(db: &Db, user_id: &str, id: &str, name: &str) -> Result<Option<PasskeyRow>, sqlx::Error> {
    let sql = concat!("UPDATE passkeys SET name = $3 WHERE id = $1 AND user_id = $2 RETURNING ", passkey_columns!());
    on_pool!(db, write, |pool| sqlx::query_as(sql).bind(id).bind(user_id).bind(name).fetch_optional(pool).await)
}

/// Removes one of the user's passkeys (and, when no second factor is left,
/// their recovery codes; with `keep_one`, the last factor stays). Removed:
/// the passkey's name.
pub async fn delete(
    db: &Db,
    user_id: &str,
    id: &str,
    now: i64,
    keep_one: bool,
) -> Result<Removal<String>, sqlx::Error> {
    on_pool!(db, write, |pool| {
        let mut tx = pool.begin().await?;
        let removed: Option<(String,)> =
            sqlx::query_as("DELETE FROM passkeys WHERE id = $1 AND user_id = $2 RETURNING name")
                .bind(id)
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((name,)) = removed else { return Ok(Removal::NotFound) };
        finish_removal!(tx, user_id, now, keep_one);
        tx.commit().await?;
        Ok(Removal::Removed(name))
    })
}

/// Stores a ceremony in progress.
pub async fn insert_ceremony(
    db: &Db,
    token_hash: &str,
    purpose: &str,
    user_id: Option<&str>,
    state: &str,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO webauthn_ceremonies (token_hash, purpose, user_id, state, expires_at) \
               VALUES ($1, $2, $3, $4, $5)";
    on_pool!(db, write, |pool| {
        sqlx::query(sql)
            .bind(token_hash)
            .bind(purpose)
            .bind(user_id)
            .bind(state)
            .bind(expires_at)
            .execute(pool)
            .await?;
        Ok(())
    })
}

/// Takes a live ceremony of `purpose` out for good: one `DELETE`, so a
/// ceremony is finished at most once, on whichever instance.
pub async fn take_ceremony(
    db: &Db,
    token_hash: &str,
    purpose: &str,
    now: i64,
) -> Result<Option<CeremonyRow>, sqlx::Error> {
    let sql = "DELETE FROM webauthn_ceremonies WHERE token_hash = $1 AND purpose = $2 AND expires_at > $3 \
               RETURNING user_id, state";
    on_pool!(db, write, |pool| sqlx::query_as(sql).bind(token_hash).bind(purpose).bind(now).fetch_optional(pool).await)
}

/// Deletes ceremonies that expired before `cutoff`; returns how many.
pub async fn prune_ceremonies(db: &Db, cutoff: i64) -> Result<u64, sqlx::Error> {
    let sql = "DELETE FROM webauthn_ceremonies WHERE expires_at < $1";
    on_pool!(db, write, |pool| Ok(sqlx::query(sql).bind(cutoff).execute(pool).await?.rows_affected()))
}
