#!/usr/bin/env bash
# Sets up what the tests need and runs them all: formatting, clippy, the
# server's unit and black-box integration tests (real server on port 0, real
# SQLite file, then again on a fresh PostgreSQL database per test), then the Playwright suite in Debian's Chromium against the
# real server and the hydrated WASM app. Exits non-zero on any failure.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

ensure_wasm_tools
ensure_chromium
ensure_node_modules

log "cargo fmt --check"
cargo fmt --all -- --check

log "cargo clippy (server, app and bench, all targets)"
cargo clippy -p server -p app -p bench --all-targets -- -D warnings
log "cargo clippy (frontend, wasm)"
cargo clippy -p frontend -p app --features app/hydrate --target wasm32-unknown-unknown -- -D warnings

log "cargo test (unit and integration, SQLite)"
cargo test --workspace --exclude frontend

ensure_postgres
log "cargo test (integration, PostgreSQL: a fresh database per test)"
trap drop_test_databases EXIT
TEST_DATABASE_URL="$PG_ADMIN_URL" cargo test -p server --tests
drop_test_databases

build_site debug
log "building the server binary for the browser tests"
cargo build -p server --bin server

log "Playwright (Chromium)"
(cd end2end && npx playwright test)
