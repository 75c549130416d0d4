//! Logging: `tracing` filtered by `RUST_LOG`, pretty by default, one JSON
//! object per line with `LOG_FORMAT=json`. Request handling runs inside a
//! `request` span carrying the request id (see `routes::harden`), so every
//! line a request logs names it. Nothing logs a cookie, a token or a
//! password: handlers log ids only, and the request span holds the path,
//! never the query or headers.

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Where log lines go and what is shown by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The server: stdout, `info` unless `RUST_LOG` says otherwise.
    Server,
    /// A one-off command: stderr (stdout is the command's answer), `warn`.
    Command,
}

pub fn init(output: Output) {
    let default = if output == Output::Server { "info" } else { "warn" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let json = std::env::var("LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match (json, output) {
        (true, Output::Server) => registry.with(fmt::layer().json().flatten_event(true)).try_init(),
        (true, Output::Command) => {
            registry.with(fmt::layer().json().flatten_event(true).with_writer(std::io::stderr)).try_init()
        }
        (false, Output::Server) => registry.with(fmt::layer()).try_init(),
        (false, Output::Command) => registry.with(fmt::layer().with_writer(std::io::stderr)).try_init(),
    };
    if result.is_err() {
        eprintln!("a global tracing subscriber was already set");
    }
}
