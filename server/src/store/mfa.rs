//! Second factors: the `totp_factors` and `recovery_codes` tables, and
//! `users.mfa_enrolled_at`, which every write here (and in
//! [`super::passkeys`]) keeps equal to "the user has a confirmed TOTP
//! factor or a passkey" inside the same transaction. The pending sign-ins
//! are [`super::mfa_pending`].

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

/// What removing one second factor did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal<T> {
    Removed(T),
    /// The user has no such factor.
    NotFound,
    /// It was their last second factor and they must keep one
    /// (`AUTH_REQUIRE_MFA`): nothing was removed.
    LastFactor,
}

/// Ends a factor's removal inside `tx`, after its `DELETE`: keeps
/// `mfa_enrolled_at` in step, and when no factor is left either refuses
/// (`keep_one`: returns [`Removal::LastFactor`], the transaction rolled
/// back) or removes the recovery codes too.
macro_rules! finish_removal {
    ($tx:expr, $user_id:expr, $now:expr, $keep_one:expr) => {{
        let enrolled_sql = "SELECT mfa_enrolled_at FROM users WHERE id = $1";
        let (before,): (Option<i64>,) = sqlx::query_as(enrolled_sql).bind($user_id).fetch_one(&mut *$tx).await?;
        sync_enrolled!($tx, $user_id, $now);
        let (after,): (Option<i64>,) = sqlx::query_as(enrolled_sql).bind($user_id).fetch_one(&mut *$tx).await?;
        if after.is_none() {
            // An unconfirmed TOTP secret was never a factor: dropping it is fine.
            if $keep_one && before.is_some() {
                return Ok(Removal::LastFactor);
            }
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind($user_id).execute(&mut *$tx).await?;
        }
    }};
}

pub(super) use finish_removal;

/// Removes the user's TOTP factor (and, when no second factor is left,
/// their recovery codes; with `keep_one`, the last factor stays).
pub async fn delete_totp(db: &Db, user_id: &str, now: i64, keep_one: bool) -> Result<Removal<()>, sqlx::Error> {
    on_pool!(db, write, |pool| {
        let mut tx = pool.begin().await?;
        let done = sqlx::query("DELETE FROM totp_factors WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if done == 0 {
            return Ok(Removal::NotFound);
        }
        finish_removal!(tx, user_id, now, keep_one);
        tx.commit().await?;
        Ok(Removal::Removed(()))
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
