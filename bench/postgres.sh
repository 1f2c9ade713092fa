#!/usr/bin/env bash
# Issue #11: hush-server on SQLite, on PostgreSQL with one instance, and on PostgreSQL with two
# instances, side by side in one run (docs/benchmarks.md, "Issue #11").
#
#   bench/postgres.sh        # about 10 minutes; results in target/bench/postgres/
#
# Two loads, CONN (50) clients each, DURATION (10 s) per run, RUNS (3) runs per cell, medians:
# - full pulls: GET /v2/vault?since=0 of one account holding ITEMS (10,000) items, from wrk with
#   CONN connections;
# - one-item pushes: CONN clients, each its own account, each pushing one edited item over and
#   over with the base_seq its previous push returned (one `wrk -t1 -c1` per client, since wrk
#   cannot tie a Lua state to a connection). Pushes to different accounts, so they must not wait
#   for each other.
# "Two instances" are two hush-server processes on one database, each given half the clients
# directly (no proxy: its cost would be the proxy's, not hush's).
#
# Per cell: requests per second, the CPU time per request of the hush-server processes and, for
# PostgreSQL, of the database's processes as well (postmaster and backends, reaped ones
# included), the peak RSS of each hush-server process, and the database's proportional memory
# (PSS, so shared buffers count once). The load average is printed with each cell.
#
# Everything listens on 127.0.0.1 only and is stopped at exit. PostgreSQL runs in a throwaway
# cluster (initdb in a temporary folder, as the postgres user when run as root) with its
# default durability (fsync and synchronous_commit on), like a real deployment. Session tokens
# live in a 0700 temporary folder and reach wrk through files, never the command line.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
CONN=${CONN:-50}
ITEMS=${ITEMS:-10000}
OUT=${OUT:-target/bench/postgres}

for tool in wrk curl; do
    command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install -y $tool)" >&2; exit 2; }
