#!/usr/bin/env bash
# Lighthouse (npm lighthouse@12.2.3, Debian's Chromium) against a demo server, emulating a phone:
# the home page, a board and a topic. Prints one line per page with the four category scores and
# keeps the JSON reports under tests/artifacts/lighthouse/. Not part of `make test`: scores on a
# loaded machine move, so this is a measurement, run by hand (`make lighthouse`).
# BIN=path/to/chorus THEMES_DIR=its/themes measures another build (say, an older commit's).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d tests/lighthouse/node_modules/lighthouse ] || npm i --prefix tests/lighthouse --no-audit --no-fund --silent
OUT=tests/artifacts/lighthouse
mkdir -p "$OUT"
. scripts/demo-server.sh
BOARD=phones
TOPIC=$(curl -fsS "$BASE/api/v1/boards/$BOARD/topics" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
for path in "/" "/b/$BOARD" "/t/$TOPIC"; do
  name=$(echo "$path" | tr -c 'a-z0-9\n' '_' | sed 's/^_*//; s/^$/home/')
  [ -n "$name" ] || name=home
  node tests/lighthouse/node_modules/lighthouse/cli/index.js "$BASE$path" --quiet --output=json \
    --output-path="$OUT/$name.json" --form-factor=mobile --screenEmulation.mobile \
    --only-categories=performance,accessibility,best-practices,seo \
    --chrome-path=/usr/bin/chromium \
    --chrome-flags="--headless --no-sandbox --disable-gpu --disable-background-networking" >"$OUT/$name.log" 2>&1 \
    || { echo "lighthouse failed on $path:" >&2; tail -20 "$OUT/$name.log" >&2; exit 1; }
  python3 - "$OUT/$name.json" "$path" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c = r["categories"]
scores = " ".join(f"{k}={round(v['score'] * 100)}" for k, v in c.items())
fails = [a["id"] for a in r["audits"].values() if a.get("score") is not None and a["score"] < 1 and a.get("scoreDisplayMode") == "binary"]
print(f"{sys.argv[2]:<12} {scores}  failing: {' '.join(fails) or '-'}")
PY
done
