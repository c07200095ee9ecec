#!/usr/bin/env bash
# `npm run demo`: build docctl, start everything on this machine with `docctl up`, run the example jobs.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x node_modules/.bin/bun ] || npm ci
command -v nats-server >/dev/null 2>&1 || bash scripts/deps.sh
node_modules/.bin/bun run build >/dev/null
export DOCCTL_NATS_URL=${DOCCTL_NATS_URL:-nats://127.0.0.1:4222}
out=${DEMO_OUT:-./demo-out}
mkdir -p "$out"
./dist/docctl up -v > "$out/up.log" 2>&1 &
up=$!
trap 'kill -INT $up 2>/dev/null; wait $up 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q "pulling" "$out/up.log" 2>/dev/null && break; sleep 0.1; done
echo "== one job"
./dist/docctl submit examples/echo.json
echo "== a map-reduce batch (results in input order)"
./dist/docctl submit examples/echo-batch.json
echo "== documents and logs are in $out"
