//! The `users` table.

use super::RevokeReason;
use crate::db::{Db, on_pool};

/// A user row. Deliberately not `Serialize`: the password hash must never
/// cross the wire.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub roles: String,
    pub created_at: i64,
    /// Bumped on every role change; access tokens carry it as `ver`.
    pub authz_version: i64,
    /// When the user proved they read mail at `email`.
    pub email_verified_at: Option<i64>,
    /// When their first second factor was turned on (`None`: they have none).
    pub mfa_enrolled_at: Option<i64>,
    /// They have a confirmed TOTP factor.
    pub has_totp: bool,
    /// They have at least one passkey.
    pub has_passkey: bool,
}

impl UserRow {
    pub fn role_list(&self) -> Vec<String> {
        split_roles(&self.roles)
    }
}

/// Roles are stored space-separated.
pub fn split_roles(roles: &str) -> Vec<String> {
    roles.split_whitespace().map(str::to_owned).collect()
}

/// The columns of [`UserRow`], in a macro so queries stay `&'static str`.
macro_rules! user_columns {
    () => {
        "id, email, password_hash, roles, created_at, authz_version, email_verified_at, mfa_enrolled_at, \
         EXISTS (SELECT 1 FROM totp_factors t WHERE t.user_id = users.id AND t.confirmed_at IS NOT NULL) AS has_totp, \
         EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = users.id) AS has_passkey"
    };
}

pub async fn find_user_by_email(db: &Db, email: &str) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = concat!("SELECT ", user_columns!(), " FROM users WHERE email = $1");
    on_pool!(db, read, |pool| sqlx::query_as(sql).bind(email).fetch_optional(pool).await)
}

pub async fn find_user_by_id(db: &Db, id: &str) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1");
    on_pool!(db, read, |pool| sqlx::query_as(sql).bind(id).fetch_optional(pool).await)
}

/// Inserts a user; `Ok(false)` when the email is taken.
pub async fn insert_user(db: &Db, user: &UserRow) -> Result<bool, sqlx::Error> {
    let sql = "INSERT INTO users (id, email, password_hash, roles, created_at, updated_at, email_verified_at) \
               VALUES ($1, $2, $3, $4, $5, $5, $6) ON CONFLICT (email) DO NOTHING";
    let done = on_pool!(db, write, |pool| {
        sqlx::query(sql)
            .bind(&user.id)
            .bind(&user.email)
            .bind(&user.password_hash)
            .bind(&user.roles)
            .bind(user.created_at)
            .bind(user.email_verified_at)
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(done == 1)
}

/// What [`set_user_roles`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RolesSet {
    Done,
    NotFound,
    /// Refused: the user is the last admin and the new roles lack `admin`.
    LastAdmin,
}

/// Sets a user's roles and bumps their `authz_version`, so access tokens
/// issued with the old roles stop working — unless that would leave no
/// admin at all. The check is part of the one `UPDATE`, so two admins
/// demoting each other at the same moment cannot both succeed: SQLite runs
/// writes one at a time; PostgreSQL takes a transaction-scoped advisory
/// lock first, so the second statement's snapshot sees the first's commit.
pub async fn set_user_roles(db: &Db, id: &str, roles: &str, now: i64) -> Result<RolesSet, sqlx::Error> {
    let sql = "UPDATE users SET roles = $2, updated_at = $3, authz_version = authz_version + 1 \
               WHERE id = $1 AND ($4 OR ' ' || roles || ' ' NOT LIKE '% admin %' \
               OR EXISTS (SELECT 1 FROM users o WHERE o.id <> $1 AND ' ' || o.roles || ' ' LIKE '% admin %'))";
    let keeps_admin = roles.split_whitespace().any(|r| r == "admin");
    let done = match db {
        Db::Sqlite { write, .. } => {
            sqlx::query(sql).bind(id).bind(roles).bind(now).bind(keeps_admin).execute(write).await?.rows_affected()
        }
        Db::Postgres { pool, .. } => {
            let mut tx = pool.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(ROLES_LOCK).execute(&mut *tx).await?;
            let done = sqlx::query(sql)
                .bind(id)
                .bind(roles)
                .bind(now)
                .bind(keeps_admin)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            done
        }
    };
    if done == 1 {
        return Ok(RolesSet::Done);
    }
    Ok(if find_user_by_id(db, id).await?.is_some() { RolesSet::LastAdmin } else { RolesSet::NotFound })
}

/// The advisory lock key that serialises role changes on PostgreSQL.
const ROLES_LOCK: i64 = 0x636f_6f6b_6965_0001;

/// What a password change also does.
#[derive(Debug, Clone, Copy)]
pub struct PasswordUpdate<'a> {
    /// The session that stays signed in (`None`: every session ends).
    pub keep: Option<&'a str>,
    /// Why the other sessions end.
    pub reason: RevokeReason,
    /// The change proves the user reads mail at their address (a reset
    /// link was used): mark it verified.
    pub verifies_email: bool,
}

