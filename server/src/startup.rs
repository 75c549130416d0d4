//! `Application`: connects the database, migrates, loads keys, seeds the
//! admin, binds the listener — everything but serving. Tests build one on
//! port 0, read `local_addr()` and serve it until they say stop.

use std::{future::Future, net::SocketAddr, sync::Arc};

use axum_server::tls_rustls::RustlsConfig;
use tokio::net::TcpListener;

use crate::{
    auth::{
        gate::SessionGate, keys::KeySet, limits::Limits, password::Passwords, refresh::RefreshKey, tokens::AccessTokens,
    },
    config::Config,
    db::Db,
    domain::{Email, NewPassword},
    routes,
    state::AppState,
    store::{self, users::UserRow},
};

/// How long in-flight requests may take to finish once shutdown starts (TLS).
const GRACEFUL_SHUTDOWN_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

pub struct Application {
    listener: TcpListener,
    /// Present when `AUTH_TLS_CERT`/`AUTH_TLS_KEY` are set: serve HTTPS.
    tls: Option<RustlsConfig>,
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
        let listener = TcpListener::bind(state.config.site_addr)
            .await
            .map_err(|err| anyhow::anyhow!("cannot listen on {} (LEPTOS_SITE_ADDR): {err}", state.config.site_addr))?;
        Ok(Self { listener, tls, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(self.state.config.site_addr)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, lets in-flight requests finish,
    /// then closes the database.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let db = self.state.db.clone();
        let addr = self.local_addr();
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
                let listener = self.listener.into_std()?;
                axum_server::tls_rustls::from_tcp_rustls(listener, tls)?.handle(handle).serve(app).await
            }
        };
        db.close().await;
        served
    }
}

/// Everything the handlers share, from config.
pub async fn build_state(config: Config) -> anyhow::Result<AppState> {
    let db = Db::connect(config.database_url.expose()).await?;
    db.migrate().await?;
    let keys = KeySet::load(&db, config.signing_key_file.as_deref()).await?;
    let refresh_secret =
        store::keys::get_or_insert_secret(&db, "refresh_mac_key", &RefreshKey::random_bytes(), store::now()).await?;
    let passwords = Passwords::new()?;
    if let Some((email, password)) = &config.admin {
        seed_admin(&db, &passwords, email, password.expose()).await?;
    }
    let leptos_options = routes::pages::leptos_options(&config);
    let config_rate_limits = config.rate_limits;
    Ok(AppState {
        tokens: Arc::new(AccessTokens::new(&config)),
        config: Arc::new(config),
        db,
        keys: Arc::new(keys),
        refresh_key: Arc::new(RefreshKey::from_bytes(&refresh_secret)?),
        passwords,
        gate: Arc::new(SessionGate::default()),
        limits: Arc::new(Limits::new(config_rate_limits)),
        leptos_options,
    })
}

/// Makes sure the configured admin account exists with role `admin`. An
/// existing account keeps its password (change it in the app) but gains
/// the role.
async fn seed_admin(db: &Db, passwords: &Passwords, email: &str, password: &str) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|_| anyhow::anyhow!("AUTH_ADMIN_EMAIL is not a valid email"))?;
    let password = NewPassword::parse(password.to_owned())
        .map_err(|err| anyhow::anyhow!("AUTH_ADMIN_PASSWORD: {err}"))?
        .into_inner();
    let now = store::now();
    match store::users::find_user_by_email(db, email.as_str()).await? {
        Some(user) => {
            let mut roles = user.role_list();
            if !roles.iter().any(|r| r == "admin") {
                roles.push("admin".into());
                store::users::set_user_roles(db, &user.id, &roles.join(" "), now).await?;
                tracing::info!(user_id = %user.id, "admin role granted to AUTH_ADMIN_EMAIL");
            }
        }
        None => {
            let hash = passwords.hash(password).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            let user = UserRow {
                id: uuid::Uuid::new_v4().to_string(),
                email: email.as_str().to_owned(),
                password_hash: hash,
                roles: "user admin".into(),
                created_at: now,
            };
            store::users::insert_user(db, &user).await?;
            tracing::info!(user_id = %user.id, "admin account created from AUTH_ADMIN_EMAIL");
        }
    }
    Ok(())
}
