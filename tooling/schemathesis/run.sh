#!/usr/bin/env bash
# Hostile input from outside: schemathesis (PyPI) generates requests from the
# service's own /docs/openapi.json and checks every answer: no 5xx, status codes,
# content types, headers and bodies as documented. `make fuzz-api`; a CI step.
#
# Runs on SQLite and, when reachable, on PostgreSQL (SALES_TEST_DATABASE_URL, as the
# tests use it), each time against a fresh seeded database and an admin token.
#
# Two passes per backend, each on its own fresh database, because the admin's token
# is the fuzzer's key: in pass 1 (every phase, stateful included) the operations that
# can delete or demote a user are left out, or the fuzzer would soon delete the admin
# and see only 401s; pass 2 fuzzes those three operations alone.
#
# Settings (environment):
#   SCHEMATHESIS_EXAMPLES  examples per operation and phase (default 25)
#   SCHEMATHESIS_SEED      random seed (default: a new one, printed; pass it to replay)
#   SCHEMATHESIS_VENV      where schemathesis is installed (default target/schemathesis-venv)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

VERSION=4.32.5
VENV="${SCHEMATHESIS_VENV:-target/schemathesis-venv}"
EXAMPLES="${SCHEMATHESIS_EXAMPLES:-25}"
SEED="${SCHEMATHESIS_SEED:-$((RANDOM * 32768 + RANDOM))}"
DEV_KID=54bb2165-71e1-41a6-af3e-7da4a0e1e2c1
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
SELF_HARM=("DELETE /v1/users/{user_id}" "PUT /v1/users/{user_id}" "PUT /v1/users/role/{user_id}")

if [ ! -x "$VENV/bin/schemathesis" ] || ! "$VENV/bin/schemathesis" --version | grep -q "$VERSION"; then
    echo "installing schemathesis $VERSION into $VENV (from PyPI)"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
fi
"$VENV/bin/schemathesis" --version

cargo build --quiet -p sales-api -p sales-admin
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
API="$TARGET_DIR/debug/sales-api"
ADMIN="$TARGET_DIR/debug/sales-admin"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/sales-schemathesis.XXXXXX")"
PID=""
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_service DB_URL LOG: the real binary, rate limiting off (the fuzzer is one
# client sending thousands of requests), until readiness answers 200.
start_service() {
    local url="$1" log="$2"
    PORT="$(free_port)"
    SALES_WEB_API_HOST="127.0.0.1:$PORT" SALES_WEB_DEBUG_HOST="127.0.0.1:$(free_port)" \
        SALES_DB_URL="$url" SALES_WEB_RATE_LIMIT=0 SALES_LOG_FORMAT=json SALES_AUTH_KEYS_FOLDER=zarf/keys \
        "$API" >"$log" 2>&1 &
    PID=$!
    for _ in $(seq 1 100); do
        if python3 - "$PORT" <<'EOF' 2>/dev/null; then return 0; fi
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/v1/readiness", timeout=1)
EOF
        kill -0 "$PID" 2>/dev/null || { echo "sales-api exited; its log:" >&2; tail -20 "$log" >&2; exit 1; }
        sleep 0.1
    done
    echo "sales-api did not become ready; its log:" >&2; tail -20 "$log" >&2; exit 1
}

stop_service() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""; }

# The seeded admin's token, by Basic auth as any client would get it.
admin_token() {
    python3 - "$PORT" "$DEV_KID" <<'EOF'
import base64, json, sys, urllib.request
req = urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/v1/auth/token/{sys.argv[2]}")
req.add_header("Authorization", "Basic " + base64.b64encode(b"admin@example.com:garagesale").decode())
print(json.load(urllib.request.urlopen(req, timeout=10))["token"])
EOF
}

