//! Single-use links mailed to users (verify an email, reset a password).
//!
//! A link's token is 32 random bytes (base64url, 43 characters); only its
//! SHA-256 is stored, bound to one user, one purpose and the address it was
//! mailed to. It works once, for a short while ([`Purpose::ttl_secs`]), and
//! not at all once a newer link of the same purpose was mailed or the
//! user's password changed. A refused link says which of those it is, so
//! the page can say what to do next.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

use crate::{
    config::Config,
    error::ApiError,
    state::AppState,
    store::{self, links::LinkRow, users::UserRow},
};

/// How long an email-verification link works.
pub const VERIFY_TTL_SECS: i64 = 48 * 3600;
/// How long the old address can undo an email change.
pub const UNDO_TTL_SECS: i64 = 7 * 24 * 3600;
/// The length of a token's text.
const TOKEN_CHARS: usize = 43;

/// What a link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
    /// Mailed to the new address of an email change: using it makes the change.
    ChangeEmail,
    /// Mailed to the old address once an email change is made: using it
    /// puts the old address back and ends every session ("this wasn't me").
    UndoEmailChange,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
            Self::ChangeEmail => "change_email",
            Self::UndoEmailChange => "undo_email_change",
        }
    }

    pub fn ttl_secs(self, config: &Config) -> i64 {
        match self {
            Self::VerifyEmail => VERIFY_TTL_SECS,
            Self::ResetPassword | Self::ChangeEmail => config.reset_ttl_secs,
            Self::UndoEmailChange => UNDO_TTL_SECS,
        }
    }
}

/// A fresh link for `user` (to their current address); earlier unused
/// links of the same purpose stop working. Returns the token and when it
/// expires.
pub async fn issue(state: &AppState, user: &UserRow, purpose: Purpose) -> Result<(String, i64), ApiError> {
    issue_to(state, user, purpose, &user.email).await
}

/// Like [`issue`], for the address `email` (the new one of an email change).
pub async fn issue_to(
    state: &AppState,
    user: &UserRow,
    purpose: Purpose,
    email: &str,
) -> Result<(String, i64), ApiError> {
    let token = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let now = state.now();
    let expires_at = now + purpose.ttl_secs(&state.config);
    let row = LinkRow {
        token_hash: hash(&token),
        user_id: user.id.clone(),
        purpose: purpose.as_str().to_owned(),
        email: email.to_owned(),
        created_at: now,
        expires_at,
        used_at: None,
        revoked_at: None,
    };
    store::links::insert_link(&state.db, &row).await?;
    Ok((token, expires_at))
}

/// The live link behind `token` for `purpose`, without using it; the
/// contract's refusal otherwise.
pub async fn check(state: &AppState, token: &str, purpose: Purpose) -> Result<LinkRow, ApiError> {
    let invalid = ApiError::LinkInvalid("this link is not valid; check that it was copied whole, or ask for a new one");
    if token.len() != TOKEN_CHARS || !token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(invalid);
    }
    let link = store::links::find_link(&state.db, &hash(token)).await?.ok_or(invalid)?;
    if link.purpose != purpose.as_str() {
        return Err(ApiError::LinkInvalid("this link is for something else; open it from the mail it came in"));
    }
    if link.used_at.is_some() {
        return Err(ApiError::LinkUsed);
    }
    if link.revoked_at.is_some() {
        return Err(ApiError::LinkInvalid(
            "this link no longer works: a newer one was sent, or the password changed; use the newest mail",
        ));
    }
    if state.now() >= link.expires_at {
        return Err(ApiError::LinkExpired);
    }
    Ok(link)
}

/// Uses the link behind `token`: [`check`], then one compare-and-swap, so
/// of two racing redemptions one wins and the other is told `link_used`.
pub async fn redeem(state: &AppState, token: &str, purpose: Purpose) -> Result<LinkRow, ApiError> {
    let link = check(state, token, purpose).await?;
    if store::links::use_link(&state.db, &link.token_hash, state.now()).await? {
        return Ok(link);
    }
    // Lost a race (used, revoked or expired in between): say which.
    check(state, token, purpose).await?;
    Err(ApiError::LinkUsed)
}

/// The stored form of a token: hex SHA-256.
fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_stored_as_its_sha256() {
        assert_eq!(hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
