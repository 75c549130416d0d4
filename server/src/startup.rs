//! `Application`: connects the database, migrates, loads keys, seeds the
//! admin, binds the listener — everything but serving. Tests build one on
//! port 0, read `local_addr()` and serve it until they say stop.

use std::{future::Future, net::SocketAddr, sync::Arc};

use axum_server::tls_rustls::RustlsConfig;
use tokio::net::TcpListener;

use crate::{
    audit::Audit,
    auth::{
        gate::SessionGate,
        keys::Keys,
        limits::Limits,
        mac_keys::{self, RefreshKeys},
        password::Passwords,
        sealing::Sealer,
        tokens::AccessTokens,
        verified::VerifiedTokens,
    },
    config::{Config, ConfigError, MetricsMode},
    db::Db,
    domain::{Email, NewPassword, Roles},
    mail::{MailQueue, Mailer},
    maintenance,
    metrics::Metrics,
    ops, routes,
    state::{AppState, Shared},
    store,
};

/// How long in-flight requests may take to finish once shutdown starts (TLS).
const GRACEFUL_SHUTDOWN_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

pub struct Application {
    listener: TcpListener,
    /// Present when `AUTH_TLS_CERT`/`AUTH_TLS_KEY` are set: serve HTTPS.
    tls: Option<RustlsConfig>,
    /// `AUTH_HTTP_REDIRECT_ADDR`: plain HTTP answered with redirects to HTTPS.
    redirect_listener: Option<TcpListener>,
    /// `AUTH_METRICS=ip:port`: metrics on a listener of their own.
    metrics_listener: Option<TcpListener>,
    state: AppState,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let tls = match &config.tls {
            Some((cert, key)) => Some(RustlsConfig::from_pem_file(cert, key).await.map_err(|err| {
                anyhow::anyhow!("AUTH_TLS_CERT/AUTH_TLS_KEY ({}, {}): {err}", cert.display(), key.display())
            })?),
            None => None,
        };
        let state = build_state(config).await?;
        let listener = bind(state.config.site_addr, "LEPTOS_SITE_ADDR").await?;
        let redirect_listener = match state.config.http_redirect_addr {
            Some(addr) => Some(bind(addr, "AUTH_HTTP_REDIRECT_ADDR").await?),
            None => None,
        };
        let metrics_listener = match state.config.metrics {
            MetricsMode::Listen(addr) => Some(bind(addr, "AUTH_METRICS").await?),
            _ => None,
        };
        Ok(Self { listener, tls, redirect_listener, metrics_listener, state })
    }

    /// Where the metrics listener is, when it has one of its own.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// Where the HTTP→HTTPS redirect listener is, when there is one.
    pub fn redirect_addr(&self) -> Option<SocketAddr> {
        self.redirect_listener.as_ref().and_then(|l| l.local_addr().ok())
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(self.state.config.site_addr)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves: stops accepting, lets in-flight
    /// requests finish (a refresh in flight commits and answers), stores
    /// the queued audit events, then closes the database.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let db = self.state.db.clone();
        let audit = self.state.audit.clone();
        let addr = self.local_addr();
        // The side listeners stop with the main one.
        let (stop_side, side_stopped) = tokio::sync::watch::channel(false);
        if let Some(listener) = self.metrics_listener {
            let metrics = routes::metrics::routes().into_router().with_state(self.state.clone());
            tokio::spawn(serve_side(listener, metrics, side_stopped.clone()));
        }
        if let Some(listener) = self.redirect_listener {
            let origin = self.state.config.public_origin.clone();
            tokio::spawn(serve_side(listener, redirect_to_https(origin), side_stopped));
        }
        let shutdown = async move {
            shutdown.await;
            let _ = stop_side.send(true);
        };
        let app = routes::app(self.state).into_make_service_with_connect_info::<SocketAddr>();
        let served = match self.tls {
            None => {
                tracing::info!("listening on http://{addr}");
                axum::serve(self.listener, app).with_graceful_shutdown(shutdown).await
            }
            Some(tls) => {
                tracing::info!("listening on https://{addr}");
                let handle = axum_server::Handle::new();
                let stopper = handle.clone();
                tokio::spawn(async move {
                    shutdown.await;
                    stopper.graceful_shutdown(Some(GRACEFUL_SHUTDOWN_LIMIT));
                });
                // No early return: whatever happens, the audit queue is
                // flushed and the pool closed below.
                match self.listener.into_std().and_then(|l| axum_server::tls_rustls::from_tcp_rustls(l, tls)) {
                    Ok(server) => server.handle(handle).serve(app).await,
                    Err(err) => Err(err),
                }
            }
        };
        audit.flush().await;
        db.close().await;
        tracing::info!("stopped");
        served
    }
}

async fn bind(addr: SocketAddr, variable: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|err| anyhow::anyhow!("cannot listen on {addr} ({variable}): {err}"))
}

/// Serves a side router (metrics, redirects) until the main server stops.
async fn serve_side(listener: TcpListener, router: axum::Router, mut stopped: tokio::sync::watch::Receiver<bool>) {
    let stop = async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    if let Err(err) = axum::serve(listener, router).with_graceful_shutdown(stop).await {
        tracing::error!(error = %err, "side listener failed");
    }
}

