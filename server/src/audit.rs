//! The audit log: auth events (sign-ins, refreshes, reuse, revokes, role and
//! password changes) with who, which session, address, user agent and time.
//!
//! Recording must not slow the refresh path, so [`Audit::record`] only
//! queues the event; one background task stores queued events in batches
//! (one multi-row statement each, every 50 ms at most). [`Audit::flush`] waits until everything queued so
//! far is stored: the admin list calls it so it never misses an event whose
//! request already answered, and shutdown calls it before closing the pool.
//! If the queue is full (the database stalled for a long while) events are
//! dropped, counted and logged, never waited for.

use std::{
    sync::{Arc, Mutex, Weak},
    time::Duration,
};

use prometheus_client::metrics::counter::Counter;
use tokio::sync::{Notify, watch};

use crate::{client::Client, db::Db, store::events::NewEvent};

/// Events waiting to be stored, at most.
const QUEUE: usize = 16_384;
/// Events stored per transaction, at most.
const BATCH: usize = 512;
/// How long the writer gathers events before storing them (unless a flush
/// is waiting). Short, so each store is a short burst of work: refreshes
/// share SQLite's writer (and, on one core, the CPU) with it, and 50 ms of
/// events at once (a few hundred rows) put paced refresh p95 at 3 ms.
const LINGER: Duration = Duration::from_millis(5);
/// How long [`Audit::flush`] waits for a stalled database.
const FLUSH_LIMIT: Duration = Duration::from_secs(5);

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Registered,
    LoginSucceeded,
    LoginFailed,
    Refreshed,
    ReuseDetected,
    Logout,
    SessionRevoked,
    SessionsRevoked,
    PasswordChanged,
    RoleChanged,
    KeyRotated,
    SessionEvicted,
    MacKeyRotated,
    PasswordResetRequested,
    PasswordReset,
    VerificationSent,
    EmailVerified,
    EmailChangeRequested,
    EmailChanged,
    EmailChangeUndone,
    MfaEnrolled,
    MfaDisabled,
    MfaSucceeded,
    MfaFailed,
    RecoveryCodeUsed,
    RecoveryCodesRegenerated,
    MfaReset,
    SteppedUp,
    /// A passkey's signature counter went backwards: a cloned authenticator.
    PasskeyCloneSuspected,
    /// A session was bound to a device key (DBSC registration).
    SessionBound,
    /// A bound session was renewed with its device's proof.
    BoundRefresh,
    /// A bound session's renewal without the device's proof was refused.
    BindingProofMissing,
    /// A device-binding proof that proved nothing.
    BindingProofInvalid,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registered => "registered",
            Self::LoginSucceeded => "login_succeeded",
            Self::LoginFailed => "login_failed",
            Self::Refreshed => "refreshed",
            Self::ReuseDetected => "reuse_detected",
            Self::Logout => "logout",
            Self::SessionRevoked => "session_revoked",
            Self::SessionsRevoked => "sessions_revoked",
            Self::PasswordChanged => "password_changed",
            Self::RoleChanged => "role_changed",
            Self::KeyRotated => "key_rotated",
            Self::SessionEvicted => "session_evicted",
            Self::MacKeyRotated => "mac_key_rotated",
            Self::PasswordResetRequested => "password_reset_requested",
            Self::PasswordReset => "password_reset",
            Self::VerificationSent => "verification_sent",
            Self::EmailVerified => "email_verified",
            Self::EmailChangeRequested => "email_change_requested",
            Self::EmailChanged => "email_changed",
            Self::EmailChangeUndone => "email_change_undone",
            Self::MfaEnrolled => "mfa_enrolled",
            Self::MfaDisabled => "mfa_disabled",
            Self::MfaSucceeded => "mfa_succeeded",
            Self::MfaFailed => "mfa_failed",
            Self::RecoveryCodeUsed => "recovery_code_used",
            Self::RecoveryCodesRegenerated => "recovery_codes_regenerated",
            Self::MfaReset => "mfa_reset",
            Self::SteppedUp => "stepped_up",
            Self::PasskeyCloneSuspected => "passkey_clone_suspected",
            Self::SessionBound => "session_bound",
            Self::BoundRefresh => "bound_refresh",
            Self::BindingProofMissing => "binding_proof_missing",
            Self::BindingProofInvalid => "binding_proof_invalid",
        }
    }

    /// Every kind, for validating a filter.
    pub const ALL: [EventKind; 33] = [
        Self::Registered,
        Self::LoginSucceeded,
        Self::LoginFailed,
        Self::Refreshed,
        Self::ReuseDetected,
        Self::Logout,
        Self::SessionRevoked,
        Self::SessionsRevoked,
        Self::PasswordChanged,
        Self::RoleChanged,
        Self::KeyRotated,
        Self::SessionEvicted,
        Self::MacKeyRotated,
        Self::PasswordResetRequested,
        Self::PasswordReset,
        Self::VerificationSent,
        Self::EmailVerified,
        Self::EmailChangeRequested,
        Self::EmailChanged,
        Self::EmailChangeUndone,
        Self::MfaEnrolled,
        Self::MfaDisabled,
        Self::MfaSucceeded,
        Self::MfaFailed,
        Self::RecoveryCodeUsed,
        Self::RecoveryCodesRegenerated,
        Self::MfaReset,
        Self::SteppedUp,
        Self::PasskeyCloneSuspected,
        Self::SessionBound,
        Self::BoundRefresh,
        Self::BindingProofMissing,
        Self::BindingProofInvalid,
    ];
}

