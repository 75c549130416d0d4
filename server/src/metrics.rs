//! Prometheus metrics (`AUTH_METRICS`): sign-ins and refreshes by outcome,
//! request latency by route, live sessions. Each `AppState` owns its own
//! registry (no global recorder), so tests and an embedding app can run
//! several servers in one process. This is the registry only; the timing
//! middleware and `GET /metrics` are in `routes::metrics`.

use std::time::{Duration, Instant};

use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    /// The matched route pattern (`/api/auth/sessions/{id}`), never the raw
    /// path: label values stay few whatever clients send.
    pub route: String,
    pub status: u16,
}

/// How a sign-in ended.
#[derive(Debug, Clone, Copy)]
pub enum LoginOutcome {
    Success,
    InvalidCredentials,
    RateLimited,
}

/// How a refresh ended.
#[derive(Debug, Clone, Copy)]
pub enum RefreshOutcome {
    Rotated,
    Grace,
    Reused,
    Invalid,
    Expired,
    RateLimited,
    Unavailable,
    /// A device-bound session's renewal refused for its proof (missing,
    /// invalid, or a challenge to answer first): see `auth_device_binding`.
    Unproven,
}

/// How a second-factor check ended (sign-in second step or step-up).
#[derive(Debug, Clone, Copy)]
pub enum FactorOutcome {
    Success,
    WrongCode,
    /// The pending sign-in was missing, expired, used or out of tries.
    PendingInvalid,
    RateLimited,
    /// A passkey assertion that did not verify.
    Refused,
    /// A passkey whose signature counter went backwards.
    CloneSuspected,
}

/// How a device-binding step ended (DBSC).
#[derive(Debug, Clone, Copy)]
pub enum BindingOutcome {
    /// A session was bound to a device key.
    Bound,
    /// A bound session was renewed with its device's proof.
    Refreshed,
    /// A challenge was sent (no proof yet, or one for a used-up or expired
    /// challenge): the browser signs it and retries.
    Challenged,
    /// A proof that proved nothing.
    Invalid,
    /// A bound session's renewal without a proof, refused.
    Missing,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FactorLabels {
    /// `totp`, `recovery`, `password` or `passkey`.
    method: &'static str,
    outcome: &'static str,
}

pub struct Metrics {
    registry: Registry,
    logins: Family<Outcome, Counter>,
    factors: Family<FactorLabels, Counter>,
    refreshes: Family<Outcome, Counter>,
    requests: Family<RequestLabels, Histogram>,
    active_sessions: Gauge,
    bindings: Family<Outcome, Counter>,
    bound_sessions: Gauge,
    /// When `active_sessions` was last counted: a scrape counts at most
    /// every [`COUNT_EVERY`], however often `/metrics` is asked.
    counted_at: std::sync::Mutex<Option<Instant>>,
    audit_dropped: Counter,
}

/// How long a count of live sessions is reused.
const COUNT_EVERY: Duration = Duration::from_secs(1);

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let logins = Family::<Outcome, Counter>::default();
        let refreshes = Family::<Outcome, Counter>::default();
        let factors = Family::<FactorLabels, Counter>::default();
        // 0.25 ms … 4 s: a refresh is about a millisecond, a login (Argon2)
        // tens of milliseconds.
        let requests = Family::<RequestLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.000_25, 2.0, 15))
        });
        let active_sessions = Gauge::default();
        let bindings = Family::<Outcome, Counter>::default();
        let bound_sessions = Gauge::default();
        let audit_dropped = Counter::default();
        let mut registry = Registry::default();
        registry.register("auth_logins", "Sign-in attempts by outcome", logins.clone());
        registry.register("auth_refreshes", "Refresh attempts by outcome", refreshes.clone());
        registry.register(
            "auth_second_factor_checks",
            "Second-factor checks (sign-in second step, step-up) by method and outcome",
            factors.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by method, route and status",
            requests.clone(),
        );
        registry.register("auth_active_sessions", "Sessions that are live now", active_sessions.clone());
        registry.register(
            "auth_device_binding",
            "Device-binding (DBSC) steps by outcome: bound, refreshed, challenged, invalid, missing",
            bindings.clone(),
        );
        registry.register("auth_bound_sessions", "Live sessions bound to a device key (DBSC)", bound_sessions.clone());
        registry.register(
            "auth_audit_events_dropped",
            "Audit events that could not be stored (queue full, or the database failed twice)",
            audit_dropped.clone(),
        );
        Self {
            registry,
            logins,
            factors,
            refreshes,
            requests,
            active_sessions,
            bindings,
            bound_sessions,
            counted_at: Default::default(),
            audit_dropped,
        }
    }
}

