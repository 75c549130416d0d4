//! The refresh scheduler: renews the session `refresh_lead_secs` before the
//! access token expires, so the user is never bounced to sign-in mid-visit.
//!
//! - The deadline comes from `expires_in`, counted from when that answer
//!   arrived ([`Anchor`]), never from the wall clock; [`timing`](super::timing)
//!   computes it. A timer fires at it; wake-ups ([`wake`]) re-check it, since
//!   timers stall while a laptop sleeps.
//! - A refresh holds the cross-tab lock ([`tabs::exclusive`]). Inside it a
//!   `GET /api/auth/session` first: if the cookies already hold a newer
//!   access token, another tab refreshed and this one adopts its session.
//! - Success is broadcast to the other tabs; a `401` signs every tab out
//!   with the reason; no answer at all retries with capped exponential
//!   backoff and keeps the user signed in.
//! - A session bound to its device (DBSC, `SessionInfo::bound`) is renewed
//!   by the browser itself: the round is due just after expiry, and its
//!   `GET /api/auth/session` is what the browser holds and renews the
//!   cookie for. A bound tab never calls `POST /api/auth/refresh`: when the
//!   browser has not renewed, it asks again with backoff, and signs out
//!   only after about a minute of that. An unbound tab whose refresh is
//!   answered `binding_proof_missing` learns that the browser bound the
//!   session meanwhile, and carries on as a bound tab.
//!
//! Single-threaded (WASM), so the state is an `Rc<RefCell<…>>`. Borrows are
//! never held while signals are set or awaits are pending.

use std::{
    cell::RefCell,
    rc::{Rc, Weak},
};

use gloo_timers::callback::Timeout;
use leptos::{prelude::*, task::spawn_local};

use super::{
    SignOutReason, Writers,
    clock::{Anchor, now_ms},
    tabs::{self, Channel, TabMessage},
    timing::{Backoff, Current},
    wake,
};
use crate::{
    api,
    types::{ErrorCode, SessionInfo},
};

/// Rounds in a row the browser did not renew a bound session before the
/// page gives up on it and signs out: with the backoff (1, 2, 4, … s),
/// about a minute.
const MAX_UNRENEWED: u8 = 6;

/// `setTimeout` fires at once beyond this (2^31 - 1 ms, about 24.8 days).
const MAX_TIMEOUT_MS: f64 = 2_147_483_647.0;

/// A handle on the page's one scheduler.
#[derive(Clone)]
pub(super) struct Scheduler(Rc<Inner>);

struct Inner {
    writers: Writers,
    lead_ms: f64,
    channel: Option<Channel>,
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    current: Option<Current>,
    /// Dropping a `Timeout` cancels it, so there is at most one pending.
    timer: Option<Timeout>,
    in_flight: bool,
    backoff: Backoff,
    /// Bumped whenever news overtakes a refresh in flight (a sign-in, a
    /// sign-out, another tab's session), whose outcome is then stale.
    epoch: u64,
    /// Rounds in a row that found a bound session not renewed.
    unrenewed: u8,
}

/// How one refresh round ended.
enum Outcome {
    /// Another tab had refreshed already: its session, read back.
    Adopted(SessionInfo, Anchor),
    /// This tab refreshed.
    Refreshed(SessionInfo, Anchor),
    /// The server refused: the session is over.
    Rejected(SignOutReason),
    /// A bound session the browser did not renew (yet).
    Unrenewed,
    /// The refresh was refused with `binding_proof_missing`: the browser
    /// bound the session since this tab last read it.
    BoundMeanwhile,
    /// No usable answer; try again later.
    Failed,
}

