#!/usr/bin/env bash
# Issue #3: sync against the real hush-server on loopback (docs/benchmarks.md).
#
#   bench/sync.sh          # about 5 minutes; results in target/bench/sync/
#
# 1. sync_bench measure: initial sync of 10,000 items to a new device, an empty
#    incremental sync, a push of one item into the 10,000-item account, bytes on the
#    wire (Rust example over hush_sync::http::HttpTransport; medians of RUNS runs).
# 2. wrk, CONN concurrent connections for DURATION each, against GET /v1/vault:
#    empty incremental pulls (?since=<current seq>) and full pulls (?since=0), of a
#    10,000-item account and of a SMALL-item account, the latter on a server holding
#    only it, then next to a 10,000-item and a BIG-item account (one account's cost
#    must not depend on the others). The server is restarted before each run so that
#    its peak RSS (VmHWM) and CPU time belong to that run alone.
# 3. EXPLAIN QUERY PLAN of the pull and push queries of server/src/store/sqlite.rs.
#
# Every server listens on 127.0.0.1 only and is killed at exit. Session tokens live in
# a 0700 temporary folder (removed at exit) and reach wrk and curl through files, never
# the command line.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-5}
DURATION=${DURATION:-15s}
CONN=${CONN:-50}
SMALL=${SMALL:-10}
BIG=${BIG:-100000}
OUT=${OUT:-target/bench/sync}
PERF=${PERF:-0} # 1: perf-record the server for 10 s of the 10k full-pull run (perf report -i …)

for tool in wrk curl sqlite3; do
    command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install -y $tool)" >&2; exit 2; }
