#!/usr/bin/env bash
# `npm test`: installs what the tests need, builds dist/docctl, runs every bun:test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x node_modules/.bin/bun ] || npm ci --no-audit --no-fund
bash scripts/deps.sh
node_modules/.bin/bun run build >/dev/null
exec node_modules/.bin/bun test --timeout 60000 "$@"