done
pgbin=
for dir in $(dirname "$(readlink -f "$(command -v pg_ctl 2>/dev/null || echo /nonexistent)")") /usr/lib/postgresql/*/bin; do
    if [[ -x $dir/initdb && -x $dir/pg_ctl && -x $dir/createdb ]]; then pgbin=$dir; fi
done
[[ -n $pgbin ]] || { echo "needs PostgreSQL (apt-get install -y postgresql)" >&2; exit 2; }

PROFILE=${PROFILE:-release} # debug: only to try this script quickly; figures are release
if [[ $PROFILE == release ]]; then flag=--release; dir=release; else flag=; dir=debug; fi
cargo build $flag -p hush-server
cargo build $flag -p hush-sync --example sync_bench
SERVER=$PWD/target/$dir/hush-server
BENCH=$PWD/target/$dir/examples/sync_bench
mkdir -p "$OUT"
rm -f "$OUT"/*.txt

work=$(mktemp -d)
chmod 700 "$work"
pgdir=$(mktemp -d /tmp/hush-bench-pg.XXXXXX)
as_pg=()
if [[ $(id -u) == 0 ]]; then
    chown postgres: "$pgdir"
    as_pg=(runuser -u postgres --)
fi
pgport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
server_pids=()
cleanup() {
    for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    (cd "$pgdir" && "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" stop -m fast >/dev/null 2>&1) || true
    cp "$work/server.log" "$OUT/server.log" 2>/dev/null || true # no tokens: the server never logs them
    rm -rf "$work" "$pgdir"
}
trap cleanup EXIT

echo "== PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pgport"
(cd "$pgdir" && "${as_pg[@]}" "$pgbin/initdb" -D "$pgdir/data" --auth=trust --username=postgres --locale=C >/dev/null)
(cd "$pgdir" && "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
    -o "-c listen_addresses=127.0.0.1 -c port=$pgport -c unix_socket_directories=$pgdir -c max_connections=200" start >/dev/null)
"$pgbin/createdb" -h 127.0.0.1 -p "$pgport" -U postgres hush
export HUSH_SERVER_DATABASE_URL="postgres://postgres@127.0.0.1:$pgport/hush"
postmaster=$(head -n 1 "$pgdir/data/postmaster.pid")

# start_servers N STORE... : starts N instances (STORE "sqlite DIR" or "pg"), sets $urls.
urls=()
start_servers() {
    local n=$1 kind=$2 dir=${3:-}
    stop_servers
    urls=()
    for _ in $(seq "$n"); do
        # Created here, not by the redirection below: the child may open it after `head` looks.
        local out
        out=$(mktemp "$work/server.XXXXXX")
        if [[ $kind == sqlite ]]; then
            env -u HUSH_SERVER_DATABASE_URL "$SERVER" serve --listen 127.0.0.1:0 --data-dir "$dir" >"$out" 2>>"$work/server.log" &
        else
            "$SERVER" serve --listen 127.0.0.1:0 >"$out" 2>>"$work/server.log" &
        fi
        server_pids+=($!)
        local line=
        for _ in $(seq 100); do
            line=$(head -n 1 "$out")
            [[ $line == "listening on "* ]] && break
            sleep 0.1
        done
        [[ $line == "listening on 127.0.0.1:"* ]] || { echo "the server did not start: $line" >&2; exit 1; }
        urls+=("http://${line#listening on }")
    done
}

stop_servers() {
    for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    server_pids=()
}

invite() { # KIND DIR
    if [[ $1 == sqlite ]]; then env -u HUSH_SERVER_DATABASE_URL "$SERVER" invite --data-dir "$2"; else "$SERVER" invite; fi
}

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
server_ticks() { local t=0; for pid in "${server_pids[@]}"; do t=$((t + $(ticks "$pid"))); done; echo "$t"; }
# The database's CPU: the postmaster, its reaped children (cutime, cstime) and its live ones.
db_ticks() {
    local t
    t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$postmaster/stat")
    for pid in $(pgrep -P "$postmaster"); do t=$((t + $(ticks "$pid" 2>/dev/null || echo 0))); done
    echo "$t"
}
db_pss_kib() {
    local total=0
    for pid in "$postmaster" $(pgrep -P "$postmaster"); do
        total=$((total + $(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)))
    done
    echo "$total"
}
hwm_mib() { for pid in "${server_pids[@]}"; do awk '/VmHWM/ {printf "%.0f ", $2 / 1024}' "/proc/$pid/status"; done; }

cat >"$work/pull.lua" <<'EOF'
local f = assert(io.open(os.getenv("TOKEN_FILE")))
wrk.headers["Authorization"] = "Bearer " .. f:read("*a")
f:close()
EOF

# One client pushing one edited item: base_seq from its previous answer (200 or 409 both carry
# the account's seq). The blob is 333 bytes, a typical padded item.
cat >"$work/push.lua" <<'EOF'
local f = assert(io.open(os.getenv("TOKEN_FILE")))
local token = f:read("*a")
f:close()
local seq = tonumber(os.getenv("SEQ"))
local b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local function blob(bytes)
    local out = {}
    for i = 1, math.floor(bytes * 4 / 3) do
        local n = math.random(1, 64)
        out[i] = b64:sub(n, n)
    end
    return table.concat(out)
end
local manifest = blob(87)
local id = string.format("%08x-0000-4000-8000-%012x", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Content-Type"] = "application/json"
request = function()
    local body = '{"base_seq":' .. seq .. ',"manifest":"' .. manifest .. '","items":[{"id":"' .. id ..
        '","blob":"' .. blob(333) .. '"}]}'
    return wrk.format(nil, "/v2/vault", nil, body)
end
response = function(status, headers, body)
    local s = body:match('"seq":(%d+)')
    if s then seq = tonumber(s) end
end
EOF

load_line() { # LABEL REQUESTS NON2XX SECONDS SERVER_TICKS DB_TICKS
    local label=$1 n=$2 bad=$3 secs=$4 sticks=$5 dticks=$6 hz
    hz=$(getconf CLK_TCK)
    awk -v l="$label" -v n="$n" -v bad="$bad" -v s="$secs" -v st="$sticks" -v dt="$dticks" -v hz="$hz" \
        -v hwm="$(hwm_mib)" -v pss="$(db_pss_kib)" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" -v kind="$kind" \
        'BEGIN { printf "%-26s %8.1f req/s  non-2xx %5d  server CPU/req %6.2f ms  db CPU/req %6.2f ms  server peak RSS MiB: %s  db PSS %s MiB  load %s\n",
                 l, n / s, bad, (n ? st * 1000 / hz / n : 0), (n && kind != "sqlite" ? dt * 1000 / hz / n : 0), hwm,
                 (kind == "sqlite" ? "-" : sprintf("%.0f", pss / 1024)), load }'
}

secs() { local d=${DURATION%s}; echo "$d"; }

pull_run() { # LABEL TOKEN_FILE
    local label=$1 token=$2 sticks dticks per=$((CONN / ${#urls[@]})) i=0
    local s0 d0 s1 d1 pids=()
    s0=$(server_ticks); d0=$(db_ticks)
    for url in "${urls[@]}"; do
        TOKEN_FILE=$token wrk -t1 -c"$per" -d"$DURATION" --timeout 30s -s "$work/pull.lua" "$url/v2/vault?since=0" \
            >"$work/wrk.$i" &
        pids+=($!)
        i=$((i + 1))
    done
    wait "${pids[@]}"
    s1=$(server_ticks); d1=$(db_ticks)
    local n bad
    n=$(cat "$work"/wrk.* | awk '/requests in/ {n += $1} END {print n + 0}')
    bad=$(cat "$work"/wrk.* | awk '/Non-2xx/ {n += $NF} END {print n + 0}')
    rm -f "$work"/wrk.*
    load_line "$label" "$n" "$bad" "$(secs)" $((s1 - s0)) $((d1 - d0))
}

# The next push run starts from each account's current seq. A seq that is not a number (a
# failed request) would make the Lua script push with a nil base_seq, so it stops the script.
refresh_seqs() {
    local k answer seq
    for k in $(seq 0 $((CONN - 1))); do
        printf 'Authorization: Bearer %s\n' "$(cat "$work/push-token.$k")" >"$work/header"
        answer=$(curl -s -H @"$work/header" "${urls[0]}/v2/vault?since=999999999" || true)
        seq=$(sed -n 's/.*"seq":\([0-9]*\).*/\1/p' <<<"$answer")
        [[ $seq =~ ^[0-9]+$ ]] || { echo "no seq for push account $k: ${answer:0:200}" >&2; exit 1; }
        echo "$seq" >"$work/push-seq.$k"
    done
}

