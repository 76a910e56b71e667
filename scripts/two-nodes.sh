#!/usr/bin/env bash
# The docker/compose.yml topology without Docker: one PostgreSQL, two `chorus serve` nodes on
# different ports, and Debian's nginx in front. Then it shows that a post written through node A
# is readable and searchable through node B within 2 s, and that nginx spreads requests over
# both nodes.
#
#   bash scripts/two-nodes.sh          # run the check, then stop everything
#   bash scripts/two-nodes.sh --keep   # leave it running (http://127.0.0.1:8080/), Ctrl-C stops
#   EXE=target/debug/chorus bash scripts/two-nodes.sh   # use an existing build
#
# Needs the PostgreSQL server binaries and nginx (installed with apt-get when run as root).
set -euo pipefail
cd "$(dirname "$0")/.."
keep=false; [ "${1:-}" = "--keep" ] && keep=true
LB_PORT=${LB_PORT:-8080} A_PORT=${A_PORT:-8081} B_PORT=${B_PORT:-8082}

bash scripts/install-deps.sh
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  [ "$(id -u)" -eq 0 ] || { echo "nginx is missing: sudo apt-get install -y nginx-light" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
# EXE, not CHORUS_*: every CHORUS_* variable is read as a setting.
if [ -n "${EXE:-}" ]; then BIN=$EXE; else cargo build --release --quiet; BIN=target/release/chorus; fi

WORK=$(mktemp -d /tmp/chorus-2n.XXXXXX)
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres "$WORK"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  as_pg "$PGBIN/pg_ctl" stop -D "$WORK/pg" -m fast -w >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== PostgreSQL (socket in $WORK)"
as_pg "$PGBIN/initdb" -D "$WORK/pg" -U chorus --auth=trust >/dev/null
as_pg "$PGBIN/pg_ctl" start -D "$WORK/pg" -w -l "$WORK/pg.log" \
  -o "-c listen_addresses='' -c unix_socket_directories='$WORK'" >/dev/null
as_pg "$PGBIN/createdb" -h "$WORK" -U chorus chorus
export CHORUS_DATABASE_URL="host=$WORK port=5432 user=chorus dbname=chorus"
export CHORUS_CONFIG="$WORK/none.toml" CHORUS_BASE_URL="http://127.0.0.1:$LB_PORT"
export CHORUS_TRUSTED_PROXIES='["127.0.0.1"]' CHORUS_LOG=warn
: > "$WORK/none.toml"
mkdir -p "$WORK/a/uploads" "$WORK/b"
ln -s "$WORK/a/uploads" "$WORK/b/uploads"   # shared storage, as a volume would be
CHORUS_DATA_DIR="$WORK/a" "$BIN" demo --topics 200 >/dev/null
CHORUS_DATA_DIR="$WORK/a" "$BIN" admin create-user --username twonode_fan \
  --email fan@example.com --password long-enough-secret >/dev/null

echo "== two nodes: A on :$A_PORT, B on :$B_PORT"
for n in a b; do
  port=$A_PORT; [ $n = b ] && port=$B_PORT
  CHORUS_DATA_DIR="$WORK/$n" CHORUS_SEARCH_INDEX_DIR="$WORK/$n/search-index" \
    CHORUS_BIND="127.0.0.1:$port" "$BIN" serve >"$WORK/$n.log" 2>&1 &
  pids+=($!)
done
cat >"$WORK/nginx.conf" <<NGINX
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx-body;
  proxy_temp_path $WORK/nginx-proxy;
  upstream chorus { server 127.0.0.1:$A_PORT; server 127.0.0.1:$B_PORT; keepalive 8; }
  server {
    listen 127.0.0.1:$LB_PORT;
    client_max_body_size 12m;
    location / {
      proxy_pass http://chorus;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_next_upstream error timeout http_502 http_503;
      add_header X-Upstream \$upstream_addr always;
    }
  }
}
NGINX
"$NGINX" -c "$WORK/nginx.conf" -p "$WORK" &
pids+=($!)
for port in $A_PORT $B_PORT $LB_PORT; do
  for _ in $(seq 1 200); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.1
  done
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null || { echo "port $port never became healthy" >&2; tail -5 "$WORK"/*.log >&2; exit 1; }
done

echo "== nginx spreads requests over both nodes"
for _ in 1 2 3 4; do
  curl -s -o /dev/null -D - "http://127.0.0.1:$LB_PORT/" | tr -d '\r' | grep -i '^x-upstream' || true
done

echo "== write through A, read and search through B"
token=$(curl -fs -H 'Content-Type: application/json' \
  -d '{"login":"twonode_fan","password":"long-enough-secret"}' \
  "http://127.0.0.1:$A_PORT/api/v1/auth/login" | jq -r .token)
word="kumquat$RANDOM"
start=$(date +%s%N)
id=$(curl -fs -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d "{\"board\":\"tips\",\"kind\":\"discussion\",\"title\":\"Two nodes $word\",\"body\":\"Written through node A\"}" \
  "http://127.0.0.1:$A_PORT/api/v1/topics" | jq -r .id)
readable="" searchable=""
while [ -z "$searchable" ] && [ $(( ($(date +%s%N) - start) / 1000000 )) -lt 2000 ]; do
  if [ -z "$readable" ] && curl -fs "http://127.0.0.1:$B_PORT/t/$id" | grep -q "$word"; then
    readable=$(( ($(date +%s%N) - start) / 1000000 ))
  fi
  if curl -fs "http://127.0.0.1:$B_PORT/api/v1/search?q=$word" | jq -e ".hits[] | select(.topic_id == $id)" >/dev/null; then
    searchable=$(( ($(date +%s%N) - start) / 1000000 ))
  fi
  sleep 0.02
done
echo "topic $id written through A: readable through B after ${readable:-never} ms, searchable through B after ${searchable:-never} ms (limit 2000 ms)"
[ -n "$readable" ] && [ -n "$searchable" ] || { echo "FAILED" >&2; exit 1; }
echo "OK"
if $keep; then
  echo "Running: http://127.0.0.1:$LB_PORT/ (login twonode_fan / long-enough-secret). Ctrl-C stops."
  wait
fi
