//! The `sessions` table: one row per sign-in, holding the refresh-token
//! family's counter. Rotation itself, a compare-and-swap `UPDATE`, is in
//! [`super::rotation`].

pub use super::RevokeReason;
use crate::db::{Db, on_pool};

/// A session joined with its user's email and roles (what a refresh or a
/// session lookup needs to answer in one read).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub generation: i64,
    pub rotated_at: i64,
    pub created_at: i64,
    pub last_used_at: i64,
    pub idle_expires_at: i64,
    pub absolute_expires_at: i64,
    pub revoked_at: Option<i64>,
    pub revoke_reason: Option<String>,
    pub user_agent: Option<String>,
    pub email: String,
    pub roles: String,
    pub authz_version: i64,
    pub email_verified_at: Option<i64>,
    /// When and how the user last proved themselves in this session.
    pub auth_time: i64,
    pub amr: String,
    /// When the user's first second factor was turned on.
    pub mfa_enrolled_at: Option<i64>,
    /// The device key's thumbprint, once the session is bound (DBSC).
    pub binding_jkt: Option<String>,
    /// The first generation issued bound.
    pub bound_generation: Option<i64>,
    /// The last refused renewal without the device's proof.
    pub binding_refused_at: Option<i64>,
}

/// What a new session starts with.
pub struct NewSession<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub now: i64,
    pub idle_expires_at: i64,
    pub absolute_expires_at: i64,
    pub user_agent: Option<&'a str>,
    pub client_ip: Option<&'a str>,
    /// The password hash the sign-in was checked against.
    pub password_hash: &'a str,
    /// How the user proved themselves (space-separated `amr` values).
    pub amr: &'a str,
}

