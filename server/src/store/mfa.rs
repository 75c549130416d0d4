//! Second factors: the `totp_factors`, `recovery_codes` and `mfa_pending`
//! tables, and `users.mfa_enrolled_at`, which every write here (and in
//! [`super::passkeys`]) keeps equal to "the user has a confirmed TOTP
//! factor or a passkey" inside the same transaction.

use crate::db::{Db, on_pool};

/// A user's TOTP row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TotpRow {
    /// Sealed (see `auth::sealing`) under the name [`totp_secret_name`].
    pub secret: Vec<u8>,
    pub created_at: i64,
    pub confirmed_at: Option<i64>,
}

/// The name a user's TOTP secret is sealed under: binds the sealed value to
/// its row, so it cannot be moved to another user.
pub fn totp_secret_name(user_id: &str) -> String {
    format!("totp:{user_id}")
}

/// What a user has, for the factor lists (never a secret).
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct FactorSummary {
    pub totp_enabled_at: Option<i64>,
    pub recovery_codes_left: i64,
}

/// Sets `users.mfa_enrolled_at` from the factor tables, inside `tx`.
macro_rules! sync_enrolled {
    ($tx:expr, $user_id:expr, $now:expr) => {
        sqlx::query(
            "UPDATE users SET mfa_enrolled_at = CASE \
             WHEN EXISTS (SELECT 1 FROM totp_factors t WHERE t.user_id = users.id AND t.confirmed_at IS NOT NULL) \
             OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = users.id) \
             THEN COALESCE(mfa_enrolled_at, $2) ELSE NULL END WHERE id = $1",
        )
        .bind($user_id)
        .bind($now)
        .execute(&mut *$tx)
        .await?
    };
}

pub(super) use sync_enrolled;

/// Replaces the user's recovery codes with these hashes, inside `tx`.
macro_rules! replace_codes {
    ($tx:expr, $user_id:expr, $hashes:expr, $now:expr) => {{
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind($user_id).execute(&mut *$tx).await?;
        for hash in $hashes {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)")
                .bind($user_id)
                .bind(hash)
                .bind($now)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}

pub(super) use replace_codes;

pub async fn find_totp(db: &Db, user_id: &str) -> Result<Option<TotpRow>, sqlx::Error> {
    let sql = "SELECT secret, created_at, confirmed_at FROM totp_factors WHERE user_id = $1";
    on_pool!(db, write, |pool| sqlx::query_as(sql).bind(user_id).fetch_optional(pool).await)
}

/// Stores a new, unconfirmed secret — only when TOTP is not on already
/// (`Ok(false)`: it is; turn it off first). Replaces an earlier
/// unconfirmed one.
pub async fn put_pending_totp(db: &Db, user_id: &str, sealed: &[u8], now: i64) -> Result<bool, sqlx::Error> {
    let sql = "INSERT INTO totp_factors (user_id, secret, created_at) VALUES ($1, $2, $3) \
               ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at, \
               last_used_step = 0 WHERE totp_factors.confirmed_at IS NULL";
    let done = on_pool!(db, write, |pool| {
        sqlx::query(sql).bind(user_id).bind(sealed).bind(now).execute(pool).await?.rows_affected()
    });
    Ok(done == 1)
}

/// Accepts a code of time step `step` for the user: only if it is later
/// than the last accepted one (a code works once, and never an older one
/// after a newer). `confirm`: the pending secret becomes active (and with
/// `recovery_hashes`, the user's recovery codes are replaced by these).
/// `Ok(false)`: the step was already used, or there is no such factor.
pub async fn accept_totp_step(
    db: &Db,
    user_id: &str,
    step: i64,
    now: i64,
    confirm: Option<&[String]>,
) -> Result<bool, sqlx::Error> {
    // `$4`: confirming, so only a pending secret matches; else only an
    // active one.
    let sql = "UPDATE totp_factors SET last_used_step = $2, confirmed_at = COALESCE(confirmed_at, $3) \
               WHERE user_id = $1 AND ((confirmed_at IS NULL) = $4) AND last_used_step < $2";
    on_pool!(db, write, |pool| {
        let mut tx = pool.begin().await?;
        let done = sqlx::query(sql)
            .bind(user_id)
            .bind(step)
            .bind(now)
            .bind(confirm.is_some())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if done != 1 {
            return Ok(false);
        }
        if let Some(hashes) = confirm {
            if !hashes.is_empty() {
                replace_codes!(tx, user_id, hashes, now);
            }
            sync_enrolled!(tx, user_id, now);
        }
        tx.commit().await?;
        Ok(true)
    })
}

/// Removes the user's TOTP factor (and, when no second factor is left,
/// their recovery codes). True when there was one.
pub async fn delete_totp(db: &Db, user_id: &str, now: i64) -> Result<bool, sqlx::Error> {
    on_pool!(db, write, |pool| {
        let mut tx = pool.begin().await?;
        let done = sqlx::query("DELETE FROM totp_factors WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sync_enrolled!(tx, user_id, now);
        sqlx::query(
            "DELETE FROM recovery_codes WHERE user_id = $1 \
             AND (SELECT mfa_enrolled_at FROM users WHERE id = $1) IS NULL",
        )
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done == 1)
    })
}

/// Every second factor and recovery code of the user, gone (an admin's
/// reset). True when there was anything.
pub async fn reset_factors(db: &Db, user_id: &str, now: i64) -> Result<bool, sqlx::Error> {
    on_pool!(db, write, |pool| {
        let mut tx = pool.begin().await?;
        let mut done = 0;
        for sql in [
            "DELETE FROM totp_factors WHERE user_id = $1",
            "DELETE FROM passkeys WHERE user_id = $1",
            "DELETE FROM recovery_codes WHERE user_id = $1",
        ] {
            done += sqlx::query(sql).bind(user_id).execute(&mut *tx).await?.rows_affected();
        }
        sqlx::query("DELETE FROM mfa_pending WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        sync_enrolled!(tx, user_id, now);
        tx.commit().await?;
        Ok(done > 0)
    })
}

/// Replaces the user's recovery codes — only while they have a second
/// factor (`Ok(false)` otherwise: codes without a factor mean nothing).
pub async fn regenerate_codes(db: &Db, user_id: &str, hashes: &[String], now: i64) -> Result<bool, sqlx::Error> {
    on_pool!(db, write, |pool| {
        let mut tx = pool.begin().await?;
        let enrolled: Option<(Option<i64>,)> = sqlx::query_as("SELECT mfa_enrolled_at FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
        if !matches!(enrolled, Some((Some(_),))) {
            return Ok(false);
        }
        replace_codes!(tx, user_id, hashes, now);
        tx.commit().await?;
        Ok(true)
    })
}

/// Marks an unused recovery code used: one compare-and-swap, so a code
/// works once however many requests race. `Ok(false)`: no such unused code.
pub async fn use_recovery_code(db: &Db, user_id: &str, hash: &str, now: i64) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL";
    let done = on_pool!(db, write, |pool| {
        sqlx::query(sql).bind(user_id).bind(hash).bind(now).execute(pool).await?.rows_affected()
    });
    Ok(done == 1)
}

/// Which factors the user has (read through the writer: enrolment pages
/// read right after a change).
pub async fn summary(db: &Db, user_id: &str) -> Result<FactorSummary, sqlx::Error> {
    let sql = "SELECT (SELECT confirmed_at FROM totp_factors WHERE user_id = $1) AS totp_enabled_at, \
               (SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL) AS recovery_codes_left";
    on_pool!(db, write, |pool| sqlx::query_as(sql).bind(user_id).fetch_one(pool).await)
}

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
