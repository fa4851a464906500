#!/usr/bin/env bash
# The REST API tried the way a new user would: `guildhall seed`, `guildhall serve`, then curl
# with the seeded bot's token — create a channel, post, page, edit, react, pin, delete, upload a
# file and download it from its link, and flood one route until it answers 429 with Discord's
# rate-limit headers.
set -euo pipefail
bin="$(realpath "${1:-target/debug/guildhall}")"
work="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port/api/v10"

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {'d': d}))" "$1"; }
fail() { echo "smoke-rest: $*"; cat "$work/server.log"; exit 1; }

seed="$("$bin" seed --data-dir "$work/data" --guild "Smoke" --text-channels 1 --voice-channels 0 --bots 1 --users 0)"
token="$(echo "$seed" | json 'd["bots"][0]["token"]')"
guild="$(echo "$seed" | json 'd["guild"]["id"]')"
GUILDHALL_TLS_LISTEN=127.0.0.1:0 GUILDHALL_VOICE_UDP=127.0.0.1:0 "$bin" serve --data-dir "$work/data" --listen "127.0.0.1:$port" 2>"$work/server.log" &
pid=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

auth=(-H "Authorization: Bot $token")
call() { # method path [json body] -> prints body, fails on non-2xx
    local method="$1" path="$2" body="${3:-}"
    local args=(-sS -o "$work/body" -w '%{http_code}' -X "$method" "${auth[@]}")
    [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data "$body")
    local status
    status="$(curl "${args[@]}" "$base$path")"
    case "$status" in 2*) cat "$work/body" ;; *) fail "$method $path -> $status $(cat "$work/body")" ;; esac
}

[ "$(call GET /users/@me | json 'd["bot"]')" = "True" ] || fail "not a bot"
channel="$(call POST "/guilds/$guild/channels" '{"name":"curl-test","topic":"made with curl"}' | json 'd["id"]')"
ids=()
for n in 1 2 3; do
    ids+=("$(call POST "/channels/$channel/messages" "{\"content\":\"message $n\"}" | json 'd["id"]')")
done
page="$(call GET "/channels/$channel/messages?limit=2")"
[ "$(echo "$page" | json '[m["content"] for m in d]')" = "['message 3', 'message 2']" ] || fail "first page: $page"
older="$(call GET "/channels/$channel/messages?before=${ids[1]}&limit=50" | json '[m["content"] for m in d]')"
[ "$older" = "['message 1']" ] || fail "second page: $older"
edited="$(call PATCH "/channels/$channel/messages/${ids[0]}" '{"content":"edited"}')"
[ "$(echo "$edited" | json 'd["edited_timestamp"] is not None')" = "True" ] || fail "edit: $edited"
call PUT "/channels/$channel/messages/${ids[0]}/reactions/%F0%9F%91%8D/@me" >/dev/null
[ "$(call GET "/channels/$channel/messages/${ids[0]}" | json 'd["reactions"][0]["count"]')" = "1" ] || fail "reaction"
call PUT "/channels/$channel/messages/pins/${ids[0]}" >/dev/null
[ "$(call GET "/channels/$channel/messages/pins" | json 'd["items"][0]["message"]["id"]')" = "${ids[0]}" ] || fail "pins"
call DELETE "/channels/$channel/messages/${ids[2]}" >/dev/null
status="$(curl -sS -o /dev/null -w '%{http_code}' "${auth[@]}" "$base/channels/$channel/messages/${ids[2]}")"
[ "$status" = "404" ] || fail "deleted message still readable ($status)"

# Upload a file as curl users and bot libraries do (payload_json + files[0]), then download it
# from the link its attachment carries, without authentication: the same bytes come back.
head -c 5000 /dev/urandom > "$work/upload.bin"
status="$(curl -sS -o "$work/body" -w '%{http_code}' "${auth[@]}" -F 'payload_json={"content":"with a file"}' \
    -F "files[0]=@$work/upload.bin" "$base/channels/$channel/messages")"
[ "$status" = "200" ] || fail "upload -> $status $(cat "$work/body")"
[ "$(json 'd["attachments"][0]["filename"], d["attachments"][0]["size"]' < "$work/body")" = "('upload.bin', 5000)" ] \
    || fail "attachment: $(cat "$work/body")"
url="$(json 'd["attachments"][0]["url"]' < "$work/body")"
curl -fsS -o "$work/download.bin" "$url" || fail "download of $url failed"
cmp -s "$work/upload.bin" "$work/download.bin" || fail "downloaded bytes differ from the upload"
status="$(curl -sS -o /dev/null -w '%{http_code}' "${url%%&hm=*}&hm=00")"
[ "$status" = "404" ] || fail "a link with a wrong signature answered $status"

# Flood message creation in one channel (5 per 5 s on Discord and here): a 429 must come, with
# Retry-After, the X-RateLimit-* headers, a Via header and Discord's JSON body.
limited=""
for n in $(seq 1 10); do
    curl -sS -D "$work/headers" -o "$work/body" "${auth[@]}" -H 'Content-Type: application/json' \
        --data "{\"content\":\"flood $n\"}" "$base/channels/$channel/messages" >/dev/null
    if head -1 "$work/headers" | grep -q ' 429'; then limited=yes; break; fi
done
[ -n "$limited" ] || fail "no 429 after flooding"
for header in retry-after x-ratelimit-limit x-ratelimit-remaining x-ratelimit-reset x-ratelimit-reset-after \
    x-ratelimit-bucket x-ratelimit-scope via; do
    grep -qi "^$header:" "$work/headers" || fail "429 without $header: $(cat "$work/headers")"
done
grep -qi '^content-type: application/json' "$work/headers" || fail "429 body is not JSON"
[ "$(json 'd["retry_after"] > 0 and d["global"] is False' < "$work/body")" = "True" ] || fail "429 body $(cat "$work/body")"

kill -TERM "$pid"; wait "$pid" || fail "server exit status $?"; pid=""
echo "smoke-rest: 1 passed, 0 failed"
