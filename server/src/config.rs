//! Typed configuration, read once at start from environment variables (and
//! an optional `.env` file). Every name and default is the contract's
//! (`docs/API.md`, "Configuration"); `.env.example` lists them all.

use std::{net::SocketAddr, path::PathBuf};

/// One environment variable the server reads.
#[derive(Debug, Clone, Copy)]
pub struct Variable {
    pub name: &'static str,
    pub default: &'static str,
    pub meaning: &'static str,
}

/// Every variable, its default and meaning: the source of `--help`, and
/// `server/tests/docs.rs` checks the README's table and `.env.example`
/// against it (and that [`Config::from_lookup`] reads no other name).
pub const VARIABLES: &[Variable] = &[
    var("DATABASE_URL", "sqlite://data/app.db", "sqlite://… (file created) or postgres://…"),
    var("LEPTOS_SITE_ADDR", "127.0.0.1:3000", "listen address (ip:port; port 0 picks one)"),
    var(
        "AUTH_PUBLIC_ORIGIN",
        "http:// (https:// with TLS) + LEPTOS_SITE_ADDR",
        "the app's origin, for CSRF checks, iss/aud and redirects",
    ),
    var("AUTH_ALLOWED_ORIGINS", "–", "extra origins allowed for unsafe requests, comma-separated"),
    var("AUTH_ACCESS_TTL_SECS", "900", "access token life"),
    var("AUTH_REFRESH_IDLE_SECS", "604800", "refresh token life, sliding"),
    var("AUTH_SESSION_MAX_SECS", "2592000", "absolute session life"),
    var("AUTH_REUSE_GRACE_SECS", "10", "grace window for a racing reuse of the previous refresh token (0: none)"),
    var("AUTH_REFRESH_LEAD_SECS", "300", "how long before expiry the browser refreshes"),
    var("AUTH_ISSUER", "AUTH_PUBLIC_ORIGIN", "JWT iss"),
    var("AUTH_AUDIENCE", "AUTH_PUBLIC_ORIGIN", "JWT aud"),
    var("AUTH_SIGNING_KEY_FILE", "–", "Ed25519 PKCS#8 PEM to sign with; unset: keys live in the database (rotatable)"),
    var(
        "AUTH_SECRET_KEY_FILE",
        "–",
        "a 32-byte key (64 hex digits) that encrypts the refresh MAC key and signing keys kept in the database",
    ),
    var("AUTH_COOKIE_SECURE", "true", "the Secure cookie attribute; false only for plain-http setups off localhost"),
    var("AUTH_ACCESS_COOKIE", "__Host-access", "access cookie name"),
    var("AUTH_REFRESH_COOKIE", "__Secure-refresh", "refresh cookie name"),
    var("AUTH_RATE_LIMITS", "on", "brute-force limits; off only for load tests"),
    var("AUTH_PASSWORD_QUEUE", "32", "password hashes that may wait for a turn; beyond: 503 with Retry-After"),
    var("AUTH_MAX_SESSIONS_PER_USER", "50", "live sessions per user; a new sign-in ends the least recently used"),
    var("AUTH_TRUSTED_PROXIES", "–", "proxy IPs whose X-Forwarded-For is believed, comma-separated"),
    var("AUTH_ADMIN_EMAIL", "–", "with AUTH_ADMIN_PASSWORD: this account exists with role admin after start"),
    var("AUTH_ADMIN_PASSWORD", "–", "the seeded admin's password (used only when the account is created)"),
    var("AUTH_TLS_CERT", "–", "PEM certificate chain: serve HTTPS directly (with AUTH_TLS_KEY)"),
    var("AUTH_TLS_KEY", "–", "PEM private key for AUTH_TLS_CERT"),
    var("AUTH_HTTP_REDIRECT_ADDR", "–", "with TLS: also listen for plain HTTP here and redirect it to HTTPS"),
    var("AUTH_METRICS", "off", "Prometheus metrics: off, on (GET /metrics on the main listener) or ip:port"),
    var("AUTH_AUDIT_RETENTION_DAYS", "90", "audit events older than this are deleted"),
    var("AUTH_AUDIT_REFRESHES", "on", "audit every successful refresh (off: only reuse and the other events)"),
    var("LEPTOS_SITE_ROOT", "target/site", "where the built site is (cargo-leptos sets it)"),
    var("LEPTOS_SITE_PKG_DIR", "pkg", "the bundle directory under the site root"),
    var("LEPTOS_OUTPUT_NAME", "cookie-auth", "the bundle's file name stem"),
    var("RUST_LOG", "info", "log filter (tracing-subscriber EnvFilter syntax)"),
    var("LOG_FORMAT", "pretty", "json for one JSON object per log line"),
];

