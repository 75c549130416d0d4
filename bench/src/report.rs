//! What a run measured (latency histograms, overall and per kind of
//! request, and counters that every user records into) and how it is
//! printed: text, or one JSON object.

use std::{collections::BTreeMap, time::Duration};

use hdrhistogram::Histogram;
use hyper::StatusCode;
use serde_json::json;

use crate::client::TransportError;

/// Counters of one run. Latencies are microseconds.
pub struct Stats {
    latency: Histogram<u64>,
    /// The same, per kind of request (`refresh`, `me`, …): a mixed run
    /// shows whether one kind waits behind the other.
    by_kind: BTreeMap<&'static str, Histogram<u64>>,
    /// Requests sent and answered inside the measured window.
    requests: u64,
    /// Of those, answered `200`.
    ok: u64,
    /// Non-200 answers, whole run (warm-up included), by status.
    statuses: BTreeMap<u16, u64>,
    /// Requests without an answer, whole run, by kind.
    transport: BTreeMap<&'static str, u64>,
    /// Refresh chains that got a non-200 and stopped.
    lost: u64,
}

impl Default for Stats {
    fn default() -> Self {
        Self {
            latency: histogram(),
            by_kind: BTreeMap::new(),
            requests: 0,
            ok: 0,
            statuses: BTreeMap::new(),
            transport: BTreeMap::new(),
            lost: 0,
        }
    }
}

/// 1 µs to 60 s at 3 significant digits: about 140 KiB, once per kind.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("constant bounds are valid")
}

impl Stats {
    /// Records one request of `kind`. Only `measured` ones count towards throughput
    /// and latency; every error and lost session counts.
    pub fn record(
        &mut self,
        kind: &'static str,
        measured: bool,
        latency: Duration,
        outcome: Result<StatusCode, TransportError>,
        lost: bool,
    ) {
        self.lost += u64::from(lost);
        match outcome {
            Ok(status) if status == StatusCode::OK => {}
            Ok(status) => *self.statuses.entry(status.as_u16()).or_default() += 1,
            Err(err) => *self.transport.entry(err.kind()).or_default() += 1,
        }
        if measured {
            self.requests += 1;
            self.ok += u64::from(outcome == Ok(StatusCode::OK));
            let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX).max(1);
            self.latency.saturating_record(micros);
            self.by_kind.entry(kind).or_insert_with(histogram).saturating_record(micros);
        }
    }

    pub fn lost(&self) -> u64 {
        self.lost
    }
}

/// Everything printed at the end of a run.
pub struct Report<'a> {
    pub scenario: &'static str,
    /// `sqlite`, `postgres`, or `external` for `--url`.
    pub backend: &'static str,
    pub instances: usize,
    /// `--pin`: driver and servers on a CPU each.
    pub pinned: bool,
    pub users: u32,
    /// Requests per second asked for; 0 = closed loop.
    pub rate: f64,
    pub preload: u64,
    pub warmup: Duration,
    pub measured: Duration,
    pub setup: Duration,
    pub stats: &'a Stats,
    /// Per spawned server, MiB; empty for `--url`.
    pub rss_mib: Vec<Option<f64>>,
    /// CPU seconds the spawned servers used over the measured window;
    /// `None` for `--url`.
    pub server_cpu: Option<f64>,
    /// (sessions that still refresh, sessions checked); `None` when skipped.
    pub verify: Option<(usize, usize)>,
}

