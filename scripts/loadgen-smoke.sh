#!/usr/bin/env bash
# The load generator's smallest configurations against the debug build, so no mode (and no
# baseline) can rot: each must run to its report. No thresholds: speed is measured by
# scripts/bench.sh and recorded in BENCHMARKS.md, never asserted here.
#
# Usage: scripts/loadgen-smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --locked --quiet --bin loadgen --bin guildhall
export LOADGEN_GUILDHALL=target/debug/guildhall
loadgen=target/debug/loadgen
out=target/loadgen-smoke.jsonl
: > "$out"

run() {
    printf '\n--- loadgen %s\n' "$*"
    # Through a file, not `tee /dev/stderr`: reopening stderr by path truncates a log file
    # that stderr is redirected to.
    "$loadgen" "$@" > target/loadgen-smoke.last
    cat target/loadgen-smoke.last
    grep '^{"' target/loadgen-smoke.last >> "$out"
}

run rest --concurrency 2 --creates 40 --history-messages 2000 --pages 40 --members 20 --member-reads 4 \
    --roles 2 --channels 3 --permission-reads 20
run voice --channels 1 --speakers 1 --listeners 2 --seconds 2
run voice --webrtc --channels 1 --speakers 1 --listeners 2 --seconds 2
run gateway-idle --sessions 20 --workers 2 --idle-secs 1
run gateway-fanout --sessions 10 --messages 5 --compress none,zlib-stream,zstd-stream
