#!/usr/bin/env bash
# End-to-end test of the web client in headless Debian Chromium (playwright-core), against a fresh
# seeded server on loopback: two users register and chat in two browser contexts, a real discord.js
# bot joins through the "add bot" flow, channel permission overwrites hide a channel, message content
# is rendered as text (no HTML injection), and a dropped gateway connection resumes. Screenshots go to
# target/e2e-web/.
#
# Usage: scripts/e2e-web.sh [BINARY]        (default target/debug/guildhall)
#   The binary serves the web client it embeds; export GUILDHALL_WEB_DIR=/abs/path/web/dist to have it
#   serve a directory from disk instead (work on the client without recompiling).
#   E2E_KEEP=1 keeps the temp data dir.
# Chromium and a colour emoji font are installed with apt-get only when missing; web/e2e's npm
# dependencies (pinned in its package-lock.json) only when the lock changed.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-target/debug/guildhall}"
[ -x "$bin" ] || { echo "e2e-web: no executable server binary at $bin" >&2; exit 2; }
bin="$(realpath "$bin")"
started=$SECONDS

# --- dependencies ---
scripts/ensure-chromium.sh
scripts/ensure-node-modules.sh web/e2e

artifacts="$PWD/target/e2e-web"
mkdir -p "$artifacts"
rm -f "$artifacts"/*.png

# --- a fresh seeded server on a free loopback port ---
work="$(mktemp -d)"
pid=""
cleanup() {
    if [ -n "$pid" ]; then
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    if [ -n "${E2E_KEEP:-}" ]; then echo "e2e-web: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
"$bin" seed --data-dir "$work/data" --guild "bot home" --bots 1 --users 0 >"$work/seed.json" 2>"$work/seed.log" || {
    echo "e2e-web: seed failed" >&2
    cat "$work/seed.log" >&2
    exit 1
}
# REST rate limits off: the history step has the bot post 120 messages in a few seconds.
GUILDHALL_RATE_LIMITS=off GUILDHALL_TLS_LISTEN=127.0.0.1:0 GUILDHALL_VOICE_UDP=127.0.0.1:0 \
    "$bin" serve --data-dir "$work/data" --listen "127.0.0.1:$port" >"$work/server.log" 2>&1 &
pid=$!

fail() {
    echo "e2e-web: FAILED: $*" >&2
    echo "--- server log tail ($work/server.log)" >&2
    tail -60 "$work/server.log" >&2 || true
    exit 1
}

for _ in $(seq 1 100); do
    curl -fsS "$base/healthz" >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || fail "the server exited during startup"
    sleep 0.1
done
curl -fsS "$base/healthz" >/dev/null 2>&1 || fail "the server did not answer /healthz within 10 s"
# The web client must be served at / (embedded, or GUILDHALL_WEB_DIR).
index="$(curl -fsS "$base/register" 2>/dev/null || true)"
case "$index" in
    *'<div id="root"'*|*"<div id='root'"*|*'<script type="module"'*) ;;
    *) fail "GET $base/register did not return the web client's index.html (binary without the web client? GUILDHALL_WEB_DIR=${GUILDHALL_WEB_DIR:-unset})" ;;
esac
echo "e2e-web: server $base (pid $pid), web client ${GUILDHALL_WEB_DIR:+from $GUILDHALL_WEB_DIR}${GUILDHALL_WEB_DIR:-embedded}"

status=0
timeout 170 node web/e2e/web-e2e.mjs "$base" "$work/seed.json" "$artifacts" || status=$?
if [ "$status" -ne 0 ]; then
    [ "$status" -eq 124 ] && echo "e2e-web: the test timed out (170 s)" >&2
    fail "web/e2e/web-e2e.mjs exited $status (screenshots and failure shots in $artifacts)"
fi
echo "e2e-web: passed in $((SECONDS - started)) s; screenshots in $artifacts"
