#!/usr/bin/env bash
# `npm pack` runs this (prepack): the library's JavaScript and type declarations into dist/pkg/
# (gitignored). One ESM bundle per entry point (".", "./protocol", "./render") for Node 20+ and Bun,
# dependencies left as imports of the package's own dependencies; .d.ts from tsc. The compiled
# binary (dist/docctl) is never part of the package.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=node_modules/.bin
rm -rf dist/pkg
"$bin/bun" build core/lib/index.ts core/runtime/protocol/index.ts core/render/index.ts \
  --target node --format esm --splitting --keep-names --packages external --root . --outdir dist/pkg >/dev/null
"$bin/tsc" -p tsconfig.pkg.json
# The sources import each other as "./x.ts" (what Bun runs); the declarations sit beside .js names.
find dist/pkg -name '*.d.ts' -exec sed -i -E 's#(from |import\()"(\.\.?/[^"]+)\.ts"#\1"\2.js"#g' {} +
# nats.js's declarations use Symbol.asyncDispose (lib esnext.disposable): without this a user's project on
# the default lib of es2022 fails with TS2550 in @nats-io/nats-core under skipLibCheck: false.
for d in dist/pkg/core/lib/index.d.ts dist/pkg/core/runtime/protocol/index.d.ts dist/pkg/core/render/index.d.ts; do
  printf '/// <reference lib="esnext.disposable" />\n%s\n' "$(cat "$d")" > "$d"
done
# docctl/render is optional: `npm i docctl` installs the queue only, and the render stack (pdf-lib,
# fontkit, HarfBuzz, barcodes, Playwright ...) is a set of optional peer dependencies. The entry point
# becomes a door that imports the bundle and, when a peer is missing, says which packages to install.
mv dist/pkg/core/render/index.js dist/pkg/core/render/impl.js
"$bin/bun" scripts/render-door.mjs dist/pkg/core/render
