#!/usr/bin/env bash
# Issue #2, whole process: `hush get NAME --field password`, `hush ls` and `hush add`
# on vaults of 10,000 and 100,000 realistic items, timed by hyperfine
# (docs/benchmarks.md). Each timed `hush add` adds one item (the vault grows by RUNS
# items, a negligible fraction).
#
#   bench/local.sh                 # RUNS=20 per command; results in target/bench/local/
#
# Vaults are written by the make_vault example (as `hush init` + N × `hush add` would),
# with cheap KDF parameters (Argon2id 8 MiB, t=1, p=1, like `hush init --insecure-kdf
# --kdf-memory-mib 8 --kdf-iterations 1 --kdf-parallelism 1`): the measured time is
# process start + read + parse + KDF at those cheap parameters + decrypt every item +
# search + output. Then the same with hush's default KDF (256 MiB, t=3, p=4), with and
# without the agent (`hush unlock`), which is how it is used day to day.
#
# Everything runs in a private temporary folder (HUSH_HOME, XDG_RUNTIME_DIR), removed at
# exit; the only process left running by a step (the agent) is stopped by `hush lock`
# and, should it survive, killed by its own pid.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-20}
OUT=${OUT:-target/bench/local}
PASSWORD='correct horse battery staple'

command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
cargo build --release -p hush-cli
cargo build --release -p hush-vault --example make_vault
HUSH=$PWD/target/release/hush
MAKE=$PWD/target/release/examples/make_vault
mkdir -p "$OUT"

work=$(mktemp -d)
agent_pid=
cleanup() {
    if [[ -n $agent_pid ]] && kill -0 "$agent_pid" 2>/dev/null; then kill "$agent_pid"; fi
    rm -rf "$work"
}
trap cleanup EXIT
printf '%s\n' "$PASSWORD" >"$work/password"
chmod 600 "$work/password"
mkdir -m 700 "$work/runtime"
export XDG_RUNTIME_DIR=$work/runtime NO_COLOR=1

run() { # run LABEL HOME NAME RUNS [extra hyperfine args]
    local label=$1 home=$2 name=$3 runs=$4
    shift 4
    # One untimed run to check the commands work (and find exactly one item).
    HUSH_HOME=$home "$HUSH" --password-file "$work/password" get "$name" --field password >/dev/null
    HUSH_HOME=$home hyperfine -N --warmup 2 --runs "$runs" "$@" \
        --export-json "$OUT/$label.json" --export-markdown "$OUT/$label.md" \
        "$HUSH --password-file $work/password get $name --field password" \
        "$HUSH --password-file $work/password ls" \
        "$HUSH --password-file $work/password add bench-new --username u --url https://new.example.com --generate"
}

for n in 10000 100000; do
    name=$("$MAKE" "$work/cheap-$n" "$n" --password-file "$work/password")
    ls -l "$work/cheap-$n/vault.hush"
    runs=$RUNS
    [[ $n -gt 10000 ]] && runs=$((RUNS / 2))
    run "cheap-kdf-$n" "$work/cheap-$n" "$name" "$runs"
done

# hush's default KDF: every command without the agent pays Argon2id (256 MiB, t=3, p=4).
name=$("$MAKE" "$work/default" 10000 --kdf default --password-file "$work/password")
run default-kdf-10000 "$work/default" "$name" 5

# The same vault unlocked: commands take the key from the agent and skip the KDF.
export HUSH_HOME=$work/default
if "$HUSH" --password-file "$work/password" unlock --timeout 600; then
    agent_pid=$("$HUSH" status --json | sed -n 's/.*"agent_pid": *\([0-9][0-9]*\).*/\1/p')
    "$HUSH" get "$name" --field password >/dev/null
    hyperfine -N --warmup 2 --runs "$RUNS" \
        --export-json "$OUT/agent-10000.json" --export-markdown "$OUT/agent-10000.md" \
        "$HUSH get $name --field password" "$HUSH ls" \
        "$HUSH add bench-new --username u --url https://new.example.com --generate"
    "$HUSH" lock
    for _ in $(seq 50); do
        [[ -z $agent_pid ]] || ! kill -0 "$agent_pid" 2>/dev/null && break
        sleep 0.1
    done
else
    echo "hush unlock failed: skipping the agent measurement" >&2
fi
unset HUSH_HOME

echo
echo "== results (mean ± σ; medians in the JSON files) =="
for f in "$OUT"/*.md; do echo "-- $(basename "$f" .md)"; cat "$f"; done
# Medians, which are what docs/benchmarks.md reports.
for f in "$OUT"/*.json; do
    python3 - "$f" <<'EOF'
import json, re, sys
for r in json.load(open(sys.argv[1]))["results"]:
    cmd = re.sub(r"^\S*/hush (--password-file \S+ )?", "hush ", r["command"])[:60]
    print(f'{sys.argv[1].split("/")[-1][:-5]:20} median {r["median"]*1e3:8.1f} ms  min {r["min"]*1e3:8.1f}  {cmd}')
EOF
done
