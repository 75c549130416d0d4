//! Brute-force limits: a fixed one-minute window per key (client address,
//! case-folded email). Only failures count for login and refresh, so a
//! user who signs in correctly is never slowed; register counts every
//! attempt. Beyond the limit: `429 rate_limited` with `Retry-After`.
//!
//! The counters live in this instance's memory: behind a load balancer each
//! instance enforces the limit on its own share of the traffic.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::error::ApiError;

const WINDOW: Duration = Duration::from_secs(60);
/// Beyond this many tracked keys, expired windows are swept.
const SWEEP_AT: usize = 50_000;

#[derive(Debug)]
pub struct Limiter {
    max_per_window: u32,
    enabled: bool,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Limiter {
    pub fn new(max_per_window: u32, enabled: bool) -> Self {
        Self { max_per_window, enabled, windows: Mutex::new(HashMap::new()) }
    }

    /// `429` when `key` has used up its window.
    pub fn check(&self, key: &str) -> Result<(), ApiError> {
        if !self.enabled {
            return Ok(());
        }
        let now = Instant::now();
        let Ok(windows) = self.windows.lock() else { return Ok(()) };
        match windows.get(key) {
            Some((start, count)) if *count >= self.max_per_window && now < *start + WINDOW => {
                let left = (*start + WINDOW - now).as_secs_f64().ceil() as u64;
                Err(ApiError::RateLimited { retry_after_secs: left.max(1) })
            }
            _ => Ok(()),
        }
    }

    /// Counts one attempt against `key`.
    pub fn record(&self, key: &str) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        let Ok(mut windows) = self.windows.lock() else { return };
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, (start, _)| now < *start + WINDOW);
        }
        let entry = windows.entry(key.to_owned()).or_insert((now, 0));
        if now >= entry.0 + WINDOW {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }
}

/// The limiters of the auth endpoints (defaults of the contract).
#[derive(Debug)]
pub struct Limits {
    /// Failed logins per client address.
    pub login_by_ip: Limiter,
    /// Failed logins per case-folded email.
    pub login_by_email: Limiter,
    /// Failed refreshes per client address.
    pub refresh_by_ip: Limiter,
    /// Registrations per client address.
    pub register_by_ip: Limiter,
}

impl Limits {
    pub fn new(enabled: bool) -> Self {
        Self {
            login_by_ip: Limiter::new(10, enabled),
            login_by_email: Limiter::new(10, enabled),
            refresh_by_ip: Limiter::new(30, enabled),
            register_by_ip: Limiter::new(10, enabled),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_limited_after_its_quota_and_others_are_not() {
        let limiter = Limiter::new(2, true);
        limiter.record("a");
        limiter.record("a");
        let err = limiter.check("a").unwrap_err();
        assert!(matches!(err, ApiError::RateLimited { retry_after_secs } if (1..=60).contains(&retry_after_secs)));
        assert!(limiter.check("b").is_ok());
    }

    #[test]
    fn a_disabled_limiter_never_limits() {
        let limiter = Limiter::new(1, false);
        limiter.record("a");
        limiter.record("a");
        assert!(limiter.check("a").is_ok());
    }
}
