#!/usr/bin/env bash
# Sets up what the tests need and runs them all: formatting, clippy, the
# unit and black-box integration tests (real server on port 0, real SQLite
# file, then again on a fresh PostgreSQL database per test) under line
# coverage (fails under COVERAGE_MIN percent of `server` and `app`), then the
# Playwright suite in Debian's Chromium against the real server and the
# hydrated WASM app. Exits non-zero on any failure.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

# Line coverage of `server` and `app` (the load driver, the example app and
# the wasm entry have their own checks). Two figures: all of both crates, and
# the gated one, which leaves out app's interactive UI (pages/, components/,
# and the fetch calls in api/mod.rs and api/transport.rs; api/error.rs, unit
# tested, stays in): its event handlers and fetches run only in the browser,
# where the Playwright suite exercises them and llvm-cov cannot see (WASM).
COVERAGE_MIN="${COVERAGE_MIN:-90}"
COVERAGE_IGNORE='(^|/)(bench|examples|frontend)/'
COVERAGE_GATE_IGNORE='(^|/)(bench|examples|frontend)/|/app/src/(pages|components)/|/app/src/api/(mod|transport)\.rs$'

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
# The same package selection as the SQLite pass, so the instrumented test
# binaries are reused rather than built and linked a second time (tens of
# GB of disk, minutes of linking); only the server's tests read the URL.
TEST_DATABASE_URL="$PG_ADMIN_URL" cargo llvm-cov --no-report --workspace --exclude frontend
drop_test_databases

log "line coverage: server and all of app (for the record)"
cargo llvm-cov report --summary-only --ignore-filename-regex "$COVERAGE_IGNORE" >"$TARGET_DIR/coverage-all.txt"
grep '^TOTAL' "$TARGET_DIR/coverage-all.txt" | awk '{print "server + app, all lines: " $10}'
log "line coverage gate: server and app without its browser-only UI (at least ${COVERAGE_MIN}%)"
cargo llvm-cov report --summary-only --ignore-filename-regex "$COVERAGE_GATE_IGNORE" --fail-under-lines "$COVERAGE_MIN" \
    | tee "$TARGET_DIR/coverage-summary.txt"

build_site debug
log "building the server binary for the browser tests"
cargo build -p server --bin server

log "Playwright (Chromium)"
(cd end2end && npx playwright test)