/// Starts a session — only if the user's password hash is still the one
/// the sign-in checked (`Ok(false)` otherwise). A password change that
/// commits while a sign-in with the old password is hashing therefore
/// cannot be outlived by the session that sign-in would start.
pub async fn insert_session(db: &Db, s: &NewSession<'_>) -> Result<bool, sqlx::Error> {
    let sql = "INSERT INTO sessions (id, user_id, generation, rotated_at, created_at, last_used_at, \
               idle_expires_at, absolute_expires_at, user_agent, client_ip, auth_time, amr) \
               SELECT $1, $2, 0, $3, $3, $3, $4, $5, $6, $7, $3, $9 FROM users WHERE id = $2 AND password_hash = $8";
    let done = on_pool!(db, write, |pool| {
        sqlx::query(sql)
            .bind(s.id)
            .bind(s.user_id)
            .bind(s.now)
            .bind(s.idle_expires_at)
            .bind(s.absolute_expires_at)
            .bind(s.user_agent)
            .bind(s.client_ip)
            .bind(s.password_hash)
            .bind(s.amr)
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(done == 1)
}

/// The columns of [`SessionRow`] and their join, in a macro so queries stay
/// `&'static str`.
macro_rules! session_rows {
    () => {
        "SELECT s.id, s.user_id, s.generation, s.rotated_at, s.created_at, \
         s.last_used_at, s.idle_expires_at, s.absolute_expires_at, s.revoked_at, s.revoke_reason, \
         s.user_agent, u.email, u.roles, u.authz_version, u.email_verified_at, s.auth_time, s.amr, \
         u.mfa_enrolled_at, s.binding_jkt, s.bound_generation, s.binding_refused_at \
         FROM sessions s JOIN users u ON u.id = s.user_id "
    };
}

const FIND_SESSION: &str = concat!(session_rows!(), "WHERE s.id = $1");

pub async fn find_session(db: &Db, id: &str) -> Result<Option<SessionRow>, sqlx::Error> {
    on_pool!(db, read, |pool| sqlx::query_as(FIND_SESSION).bind(id).fetch_optional(pool).await)
}

/// A session read for a rotation that lost its compare-and-swap, with how
/// long ago (by the database's clock) its live token was issued.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FreshSession {
    #[sqlx(flatten)]
    pub row: SessionRow,
    /// Seconds since `rotated_at`, both read from the database's clock, so
    /// the grace window means the same on every instance whatever their
    /// clocks say.
    pub rotated_secs_ago: i64,
}

/// The query of [`find_session_fresh`] with `$now` the database's clock.
macro_rules! find_fresh_sql {
    ($now:literal) => {
        concat!(
            "SELECT s.id, s.user_id, s.generation, s.rotated_at, s.created_at, \
             s.last_used_at, s.idle_expires_at, s.absolute_expires_at, s.revoked_at, s.revoke_reason, \
             s.user_agent, u.email, u.roles, u.authz_version, u.email_verified_at, s.auth_time, s.amr, \
             u.mfa_enrolled_at, s.binding_jkt, s.bound_generation, s.binding_refused_at, ",
            $now,
            " - s.rotated_at AS rotated_secs_ago FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1"
        )
    };
}

/// Reads a session through the writer connection: on SQLite this sees every
/// committed write at once, which a rotation retry needs.
pub async fn find_session_fresh(db: &Db, id: &str) -> Result<Option<FreshSession>, sqlx::Error> {
    let sql =
        db.dialect(find_fresh_sql!("unixepoch()"), find_fresh_sql!("CAST(FLOOR(EXTRACT(EPOCH FROM now())) AS BIGINT)"));
    on_pool!(db, write, |pool| sqlx::query_as(sql).bind(id).fetch_optional(pool).await)
}

/// Ends one session — only if it belongs to `owner`, when given.
/// Idempotent: an already revoked session keeps its first reason. The
/// owner's id when this call revoked it.
pub async fn revoke_session(
    db: &Db,
    id: &str,
    owner: Option<&str>,
    reason: RevokeReason,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    let sql = "UPDATE sessions SET revoked_at = $2, revoke_reason = $3 \
               WHERE id = $1 AND ($4 IS NULL OR user_id = $4) AND revoked_at IS NULL RETURNING user_id";
    let owner: Option<(String,)> = on_pool!(db, write, |pool| {
        sqlx::query_as(sql).bind(id).bind(now).bind(reason.as_str()).bind(owner).fetch_optional(pool).await?
    });
    Ok(owner.map(|(user_id,)| user_id))
}

/// A page of the user's live sessions (not revoked, not past either
/// limit), most recently used first: at most `limit`, and only those after
/// the session `before` in that order (the last one of the previous page).
pub async fn list_live_sessions(
    db: &Db,
    user_id: &str,
    now: i64,
    limit: i64,
    before: Option<&str>,
) -> Result<Vec<SessionRow>, sqlx::Error> {
    let sql = concat!(
        session_rows!(),
        "WHERE s.user_id = $1 AND s.revoked_at IS NULL AND s.idle_expires_at > $2 AND s.absolute_expires_at > $2 \
        AND ($4 IS NULL OR (s.last_used_at, s.id) < \
            (SELECT c.last_used_at, c.id FROM sessions c WHERE c.id = $4 AND c.user_id = $1)) \
        ORDER BY s.last_used_at DESC, s.id DESC LIMIT $3"
    );
    on_pool!(db, read, |pool| sqlx::query_as(sql)
        .bind(user_id)
        .bind(now)
        .bind(limit)
        .bind(before)
        .fetch_all(pool)
        .await)
}

/// Ends the user's live sessions beyond the `keep` most recently used
/// (never `newest`, the one just started); returns their ids.
pub async fn evict_sessions_beyond(
    db: &Db,
    user_id: &str,
    newest: &str,
    keep: i64,
    now: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let sql = "UPDATE sessions SET revoked_at = $3, revoke_reason = $5 WHERE id IN ( \
               SELECT id FROM sessions WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL \
               AND idle_expires_at > $3 AND absolute_expires_at > $3 \
               ORDER BY last_used_at DESC, id DESC LIMIT 1000000000 OFFSET $4) \
               AND revoked_at IS NULL RETURNING id";
    let rows: Vec<(String,)> = on_pool!(db, write, |pool| {
        sqlx::query_as(sql)
            .bind(user_id)
            .bind(newest)
            .bind(now)
            .bind((keep - 1).max(0))
            .bind(RevokeReason::Evicted.as_str())
            .fetch_all(pool)
            .await?
    });
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// What the live-session check reads of a session and its user.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LiveOwner {
    pub user_id: String,
    pub authz_version: i64,
    pub email_verified: bool,
    pub mfa_enrolled: bool,
}

/// For a session that exists, is not revoked and has not passed its
/// absolute limit (what an access token's `sid` must satisfy): its user,
/// that user's current `authz_version`, whether their email is verified
/// and whether they have a second factor.
pub async fn live_session_owner(db: &Db, id: &str, now: i64) -> Result<Option<LiveOwner>, sqlx::Error> {
    let sql = "SELECT s.user_id, u.authz_version, u.email_verified_at IS NOT NULL AS email_verified, \
               u.mfa_enrolled_at IS NOT NULL AS mfa_enrolled \
               FROM sessions s JOIN users u ON u.id = s.user_id \
               WHERE s.id = $1 AND s.revoked_at IS NULL AND s.absolute_expires_at > $2";
    on_pool!(db, read, |pool| sqlx::query_as(sql).bind(id).bind(now).fetch_optional(pool).await)
}

/// Records a fresh proof in a live session (a step-up): when, and how.
/// `Ok(false)`: the session is not live.
pub async fn record_proof(db: &Db, id: &str, auth_time: i64, amr: &str) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE sessions SET auth_time = $2, amr = $3 WHERE id = $1 AND revoked_at IS NULL";
    let done = on_pool!(db, write, |pool| {
        sqlx::query(sql).bind(id).bind(auth_time).bind(amr).execute(pool).await?.rows_affected()
    });
    Ok(done == 1)
}

