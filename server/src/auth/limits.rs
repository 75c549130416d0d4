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
    hash::{BuildHasher, RandomState},
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::error::ApiError;

const WINDOW: Duration = Duration::from_secs(60);
/// Beyond this many tracked keys, expired windows are swept (at most once
/// per [`SWEEP_EVERY`]).
const SWEEP_AT: usize = 50_000;
const SWEEP_EVERY: Duration = Duration::from_secs(5);
/// Hard cap on tracked keys. A key is kept as a 64-bit keyed hash (SipHash
/// under a per-process random key, so nobody can aim collisions), so an
/// entry has a fixed size whatever the email's length. Measured (RSS of a
/// map like this one filled with 200 000 keys): 8.4 MiB, 44 bytes a key
/// with the table's slack; the four limiters together stay under 34 MiB,
/// plus a passing 3 MiB while a full map makes room.
const MAX_KEYS: usize = 200_000;
/// When the map is full and nothing has expired, this share of the oldest
/// windows is dropped at once, so the O(n) pass is paid once per many
/// inserts rather than on each.
const EVICT_DIVISOR: usize = 10;

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
    max_keys: usize,
    hasher: RandomState,
    state: Mutex<Windows>,
}

/// Each key's window: when it started and how many attempts it counted.
#[derive(Debug)]
struct Windows {
    by_key: HashMap<u64, (Instant, u32)>,
    last_sweep: Instant,
}

impl Windows {
    fn sweep(&mut self, now: Instant) {
        self.by_key.retain(|_, (start, _)| now < *start + WINDOW);
        self.last_sweep = now;
    }

    /// Makes room for a new key in a full map: first the expired windows,
    /// then, if every window is live, the oldest tenth of them. A key is
    /// never let through uncounted: a flood of fresh keys (many addresses,
    /// many emails) costs the oldest windows their count, not the newest
    /// their limit.
    fn make_room(&mut self, now: Instant, max_keys: usize) {
        self.sweep(now);
        if self.by_key.len() < max_keys {
            return;
        }
        let mut starts: Vec<Instant> = self.by_key.values().map(|(start, _)| *start).collect();
        let k = (max_keys / EVICT_DIVISOR).max(1).min(starts.len() - 1);
        let (_, cutoff, _) = starts.select_nth_unstable(k);
        let cutoff = *cutoff;
        self.by_key.retain(|_, (start, _)| *start > cutoff);
        if self.by_key.len() >= max_keys {
            // Every window started at the same instant: drop any k of them.
            let victims: Vec<u64> = self.by_key.keys().take(k + 1).copied().collect();
            for key in victims {
                self.by_key.remove(&key);
            }
        }
    }
}

impl Limiter {
    pub fn new(max_per_window: u32, enabled: bool) -> Self {
        Self::with_capacity(max_per_window, enabled, MAX_KEYS)
    }

    /// A limiter tracking at most `max_keys` keys (tests use small ones).
    pub fn with_capacity(max_per_window: u32, enabled: bool, max_keys: usize) -> Self {
        let state = Windows { by_key: HashMap::new(), last_sweep: Instant::now() };
        Self {
            max_per_window,
            enabled,
            max_keys: max_keys.max(2),
            hasher: RandomState::new(),
            state: Mutex::new(state),
        }
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
        let key = self.hasher.hash_one(key);
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if state.by_key.len() >= SWEEP_AT && now >= state.last_sweep + SWEEP_EVERY {
            state.sweep(now);
        }
        if !state.by_key.contains_key(&key) && state.by_key.len() >= self.max_keys {
            state.make_room(now, self.max_keys);
        }
        let entry = state.by_key.entry(key).or_insert((now, 0));
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
        let key = self.hasher.hash_one(key);
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(entry) = state.by_key.get_mut(&key) {
            entry.1 = entry.1.saturating_sub(1);
        }
    }

    /// How many keys are tracked now.
    pub fn tracked_keys(&self) -> usize {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).by_key.len()
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
    /// Mail asked for (reset links, verification links) per client address…
    pub mail_by_ip: Limiter,
    /// …and per address mailed to, so no inbox can be flooded.
    pub mail_by_email: Limiter,
    /// Mailed links tried (reset, verify) per client address.
    pub links_by_ip: Limiter,
    /// Wrong one-time codes (second step, step-up, enrolment) per client
    /// address…
    pub codes_by_ip: Limiter,
    /// …and per user, so no account's codes can be guessed from many
    /// addresses faster than this.
    pub codes_by_user: Limiter,
    /// Passkey ceremonies started per client address (each stores a row
    /// until it is finished or expires); a finished one is given back.
    pub ceremonies_by_ip: Limiter,
}

impl Limits {
    pub fn new(enabled: bool) -> Self {
        Self {
            login_by_ip: Limiter::new(10, enabled),
            login_by_email: Limiter::new(10, enabled),
            refresh_by_ip: Limiter::new(30, enabled),
            register_by_ip: Limiter::new(10, enabled),
            mail_by_ip: Limiter::new(10, enabled),
            mail_by_email: Limiter::new(3, enabled),
            links_by_ip: Limiter::new(20, enabled),
            codes_by_ip: Limiter::new(10, enabled),
            codes_by_user: Limiter::new(5, enabled),
            ceremonies_by_ip: Limiter::new(30, enabled),
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
    fn a_full_limiter_still_counts_new_keys_and_stays_within_its_bound() {
        // Arrange: a limiter of 100 keys, full of live windows.
        let limiter = Limiter::with_capacity(2, true, 100);
        for i in 0..100 {
            assert!(limiter.acquire(&format!("flood-{i}")).is_ok());
        }
        assert_eq!(limiter.tracked_keys(), 100);

        // Act: a key that arrives when the map is full.
        let victim = "email:victim@example.com";
        let first = limiter.acquire(victim);
        let second = limiter.acquire(victim);
        let third = limiter.acquire(victim);

        // Assert: it is counted and limited like any other, and the map
        // made room by dropping old windows instead of growing.
        assert!(first.is_ok() && second.is_ok());
        assert!(matches!(third, Err(ApiError::RateLimited { .. })), "the new key is limited");
        assert!(limiter.tracked_keys() <= 100);
        for i in 0..1_000 {
            let _ = limiter.acquire(&format!("more-{i}"));
            assert!(limiter.tracked_keys() <= 100);
        }
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
