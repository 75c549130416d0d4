//! Why a user is no longer signed in: the `reason` of `/login?reason=…`,
//! set by the server's resume hop and by the browser's scheduler alike.

use serde::{Deserialize, Serialize};

use super::ErrorCode;

/// Why the user is no longer signed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignOutReason {
    Expired,
    Revoked,
    Reused,
    SignedOut,
}

impl SignOutReason {
    pub const ALL: [Self; 4] = [Self::Expired, Self::Revoked, Self::Reused, Self::SignedOut];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::Revoked => "revoked",
            Self::Reused => "reused",
            Self::SignedOut => "signed_out",
        }
    }

    /// Reads a `reason` query value; anything else shows no notice.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == value)
    }

    /// What the sign-in page tells the user.
    pub fn message(self) -> &'static str {
        match self {
            Self::Expired => "Your session expired. Please sign in again.",
            Self::Revoked => "Your session was ended, for example from another device. Please sign in again.",
            Self::Reused => {
                "For your safety you were signed out: an old sign-in token of this session was used again. \
                 Please sign in again."
            }
            Self::SignedOut => "You are signed out. Sign in to continue.",
        }
    }

    /// The reason behind a refused refresh (`401` with `code`).
    /// `refresh_lapsed`: the refresh token's own life has run out, so a bare
    /// `refresh_invalid` means it expired rather than was revoked.
    pub fn from_refresh_error(code: ErrorCode, refresh_lapsed: bool) -> Self {
        match code {
            ErrorCode::RefreshReused => Self::Reused,
            ErrorCode::RefreshExpired => Self::Expired,
            _ if refresh_lapsed => Self::Expired,
            _ => Self::Revoked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_back_and_nothing_else_does() {
        for reason in SignOutReason::ALL {
            assert_eq!(SignOutReason::parse(reason.as_str()), Some(reason));
        }
        assert_eq!(SignOutReason::parse("hacked"), None);
    }

    #[test]
    fn a_refused_refresh_names_its_reason() {
        assert_eq!(SignOutReason::from_refresh_error(ErrorCode::RefreshReused, false), SignOutReason::Reused);
        assert_eq!(SignOutReason::from_refresh_error(ErrorCode::RefreshExpired, false), SignOutReason::Expired);
        assert_eq!(SignOutReason::from_refresh_error(ErrorCode::RefreshInvalid, false), SignOutReason::Revoked);
        assert_eq!(SignOutReason::from_refresh_error(ErrorCode::RefreshInvalid, true), SignOutReason::Expired);
    }
}
