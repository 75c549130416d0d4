//! Small typed settings: who must have a second factor, the WebAuthn
//! relying party, and the host of the public origin (the default TOTP
//! issuer and relying party id).

use super::{ConfigError, checks::invalid};

/// `AUTH_REQUIRE_MFA`: who must have a second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaPolicy {
    Off,
    Admins,
    All,
}

impl MfaPolicy {
    /// True when the policy covers a user with these roles.
    pub fn covers(self, roles: &[String]) -> bool {
        match self {
            Self::Off => false,
            Self::Admins => roles.iter().any(|role| role == "admin"),
            Self::All => true,
        }
    }
}

/// The host of an origin (`https://app.example:8443` → `app.example`).
pub fn origin_host(origin: &str) -> &str {
    let rest = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or(rest);
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or(v6);
    }
    authority.split(':').next().unwrap_or(authority)
}

/// The WebAuthn relying party: `AUTH_WEBAUTHN_RP_ID` (default: the public
/// origin's host) and `AUTH_WEBAUTHN_RP_NAME` (default: the TOTP issuer).
///
/// Every passkey is bound to the id for good: changing it makes every
/// registered passkey useless.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    pub id: String,
    pub name: String,
}

impl RelyingParty {
    pub(super) fn from_lookup(
        get: &impl Fn(&str) -> Option<String>,
        public_origin: &str,
        totp_issuer: &str,
    ) -> Result<Self, ConfigError> {
        const ID: &str = "AUTH_WEBAUTHN_RP_ID";
        let host = origin_host(public_origin).to_ascii_lowercase();
        let id = get(ID).map_or_else(|| host.clone(), |id| id.trim().to_ascii_lowercase());
        // WebAuthn: the id is the origin's host or a registrable parent of it.
        let parent = host.strip_suffix(id.as_str()).is_some_and(|rest| rest.is_empty() || rest.ends_with('.'));
        if id.is_empty() || id.starts_with('.') || !parent {
            return Err(invalid(ID, format!("must be {host} or a parent domain of it (AUTH_PUBLIC_ORIGIN's host)")));
        }
        let name = get("AUTH_WEBAUTHN_RP_NAME").unwrap_or_else(|| totp_issuer.to_owned());
        Ok(Self { id, name })
    }
}
