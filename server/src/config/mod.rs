//! Typed configuration, read once at start from environment variables (and
//! an optional `.env` file). Every name and default is the contract's
//! (`docs/API.md`, "Configuration") and is written once, in [`VARIABLES`];
//! `.env.example` lists them all.

mod checks;
mod policy;
mod variables;

use std::{net::SocketAddr, path::PathBuf};

pub use checks::{ConfigError, Secret};
use checks::{check_cookie_name, flag, invalid, parse_origin};
pub use policy::{MfaPolicy, RelyingParty, origin_host};
pub use variables::{VARIABLES, Variable, default_of};

/// Where Prometheus metrics are served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsMode {
    Off,
    /// `GET /metrics` on the main listener.
    On,
    /// `GET /metrics` on a listener of its own (e.g. a private interface).
    Listen(SocketAddr),
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
    /// `AUTH_SMTP_URL`: where mail goes (may hold a password); `None`:
    /// into [`Config::mail_outbox`].
    pub smtp_url: Option<Secret>,
    /// `AUTH_MAIL_FROM`: the From of every mail.
    pub mail_from: String,
    /// `AUTH_MAIL_OUTBOX`: the .eml directory used without SMTP.
    pub mail_outbox: PathBuf,
    /// `AUTH_RESET_TTL_SECS`: life of a password-reset link.
    pub reset_ttl_secs: i64,
    /// `AUTH_REQUIRE_VERIFIED_EMAIL`: the API refuses unverified users.
    pub require_verified_email: bool,
    /// `AUTH_STEP_UP_SECS`: how recent a proof must be for a sensitive action.
    pub step_up_secs: i64,
    /// `AUTH_DEVICE_BINDING`: whether sessions are offered device binding
    /// (DBSC), and whether the admin API requires it.
    pub device_binding: crate::binding::Policy,
    /// `AUTH_REQUIRE_MFA`.
    pub require_mfa: MfaPolicy,
    /// `AUTH_TOTP_ISSUER`: the issuer authenticator apps show.
    pub totp_issuer: String,
    /// `AUTH_WEBAUTHN_RP_ID` and `AUTH_WEBAUTHN_RP_NAME`.
    pub webauthn: RelyingParty,
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
    /// whose clock runs this many seconds off (`AppState::now`).
    pub clock_offset_secs: i64,
    /// Not read from the environment: a test pins the clock one-time codes
    /// are checked against (Unix seconds), so drift limits can be tested
    /// exactly. `None`: the instance's clock.
    pub code_clock: Option<std::sync::Arc<std::sync::atomic::AtomicI64>>,
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
    /// build one without touching the process environment. An unset or
    /// empty variable takes its default from [`VARIABLES`], parsed like a
    /// given value.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        // `get`: the value if given; `value`: the value or its default.
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let value = |name: &str| get(name).unwrap_or_else(|| default_of(name).to_owned());

        let database_url = value("DATABASE_URL");
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

        let site_addr: SocketAddr =
            value("LEPTOS_SITE_ADDR").parse().map_err(|_| invalid("LEPTOS_SITE_ADDR", "expected ip:port"))?;

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

        let secs = |name: &'static str, min: i64| -> Result<i64, ConfigError> {
            let n: i64 = value(name).parse().map_err(|_| invalid(name, "expected whole seconds"))?;
            if n < min || n > 10 * 365 * 24 * 3600 {
                return Err(invalid(name, format!("must be between {min} and ten years")));
            }
            Ok(n)
        };
        let access_ttl_secs = secs("AUTH_ACCESS_TTL_SECS", 1)?;
        let refresh_idle_secs = secs("AUTH_REFRESH_IDLE_SECS", 1)?;
        let session_max_secs = secs("AUTH_SESSION_MAX_SECS", 1)?;
        let reuse_grace_secs = secs("AUTH_REUSE_GRACE_SECS", 0)?;
        let refresh_lead_secs = secs("AUTH_REFRESH_LEAD_SECS", 0)?;
        let reset_ttl_secs = secs("AUTH_RESET_TTL_SECS", 60)?;

        let issuer = get("AUTH_ISSUER").unwrap_or_else(|| public_origin.clone());
        let audience = get("AUTH_AUDIENCE").unwrap_or_else(|| public_origin.clone());
        let totp_issuer = get("AUTH_TOTP_ISSUER").unwrap_or_else(|| origin_host(&public_origin).to_owned());
        if totp_issuer.contains(':') && get("AUTH_TOTP_ISSUER").is_some() {
            // The otpauth label is `issuer:account`; a colon would split it.
            return Err(invalid("AUTH_TOTP_ISSUER", "must not contain ':'"));
        }

        let webauthn = RelyingParty::from_lookup(&get, &public_origin, &totp_issuer)?;

        let cookie_secure = flag("AUTH_COOKIE_SECURE", &value("AUTH_COOKIE_SECURE"))?;
        let access_cookie = value("AUTH_ACCESS_COOKIE");
        let refresh_cookie = value("AUTH_REFRESH_COOKIE");
        check_cookie_name("AUTH_ACCESS_COOKIE", &access_cookie, cookie_secure, "/")?;
        check_cookie_name("AUTH_REFRESH_COOKIE", &refresh_cookie, cookie_secure, "/api/auth")?;
        if access_cookie == refresh_cookie {
            return Err(invalid("AUTH_REFRESH_COOKIE", "must differ from AUTH_ACCESS_COOKIE"));
        }

        let rate_limits = flag("AUTH_RATE_LIMITS", &value("AUTH_RATE_LIMITS"))?;
        let count = |name: &'static str, range: std::ops::RangeInclusive<i64>| {
            value(name).parse::<i64>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
                invalid(name, format!("expected a whole number from {} to {}", range.start(), range.end()))
            })
        };
        let password_queue = count("AUTH_PASSWORD_QUEUE", 0..=100_000)? as usize;
        let max_sessions_per_user = count("AUTH_MAX_SESSIONS_PER_USER", 1..=100_000)?;
        let step_up_secs = count("AUTH_STEP_UP_SECS", 1..=86_400)?;
        let require_mfa = match value("AUTH_REQUIRE_MFA").to_ascii_lowercase().as_str() {
            "off" => MfaPolicy::Off,
            "admins" => MfaPolicy::Admins,
            "all" => MfaPolicy::All,
            _ => return Err(invalid("AUTH_REQUIRE_MFA", "expected off, admins or all")),
        };
        let device_binding = crate::binding::Policy::parse(&value("AUTH_DEVICE_BINDING"))
            .ok_or_else(|| invalid("AUTH_DEVICE_BINDING", "expected on, off or required-for-admin"))?;
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
        let metrics = match value("AUTH_METRICS").to_ascii_lowercase().as_str() {
            "off" | "false" | "0" | "no" => MetricsMode::Off,
            "on" | "true" | "1" | "yes" => MetricsMode::On,
            addr => MetricsMode::Listen(
                addr.parse().map_err(|_| invalid("AUTH_METRICS", "expected off, on or an ip:port to listen on"))?,
            ),
        };
        let smtp_url = match get("AUTH_SMTP_URL") {
            None => None,
            Some(url) if url.starts_with("smtp://") || url.starts_with("smtps://") => Some(Secret::new(url)),
            Some(_) => return Err(invalid("AUTH_SMTP_URL", "expected smtp://… (STARTTLS) or smtps://… (TLS)")),
        };
        let mail_from = value("AUTH_MAIL_FROM");
        if mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(invalid("AUTH_MAIL_FROM", "expected an address, e.g. Name <no-reply@example.com>"));
        }
        let audit_refreshes = flag("AUTH_AUDIT_REFRESHES", &value("AUTH_AUDIT_REFRESHES"))?;
        let audit_retention_days = value("AUTH_AUDIT_RETENTION_DAYS")
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=36_500).contains(d))
            .ok_or_else(|| invalid("AUTH_AUDIT_RETENTION_DAYS", "expected whole days, 1 to 36500"))?;

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
            smtp_url,
            mail_from,
            mail_outbox: PathBuf::from(value("AUTH_MAIL_OUTBOX")),
            reset_ttl_secs,
            require_verified_email: flag("AUTH_REQUIRE_VERIFIED_EMAIL", &value("AUTH_REQUIRE_VERIFIED_EMAIL"))?,
            audit_refreshes,
            audit_retention_days,
            site_root: value("LEPTOS_SITE_ROOT"),
            site_pkg_dir: value("LEPTOS_SITE_PKG_DIR"),
            output_name: value("LEPTOS_OUTPUT_NAME"),
            step_up_secs,
            require_mfa,
            device_binding,
            totp_issuer,
            webauthn,
            clock_offset_secs: 0,
            code_clock: None,
        })
    }

    /// True when `origin` may make unsafe requests (the app's own or configured).
    pub fn origin_allowed(&self, origin: &str) -> bool {
        let origin = origin.trim_end_matches('/');
        origin.eq_ignore_ascii_case(&self.public_origin)
            || self.allowed_origins.iter().any(|o| origin.eq_ignore_ascii_case(o))
    }
}
