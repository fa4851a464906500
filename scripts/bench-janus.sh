#!/usr/bin/env bash
# guildhall's browser path against Janus (Debian's `janus`, videoroom) under the same WebRTC load,
# side by side in one run: CPU-µs per forwarded packet of each server and the ratio.
#
# Janus runs in a network namespace with a veth pair (sfu-stack.md §5.iii: libnice ignores
# loopback, so on `lo` Janus would advertise another interface). Both servers get the same
# load from the same str0m clients (tools/loadgen): R rooms × (P speakers + S listeners),
# audio only, 50 stamped packets/s per speaker, nothing decoded.
#
# Usage: scripts/bench-janus.sh [ROOMS PUBLISHERS SUBSCRIBERS SECONDS]   (default 4 3 20 10)
# Needs root (netns); installs janus with apt-get when missing; builds release binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
rooms="${1:-4}" publishers="${2:-3}" subscribers="${3:-20}" seconds="${4:-10}"

if ! command -v janus >/dev/null 2>&1; then
    echo "bench-janus: installing janus (Debian)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq janus >/dev/null
fi
cargo build --release --locked --quiet --bin guildhall --bin loadgen
loadgen=target/release/loadgen

ns=guildhall-janus
work="$(mktemp -d)"
janus_pid=""
cleanup() {
    [ -n "$janus_pid" ] && kill "$janus_pid" 2>/dev/null && wait "$janus_pid" 2>/dev/null
    ip link del veth-gj 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
ip netns del "$ns" 2>/dev/null || true
ip link del veth-gj 2>/dev/null || true
ip netns add "$ns"
ip link add veth-gj type veth peer name veth-gjn
ip link set veth-gjn netns "$ns"
ip addr add 10.77.0.1/24 dev veth-gj && ip link set veth-gj up
ip netns exec "$ns" ip addr add 10.77.0.2/24 dev veth-gjn
ip netns exec "$ns" ip link set veth-gjn up
ip netns exec "$ns" ip link set lo up

# A copy of Debian's configuration: ICE-lite on the veth address, only the videoroom plugin and
# the HTTP transport, no loggers or event handlers, quiet.
conf="$work/conf"
cp -r /etc/janus "$conf"
sed -i \
    -e "s|^\(\s*\)configs_folder = .*|\1configs_folder = \"$conf\"|" \
    -e 's|^\(\s*\)debug_level = .*|\1debug_level = 2|' \
    -e 's|^\s*#interface = .*|\tinterface = "10.77.0.2"|' \
    -e 's|^\s*#rtp_port_range = .*|\trtp_port_range = "20000-40000"|' \
    -e 's|^\s*#ice_lite = .*|\tice_lite = true|' \
    -e 's|^\s*#ice_enforce_list = "eth0"$|\tice_enforce_list = "veth-gjn"|' \
    -e 's|^\s*#disable = "libjanus_voicemail.so,libjanus_recordplay.so"|\tdisable = "libjanus_audiobridge.so,libjanus_duktape.so,libjanus_echotest.so,libjanus_lua.so,libjanus_nosip.so,libjanus_recordplay.so,libjanus_sip.so,libjanus_streaming.so,libjanus_textroom.so,libjanus_videocall.so,libjanus_voicemail.so"|' \
    -e 's|^\s*#disable = "libjanus_rabbitmq.so"|\tdisable = "libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_pfunix.so,libjanus_rabbitmq.so,libjanus_websockets.so"|' \
    -e 's|^\s*#disable = "libjanus_jsonlog.so"|\tdisable = "libjanus_jsonlog.so"|' \
    -e 's|^\s*#disable = "libjanus_sampleevh.so"|\tdisable = "libjanus_gelfevh.so,libjanus_mqttevh.so,libjanus_nanomsgevh.so,libjanus_rabbitmqevh.so,libjanus_sampleevh.so,libjanus_wsevh.so"|' \
    "$conf/janus.jcfg"
sed -i -e 's|^\s*#ip = "192.168.0.1".*|\tip = "10.77.0.2"|' "$conf/janus.transport.http.jcfg"

ip netns exec "$ns" janus -F "$conf" -C "$conf/janus.jcfg" >"$work/janus.log" 2>&1 &
janus_pid=$!
for _ in $(seq 1 100); do
    curl -fsS http://10.77.0.2:8088/janus/info >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fsS http://10.77.0.2:8088/janus/info >/dev/null || { tail -30 "$work/janus.log"; echo "bench-janus: Janus did not start" >&2; exit 1; }

echo "=== guildhall: loadgen voice --webrtc --channels $rooms --speakers $publishers --listeners $subscribers --seconds $seconds"
"$loadgen" voice --webrtc --channels "$rooms" --speakers "$publishers" --listeners "$subscribers" \
    --seconds "$seconds" --join-concurrency 8 | tee "$work/guildhall.out"
echo "=== Janus $(janus --version 2>/dev/null | head -1): loadgen janus --rooms $rooms --publishers $publishers --subscribers $subscribers --seconds $seconds"
"$loadgen" janus --pid "$janus_pid" --rooms "$rooms" --publishers "$publishers" --subscribers "$subscribers" \
    --seconds "$seconds" | tee "$work/janus.out"

python3 - "$work/guildhall.out" "$work/janus.out" <<'PY'
import json, sys
def figures(path):
    for line in open(path):
        if line.startswith('{"'):
            return json.loads(line)["figures"]
    raise SystemExit(f"no report in {path}")
g, j = figures(sys.argv[1]), figures(sys.argv[2])
print()
print(f"{'':28}{'guildhall':>12}{'Janus':>12}")
for key, unit in [("forwarded_pps", "/s"), ("cpu_us_per_forwarded", "µs"), ("latency_p50", "ms"), ("latency_p99", "ms"), ("loss", "%")]:
    print(f"{key + ' (' + unit + ')':28}{g[key]:>12.3f}{j[key]:>12.3f}")
ratio = j["cpu_us_per_forwarded"] / g["cpu_us_per_forwarded"]
print(f"\nJanus CPU per forwarded packet / guildhall's: {ratio:.2f}x (target >= 3x)")
PY