/// An event being built: `Event::new(kind).user(..).session(..).client(..)`.
#[derive(Debug, Clone)]
pub struct Event(NewEvent);

impl Event {
    pub fn new(kind: EventKind) -> Self {
        Self(NewEvent {
            at: crate::store::now(),
            kind: kind.as_str(),
            user_id: None,
            session_id: None,
            ip: None,
            user_agent: None,
            detail: None,
        })
    }

    pub fn user(mut self, user_id: &str) -> Self {
        self.0.user_id = Some(user_id.to_owned());
        self
    }

    pub fn session(mut self, session_id: &str) -> Self {
        self.0.session_id = Some(session_id.to_owned());
        self
    }

    pub fn client(mut self, client: &Client) -> Self {
        self.0.ip = client.ip.map(|ip| ip.to_string());
        self.0.user_agent.clone_from(&client.user_agent);
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.0.detail = Some(detail.into());
        self
    }
}

/// Who asked for an action: an HTTP caller (user id and client) or the
/// command line (neither).
#[derive(Debug, Clone, Copy, Default)]
pub struct Actor<'a> {
    pub user_id: Option<&'a str>,
    pub client: Option<&'a Client>,
}

impl Actor<'_> {
    /// Adds the caller's address and who acted to `event`, after `what`.
    pub fn stamp(&self, mut event: Event, what: &str) -> Event {
        if let Some(client) = self.client {
            event = event.client(client);
        }
        match self.user_id {
            Some(id) => event.detail(format!("{what} (by user {id})")),
            None => event.detail(format!("{what} (by command line)")),
        }
    }
}

/// The queue in front of the audit table. Cheap to clone.
///
/// Recording an event is a push onto a locked `Vec`: no channel, so no
/// task wake-up (and often no thread wake-up) per event, which on the
/// refresh path cost more than storing the event. The writer wakes every
/// [`LINGER`], or at once for a flush, and stores what has gathered.
#[derive(Clone, Debug)]
pub struct Audit {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    /// Events not yet taken by the writer, and how many were ever queued.
    pending: Mutex<Pending>,
    /// Wakes the writer early (a flush is waiting).
    wake: Notify,
    /// How many queued events the writer has finished with (stored or
    /// counted as lost): a flush waits for this to reach its target.
    done: watch::Sender<u64>,
    /// `auth_audit_events_dropped_total`: queue full, or a batch that
    /// failed twice.
    dropped: Counter,
}

#[derive(Debug, Default)]
struct Pending {
    events: Vec<NewEvent>,
    queued: u64,
}

impl Audit {
    /// Starts the writer task; it ends once every `Audit` clone is dropped.
    pub fn start(db: Db, dropped: Counter) -> Self {
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending::default()),
            wake: Notify::new(),
            done: watch::channel(0).0,
            dropped,
        });
        tokio::spawn(write_events(db, Arc::downgrade(&shared)));
        Self { shared }
    }

    /// Queues an event; never waits.
    pub fn record(&self, event: Event) {
        let queued = self.shared.pending.lock().map(|mut pending| {
            if pending.events.len() >= QUEUE {
                return false;
            }
            pending.events.push(event.0);
            pending.queued += 1;
            true
        });
        if !matches!(queued, Ok(true)) {
            let n = self.shared.dropped.inc() + 1;
            tracing::warn!(dropped_total = n, "audit queue full; event dropped");
        }
    }

    /// Waits until every event queued before this call is stored (or
    /// failed), for at most a few seconds: a stalled database must not hold
    /// up shutdown or the admin list.
    pub async fn flush(&self) {
        let Ok(target) = self.shared.pending.lock().map(|pending| pending.queued) else { return };
        let mut done = self.shared.done.subscribe();
        self.shared.wake.notify_one();
        let flushed = done.wait_for(|finished| *finished >= target);
        if tokio::time::timeout(FLUSH_LIMIT, flushed).await.is_err() {
            tracing::warn!("audit events not all stored within {} s", FLUSH_LIMIT.as_secs());
        }
    }
}

/// Stores what has gathered every [`LINGER`] (ten times that when idle, at
/// once when woken), in
/// batches of at most [`BATCH`] rows, one statement each.
async fn write_events(db: Db, shared: Weak<Shared>) {
    // Idle (the last pass found nothing), the writer looks ten times less
    // often: no wake-up every 5 ms on a quiet server.
    let mut linger = LINGER;
    loop {
        let Some(wake) = shared.upgrade() else { break };
        tokio::select! {
            () = wake.wake.notified() => {}
            () = tokio::time::sleep(linger) => {}
        }
        drop(wake);
        let Some(shared) = shared.upgrade() else { break };
        let Ok((events, through)) =
            shared.pending.lock().map(|mut pending| (std::mem::take(&mut pending.events), pending.queued))
        else {
            break;
        };
        linger = if events.is_empty() { LINGER * 10 } else { LINGER };
        for batch in events.chunks(BATCH) {
            // One retry (a busy or restarting database), then the batch is
            // counted as lost rather than blocking every later event.
            if let Err(first) = crate::store::events::insert_events(&db, batch).await {
                tracing::warn!(error = %first, events = batch.len(), "storing audit events failed; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
                if let Err(err) = crate::store::events::insert_events(&db, batch).await {
                    shared.dropped.inc_by(batch.len() as u64);
                    tracing::error!(error = %err, events = batch.len(), "audit events lost");
                }
            }
        }
        shared.done.send_replace(through);
    }
}
