#!/usr/bin/env bash
# Issue #9, "Cost": what fork consistency costs a sync (docs/benchmarks.md).
#
#   bench/sync-cost.sh     # about 10 minutes; results in target/bench/sync-cost/
#
# 1. sync_bench measure: an empty incremental sync, a one-item push and the initial sync of a
#    new device, 10,000 items, medians of RUNS runs (compare with issue #3's figures).
# 2. sync_bench catchup: device B is away while device A makes PUSHES one-item pushes into a
#    1,000-item account; B's next sync (pull of what changed + verification of the new head) is
#    timed, ROUNDS rounds.
# 3. What the server keeps for the chain: the size of each account's manifest column.
#
# The server listens on 127.0.0.1 only and is killed at exit.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-5}
PUSHES=${PUSHES:-10000}
ROUNDS=${ROUNDS:-3}
OUT=${OUT:-target/bench/sync-cost}

command -v sqlite3 >/dev/null || { echo "needs sqlite3 (apt-get install -y sqlite3)" >&2; exit 2; }
cargo build --release -p hush-server
cargo build --release -p hush-sync --example sync_bench
SERVER=$PWD/target/release/hush-server
BENCH=$PWD/target/release/examples/sync_bench
mkdir -p "$OUT"

work=$(mktemp -d)
chmod 700 "$work"
server_pid=
cleanup() {
    if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

"$SERVER" serve --listen 127.0.0.1:0 --data-dir "$work/data" >"$work/server.out" 2>"$work/server.log" &
server_pid=$!
line=
for _ in $(seq 100); do
    line=$(head -n 1 "$work/server.out")
    [[ $line == "listening on "* ]] && break
    sleep 0.1
done
[[ $line == "listening on 127.0.0.1:"* ]] || { echo "the server did not start: $line" >&2; exit 1; }
url="http://${line#listening on }"
invite() { "$SERVER" invite --data-dir "$work/data"; }

echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/summary.txt"
"$BENCH" measure --server "$url" --invite "$(invite)" --runs "$RUNS" | tee "$OUT/measure.txt"
"$BENCH" catchup --server "$url" --invite "$(invite)" --items 1000 --pushes "$PUSHES" --runs "$ROUNDS" \
    | tee "$OUT/catchup.txt"
echo "== manifest bytes per account (all the server keeps for the chain)" | tee -a "$OUT/summary.txt"
sqlite3 "$work/data/hush-server.db" "SELECT length(manifest) FROM accounts" | tee -a "$OUT/summary.txt"
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/summary.txt"
