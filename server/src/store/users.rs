//! The `users` table.

use super::sessions::RevokeReason;
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
        "id, email, password_hash, roles, created_at, authz_version"
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
    let sql = "INSERT INTO users (id, email, password_hash, roles, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (email) DO NOTHING";
    let done = on_pool!(db, write, |pool| {
        sqlx::query(sql)
            .bind(&user.id)
            .bind(&user.email)
            .bind(&user.password_hash)
            .bind(&user.roles)
            .bind(user.created_at)
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(done == 1)
}

/// Sets a user's roles and bumps their `authz_version`, so access tokens
/// issued with the old roles stop working.
pub async fn set_user_roles(db: &Db, id: &str, roles: &str, now: i64) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE users SET roles = $2, updated_at = $3, authz_version = authz_version + 1 WHERE id = $1";
    let done = on_pool!(db, write, |pool| {
        sqlx::query(sql).bind(id).bind(roles).bind(now).execute(pool).await?.rows_affected()
    });
    Ok(done == 1)
}

/// Replaces a user's password hash and revokes every live session but
/// `keep`, in one transaction; returns the revoked session ids.
pub async fn change_password(db: &Db, id: &str, hash: &str, keep: &str, now: i64) -> Result<Vec<String>, sqlx::Error> {
    let update = "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1";
    let revoke = "UPDATE sessions SET revoked_at = $3, revoke_reason = $4 \
                  WHERE user_id = $1 AND revoked_at IS NULL AND id <> $2 RETURNING id";
    let revoked: Vec<(String,)> = on_pool!(db, write, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query(update).bind(id).bind(hash).bind(now).execute(&mut *tx).await?;
        let revoked = sqlx::query_as(revoke)
            .bind(id)
            .bind(keep)
            .bind(now)
            .bind(RevokeReason::PasswordChanged.as_str())
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        revoked
    });
    Ok(revoked.into_iter().map(|(id,)| id).collect())
}

/// All users, oldest first (the admin list).
pub async fn list_users(db: &Db) -> Result<Vec<UserRow>, sqlx::Error> {
    let sql = concat!("SELECT ", user_columns!(), " FROM users ORDER BY created_at, email");
    on_pool!(db, read, |pool| sqlx::query_as(sql).fetch_all(pool).await)
}
