#!/usr/bin/env bash
# PostgreSQL failover under Chorus, on Patroni with etcd (Debian's packages), on this machine:
# one primary and one synchronous replica, a Chorus node connected through a multi-host URL with
# target_session_attrs=read-write. It writes through Chorus, kills the primary's postmaster with
# kill -9, waits for Patroni to promote the replica, and checks that
#   - every write Chorus acknowledged (HTTP 201) is on the new primary,
#   - Chorus reconnects by itself (no restart),
#   - search catches up (the last acknowledged post is findable),
# then prints the time to recovery.
#
#   bash scripts/ha-failover.sh                 # run the check, then stop everything
#   EXE=target/debug/chorus bash scripts/ha-failover.sh   # use an existing build
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-8091} PG1=${PG1:-5441} PG2=${PG2:-5442} ETCD=${ETCD:-2399}

bash scripts/install-deps.sh
if ! command -v patroni >/dev/null || ! command -v etcd >/dev/null; then
  [ "$(id -u)" -eq 0 ] || { echo "needs: sudo apt-get install -y patroni etcd-server" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends patroni etcd-server jq >/dev/null
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
if [ -n "${EXE:-}" ]; then BIN=$EXE; else cargo build --release --quiet; BIN=target/release/chorus; fi

WORK=$(mktemp -d /tmp/chorus-ha.XXXXXX)
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres "$WORK"
pids=()
tree() { echo "$1"; for c in $(pgrep -P "$1" || true); do tree "$c"; done; }
cleanup() {
  # Patroni first (it would restart PostgreSQL), through runuser to the process itself.
  local all=()
  for p in "${pids[@]}"; do all+=($(tree "$p")); done
  kill -9 "${all[@]}" 2>/dev/null || true
  # Anything else started from the work folder (a Patroni orphaned when runuser was killed).
  pkill -9 -f "$WORK/" 2>/dev/null || true
  for n in 1 2; do as_pg "$PGBIN/pg_ctl" stop -D "$WORK/pg$n" -m immediate >/dev/null 2>&1 || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
ms() { echo $(( $(date +%s%N) / 1000000 )); }

echo "== etcd on 127.0.0.1:$ETCD"
as_pg etcd --name ha --data-dir "$WORK/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD" --advertise-client-urls "http://127.0.0.1:$ETCD" \
  --listen-peer-urls "http://127.0.0.1:$((ETCD + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD + 1))" \
  --initial-cluster "ha=http://127.0.0.1:$((ETCD + 1))" >"$WORK/etcd.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$ETCD/health" >/dev/null && break; sleep 0.1; done

echo "== Patroni: pg1 on :$PG1, pg2 on :$PG2, synchronous replication"
for n in 1 2; do
  port=$PG1; [ $n = 2 ] && port=$PG2
  cat >"$WORK/patroni$n.yml" <<YML
scope: chorus-ha
name: pg$n
restapi: { listen: 127.0.0.1:$((8100 + n)), connect_address: 127.0.0.1:$((8100 + n)) }
etcd3: { hosts: 127.0.0.1:$ETCD }
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 5
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    synchronous_mode_strict: false
    postgresql:
      use_pg_rewind: true
      parameters: { max_connections: 100, wal_level: replica, hot_standby: "on", synchronous_commit: "on" }
  initdb: [ { encoding: UTF8 }, { locale: C }, data-checksums ]
  pg_hba: [ "local all all trust", "host all all 127.0.0.1/32 trust", "host replication all 127.0.0.1/32 trust" ]
postgresql:
  listen: 127.0.0.1:$port
  connect_address: 127.0.0.1:$port
  data_dir: $WORK/pg$n
  bin_dir: $PGBIN
  pgpass: $WORK/pgpass$n
  authentication:
    superuser: { username: postgres }
    replication: { username: postgres }
  parameters: { unix_socket_directories: "$WORK" }
tags: { nofailover: false, noloadbalance: false, clonefrom: false }
YML
  as_pg patroni "$WORK/patroni$n.yml" >"$WORK/patroni$n.log" 2>&1 &
  pids+=($!)
  # The first node bootstraps the cluster; the second clones it.
  if [ $n = 1 ]; then
    for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:8101/primary" >/dev/null && break; sleep 0.2; done
  fi
done
for _ in $(seq 1 300); do
  curl -fs "http://127.0.0.1:8101/cluster" | jq -e '[.members[] | select(.role == "sync_standby")] | length == 1' >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fs "http://127.0.0.1:8101/cluster" | jq -c '[.members[] | {name, role, state}]'
as_pg "$PGBIN/psql" -h 127.0.0.1 -p $PG1 -U postgres -qc "CREATE DATABASE chorus" >/dev/null

echo "== Chorus on :$PORT through postgresql://127.0.0.1:$PG1,127.0.0.1:$PG2/chorus?target_session_attrs=read-write"
export CHORUS_DATABASE_URL="postgresql://postgres@127.0.0.1:$PG1,127.0.0.1:$PG2/chorus?target_session_attrs=read-write"
export CHORUS_CONFIG="$WORK/none.toml" CHORUS_BASE_URL="http://127.0.0.1:$PORT" CHORUS_LOG=warn
export CHORUS_DATA_DIR="$WORK/chorus" CHORUS_SEARCH_INDEX_DIR="$WORK/chorus/search-index"
export CHORUS_DATABASE_TIMEOUTS__ACQUIRE_MS=1000 CHORUS_DATABASE_TIMEOUTS__CONNECT_MS=1000
: > "$WORK/none.toml"
"$BIN" migrate >/dev/null
"$BIN" demo --topics 20 >/dev/null
"$BIN" admin create-user --username ha_writer --email ha@example.com \
  --password long-enough-secret --role admin >/dev/null
CHORUS_BIND="127.0.0.1:$PORT" "$BIN" serve >"$WORK/chorus.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 200); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
token=$(curl -fs -H 'Content-Type: application/json' \
  -d '{"login":"ha_writer","password":"long-enough-secret"}' \
  "http://127.0.0.1:$PORT/api/v1/auth/login" | jq -r .token)
topic=$(curl -fs -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"board":"tips","kind":"discussion","title":"Failover log","body":"one reply per write"}' \
  "http://127.0.0.1:$PORT/api/v1/topics" | jq -r .id)

acked="$WORK/acked"; : > "$acked"
write() {  # one reply; its id goes to $acked only if Chorus answered 201
  local word=$1 out code
  out=$(curl -s -m 5 -w '\n%{http_code}' -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"body\":\"failover write $word\"}" "http://127.0.0.1:$PORT/api/v1/topics/$topic/posts" || true)
  code=$(tail -1 <<<"$out")
  if [ "$code" = 201 ]; then head -1 <<<"$out" | jq -r .id >>"$acked"; return 0; fi
  return 1
}

echo "== writing through Chorus"
for i in $(seq 1 50); do write "before$i" || true; done
before=$(wc -l <"$acked")
primary=$(curl -fs "http://127.0.0.1:8101/cluster" | jq -r '.members[] | select(.role == "leader") | .name')
pdir="$WORK/$primary"
ppid=$(head -1 "$pdir/postmaster.pid")
echo "acknowledged before the kill: $before; primary is $primary (postmaster $ppid)"

echo "== kill -9 of the primary's postmaster (and of its Patroni: the whole node is lost, so the replica must take over)"
killed=$(ms)
pkill -9 -f "patroni $WORK/patroni${primary#pg}.yml" || true
kill -9 "$ppid"
# Keep writing. Recovery: Patroni has promoted the replica and Chorus has acknowledged a write
# on it. (Writes acknowledged in between reached the dying primary's surviving backends and,
# with synchronous replication, the replica too: they are checked like the others.)
survivor=$([ "$primary" = pg1 ] && echo 2 || echo 1)
promoted="" recovered="" i=0
while [ -z "$recovered" ] && [ $(( $(ms) - killed )) -lt 90000 ]; do
  i=$((i + 1))
  if [ -z "$promoted" ] && curl -fs -m 1 "http://127.0.0.1:810$survivor/cluster" \
      | jq -e ".members[] | select(.role == \"leader\" and .name == \"pg$survivor\")" >/dev/null 2>&1; then
    promoted=$(( $(ms) - killed ))
  fi
  if write "after$i"; then
    [ -n "$promoted" ] && recovered=$(( $(ms) - killed ))
  else
    sleep 0.2
  fi
done
[ -n "$recovered" ] || { echo "FAILED: no write acknowledged on a promoted replica within 90 s" >&2; tail -20 "$WORK"/patroni*.log "$WORK/chorus.log" >&2; exit 1; }
echo "Patroni promoted pg$survivor ${promoted} ms after the kill"
for j in $(seq 1 20); do write "settled$j" || true; done
last_word="settled20"
new_primary=$(curl -fs "http://127.0.0.1:810$survivor/cluster" \
  | jq -r '.members[] | select(.role == "leader") | .name')
[ "$new_primary" != "$primary" ] || { echo "FAILED: $primary is still the leader" >&2; exit 1; }
nport=$PG1; [ "$new_primary" = pg2 ] && nport=$PG2
echo "new primary: $new_primary; first acknowledged write ${recovered} ms after the kill"

echo "== every acknowledged write is on the new primary"
total=$(wc -l <"$acked")
ids=$(paste -sd, "$acked")
found=$(as_pg "$PGBIN/psql" -h 127.0.0.1 -p $nport -U postgres -d chorus -tAc \
  "SELECT count(*) FROM posts WHERE id IN ($ids)")
echo "acknowledged: $total (before the kill: $before); found on $new_primary: $found"
[ "$found" = "$total" ] || { echo "FAILED: acknowledged writes missing" >&2; exit 1; }

echo "== search catches up"
searchable=""
start=$(ms)
while [ -z "$searchable" ] && [ $(( $(ms) - start )) -lt 30000 ]; do
  if curl -fs "http://127.0.0.1:$PORT/api/v1/search?q=$last_word" | jq -e ".total > 0" >/dev/null; then
    searchable=$(( $(ms) - killed ))
  fi
  sleep 0.2
done
[ -n "$searchable" ] || { echo "FAILED: search did not catch up" >&2; tail -20 "$WORK/chorus.log" >&2; exit 1; }
echo "the last write is searchable ${searchable} ms after the kill"
echo "time to recovery: ${recovered} ms (writes), ${searchable} ms (search); Chorus was not restarted"
echo "OK"
