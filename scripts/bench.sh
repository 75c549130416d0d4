#!/usr/bin/env bash
# Builds the speed-tuned server and the load driver, then runs the
# benchmark suite of docs/PERFORMANCE.md and prints every figure. Each run
# spawns its own server(s) on a fresh database and ends with a verify pass
# (exit status 1 if any session was lost). PostgreSQL runs need the local
# server at 127.0.0.1:5432 (started if down).
#
#   scripts/bench.sh            the whole suite (about 10 minutes)
#   scripts/bench.sh quick      the headline runs only (the floor, refresh, me, mixed, paced, bound refresh)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

DURATION="${BENCH_DURATION:-15}"
log "building server and bench (profile server-release)"
cargo build --profile server-release -p server -p bench
B="$TARGET_DIR/server-release/bench"

run() {
    log "bench $*"
    "$B" --duration "$DURATION" "$@"
}

# Driver and server on a CPU each (--pin: CPUs 0 and 1) when this process
# may use both, as issue 14 measured: the figures are the server's, not the
# share of a core it won from the driver.
PIN=()
taskset -c 0,1 true 2>/dev/null && PIN=(--pin)

# The floor first: the same request shapes from a bare axum server (no
# crypto, no storage), so each figure below reads as a share of it.
run "${PIN[@]}" --spawn floor --scenario refresh --users 200
run "${PIN[@]}" --spawn floor --scenario me --users 200
run "${PIN[@]}" --spawn sqlite --scenario refresh --users 200
run "${PIN[@]}" --spawn sqlite --scenario me --users 200
# Refresh and GET p95 side by side (90 % GET), then refresh paced at half
# the one-core ceiling.
run "${PIN[@]}" --spawn sqlite --scenario mixed --users 200
run "${PIN[@]}" --spawn sqlite --scenario refresh --users 200 --rate 7500
# Device-bound sessions: the same refresh with a proof signed by each
# user's P-256 key, with the challenge sent ahead, and asking for it first.
run --spawn sqlite --scenario bound-refresh --users 200
run --spawn sqlite --scenario bound-refresh-challenged --users 200
[[ "${1:-}" == quick ]] && exit 0

run --spawn sqlite --scenario refresh --users 200 --rate 3000
run --spawn sqlite --scenario login --users 50
run --spawn sqlite --instances 2 --scenario refresh --users 200
ensure_postgres
run --spawn postgres --instances 1 --scenario refresh --users 200
run --spawn postgres --instances 2 --scenario refresh --users 200
run --spawn postgres --instances 2 --scenario me --users 200
run --spawn sqlite --scenario mixed --users 2000 --rate 3000
run --spawn sqlite --scenario refresh --users 200 --rate 3000 --preload 10000
run --spawn sqlite --scenario refresh --users 200 --rate 3000 --preload 1000000
run --spawn postgres --scenario refresh --users 200 --rate 3000 --preload 1000000
