#!/usr/bin/env bash
# Runs every guildhall test: formatting and lint gates, the web client's typecheck and unit
# tests, the whole Rust suite (unit tests, the store conformance suite on SQLite with the kill -9
# durability test, integration tests against the real binary), a short run of every fuzz target,
# smoke runs of the README's serve command, the conformance suites with real client libraries,
# the web client end to end in headless Chromium and the load generator's smallest runs.
#
# Usage: scripts/test.sh        (CI calls exactly this through .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all --check

step "web client: npm dependencies (lockfile), TypeScript typecheck, unit tests (vitest)"
scripts/ensure-node-modules.sh web
(cd web && npm run --silent typecheck && npm run --silent test)

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

if ! command -v cargo-nextest >/dev/null 2>&1; then
    step "installing cargo-nextest"
    cargo install cargo-nextest --locked
fi

step "Rust tests (nextest)"
cargo nextest run --workspace --locked --profile ci

step "doctests"
cargo test --workspace --locked --doc

step "cargo doc (broken links are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --locked --no-deps --quiet

step "fuzz targets: build and a short run of each"
scripts/fuzz.sh "${FUZZ_SECONDS:-10}"

step "smoke: guildhall serve with no flags answers /healthz"
scripts/smoke-serve.sh target/debug/guildhall

step "smoke: the REST API with curl as a seeded bot (post, page, edit, react, pin, delete, 429)"
scripts/smoke-rest.sh target/debug/guildhall

step "conformance: discord.py against the REST API"
scripts/conformance-discordpy-rest.sh target/debug/guildhall

step "conformance: discord.py and discord.js against the gateway (results vs conformance/results.json)"
scripts/conformance-gateway.sh target/debug/guildhall

step "conformance: discord.js + @discordjs/voice and discord.py[voice] exchanging audio over TLS"
scripts/conformance-voice.sh target/debug/guildhall

step "web client end to end: two users and a discord.js bot in headless Chromium (screenshots in target/e2e-web/)"
scripts/e2e-web.sh target/debug/guildhall

step "smoke: the load generator's smallest configurations (every mode and baseline runs; no thresholds)"
scripts/loadgen-smoke.sh
