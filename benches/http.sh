#!/usr/bin/env bash
# HTTP benchmark on a large demo database: throughput and latency percentiles of a 20-post
# topic page, a board listing at page 1 and at page 500, and a static file served by the same
# server, under wrk on loopback. Prints a table; run it, do not time tests.
#
#   TOPICS=100000 bash benches/http.sh
#
# The seeded database is kept in $BENCH_DIR between runs (delete it to reseed).
set -euo pipefail
cd "$(dirname "$0")/.."
TOPICS=${TOPICS:-100000}
DIR=${BENCH_DIR:-/tmp/chorus-bench-$TOPICS}
PORT=${PORT:-8099}
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-32}
BIN=target/release/chorus
BASE="http://127.0.0.1:$PORT"

cargo build --release --quiet
command -v wrk >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
bash scripts/install-deps.sh

export CHORUS_DATA_DIR="$DIR" CHORUS_LOG=warn CHORUS_CONFIG="$DIR/none.toml"
mkdir -p "$DIR"
touch "$DIR/none.toml"
if [ ! -f "$DIR/seeded" ]; then
  echo "== seeding $TOPICS topics"
  /usr/bin/time -f "seed wall time: %e s, max RSS %M KiB" "$BIN" demo --topics "$TOPICS"
  touch "$DIR/seeded"
fi

CHORUS_BIND="127.0.0.1:$PORT" "$BIN" serve >"$DIR/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.2; done

# A topic with exactly 20 posts (the opening post and 19 replies).
topic=$(python3 - "$BASE" <<'PY'
import json, sys, urllib.request
base = sys.argv[1]
cursor = ""
while True:
    url = f"{base}/api/v1/topics?sort=new&limit=100" + (f"&cursor={cursor}" if cursor else "")
    page = json.load(urllib.request.urlopen(url))
    for t in page["items"]:
        if t["reply_count"] == 19:
            print(t["id"]); sys.exit()
    cursor = page["next_cursor"]
    if not cursor: sys.exit("no topic with 19 replies")
PY
)
# The cursor that opens page 500 of the Phones board (30 topics a page), walked page by page.
cursor500=$(python3 - "$BASE" <<'PY'
import json, sys, urllib.request
base, cursor = sys.argv[1], ""
for _ in range(499):
    url = f"{base}/api/v1/boards/phones/topics?sort=hot&limit=30" + (f"&cursor={cursor}" if cursor else "")
    cursor = json.load(urllib.request.urlopen(url))["next_cursor"]
    if not cursor: sys.exit("the board has fewer than 500 pages")
print(cursor)
PY
)

run() {
  local name=$1 url=$2
  curl -fs -o /dev/null "$url" || { echo "$name: $url does not answer 200" >&2; exit 1; }
  local out="$DIR/wrk-$(echo "$name" | tr -c 'a-zA-Z0-9\n' '_').txt"
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$url" >"$out"
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$out")
  p50=$(awk '$1=="50%" {print $2}' "$out")
  p99=$(awk '$1=="99%" {print $2}' "$out")
  printf "%-26s %10s req/s   p50 %8s   p99 %8s\n" "$name" "$rps" "$p50" "$p99"
}

echo "== $TOPICS topics, wrk -t2 -c$CONNECTIONS -d$DURATION on loopback, $(nproc) cores shared by server, Postgres and wrk"
run "static /static/style.css" "$BASE/static/style.css"
run "topic page (20 posts)" "$BASE/t/$topic"
run "board page 1" "$BASE/b/phones"
run "board page 500" "$BASE/b/phones?sort=hot&cursor=$cursor500"
run "API topic (20 posts)" "$BASE/api/v1/topics/$topic"
