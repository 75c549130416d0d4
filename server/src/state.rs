//! `AppState`: everything a handler needs, built once at start and shared
//! by every request through one `Arc`, so a request clones one pointer,
//! not a field each (that was a tenth of a refresh's CPU). No globals: a
//! test builds its own.

use std::{ops::Deref, sync::Arc};

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

/// The shared state; fields are reached through [`Deref`] to [`Shared`].
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] holds.
pub struct Shared {
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
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }

    /// This instance's clock, Unix seconds. Equal to [`crate::store::now`]
    /// unless a test set `Config::clock_offset_secs` to play an instance
    /// whose clock is off.
    pub fn now(&self) -> i64 {
        crate::store::now() + self.config.clock_offset_secs
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// Each field is also state of its own for an extractor (`State<Db>`,
/// `State<Arc<Config>>`, and Leptos' `LeptosOptions`), as when `AppState`
/// derived `FromRef`.
macro_rules! fields_from_ref {
    ($($field:ident: $ty:ty),* $(,)?) => {$(
        impl FromRef<AppState> for $ty {
            fn from_ref(state: &AppState) -> Self {
                state.$field.clone()
            }
        }
    )*};
}

fields_from_ref!(
    config: Arc<Config>,
    db: Db,
    keys: Arc<Keys>,
    tokens: Arc<AccessTokens>,
    refresh_keys: Arc<RefreshKeys>,
    sealer: Arc<Sealer>,
    passwords: Passwords,
    webauthn: Option<Arc<webauthn_rs::Webauthn>>,
    gate: Arc<SessionGate>,
    verified: Arc<VerifiedTokens>,
    limits: Arc<Limits>,
    audit: Audit,
    mail: MailQueue,
    metrics: Arc<Metrics>,
    leptos_options: LeptosOptions,
);
