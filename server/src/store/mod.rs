//! Every SQL query of the server, one module per table. Functions are named
//! for what they do (`find_…`, `insert_…`, `revoke_…`) and return
//! `sqlx::Error`; the HTTP layer decides what an error means to a client.

pub mod events;
pub mod keys;
pub mod sessions;
pub mod users;

/// The current Unix time in seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
