#!/usr/bin/env bash
# `npm run demo`: build docctl, start everything on this machine with `docctl up`, run the example jobs.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x node_modules/.bin/bun ] || npm ci --no-audit --no-fund
command -v nats-server >/dev/null 2>&1 || bash scripts/deps.sh
node_modules/.bin/bun run build >/dev/null
export DOCCTL_NATS_URL=${DOCCTL_NATS_URL:-nats://127.0.0.1:4222}
out=${DEMO_OUT:-./demo-out}
mkdir -p "$out"
# The title demo fetches ten small sites served on 127.0.0.1 (there may be no internet).
node_modules/.bin/bun examples/sites.ts 8765 --delay-ms 300 > "$out/sites.log" 2>&1 &
sites=$!
./dist/docctl up --allow-private-fetch --plugins examples/plugins -v > "$out/up.log" 2>&1 &
up=$!
trap 'kill -INT $up 2>/dev/null; wait $up 2>/dev/null || true; kill $sites 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q "ready:" "$out/up.log" 2>/dev/null && break; sleep 0.1; done
echo "== one job (the first one wakes a worker: the manager scales from zero)"
./dist/docctl submit examples/echo.json
echo "== a map-reduce batch: ten page titles, results in input order"
./dist/docctl submit examples/urls-local.json
echo "== an invoice: data stamped over a base PDF (layout engine), written to $out"
./dist/docctl template put invoice examples/invoice/base.pdf --layout examples/invoice/layout.json --force
./dist/docctl submit examples/invoice/job.json --out "$out"
echo "== a Factur-X e-invoice (PDF/A-3b with the EN 16931 XML embedded as factur-x.xml), written to $out"
./dist/docctl template put facturx examples/facturx/base.pdf --layout examples/facturx/layout.json --force
./dist/docctl submit examples/facturx/job.json --out "$out"
echo "== a multilingual invoice: template fonts (Noto), a logo, a payment QR code and a barcode, written to $out"
N=/usr/share/fonts/truetype/noto
[ -f $N/NotoSansArabic-Regular.ttf ] && [ -f /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf ] || bash scripts/deps.sh
./dist/docctl template put multilingual examples/multilingual/base.pdf --layout examples/multilingual/layout.json \
  --font latin=$N/NotoSans-Regular.ttf --font latin-bold=$N/NotoSans-Bold.ttf --font arabic=$N/NotoSansArabic-Regular.ttf \
  --font hebrew=$N/NotoSansHebrew-Regular.ttf --font deva=$N/NotoSansDevanagari-Regular.ttf --font thai=$N/NotoSansThai-Regular.ttf \
  --font cjk=/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf --asset logo.png=examples/multilingual/logo.png
./dist/docctl submit examples/multilingual/job.json --out "$out"
echo "== a plugin that writes a document (examples/plugins/wordcount.ts)"
./dist/docctl submit examples/wordcount.json --out "$out"
echo "== documents and logs are in $out"
