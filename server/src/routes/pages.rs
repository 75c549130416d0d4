//! The HTML side: server-side rendering of the Leptos app (`app::App`) and
//! the built site's files (`/pkg/*` JS, WASM and CSS, and `public/` assets).
//!
//! Its fallback answers every path no other router claimed: a file from the
//! site root if one exists, else the app's not-found page with status 404.
//! It is merged beside `.nest("/api", …)`, whose own JSON fallback keeps
//! unknown `/api/*` paths out of it (a nested router's fallback wins under
//! its prefix).

use app::{App, shell};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos_axum::{LeptosRoutes, file_and_error_handler, generate_route_list};

use crate::{config::Config, state::AppState};

/// Leptos' settings, built from our own configuration rather than by reading
/// `Cargo.toml` at run time. cargo-leptos exports the same values as
/// `LEPTOS_*` variables, which `Config` reads with the defaults of
/// `[[workspace.metadata.leptos]]`.
pub fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name(config.output_name.as_str())
        .site_root(config.site_root.as_str())
        .site_pkg_dir(config.site_pkg_dir.as_str())
        .site_addr(config.site_addr)
        .build()
}

/// A GET route per page of the app, plus the static-file and not-found
/// fallback.
pub fn router(state: &AppState) -> Router<AppState> {
    // Walks the `<Routes>` of `App` once: `/`, `/login`, `/register`.
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();

    Router::new()
        .leptos_routes(state, routes, move || shell(options.clone()))
        // `ServeDir` over the site root (it refuses `..`), precompressed
        // `.br`/`.gz` when present; otherwise renders the shell with 404.
        .fallback(file_and_error_handler::<AppState, _>(shell))
}
