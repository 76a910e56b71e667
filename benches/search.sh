#!/usr/bin/env bash
# Search benchmark, one command: seeds a demo corpus of about 1,000,000 posts (zh + en) if the
# bench database is new, then runs `chorus bench search`, which prints p50/p99 of a fixed query
# set on tantivy and on PostgreSQL FTS (to_tsvector('simple') + GIN + ts_rank) over the same
# posts, recall of 34 two-character Chinese words on both, indexing throughput beside bare jieba,
# and index sizes.
#
#   bash benches/search.sh            # TOPICS=117000 gives ~1.0M posts
#
# The seeded database is kept in $BENCH_DIR between runs (delete it to reseed).
set -euo pipefail
cd "$(dirname "$0")/.."
TOPICS=${TOPICS:-117000}
DIR=${BENCH_DIR:-/tmp/chorus-bench-search-$TOPICS}
BIN=target/release/chorus

cargo build --release --quiet
bash scripts/install-deps.sh
export CHORUS_DATA_DIR="$DIR" CHORUS_LOG=warn CHORUS_CONFIG="$DIR/none.toml"
mkdir -p "$DIR"
touch "$DIR/none.toml"
if [ ! -f "$DIR/seeded" ]; then
  echo "== seeding $TOPICS topics"
  "$BIN" demo --topics "$TOPICS"
  touch "$DIR/seeded"
fi
echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
"$BIN" bench search --index "$DIR/bench-index"
