//! What the app knows about the session, and (in the browser) what keeps it fresh.
//!
//! - [`Bootstrap`]: the session the server rendered the page with, handed to
//!   the browser for hydration (see [`BootstrapData`]).
//! - [`SessionContext`]: signals every page reads (who, when the access token
//!   expires, when the next refresh is due), provided once by [`App`](crate::App).
//! - `scheduler`, `timing`, `tabs`, `wake` (browser only): the refresh
//!   scheduler, the deadlines and retry waits it keeps, its coordination
//!   with other tabs, and its catch-up after sleep.
//!
//! Times in the signals are page-clock milliseconds ([`now_ms`]), never wall
//! clock: the browser's clock may be wrong, and the contract says to schedule
//! from `expires_in` alone.

mod bootstrap;
mod clock;
#[cfg(feature = "hydrate")]
mod scheduler;
#[cfg(feature = "hydrate")]
mod tabs;
#[cfg(feature = "hydrate")]
mod timing;
#[cfg(feature = "hydrate")]
mod wake;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use bootstrap::BootstrapData;
pub use clock::now_ms;

use crate::types::SessionInfo;
pub use crate::types::SignOutReason;

/// How long before expiry the browser refreshes when the server says nothing.
pub const DEFAULT_REFRESH_LEAD_SECS: i64 = 300;

/// The server's view of the session for the page it renders: computed from
/// the cookies (refreshed during that request if need be) and put in the
/// Leptos context of every SSR request.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Bootstrap {
    pub session: Option<SessionInfo>,
    /// `AUTH_REFRESH_LEAD_SECS`: how long before expiry to refresh.
    pub refresh_lead_secs: i64,
    /// `AUTH_REQUIRE_VERIFIED_EMAIL`: the API refuses unverified users, so
    /// the app shows them only "check your inbox".
    #[serde(default)]
    pub require_verified_email: bool,
}

impl Default for Bootstrap {
    fn default() -> Self {
        Self { session: None, refresh_lead_secs: DEFAULT_REFRESH_LEAD_SECS, require_verified_email: false }
    }
}

/// The session as pages see it. Copy it freely: it holds signal handles.
#[derive(Clone, Copy)]
pub struct SessionContext {
    /// Who is signed in, or `None`.
    pub session: ReadSignal<Option<SessionInfo>>,
    /// Page-clock ms ([`now_ms`]) when the access token expires.
    pub expires_at: ReadSignal<Option<f64>>,
    /// Page-clock ms when the next refresh (or retry) is due.
    pub next_refresh_at: ReadSignal<Option<f64>>,
    /// Successful `POST /api/auth/refresh` calls made by this tab.
    pub refresh_count: ReadSignal<u32>,
    /// Why the last sign-out happened (for the sign-in page's notice).
    pub sign_out_reason: ReadSignal<Option<SignOutReason>>,
    /// `AUTH_REQUIRE_VERIFIED_EMAIL` (see [`Bootstrap`]).
    pub require_verified_email: bool,
    /// Without a browser there is no scheduler; the signals are set directly.
    #[cfg(not(feature = "hydrate"))]
    writers: Writers,
    #[cfg(feature = "hydrate")]
    scheduler: StoredValue<scheduler::Scheduler, LocalStorage>,
}

/// The write halves of [`SessionContext`]'s signals: only this module (the
/// scheduler, in the browser) changes them.
#[derive(Clone, Copy)]
struct Writers {
    session: WriteSignal<Option<SessionInfo>>,
    expires_at: WriteSignal<Option<f64>>,
    next_refresh_at: WriteSignal<Option<f64>>,
    // Only refreshes count, and only the browser refreshes.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    refresh_count: WriteSignal<u32>,
    sign_out_reason: WriteSignal<Option<SignOutReason>>,
}

impl Writers {
    /// Signed out: clears everything but the reason.
    fn clear(self, reason: SignOutReason) {
        self.sign_out_reason.set(Some(reason));
        self.expires_at.set(None);
        self.next_refresh_at.set(None);
        self.session.set(None);
    }
}

