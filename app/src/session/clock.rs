//! The page clock, and elapsed time that survives sleep and clock changes.
//!
//! Deadlines are measured from when a [`SessionInfo`](crate::types::SessionInfo)
//! arrived, never against the wall clock. `performance.now()` is monotonic
//! but may stand still while the system sleeps; `Date.now()` keeps counting
//! through sleep but jumps when the clock is set. Elapsed time is the larger
//! of the two deltas: that can only make a refresh come earlier, never skip it.

/// Milliseconds on the page clock (`performance.now()`); `0` on the server,
/// which renders as if at the instant the page started.
#[cfg(feature = "hydrate")]
pub fn now_ms() -> f64 {
    web_sys::window().and_then(|window| window.performance()).map_or(0.0, |performance| performance.now())
}

#[cfg(not(feature = "hydrate"))]
pub fn now_ms() -> f64 {
    0.0
}

/// When a session's times start counting: both clocks at arrival.
#[cfg(feature = "hydrate")]
#[derive(Clone, Copy, Debug)]
pub(super) struct Anchor {
    page_ms: f64,
    date_ms: f64,
}

#[cfg(feature = "hydrate")]
impl Anchor {
    /// Now: for a response that just arrived.
    pub(super) fn now() -> Self {
        Self { page_ms: now_ms(), date_ms: js_sys::Date::now() }
    }

    /// The start of the page load: for the session the server rendered. It
    /// arrived somewhat later, so elapsed time is overestimated by the load
    /// time, which again only moves the refresh earlier.
    pub(super) fn page_start() -> Self {
        Self { page_ms: 0.0, date_ms: js_sys::Date::now() - now_ms() }
    }

    /// Milliseconds since the anchor: the larger of the two clocks' deltas.
    pub(super) fn elapsed_ms(self) -> f64 {
        let by_page = now_ms() - self.page_ms;
        let by_date = js_sys::Date::now() - self.date_ms;
        by_page.max(by_date).max(0.0)
    }
}