const fn var(name: &'static str, default: &'static str, meaning: &'static str) -> Variable {
    Variable { name, default, meaning }
}

/// Where Prometheus metrics are served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsMode {
    Off,
    /// `GET /metrics` on the main listener.
    On,
    /// `GET /metrics` on a listener of its own (e.g. a private interface).
    Listen(SocketAddr),
}

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

fn invalid(name: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { name, reason: reason.into() }
}

/// The server's whole configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// `DATABASE_URL`: `sqlite://…` or `postgres://…` (may hold a password).
    pub database_url: Secret,
    /// `LEPTOS_SITE_ADDR`: where to listen (port 0 picks a free port).
    pub site_addr: SocketAddr,
    /// `AUTH_PUBLIC_ORIGIN`: the app's own origin, e.g. `https://app.example`.
    pub public_origin: String,
    /// `AUTH_ALLOWED_ORIGINS`: further origins allowed to make unsafe requests.
    pub allowed_origins: Vec<String>,
    /// `AUTH_ACCESS_TTL_SECS`: access token life.
    pub access_ttl_secs: i64,
    /// `AUTH_REFRESH_IDLE_SECS`: refresh token life, sliding.
    pub refresh_idle_secs: i64,
    /// `AUTH_SESSION_MAX_SECS`: absolute session life.
    pub session_max_secs: i64,
    /// `AUTH_REUSE_GRACE_SECS`: how long the parent of the live refresh token
    /// may still be presented (two tabs racing). 0 disables the grace.
    pub reuse_grace_secs: i64,
    /// `AUTH_REFRESH_LEAD_SECS`: how long before expiry the browser refreshes.
    pub refresh_lead_secs: i64,
    /// `AUTH_ISSUER`: the access token's `iss`.
    pub issuer: String,
    /// `AUTH_AUDIENCE`: the access token's `aud`.
    pub audience: String,
    /// `AUTH_SIGNING_KEY_FILE`: an Ed25519 PKCS#8 PEM to sign with; unset:
    /// keys are generated and kept in the database.
    pub signing_key_file: Option<PathBuf>,
    /// `AUTH_COOKIE_SECURE`: the `Secure` cookie attribute.
    pub cookie_secure: bool,
    /// `AUTH_ACCESS_COOKIE`: name of the access cookie.
    pub access_cookie: String,
    /// `AUTH_REFRESH_COOKIE`: name of the refresh cookie.
    pub refresh_cookie: String,
    /// `AUTH_RATE_LIMITS`: brute-force limits on (`on`) or off (`off`).
    pub rate_limits: bool,
    /// `AUTH_PASSWORD_QUEUE`: how many password hashes may wait for a turn.
    pub password_queue: usize,
    /// `AUTH_MAX_SESSIONS_PER_USER`: live sessions one user may hold.
    pub max_sessions_per_user: i64,
    /// `AUTH_SECRET_KEY_FILE`: the key that encrypts the secrets kept in
    /// the database (refresh MAC keys, signing keys).
    pub secret_key_file: Option<PathBuf>,
    /// `AUTH_TRUSTED_PROXIES`: addresses whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// `AUTH_ADMIN_EMAIL` + `AUTH_ADMIN_PASSWORD`: an admin made at start.
    pub admin: Option<(String, Secret)>,
    /// `AUTH_TLS_CERT` + `AUTH_TLS_KEY`: serve HTTPS directly.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// `AUTH_HTTP_REDIRECT_ADDR`: with TLS, a plain-HTTP listener that
    /// redirects to the public origin.
    pub http_redirect_addr: Option<SocketAddr>,
    /// `AUTH_METRICS`.
    pub metrics: MetricsMode,
    /// `AUTH_AUDIT_REFRESHES`: a `refreshed` event per successful rotation.
    pub audit_refreshes: bool,
    /// `AUTH_AUDIT_RETENTION_DAYS`.
    pub audit_retention_days: i64,
    /// `LEPTOS_SITE_ROOT`: where the built site (`pkg/`) lives.
    pub site_root: String,
    /// `LEPTOS_SITE_PKG_DIR`: the bundle directory under the site root.
    pub site_pkg_dir: String,
    /// `LEPTOS_OUTPUT_NAME`: the bundle's file name stem.
    pub output_name: String,
    /// Not read from the environment: a test sets it to play an instance
    /// whose clock runs this many seconds off ([`crate::state::AppState::now`]).
    pub clock_offset_secs: i64,
}

