//! The mail queue: [`MailQueue::enqueue`] stores a mail in `mail_outbox`
//! and returns; one sender task per instance ([`MailQueue::run`]) sends
//! what is due. A failed send is logged and retried with a growing delay
//! (2 s, 4 s, … up to 15 min) until the mail's link expires; nothing is
//! lost on a restart, and a request never waits for SMTP.

use std::{sync::Arc, time::Duration};

use tokio::sync::Notify;

use super::{Mail, Mailer};
use crate::{
    auth::sealing::Sealer,
    db::Db,
    error::ApiError,
    store::{self, mail::QueuedMail},
};

/// What a stored body is sealed for (`AUTH_SECRET_KEY_FILE`).
const SEALED_AS: &str = "mail_body";
/// Mails taken per round, at most.
const BATCH: i64 = 20;
/// How long a taken mail is this instance's to send before another
/// instance may take it again (a sender that died mid-send).
const LEASE_SECS: i64 = 120;
/// How often the sender looks for due mail when nothing woke it.
const POLL: Duration = Duration::from_secs(2);
/// The longest wait between two attempts.
const MAX_BACKOFF_SECS: i64 = 900;

/// The queue in front of `mail_outbox`. Cheap to clone.
#[derive(Clone, Debug)]
pub struct MailQueue {
    db: Db,
    sealer: Arc<Sealer>,
    wake: Arc<Notify>,
}

impl MailQueue {
    pub fn new(db: Db, sealer: Arc<Sealer>) -> Self {
        Self { db, sealer, wake: Arc::new(Notify::new()) }
    }

    /// Stores `mail` (useless after `expires_at`) and wakes the sender.
    /// Once this returns the mail survives a restart.
    pub async fn enqueue(&self, mail: Mail, expires_at: i64) -> Result<(), ApiError> {
        let body = self.sealer.seal(SEALED_AS, mail.text.as_bytes()).map_err(ApiError::Internal)?;
        let queued = QueuedMail {
            // Time-ordered: mail due in the same second goes out in the order it
            // was queued (the sender orders by `next_attempt_at, id`), so a
            // second link mailed is also the second to arrive.
            id: uuid::Uuid::now_v7().to_string(),
            to_addr: mail.to,
            subject: mail.subject,
            body,
            expires_at,
            attempts: 0,
        };
        store::mail::enqueue(&self.db, &queued, store::now()).await?;
        self.wake.notify_one();
        Ok(())
    }

    /// Sends due mail until the database closes.
    pub async fn run(self, mailer: Mailer) {
        loop {
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(POLL) => {}
            }
            if self.db.is_closed() {
                break;
            }
            while self.send_due(&mailer).await == BATCH as usize {}
        }
    }

    /// One round: takes up to [`BATCH`] due mails and tries each once;
    /// returns how many it took.
    pub async fn send_due(&self, mailer: &Mailer) -> usize {
        let now = store::now();
        let batch = match store::mail::lease_due(&self.db, now, now + LEASE_SECS, BATCH).await {
            Ok(batch) => batch,
            Err(err) => {
                tracing::warn!(error = %err, "reading the mail queue failed");
                return 0;
            }
        };
        let taken = batch.len();
        for queued in batch {
            self.try_send(mailer, queued, now).await;
        }
        taken
    }

    async fn try_send(&self, mailer: &Mailer, queued: QueuedMail, now: i64) {
        let id = queued.id.clone();
        if queued.expires_at <= now {
            tracing::warn!(mail_id = %id, attempts = queued.attempts, "mail dropped unsent: its link has expired");
            if let Err(err) = store::mail::drop_mail(&self.db, &id).await {
                tracing::warn!(error = %err, mail_id = %id, "dropping an expired mail failed");
            }
            return;
        }
        let result = match self.sealer.open(SEALED_AS, &queued.body) {
            Ok(body) => {
                let mail = Mail {
                    to: queued.to_addr,
                    subject: queued.subject,
                    text: String::from_utf8_lossy(&body).into_owned(),
                };
                mailer.send(&id, &mail).await
            }
            Err(err) => Err(err),
        };
        let stored = match result {
            Ok(()) => store::mail::mark_sent(&self.db, &id, store::now()).await,
            Err(err) => {
                let delay = backoff_secs(queued.attempts);
                tracing::warn!(
                    mail_id = %id, attempts = queued.attempts, retry_in_secs = delay, error = %err,
                    "sending mail failed; it stays queued"
                );
                store::mail::mark_failed(&self.db, &id, now + delay, &err.to_string()).await
            }
        };
        if let Err(err) = stored {
            // The lease runs out and the mail is tried again: at least once.
            tracing::warn!(error = %err, mail_id = %id, "recording a mail attempt failed");
        }
    }
}

/// The wait after the `attempts`-th failed attempt: 2 s, doubling, at most
/// [`MAX_BACKOFF_SECS`].
fn backoff_secs(attempts: i64) -> i64 {
    (1_i64 << attempts.clamp(1, 20)).min(MAX_BACKOFF_SECS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_twice_as_long_each_time_up_to_fifteen_minutes() {
        let waits: Vec<i64> = (1..=12).map(backoff_secs).collect();
        assert_eq!(waits, [2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]);
    }
}