push_run() { # LABEL  (tokens and seqs of the CONN push accounts in $work/push-token.K, $work/push-seq.K)
    local label=$1 s0 d0 s1 d1 pids=()
    s0=$(server_ticks); d0=$(db_ticks)
    for k in $(seq 0 $((CONN - 1))); do
        local url=${urls[$((k % ${#urls[@]}))]}
        TOKEN_FILE=$work/push-token.$k SEQ=$(cat "$work/push-seq.$k") \
            wrk -t1 -c1 -d"$DURATION" --timeout 30s -s "$work/push.lua" "$url" >"$work/wrk.$k" &
        pids+=($!)
    done
    wait "${pids[@]}"
    s1=$(server_ticks); d1=$(db_ticks)
    local n bad
    n=$(cat "$work"/wrk.* | awk '/requests in/ {n += $1} END {print n + 0}')
    bad=$(cat "$work"/wrk.* | awk '/Non-2xx/ {n += $NF} END {print n + 0}')
    rm -f "$work"/wrk.*
    refresh_seqs
    load_line "$label" "$n" "$bad" "$(secs)" $((s1 - s0)) $((d1 - d0))
}

populate() { # KIND DIR → accounts: one of ITEMS items (token-pull), CONN of one item each
    local kind=$1 dir=$2
    rm -f "$work"/token-pull "$work"/push-token.* "$work"/push-seq.*
    "$BENCH" populate --server "${urls[0]}" --invite "$(invite "$kind" "$dir")" --items "$ITEMS" \
        --token-out "$work/token-pull" >/dev/null
    for k in $(seq 0 $((CONN - 1))); do
        # Every registration logs in, and logins draw on the address's challenge budget (20,
        # then one every 5 s; docs/server.md, "Rate limiting"): all of this comes from 127.0.0.1,
        # so the budget is reset every 15 accounts (a restart for SQLite's in-memory budgets,
        # the table for PostgreSQL's).
        if (( k > 0 && k % 15 == 0 )); then
            if [[ $kind == sqlite ]]; then start_servers 1 sqlite "$dir"; else
                "$pgbin/psql" -X -q -d "$HUSH_SERVER_DATABASE_URL" -c "DELETE FROM rate_limits"; fi
        fi
        "$BENCH" populate --server "${urls[0]}" --invite "$(invite "$kind" "$dir")" --items 1 \
            --token-out "$work/push-token.$k" 2>>"$work/populate.log" >"$work/push-seq.$k" ||
            { echo "registering push account $k failed:" >&2; tail -n 3 "$work/populate.log" >&2; exit 1; }
    done
    refresh_seqs
}

median() { sort -t'|' -k1,1n | awk -F'|' '{a[NR] = $2} END {print a[int((NR + 1) / 2)]}'; }

run_cell() { # LABEL N KIND DIR WORKLOAD
    local label=$1 n=$2 kind=$3 dir=$4 workload=$5
    : >"$work/cell"
    for r in $(seq "$RUNS"); do
        start_servers "$n" "$kind" "$dir"
        local line
        if [[ $workload == pull ]]; then line=$(pull_run "$label" "$work/token-pull"); else line=$(push_run "$label"); fi
        echo "  run $r: $line" >>"$OUT/runs.txt"
        # Sort runs by req/s; the median run's whole line is reported.
        echo "$(echo "$line" | awk '{for (i = 1; i < NF; i++) if ($(i + 1) == "req/s") print $i}')|$line" >>"$work/cell"
    done
    median <"$work/cell" | tee -a "$OUT/summary.txt"
}

: >"$OUT/summary.txt"
: >"$OUT/runs.txt"
{
    echo "hush-server $("$SERVER" --version | awk '{print $2}'), $CONN clients, $DURATION per run, median of $RUNS runs"
    echo "machine: $(nproc) cores, $(uptime)"
} | tee -a "$OUT/summary.txt"

kind=sqlite
dir=$work/sqlite
start_servers 1 sqlite "$dir"
populate sqlite "$dir"
run_cell "sqlite full-pull" 1 sqlite "$dir" pull
run_cell "sqlite push" 1 sqlite "$dir" push

kind=pg
start_servers 1 pg ""
populate pg ""
run_cell "pg-1 full-pull" 1 pg "" pull
run_cell "pg-2 full-pull" 2 pg "" pull
run_cell "pg-1 push" 1 pg "" push
run_cell "pg-2 push" 2 pg "" push
# The same database connections in all as one instance (16), split over the two instances: on
# two cores, more backends than cores wait for each other, which the cell above may show.
HUSH_SERVER_DB_POOL_SIZE=8 run_cell "pg-2 push, pool 8+8" 2 pg "" push
stop_servers

echo "== summary (medians; every run in $OUT/runs.txt) =="
cat "$OUT/summary.txt"
