//! Input validated once at the edge: an [`Email`] or a [`NewPassword`] that
//! exists is acceptable, so deeper code never re-checks.

use crate::error::ApiError;

/// Longest email accepted (RFC 5321's path limit).
const MAX_EMAIL_LEN: usize = 254;
/// Passwords: at least this many characters…
const MIN_PASSWORD_CHARS: usize = 8;
/// …and at most this many, so hashing cost stays bounded.
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// A plausible email address, trimmed and lower-cased (Unicode-aware), so
/// `A@Example.com` and `a@example.com` are one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let email = raw.trim().to_lowercase();
        let invalid = || ApiError::InvalidInput("enter a valid email address".into());
        if email.is_empty() || email.len() > MAX_EMAIL_LEN {
            return Err(invalid());
        }
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
        if local.is_empty()
            || domain.is_empty()
            || domain.contains('@')
            || domain.starts_with('.')
            || domain.ends_with('.')
        {
            return Err(invalid());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password acceptable for a new account.
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: String) -> Result<Self, ApiError> {
        let chars = raw.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err(ApiError::InvalidInput(format!("use a password of at least {MIN_PASSWORD_CHARS} characters")));
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(ApiError::InvalidInput(format!("use a password of at most {MAX_PASSWORD_CHARS} characters")));
        }
        Ok(Self(raw))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_case_folded() {
        assert_eq!(Email::parse("  A@Example.COM ").unwrap().as_str(), "a@example.com");
        assert_eq!(Email::parse("JÖRG@exämple.de").unwrap().as_str(), "jörg@exämple.de");
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in ["", "a", "@b", "a@", "a@@b", "a b@c", "a@b.", "a@.b", "a\u{0}@b"] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(Email::parse(&format!("{}@b.c", "a".repeat(300))).is_err());
    }

    #[test]
    fn passwords_need_eight_to_1024_characters() {
        assert!(NewPassword::parse("short".into()).is_err());
        assert!(NewPassword::parse("long enough".into()).is_ok());
        assert!(NewPassword::parse("x".repeat(1025)).is_err());
    }
}

/// Most roles one user may hold.
const MAX_ROLES: usize = 16;

/// A valid set of role names: 1 to 16 names of `[a-z][a-z0-9_-]{0,31}`,
/// duplicates collapsed, order kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roles(Vec<String>);

impl Roles {
    pub fn parse<S: AsRef<str>>(raw: &[S]) -> Result<Self, ApiError> {
        let mut roles: Vec<String> = Vec::new();
        for role in raw {
            let role = role.as_ref();
            let mut chars = role.chars();
            let well_formed = role.len() <= 32
                && chars.next().is_some_and(|c| c.is_ascii_lowercase())
                && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
            if !well_formed {
                return Err(ApiError::InvalidInput(
                    "role names are 1 to 32 characters: a-z first, then a-z, 0-9, _ or -".into(),
                ));
            }
            if !roles.iter().any(|r| r == role) {
                roles.push(role.to_owned());
            }
            if roles.len() > MAX_ROLES {
                break;
            }
        }
        if roles.is_empty() || roles.len() > MAX_ROLES {
            return Err(ApiError::InvalidInput(format!("give 1 to {MAX_ROLES} roles")));
        }
        Ok(Self(roles))
    }

    pub fn contains(&self, role: &str) -> bool {
        self.0.iter().any(|r| r == role)
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// The stored form: space-separated.
    pub fn joined(&self) -> String {
        self.0.join(" ")
    }
}
