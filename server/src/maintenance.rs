//! Housekeeping in the background: sessions whose refresh tokens expired
//! and mailed links that expired more than a day ago, records of mail sent
//! more than a week ago and audit events past their retention are deleted
//! once an hour, so the tables do not grow without bound.

use std::time::Duration;

use crate::{db::Db, store};

const EVERY: Duration = Duration::from_secs(3600);
/// Expired sessions are kept this long after expiry: a late refresh then
/// still answers `refresh_expired` rather than `refresh_invalid`.
const SESSION_GRACE_SECS: i64 = 24 * 3600;
/// Sessions looked at per statement while pruning (see
/// `store::sessions::prune_sessions`).
const SESSIONS_PER_RANGE: i64 = 1000;
/// Audit events looked at per statement while pruning (see
/// `store::events::prune_events`).
const EVENTS_PER_RANGE: i64 = 1000;
/// Records of sent mail (bodies erased) are kept this long, for support.
const SENT_MAIL_KEPT_SECS: i64 = 7 * 24 * 3600;

/// Prunes now and then every hour, until the database closes.
pub async fn run(db: Db, audit_retention_days: i64) {
    prune(&db, audit_retention_days, store::now()).await;
    db.every(EVERY, |db| async move { prune(&db, audit_retention_days, store::now()).await }).await;
}

/// One pass; failures are logged and retried next hour.
pub async fn prune(db: &Db, audit_retention_days: i64, now: i64) {
    match store::sessions::prune_sessions(db, now - SESSION_GRACE_SECS, SESSIONS_PER_RANGE).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(sessions = n, "expired sessions pruned"),
        Err(err) => tracing::warn!(error = %err, "pruning sessions failed"),
    }
    match store::links::prune_links(db, now - SESSION_GRACE_SECS).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(links = n, "expired mailed links pruned"),
        Err(err) => tracing::warn!(error = %err, "pruning mailed links failed"),
    }
    match store::mfa_pending::prune_pending(db, now).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(pending = n, "expired second-step sign-ins pruned"),
        Err(err) => tracing::warn!(error = %err, "pruning second-step sign-ins failed"),
    }
    match store::passkeys::prune_ceremonies(db, now).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(ceremonies = n, "expired passkey ceremonies pruned"),
        Err(err) => tracing::warn!(error = %err, "pruning passkey ceremonies failed"),
    }
    match store::mail::prune_sent(db, now - SENT_MAIL_KEPT_SECS).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(mails = n, "sent mail records pruned"),
        Err(err) => tracing::warn!(error = %err, "pruning sent mail failed"),
    }
    match store::events::prune_events(db, now - audit_retention_days * 86_400, EVENTS_PER_RANGE).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(events = n, "old audit events pruned"),
        Err(err) => tracing::warn!(error = %err, "pruning audit events failed"),
    }
}
