//! Runs the mounted example: the host routes (`/hello`, `/private`,
//! `/reports`) and the auth API on `LEPTOS_SITE_ADDR`, configured by the
//! same environment variables as the `server` binary (see the README).

use std::net::SocketAddr;

use server::config::Config;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    server::telemetry::init(server::telemetry::Output::Server);
    let config = Config::from_env()?;
    let addr = config.site_addr;
    let app = mounted_example::build(config).await?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|err| anyhow::anyhow!("cannot listen on {addr} (LEPTOS_SITE_ADDR): {err}"))?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    // The auth routes read the peer address (rate limits, session records).
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutting down: finishing in-flight requests");
        })
        .await?;
    Ok(())
}
