//! Logging: `tracing` to stdout, filtered by `RUST_LOG` (default `info`).
//! Nothing logs a cookie, a token or a password: handlers log ids only.

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let registry = tracing_subscriber::registry().with(filter);
    let result =
        if json { registry.with(fmt::layer().json()).try_init() } else { registry.with(fmt::layer()).try_init() };
    if result.is_err() {
        eprintln!("a global tracing subscriber was already set");
    }
}
