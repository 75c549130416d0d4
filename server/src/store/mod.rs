//! Every SQL query of the server, one module per table. Functions are named
//! for what they do (`find_…`, `insert_…`, `revoke_…`) and return
//! `sqlx::Error`; the HTTP layer decides what an error means to a client.

pub mod bindings;
pub mod events;
pub mod keys;
pub mod links;
pub mod mail;
pub mod mfa;
pub mod mfa_pending;
pub mod passkeys;
pub mod rotation;
pub mod sessions;
pub mod users;

/// Why a session ended; stored in `revoke_reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeReason {
    Logout,
    Revoked,
    Reuse,
    PasswordChanged,
    /// A password reset by a mailed link ended every session.
    PasswordReset,
    /// The old address undid an email change ("this wasn't me").
    EmailChangeUndone,
    /// A newer sign-in pushed it past `AUTH_MAX_SESSIONS_PER_USER`.
    Evicted,
}

impl RevokeReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::Revoked => "revoked",
            Self::Reuse => "reuse",
            Self::PasswordChanged => "password_changed",
            Self::PasswordReset => "password_reset",
            Self::EmailChangeUndone => "email_change_undone",
            Self::Evicted => "evicted",
        }
    }
}

/// The current Unix time in seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
