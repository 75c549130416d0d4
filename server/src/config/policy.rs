//! Small typed settings: who must have a second factor, and the host of
//! the public origin (the default TOTP issuer).

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