/// Replaces a user's password hash, revokes every live session but
/// `change.keep` and every live link of the user (a reset link mailed
/// before must not work after), in one transaction; returns the revoked
/// session ids.
pub async fn change_password(
    db: &Db,
    id: &str,
    hash: &str,
    change: PasswordUpdate<'_>,
    now: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let update = "UPDATE users SET password_hash = $2, updated_at = $3, \
                  email_verified_at = CASE WHEN $4 THEN COALESCE(email_verified_at, $3) ELSE email_verified_at END \
                  WHERE id = $1";
    let revoke = "UPDATE sessions SET revoked_at = $3, revoke_reason = $4 \
                  WHERE user_id = $1 AND revoked_at IS NULL AND ($2 IS NULL OR id <> $2) RETURNING id";
    let links = RETIRE_LINKS;
    let revoked: Vec<(String,)> = on_pool!(db, write, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query(update).bind(id).bind(hash).bind(now).bind(change.verifies_email).execute(&mut *tx).await?;
        let revoked = sqlx::query_as(revoke)
            .bind(id)
            .bind(change.keep)
            .bind(now)
            .bind(change.reason.as_str())
            .fetch_all(&mut *tx)
            .await?;
        sqlx::query(links).bind(id).bind(now).execute(&mut *tx).await?;
        tx.commit().await?;
        revoked
    });
    Ok(revoked.into_iter().map(|(id,)| id).collect())
}

/// Retires a user's unused links — all but the undo of an email change,
/// which must keep working whatever an intruder changes next.
const RETIRE_LINKS: &str = "UPDATE link_tokens SET revoked_at = $2 \
    WHERE user_id = $1 AND used_at IS NULL AND revoked_at IS NULL AND purpose <> 'undo_email_change'";

/// Retires every unused link of a user.
const RETIRE_ALL_LINKS: &str =
    "UPDATE link_tokens SET revoked_at = $2 WHERE user_id = $1 AND used_at IS NULL AND revoked_at IS NULL";

/// What [`change_email`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailChange {
    Done,
    /// Another account uses the address now.
    Taken,
    /// The user is gone, or their address is no longer `from`.
    Stale,
}

/// Moves a user from address `from` to `to` (verified: a link mailed there
/// was used) and retires their other live links, in one transaction.
/// `end_sessions`: an undo, which also ends every session (their ids are
/// returned) and retires every link, the undo links of other changes too.
pub async fn change_email(
    db: &Db,
    id: &str,
    from: &str,
    to: &str,
    end_sessions: Option<RevokeReason>,
    now: i64,
) -> Result<(EmailChange, Vec<String>), sqlx::Error> {
    let taken = "SELECT 1 FROM users WHERE email = $1 AND id <> $2";
    // Access tokens assert the email too: the version bump sends them
    // through a refresh, which issues one with the new address.
    let update = "UPDATE users SET email = $3, email_verified_at = $4, updated_at = $4, \
                  authz_version = authz_version + 1 WHERE id = $1 AND email = $2";
    let revoke = "UPDATE sessions SET revoked_at = $2, revoke_reason = $3 \
                  WHERE user_id = $1 AND revoked_at IS NULL RETURNING id";
    on_pool!(db, write, |pool| {
        let mut tx = pool.begin().await?;
        let other: Option<(i32,)> = sqlx::query_as(taken).bind(to).bind(id).fetch_optional(&mut *tx).await?;
        if other.is_some() {
            return Ok((EmailChange::Taken, Vec::new()));
        }
        let changed = sqlx::query(update).bind(id).bind(from).bind(to).bind(now).execute(&mut *tx).await;
        match changed {
            Ok(done) if done.rows_affected() == 1 => {}
            Ok(_) => return Ok((EmailChange::Stale, Vec::new())),
            // A racing registration took the address between the two statements.
            Err(sqlx::Error::Database(err)) if err.is_unique_violation() => {
                return Ok((EmailChange::Taken, Vec::new()));
            }
            Err(err) => return Err(err),
        }
        let retire = if end_sessions.is_some() { RETIRE_ALL_LINKS } else { RETIRE_LINKS };
        sqlx::query(retire).bind(id).bind(now).execute(&mut *tx).await?;
        let ended: Vec<(String,)> = match end_sessions {
            Some(reason) => sqlx::query_as(revoke).bind(id).bind(now).bind(reason.as_str()).fetch_all(&mut *tx).await?,
            None => Vec::new(),
        };
        tx.commit().await?;
        Ok((EmailChange::Done, ended.into_iter().map(|(id,)| id).collect()))
    })
}

/// Marks the user's email verified (if it is still `email`); `Ok(false)`
/// when the user or that address is gone.
pub async fn mark_email_verified(db: &Db, id: &str, email: &str, now: i64) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE users SET email_verified_at = COALESCE(email_verified_at, $3), updated_at = $3 \
               WHERE id = $1 AND email = $2";
    let done = on_pool!(db, write, |pool| sqlx::query(sql)
        .bind(id)
        .bind(email)
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected());
    Ok(done == 1)
}

/// A page of users, oldest first (the admin list): at most `limit`, and
/// only those after the user `after` in that order.
pub async fn list_users(db: &Db, limit: i64, after: Option<&str>) -> Result<Vec<UserRow>, sqlx::Error> {
    let sql = concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE $2 IS NULL OR (created_at, id) > (SELECT c.created_at, c.id FROM users c WHERE c.id = $2) \
        ORDER BY created_at, id LIMIT $1"
    );
    on_pool!(db, read, |pool| sqlx::query_as(sql).bind(limit).bind(after).fetch_all(pool).await)
}