# fuzz NAME DB_URL PREPARE_CMD... -- SCHEMATHESIS_ARGS...
fuzz() {
    local name="$1" url="$2"; shift 2
    local log="$WORK/$name.log"
    start_service "$url" "$log"
    local token; token="$(admin_token)"
    echo
    echo "==> $name: schemathesis against http://127.0.0.1:$PORT/docs/openapi.json (seed $SEED)"
    local status=0 out="$WORK/$name.out"
    for attempt in 1 2; do
        status=0
        "$VENV/bin/schemathesis" run "http://127.0.0.1:$PORT/docs/openapi.json" \
            -H "Authorization: Bearer $token" --checks "$CHECKS" \
            --max-examples "$EXAMPLES" --seed "$SEED" --workers 1 --request-timeout 10 \
            --warnings off --no-color "$@" >"$out" 2>&1 || status=$?
        # schemathesis's own crashes ("Runtime Error" in its generator, seen with
        # 4.32.5) are not findings about the service: try once more.
        if [ "$status" != 0 ] && grep -q "Runtime Error" "$out" && ! grep -qE "^Failures:|^_+ [A-Z]+ /" "$out"; then
            echo "schemathesis itself failed (attempt $attempt); its error:"
            grep -A3 "Runtime Error" "$out" | cut -c1-300 | head -8
            continue
        fi
        break
    done
    # The summary; the whole report only when something failed.
    if [ "$status" = 0 ]; then
        sed -n '/^Test Phases:/,$p' "$out"
    else
        cut -c1-400 "$out" | tail -150
    fi
    # The log is the service's own account: it must hold no 5xx either.
    local server_errors
    server_errors="$(grep -c '"status":5[0-9][0-9]' "$log" || true)"
    stop_service
    if [ "$server_errors" != "0" ]; then
        echo "$name: the service logged $server_errors responses with a 5xx status:" >&2
        grep '"status":5[0-9][0-9]' "$log" | head -5 >&2
        status=1
    fi
    if [ "$status" != 0 ]; then
        echo "$name: failed (replay with SCHEMATHESIS_SEED=$SEED make fuzz-api)" >&2
        exit "$status"
    fi
}

excluded=(); included=()
for op in "${SELF_HARM[@]}"; do excluded+=(--exclude-name "$op"); included+=(--include-name "$op"); done

fuzz_backend() {
    local backend="$1" url_1="$2" url_2="$3"
    fuzz "$backend-all-but-user-removal" "$url_1" "${excluded[@]}"
    fuzz "$backend-user-removal" "$url_2" "${included[@]}" --phases examples,coverage,fuzzing
}

# SQLite: the service creates, migrates and seeds a new file by itself.
fuzz_backend sqlite "sqlite://$WORK/pass1.db" "sqlite://$WORK/pass2.db"

# PostgreSQL: fresh databases, migrated and seeded by sales-admin.
PG_URL="${SALES_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if command -v psql >/dev/null 2>&1 && psql "$PG_URL" -Atqc 'SELECT 1' >/dev/null 2>&1; then
    urls=()
    for pass in 1 2; do
        db="sales_schemathesis_$$_$pass"
        PGOPTIONS='-c client_min_messages=warning' psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
        url="$(python3 - "$PG_URL" "$db" <<'EOF'
import sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
print(urllib.parse.urlunsplit(u._replace(path="/" + sys.argv[2])))
EOF
)"
        SALES_DB_URL="$url" "$ADMIN" migrate-seed >"$WORK/migrate-seed.log" 2>&1 || { cat "$WORK/migrate-seed.log" >&2; exit 1; }
        urls+=("$url")
    done
    drop_pg() { for pass in 1 2; do psql "$PG_URL" -qc "DROP DATABASE IF EXISTS sales_schemathesis_$$_$pass" >/dev/null 2>&1 || true; done; }
    trap 'cleanup; drop_pg' EXIT
    fuzz_backend postgres "${urls[0]}" "${urls[1]}"
elif [ "${CI:-}" = "true" ]; then
    echo "CI=true but PostgreSQL is not reachable at $PG_URL (or psql is missing)" >&2
    exit 1
else
    echo "NOTICE: no PostgreSQL at $PG_URL (or no psql): fuzzed SQLite only"
fi

echo
echo "schemathesis: no 5xx and every response as documented (seed $SEED, $EXAMPLES examples per operation and phase)"
