//! Configuration: the contract's defaults, and a clear error naming the
//! variable for every value the server would otherwise misread. (A server
//! that starts with a broken configuration fails later and worse.)

use server::config::{Config, MetricsMode, VARIABLES, default_of};

fn parse(vars: &[(&str, &str)]) -> Result<Config, String> {
    Config::from_lookup(|name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned()))
        .map_err(|err| err.to_string())
}

#[test]
fn an_empty_environment_gives_the_contracts_defaults() {
    let config = parse(&[]).expect("defaults are valid");

    assert_eq!(config.site_addr.to_string(), "127.0.0.1:3000");
    assert_eq!(config.public_origin, "http://127.0.0.1:3000");
    assert_eq!(config.issuer, config.public_origin);
    assert_eq!(config.audience, config.public_origin);
    assert_eq!(config.access_ttl_secs, 900);
    assert_eq!(config.refresh_idle_secs, 604_800);
    assert_eq!(config.session_max_secs, 2_592_000);
    assert_eq!(config.reuse_grace_secs, 10);
    assert_eq!(config.refresh_lead_secs, 300);
    assert_eq!(config.access_cookie, "__Host-access");
    assert_eq!(config.refresh_cookie, "__Secure-refresh");
    assert!(config.cookie_secure && config.rate_limits);
    assert_eq!(config.metrics, MetricsMode::Off);
    assert_eq!(config.audit_retention_days, 90);
    assert!(config.admin.is_none() && config.tls.is_none() && config.http_redirect_addr.is_none());
    assert_eq!(config.database_url.expose(), "sqlite://data/app.db");
    assert!(!format!("{config:?}").contains("sqlite://data/app.db"), "the database URL never prints");
}

#[test]
fn the_relying_party_defaults_to_the_origins_host_and_may_be_a_parent() {
    let config = parse(&[("AUTH_PUBLIC_ORIGIN", "https://app.example:8443")]).expect("valid");
    assert_eq!((config.webauthn.id.as_str(), config.webauthn.name.as_str()), ("app.example", "app.example"));
    let config = parse(&[
        ("AUTH_PUBLIC_ORIGIN", "https://login.app.example"),
        ("AUTH_WEBAUTHN_RP_ID", "App.Example"),
        ("AUTH_WEBAUTHN_RP_NAME", "Example App"),
    ])
    .expect("valid");
    assert_eq!((config.webauthn.id.as_str(), config.webauthn.name.as_str()), ("app.example", "Example App"));
}

#[test]
fn every_malformed_value_is_refused_naming_its_variable() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("DATABASE_URL", "mysql://db")], "DATABASE_URL"),
        (&[("DATABASE_URL", "sqlite::memory:")], "DATABASE_URL"),
        (&[("LEPTOS_SITE_ADDR", "localhost")], "LEPTOS_SITE_ADDR"),
        (&[("AUTH_PUBLIC_ORIGIN", "app.example")], "AUTH_PUBLIC_ORIGIN"),
        (&[("AUTH_PUBLIC_ORIGIN", "https://app.example/path")], "AUTH_PUBLIC_ORIGIN"),
        (&[("AUTH_ALLOWED_ORIGINS", "https://ok.example, ftp://bad")], "AUTH_ALLOWED_ORIGINS"),
        (&[("AUTH_ACCESS_TTL_SECS", "15m")], "AUTH_ACCESS_TTL_SECS"),
        (&[("AUTH_ACCESS_TTL_SECS", "0")], "AUTH_ACCESS_TTL_SECS"),
        (&[("AUTH_REFRESH_IDLE_SECS", "999999999999")], "AUTH_REFRESH_IDLE_SECS"),
        (&[("AUTH_REUSE_GRACE_SECS", "-1")], "AUTH_REUSE_GRACE_SECS"),
        (&[("AUTH_COOKIE_SECURE", "maybe")], "AUTH_COOKIE_SECURE"),
        (&[("AUTH_RATE_LIMITS", "sometimes")], "AUTH_RATE_LIMITS"),
        (&[("AUTH_ACCESS_COOKIE", "bad name")], "AUTH_ACCESS_COOKIE"),
        (&[("AUTH_REFRESH_COOKIE", "__Host-refresh")], "AUTH_REFRESH_COOKIE"),
        (&[("AUTH_COOKIE_SECURE", "false")], "AUTH_ACCESS_COOKIE"),
        (&[("AUTH_ACCESS_COOKIE", "same"), ("AUTH_REFRESH_COOKIE", "same")], "AUTH_REFRESH_COOKIE"),
        (&[("AUTH_TRUSTED_PROXIES", "10.0.0.1, proxy.local")], "AUTH_TRUSTED_PROXIES"),
        (&[("AUTH_ADMIN_EMAIL", "admin@example.com")], "AUTH_ADMIN_EMAIL"),
        (&[("AUTH_TLS_CERT", "cert.pem")], "AUTH_TLS_CERT"),
        (&[("AUTH_METRICS", "sometimes")], "AUTH_METRICS"),
        (&[("AUTH_AUDIT_RETENTION_DAYS", "0")], "AUTH_AUDIT_RETENTION_DAYS"),
        (&[("AUTH_AUDIT_RETENTION_DAYS", "forever")], "AUTH_AUDIT_RETENTION_DAYS"),
        // The relying party id must be the origin's host or a parent of it.
        (
            &[("AUTH_PUBLIC_ORIGIN", "https://app.example"), ("AUTH_WEBAUTHN_RP_ID", "other.example")],
            "AUTH_WEBAUTHN_RP_ID",
        ),
        (
            &[("AUTH_PUBLIC_ORIGIN", "https://app.example"), ("AUTH_WEBAUTHN_RP_ID", "pp.example")],
            "AUTH_WEBAUTHN_RP_ID",
        ),
        (&[("AUTH_PUBLIC_ORIGIN", "https://app.example"), ("AUTH_WEBAUTHN_RP_ID", ".example")], "AUTH_WEBAUTHN_RP_ID"),
        (
            &[
                ("AUTH_TLS_CERT", "c.pem"),
                ("AUTH_TLS_KEY", "k.pem"),
                ("AUTH_PUBLIC_ORIGIN", "http://app.example"),
                ("AUTH_HTTP_REDIRECT_ADDR", "127.0.0.1:80"),
            ],
            "AUTH_HTTP_REDIRECT_ADDR",
        ),
        (
            &[("AUTH_TLS_CERT", "c.pem"), ("AUTH_TLS_KEY", "k.pem"), ("AUTH_HTTP_REDIRECT_ADDR", "port 80")],
            "AUTH_HTTP_REDIRECT_ADDR",
        ),
    ];
    for (vars, variable) in cases {
        let err = parse(vars).expect_err(&format!("{vars:?} is refused"));

        assert!(err.contains(variable), "{vars:?}: the error {err:?} names {variable}");
    }
}

