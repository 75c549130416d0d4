//! Mail the server under test sent: without `AUTH_SMTP_URL` it writes one
//! `.eml` file per mail into `AUTH_MAIL_OUTBOX` (a dir of the test's own).
//! [`TestApp::wait_for_mail`] reads them back the way a mail client would:
//! headers, then the body decoded from its transfer encoding.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use base64::{Engine as _, engine::general_purpose::STANDARD};

use super::app::TestApp;

/// How long a mail may take to be written after the request that queued it.
const MAIL_WAIT: Duration = Duration::from_secs(10);

/// One mail as received.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub to: String,
    pub subject: String,
    pub body: String,
    pub file: PathBuf,
}

impl ReceivedMail {
    /// The token of the link to `page` (`/reset`, `/verify`) in the body.
    #[track_caller]
    pub fn link_token(&self, page: &str) -> String {
        link_token(&self.body, page)
    }
}

/// The token of the link to `page` in a mail's text.
#[track_caller]
pub fn link_token(text: &str, page: &str) -> String {
    let marker = format!("{page}?token=");
    let at = text.find(&marker).unwrap_or_else(|| panic!("no {marker} link in the mail:\n{text}"));
    text[at + marker.len()..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
}

impl TestApp {
    /// The outbox directory of this server.
    pub fn outbox(&self) -> PathBuf {
        PathBuf::from(&self.vars["AUTH_MAIL_OUTBOX"])
    }

    /// Every mail to `to` so far, oldest first.
    pub fn mails_to(&self, to: &str) -> Vec<ReceivedMail> {
        read_outbox(&self.outbox()).into_iter().filter(|mail| mail.to.eq_ignore_ascii_case(to)).collect()
    }

    /// Waits until `count` mails to `to` titled `subject` have arrived;
    /// returns the newest (the last queued).
    pub async fn wait_for_mail(&self, to: &str, subject: &str, count: usize) -> ReceivedMail {
        let deadline = Instant::now() + MAIL_WAIT;
        loop {
            let mails: Vec<ReceivedMail> = self.mails_to(to).into_iter().filter(|m| m.subject == subject).collect();
            if mails.len() >= count {
                return mails.into_iter().next_back().expect("at least one mail");
            }
            assert!(
                Instant::now() < deadline,
                "{} mail(s) {subject:?} to {to} within {MAIL_WAIT:?}, expected {count}; outbox: {:?}",
                mails.len(),
                read_outbox(&self.outbox()).iter().map(|m| (&m.to, &m.subject)).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Every `.eml` in `dir`, oldest first: the server names each after its
/// queue id, a time-ordered UUID (file times tie within a clock tick).
pub fn read_outbox(dir: &Path) -> Vec<ReceivedMail> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
        .collect();
    files.sort();
    files.into_iter().filter_map(|path| parse(&path)).collect()
}

/// A mail file: unfolded headers, then the body in its transfer encoding.
fn parse(path: &Path) -> Option<ReceivedMail> {
    let raw = std::fs::read_to_string(path).ok()?;
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n")?;
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        match (line.starts_with([' ', '\t']), headers.last_mut()) {
            (true, Some((_, value))) => value.push_str(line.trim_start()),
            _ => {
                let (name, value) = line.split_once(':')?;
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
    }
    let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let to = header("to");
    let to = to.rsplit('<').next().unwrap_or(&to).trim_end_matches('>').trim().to_owned();
    let body = match header("content-transfer-encoding").to_ascii_lowercase().as_str() {
        "quoted-printable" => quoted_printable(body),
        "base64" => {
            String::from_utf8_lossy(&STANDARD.decode(body.split_whitespace().collect::<String>()).ok()?).into_owned()
        }
        _ => body.to_owned(),
    };
    Some(ReceivedMail { to, subject: header("subject"), body, file: path.to_path_buf() })
}

fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && let Some(Ok(byte)) = joined.get(i + 1..i + 3).map(|hex| u8::from_str_radix(hex, 16))
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
