#!/usr/bin/env bash
# Voice through the real binary with real client libraries, unmodified from npm/PyPI, over TLS with
# the CA the server generates in its data dir (no library's voice URL is patched: @discordjs/voice
# opens wss://{endpoint}?v=8 and discord.py wss://{endpoint}/?v=8; trust comes from
# NODE_EXTRA_CA_CERTS / SSL_CERT_FILE = <data-dir>/tls/ca.pem). Opus comes from opusscript (wasm), so
# neither libopus nor ffmpeg is needed.
#
# Runs, each against a fresh seeded server (conformance/voice/*.js say what each checks):
#   discord.js/aes-gcm    discord.js A plays 3 s of 440 Hz, discord.js B receives; default mode order,
#                         both must pick aead_aes256_gcm_rtpsize; >= 90% of packets, peak 440 +- 10 Hz
#   discord.js/xchacha    the same with GUILDHALL_VOICE_MODES listing XChaCha first: both pick it
#   discord.py/xchacha    discord.py 2.7.1 A plays 3 s of 660 Hz (vc.mode must be XChaCha), discord.js B
#                         receives (>= 90%, 660 +- 10 Hz)
#   moderation            REST server mute / unmute / move of a playing A, as heard by B (and by C in
#                         the channel A is moved to)
#   browsers              two users in guildhall's web client (headless Debian chromium, fake devices)
#                         join over WebRTC with a discord.js bot: browser <-> browser audio with < 5 %
#                         concealment, the bot's tone reaches both pages, the bot decodes both browsers,
#                         camera and screen frames decoded across, REST server mute stops A at the bot
#
# Usage: scripts/conformance-voice.sh [BINARY]
#   VOICE_CONFORMANCE_ONLY=substr   run only the runs whose name contains substr
# Dependencies (pinned) are installed when missing: target/conformance-voice-venv (discord.py[voice])
# and conformance/discordjs/node_modules (npm ci from its package-lock.json); for the browser run, Debian's
# chromium (apt) and web/e2e/node_modules (playwright-core).
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(realpath "${1:-target/debug/guildhall}")"
only="${VOICE_CONFORMANCE_ONLY:-}"
started=$SECONDS

# --- dependencies (pinned; installed only when missing) ---
venv="target/conformance-voice-venv"
if ! "$venv/bin/python" -c 'import discord, nacl, davey; assert discord.__version__ == "2.7.1"' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'discord.py[voice]==2.7.1'
fi
python="$PWD/$venv/bin/python" # not realpath: the venv's python is a symlink out of the venv
djs="conformance/discordjs"
scripts/ensure-node-modules.sh "$djs"
# The browser check drives the web client (embedded in the binary) in Debian's chromium.
scripts/ensure-chromium.sh
scripts/ensure-node-modules.sh web/e2e

# --- one fresh seeded server per run ---
work="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
crashed=0

run() { # run NAME MODES COMMAND...; the command gets BASE_URL SEED_JSON RESULTS_JSON NAME appended, then its own args
    local name="$1" modes="$2"; shift 2
    if [ -n "$only" ] && [[ "$name" != *"$only"* ]]; then return 0; fi
    local dir="$work/${name//\//-}"
    mkdir -p "$dir"
    local port tls_port
    read -r port tls_port < <(python3 -c '
import socket
a, b = socket.socket(), socket.socket()
a.bind(("127.0.0.1", 0)); b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])')
    "$bin" seed --data-dir "$dir/data" --guild "voice conformance" --bots 3 --users 2 >"$dir/seed.json" 2>/dev/null
    local server_env=(GUILDHALL_TLS_LISTEN="127.0.0.1:$tls_port" GUILDHALL_VOICE_UDP="127.0.0.1:0")
    [ -n "$modes" ] && server_env+=(GUILDHALL_VOICE_MODES="$modes")
    env "${server_env[@]}" "$bin" serve --data-dir "$dir/data" --listen "127.0.0.1:$port" 2>"$dir/server.log" &
    pid=$!
    local ca="$dir/data/tls/ca.pem"
    for _ in $(seq 1 100); do
        curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && [ -s "$ca" ] && break
        sleep 0.1
    done
    local t0=$SECONDS status=0
    printf '\n--- %s\n' "$name"
    if [ ! -s "$ca" ]; then
        echo "FAIL $name: the server wrote no CA at $ca"
        echo "{\"$name\": {\"server CA generated\": \"fail\"}}" >"$dir/results.json"
        status=1
    else
        local cmd=("$1" "$2"); shift 2
        NODE_EXTRA_CA_CERTS="$ca" SSL_CERT_FILE="$ca" timeout 150 "${cmd[@]}" \
            "http://127.0.0.1:$port" "$dir/seed.json" "$dir/results.json" "$name" "$@" || status=$?
    fi
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=""
    echo "--- $name: exit $status in $((SECONDS - t0)) s"
    if [ ! -s "$dir/results.json" ]; then
        echo "FAIL $name: the check crashed before recording any result"
        echo "{\"$name\": {\"run\": \"fail\"}}" >"$dir/results.json"
        crashed=$((crashed + 1))
    fi
    if [ "$status" -ne 0 ]; then
        if [ -s "$dir/discordpy.log" ]; then
            echo "--- $name: discord.py log tail"
            tail -30 "$dir/discordpy.log"
        fi
        echo "--- $name: server log tail"
        tail -40 "$dir/server.log"
    fi
}

gcm=aead_aes256_gcm_rtpsize
xchacha=aead_xchacha20_poly1305_rtpsize
run "discord.js/aes-gcm" "" node conformance/voice/tone_check.js djs 440 "$gcm"
run "discord.js/xchacha" "$xchacha,$gcm" node conformance/voice/tone_check.js djs 440 "$xchacha"
run "discord.py/xchacha" "" node conformance/voice/tone_check.js dpy 660 "$xchacha" "$python"
run "moderation" "" node conformance/voice/moderation_check.js
run "browsers" "" node conformance/voice/browser_check.js

mkdir -p target
[ "$crashed" -eq 0 ] || echo "$crashed run(s) crashed before recording any result"
python3 - "$work" target/conformance-voice-results.json "$((SECONDS - started))" <<'PY'
import glob, json, sys
merged = {}
for path in sorted(glob.glob(sys.argv[1] + "/*/results.json")):
    merged.update(json.load(open(path)))
json.dump(merged, open(sys.argv[2], "w"), indent=2, sort_keys=True)
print()
failed = [f"{run}: {check}" for run, checks in sorted(merged.items()) for check, r in checks.items() if r != "pass"]
for line in failed:
    print("failed:", line)
total = sum(len(checks) for checks in merged.values())
print(f"voice conformance: {sys.argv[3]} s")
print(f"conformance-voice: {total - len(failed)} passed, {len(failed)} failed")
sys.exit(0 if total and not failed else 1)
PY
