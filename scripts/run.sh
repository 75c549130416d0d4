#!/usr/bin/env bash
# Sets up what is missing and runs the app on http://localhost:3000 with an
# embedded SQLite database under ./data. No other service is needed.
#
#   scripts/run.sh           build the site and serve it (release-free, fast)
#   scripts/run.sh --watch   live reload with cargo-leptos (installs it once: ~36 min)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

# Plain http on localhost: browsers accept Secure cookies there.
export DATABASE_URL="${DATABASE_URL:-sqlite://data/app.db}"
export LEPTOS_SITE_ADDR="${LEPTOS_SITE_ADDR:-127.0.0.1:3000}"
# Passkeys need a domain name in the origin (WebAuthn refuses IP addresses):
# browse to localhost, not 127.0.0.1.
export AUTH_PUBLIC_ORIGIN="${AUTH_PUBLIC_ORIGIN:-http://localhost:${LEPTOS_SITE_ADDR##*:}}"

ensure_wasm_tools
if [[ "${1:-}" == "--watch" ]]; then
    if [[ "$(cargo leptos --version 2>/dev/null | awk '{print $2}')" != "$CARGO_LEPTOS_VERSION" ]]; then
        log "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 36 minutes, once)"
        cargo install --locked cargo-leptos --version "$CARGO_LEPTOS_VERSION"
    fi
    exec cargo leptos watch
fi

build_site debug
export_site_env
log "building and starting the server on $AUTH_PUBLIC_ORIGIN (listening on $LEPTOS_SITE_ADDR)"
exec cargo run -p server --bin server
