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