impl Metrics {
    pub fn login(&self, outcome: LoginOutcome) {
        let outcome = match outcome {
            LoginOutcome::Success => "success",
            LoginOutcome::InvalidCredentials => "invalid_credentials",
            LoginOutcome::RateLimited => "rate_limited",
        };
        self.logins.get_or_create(&Outcome { outcome }).inc();
    }

    /// Counts a second-factor check; `method` is `totp`, `recovery`,
    /// `password` or `passkey`.
    pub fn factor(&self, method: &'static str, outcome: FactorOutcome) {
        let outcome = match outcome {
            FactorOutcome::Success => "success",
            FactorOutcome::WrongCode => "wrong_code",
            FactorOutcome::PendingInvalid => "pending_invalid",
            FactorOutcome::RateLimited => "rate_limited",
            FactorOutcome::Refused => "refused",
            FactorOutcome::CloneSuspected => "clone_suspected",
        };
        self.factors.get_or_create(&FactorLabels { method, outcome }).inc();
    }

    pub fn refresh(&self, outcome: RefreshOutcome) {
        let outcome = match outcome {
            RefreshOutcome::Rotated => "rotated",
            RefreshOutcome::Grace => "grace",
            RefreshOutcome::Reused => "reused",
            RefreshOutcome::Invalid => "invalid",
            RefreshOutcome::Expired => "expired",
            RefreshOutcome::RateLimited => "rate_limited",
            RefreshOutcome::Unavailable => "unavailable",
            RefreshOutcome::Unproven => "unproven",
        };
        self.refreshes.get_or_create(&Outcome { outcome }).inc();
    }

    pub fn binding(&self, outcome: BindingOutcome) {
        let outcome = match outcome {
            BindingOutcome::Bound => "bound",
            BindingOutcome::Refreshed => "refreshed",
            BindingOutcome::Challenged => "challenged",
            BindingOutcome::Invalid => "invalid",
            BindingOutcome::Missing => "missing",
        };
        self.bindings.get_or_create(&Outcome { outcome }).inc();
    }

    /// The counter of audit events that could not be stored (the audit
    /// writer increments it).
    pub fn audit_dropped_counter(&self) -> Counter {
        self.audit_dropped.clone()
    }

    /// Records how long a request took to answer.
    pub fn request(&self, labels: &RequestLabels, elapsed: Duration) {
        self.requests.get_or_create(labels).observe(elapsed.as_secs_f64());
    }

    /// True when the live-session gauge should be counted again: a scrape
    /// counts at most every [`COUNT_EVERY`], however often `/metrics` is
    /// asked.
    pub fn live_sessions_due(&self) -> bool {
        self.counted_at
            .lock()
            .map(|mut at| {
                let due = at.is_none_or(|t| t.elapsed() >= COUNT_EVERY);
                if due {
                    *at = Some(Instant::now());
                }
                due
            })
            .unwrap_or(true)
    }

    /// Sets the live-session gauges: all, and those bound to a device.
    pub fn set_live_sessions(&self, live: i64, bound: i64) {
        self.active_sessions.set(live);
        self.bound_sessions.set(bound);
    }

    /// The exposition text.
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        encode(&mut text, &self.registry)?;
        Ok(text)
    }
}
