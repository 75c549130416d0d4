//! Input validated once at the edge: an [`Email`] or a [`NewPassword`] that
//! exists is acceptable, so deeper code never re-checks.

use unicode_normalization::UnicodeNormalization;

use app::types::InputField;
pub use app::types::rules::{PASSWORD_MAX_CHARS as MAX_PASSWORD_CHARS, PASSWORD_MIN_CHARS as MIN_PASSWORD_CHARS};

use crate::error::ApiError;

/// Longest email accepted (RFC 5321's path limit).
const MAX_EMAIL_LEN: usize = 254;

/// A plausible email address, trimmed, NFC-normalised and lower-cased
/// (Unicode-aware), so `A@Example.com` and `a@example.com` are one account,
/// and so are the composed and decomposed spellings of `jörg@…`.
///
/// Characters that show nothing are refused: a zero-width space, joiner or
/// BOM, a bidi control, a variation selector would make an invisible twin
/// of another address (the same on every screen, a different account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let email: String = raw.trim().nfc().collect::<String>().to_lowercase();
        let invalid = || ApiError::invalid_field(InputField::Email, "enter a valid email address");
        if email.is_empty() || email.len() > MAX_EMAIL_LEN {
            return Err(invalid());
        }
        if email.chars().any(|c| c.is_whitespace() || c.is_control() || is_invisible(c)) {
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

/// True for a character that renders as nothing (or as blank) on its own:
/// format characters (zero-width space and joiners, word joiner, BOM, bidi
/// controls, soft hyphen), separators, private-use and unassigned code
/// points, and the invisible letters and marks that are not `Cf`.
fn is_invisible(c: char) -> bool {
    use unicode_properties::{GeneralCategory as G, UnicodeGeneralCategory};
    matches!(
        c.general_category(),
        G::Format | G::PrivateUse | G::Unassigned | G::SpaceSeparator | G::LineSeparator | G::ParagraphSeparator
    ) || matches!(c,
        '\u{034F}'                      // combining grapheme joiner
        | '\u{115F}' | '\u{1160}'        // Hangul choseong/jungseong fillers
        | '\u{3164}' | '\u{FFA0}'        // Hangul fillers
        | '\u{180B}'..='\u{180F}'        // Mongolian variation selectors
        | '\u{FE00}'..='\u{FE0F}'        // variation selectors
        | '\u{E0100}'..='\u{E01EF}'      // variation selectors supplement
    )
}

/// A password acceptable for a new account.
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: String) -> Result<Self, ApiError> {
        let chars = raw.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err(ApiError::invalid_field(
                InputField::Password,
                format!("use a password of at least {MIN_PASSWORD_CHARS} characters"),
            ));
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(ApiError::invalid_field(
                InputField::Password,
                format!("use a password of at most {MAX_PASSWORD_CHARS} characters"),
            ));
        }
        Ok(Self(raw))
    }

    pub fn into_inner(self) -> String {
        self.0
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
                return Err(ApiError::invalid_field(
                    InputField::Roles,
                    "role names are 1 to 32 characters: a-z first, then a-z, 0-9, _ or -",
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
            return Err(ApiError::invalid_field(InputField::Roles, format!("give 1 to {MAX_ROLES} roles")));
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
    fn invisible_characters_make_no_twin_of_an_address() {
        for invisible in [
            '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{202E}', '\u{2066}', '\u{00AD}', '\u{FE0F}',
            '\u{3164}',
        ] {
            let twin = format!("ad{invisible}min@example.com");
            assert!(Email::parse(&twin).is_err(), "{twin:?} accepted");
        }
    }

    #[test]
    fn composed_and_decomposed_spellings_are_one_address() {
        let composed = Email::parse("j\u{00F6}rg@example.de").unwrap();
        let decomposed = Email::parse("jo\u{0308}rg@example.de").unwrap();
        assert_eq!(composed, decomposed);
    }

    #[test]
    fn passwords_need_eight_to_1024_characters() {
        assert!(NewPassword::parse("short".into()).is_err());
        assert!(NewPassword::parse("long enough".into()).is_ok());
        assert!(NewPassword::parse("x".repeat(1025)).is_err());
    }
}

#[cfg(test)]
mod fuzz;
