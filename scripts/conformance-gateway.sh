#!/usr/bin/env bash
# discord.py 2.7.1 and discord.js 14, unmodified from PyPI/npm, against the gateway of the real
# binary: ready with the guild cached, message create/update/delete, reactions, roles, member
# update, channel create, MESSAGE_CONTENT withheld without the intent, and a forced disconnect
# (test hook) followed by RESUME with no lost or duplicated dispatch.
#
# Each library runs in each transport it can use, against a fresh seeded server:
#   discord.py/zlib-stream   venv target/conformance-venv (no zstandard, so discord.py asks zlib-stream)
#   discord.py/zstd-stream   venv target/conformance-venv-zstd (zstandard importable: zstd-stream)
#   discord.js/json          conformance/discordjs with zlib-sync hidden: plain JSON text frames
#   discord.js/zlib-stream   the same install with zlib-sync: zlib-stream
# The checks write {library: {check: "pass"|"fail"}}; conformance/compare_results.py fails the run
# when a check that passes in conformance/results.json does not pass now.
#
# Usage: scripts/conformance-gateway.sh [BINARY] [--update]
#   --update                          rewrite conformance/results.json with this run's results
#   GATEWAY_CONFORMANCE_ONLY=substr   run only the libraries whose name contains substr
# Dependencies are installed into target/ and conformance/discordjs/node_modules when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="target/debug/guildhall"
update=""
for arg in "$@"; do
    case "$arg" in
        --update) update="--update" ;;
        *) bin="$arg" ;;
    esac
done
bin="$(realpath "$bin")"
only="${GATEWAY_CONFORMANCE_ONLY:-}"
started=$SECONDS

# --- dependencies (pinned; installed only when missing) ---
venv="target/conformance-venv"
venv_zstd="target/conformance-venv-zstd"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import discord' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'discord.py==2.7.1'
fi
if "$venv/bin/python" -c 'import zstandard' 2>/dev/null; then
    echo "$venv must not have zstandard (it is the zlib-stream run)" >&2
    exit 1
fi
if [ ! -x "$venv_zstd/bin/python" ] || ! "$venv_zstd/bin/python" -c 'import discord, zstandard' 2>/dev/null; then
    python3 -m venv "$venv_zstd"
    "$venv_zstd/bin/pip" install --quiet --disable-pip-version-check 'discord.py==2.7.1' 'zstandard==0.25.0'
fi
djs="conformance/discordjs"
scripts/ensure-node-modules.sh "$djs"

# --- one fresh seeded server per library run ---
work="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
failed_runs=0

run() { # run NAME COMPRESS COMMAND...; the command gets BASE_URL SEED_JSON RESULTS_JSON NAME COMPRESS appended
    local name="$1" compress="$2"; shift 2
    if [ -n "$only" ] && [[ "$name" != *"$only"* ]]; then return 0; fi
    local dir="$work/${name//\//-}"
    mkdir -p "$dir"
    local port
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    "$bin" seed --data-dir "$dir/data" --guild "gateway conformance" --bots 3 --users 1 >"$dir/seed.json" 2>/dev/null
    GUILDHALL_TEST_HOOKS=1 GUILDHALL_TLS_LISTEN=127.0.0.1:0 GUILDHALL_VOICE_UDP=127.0.0.1:0 "$bin" serve --data-dir "$dir/data" --listen "127.0.0.1:$port" 2>"$dir/server.log" &
    pid=$!
    for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
    local t0=$SECONDS status=0
    printf '\n--- %s\n' "$name"
    timeout 120 "$@" "http://127.0.0.1:$port" "$dir/seed.json" "$dir/results.json" "$name" "$compress" || status=$?
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=""
    echo "--- $name: exit $status in $((SECONDS - t0)) s"
    if [ ! -s "$dir/results.json" ]; then
        # The check crashed before writing results: every check of this library counts as missing.
        echo "{\"$name\": {}}" >"$dir/results.json"
        failed_runs=$((failed_runs + 1))
    fi
    if [ "$status" -ne 0 ]; then
        echo "--- $name: server log tail"
        tail -40 "$dir/server.log"
    fi
}

run "discord.py/zlib-stream" zlib-stream "$venv/bin/python" conformance/discordpy/gateway_check.py
run "discord.py/zstd-stream" zstd-stream "$venv_zstd/bin/python" conformance/discordpy/gateway_check.py
run "discord.js/json" none node "$djs/gateway_check.js"
run "discord.js/zlib-stream" zlib-stream node "$djs/gateway_check.js"

python3 - "$work" >"$work/actual.json" <<'PY'
import glob, json, sys
merged = {}
for path in sorted(glob.glob(sys.argv[1] + "/*/results.json")):
    merged.update(json.load(open(path)))
print(json.dumps(merged, indent=2, sort_keys=True))
PY
mkdir -p target
cp "$work/actual.json" target/conformance-gateway-results.json
echo
status=0
python3 conformance/compare_results.py conformance/results.json "$work/actual.json" $update ${only:+--partial} || status=$?
echo "gateway conformance: $((SECONDS - started)) s"
[ "$failed_runs" -eq 0 ] || { echo "$failed_runs library run(s) crashed before writing results"; exit 1; }
exit "$status"
