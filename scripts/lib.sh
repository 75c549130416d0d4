# Shared by the scripts in this folder: paths and "install if missing".
# Sourced, not run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
SITE_ROOT="$TARGET_DIR/site"
OUTPUT_NAME="cookie-auth"
# cargo-leptos 0.3.11 needs rustc 1.96; 0.3.10 builds on 1.95.
CARGO_LEPTOS_VERSION="0.3.10"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# The wasm-bindgen CLI must equal the library version in Cargo.lock.
wasm_bindgen_version() {
    awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

ensure_wasm_tools() {
    if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
        log "adding the wasm32-unknown-unknown target"
        rustup target add wasm32-unknown-unknown
    fi
    local want
    want="$(wasm_bindgen_version)"
    if [[ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]]; then
        log "installing wasm-bindgen-cli $want (about 8 minutes, once)"
        # Not --locked: its lock file wants a crate version this registry lacks.
        cargo install wasm-bindgen-cli --version "$want"
    fi
}

# Line coverage: LLVM's tools and cargo-llvm-cov (pinned: 0.9.1 builds on rustc 1.95).
CARGO_LLVM_COV_VERSION="0.9.1"

ensure_coverage_tools() {
    if ! rustup component list --installed 2>/dev/null | grep -q '^llvm-tools'; then
        log "adding the llvm-tools component (for coverage)"
        rustup component add llvm-tools-preview
    fi
    if [[ "$(cargo llvm-cov --version 2>/dev/null | awk '{print $2}')" != "$CARGO_LLVM_COV_VERSION" ]]; then
        log "installing cargo-llvm-cov $CARGO_LLVM_COV_VERSION (about 2 minutes, once)"
        cargo install --locked cargo-llvm-cov --version "$CARGO_LLVM_COV_VERSION"
    fi
}

ensure_chromium() {
    if [[ ! -x /usr/bin/chromium ]]; then
        log "installing Debian's Chromium (Playwright's own download cannot work offline)"
        if [[ $(id -u) -eq 0 ]]; then SUDO=""; else SUDO="sudo"; fi
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
    fi
    # The `dbsc` project serves HTTPS with a certificate openssl makes.
    if ! command -v openssl >/dev/null; then
        log "installing openssl (the dbsc e2e project makes its certificate with it)"
        if [[ $(id -u) -eq 0 ]]; then SUDO=""; else SUDO="sudo"; fi
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openssl >/dev/null
    fi
}

ensure_node_modules() {
    if [[ ! -d "$ROOT/end2end/node_modules/@playwright/test" ]] \
        || [[ "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]]; then
        log "installing end2end npm packages"
        (cd "$ROOT/end2end" && npm ci --no-audit --no-fund)
    fi
}

# Builds the hydrate bundle (wasm + js + css) into $SITE_ROOT/pkg without
# cargo-leptos: cargo for the wasm, wasm-bindgen for the glue.
build_site() {
    local profile="${1:-debug}" flag=()
    [[ "$profile" == release ]] && flag=(--release)
    log "building the WASM frontend ($profile)"
    cargo build -p frontend --lib --target wasm32-unknown-unknown "${flag[@]}"
    local pkg="$SITE_ROOT/pkg"
    mkdir -p "$pkg"
    wasm-bindgen --target web --no-typescript --out-dir "$pkg" --out-name "$OUTPUT_NAME" \
        "$TARGET_DIR/wasm32-unknown-unknown/$profile/frontend.wasm"
    mv -f "$pkg/${OUTPUT_NAME}_bg.wasm" "$pkg/$OUTPUT_NAME.wasm"
    cp "$ROOT/style/main.css" "$pkg/$OUTPUT_NAME.css"
    if [[ -d "$ROOT/public" ]]; then cp -r "$ROOT/public/." "$SITE_ROOT/"; fi
}

export_site_env() {
    export LEPTOS_OUTPUT_NAME="$OUTPUT_NAME"
    export LEPTOS_SITE_ROOT="$SITE_ROOT"
    export LEPTOS_SITE_PKG_DIR="pkg"
}

# PostgreSQL for the second pass of the server tests. These machines run it
# at 127.0.0.1:5432 (user postgres, trust auth); start it if it is down.
PG_ADMIN_URL="${TEST_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

ensure_postgres() {
    if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return 0; fi
    if command -v pg_ctlcluster >/dev/null && [[ -d /etc/postgresql ]]; then
        log "starting PostgreSQL"
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    fi
    for _ in $(seq 1 30); do
        pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && return 0
        sleep 1
    done
    echo "PostgreSQL is not reachable at 127.0.0.1:5432" >&2
    return 1
}

# Drops every database the test harness made (prefix cookie_auth_test_).
drop_test_databases() {
    psql "$PG_ADMIN_URL" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'cookie\_auth\_test\_%'" 2>/dev/null |
        while read -r db; do
            [[ -n "$db" ]] && psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
        done
}
