#!/usr/bin/env bash
# `npm run test:unit`: the tests that need no nats-server, no compiled binary and no child process
# (pure decisions, codecs, parsers, layout): seconds, for every save. `npm test` runs everything.
# A test file counts as a unit test when it uses none of the helpers or calls that start something;
# a new test is sorted by what it imports, no list to keep up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
starts='helpers/(nats|cli|cluster|proxy|fake-do|pdf|png)|startNats|nats-server|dist/docctl|spawnDocctl|Bun\.spawn|Bun\.\$|child_process|startCluster|chromium|playwright|fake-proc|pdftoppm|zbarimg|verapdf'
mapfile -t files < <(grep -rLE "$starts" --include='*.test.ts' test | sort)
exec node_modules/.bin/bun test --timeout 20000 "$@" "${files[@]}"