/// Revokes every live session of a user except `keep` (if given); returns
/// the revoked ids.
pub async fn revoke_user_sessions(
    db: &Db,
    user_id: &str,
    keep: Option<&str>,
    reason: RevokeReason,
    now: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let sql = "UPDATE sessions SET revoked_at = $3, revoke_reason = $4 \
               WHERE user_id = $1 AND revoked_at IS NULL AND ($2 IS NULL OR id <> $2) RETURNING id";
    let rows: Vec<(String,)> = on_pool!(db, write, |pool| {
        sqlx::query_as(sql).bind(user_id).bind(keep).bind(now).bind(reason.as_str()).fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// The user agents of the user's sessions other than `except` (live or
/// not, until pruned): the devices the account was used on.
pub async fn user_agents_of(db: &Db, user_id: &str, except: &str) -> Result<Vec<Option<String>>, sqlx::Error> {
    let sql = "SELECT DISTINCT user_agent FROM sessions WHERE user_id = $1 AND id <> $2 LIMIT 1000";
    let rows: Vec<(Option<String>,)> =
        on_pool!(db, read, |pool| sqlx::query_as(sql).bind(user_id).bind(except).fetch_all(pool).await?);
    Ok(rows.into_iter().map(|(ua,)| ua).collect())
}

/// How many sessions are live now (the `auth_active_sessions` gauge).
pub async fn count_live_sessions(db: &Db, now: i64) -> Result<i64, sqlx::Error> {
    let sql = "SELECT COUNT(*) FROM sessions \
               WHERE revoked_at IS NULL AND idle_expires_at > $1 AND absolute_expires_at > $1";
    let (n,): (i64,) = on_pool!(db, read, |pool| sqlx::query_as(sql).bind(now).fetch_one(pool).await?);
    Ok(n)
}

/// Deletes sessions whose refresh tokens expired before `cutoff` (they can
/// no longer be presented as anything but junk); returns how many. The
/// idle limit never passes the absolute one, so it alone decides.
///
/// No index serves `idle_expires_at` (every rotation would move its entry),
/// so this walks the table in id order, `batch` sessions at a time, each
/// range its own short statement: the writer is never held for a scan of
/// the whole table, and refreshes go on between ranges.
pub async fn prune_sessions(db: &Db, cutoff: i64, batch: i64) -> Result<u64, sqlx::Error> {
    let range_end = "SELECT MAX(id) FROM (SELECT id FROM sessions WHERE id > $1 ORDER BY id LIMIT $2) AS range_ids";
    let delete = "DELETE FROM sessions WHERE id > $1 AND id <= $2 AND idle_expires_at < $3";
    let mut pruned = 0;
    let mut after = String::new();
    loop {
        let (last,): (Option<String>,) =
            on_pool!(db, read, |pool| sqlx::query_as(range_end).bind(&after).bind(batch).fetch_one(pool).await?);
        let Some(last) = last else { return Ok(pruned) };
        pruned += on_pool!(db, write, |pool| sqlx::query(delete)
            .bind(&after)
            .bind(&last)
            .bind(cutoff)
            .execute(pool)
            .await?
            .rows_affected());
        after = last;
    }
}
