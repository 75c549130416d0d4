//! Mail over real SMTP: maildev (npm, installed into `end2end/node_modules`
//! by `scripts/test.sh`) as the server, read back through its REST API.
//! The outage case: mail asked for while the SMTP server is down goes out
//! once it is up.

mod common;

use std::{
    net::TcpListener,
    path::PathBuf,
    process::Stdio,
    time::{Duration, Instant},
};

use common::*;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

/// maildev as `scripts/test.sh` installs it for the browser tests.
fn maildev_bin() -> PathBuf {
    let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../end2end/node_modules/.bin/maildev");
    assert!(
        bin.exists(),
        "{} is missing: run scripts/test.sh once (or `npm ci` in end2end/) to install it",
        bin.display()
    );
    bin
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// A running maildev; killed when dropped.
struct Maildev {
    _child: Child,
    web: u16,
    client: reqwest::Client,
}

impl Maildev {
    async fn start(smtp: u16) -> Maildev {
        let web = free_port();
        let child = Command::new(maildev_bin())
            .args(["--smtp", &smtp.to_string(), "--ip", "127.0.0.1"])
            .args(["--web", &web.to_string(), "--web-ip", "127.0.0.1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start maildev");
        let maildev = Maildev { _child: child, web, client: reqwest::Client::new() };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let health = maildev.client.get(maildev.url("/api/healthz")).send().await;
            if health.is_ok_and(|r| r.status().is_success()) {
                return maildev;
            }
            assert!(Instant::now() < deadline, "maildev did not come up within 30 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.web)
    }

    /// The text of the first mail to `to` titled `subject`, waiting up to
    /// `limit` for it.
    async fn wait_for(&self, to: &str, subject: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let mails: Vec<Value> = self.client.get(self.url("/api/email")).send().await.unwrap().json().await.unwrap();
            let found = mails.iter().find(|mail| {
                mail["subject"] == subject
                    && mail["to"].as_array().is_some_and(|list| list.iter().any(|t| t["address"] == to))
            });
            if let Some(mail) = found {
                return mail["text"].as_str().unwrap_or_default().to_owned();
            }
            assert!(Instant::now() < deadline, "no {subject:?} to {to} within {limit:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test]
async fn mail_goes_out_over_smtp() {
    // Arrange
    let smtp = free_port();
    let maildev = Maildev::start(smtp).await;
    let app = TestApp::spawn_with(&[("AUTH_SMTP_URL", &format!("smtp://127.0.0.1:{smtp}"))]).await;

    // Act
    let user = app.new_user().await;

    // Assert: the verification mail arrived by SMTP (and not in the outbox).
    let text = maildev.wait_for(&user.email, "Confirm your email address", Duration::from_secs(15)).await;
    let token = link_token(&text, "/verify");
    let verified = app.post_json("/api/auth/email/verify", &Jar::default(), &json!({ "token": token })).await;
    assert_status(&verified, 204);
    assert!(app.mails_to(&user.email).is_empty(), "SMTP is configured: nothing goes to the outbox");
}

#[tokio::test]
async fn mail_asked_for_while_smtp_is_down_arrives_once_it_is_up() {
    // Arrange: the SMTP server is down.
    let smtp = free_port();
    let app = TestApp::spawn_with(&[("AUTH_SMTP_URL", &format!("smtp://127.0.0.1:{smtp}"))]).await;
    let user = app.new_user().await;

    // Act: a reset is asked for and its first attempt fails; then SMTP comes up.
    let forgot = app.post_json("/api/auth/password/forgot", &Jar::default(), &json!({ "email": user.email })).await;
    assert_status(&forgot, 202);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let maildev = Maildev::start(smtp).await;

    // Assert: the queued mail arrives (after the retry delay) and its link works.
    let text = maildev.wait_for(&user.email, "Reset your password", Duration::from_secs(60)).await;
    let body = json!({ "token": link_token(&text, "/reset"), "new_password": "a brand new passphrase" });
    assert_status(&app.post_json("/api/auth/password/reset", &Jar::default(), &body).await, 200);
}