impl Config {
    /// Reads the process environment (after loading `.env` if present).
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is the normal case; a malformed one is worth a word.
        if let Err(err) = dotenvy::dotenv()
            && !err.not_found()
        {
            return Err(invalid(".env", err.to_string()));
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Parses configuration from any lookup (name → value), so tests can
    /// build one without touching the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());

        let database_url = get("DATABASE_URL").unwrap_or_else(|| "sqlite://data/app.db".into());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(invalid("DATABASE_URL", "must start with sqlite: or postgres://"));
        }
        if database_url.contains(":memory:") || database_url.contains("mode=memory") {
            // The reader and writer pools would each get a database of their own.
            return Err(invalid("DATABASE_URL", "an in-memory SQLite database is not supported; use a file"));
        }

        let site_addr: SocketAddr = get("LEPTOS_SITE_ADDR")
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse()
            .map_err(|_| invalid("LEPTOS_SITE_ADDR", "expected ip:port"))?;

        let serves_tls = get("AUTH_TLS_CERT").is_some();
        let public_origin = match get("AUTH_PUBLIC_ORIGIN") {
            Some(origin) => parse_origin("AUTH_PUBLIC_ORIGIN", &origin)?,
            None if serves_tls => format!("https://{site_addr}"),
            None => format!("http://{site_addr}"),
        };
        let allowed_origins = get("AUTH_ALLOWED_ORIGINS")
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|o| !o.is_empty())
                    .map(|o| parse_origin("AUTH_ALLOWED_ORIGINS", o))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();

        let secs = |name: &'static str, default: i64, min: i64| -> Result<i64, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => {
                    let n: i64 = v.parse().map_err(|_| invalid(name, "expected whole seconds"))?;
                    if n < min || n > 10 * 365 * 24 * 3600 {
                        return Err(invalid(name, format!("must be between {min} and ten years")));
                    }
                    Ok(n)
                }
            }
        };
        let access_ttl_secs = secs("AUTH_ACCESS_TTL_SECS", 900, 1)?;
        let refresh_idle_secs = secs("AUTH_REFRESH_IDLE_SECS", 604_800, 1)?;
        let session_max_secs = secs("AUTH_SESSION_MAX_SECS", 2_592_000, 1)?;
        let reuse_grace_secs = secs("AUTH_REUSE_GRACE_SECS", 10, 0)?;
        let refresh_lead_secs = secs("AUTH_REFRESH_LEAD_SECS", 300, 0)?;

        let issuer = get("AUTH_ISSUER").unwrap_or_else(|| public_origin.clone());
        let audience = get("AUTH_AUDIENCE").unwrap_or_else(|| public_origin.clone());

        let cookie_secure = flag("AUTH_COOKIE_SECURE", get("AUTH_COOKIE_SECURE"), true)?;
        let access_cookie = get("AUTH_ACCESS_COOKIE").unwrap_or_else(|| "__Host-access".into());
        let refresh_cookie = get("AUTH_REFRESH_COOKIE").unwrap_or_else(|| "__Secure-refresh".into());
        check_cookie_name("AUTH_ACCESS_COOKIE", &access_cookie, cookie_secure, "/")?;
        check_cookie_name("AUTH_REFRESH_COOKIE", &refresh_cookie, cookie_secure, "/api/auth")?;
        if access_cookie == refresh_cookie {
            return Err(invalid("AUTH_REFRESH_COOKIE", "must differ from AUTH_ACCESS_COOKIE"));
        }

        let rate_limits = flag("AUTH_RATE_LIMITS", get("AUTH_RATE_LIMITS"), true)?;
        let count = |name: &'static str, default: i64, range: std::ops::RangeInclusive<i64>| match get(name) {
            None => Ok(default),
            Some(v) => v.parse::<i64>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
                invalid(name, format!("expected a whole number from {} to {}", range.start(), range.end()))
            }),
        };
        let password_queue = count("AUTH_PASSWORD_QUEUE", 32, 0..=100_000)? as usize;
        let max_sessions_per_user = count("AUTH_MAX_SESSIONS_PER_USER", 50, 1..=100_000)?;
        let trusted_proxies = get("AUTH_TRUSTED_PROXIES")
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(|p| p.parse().map_err(|_| invalid("AUTH_TRUSTED_PROXIES", "expected IP addresses")))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();

        let admin = match (get("AUTH_ADMIN_EMAIL"), lookup("AUTH_ADMIN_PASSWORD")) {
            (Some(email), Some(password)) if !password.is_empty() => Some((email, Secret::new(password))),
            (None, None) => None,
            _ => return Err(invalid("AUTH_ADMIN_EMAIL", "set both AUTH_ADMIN_EMAIL and AUTH_ADMIN_PASSWORD")),
        };
        let tls = match (get("AUTH_TLS_CERT"), get("AUTH_TLS_KEY")) {
            (Some(cert), Some(key)) => Some((cert.into(), key.into())),
            (None, None) => None,
            _ => return Err(invalid("AUTH_TLS_CERT", "set both AUTH_TLS_CERT and AUTH_TLS_KEY")),
        };

        let http_redirect_addr = match get("AUTH_HTTP_REDIRECT_ADDR") {
            None => None,
            Some(_) if tls.is_none() => {
                return Err(invalid("AUTH_HTTP_REDIRECT_ADDR", "needs AUTH_TLS_CERT and AUTH_TLS_KEY"));
            }
            Some(_) if !public_origin.starts_with("https://") => {
                return Err(invalid("AUTH_HTTP_REDIRECT_ADDR", "needs an https:// AUTH_PUBLIC_ORIGIN to redirect to"));
            }
            Some(addr) => Some(addr.parse().map_err(|_| invalid("AUTH_HTTP_REDIRECT_ADDR", "expected ip:port"))?),
        };
        let metrics = match get("AUTH_METRICS").as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("off" | "false" | "0" | "no") => MetricsMode::Off,
            Some("on" | "true" | "1" | "yes") => MetricsMode::On,
            Some(addr) => MetricsMode::Listen(
                addr.parse().map_err(|_| invalid("AUTH_METRICS", "expected off, on or an ip:port to listen on"))?,
            ),
        };
        let audit_refreshes = flag("AUTH_AUDIT_REFRESHES", get("AUTH_AUDIT_REFRESHES"), true)?;
        let audit_retention_days = match get("AUTH_AUDIT_RETENTION_DAYS") {
            None => 90,
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|d| (1..=36_500).contains(d))
                .ok_or_else(|| invalid("AUTH_AUDIT_RETENTION_DAYS", "expected whole days, 1 to 36500"))?,
        };

        Ok(Self {
            database_url: Secret::new(database_url),
            site_addr,
            public_origin,
            allowed_origins,
            access_ttl_secs,
            refresh_idle_secs,
            session_max_secs,
            reuse_grace_secs,
            refresh_lead_secs,
            issuer,
            audience,
            signing_key_file: get("AUTH_SIGNING_KEY_FILE").map(PathBuf::from),
            cookie_secure,
            access_cookie,
            refresh_cookie,
            rate_limits,
            password_queue,
            max_sessions_per_user,
            secret_key_file: get("AUTH_SECRET_KEY_FILE").map(PathBuf::from),
            trusted_proxies,
            admin,
            tls,
            http_redirect_addr,
            metrics,
            audit_refreshes,
            audit_retention_days,
            site_root: get("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            site_pkg_dir: get("LEPTOS_SITE_PKG_DIR").unwrap_or_else(|| "pkg".into()),
            output_name: get("LEPTOS_OUTPUT_NAME").unwrap_or_else(|| "cookie-auth".into()),
            clock_offset_secs: 0,
        })
    }

    /// True when `origin` may make unsafe requests (the app's own or configured).
    pub fn origin_allowed(&self, origin: &str) -> bool {
        let origin = origin.trim_end_matches('/');
        origin.eq_ignore_ascii_case(&self.public_origin)
            || self.allowed_origins.iter().any(|o| origin.eq_ignore_ascii_case(o))
    }
}

fn flag(name: &'static str, value: Option<String>, default: bool) -> Result<bool, ConfigError> {
    match value.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => Ok(default),
        Some("on" | "true" | "1" | "yes") => Ok(true),
        Some("off" | "false" | "0" | "no") => Ok(false),
        Some(_) => Err(invalid(name, "expected on/off or true/false")),
    }
}

/// An origin is `scheme://host[:port]`, nothing more; stored without a
/// trailing slash so it compares equal to a browser's `Origin` header.
fn parse_origin(name: &'static str, value: &str) -> Result<String, ConfigError> {
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
fn check_cookie_name(name: &'static str, value: &str, secure: bool, path: &str) -> Result<(), ConfigError> {
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
