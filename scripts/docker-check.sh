#!/usr/bin/env bash
# Validates docker/Dockerfile's runtime image with a real engine where no image registry can be
# reached (only the Debian mirror): the base image is made with debootstrap and imported as
# debian:bookworm-slim, the build stage is replaced by this machine's binary, and the image is run
# against a PostgreSQL on 127.0.0.1. Checks: it builds, runs as uid 10001, its HEALTHCHECK turns
# healthy, and `docker stop` ends it cleanly within Docker's 10 s.
#
#   bash scripts/docker-check.sh        (as root; starts dockerd if none is running)
#   EXE=target/release/chorus bash scripts/docker-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "run as root" >&2; exit 1; }
command -v dockerd >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >/dev/null
command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
if ! docker info >/dev/null 2>&1; then
  (dockerd >/tmp/dockerd.log 2>&1 &)
  for _ in $(seq 1 50); do docker info >/dev/null 2>&1 && break; sleep 0.2; done
fi
if [ -n "${EXE:-}" ]; then BIN=$EXE; else cargo build --release --quiet; BIN=target/release/chorus; fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
WORK=$(mktemp -d /tmp/chorus-docker.XXXXXX)
chown postgres "$WORK"
cleanup() {
  docker rm -f chorus-check >/dev/null 2>&1 || true
  runuser -u postgres -- "$PGBIN/pg_ctl" stop -D "$WORK/pg" -m fast >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if ! docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
  echo "== debian:bookworm-slim from debootstrap (no registry here)"
  debootstrap --variant=minbase bookworm "$WORK/root" http://deb.debian.org/debian >/dev/null
  tar -C "$WORK/root" -c . | docker import - debian:bookworm-slim >/dev/null
  rm -rf "$WORK/root"
fi

echo "== the runtime stage of docker/Dockerfile, with this machine's binary as the build stage"
mkdir -p "$WORK/ctx"
cp "$BIN" "$WORK/ctx/chorus"
cp -r themes "$WORK/ctx/"
{ printf 'FROM debian:bookworm-slim AS build\nCOPY chorus /src/target/release/chorus\n\n'
  sed -n '/^FROM debian:bookworm-slim AS runtime/,$p' docker/Dockerfile; } >"$WORK/ctx/Dockerfile"
docker build -q -t chorus:check "$WORK/ctx" >/dev/null

echo "== run it against PostgreSQL on 127.0.0.1:5455"
runuser -u postgres -- "$PGBIN/initdb" -D "$WORK/pg" -U chorus --auth=trust >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" start -D "$WORK/pg" -w -l "$WORK/pg.log" \
  -o "-c listen_addresses=127.0.0.1 -c port=5455 -c unix_socket_directories=$WORK" >/dev/null
runuser -u postgres -- "$PGBIN/createdb" -h 127.0.0.1 -p 5455 -U chorus chorus
docker run -d --name chorus-check --network host \
  -e CHORUS_DATABASE_URL=postgresql://chorus@127.0.0.1:5455/chorus chorus:check serve >/dev/null
status=""
for _ in $(seq 1 60); do
  status=$(docker inspect --format '{{.State.Health.Status}}' chorus-check)
  [ "$status" = healthy ] && break
  sleep 1
done
user=$(docker inspect --format '{{.Config.User}}' chorus-check)
echo "health: $status; user: $user"
[ "$status" = healthy ] && [ "$user" = "10001:10001" ] || { docker logs chorus-check | tail -20; exit 1; }
start=$(date +%s%N)
docker stop chorus-check >/dev/null
took=$(( ($(date +%s%N) - start) / 1000000 ))
code=$(docker inspect --format '{{.State.ExitCode}}' chorus-check)
echo "docker stop: ${took} ms, exit code $code"
[ "$code" = 0 ] && [ "$took" -lt 10000 ] || exit 1
if command -v docker-compose >/dev/null; then docker-compose -f docker/compose.yml config >/dev/null && echo "compose file: valid"; fi
echo "OK"
