#!/usr/bin/env bash
# discord.py, unmodified from PyPI, against the REST API of the real binary (no gateway yet):
# conformance/discordpy/rest_check.py drives the library's own calls and asserts what it parsed.
# The library is installed into a venv under target/ the first time (pinned version).
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(realpath "${1:-target/debug/guildhall}")"
venv="target/conformance-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import discord' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'discord.py==2.7.1'
fi

work="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$bin" seed --data-dir "$work/data" --guild "discord.py" --bots 1 --users 2 >"$work/seed.json" 2>/dev/null
GUILDHALL_TLS_LISTEN=127.0.0.1:0 GUILDHALL_VOICE_UDP=127.0.0.1:0 "$bin" serve --data-dir "$work/data" --listen "127.0.0.1:$port" 2>"$work/server.log" &
pid=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
if ! "$venv/bin/python" conformance/discordpy/rest_check.py "http://127.0.0.1:$port" "$work/seed.json"; then
    echo "--- server log"; tail -50 "$work/server.log"; exit 1
fi
kill -TERM "$pid"; wait "$pid"; pid=""
