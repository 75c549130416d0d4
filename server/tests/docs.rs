//! Keeps the docs honest.
//!
//! - Every route of `server::routes::declared()` — the table the router
//!   itself is built from (`routes::table::Routes`) — is listed in
//!   `docs/API.md` as `` `METHOD /full/path` ``, and a running server
//!   answers exactly those methods on those paths.
//! - `server::config::VARIABLES`, the README's configuration table and
//!   `.env.example` name the same variables, and every variable
//!   `Config::from_lookup` asks for is among them.

mod common;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use common::*;
use reqwest::Method;
use server::config::{Config, VARIABLES};
use server::routes::{Route, declared};

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

fn server_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn workspace_root() -> PathBuf {
    server_dir().parent().expect("the server crate sits in the workspace").to_path_buf()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("read {}: {error}", path.display()))
}

// ---------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------

/// True when `doc` holds `` `METHOD PATH `` followed by a backtick, a space
/// or a `?` (so `/api/auth/session` is not found inside `/api/auth/sessions`).
fn documented(doc: &str, method: &str, path: &str) -> bool {
    let needle = format!("`{method} {path}");
    doc.match_indices(&needle).any(|(at, _)| matches!(doc[at + needle.len()..].chars().next(), Some('`' | ' ' | '?')))
}

fn listing(routes: &[Route]) -> String {
    routes.iter().map(|route| format!("  {} {}", route.method, route.path)).collect::<Vec<_>>().join("\n")
}

#[test]
fn every_declared_route_is_documented_in_api_md() {
    let routes = declared();
    for known in [("POST", "/api/auth/login"), ("GET", "/api/me"), ("GET", "/healthz"), ("GET", "/metrics")] {
        assert!(
            routes.iter().any(|route| route.method == known.0 && route.path == known.1),
            "the routes table lacks {} {}:\n{}",
            known.0,
            known.1,
            listing(&routes)
        );
    }

    let doc = read(&workspace_root().join("docs/API.md"));
    let missing: Vec<String> = routes
        .iter()
        .filter(|route| !documented(&doc, route.method, &route.path))
        .map(|route| format!("  `{} {}`", route.method, route.path))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/API.md does not document these routes (expected the text `METHOD /path`):\n{}\n\nall routes:\n{}",
        missing.join("\n"),
        listing(&routes)
    );
}

