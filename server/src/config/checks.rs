//! Checks shared by the variables: flags, origins, cookie names, and the
//! error that names the variable that failed, and [`Secret`], for values
//! that must not be printed.

/// A value that must never reach a log line: its `Debug` prints a mask.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// The secret itself; call only where it is used, never to print it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// What went wrong while reading the configuration. Names the variable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name}: {reason}")]
    Invalid { name: &'static str, reason: String },
}

pub(super) fn invalid(name: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { name, reason: reason.into() }
}

/// `on`/`off` (or `true`/`false`, `1`/`0`, `yes`/`no`).
pub(super) fn flag(name: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "on" | "true" | "1" | "yes" => Ok(true),
        "off" | "false" | "0" | "no" => Ok(false),
        _ => Err(invalid(name, "expected on/off or true/false")),
    }
}

/// An origin is `scheme://host[:port]`, nothing more; stored without a
/// trailing slash so it compares equal to a browser's `Origin` header.
pub(super) fn parse_origin(name: &'static str, value: &str) -> Result<String, ConfigError> {
    let value = value.trim_end_matches('/');
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .ok_or_else(|| invalid(name, "origins start with http:// or https://"))?;
    if rest.is_empty() || rest.contains(['/', '?', '#', ' ']) {
        return Err(invalid(name, "an origin is scheme://host[:port] with no path"));
    }
    Ok(value.to_owned())
}

/// Browsers drop `__Host-`/`__Secure-` cookies that break the prefix rules,
/// which would log everyone out silently: refuse such a setup at start.
pub(super) fn check_cookie_name(name: &'static str, value: &str, secure: bool, path: &str) -> Result<(), ConfigError> {
    let token_char = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if value.is_empty() || !value.chars().all(token_char) {
        return Err(invalid(name, "not a valid cookie name"));
    }
    if value.starts_with("__Host-") && (!secure || path != "/") {
        return Err(invalid(name, "a __Host- cookie needs Secure and Path=/"));
    }
    if value.starts_with("__Secure-") && !secure {
        return Err(invalid(name, "a __Secure- cookie needs AUTH_COOKIE_SECURE=true"));
    }
    Ok(())
}
