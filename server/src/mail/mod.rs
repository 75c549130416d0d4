//! Mail: what the server sends ([`messages`]), the queue that sends it off
//! the request path and survives restarts and SMTP outages ([`queue`]),
//! and the transport ([`Mailer`]): SMTP when `AUTH_SMTP_URL` is set, else
//! one `.eml` file per mail in `AUTH_MAIL_OUTBOX`, so the embedded default
//! needs no mail server.

pub mod messages;
pub mod queue;

use std::{net::IpAddr, path::PathBuf, time::Duration};

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
};

pub use queue::MailQueue;

use crate::config::{Config, ConfigError};

/// How long one SMTP exchange may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// One plain-text mail.
#[derive(Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

// The text may hold a link: never print it.
impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mail").field("subject", &self.subject).finish_non_exhaustive()
    }
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(PathBuf),
}

/// Sends one mail at a time, by SMTP or into the outbox directory.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
}

// The SMTP URL may hold a password: say only which transport.
impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let transport = match &self.transport {
            Transport::Smtp(_) => "smtp".to_owned(),
            Transport::Outbox(dir) => format!("outbox {}", dir.display()),
        };
        f.debug_struct("Mailer").field("transport", &transport).field("from", &self.from.to_string()).finish()
    }
}

impl Mailer {
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let invalid = |name: &'static str, reason: String| ConfigError::Invalid { name, reason };
        let from = config.mail_from.parse().map_err(|err| invalid("AUTH_MAIL_FROM", format!("{err}")))?;
        let transport = match &config.smtp_url {
            Some(url) => {
                let url = require_starttls_off_loopback(url.expose());
                let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
                    // The error may quote the URL, password and all: say only what is wrong.
                    .map_err(|_| invalid("AUTH_SMTP_URL", "not a valid smtp:// or smtps:// URL".into()))?;
                Transport::Smtp(builder.timeout(Some(SMTP_TIMEOUT)).build())
            }
            None => {
                let dir = config.mail_outbox.clone();
                std::fs::create_dir_all(&dir)
                    .map_err(|err| invalid("AUTH_MAIL_OUTBOX", format!("cannot create {}: {err}", dir.display())))?;
                Transport::Outbox(dir)
            }
        };
        Ok(Self { transport, from })
    }

    /// Sends `mail` now. In the outbox it becomes `{id}.eml`, written whole
    /// (a reader never sees half a mail); the queue's ids are time-ordered,
    /// so the outbox lists mail in the order it was queued.
    pub async fn send(&self, id: &str, mail: &Mail) -> anyhow::Result<()> {
        let message = Message::builder()
            .from(self.from.clone())
            .to(mail.to.parse()?)
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text.clone())?;
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(message).await?;
            }
            Transport::Outbox(dir) => {
                let path = dir.join(format!("{id}.eml"));
                let partial = dir.join(format!("{id}.eml.part"));
                tokio::fs::write(&partial, message.formatted()).await?;
                tokio::fs::rename(&partial, &path).await?;
                tracing::info!(path = %path.display(), subject = %mail.subject, "mail written to the outbox (no AUTH_SMTP_URL)");
            }
        }
        Ok(())
    }
}

/// A plain `smtp://` URL to anything but this machine gets `tls=required`
/// (STARTTLS or no mail), so credentials and links never cross a network
/// in the clear by default. `?tls=…` given explicitly is kept.
fn require_starttls_off_loopback(url: &str) -> String {
    let Some(rest) = url.strip_prefix("smtp://") else { return url.to_owned() };
    if url.contains("tls=") {
        return url.to_owned();
    }
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.split(']').next())
        .unwrap_or_else(|| host.split(':').next().unwrap_or(""));
    let loopback = host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if loopback {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}tls=required")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_smtp_leaves_this_machine_only_with_starttls() {
        assert_eq!(require_starttls_off_loopback("smtp://127.0.0.1:1025"), "smtp://127.0.0.1:1025");
        assert_eq!(require_starttls_off_loopback("smtp://u:p@localhost:25"), "smtp://u:p@localhost:25");
        assert_eq!(require_starttls_off_loopback("smtp://[::1]:25"), "smtp://[::1]:25");
        assert_eq!(
            require_starttls_off_loopback("smtp://u:p@mail.example.com:587"),
            "smtp://u:p@mail.example.com:587?tls=required"
        );
        assert_eq!(
            require_starttls_off_loopback("smtp://mail.example.com?tls=opportunistic"),
            "smtp://mail.example.com?tls=opportunistic"
        );
        assert_eq!(require_starttls_off_loopback("smtps://u:p@mail.example.com"), "smtps://u:p@mail.example.com");
    }
}