impl Report<'_> {
    fn per_second(&self) -> f64 {
        self.stats.requests as f64 / self.measured.as_secs_f64()
    }

    /// Milliseconds at a quantile (3 decimals: the histogram holds µs).
    fn ms(&self, quantile: f64) -> f64 {
        self.stats.latency.value_at_quantile(quantile) as f64 / 1000.0
    }

    /// Server CPU per measured request, µs.
    fn cpu_us_per_request(&self) -> Option<f64> {
        let requests = self.stats.requests;
        self.server_cpu.filter(|_| requests > 0).map(|cpu| cpu * 1e6 / requests as f64)
    }

    fn max_ms(&self) -> f64 {
        self.stats.latency.max() as f64 / 1000.0
    }

    /// Per kind of request: (kind, p50 ms, p95 ms, p99 ms), when a run
    /// mixed kinds.
    fn kinds(&self) -> Vec<(&'static str, f64, f64, f64)> {
        let ms = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        if self.stats.by_kind.len() < 2 {
            return Vec::new();
        }
        self.stats.by_kind.iter().map(|(kind, h)| (*kind, ms(h, 0.50), ms(h, 0.95), ms(h, 0.99))).collect()
    }

    pub fn json(&self) -> serde_json::Value {
        let s = self.stats;
        let statuses: BTreeMap<String, u64> = s.statuses.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        json!({
            "scenario": self.scenario,
            "backend": self.backend,
            "instances": self.instances,
            "pinned": self.pinned,
            "users": self.users,
            "rate": self.rate,
            "preload": self.preload,
            "warmup_s": self.warmup.as_secs_f64(),
            "duration_s": self.measured.as_secs_f64(),
            "setup_s": (self.setup.as_secs_f64() * 1000.0).round() / 1000.0,
            "requests": s.requests,
            "ok": s.ok,
            "requests_per_s": (self.per_second() * 10.0).round() / 10.0,
            "latency_ms": {
                "p50": self.ms(0.50), "p95": self.ms(0.95), "p99": self.ms(0.99), "max": self.max_ms(),
            },
            "latency_ms_by_kind": self.kinds().into_iter()
                .map(|(kind, p50, p95, p99)| (kind, json!({ "p50": p50, "p95": p95, "p99": p99 })))
                .collect::<BTreeMap<_, _>>(),
            "errors_by_status": statuses,
            "errors_by_transport": s.transport,
            "lost_sessions": s.lost,
            "server_cpu_us_per_request": self.cpu_us_per_request().map(f64::round),
            "server_cores": self.server_cpu.map(|cpu| (cpu / self.measured.as_secs_f64() * 100.0).round() / 100.0),
            "server_rss_mib": self.rss_mib.iter().map(|m| m.map(|m| (m * 10.0).round() / 10.0)).collect::<Vec<_>>(),
            "verify": self.verify.map(|(ok, checked)| json!({ "ok": ok, "checked": checked })),
        })
    }

    pub fn text(&self) -> String {
        let s = self.stats;
        let pacing = if self.rate > 0.0 { format!("paced {}/s", self.rate) } else { "closed loop".to_owned() };
        let statuses = s.statuses.iter().map(|(status, n)| format!("{status}: {n}"));
        let errors: Vec<String> = statuses.chain(s.transport.iter().map(|(kind, n)| format!("{kind}: {n}"))).collect();
        let rss: Vec<String> = self.rss_mib.iter().map(|m| m.map_or("?".into(), |m| format!("{m:.1} MiB"))).collect();
        let verify = self.verify.map_or("skipped".into(), |(ok, n)| format!("{ok}/{n} sessions still refresh"));
        let cpu = match (self.cpu_us_per_request(), self.server_cpu) {
            (Some(per), Some(cpu)) => {
                format!("{per:.0} µs per request ({:.2} cores busy)", cpu / self.measured.as_secs_f64())
            }
            _ => "not measured".to_owned(),
        };
        let kinds: String = self
            .kinds()
            .into_iter()
            .map(|(kind, p50, p95, p99)| format!("  {kind:<10}p50 {p50:.3} ms  p95 {p95:.3} ms  p99 {p99:.3} ms\n"))
            .collect();
        format!(
            "scenario    {} ({pacing})\n\
             target      {}, {} instance(s){}, {} users, {} preloaded sessions\n\
             setup       {:.2} s\n\
             measured    {:.1} s after {:.0} s warm-up\n\
             requests    {} total, {} ok, {:.1} req/s\n\
             latency     p50 {:.3} ms  p95 {:.3} ms  p99 {:.3} ms  max {:.3} ms\n\
             {kinds}\
             errors      {} (whole run)\n\
             lost        {} sessions\n\
             server CPU  {cpu}\n\
             server RSS  {}\n\
             verify: {verify}\n",
            self.scenario,
            self.backend,
            self.instances,
            if self.pinned { " pinned to CPU 1 (1 worker), driver on CPU 0" } else { "" },
            self.users,
            self.preload,
            self.setup.as_secs_f64(),
            self.measured.as_secs_f64(),
            self.warmup.as_secs_f64(),
            s.requests,
            s.ok,
            self.per_second(),
            self.ms(0.50),
            self.ms(0.95),
            self.ms(0.99),
            self.max_ms(),
            if errors.is_empty() { "none".to_owned() } else { errors.join(", ") },
            s.lost,
            if rss.is_empty() { "not measured (--url)".to_owned() } else { rss.join(", ") },
        )
    }
}
