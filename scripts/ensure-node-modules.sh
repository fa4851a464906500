#!/usr/bin/env bash
# Installs DIR's npm dependencies exactly as its package-lock.json pins them (npm ci), but only
# when the lock changed since the last install (a stamp in node_modules records its hash).
#
# Usage: scripts/ensure-node-modules.sh DIR
set -euo pipefail
dir="$1"
lock_sum="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$dir/node_modules/.guildhall-lock" 2>/dev/null)" != "$lock_sum" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$lock_sum" >"$dir/node_modules/.guildhall-lock"
fi
