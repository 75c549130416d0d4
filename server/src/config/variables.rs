//! The table of every environment variable: name, default and meaning.
//! `--help` prints it, `server/tests/docs.rs` checks the README's table and
//! `.env.example` against it, and [`super::Config::from_lookup`] takes each
//! default from it, so a default is written once.

/// One environment variable the server reads.
#[derive(Debug, Clone, Copy)]
pub struct Variable {
    pub name: &'static str,
    /// The default as `--help` and the README show it: a value, `–` for
    /// unset, or how it is derived from other variables.
    pub default: &'static str,
    pub meaning: &'static str,
    /// True when [`Self::default`] is the value itself, parsed like a set
    /// one ([`default_of`]).
    pub literal: bool,
}

/// Every variable, its default and meaning: the source of `--help`, and
/// `server/tests/docs.rs` checks the README's table and `.env.example`
/// against it (and that [`super::Config::from_lookup`] reads no other name).
pub const VARIABLES: &[Variable] = &[
    var("DATABASE_URL", "sqlite://data/app.db", "sqlite://… (file created) or postgres://…"),
    var("LEPTOS_SITE_ADDR", "127.0.0.1:3000", "listen address (ip:port; port 0 picks one)"),
    derived(
        "AUTH_PUBLIC_ORIGIN",
        "http:// (https:// with TLS) + LEPTOS_SITE_ADDR",
        "the app's origin, for CSRF checks, iss/aud and redirects",
    ),
    unset("AUTH_ALLOWED_ORIGINS", "extra origins allowed for unsafe requests, comma-separated"),
    var("AUTH_ACCESS_TTL_SECS", "900", "access token life"),
    var("AUTH_REFRESH_IDLE_SECS", "604800", "refresh token life, sliding"),
    var("AUTH_SESSION_MAX_SECS", "2592000", "absolute session life"),
    var("AUTH_REUSE_GRACE_SECS", "10", "grace window for a racing reuse of the previous refresh token (0: none)"),
    var("AUTH_REFRESH_LEAD_SECS", "300", "how long before expiry the browser refreshes"),
    derived("AUTH_ISSUER", "AUTH_PUBLIC_ORIGIN", "JWT iss"),
    derived("AUTH_AUDIENCE", "AUTH_PUBLIC_ORIGIN", "JWT aud"),
    unset("AUTH_SIGNING_KEY_FILE", "Ed25519 PKCS#8 PEM to sign with; unset: keys live in the database (rotatable)"),
    unset(
        "AUTH_SECRET_KEY_FILE",
        "a 32-byte key (64 hex digits) that encrypts the refresh MAC key and signing keys kept in the database",
    ),
    var("AUTH_COOKIE_SECURE", "true", "the Secure cookie attribute; false only for plain-http setups off localhost"),
    var("AUTH_ACCESS_COOKIE", "__Host-access", "access cookie name"),
    var("AUTH_REFRESH_COOKIE", "__Secure-refresh", "refresh cookie name"),
    var("AUTH_RATE_LIMITS", "on", "brute-force limits; off only for load tests"),
    var("AUTH_PASSWORD_QUEUE", "32", "password hashes that may wait for a turn; beyond: 503 with Retry-After"),
    var("AUTH_MAX_SESSIONS_PER_USER", "50", "live sessions per user; a new sign-in ends the least recently used"),
    unset("AUTH_TRUSTED_PROXIES", "proxy IPs whose X-Forwarded-For is believed, comma-separated"),
    unset("AUTH_ADMIN_EMAIL", "with AUTH_ADMIN_PASSWORD: this account exists with role admin after start"),
    unset("AUTH_ADMIN_PASSWORD", "the seeded admin's password (used only when the account is created)"),
    unset("AUTH_TLS_CERT", "PEM certificate chain: serve HTTPS directly (with AUTH_TLS_KEY)"),
    unset("AUTH_TLS_KEY", "PEM private key for AUTH_TLS_CERT"),
    unset("AUTH_HTTP_REDIRECT_ADDR", "with TLS: also listen for plain HTTP here and redirect it to HTTPS"),
    unset(
        "AUTH_SMTP_URL",
        "send mail over SMTP: smtps://user:pass@host:465 (TLS) or smtp://user:pass@host:587 (STARTTLS); unset: write .eml files to AUTH_MAIL_OUTBOX",
    ),
    var("AUTH_MAIL_FROM", "Cookie Auth <no-reply@localhost>", "the From of every mail"),
    var(
        "AUTH_MAIL_OUTBOX",
        "data/outbox",
        "without AUTH_SMTP_URL: the directory each mail is written to as an .eml file",
    ),
    var(
        "AUTH_REQUIRE_VERIFIED_EMAIL",
        "off",
        "on: a user whose email is not verified signs in but gets 403 email_unverified from the API until they are",
    ),
    var("AUTH_RESET_TTL_SECS", "1800", "life of a password-reset link"),
    var(
        "AUTH_STEP_UP_SECS",
        "600",
        "how recent a proof (sign-in or step-up) must be for a sensitive action; older: 403 step_up_required",
    ),
    var(
        "AUTH_REQUIRE_MFA",
        "off",
        "off, admins or all: users it covers must enrol a second factor (403 mfa_enrolment_required until they do)",
    ),
    var(
        "AUTH_DEVICE_BINDING",
        "on",
        "on, off or required-for-admin: offer device-bound sessions (DBSC, HTTPS only); required-for-admin: the admin API refuses unbound sessions",
    ),
    derived("AUTH_TOTP_ISSUER", "AUTH_PUBLIC_ORIGIN's host", "the issuer name authenticator apps show next to a code"),
    derived(
        "AUTH_WEBAUTHN_RP_ID",
        "AUTH_PUBLIC_ORIGIN's host",
        "the WebAuthn relying party id: the origin's host or a parent domain of it. Every passkey is bound to it: \
         changing it later breaks every registered passkey",
    ),
    derived("AUTH_WEBAUTHN_RP_NAME", "AUTH_TOTP_ISSUER", "the site name passkey prompts show"),
    var("AUTH_METRICS", "off", "Prometheus metrics: off, on (GET /metrics on the main listener) or ip:port"),
    var("AUTH_AUDIT_RETENTION_DAYS", "90", "audit events older than this are deleted"),
    var("AUTH_AUDIT_REFRESHES", "on", "audit every successful refresh (off: only reuse and the other events)"),
    var("LEPTOS_SITE_ROOT", "target/site", "where the built site is (cargo-leptos sets it)"),
    var("LEPTOS_SITE_PKG_DIR", "pkg", "the bundle directory under the site root"),
    var("LEPTOS_OUTPUT_NAME", "cookie-auth", "the bundle's file name stem"),
    var("RUST_LOG", "info", "log filter (tracing-subscriber EnvFilter syntax)"),
    var("LOG_FORMAT", "pretty", "json for one JSON object per log line"),
];

/// A variable whose default is a value.
const fn var(name: &'static str, default: &'static str, meaning: &'static str) -> Variable {
    Variable { name, default, meaning, literal: true }
}

/// A variable that is unset unless given.
const fn unset(name: &'static str, meaning: &'static str) -> Variable {
    Variable { name, default: "–", meaning, literal: false }
}

/// A variable whose default is derived from others (`default` says how).
const fn derived(name: &'static str, default: &'static str, meaning: &'static str) -> Variable {
    Variable { name, default, meaning, literal: false }
}

/// The default value of `name` as the table gives it, parsed by
/// [`super::Config::from_lookup`] exactly like a value from the
/// environment. Empty for a variable without a literal default, which the
/// parser then refuses, naming it (a test reads every default).
pub fn default_of(name: &str) -> &'static str {
    VARIABLES.iter().find(|v| v.name == name && v.literal).map_or("", |v| v.default)
}
