//! The server binary: parse the command line, read config, run the command
//! (`serve` by default) until it ends, or until Ctrl-C or SIGTERM.

use server::{cli, config::Config, telemetry};

/// See the workspace Cargo.toml: keeps RSS bounded after password hashing.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // First, so `--help` works whatever the environment holds.
    let cli = cli::parse();
    let command = cli.command.unwrap_or(cli::Command::Serve);
    // Before logging starts, so RUST_LOG and LOG_FORMAT in .env count.
    // Config::from_env reports a malformed file.
    let _ = dotenvy::dotenv();
    let serving = matches!(command, cli::Command::Serve);
    telemetry::init(if serving { telemetry::Output::Server } else { telemetry::Output::Command });
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            if serving {
                tracing::error!("configuration: {err}");
            } else {
                eprintln!("error: configuration: {err}");
            }
            return std::process::ExitCode::from(2);
        }
    };
    cli::run(command, config, shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