impl Scheduler {
    /// Starts scheduling for the page, from the server-rendered session.
    pub(super) fn start(writers: Writers, lead_secs: i64, initial: Option<SessionInfo>) -> Self {
        let inner = Rc::new_cyclic(|weak: &Weak<Inner>| {
            let weak = weak.clone();
            Inner {
                writers,
                lead_ms: lead_secs as f64 * 1000.0,
                channel: Channel::open(move |message| with(&weak, |scheduler| scheduler.on_message(message))),
                state: RefCell::default(),
            }
        });
        let weak = Rc::downgrade(&inner);
        wake::on_wake(move || with(&weak, Scheduler::catch_up));

        let scheduler = Self(inner);
        if let Some(info) = initial {
            scheduler.adopt(info, Anchor::page_start(), false);
        }
        scheduler
    }

    /// A sign-in in this tab.
    pub(super) fn signed_in(&self, info: SessionInfo) {
        self.0.state.borrow_mut().epoch += 1;
        self.broadcast(TabMessage::Refreshed { session: info.clone() });
        self.adopt(info, Anchor::now(), true);
    }

    /// A sign-out in this tab.
    pub(super) fn signed_out(&self, reason: SignOutReason) {
        self.broadcast(TabMessage::SignedOut { reason });
        self.end(reason);
    }

    /// Refresh now, due or not (an API call found the access token dead).
    pub(super) fn check_now(&self) {
        self.refresh();
    }

    /// Timer or wake-up: refresh if due, else re-arm with the time left
    /// (which a stalled timer would have overstated).
    fn catch_up(&self) {
        let idle = {
            let state = self.0.state.borrow();
            state.current.is_some() && !state.in_flight
        };
        if idle {
            self.arm();
        }
    }

    fn on_message(&self, message: TabMessage) {
        match message {
            TabMessage::Refreshed { session } => {
                let newer = self.0.state.borrow().current.as_ref().is_none_or(|current| {
                    current.info.session_id != session.session_id
                        || session.access_expires_at >= current.info.access_expires_at
                });
                if newer {
                    self.0.state.borrow_mut().epoch += 1;
                    self.adopt(session, Anchor::now(), true);
                }
            }
            TabMessage::SignedOut { reason } => {
                if self.0.state.borrow().current.is_some() {
                    self.end(reason);
                }
            }
        }
    }

    /// Takes `info` as the session and schedules its refresh.
    fn adopt(&self, info: SessionInfo, anchor: Anchor, fresh: bool) {
        {
            let mut state = self.0.state.borrow_mut();
            state.current = Some(Current { info: info.clone(), anchor, fresh });
            state.backoff = Backoff::default();
            state.unrenewed = 0;
        }
        self.0.writers.sign_out_reason.set(None);
        self.0.writers.session.set(Some(info));
        self.arm();
    }

    /// Publishes the deadlines and sets the timer, or refreshes if due.
    fn arm(&self) {
        let (expires_in, due_in) = {
            let state = self.0.state.borrow();
            let Some(current) = &state.current else { return };
            (current.expires_in_ms(), current.due_in_ms(self.0.lead_ms))
        };
        let now = now_ms();
        self.0.writers.expires_at.set(Some(now + expires_in.max(0.0)));
        self.0.writers.next_refresh_at.set(Some(now + due_in.max(0.0)));
        if due_in <= 0.0 {
            self.refresh();
        } else {
            self.set_timer(due_in);
        }
    }

    fn set_timer(&self, delay_ms: f64) {
        let weak = Rc::downgrade(&self.0);
        let millis = delay_ms.ceil().clamp(0.0, MAX_TIMEOUT_MS) as u32;
        // The callback only spawns: re-arming replaces (drops) this very
        // timer, which must not happen while its callback runs.
        let timer = Timeout::new(millis, move || {
            spawn_local(async move { with(&weak, Scheduler::catch_up) });
        });
        self.0.state.borrow_mut().timer = Some(timer);
    }

    /// Starts a refresh round unless one is running.
    fn refresh(&self) {
        let (epoch, scheduled_from, refresh_lapsed, bound) = {
            let mut state = self.0.state.borrow_mut();
            if state.in_flight {
                return;
            }
            let Some(current) = &state.current else { return };
            let snapshot = (state.epoch, current.info.access_expires_at, current.refresh_lapsed(), current.info.bound);
            state.in_flight = true;
            state.timer = None;
            snapshot
        };
        let scheduler = self.clone();
        spawn_local(async move {
            let outcome =
                tabs::exclusive(round(scheduled_from, refresh_lapsed, bound)).await.unwrap_or(Outcome::Failed);
            scheduler.finish(epoch, outcome);
        });
    }

