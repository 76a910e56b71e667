#!/usr/bin/env bash
# schemathesis against a running demo server: every operation of /api/v1/openapi.json, as a member
# and as an admin, failing on any server error or any answer the document does not describe.
#
#   bash scripts/fuzz.sh           # make fuzz: a longer pass
#   bash scripts/fuzz.sh --quick   # the bounded pass make test runs (about 2-3 minutes)
#   EXE=target/release/chorus bash scripts/fuzz.sh   # use another build
#   MODE=positive bash scripts/fuzz.sh --quick      # only requests the document calls valid
#
# schemathesis is installed from PyPI into tests/fuzz/.venv (pinned). The summary line gives the
# operations, the requests sent and the share that reached a 2xx, read from the HAR report.
set -euo pipefail
cd "$(dirname "$0")/.."

EXAMPLES=40
BUDGET=600
if [ "${1:-}" = "--quick" ]; then
  EXAMPLES=10
  BUDGET=60
fi
SCHEMATHESIS_VERSION=4.32.5

VENV=tests/fuzz/.venv
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

BIN=${EXE:-target/debug/chorus}
[ -x "$BIN" ] || cargo build --quiet
WORK=$(mktemp -d)
# The embedded cluster runs as `postgres` when we are root; it must reach its directory.
chmod 755 "$WORK"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
mkdir -p tests/artifacts/fuzz

# Limits far above what the fuzzer sends, so requests reach the logic instead of a 429; bad input
# is still refused by the same parsers.
cat >"$WORK/chorus.toml" <<EOF
bind = "127.0.0.1:$PORT"
base_url = "$BASE"
data_dir = "$WORK/data"
search_index_dir = "$WORK/search-index"
[rate_limits]
login_per_ip = { max = 100000, secs = 60 }
login_per_account = { max = 100000, secs = 60 }
register_per_ip = { max = 100000, secs = 60 }
resend_per_account = { max = 100000, secs = 60 }
reset_per_ip = { max = 100000, secs = 60 }
reset_per_email = { max = 100000, secs = 60 }
search_per_ip = { max = 100000, secs = 60 }
[moderation]
duplicate_window_secs = 0
new_user = { topics_per_hour = 100000, topics_per_day = 100000, replies_per_hour = 100000, replies_per_day = 100000, likes_per_day = 100000, flags_per_day = 100000, mentions_per_post = 10 }
member = { topics_per_hour = 100000, topics_per_day = 100000, replies_per_hour = 100000, replies_per_day = 100000, likes_per_day = 100000, flags_per_day = 100000, mentions_per_post = 10 }
EOF

CHORUS_CONFIG="$WORK/chorus.toml" CHORUS_LOG=warn "$BIN" serve --demo >"$WORK/server.log" 2>&1 &
SERVER=$!
cleanup() {
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  cp "$WORK/server.log" tests/artifacts/fuzz/server.log 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

for _ in $(seq 1 180); do
  curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
  sleep 1
done

token() {
  curl -fsS -H 'Content-Type: application/json' \
    -d "{\"login\":\"$1\",\"password\":\"chorus-demo-2026\"}" "$BASE/api/v1/auth/login" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

# The banner names only accounts that exist: each signs in, and the PM has routed work.
banner=$(grep -m1 '^demo accounts:' "$WORK/server.log" || true)
echo "$banner"
[ -n "$banner" ] || { echo "no demo accounts banner"; exit 1; }
for name in $(echo "$banner" | sed 's/^demo accounts: //; s/ (password.*//; s/ ([a-z_]*)//g; s/,//g'); do
  token "$name" >/dev/null || { echo "demo account $name from the banner cannot sign in"; exit 1; }
done
curl -fsS -H "Authorization: Bearer $(token demo_pm)" "$BASE/api/v1/triage/queue" |
  python3 -c 'import json,sys; n=len(json.load(sys.stdin)["items"]); print(f"demo_pm queue: {n} routed items"); sys.exit(n == 0)'

status=0
for who in member:mifan admin:demo_admin; do
  role=${who%%:*}
  name=${who#*:}
  bearer=$(token "$name")
  har="tests/artifacts/fuzz/$role.har"
  echo "== schemathesis as $role ($name): up to $EXAMPLES examples per operation, ${BUDGET}s"
  # Signing out would end the fuzzer's own session; everything else is in.
  "$VENV/bin/schemathesis" run "$BASE/api/v1/openapi.json" \
    --header "Authorization: Bearer $bearer" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --exclude-path /api/v1/auth/logout --exclude-path /api/v1/auth/logout-all \
    --phases examples,coverage,fuzzing \
    --mode "${MODE:-all}" --max-examples "$EXAMPLES" --max-time "$BUDGET" --seed 2026 \
    --generation-deterministic --generation-with-security-parameters false --no-color \
    --report har --report-har-path "$har" \
    >"tests/artifacts/fuzz/$role.txt" 2>&1 || status=1
  tail -n 25 "tests/artifacts/fuzz/$role.txt"
  python3 - "$har" "$role" <<'PY'
import json, sys
har, role = sys.argv[1], sys.argv[2]
entries = json.load(open(har))["log"]["entries"]
codes = [e["response"]["status"] for e in entries]
ops = {(e["request"]["method"], e["request"]["url"].split("?")[0]) for e in entries}
ok = sum(200 <= c < 300 for c in codes)
err5 = sum(c >= 500 for c in codes)
print(f"FUZZ {role}: {len(codes)} requests, {ok} reached a 2xx ({100 * ok / max(1, len(codes)):.0f}%), {err5} answered 5xx")
PY
done
exit $status
