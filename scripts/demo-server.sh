# Sourced by scripts that need a demo server of their own: starts `chorus serve --demo` on a free
# port with its data in a temporary folder, waits for /healthz, sets BASE, stops it on exit.
# BIN=path/to/chorus runs another build (say, an older commit's), THEMES_DIR its themes.
BIN=${BIN:-target/debug/chorus}
THEMES_DIR=${THEMES_DIR:-themes}
[ -x "$BIN" ] || cargo build --quiet
DEMO_WORK=$(mktemp -d)
# The embedded cluster runs as `postgres` when we are root; it must reach its directory.
chmod 755 "$DEMO_WORK"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
cat >"$DEMO_WORK/chorus.toml" <<TOML
bind = "127.0.0.1:$PORT"
base_url = "$BASE"
data_dir = "$DEMO_WORK/data"
search_index_dir = "$DEMO_WORK/search-index"
themes_dir = "$THEMES_DIR"
TOML
CHORUS_CONFIG="$DEMO_WORK/chorus.toml" CHORUS_LOG=warn "$BIN" serve --demo >"$DEMO_WORK/server.log" 2>&1 &
DEMO_SERVER=$!
trap 'kill $DEMO_SERVER 2>/dev/null || true; wait $DEMO_SERVER 2>/dev/null || true; rm -rf "$DEMO_WORK"' EXIT
for _ in $(seq 1 300); do
  curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
  kill -0 "$DEMO_SERVER" 2>/dev/null || { cat "$DEMO_WORK/server.log"; exit 1; }
  sleep 1
done
