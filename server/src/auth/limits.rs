//! Brute-force limits: a fixed one-minute window per key (client address,
//! case-folded email). An attempt is counted *before* the work it guards
//! (so a burst of parallel guesses cannot all slip past the check) and
//! forgiven when it succeeds: only failures use up a login or refresh
//! quota, and a user who signs in correctly is never slowed. Beyond the
//! limit: `429 rate_limited` with `Retry-After`.
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
/// Beyond this many tracked keys, expired windows are swept (at most once
/// per [`SWEEP_EVERY`]); keys are short (an address or a parsed email), so
/// even a full map stays small.
const SWEEP_AT: usize = 50_000;
const SWEEP_EVERY: Duration = Duration::from_secs(5);
/// Hard cap: past it, new keys go untracked rather than grow the map.
const MAX_KEYS: usize = 500_000;

/// A refused attempt.
#[derive(Debug, Clone, Copy)]
pub struct Refusal {
    pub retry_after_secs: u64,
    /// The first refusal of this key's window.
    pub first: bool,
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        ApiError::RateLimited { retry_after_secs: refusal.retry_after_secs }
    }
}

#[derive(Debug)]
pub struct Limiter {
    max_per_window: u32,
    enabled: bool,
    state: Mutex<Windows>,
}

#[derive(Debug)]
struct Windows {
    by_key: HashMap<String, (Instant, u32)>,
    last_sweep: Instant,
}

impl Limiter {
    pub fn new(max_per_window: u32, enabled: bool) -> Self {
        let state = Windows { by_key: HashMap::new(), last_sweep: Instant::now() };
        Self { max_per_window, enabled, state: Mutex::new(state) }
    }

    /// Counts one attempt against `key`, or refuses it with `429` when the
    /// key's window is used up. Check and count are one step under the lock.
    pub fn acquire(&self, key: &str) -> Result<(), ApiError> {
        self.check(key).map_err(ApiError::from)
    }

    /// Like [`Limiter::acquire`], but a refusal says whether it is the first
    /// in its window (worth an audit event; the rest of a flood is not).
    pub fn check(&self, key: &str) -> Result<(), Refusal> {
        if !self.enabled {
            return Ok(());
        }
        let now = Instant::now();
        let Ok(mut state) = self.state.lock() else { return Ok(()) };
        if state.by_key.len() >= SWEEP_AT && now >= state.last_sweep + SWEEP_EVERY {
            state.by_key.retain(|_, (start, _)| now < *start + WINDOW);
            state.last_sweep = now;
        }
        if !state.by_key.contains_key(key) && state.by_key.len() >= MAX_KEYS {
            return Ok(());
        }
        let entry = state.by_key.entry(key.to_owned()).or_insert((now, 0));
        if now >= entry.0 + WINDOW {
            *entry = (now, 0);
        }
        if entry.1 >= self.max_per_window {
            let left = (entry.0 + WINDOW - now).as_secs_f64().ceil() as u64;
            let first = entry.1 == self.max_per_window;
            entry.1 = entry.1.saturating_add(1);
            return Err(Refusal { retry_after_secs: left.max(1), first });
        }
        entry.1 += 1;
        Ok(())
    }

    /// Gives back an attempt that turned out fine (a successful login).
    pub fn forgive(&self, key: &str) {
        if !self.enabled {
            return;
        }
        if let Ok(mut state) = self.state.lock()
            && let Some(entry) = state.by_key.get_mut(key)
        {
            entry.1 = entry.1.saturating_sub(1);
        }
    }
}

/// The rate-limit key of a client address. IPv6 is keyed by its /64: one
/// subscriber usually holds a whole /64, and per-address keys would give
/// them 2^64 fresh quotas.
pub fn address_key(ip: Option<std::net::IpAddr>) -> String {
    match ip {
        Some(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("ip6:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(std::net::IpAddr::V6(v6)) => {
            format!("ip:{}", v6.to_ipv4_mapped().map_or(v6.to_string(), |v4| v4.to_string()))
        }
        Some(ip) => format!("ip:{ip}"),
        None => "ip:unknown".to_owned(),
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
        assert!(limiter.acquire("a").is_ok());
        assert!(limiter.acquire("a").is_ok());
        let err = limiter.acquire("a").unwrap_err();
        assert!(matches!(err, ApiError::RateLimited { retry_after_secs } if (1..=60).contains(&retry_after_secs)));
        assert!(limiter.acquire("b").is_ok());
    }

    #[test]
    fn only_the_first_refusal_of_a_window_is_marked_first() {
        let limiter = Limiter::new(1, true);
        assert!(limiter.check("a").is_ok());
        assert!(limiter.check("a").unwrap_err().first);
        assert!(!limiter.check("a").unwrap_err().first);
        assert!(!limiter.check("a").unwrap_err().first);
    }

    #[test]
    fn a_forgiven_attempt_frees_its_slot() {
        let limiter = Limiter::new(1, true);
        assert!(limiter.acquire("a").is_ok());
        limiter.forgive("a");
        assert!(limiter.acquire("a").is_ok());
        assert!(limiter.acquire("a").is_err());
    }

    #[test]
    fn a_disabled_limiter_never_limits() {
        let limiter = Limiter::new(1, false);
        for _ in 0..5 {
            assert!(limiter.acquire("a").is_ok());
        }
    }

    #[test]
    fn ipv6_addresses_share_a_key_per_64_prefix() {
        let a = address_key(Some("2001:db8:1:2:aaaa::1".parse().unwrap()));
        let b = address_key(Some("2001:db8:1:2:bbbb::2".parse().unwrap()));
        let c = address_key(Some("2001:db8:1:3::1".parse().unwrap()));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(address_key(Some("::ffff:10.0.0.1".parse().unwrap())), "ip:10.0.0.1");
    }
}
