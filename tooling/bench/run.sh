#!/usr/bin/env bash
# `make bench`: release binaries, seeded databases, sales-api under load, and the
# limits beside it (bare axum for the framework, pgbench running the same SQL for
# PostgreSQL). Prints the table; writes target/bench/results.json.
#
# It builds only what it measures (sales-api, loadgen, bench-hello): the service
# migrates each database itself at start (SALES_DB_AUTO_MIGRATE, the default), the
# seed rows come from business/sdk/seed/*.sql (psql; the service seeds a new SQLite
# file itself), and the bearer token from the service's own token endpoint.
#
# Knobs (env): BENCH_DURATION (s per measured run, after loadgen's 0.5 s warm-up; 2),
# BENCH_ROUNDS (endpoint/limit pairs alternate this many times, the median round's
# ratio counts; 3), BENCH_CONNECTIONS (50),
# BENCH_PG_URL (a PostgreSQL superuser URL, postgres://postgres@127.0.0.1:5432/postgres),
# BENCH_SKIP_BUILD=1, BENCH_SKIP_1M=1, BENCH_SKIP_SQLITE=1, BENCH_PROFILE (cargo profile, release).
# Needs: psql, pgbench, sqlite3, jq, curl. Runs on Linux (/proc for RSS and CPU).
set -euo pipefail
cd "$(dirname "$0")/../.."
T_BEGIN=$(date +%s)

