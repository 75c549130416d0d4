//! The audit log: auth events (sign-ins, refreshes, reuse, revokes, role and
//! password changes) with who, which session, address, user agent and time.
//!
//! Recording must not slow the refresh path, so [`Audit::record`] only
//! queues the event; one background task stores queued events in batches
//! (one transaction each). [`Audit::flush`] waits until everything queued so
//! far is stored: the admin list calls it so it never misses an event whose
//! request already answered, and shutdown calls it before closing the pool.
//! If the queue is full (the database stalled for a long while) events are
//! dropped, counted and logged, never waited for.

use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use tokio::sync::{mpsc, oneshot};

use crate::{client::Client, db::Db, store::events::NewEvent};

/// Events waiting to be stored, at most.
const QUEUE: usize = 16_384;
/// Events stored per transaction, at most.
const BATCH: usize = 512;
/// How long the writer gathers events before storing them (unless a batch
/// fills up or a flush is waiting).
const LINGER: Duration = Duration::from_millis(50);
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
        }
    }

    /// Every kind, for validating a filter.
    pub const ALL: [EventKind; 11] = [
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

enum Message {
    Event(NewEvent),
    Flush(oneshot::Sender<()>),
}

/// The queue in front of the audit table. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Audit {
    queue: mpsc::Sender<Message>,
    /// `auth_audit_events_dropped_total`: queue full, or a batch that
    /// failed twice.
    dropped: Counter,
}

impl Audit {
    /// Starts the writer task; it ends when every `Audit` clone is dropped.
    pub fn start(db: Db, dropped: Counter) -> Self {
        let (queue, rx) = mpsc::channel(QUEUE);
        tokio::spawn(write_events(db, rx, dropped.clone()));
        Self { queue, dropped }
    }

    /// Queues an event; never waits.
    pub fn record(&self, event: Event) {
        if self.queue.try_send(Message::Event(event.0)).is_err() {
            let n = self.dropped.inc() + 1;
            tracing::warn!(dropped_total = n, "audit queue full; event dropped");
        }
    }

    /// Waits until every event queued before this call is stored (or
    /// failed), for at most a few seconds: a stalled database must not hold
    /// up shutdown or the admin list.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        let flushed = async {
            if self.queue.send(Message::Flush(done)).await.is_ok() {
                let _ = wait.await;
            }
        };
        if tokio::time::timeout(FLUSH_LIMIT, flushed).await.is_err() {
            tracing::warn!("audit events not all stored within {} s", FLUSH_LIMIT.as_secs());
        }
    }
}

async fn write_events(db: Db, mut rx: mpsc::Receiver<Message>, dropped: Counter) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut waiting = Vec::new();
    while let Some(first) = rx.recv().await {
        // Gather for a moment (or until a batch is full, or someone waits
        // on a flush): at a few thousand refreshes a second that turns a
        // transaction per event into one per few hundred.
        let deadline = tokio::time::Instant::now() + LINGER;
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Message::Event(event) => batch.push(event),
                Message::Flush(done) => {
                    waiting.push(done);
                    // Take what is already queued, then write at once.
                    while batch.len() < BATCH {
                        match rx.try_recv() {
                            Ok(Message::Event(event)) => batch.push(event),
                            Ok(Message::Flush(done)) => waiting.push(done),
                            Err(_) => break,
                        }
                    }
                    break;
                }
            }
            if batch.len() >= BATCH {
                break;
            }
            next = tokio::time::timeout_at(deadline, rx.recv()).await.ok().flatten();
        }
        if !batch.is_empty() {
            // One retry (a busy or restarting database), then the batch is
            // counted as lost rather than blocking every later event.
            if let Err(first) = crate::store::events::insert_events(&db, &batch).await {
                tracing::warn!(error = %first, events = batch.len(), "storing audit events failed; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
                if let Err(err) = crate::store::events::insert_events(&db, &batch).await {
                    dropped.inc_by(batch.len() as u64);
                    tracing::error!(error = %err, events = batch.len(), "audit events lost");
                }
            }
            batch.clear();
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}
