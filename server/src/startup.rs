//! `Application`: connects the database, migrates, loads keys, seeds the
//! admin, binds the listener — everything but serving. Tests build one on
//! port 0, read `local_addr()` and serve it until they say stop.

use std::{future::Future, net::SocketAddr, sync::Arc};

use tokio::net::TcpListener;

use crate::{
    auth::{
        gate::SessionGate, keys::KeySet, limits::Limits, password::Passwords, refresh::RefreshKey, tokens::AccessTokens,
    },
    config::Config,
    db::Db,
    domain::Email,
    routes,
    state::AppState,
    store::{self, users::UserRow},
};

pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let state = build_state(config).await?;
        let listener = TcpListener::bind(state.config.site_addr)
            .await
            .map_err(|err| anyhow::anyhow!("cannot listen on {} (LEPTOS_SITE_ADDR): {err}", state.config.site_addr))?;
        Ok(Self { listener, state })
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
        tracing::info!("listening on http://{}", self.local_addr());
        let app = routes::app(self.state);
        let served = axum::serve(self.listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown)
            .await;
        db.close().await;
        served
    }
}

/// Everything the handlers share, from config.
pub async fn build_state(config: Config) -> anyhow::Result<AppState> {
    let db = Db::connect(&config.database_url).await?;
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
            let hash = passwords.hash(password.to_owned()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
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
