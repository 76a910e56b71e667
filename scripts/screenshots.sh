#!/usr/bin/env bash
# Screenshots of the demo at 360 px into docs/screenshots/ (linked from the README). Run by hand
# after a visible change: `bash scripts/screenshots.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d tests/browser/node_modules/playwright-core ] || npm ci --prefix tests/browser --no-audit --no-fund --silent
mkdir -p docs/screenshots
. scripts/demo-server.sh
node tests/browser/screenshots.mjs "$BASE" docs/screenshots
