#!/usr/bin/env bash
# Installs what Chorus needs beyond Rust: the PostgreSQL server binaries (initdb, pg_ctl).
# Safe to run again: it installs only what is missing.
set -euo pipefail

have_pg() {
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && return 0
  done
  return 1
}

if have_pg; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "PostgreSQL server binaries are missing. Install them, e.g.: sudo apt-get install -y postgresql" >&2
  exit 1
fi
echo "Installing PostgreSQL server binaries with apt-get..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# The package's own cluster is not used; Chorus runs a private one.
apt-get install -y -qq --no-install-recommends postgresql >/dev/null
have_pg