/// Answers every plain-HTTP request with a permanent redirect to the same
/// path on the public HTTPS origin (`308` keeps the method and body).
fn redirect_to_https(origin: String) -> axum::Router {
    use axum::{
        http::{StatusCode, Uri, header},
        response::IntoResponse,
    };
    let origin: Arc<str> = origin.into();
    axum::Router::new().fallback(move |uri: Uri| {
        let origin = origin.clone();
        async move {
            // Only paths are appended (never `*` or an absolute form), so the
            // target is always on the configured origin.
            let path = uri.path_and_query().map_or("/", |p| p.as_str());
            let path = if path.starts_with('/') { path } else { "/" };
            (StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, format!("{origin}{path}"))]).into_response()
        }
    })
}

/// Everything the handlers share, from config, with the background work a
/// serving instance needs (key reloads, pruning) started.
pub async fn build_state(config: Config) -> anyhow::Result<AppState> {
    let state = prepare_state(config).await?;
    // Background work every instance needs, embedded or not: picking up
    // rotated keys, and pruning. All of it ends once the database is closed.
    tokio::spawn(state.keys.clone().reload_periodically(state.db.clone()));
    tokio::spawn(state.refresh_keys.clone().reload_periodically(state.db.clone()));
    tokio::spawn(maintenance::run(state.db.clone(), state.config.audit_retention_days));
    // Mail queued by any instance (or before a restart) goes out from here.
    tokio::spawn(state.mail.clone().run(Mailer::from_config(&state.config)?));
    Ok(state)
}

/// The state alone, with no background work: for one-shot commands, which
/// close the database as soon as they are done.
pub async fn prepare_state(config: Config) -> anyhow::Result<AppState> {
    let db = Db::connect(config.database_url.expose()).await?;
    db.migrate().await?;
    let sealer = Arc::new(Sealer::from_file(config.secret_key_file.as_deref())?);
    mac_keys::seal_stored_secrets(&db, &sealer).await?;
    let keys = Keys::load(&db, &config, sealer.clone()).await?;
    let refresh_keys = Arc::new(RefreshKeys::load(&db, sealer.clone(), config.refresh_idle_secs).await?);
    let leptos_options = routes::pages::leptos_options(&config);
    let metrics = Arc::new(Metrics::default());
    let passwords = Passwords::new(config.password_queue)?;
    let webauthn = crate::passkeys::relying_party(&config)?.map(Arc::new);
    let state = AppState::new(Shared {
        tokens: Arc::new(AccessTokens::new(&config)),
        limits: Arc::new(Limits::new(config.rate_limits)),
        config: Arc::new(config),
        audit: Audit::start(db.clone(), metrics.audit_dropped_counter()),
        mail: MailQueue::new(db.clone(), sealer.clone()),
        db,
        keys: Arc::new(keys),
        refresh_keys,
        sealer,
        passwords,
        webauthn,
        gate: Arc::new(SessionGate::default()),
        verified: Arc::new(VerifiedTokens::default()),
        metrics,
        leptos_options,
    });
    if let Some((email, password)) = &state.config.admin {
        seed_admin(&state, email, password.expose()).await?;
    }
    Ok(state)
}

/// Makes sure the configured admin account exists with role `admin`.
///
/// An account that already exists gains the role only when
/// `AUTH_ADMIN_PASSWORD` is its password. Registering proves no ownership of
/// an email, so without that check whoever registered the address first
/// (before the operator configured it) would become admin. A mismatch
/// refuses to start: a [`ConfigError`] (exit 2) naming the variable.
async fn seed_admin(state: &AppState, email: &str, password: &str) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|_| anyhow::anyhow!("AUTH_ADMIN_EMAIL is not a valid email"))?;
    let password =
        NewPassword::parse(password.to_owned()).map_err(|err| anyhow::anyhow!("AUTH_ADMIN_PASSWORD: {err}"))?;
    let failed = |err: crate::error::ApiError| anyhow::anyhow!("seeding the admin account: {err}");
    match store::users::find_user_by_email(&state.db, email.as_str()).await? {
        Some(user) => {
            if !state.passwords.verify(password.into_inner(), Some(user.password_hash.clone())).await.map_err(failed)? {
                return Err(ConfigError::Invalid {
                    name: "AUTH_ADMIN_PASSWORD",
                    reason: "an account with AUTH_ADMIN_EMAIL already exists and this is not its password; \
                             it is not made admin (whoever registered the address first is not trusted). \
                             Set that account's password here, or choose another email"
                        .into(),
                }
                .into());
            }
            let mut roles = user.role_list();
            if !roles.iter().any(|r| r == "admin") {
                roles.push("admin".into());
                let roles = Roles::parse(&roles).map_err(failed)?;
                ops::set_roles(state, &user, &roles, crate::audit::Actor::default()).await.map_err(failed)?;
                tracing::info!(user_id = %user.id, "admin role granted to AUTH_ADMIN_EMAIL");
            }
        }
        None => {
            let roles = Roles::parse(&["user", "admin"]).map_err(failed)?;
            match ops::create_user(state, &email, password, &roles).await {
                Ok(user) => tracing::info!(user_id = %user.id, "admin account created from AUTH_ADMIN_EMAIL"),
                // Another instance starting at the same moment made it.
                Err(crate::error::ApiError::EmailTaken) => {}
                Err(err) => return Err(failed(err)),
            }
        }
    }
    // The operator chose the address: it counts as verified.
    if let Some(user) = store::users::find_user_by_email(&state.db, email.as_str()).await? {
        store::users::mark_email_verified(&state.db, &user.id, &user.email, store::now()).await?;
    }
    Ok(())
}
