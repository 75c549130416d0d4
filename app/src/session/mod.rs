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
}

impl Default for Bootstrap {
    fn default() -> Self {
        Self { session: None, refresh_lead_secs: DEFAULT_REFRESH_LEAD_SECS }
    }
}

/// Why the user is no longer signed in; the `reason` of `/login?reason=…`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignOutReason {
    Expired,
    Revoked,
    Reused,
    SignedOut,
}

impl SignOutReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::Revoked => "revoked",
            Self::Reused => "reused",
            Self::SignedOut => "signed_out",
        }
    }

    /// Reads a `reason` query value; anything else shows no notice.
    pub fn parse(value: &str) -> Option<Self> {
        [Self::Expired, Self::Revoked, Self::Reused, Self::SignedOut].into_iter().find(|r| r.as_str() == value)
    }

    /// What the sign-in page tells the user.
    pub fn message(self) -> &'static str {
        match self {
            Self::Expired => "Your session expired. Please sign in again.",
            Self::Revoked => "Your session was ended, for example from another device. Please sign in again.",
            Self::Reused => {
                "For your safety you were signed out: an old sign-in token of this session was used again. \
                 Please sign in again."
            }
            Self::SignedOut => "You are signed out. Sign in to continue.",
        }
    }

    /// The reason behind a refused refresh (`401` with `code`).
    /// `refresh_lapsed`: the refresh token's own life has run out, so a bare
    /// `refresh_invalid` means it expired rather than was revoked.
    pub fn from_refresh_error(code: &str, refresh_lapsed: bool) -> Self {
        match code {
            "refresh_reused" => Self::Reused,
            "refresh_expired" => Self::Expired,
            _ if refresh_lapsed => Self::Expired,
            _ => Self::Revoked,
        }
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
    let Bootstrap { session, refresh_lead_secs } = bootstrap::load();
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

    /// A sign-in or registration succeeded in this tab: schedule its refresh
    /// and tell the other tabs.
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_round_trip_through_the_query_string() {
        for reason in [SignOutReason::Expired, SignOutReason::Revoked, SignOutReason::Reused, SignOutReason::SignedOut]
        {
            assert_eq!(SignOutReason::parse(reason.as_str()), Some(reason));
        }
        assert_eq!(SignOutReason::parse("whatever"), None);
    }

    #[test]
    fn a_refused_refresh_names_its_reason() {
        assert_eq!(SignOutReason::from_refresh_error("refresh_reused", false), SignOutReason::Reused);
        assert_eq!(SignOutReason::from_refresh_error("refresh_expired", false), SignOutReason::Expired);
        assert_eq!(SignOutReason::from_refresh_error("refresh_invalid", false), SignOutReason::Revoked);
        assert_eq!(SignOutReason::from_refresh_error("refresh_invalid", true), SignOutReason::Expired);
    }

    #[test]
    fn the_bootstrap_defaults_to_signed_out_with_the_default_lead() {
        assert_eq!(Bootstrap::default(), Bootstrap { session: None, refresh_lead_secs: 300 });
    }
}
