#!/usr/bin/env bash
# Builds every cargo-fuzz target and runs each for a while (default 10 s; `scripts/fuzz.sh 600`
# for a real session). Fails on any crash; crashing inputs land in fuzz/artifacts/<target>/.
#
# cargo-fuzz needs sanitizer flags that stable rustc only accepts with RUSTC_BOOTSTRAP=1; the
# machine has only a stable toolchain, and this is the documented way to use them there.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-10}"
export RUSTC_BOOTSTRAP=1

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked --version 0.13.2
fi

# Seed the JSON target with the fixture payloads (first byte = which type to parse).
mkdir -p corpus/model_json
n=0
for f in ../crates/model/tests/fixtures/*.json; do
    for selector in $(seq 0 19); do
        { printf "\\x$(printf %02x "$selector")"; cat "$f"; } > "corpus/model_json/fixture-$n-$selector"
    done
    n=$((n + 1))
done

# Seed the REST target with a few well-formed bodies (first byte = which request type).
mkdir -p corpus/rest_input
printf '\x00{"content":"hi <@123456789012345678> <@&1> @here","embeds":[{"title":"t","fields":[{"name":"a","value":"b"}]}],"nonce":"n","message_reference":{"message_id":"1"},"allowed_mentions":{"parse":["users"]}}' > corpus/rest_input/message
printf '\x03{"name":"general","type":0,"topic":"x","bitrate":64000,"permission_overwrites":[{"id":"1","type":0,"allow":"1024","deny":"0"}],"parent_id":"2"}' > corpus/rest_input/channel
printf '\x06{"name":"G","roles":[{"id":0,"permissions":"0"}],"channels":[{"id":1,"name":"c","type":4},{"name":"t","parent_id":1}]}' > corpus/rest_input/guild
printf '\x0a{"nick":"n","roles":["1"],"communication_disabled_until":"2030-01-01T00:00:00+00:00","channel_id":null}' > corpus/rest_input/member
printf '\x17%%F0%%9F%%91%%8D' > corpus/rest_input/emoji
printf '\x17name:123456789012345678' > corpus/rest_input/custom-emoji
# Multipart (25): boundary line, then a body with payload_json and a file; file headers (26).
printf '\x19XyZ\n--XyZ\r\nContent-Disposition: form-data; name="payload_json"\r\n\r\n{"content":"x","attachments":[{"id":0,"description":"d"}]}\r\n--XyZ\r\nContent-Disposition: form-data; name="files[0]"; filename="a b.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n\r\n--XyZ--\r\n' > corpus/rest_input/multipart
printf '\x1a\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x10\0\0\0\x08' > corpus/rest_input/png
printf '\x1a\xff\xd8\xff\xe0\x00\x04ab\xff\xc0\x00\x11\x08\x00\x02\x00\x03' > corpus/rest_input/jpeg

# Seed the WebRTC target with Chromium's offer (u16 BE length first), then one STUN record.
mkdir -p corpus/webrtc
python3 - <<'PY'
offer = open("../crates/voice-proto/tests/data/chromium-offer.sdp", "rb").read()
open("corpus/webrtc/chromium", "wb").write(len(offer).to_bytes(2, "big") + offer + bytes([0, 4]) + b"abcd")
PY

# Seed the gateway target: a frame sequence (mode 0) and one body per command (modes 1-5).
mkdir -p corpus/gateway_input
printf '\x00\x00{"op":1,"d":null}\xff\x01{"op":2,"d":{"token":"t","intents":513,"shard":[0,1]}}\xff\x02{"op":3,"d":{"status":"idle","activities":[{"name":"x","type":0}],"since":null,"afk":false}}\xff\x03{"op":8,"d":{"guild_id":"1","query":"","limit":0,"nonce":"n"}}\xff\xfe' > corpus/gateway_input/session
printf '\x01{"token":"Bot x","intents":3276799,"large_threshold":250,"presence":{"status":"online","game":null},"properties":{}}' > corpus/gateway_input/identify
printf '\x02{"token":"x","session_id":"abc","seq":12}' > corpus/gateway_input/resume
printf '\x03{"status":"dnd","since":1,"activities":null,"afk":true,"game":{"name":"g","type":0}}' > corpus/gateway_input/presence
printf '\x04{"guild_id":1,"channel_id":"2","self_mute":true,"self_deaf":false}' > corpus/gateway_input/voice
printf '\x05{"guild_id":"1","user_ids":["2",3,"x"],"presences":true,"nonce":"0123456789012345678901234567890123"}' > corpus/gateway_input/members

cargo fuzz build -O
targets=$(cargo fuzz list)
passed=0
for target in $targets; do
    echo "fuzzing $target for ${seconds}s"
    log="$(mktemp)"
    status=0
    cargo fuzz run -O "$target" -- -max_total_time="$seconds" -rss_limit_mb=2048 >"$log" 2>&1 || status=$?
    grep -E "^Done|ERROR|panicked" "$log" || true
    if [ "$status" -ne 0 ]; then
        tail -40 "$log"
        echo "fuzz target $target failed (exit $status)"
        exit 1
    fi
    rm -f "$log"
    passed=$((passed + 1))
done
echo "fuzz: $passed passed, 0 failed"