/// The table is the router's own: each declared route answers its method
/// (neither `404` nor `405`), and every other method on that path is `405`.
#[tokio::test]
async fn the_router_serves_exactly_the_declared_routes() {
    let app = TestApp::spawn_with(&[("AUTH_METRICS", "on")]).await;
    let routes = declared();
    let id = uuid::Uuid::new_v4().to_string();
    let paths: BTreeSet<&str> = routes.iter().map(|route| route.path.as_str()).collect();

    for path in paths {
        let url = path.replace("{id}", &id);
        for method in [Method::GET, Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
            let served = routes.iter().any(|route| route.path == path && route.method == method.as_str());
            let response = app.send(app.request(method.clone(), &url, &Jar::default())).await;
            let status = response.status.as_u16();
            if served {
                assert!(
                    status != 404 && status != 405,
                    "{method} {path} is declared but the router answers {status}: {}",
                    response.body
                );
            } else {
                assert_eq!(status, 405, "{method} {path} is not declared but the router answers {status}");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

fn is_variable_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// The `` `NAME` `` tokens of the first cell of every table row under the
/// README's `## Configuration` heading (rows like
/// `` | `AUTH_ADMIN_EMAIL` / `AUTH_ADMIN_PASSWORD` | … `` name two).
fn readme_configuration_names() -> BTreeSet<String> {
    let readme = read(&workspace_root().join("README.md"));
    let mut in_section = false;
    let mut in_fence = false;
    let mut names = BTreeSet::new();
    let mut rows = 0;
    for line in readme.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        if line.starts_with('#') {
            in_section = line.trim_start_matches('#').trim().to_ascii_lowercase().starts_with("configuration");
            continue;
        }
        if !in_section || !line.trim_start().starts_with('|') {
            continue;
        }
        let first_cell = line.trim_start().trim_start_matches('|').split('|').next().unwrap_or("");
        for (index, token) in first_cell.split('`').enumerate() {
            // Odd pieces are inside backticks.
            if index % 2 == 1 && is_variable_name(token.trim()) {
                names.insert(token.trim().to_owned());
                rows += 1;
            }
        }
    }
    assert!(rows > 0, "README.md has no configuration table under a `## Configuration` heading");
    names
}

/// `NAME=value` lines of `.env.example`, commented out (`#NAME=`) or not.
fn env_example_assignments() -> BTreeMap<String, String> {
    let text = read(&workspace_root().join(".env.example"));
    let mut assignments = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim_start().trim_start_matches('#').trim_start();
        if let Some((name, value)) = line.split_once('=')
            && is_variable_name(name)
        {
            assignments.insert(name.to_owned(), value.trim().to_owned());
        }
    }
    assignments
}

fn variable_names() -> BTreeSet<String> {
    VARIABLES.iter().map(|variable| variable.name.to_owned()).collect()
}

#[test]
fn variables_are_unique_and_described() {
    let mut seen = BTreeSet::new();
    for variable in VARIABLES {
        assert!(seen.insert(variable.name), "{} is listed twice in server::config::VARIABLES", variable.name);
        assert!(is_variable_name(variable.name), "{:?} is not an environment variable name", variable.name);
        assert!(!variable.meaning.trim().is_empty(), "{} has no meaning in server::config::VARIABLES", variable.name);
    }
}

#[test]
fn every_variable_is_in_the_readme_configuration_table() {
    let readme = readme_configuration_names();
    let known = variable_names();
    let missing: Vec<&String> = known.iter().filter(|name| !readme.contains(*name)).collect();
    assert!(missing.is_empty(), "README.md's configuration table lacks: {missing:?}");
    let unknown: Vec<&String> = readme.iter().filter(|name| !known.contains(*name)).collect();
    assert!(unknown.is_empty(), "README.md's configuration table lists variables that VARIABLES lacks: {unknown:?}");
}

#[test]
fn every_variable_is_in_env_example() {
    let example = env_example_assignments();
    let known = variable_names();
    let missing: Vec<&String> = known.iter().filter(|name| !example.contains_key(*name)).collect();
    assert!(missing.is_empty(), ".env.example lacks (as `NAME=` or `#NAME=`): {missing:?}");
    let unknown: Vec<&String> = example.keys().filter(|name| !known.contains(*name)).collect();
    assert!(unknown.is_empty(), ".env.example sets variables that VARIABLES lacks: {unknown:?}");
}

#[test]
fn every_variable_the_configuration_reads_is_listed() {
    let asked: RefCell<BTreeSet<String>> = RefCell::new(BTreeSet::new());
    // Everything unset: the defaults.
    let _ = Config::from_lookup(|name: &str| {
        asked.borrow_mut().insert(name.to_owned());
        None
    });
    // Everything `.env.example` shows set (also the commented-out examples),
    // so variables read only when another one is set are asked too.
    let example: HashMap<String, String> =
        env_example_assignments().into_iter().filter(|(_, value)| !value.is_empty()).collect();
    let _ = Config::from_lookup(|name: &str| {
        asked.borrow_mut().insert(name.to_owned());
        example.get(name).cloned()
    });

    let asked = asked.into_inner();
    assert!(asked.contains("DATABASE_URL"), "Config::from_lookup asked for nothing recognisable: {asked:?}");
    let known = variable_names();
    let unlisted: Vec<&String> = asked.iter().filter(|name| !known.contains(*name)).collect();
    assert!(
        unlisted.is_empty(),
        "Config::from_lookup reads variables that server::config::VARIABLES lacks: {unlisted:?}"
    );
}
