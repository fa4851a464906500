#!/usr/bin/env bash
# Produces every figure of BENCHMARKS.md on this machine: a release build, then each loadgen
# mode beside its physical baseline (measured in the same run), then the criterion benches.
# Tables go to target/bench/<run>.txt, one JSON line per run to target/bench/results.jsonl.
#
# Usage: scripts/bench.sh [rest] [gateway] [voice] [criterion]   (no argument: all of them)
# Run it on an otherwise idle machine: the figures are CPU time and latency on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=" ${*:-rest gateway voice criterion} "
want() { [[ "$targets" == *" $1 "* ]]; }

cargo build --release --locked --bin guildhall --bin loadgen
mkdir -p target/bench
loadgen=target/release/loadgen

run() {
    local name=$1
    shift
    printf '\n==> loadgen %s\n' "$*" | tee "target/bench/$name.txt"
    "$loadgen" "$@" | tee -a "target/bench/$name.txt" | grep '^{"' >> target/bench/results.jsonl
}

if want rest; then
    # 10^6 stored messages (bulk-seeded), 1000 members, 10 roles × 50 channels of overwrites.
    run rest-c32 rest --concurrency 32
    run rest-c4 rest --concurrency 4
fi
if want gateway; then
    # The server holds at most ~20k sockets here (RLIMIT_NOFILE hard limit 20000): 18k sessions
    # from two worker processes.
    run gateway-idle gateway-idle --sessions 18000 --workers 2
    # Latency at a light rate, then throughput and CPU per event at a saturating one.
    run gateway-fanout-1 gateway-fanout --sessions 10000 --messages 30 --rate 1
    run gateway-fanout-25 gateway-fanout --sessions 10000 --messages 150 --rate 25 --compress none,zlib-stream,zstd-stream
fi
if want voice; then
    run voice-1000 voice --channels 1 --speakers 3 --listeners 1000 --seconds 10 --join-concurrency 32
    run voice-300 voice --channels 1 --speakers 3 --listeners 300 --seconds 10 --join-concurrency 32
    run voice-300-xchacha voice --channels 1 --speakers 3 --listeners 300 --seconds 10 --join-concurrency 32 --mode xchacha20
    run voice-rooms voice --channels 10 --speakers 3 --listeners 30 --seconds 10 --join-concurrency 32
fi
if want criterion; then
    cargo bench --locked -p guildhall-core -p guildhall-gateway -p guildhall-voice-proto -- \
        --warm-up-time 1 --measurement-time 3 2>&1 | tee target/bench/criterion.txt
fi
