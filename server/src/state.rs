//! `AppState`: everything a handler needs, built once at start and cloned
//! cheaply into each request. No globals: a test builds its own.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::{
    audit::Audit,
    auth::{
        gate::SessionGate, keys::Keys, limits::Limits, password::Passwords, refresh::RefreshKey, tokens::AccessTokens,
        verified::VerifiedTokens,
    },
    config::Config,
    db::Db,
    metrics::Metrics,
};

#[derive(Clone, FromRef)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub keys: Arc<Keys>,
    pub tokens: Arc<AccessTokens>,
    pub refresh_key: Arc<RefreshKey>,
    pub passwords: Passwords,
    pub gate: Arc<SessionGate>,
    pub verified: Arc<VerifiedTokens>,
    pub limits: Arc<Limits>,
    pub audit: Audit,
    pub metrics: Arc<Metrics>,
    pub leptos_options: LeptosOptions,
}
