#!/usr/bin/env bash
# Starts `guildhall serve` with no flags in an empty directory (the README's run command,
# on the already-built binary), checks http://127.0.0.1:8080/healthz, then stops it with
# SIGTERM and requires a clean exit.
set -euo pipefail
bin="$(realpath "${1:-target/debug/guildhall}")"
work="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"
env -u GUILDHALL_LISTEN -u GUILDHALL_DATA_DIR -u GUILDHALL_CONFIG "$bin" serve 2>"$work/server.log" &
pid=$!
for _ in $(seq 1 100); do
    if body="$(curl -fsS http://127.0.0.1:8080/healthz 2>/dev/null)"; then break; fi
    sleep 0.1
done
if [ "${body:-}" != '{"status":"ok"}' ]; then
    echo "healthz did not answer as expected: '${body:-}'"; cat "$work/server.log"; exit 1
fi
test -f "$work/guildhall-data/guildhall.db" || { echo "no ./guildhall-data/guildhall.db"; exit 1; }
kill -TERM "$pid"
status=0; wait "$pid" || status=$?
if [ "$status" -ne 0 ]; then echo "server exited with $status after SIGTERM"; cat "$work/server.log"; exit 1; fi
echo "smoke: 1 passed, 0 failed"