done
cargo build --release -p hush-server
cargo build --release -p hush-sync --example sync_bench
SERVER=$PWD/target/release/hush-server
BENCH=$PWD/target/release/examples/sync_bench
mkdir -p "$OUT"
rm -f "$OUT"/*.txt

work=$(mktemp -d)
chmod 700 "$work"
server_pid=
url=
cleanup() {
    if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

start_server() { # DATA_DIR
    : >"$work/server.out"
    "$SERVER" serve --listen 127.0.0.1:0 --data-dir "$1" >"$work/server.out" 2>>"$work/server.log" &
    server_pid=$!
    local line=
    for _ in $(seq 100); do
        line=$(head -n 1 "$work/server.out")
        [[ $line == "listening on "* ]] && break
        sleep 0.1
    done
    [[ $line == "listening on 127.0.0.1:"* ]] || { echo "the server did not start: $line" >&2; exit 1; }
    url="http://${line#listening on }"
}

stop_server() {
    kill "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    server_pid=
}

restart_server() { stop_server; start_server "$1"; }

invite() { "$SERVER" invite --data-dir "$1"; }

populate() { # DATA_DIR ITEMS TOKEN_FILE → prints the seq
    "$BENCH" populate --server "$url" --invite "$(invite "$1")" --items "$2" --token-out "$3"
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }

# Authorization header from a token file, for wrk (Lua) and curl (-H @file).
cat >"$work/auth.lua" <<'EOF'
local f = assert(io.open(os.getenv("TOKEN_FILE")))
wrk.headers["Authorization"] = "Bearer " .. f:read("*a")
f:close()
EOF

load() { # LABEL TOKEN_FILE SINCE — restarts the server, runs wrk, records RSS and CPU
    local label=$1 token=$2 since=$3
    restart_server "$data"
    printf 'Authorization: Bearer %s\n' "$(cat "$token")" >"$work/header"
    local check
    check=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' -H @"$work/header" "$url/v1/vault?since=$since")
    [[ $check == 200\ * ]] || { echo "$label: GET answered $check" >&2; exit 1; }
    local perf_pid=
    if [[ $PERF == 1 && $label == full-10000 ]]; then
        perf record -F 499 --call-graph dwarf,32768 -p "$server_pid" -o "$OUT/server-full.perf" -- sleep 10 >/dev/null 2>&1 &
        perf_pid=$!
    fi
    local before after
    before=$(cpu_ticks)
    TOKEN_FILE=$2 wrk --latency -t2 -c"$CONN" -d"$DURATION" --timeout 30s -s "$work/auth.lua" \
        "$url/v1/vault?since=$since" >"$OUT/$label.txt"
    after=$(cpu_ticks)
    [[ -n $perf_pid ]] && wait "$perf_pid"
    {
        echo "body bytes: ${check#200 }"
        echo "server CPU: $(( (after - before) * 1000 / $(getconf CLK_TCK) )) ms"
        grep -E 'VmHWM|VmRSS' "/proc/$server_pid/status"
    } >>"$OUT/$label.txt"
    if grep -q 'Non-2xx\|Socket errors' "$OUT/$label.txt"; then echo "$label: errors, see $OUT/$label.txt" >&2; fi
    summary "$label"
}

summary() { # LABEL: one line from wrk's output
    awk -v label="$1" '
        /Requests\/sec/ {rps = $2}
        / 50%/ {p50 = $2} / 99%/ {p99 = $2}
        /requests in/ {n = $1}
        /body bytes/ {body = $3}
        /server CPU/ {cpu = $3}
        /VmHWM/ {hwm = $2 / 1024}
        END {printf "%-28s %9s req/s  p50 %8s  p99 %8s  body %9s B  server CPU/req %6.2f ms  peak RSS %6.1f MiB\n",
                    label, rps, p50, p99, body, (n ? cpu / n : 0), hwm}' "$OUT/$1.txt" | tee -a "$OUT/summary.txt"
}

: >"$OUT/summary.txt"

echo "== 1. sync engine over HTTP (medians of $RUNS runs) =="
data=$work/measure
start_server "$data"
"$BENCH" measure --server "$url" --invite "$(invite "$data")" --items 10000 --runs "$RUNS" | tee "$OUT/measure.txt"
stop_server

echo "== 2. wrk -t2 -c$CONN -d$DURATION, GET /v1/vault =="
data=$work/load
start_server "$data"
small_seq=$(populate "$data" "$SMALL" "$work/token-small")
load "incr-$SMALL-alone" "$work/token-small" "$small_seq"
load "full-$SMALL-alone" "$work/token-small" 0

ten_seq=$(populate "$data" 10000 "$work/token-10k")
load incr-10000 "$work/token-10k" "$ten_seq"
load full-10000 "$work/token-10k" 0
load "incr-$SMALL-next-to-10k" "$work/token-small" "$small_seq"
load "full-$SMALL-next-to-10k" "$work/token-small" 0

populate "$data" "$BIG" "$work/token-big" >/dev/null
load "incr-$SMALL-next-to-$BIG" "$work/token-small" "$small_seq"
load "full-$SMALL-next-to-$BIG" "$work/token-small" 0
load "full-10000-next-to-$BIG" "$work/token-10k" 0
stop_server

echo "== 3. query plans =="
db=$data/hush-server.db
{
    echo "rows: $(sqlite3 "$db" 'SELECT count(*) FROM items') items in $(sqlite3 "$db" 'SELECT count(*) FROM accounts') accounts"
    while IFS= read -r q; do
        [[ -z $q ]] && continue
        echo "-- $q"
        sqlite3 "$db" "EXPLAIN QUERY PLAN $q"
    done <<'EOF'
SELECT session_id, account_id, token_hash, device_name, created_at, last_seen FROM sessions WHERE token_hash = ?
UPDATE sessions SET last_seen = ? WHERE session_id = ? AND last_seen < ?
SELECT keyset, key_version, manifest, seq FROM accounts WHERE account_id = ?
SELECT item_id, seq, blob FROM items WHERE account_id = ? AND seq > ? ORDER BY seq, item_id
SELECT seq, item_count, blob_bytes FROM accounts WHERE account_id = ?
SELECT length(blob) FROM items WHERE account_id = ? AND item_id = ?
INSERT INTO items (account_id, item_id, seq, blob) VALUES (?, ?, ?, ?) ON CONFLICT (account_id, item_id) DO UPDATE SET seq = excluded.seq, blob = excluded.blob
UPDATE accounts SET seq = ?, manifest = ?, item_count = ?, blob_bytes = ? WHERE account_id = ?
EOF
} | tee "$OUT/query-plans.txt"

echo "== summary =="
cat "$OUT/summary.txt"
