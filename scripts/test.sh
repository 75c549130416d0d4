#!/usr/bin/env bash
# Sets up what the tests need and runs them all: formatting, clippy, the
# unit and black-box integration tests (real server on port 0, real SQLite
# file, then again on a fresh PostgreSQL database per test) under line
# coverage (fails under COVERAGE_MIN percent of `server` and `app`), then the
# Playwright suite in Debian's Chromium against the real server and the
# hydrated WASM app. Exits non-zero on any failure.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

# The coverage bar, and the crates it is not about (the load driver, the
# example app and the wasm entry have their own checks).
COVERAGE_MIN="${COVERAGE_MIN:-90}"
COVERAGE_IGNORE='(^|/)(bench|examples|frontend)/'

ensure_wasm_tools
ensure_chromium
ensure_node_modules
ensure_coverage_tools

log "cargo fmt --check"
cargo fmt --all -- --check

log "cargo clippy (server, app, bench and the example, all targets)"
cargo clippy -p server -p app -p bench -p mounted-example --all-targets -- -D warnings
log "cargo clippy (frontend, wasm)"
cargo clippy -p frontend -p app --features app/hydrate --target wasm32-unknown-unknown -- -D warnings

# Both passes run instrumented; the report merges them.
cargo llvm-cov clean --workspace
log "cargo test (unit and integration, SQLite; with coverage)"
cargo llvm-cov --no-report --workspace --exclude frontend

ensure_postgres
log "cargo test (integration, PostgreSQL: a fresh database per test; with coverage)"
trap drop_test_databases EXIT
TEST_DATABASE_URL="$PG_ADMIN_URL" cargo llvm-cov --no-report -p server --tests
drop_test_databases

log "line coverage of server and app (at least ${COVERAGE_MIN}%)"
cargo llvm-cov report --summary-only --ignore-filename-regex "$COVERAGE_IGNORE" --fail-under-lines "$COVERAGE_MIN" \
    | tee "$TARGET_DIR/coverage-summary.txt"

build_site debug
log "building the server binary for the browser tests"
cargo build -p server --bin server

log "Playwright (Chromium)"
(cd end2end && npx playwright test)
