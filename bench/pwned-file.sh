#!/usr/bin/env bash
# Times `hush audit --pwned-file` against generated Pwned Passwords files of 1 and 10
# million lines (issue #5), and reports hush's peak memory for each.
#
#   bench/pwned-file.sh            # 1M and 10M lines
#   LINES="1000000" bench/pwned-file.sh
#
# Needs python3 (to generate the files) and, for the best numbers, hyperfine
# (apt-get install -y hyperfine) and GNU time (apt-get install -y time). The files
# (about 47 and 470 MB) go to a temporary folder that is removed afterwards; set
# KEEP=1 to keep it.
#
# The generated files are sorted by construction (hash k lies in the k-th of N equal
# slices of the SHA-1 range), so generating 10 million lines needs no sort and little
# memory. They contain the SHA-1s of three of the vault's 20 passwords.
set -euo pipefail

cd "$(dirname "$0")/.."
LINES=${LINES:-"1000000 10000000"}

cargo build --release -p hush-cli --quiet
HUSH=$PWD/target/release/hush

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hush-pwned-bench.XXXXXX")
if [[ -z ${KEEP:-} ]]; then trap 'rm -rf "$WORK"' EXIT; fi
export HUSH_HOME=$WORK/home XDG_RUNTIME_DIR=$WORK NO_COLOR=1
printf 'rubble quarry tinsel orchid plaza marrow\n' >"$WORK/pw"
chmod 600 "$WORK/pw"
hush() { "$HUSH" --password-file "$WORK/pw" --no-agent "$@"; }

# Cheap KDF parameters: the benchmark is about the file, not Argon2.
hush init --insecure-kdf --kdf-memory-mib 8 --kdf-iterations 1 --kdf-parallelism 1 >/dev/null 2>&1
for i in $(seq 1 20); do
    printf 'bench-password-%d\n' "$i" | hush add "site-$i" --password-stdin >/dev/null 2>&1
done

generate() { # generate N PATH
    python3 - "$1" "$2" <<'EOF'
import hashlib, heapq, random, sys
n, path = int(sys.argv[1]), sys.argv[2]
include = sorted(hashlib.sha1(f"bench-password-{i}".encode()).hexdigest().upper() for i in (3, 7, 11))
span = (1 << 160) // (n - len(include))
rng = random.Random(5)
def generated():
    for k in range(n - len(include)):
        yield "%040X" % (k * span + rng.randrange(span))
with open(path, "w", newline="") as out:
    for h in heapq.merge(generated(), include):
        out.write(f"{h}:{rng.randrange(1, 100000)}\r\n")
EOF
}

for n in $LINES; do
    file=$WORK/pwned-$n.txt
    echo "== $n lines: generating..."
    generate "$n" "$file"
    ls -l "$file" | awk '{printf "   file size: %.1f MB\n", $5 / 1e6}'

    # Sanity: exactly the three included passwords are found.
    found=$(hush audit --json --pwned-file "$file" 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["breached"]))') || true
    echo "   breached items found: $found (expected 3)"

    # Cold-ish run: the first lookup after dropping nothing from the cache is not
    # truly cold; the benchmark below measures the page-cache-warm case.
    if command -v hyperfine >/dev/null; then
        hyperfine --warmup 3 --runs 20 -N -i \
            --command-name "audit without a breach source" \
            "$HUSH --password-file $WORK/pw --no-agent audit --json" \
            --command-name "audit --pwned-file ($n lines)" \
            "$HUSH --password-file $WORK/pw --no-agent audit --json --pwned-file $file"
    else
        start=$(date +%s%N)
        for _ in $(seq 1 20); do hush audit --json --pwned-file "$file" >/dev/null 2>&1 || true; done
        end=$(date +%s%N)
        echo "   mean of 20 runs: $(((end - start) / 20000000)) ms (install hyperfine for better numbers)"
    fi
    if [[ -x /usr/bin/time ]]; then
        /usr/bin/time -f "   peak RSS without a file: %M KiB" "$HUSH" --password-file "$WORK/pw" --no-agent audit --json >/dev/null 2>"$WORK/t0" || true
        /usr/bin/time -f "   peak RSS with the file:  %M KiB" "$HUSH" --password-file "$WORK/pw" --no-agent audit --json --pwned-file "$file" >/dev/null 2>"$WORK/t1" || true
        tail -n 1 "$WORK/t0"
        tail -n 1 "$WORK/t1"
    fi
    rm -f "$file"
done
