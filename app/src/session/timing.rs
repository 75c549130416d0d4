//! When the scheduler acts: the deadlines of the session in hand, counted
//! from the [`Anchor`] it arrived at, and the wait between retries of a
//! refresh that got no answer. Arithmetic only; the scheduler sets its
//! timers from these.

use super::clock::Anchor;
use crate::types::SessionInfo;

/// A session bound to its device (DBSC) is renewed by the browser itself,
/// once the access cookie is gone; the page asks for the session this long
/// after expiry, a request the browser holds until it has renewed.
const BOUND_AFTER_EXPIRY_MS: f64 = 1_500.0;

/// First retry after a network failure; doubles up to [`MAX_RETRY_MS`].
const FIRST_RETRY_MS: f64 = 1_000.0;
const MAX_RETRY_MS: f64 = 60_000.0;

/// The session the scheduler keeps fresh.
pub(super) struct Current {
    pub(super) info: SessionInfo,
    pub(super) anchor: Anchor,
    /// Issued moments ago (anything but the server-rendered session, which
    /// may be old); see [`Current::due_in_ms`].
    pub(super) fresh: bool,
}

impl Current {
    pub(super) fn expires_in_ms(&self) -> f64 {
        self.info.expires_in as f64 * 1000.0 - self.anchor.elapsed_ms()
    }

    /// Time left until the refresh is due; `<= 0` means at once. A token
    /// issued just now with no more than the lead left would be due at once
    /// again and again; it is refreshed at half its life instead.
    ///
    /// A bound session is due just after expiry instead (see
    /// [`BOUND_AFTER_EXPIRY_MS`]): before it, the browser has nothing to renew.
    pub(super) fn due_in_ms(&self, lead_ms: f64) -> f64 {
        let life_ms = self.info.expires_in as f64 * 1000.0;
        if self.info.bound {
            return life_ms + BOUND_AFTER_EXPIRY_MS - self.anchor.elapsed_ms();
        }
        let mut due_ms = life_ms - lead_ms;
        if self.fresh && due_ms <= 0.0 {
            due_ms = life_ms / 2.0;
        }
        due_ms - self.anchor.elapsed_ms()
    }

    /// The refresh token's own life is over, so the server's refusal means
    /// expiry rather than revocation.
    pub(super) fn refresh_lapsed(&self) -> bool {
        let life_ms = (self.info.refresh_expires_at - self.info.server_time) as f64 * 1000.0;
        self.anchor.elapsed_ms() >= life_ms
    }
}

/// Capped exponential backoff for refreshes that got no answer.
#[derive(Clone, Copy, Debug)]
pub(super) struct Backoff {
    next_ms: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { next_ms: FIRST_RETRY_MS }
    }
}

impl Backoff {
    /// The wait before this retry; the one after waits twice as long.
    pub(super) fn next_delay_ms(&mut self) -> f64 {
        let delay_ms = self.next_ms;
        self.next_ms = (delay_ms * 2.0).min(MAX_RETRY_MS);
        delay_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_twice_as_long_each_time_up_to_a_minute() {
        let mut backoff = Backoff::default();
        let delays: Vec<f64> = (0..8).map(|_| backoff.next_delay_ms()).collect();
        assert_eq!(delays, [1_000.0, 2_000.0, 4_000.0, 8_000.0, 16_000.0, 32_000.0, 60_000.0, 60_000.0]);
    }
}