#[test]
fn good_values_are_read_as_given() {
    let config = parse(&[
        ("DATABASE_URL", "postgres://u:secret@db/app"),
        ("LEPTOS_SITE_ADDR", "0.0.0.0:8443"),
        ("AUTH_ALLOWED_ORIGINS", "https://admin.example/, https://other.example"),
        ("AUTH_COOKIE_SECURE", "off"),
        ("AUTH_ACCESS_COOKIE", "access"),
        ("AUTH_REFRESH_COOKIE", "refresh"),
        ("AUTH_TRUSTED_PROXIES", "10.0.0.1, ::1"),
        ("AUTH_ADMIN_EMAIL", "root@example.com"),
        ("AUTH_ADMIN_PASSWORD", "a long admin password"),
        ("AUTH_TLS_CERT", "cert.pem"),
        ("AUTH_TLS_KEY", "key.pem"),
        ("AUTH_HTTP_REDIRECT_ADDR", "0.0.0.0:8080"),
        ("AUTH_METRICS", "127.0.0.1:9100"),
        ("AUTH_AUDIT_RETENTION_DAYS", "30"),
    ])
    .expect("valid");

    assert_eq!(config.public_origin, "https://0.0.0.0:8443", "with TLS the default origin is https");
    assert!(config.origin_allowed("https://admin.example") && config.origin_allowed("HTTPS://OTHER.EXAMPLE/"));
    assert!(!config.origin_allowed("https://evil.example"));
    assert!(!config.cookie_secure);
    assert_eq!(config.trusted_proxies.len(), 2);
    assert_eq!(config.admin.as_ref().map(|(email, _)| email.as_str()), Some("root@example.com"));
    assert!(!format!("{config:?}").contains("a long admin password"), "secrets never print");
    assert!(!format!("{config:?}").contains("u:secret"), "secrets never print");
    assert_eq!(config.http_redirect_addr.map(|a| a.port()), Some(8080));
    assert_eq!(config.metrics, MetricsMode::Listen("127.0.0.1:9100".parse().expect("an address")));
    assert_eq!(config.audit_retention_days, 30);
}

#[test]
fn every_default_parses() {
    let config = Config::from_lookup(|_| None).expect("the defaults of VARIABLES parse");
    assert_eq!(config.access_ttl_secs.to_string(), default_of("AUTH_ACCESS_TTL_SECS"));
    assert_eq!(config.max_sessions_per_user.to_string(), default_of("AUTH_MAX_SESSIONS_PER_USER"));
    assert_eq!(config.access_cookie, default_of("AUTH_ACCESS_COOKIE"));
    assert_eq!(config.output_name, default_of("LEPTOS_OUTPUT_NAME"));
    assert_eq!(config.metrics, MetricsMode::Off);
}

#[test]
fn every_literal_default_is_one_the_parser_reads() {
    let asked = std::cell::RefCell::new(Vec::new());
    let _ = Config::from_lookup(|name| {
        asked.borrow_mut().push(name.to_owned());
        None
    });
    let asked = asked.into_inner();
    // RUST_LOG and LOG_FORMAT are read by the logger, before the configuration.
    for variable in VARIABLES.iter().filter(|v| v.literal && !matches!(v.name, "RUST_LOG" | "LOG_FORMAT")) {
        assert!(asked.iter().any(|name| name == variable.name), "{} is never read", variable.name);
    }
    assert_eq!(default_of("AUTH_ISSUER"), "", "a derived default is no value");
}