/// Creates the session signals from the [`Bootstrap`] (and, in the browser,
/// starts the refresh scheduler) and provides them as context.
pub fn provide_session_context() -> SessionContext {
    let Bootstrap { session, refresh_lead_secs, require_verified_email } = bootstrap::load();
    let lead_secs = refresh_lead_secs.max(0);

    // The server renders at page-clock 0 and the browser's page clock starts
    // (a little) before the response arrived, so both sides start from the
    // same numbers and the countdown hydrates without a jump.
    let (expires_at, next_refresh_at) = match &session {
        Some(info) => {
            let life = info.expires_in.max(0);
            (Some(life as f64 * 1000.0), Some((life - lead_secs).max(0) as f64 * 1000.0))
        }
        None => (None, None),
    };
    let (session_read, session_write) = signal(session.clone());
    let (expires_read, expires_write) = signal(expires_at);
    let (next_read, next_write) = signal(next_refresh_at);
    let (count_read, count_write) = signal(0_u32);
    let (reason_read, reason_write) = signal(None::<SignOutReason>);
    let writers = Writers {
        session: session_write,
        expires_at: expires_write,
        next_refresh_at: next_write,
        refresh_count: count_write,
        sign_out_reason: reason_write,
    };

    let context = SessionContext {
        session: session_read,
        expires_at: expires_read,
        next_refresh_at: next_read,
        refresh_count: count_read,
        sign_out_reason: reason_read,
        require_verified_email,
        #[cfg(not(feature = "hydrate"))]
        writers,
        #[cfg(feature = "hydrate")]
        scheduler: StoredValue::new_local(scheduler::Scheduler::start(writers, lead_secs, session)),
    };
    provide_context(context);
    context
}

/// The [`SessionContext`] provided by the app.
pub fn use_session() -> SessionContext {
    expect_context()
}

impl SessionContext {
    /// Whether the signed-in user has role `admin` (reactive).
    pub fn is_admin(&self) -> bool {
        self.session.with(|session| session.as_ref().is_some_and(|s| s.user.roles.iter().any(|r| r == "admin")))
    }

    /// A sign-in or registration succeeded in this tab, or another call
    /// answered a new session (a step-up, turning on a second factor):
    /// schedule its refresh and tell the other tabs.
    pub fn signed_in(&self, info: SessionInfo) {
        #[cfg(feature = "hydrate")]
        self.scheduler.get_value().signed_in(info);
        #[cfg(not(feature = "hydrate"))]
        {
            self.writers.sign_out_reason.set(None);
            self.writers.session.set(Some(info));
        }
    }

    /// The session ended here (sign-out, revoking the current session): stop
    /// refreshing and sign out every tab.
    pub fn signed_out(&self, reason: SignOutReason) {
        #[cfg(feature = "hydrate")]
        self.scheduler.get_value().signed_out(reason);
        #[cfg(not(feature = "hydrate"))]
        self.writers.clear(reason);
    }

    /// An API call answered `401`: the access token is dead early (revoked,
    /// or the refresh could not run in time). A refresh settles it: either
    /// the session lives on, or every tab is signed out with the reason.
    pub fn check_now(&self) {
        #[cfg(feature = "hydrate")]
        self.scheduler.get_value().check_now();
    }

    /// What a form shows for a refused call: the server's message as a
    /// sentence. A `401` may also mean the session is over, so it is
    /// checked ([`Self::check_now`]).
    pub fn refusal_text(&self, refusal: &crate::api::ApiError) -> String {
        if refusal.is_unauthorized() {
            self.check_now();
        }
        crate::format::sentence(&refusal.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bootstrap_defaults_to_signed_out_with_the_default_lead() {
        assert_eq!(
            Bootstrap::default(),
            Bootstrap { session: None, refresh_lead_secs: 300, require_verified_email: false }
        );
    }
}
