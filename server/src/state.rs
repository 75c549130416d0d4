//! `AppState`: everything a handler needs, built once at start and cloned
//! cheaply into each request. No globals: a test builds its own.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::{
    audit::Audit,
    auth::{
        gate::SessionGate, keys::Keys, limits::Limits, mac_keys::RefreshKeys, password::Passwords, sealing::Sealer,
        tokens::AccessTokens, verified::VerifiedTokens,
    },
    config::Config,
    db::Db,
    mail::MailQueue,
    metrics::Metrics,
};

#[derive(Clone, FromRef)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub keys: Arc<Keys>,
    pub tokens: Arc<AccessTokens>,
    pub refresh_keys: Arc<RefreshKeys>,
    /// Seals the secrets the database keeps (`AUTH_SECRET_KEY_FILE`).
    pub sealer: Arc<Sealer>,
    pub passwords: Passwords,
    /// The WebAuthn relying party; `None`: passkeys are off (the public
    /// origin has no domain name).
    pub webauthn: Option<Arc<webauthn_rs::Webauthn>>,
    pub gate: Arc<SessionGate>,
    pub verified: Arc<VerifiedTokens>,
    pub limits: Arc<Limits>,
    pub audit: Audit,
    /// Mail waiting to go out (sent by the task `startup` starts).
    pub mail: MailQueue,
    pub metrics: Arc<Metrics>,
    pub leptos_options: LeptosOptions,
}

impl AppState {
    /// This instance's clock, Unix seconds. Equal to [`crate::store::now`]
    /// unless a test set `Config::clock_offset_secs` to play an instance
    /// whose clock is off.
    pub fn now(&self) -> i64 {
        crate::store::now() + self.config.clock_offset_secs
    }
}
