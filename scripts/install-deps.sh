#!/usr/bin/env bash
# Installs what Chorus and its tests need beyond Rust: PostgreSQL server binaries (initdb,
# pg_ctl) and, for the browser test and the fuzz pass, Chromium, playwright-core, python3-venv. Installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

have_pg() {
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && return 0
  done
  return 1
}

missing=()
have_pg || missing+=(postgresql)
if [ "${1:-}" = "--with-browser" ]; then
  [ -x /usr/bin/chromium ] || missing+=(chromium fonts-noto-cjk)
  # The fuzz pass (scripts/fuzz.sh) installs schemathesis into a venv and drives the server with curl.
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
fi

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing system packages: ${missing[*]}. Install them, e.g.: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing ${missing[*]} with apt-get..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The postgresql package's own cluster is not used; Chorus runs a private one.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
have_pg

if [ "${1:-}" = "--with-browser" ] && { [ ! -d tests/browser/node_modules/playwright-core ] || [ ! -d tests/browser/node_modules/@axe-core/playwright ]; }; then
  command -v npm >/dev/null 2>&1 || { echo "npm is needed for the browser test (Node.js)" >&2; exit 1; }
  npm ci --prefix tests/browser --no-audit --no-fund --silent
fi