    fn finish(&self, epoch: u64, outcome: Outcome) {
        let (stale, signed_in) = {
            let mut state = self.0.state.borrow_mut();
            state.in_flight = false;
            (state.epoch != epoch, state.current.is_some())
        };
        if stale {
            // The news that overtook this round set the session already; it
            // may not have armed a timer while the round was in flight.
            if signed_in {
                self.arm();
            }
            return;
        }
        match outcome {
            // Another tab's brand-new token: as fresh as one of our own.
            Outcome::Adopted(info, anchor) => self.adopt(info, anchor, true),
            Outcome::Refreshed(info, anchor) => {
                self.0.writers.refresh_count.update(|count| *count += 1);
                self.broadcast(TabMessage::Refreshed { session: info.clone() });
                self.adopt(info, anchor, true);
            }
            Outcome::Rejected(reason) => self.signed_out(reason),
            Outcome::Unrenewed => {
                let unrenewed = {
                    let mut state = self.0.state.borrow_mut();
                    state.unrenewed += 1;
                    state.unrenewed
                };
                if unrenewed >= MAX_UNRENEWED {
                    self.signed_out(SignOutReason::Revoked);
                } else {
                    self.retry_later();
                }
            }
            Outcome::BoundMeanwhile => {
                if let Some(current) = self.0.state.borrow_mut().current.as_mut() {
                    current.info.bound = true;
                }
                self.arm();
            }
            Outcome::Failed => self.retry_later(),
        }
    }

    fn retry_later(&self) {
        let delay_ms = self.0.state.borrow_mut().backoff.next_delay_ms();
        self.0.writers.next_refresh_at.set(Some(now_ms() + delay_ms));
        self.set_timer(delay_ms);
    }

    /// Signed out here: forget the session and stop the timer.
    fn end(&self, reason: SignOutReason) {
        {
            let mut state = self.0.state.borrow_mut();
            state.epoch += 1;
            state.current = None;
            state.timer = None;
            state.backoff = Backoff::default();
        }
        self.0.writers.clear(reason);
    }

    fn broadcast(&self, message: TabMessage) {
        if let Some(channel) = &self.0.channel {
            channel.post(&message);
        }
    }
}

/// Runs `f` on the scheduler if the page still has it.
fn with(weak: &Weak<Inner>, f: impl FnOnce(&Scheduler)) {
    if let Some(inner) = weak.upgrade() {
        f(&Scheduler(inner));
    }
}

/// One refresh round, run under the cross-tab lock. `bound`: the browser
/// renews this session itself, and the round only reads it back.
async fn round(scheduled_from: i64, refresh_lapsed: bool, bound: bool) -> Outcome {
    // A bound session is the browser's to renew: the page only ever adopts
    // what it reads back (a registration may have bound it since, within
    // the same second of expiry, so a newer expiry alone would not show it).
    if let Ok(Some(info)) = api::session().await
        && (info.access_expires_at > scheduled_from || info.bound)
    {
        return Outcome::Adopted(info, Anchor::now());
    }
    if bound {
        return Outcome::Unrenewed;
    }
    match api::refresh().await {
        Ok(info) => Outcome::Refreshed(info, Anchor::now()),
        Err(error) if error.code() == Some(ErrorCode::BindingProofMissing) => Outcome::BoundMeanwhile,
        Err(error) if error.is_unauthorized() => Outcome::Rejected(SignOutReason::from_refresh_error(
            error.code().unwrap_or(ErrorCode::Unknown),
            refresh_lapsed,
        )),
        Err(error) => {
            leptos::logging::warn!("refresh failed, retrying later: {error}");
            Outcome::Failed
        }
    }
}