DUR=${BENCH_DURATION:-2}
ROUNDS=${BENCH_ROUNDS:-3}
ROUND=""
CONNS=${BENCH_CONNECTIONS:-50}
PG_ADMIN_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PG_BASE=${PG_ADMIN_URL%/*}
OUT=target/bench
PROFILE=${BENCH_PROFILE:-release}
BIN=target/$PROFILE
ADMIN_ID=5cf37266-3473-4006-984f-9325122678b7
# The seeded admin's credentials (business/sdk/seed/*.sql) and the committed
# development key's kid (zarf/keys), for GET /v1/auth/token/{kid}.
ADMIN_CREDENTIALS=admin@example.com:garagesale
DEV_KID=54bb2165-71e1-41a6-af3e-7da4a0e1e2c1
N_USERS=1000
N_SMALL=10000
N_LARGE=1000000
CLK=$(getconf CLK_TCK)

# Missing tools are installed from Debian's packages when we can (root + apt-get).
declare -A PKG=([psql]=postgresql-client [pgbench]=postgresql-client [sqlite3]=sqlite3 [jq]=jq [curl]=curl [bc]=bc)
missing=()
for tool in psql pgbench sqlite3 jq curl bc; do
    command -v "$tool" >/dev/null || missing+=("${PKG[$tool]}")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        echo "bench: installing ${missing[*]}"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "bench: needs these packages: ${missing[*]} (e.g. sudo apt-get install ${missing[*]})" >&2
        exit 1
    fi
fi
pg_isready -q -d "$PG_ADMIN_URL" || { echo "bench: no PostgreSQL at $PG_ADMIN_URL (BENCH_PG_URL)" >&2; exit 1; }

if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    cargo build --profile "$PROFILE" -p sales-api -p loadgen
fi
T_BUILT=$(date +%s)

rm -rf "$OUT" && mkdir -p "$OUT"
RES=$OUT/results.jsonl
: >"$RES"
{
    echo "date: $(date -u +%FT%TZ)"
    echo "uptime: $(uptime)"
    echo "cpus: $(nproc)"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (dirty)')"
} | tee "$OUT/machine.txt"

PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

# Listening ports come from below the kernel's ephemeral range: the load generator's
# and the pools' outgoing connections take ephemeral ports, and a port held by one of
# them cannot be bound (a bench run once failed so, "Address already in use").
EPHEMERAL_LOW=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
free_port() {
    local p
    while :; do
        p=$((10000 + RANDOM % (EPHEMERAL_LOW - 10000)))
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
}
status_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
wait_ready() { # url
    for _ in $(seq 1 300); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
    echo "bench: $1 never became ready" >&2
    return 1
}
metric() { # id value unit max
    jq -nc --arg id "$1" --argjson v "$2" --arg unit "$3" --argjson max "${4:-null}" \
        '{kind: "metric", id: $id, value: $v, unit: $unit, max: $max}' >>"$RES"
}

# measure KIND ID LIMIT_ID TARGET PID SCENARIO BASE [loadgen args...]: one loadgen
# run (after its warm-up); loadgen reads the CPU time and peak RSS of PID over the
# measured window itself. KIND: endpoint (the service) or limit (bare axum).
measure() {
    local kind=$1 id=$2 limit=$3 target=$4 pid=$5 scen=$6 base=$7
    shift 7
    local j
    j=$("$BIN/loadgen" run --scenario "$scen" --base "$base" --connections "$CONNS" \
        --duration-secs "$DUR" --label "$id" --pid "$pid" --clk-tck "$CLK" "$@")
    jq -c --arg kind "$kind" --arg id "$id" --arg limit "$limit" --argjson target "${target:-null}" \
        --argjson round "${ROUND:-null}" \
        '. + {kind: $kind, id: $id, limit: (if $limit == "" then null else $limit end),
              target_ratio: $target, round: $round}' <<<"$j" >>"$RES"
    jq -r --arg r "${ROUND:+ (round $ROUND)}" \
        '"  \(.label)\($r): \(.rps | floor) req/s, p50 \(.p50_ms) ms, p99 \(.p99_ms) ms, errors \(.errors) \(.statuses)"' <<<"$j"
}

# pgb ID DBURL SCRIPT [pgbench -D args...]: the database limit for an endpoint.
pgb() {
    local id=$1 url=$2 script=$3
    shift 3
    local out tps lat failed
    out=$(pgbench -n -M prepared -c "$CONNS" -j 2 -T "$DUR" -f "tooling/bench/pgbench/$script" \
        -D admin="$ADMIN_ID" "$@" "$url" 2>&1) || { echo "$out" >&2; return 1; }
    tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p;T;q' <<<"$out")
    lat=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p;T;q' <<<"$out")
    failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p;T;q' <<<"$out")
    jq -nc --arg id "$id" --argjson tps "$tps" --argjson lat "${lat:-null}" --argjson failed "${failed:-0}" \
        --argjson round "${ROUND:-null}" \
        '{kind: "limit", id: $id, rps: $tps, mean_ms: $lat, errors: $failed, tool: "pgbench -M prepared", round: $round}' >>"$RES"
    echo "  $id${ROUND:+ (round $ROUND)}: $tps tps, mean $lat ms, failed ${failed:-0}"
}

start_api() { # DBURL LOGFILE -> sets API_PID, API_BASE
    local port dport
    port=$(free_port)
    dport=$(free_port)
    # MALLOC_ARENA_MAX=2 as the Docker image sets it (zarf/docker/dockerfile.sales-api).
    SALES_WEB_API_HOST=127.0.0.1:$port SALES_WEB_DEBUG_HOST=127.0.0.1:$dport SALES_DB_URL=$1 \
        SALES_LOG_LEVEL=warn SALES_LOG_FORMAT=json MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}" \
        "$BIN/sales-api" >"$2" 2>&1 &
    API_PID=$!
    PIDS+=("$API_PID")
    API_BASE=http://127.0.0.1:$port
    wait_ready "$API_BASE/v1/readiness"
}
stop_api() {
    kill "$API_PID" 2>/dev/null || true
    wait "$API_PID" 2>/dev/null || true
}

# An admin token, from the service's own token endpoint (Basic credentials).
admin_token() { # BASE
    curl -fsS -u "$ADMIN_CREDENTIALS" "$1/v1/auth/token/$DEV_KID" | jq -er .token
}

seed_pg() { # DBNAME NPRODUCTS
    local db=$1 n=$2
    psql -q -X -v ON_ERROR_STOP=1 "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
    # The service migrates the new database at start; the seed rows are the same
    # script `sales-admin seed` runs.
    start_api "$PG_BASE/$db" "$OUT/sales-api-migrate-$db.log"
    stop_api
    psql -q -X -v ON_ERROR_STOP=1 -f business/sdk/seed/pg.sql "$PG_BASE/$db"
    # Same column formats as the stores; ids are md5('u'|'p' || n)::uuid so the
    # pgbench scripts can address them; every bench product starts with 1,000,000 units.
    psql -q -X -v ON_ERROR_STOP=1 "$PG_BASE/$db" <<SQL
INSERT INTO users (user_id, name, email, roles, password_hash, department, enabled, version, date_created, date_updated)
SELECT md5('u' || i)::uuid, 'Bench User ' || i, 'bench' || i || '@example.com', 'USER',
       (SELECT password_hash FROM users WHERE email = 'admin@example.com'), NULL, TRUE, 1, now(), now()
  FROM generate_series(1, $N_USERS) i;
INSERT INTO products (product_id, user_id, name, cost_cents, quantity, version, date_created, date_updated)
SELECT md5('p' || i)::uuid, md5('u' || (i % $N_USERS + 1))::uuid, 'Product ' || i, 100 + i % 10000, 1000000, 1,
       now() - (i || ' seconds')::interval, now()
  FROM generate_series(1, $n) i;
VACUUM ANALYZE;
SQL
}

# units sold + units left = 1,000,000 for every bench product, and nothing negative.
oversold_pg() { # DBURL
    psql -X -At "$1" -c "SELECT count(*) FROM products p
        LEFT JOIN (SELECT l.product_id, sum(l.quantity) AS sold FROM sale_lines l JOIN sales s USING (sale_id)
                    WHERE s.status = 'COMPLETED' GROUP BY 1) x USING (product_id)
        WHERE p.quantity < 0 OR (p.name LIKE 'Product %' AND coalesce(x.sold, 0) + p.quantity <> 1000000)"
}
oversold_sqlite() { # FILE
    sqlite3 "$1" "SELECT count(*) FROM products p
        LEFT JOIN (SELECT l.product_id, sum(l.quantity) AS sold FROM sale_lines l JOIN sales s USING (sale_id)
                    WHERE s.status = 'COMPLETED' GROUP BY 1) x USING (product_id)
        WHERE p.quantity < 0 OR (p.name LIKE 'Product %' AND coalesce(x.sold, 0) + p.quantity <> 1000000)"
}

# ---------------------------------------------------------------------------
# Every ratio is measured in ROUNDS rounds, each an endpoint run right beside its
# limit run: this machine's speed drifts over minutes (shared cores), and a limit
# taken minutes apart from its endpoint made the ratio swing by ±0.2 between runs.
# The report pairs each round's endpoint with the limit of the same round and takes
# the median of the rounds' ratios.
#
# paired ENDPOINT-COMMAND LIMIT-COMMAND (each a string of words): both, ROUNDS times.
paired() {
    local endpoint=$1 limit=$2
    for ROUND in $(seq 1 "$ROUNDS"); do
        eval "$endpoint"
        eval "$limit"
    done
    ROUND=""
}

# The framework limit: bare axum on a port of its own, for one run.
hello_limit() { # ID
    local hp hello_pid
    hp=$(free_port)
    "$BIN/bench-hello" "127.0.0.1:$hp" 2>/dev/null &
    hello_pid=$!
    PIDS+=("$hello_pid")
    wait_ready "http://127.0.0.1:$hp/v1/liveness"
    measure limit "$1" "" "" "$hello_pid" liveness "http://127.0.0.1:$hp"
    kill "$hello_pid"
    wait "$hello_pid" 2>/dev/null || true
}
# ---------------------------------------------------------------------------
echo "== PostgreSQL, $N_SMALL products"
seed_pg sales_bench "$N_SMALL"
PG_URL=$PG_BASE/sales_bench
psql -X -At "$PG_URL" -c "SELECT product_id FROM products WHERE name LIKE 'Product %' ORDER BY random() LIMIT 10000" >"$OUT/ids_pg.txt"
HOT_PG=$(psql -X -At "$PG_URL" -c "SELECT md5('p1')::uuid")
start_api "$PG_URL" "$OUT/sales-api-pg.log"
sleep 1
metric pg/idle_rss_mib "$(echo "$(status_kib "$API_PID" VmRSS) / 1024" | bc -l)" MiB 20
export LOADGEN_TOKEN
LOADGEN_TOKEN=$(admin_token "$API_BASE")
echo "== endpoint 1 and the framework limit (bare axum, bench-hello), $ROUNDS rounds"
paired 'measure endpoint pg/liveness hello/liveness 0.6 "$API_PID" liveness "$API_BASE"' \
    'hello_limit hello/liveness'
echo "== endpoints 2-5 and the database limit (pgbench running the same statements), $ROUNDS rounds each"
paired 'measure endpoint pg/list pgbench/list 0.5 "$API_PID" list "$API_BASE"' \
    'pgb pgbench/list "$PG_URL" list.sql'
paired 'measure endpoint pg/get pgbench/get 0.5 "$API_PID" get "$API_BASE" --ids "$OUT/ids_pg.txt"' \
    'pgb pgbench/get "$PG_URL" get.sql -D nprod="$N_SMALL"'
paired 'measure endpoint pg/create pgbench/create 0.5 "$API_PID" create "$API_BASE"' \
    'pgb pgbench/create "$PG_URL" create.sql'
paired 'measure endpoint pg/sale-hot pgbench/sale-hot 0.5 "$API_PID" sale-hot "$API_BASE" --hot-id "$HOT_PG"' \
    'pgb pgbench/sale-hot "$PG_URL" sale_hot.sql -D hot=1'
paired 'measure endpoint pg/sale-spread pgbench/sale-spread 0.5 "$API_PID" sale-spread "$API_BASE" --ids "$OUT/ids_pg.txt"' \
    'pgb pgbench/sale-spread "$PG_URL" sale_spread.sql -D nprod="$N_SMALL"'
stop_api

# Overload (load shedding): the service's concurrency limit set to the usual load
# (SALES_WEB_MAX_IN_FLIGHT=$CONNS), then GET /v1/products/{id} from 4x as many
# connections. The excess is answered 503 + Retry-After at once instead of queueing.
# Two kinds of client:
# - polite: waits as Retry-After says (loadgen --honor-retry-after), what the 503
#   asks of a client. Targets: the p99 of the requests served stays within 2x
#   pg/get's p99, and the median refusal is no slower than pg/get's median (the
#   refusals' p99 is shown: the 150 connections refused in the first instant, all
#   opened at once, set it).
# - storm: every worker retries at once, the worst client. No latency target: on 2
#   shared cores the load generator's own retry storm takes the CPU (see
#   docs/performance.md); it must still answer nothing but 200/503, never time out.
# pg/get at 1x, as the report shows it: the worst round's p99, the rounds' mean p50.
base_p99=$(jq -rs 'map(select(.id == "pg/get") | .p99_ms) | max' "$RES")
base_p50=$(jq -rs 'map(select(.id == "pg/get") | .p50_ms) | add / length' "$RES")
# Not in a $(...) subshell: start_api must record the service in PIDS, so the EXIT
# trap stops it if the bench is interrupted.
overload() { # LABEL [loadgen args...] -> $OUT/overload-LABEL.json
    local label=$1
    shift
    SALES_WEB_MAX_IN_FLIGHT=$CONNS start_api "$PG_URL" "$OUT/sales-api-pg-$label.log"
    # Twice the usual run: a refused polite client waits a second before it retries.
    "$BIN/loadgen" run --scenario get --base "$API_BASE" --connections "$((4 * CONNS))" \
        --duration-secs "$((2 * DUR))" --label "pg/get-4x-$label" --ids "$OUT/ids_pg.txt" "$@" \
        >"$OUT/overload-$label.json"
    stop_api
}
for kind in polite storm; do
    echo "overload ($kind clients): pg/get at $((4 * CONNS)) connections, concurrency limit $CONNS"
    if [ "$kind" = polite ]; then overload polite --honor-retry-after; else overload storm; fi
    ov=$(<"$OUT/overload-$kind.json")
    jq -r '"  \(.label): \(.rps | floor) req/s, p99 \(.p99_ms) ms (200s \(.ok_p99_ms), 503s p50 \(.shed_p50_ms) p99 \(.shed_p99_ms)), \(.statuses)"' <<<"$ov"
    if [ "$kind" = polite ]; then
        metric "pg/get 4x polite: p99 of 200s ÷ p99 at 1x" "$(jq -r --argjson b "$base_p99" '.ok_p99_ms / $b' <<<"$ov")" × 2
        metric "pg/get 4x polite: p50 of 503s (≤ 1x p50)" "$(jq -r '.shed_p50_ms' <<<"$ov")" ms "$base_p50"
        metric "pg/get 4x polite: p99 of 503s" "$(jq -r '.shed_p99_ms' <<<"$ov")" ms
    else
        metric "pg/get 4x storm: p99 of 200s ÷ p99 at 1x" "$(jq -r --argjson b "$base_p99" '.ok_p99_ms / $b' <<<"$ov")" ×
        metric "pg/get 4x storm: p50 of 503s" "$(jq -r '.shed_p50_ms' <<<"$ov")" ms
        metric "pg/get 4x storm: p99 of 503s" "$(jq -r '.shed_p99_ms' <<<"$ov")" ms
    fi
    metric "pg/get 4x $kind: share answered 503" "$(jq -r '((.statuses["503"] // 0) / .requests * 100)' <<<"$ov")" %
    metric "pg/get 4x $kind: answers other than 200/503" \
        "$(jq -r '[.statuses | to_entries[] | select(.key != "200" and .key != "503") | .value] | add // 0' <<<"$ov")" responses 0
done
metric pg/oversold_products "$(oversold_pg "$PG_URL")" products 0

# ---------------------------------------------------------------------------
if [ "${BENCH_SKIP_1M:-0}" != 1 ]; then
    echo "== PostgreSQL, $N_LARGE products"
    seed_pg sales_bench_1m "$N_LARGE"
    PG1M_URL=$PG_BASE/sales_bench_1m
    start_api "$PG1M_URL" "$OUT/sales-api-pg1m.log"
    LOADGEN_TOKEN=$(admin_token "$API_BASE")
    paired 'measure endpoint pg1m/list pgbench1m/list 0.5 "$API_PID" list "$API_BASE"' \
        'pgb pgbench1m/list "$PG1M_URL" list.sql'
    stop_api
    metric "pg/list p50 ratio 1M ÷ 10k products" \
        "$(jq -s '(map(select(.id == "pg1m/list"))[0].p50_ms) / (map(select(.id == "pg/list"))[0].p50_ms)' "$RES")" × 2
fi

# ---------------------------------------------------------------------------
if [ "${BENCH_SKIP_SQLITE:-0}" != 1 ]; then
    echo "== SQLite, $N_SMALL products"
    DB=$OUT/sales.db
    # A new file: the service creates, migrates and seeds it at its first start.
    start_api "sqlite://$DB" "$OUT/sales-api-sqlite-first-start.log"
    stop_api
    sqlite3 "$DB" <<SQL
PRAGMA journal_mode = WAL;
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $N_USERS)
INSERT INTO users (user_id, name, email, roles, password_hash, department, enabled, version, date_created, date_updated)
SELECT randomblob(16), 'Bench User ' || i, 'bench' || i || '@example.com', 'USER',
       (SELECT password_hash FROM users WHERE email = 'admin@example.com'), NULL, 1, 1,
       strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z', strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z' FROM s;
CREATE TEMP TABLE bu AS SELECT row_number() OVER (ORDER BY email) AS n, user_id FROM users WHERE email LIKE 'bench%';
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $N_SMALL)
INSERT INTO products (product_id, user_id, name, cost_cents, quantity, version, date_created, date_updated)
SELECT randomblob(16), (SELECT user_id FROM bu WHERE n = i % $N_USERS + 1), 'Product ' || i, 100 + i % 10000, 1000000, 1,
       strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z', strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z' FROM s;
ANALYZE;
SQL
    sqlite3 "$DB" "SELECT lower(substr(hex(product_id),1,8)||'-'||substr(hex(product_id),9,4)||'-'||substr(hex(product_id),13,4)||'-'||substr(hex(product_id),17,4)||'-'||substr(hex(product_id),21,12)) FROM products WHERE name LIKE 'Product %' ORDER BY random()" >"$OUT/ids_sqlite.txt"
    HOT_SQ=$(head -1 "$OUT/ids_sqlite.txt")
    # Cold start to the first ready answer, on the already-migrated file (best of 3).
    best=""
    for _ in 1 2 3; do
        cp=$(free_port)
        cs=$(SALES_WEB_API_HOST=127.0.0.1:$cp SALES_WEB_DEBUG_HOST=127.0.0.1:$(free_port) SALES_DB_URL=sqlite://$DB \
            SALES_LOG_LEVEL=warn SALES_LOG_FORMAT=json "$BIN/loadgen" coldstart \
            --url "http://127.0.0.1:$cp/v1/readiness" -- "$BIN/sales-api" | jq .cold_start_ms)
        echo "  cold start: $cs ms"
        best=$(jq -n --argjson a "${best:-1e9}" --argjson b "$cs" '[$a, $b] | min')
    done
    metric "sqlite/cold_start_ms (best of 3)" "$best" ms 100
    start_api "sqlite://$DB" "$OUT/sales-api-sqlite.log"
    sleep 1
    metric sqlite/idle_rss_mib "$(echo "$(status_kib "$API_PID" VmRSS) / 1024" | bc -l)" MiB 20
    LOADGEN_TOKEN=$(admin_token "$API_BASE")
    paired 'measure endpoint sqlite/liveness hello/liveness-sqlite 0.6 "$API_PID" liveness "$API_BASE"' \
        'hello_limit hello/liveness-sqlite'
    measure endpoint sqlite/list "" "" "$API_PID" list "$API_BASE"
    measure endpoint sqlite/get "" "" "$API_PID" get "$API_BASE" --ids "$OUT/ids_sqlite.txt"
    measure endpoint sqlite/create "" "" "$API_PID" create "$API_BASE"
    measure endpoint sqlite/sale-hot "" "" "$API_PID" sale-hot "$API_BASE" --hot-id "$HOT_SQ"
    measure endpoint sqlite/sale-spread "" "" "$API_PID" sale-spread "$API_BASE" --ids "$OUT/ids_sqlite.txt"
    stop_api
    metric sqlite/oversold_products "$(oversold_sqlite "$DB")" products 0
fi

# Peak RSS under load, per backend (the largest VmHWM of its measurements).
for b in pg pg1m sqlite; do
    v=$(jq -s --arg b "$b" '[.[] | select(.kind == "endpoint" and (.id | startswith($b + "/"))) | .rss_peak_kib] | max // empty' "$RES")
    [ -n "$v" ] && metric "$b/peak_rss_mib under load" "$(echo "$v / 1024" | bc -l)" MiB 64
done
# The issue's limit is on the whole `make bench`, build included.
metric "tools and build (cargo build --profile $PROFILE)" "$((T_BUILT - T_BEGIN))" s
metric "measurements (after the build)" "$(($(date +%s) - T_BUILT))" s
metric "make bench, start to finish" "$(($(date +%s) - T_BEGIN))" s 600

"$BIN/loadgen" report "$RES" --out "$OUT/results.json"
