//! The HTML side: server-side rendering of the Leptos app (`app::App`) and
//! the built site's files (`/pkg/*` JS, WASM and CSS, and `public/` assets).
//!
//! SSR knows the session. A middleware reads the access cookie before
//! rendering and hands the page an [`app::session::Bootstrap`] (through the
//! request's extensions into the Leptos context), so a signed-in user's
//! first HTML already shows them — no flash of the sign-in form.
//!
//! The refresh cookie is scoped to `/api/auth`, so a page request cannot
//! carry it. When a protected page is asked for without a live access
//! token, the server answers `303 → /api/auth/resume?next=…`, where the
//! browser does send the refresh cookie: the server rotates it, sets fresh
//! cookies and sends the browser back (`303 → next`), which now renders
//! signed in. Without a usable refresh token, resume lands on `/login`
//! with the reason. The user never sees the hop.
//!
//! Its fallback answers every path no other router claimed: a file from the
//! site root if one exists, else the app's not-found page with status 404.

use app::{
    App,
    session::Bootstrap,
    shell,
    types::{SignOutReason, paths},
};
use axum::{
    Router,
    extract::{Query, Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Redirect, Response},
};
use leptos::{config::LeptosOptions, prelude::provide_context};
use leptos_axum::{LeptosRoutes, file_and_error_handler, generate_route_list};
use serde::Deserialize;
use tower_cookies::Cookies;

use crate::{
    auth::cookies::{self, Presented},
    client::Client,
    config::Config,
    error::ApiError,
    extract::{AuthUser, csrf, user::authenticate},
    sessions,
    state::AppState,
    store,
};

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
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    let lead = state.config.refresh_lead_secs;
    let require_verified = state.config.require_verified_email;

    Router::new()
        .leptos_routes_with_context(
            state,
            routes,
            move || provide_context(bootstrap_from_request(lead, require_verified)),
            move || shell(options.clone()),
        )
        .layer(middleware::from_fn_with_state(state.clone(), session_bootstrap))
        .fallback(file_and_error_handler::<AppState, _>(shell))
}

/// The bootstrap the middleware left in the request, read inside the
/// Leptos render (which sees the request's parts in its context).
fn bootstrap_from_request(refresh_lead_secs: i64, require_verified_email: bool) -> Bootstrap {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Bootstrap>().cloned())
        .unwrap_or(Bootstrap { session: None, refresh_lead_secs, require_verified_email })
}

/// Works out who is asking for a page (see the module docs).
async fn session_bootstrap(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let lead = state.config.refresh_lead_secs;
    let session = match current_session(&state, request.headers()).await {
        Ok(session) => session,
        Err(err) => {
            tracing::warn!(error = %err, "could not read the session for a page");
            None
        }
    };
    if session.is_none() && request.method() == Method::GET && paths::PROTECTED.contains(&request.uri().path()) {
        let next_path = request.uri().path_and_query().map_or(paths::HOME, |p| p.as_str());
        return Redirect::to(&paths::resume_href(next_path)).into_response();
    }
    // A page opened from a mailed link carries its token in the address:
    // no request the page makes may pass it on in a `Referer`.
    let holds_link = paths::LINK_PAGES.contains(&request.uri().path());
    let require_verified_email = state.config.require_verified_email;
    request.extensions_mut().insert(Bootstrap { session, refresh_lead_secs: lead, require_verified_email });
    let mut response = next.run(request).await;
    // Every page may show the account (its first HTML is rendered signed
    // in): no cache may keep it, not even the back/forward one after a
    // sign-out, and no shared cache may hand one user's page to another.
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.append(header::VARY, HeaderValue::from_static("Cookie"));
    if holds_link {
        headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    }
    response
}

/// The SessionInfo of a live access token, if the request carries one.
async fn current_session(state: &AppState, headers: &HeaderMap) -> Result<Option<app::types::SessionInfo>, ApiError> {
    let Some(token) = cookies::access_token(headers, &state.config) else { return Ok(None) };
    let Some(AuthUser { claims, .. }) = authenticate(state, &token).await? else { return Ok(None) };
    let now = store::now();
    let Some(row) = store::sessions::find_session(&state.db, &claims.sid).await? else { return Ok(None) };
    Ok(Some(sessions::info_for_access(state, &row, &claims, now)))
}

#[derive(Deserialize)]
pub struct ResumeQuery {
    next: Option<String>,
}

/// `GET /api/auth/resume?next=/path`: rotate the refresh token (sent here
/// because of its path) and go back to the page, signed in; or to sign-in.
///
/// A navigation that another site started (`Sec-Fetch-Site: cross-site`,
/// or `same-site`; a redirect chain keeps it) changes nothing here: it gets a tiny page
/// that asks for this same URL again, and that request, started by our own
/// page, is same-origin. So no other site can make the browser rotate.
pub async fn resume(
    State(state): State<AppState>,
    headers: HeaderMap,
    cookies: Cookies,
    client: Client,
    Query(query): Query<ResumeQuery>,
) -> Response {
    let next = paths::local_path(query.next.as_deref());
    if csrf::started_elsewhere(&headers) {
        return same_site_bounce(&paths::resume_href(&next));
    }
    let reason = match cookies::refresh_token(&headers, &state.config) {
        // Nothing to resume: a first visit or long-gone cookies. The sign-in
        // page says nothing about a sign-out that never happened.
        Presented::Absent => {
            cookies::clear_session(&cookies, &state.config);
            return Redirect::to(&paths::login_href(None, &next)).into_response();
        }
        Presented::One(_) | Presented::Conflicting => {
            match super::refresh::rotate_cookie(&state, &headers, &cookies, &client).await {
                Ok(issued) => {
                    super::auth::set_cookies(&state, &cookies, issued);
                    return Redirect::to(&next).into_response();
                }
                Err(err) if err.status() == StatusCode::UNAUTHORIZED => {
                    SignOutReason::from_refresh_error(err.code(), false)
                }
                // An outage or a rate limit is not a sign-out: the cookies
                // stay, the error shows.
                Err(err) => return err.into_response(),
            }
        }
    };
    Redirect::to(&paths::login_href(Some(reason), &next)).into_response()
}

/// A page that loads `target` (a local path) again, now as a same-origin
/// navigation. No script: a meta refresh, and a link for the rare browser
/// that ignores it.
fn same_site_bounce(target: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"0;url={target}\"><title>Signing you in</title></head>\
         <body><p><a href=\"{target}\">Continue</a></p></body></html>"
    );
    axum::response::Html(html).into_response()
}
