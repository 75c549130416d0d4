#!/usr/bin/env bash
# Started by Playwright's webServer: the already-built server binary on a
# fresh SQLite file, serving the already-built site. Settings come from the
# environment (E2E_PORT, and any AUTH_* the spec run sets).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export_site_env
DB_DIR="$(mktemp -d)"
trap 'rm -rf "$DB_DIR"' EXIT
export DATABASE_URL="sqlite://$DB_DIR/e2e.db"
# Without AUTH_SMTP_URL (set by the spec run for maildev) mail goes here.
export AUTH_MAIL_OUTBOX="$DB_DIR/outbox"
export LEPTOS_SITE_ADDR="127.0.0.1:${E2E_PORT:-3100}"
# A project may serve on localhost instead (passkeys need a domain name).
export AUTH_PUBLIC_ORIGIN="${AUTH_PUBLIC_ORIGIN:-http://127.0.0.1:${E2E_PORT:-3100}}"
export RUST_LOG="${RUST_LOG:-info}"
"$TARGET_DIR/debug/server" &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; rm -rf "$DB_DIR"' EXIT INT TERM
wait "$SERVER_PID"
