#!/usr/bin/env bash
# Builds the speed-tuned server and the load driver, then runs the
# benchmark suite of docs/PERFORMANCE.md and prints every figure. Each run
# spawns its own server(s) on a fresh database and ends with a verify pass
# (exit status 1 if any session was lost). PostgreSQL runs need the local
# server at 127.0.0.1:5432 (started if down).
#
#   scripts/bench.sh            the whole suite (about 10 minutes)
#   scripts/bench.sh quick      the headline runs only (the floor, refresh, me, mixed, paced, bound refresh)
#   scripts/bench.sh goals [N]  issue 14's goals on this machine, N rounds (default 3, about 2 minutes
#                               each): every figure beside the floor measured in the same round
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

# Refuse a bad `goals` call before the build, not minutes after it.
if [[ "${1:-}" == goals ]]; then
    [[ "${2:-3}" =~ ^[1-9][0-9]*$ ]] || { log "goals takes a number of rounds (1 or more), not '${2}'"; exit 2; }
    command -v jq >/dev/null || { log "the goals summary reads the bench's JSON with jq: install jq"; exit 1; }
fi

DURATION="${BENCH_DURATION:-15}"
log "building server and bench (profile server-release)"
cargo build --profile server-release -p server -p bench
B="$TARGET_DIR/server-release/bench"

run() {
    log "bench $*"
    "$B" --duration "$DURATION" "$@"
}

# One run's report as JSON in file $1 (the rest are the bench's arguments).
measure() {
    local out="$1"
    shift
    log "bench $*"
    "$B" --duration "$DURATION" --json "$@" >"$out"
}

# Issue 14 set its goals on a machine whose floor answered ~90,000 refreshes
# and ~91,000 GETs a second (~10 µs each). Another machine's floor differs,
# so each goal is checked here as the same share of the floor measured in
# the same round: refresh ≥ 15,000 of 90,000 (16.7 %), GET ≥ 60,000 of
# 91,000 (65.9 %). The paced run asks for half this round's closed-loop
# refresh ceiling, as the goal says; its p95 and the mixed run's ratio are
# absolute.
goals() {
    local rounds="$1" dir r ceiling
    dir="$(mktemp -d)"
    for ((r = 1; r <= rounds; r++)); do
        measure "$dir/$r-floor-refresh" "${PIN[@]}" --spawn floor --scenario refresh --users 200
        measure "$dir/$r-floor-me" "${PIN[@]}" --spawn floor --scenario me --users 200
        measure "$dir/$r-refresh" "${PIN[@]}" --spawn sqlite --scenario refresh --users 200
        measure "$dir/$r-me" "${PIN[@]}" --spawn sqlite --scenario me --users 200
        measure "$dir/$r-mixed" "${PIN[@]}" --spawn sqlite --scenario mixed --users 200
        ceiling="$(jq '.requests_per_s / 2 | floor' "$dir/$r-refresh")"
        measure "$dir/$r-paced" "${PIN[@]}" --spawn sqlite --scenario refresh --users 200 --rate "$ceiling"
    done
    printf '\n%s\n\n' "Issue 14's goals, SQLite, 200 users, ${DURATION} s runs${PIN:+, pinned}; [x] met, [ ] not"
    echo "| round | refresh/s (floor) | share, goal ≥ 16.7 % | µs per refresh (floor) | GET/s (floor) | share, goal ≥ 65.9 % | µs per GET (floor) | paced at half the ceiling: p95, goal ≤ 2 ms | mixed: refresh / GET p95, goal ≤ 3× |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for ((r = 1; r <= rounds; r++)); do
        jq -rn --slurpfile fr "$dir/$r-floor-refresh" --slurpfile fm "$dir/$r-floor-me" \
            --slurpfile re "$dir/$r-refresh" --slurpfile me "$dir/$r-me" \
            --slurpfile mx "$dir/$r-mixed" --slurpfile pa "$dir/$r-paced" --arg round "$r" '
            def mark(ok): if ok then "[x]" else "[ ]" end;
            def pct(a; b): (a / b * 1000 | round) / 10;
            ($fr[0].requests_per_s) as $frs | ($fm[0].requests_per_s) as $fms |
            ($re[0].requests_per_s) as $rs | ($me[0].requests_per_s) as $ms |
            ($mx[0].latency_ms_by_kind) as $k | ($k.refresh.p95 / $k.me.p95 * 10 | round / 10) as $ratio |
            "| \($round) | \($rs) (\($frs)) | \(mark(pct($rs; $frs) >= 16.7)) \(pct($rs; $frs)) %" +
            " | \($re[0].server_cpu_us_per_request) (\($fr[0].server_cpu_us_per_request))" +
            " | \($ms) (\($fms)) | \(mark(pct($ms; $fms) >= 65.9)) \(pct($ms; $fms)) %" +
            " | \($me[0].server_cpu_us_per_request) (\($fm[0].server_cpu_us_per_request))" +
            " | \(mark($pa[0].latency_ms.p95 <= 2)) \($pa[0].latency_ms.p95) ms at \($pa[0].rate)/s" +
            " | \(mark($ratio <= 3)) \($k.refresh.p95) / \($k.me.p95) ms (\($ratio)×) |"'
    done
    rm -r "$dir"
}

# Driver and server on a CPU each (--pin: CPUs 0 and 1) when this process
# may use both, as issue 14 measured: the figures are the server's, not the
# share of a core it won from the driver.
PIN=()
taskset -c 0,1 true 2>/dev/null && PIN=(--pin)

if [[ "${1:-}" == goals ]]; then
    goals "${2:-3}"
    exit 0
fi

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
