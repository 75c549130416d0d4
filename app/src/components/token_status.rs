//! The access token's life at a glance: a live countdown to its expiry,
//! when the next refresh is due, and how often this tab has refreshed.
//!
//! Everything is read from the scheduler's signals in page-clock time, so
//! the server renders the same numbers the browser starts from.

use leptos::prelude::*;

use crate::{
    format::{clock_duration, local_time_in},
    session::{SessionContext, now_ms, use_session},
};

/// A card with the countdown and the refresh schedule.
#[component]
pub fn TokenStatus() -> impl IntoView {
    let session = use_session();
    let now = ticking_clock(session);
    let seconds_until = move |at: Option<f64>| at.map(|at| ((at - now.get()) / 1000.0).ceil().max(0.0) as i64);

    let countdown = move || seconds_until(session.expires_at.get()).unwrap_or(0).to_string();
    let next_seconds = move || seconds_until(session.next_refresh_at.get());
    let next_refresh = move || match next_seconds() {
        None => "Not scheduled".to_owned(),
        Some(0) => "Now".to_owned(),
        Some(secs) => match local_time_in(secs as f64 * 1000.0) {
            Some(time) => format!("At {time} (in {})", clock_duration(secs)),
            None => format!("In {}", clock_duration(secs)),
        },
    };

    view! {
        <section class="card" aria-labelledby="token-heading">
            <h2 id="token-heading">"Access token"</h2>
            <dl class="facts">
                <div>
                    <dt>"Expires in"</dt>
                    <dd>
                        <span class="countdown" data-testid="access-countdown">
                            {countdown}
                        </span>
                        " seconds"
                    </dd>
                </div>
                <div>
                    <dt>"Next refresh"</dt>
                    <dd
                        data-testid="next-refresh"
                        data-seconds=move || next_seconds().map(|secs| secs.to_string())
                    >
                        {next_refresh}
                    </dd>
                </div>
                <div>
                    <dt>"Renewed by"</dt>
                    <dd data-testid="renewed-by">
                        {move || {
                            if session.session.with(|s| s.as_ref().is_some_and(|s| s.bound)) {
                                "This device's key (device-bound session)"
                            } else {
                                "This page's scheduler"
                            }
                        }}
                    </dd>
                </div>
                <div>
                    <dt>"Refreshes by this tab"</dt>
                    <dd data-testid="refresh-count">{move || session.refresh_count.get().to_string()}</dd>
                </div>
            </dl>
            <p class="muted small">
                "The session renews itself in the background before the token expires (or, bound to this device, the browser renews it when it does)."
            </p>
        </section>
    }
}

/// The page clock, updated every second while the component is shown, and
/// whenever the scheduler sets a new deadline: deadlines are page-clock
/// times taken at that moment, so measuring them against the last tick (up
/// to a second old) would overstate the time left by up to a second (a 302 s
/// token showing "303"). The first run, right after hydration, also replaces
/// the server's rendering (which has no local time) with the browser's.
fn ticking_clock(session: SessionContext) -> ReadSignal<f64> {
    let (now, set_now) = signal(now_ms());
    #[cfg(feature = "hydrate")]
    {
        let tick = gloo_timers::callback::Interval::new(1_000, move || set_now.set(now_ms()));
        // Owned by this component: dropped (and so stopped) when it goes.
        let _ = StoredValue::new_local(tick);
        Effect::new(move || {
            session.expires_at.track();
            session.next_refresh_at.track();
            set_now.set(now_ms());
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (set_now, session);
    now
}
