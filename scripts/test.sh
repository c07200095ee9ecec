#!/usr/bin/env bash
# `npm test`: installs what the tests need, builds dist/docctl, runs every bun:test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
# (re)install when node_modules is missing or older than the lock file (a pull brought new dependencies)
if [ ! -x node_modules/.bin/bun ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
bash scripts/deps.sh
node_modules/.bin/bun run build >/dev/null
exec node_modules/.bin/bun test --timeout 60000 "$@"
