#!/usr/bin/env bash
# A short run of every fuzz target from its committed seeds (docs/fuzzing.md), so that the
# targets keep building and a parser change that crashes on an input close to a valid one is
# caught in CI. Fails if any target crashes, hangs, or runs out of memory; the input that did it
# is left in fuzz/artifacts/<target>/ and its path printed. Longer runs are for people:
# `cargo +nightly fuzz run <target> fuzz/corpus/<target> fuzz/seeds/<target>`.
#
# Usage: fuzz/smoke.sh [TARGET...]        (every target when none is named)
#   HUSH_FUZZ_SECONDS=N   seconds per target (default 15)
#   HUSH_FUZZ_JOBS=N      targets run at once (default 1)
#   HUSH_FUZZ_SEED=N      libFuzzer's random seed (default 1; 0 picks a new one each run)
#
# A fixed seed makes a run repeatable: libFuzzer then tries the same inputs in the same order
# (the targets are deterministic), so a longer run of the same code on the same toolchain has
# tried every input a shorter one will, and a change is checked before CI rather than by luck in
# CI. Other seeds and longer runs are for people, and are how new findings are made
# (docs/fuzzing.md).
set -euo pipefail
cd "$(dirname "$0")"

seconds=${HUSH_FUZZ_SECONDS:-15}
seed=${HUSH_FUZZ_SEED:-1}
jobs=${HUSH_FUZZ_JOBS:-1}
# No sanitizer: hush forbids unsafe code, so what the fuzzer looks for is panics, overflow
# (debug assertions are on), runaway allocation and hangs, and ASan would halve the executions
# per second. Sixteen codegen units build the targets about twice as fast, for a few percent of
# speed.
build_flags=(--sanitizer none --codegen-units 16)

if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# api_server keeps its SQLite store under TMPDIR and cannot delete it when libFuzzer exits.
export TMPDIR=$scratch

echo "== fuzz: building ${#targets[@]} targets"
cargo +nightly fuzz build "${build_flags[@]}"

run_one() {
    local target=$1
    mkdir -p "$scratch/corpus/$target" "artifacts/$target"
    # The corpus a run grows goes to the scratch folder, so the committed seeds stay as they are.
    if cargo +nightly fuzz run "${build_flags[@]}" "$target" "$scratch/corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -seed="$seed" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
        > "$scratch/$target.log" 2>&1; then
        echo "ok      $target ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$scratch/$target.log" | grep -o '[0-9]*$') inputs)"
    else
        echo "FAILED  $target"
        grep -E "panicked|ERROR|SUMMARY|Test unit written" "$scratch/$target.log" | head -20 | sed 's/^/        /'
        return 1
    fi
}
export -f run_one
export scratch seconds seed
export build_flags_string="${build_flags[*]}"

failed=0
if [ "$jobs" -gt 1 ]; then
    printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'build_flags=($build_flags_string); run_one {}' || failed=1
else
    for target in "${targets[@]}"; do
        run_one "$target" || failed=1
    done
fi
if [ "$failed" -ne 0 ]; then
    echo "fuzz: a target failed; its input is in fuzz/artifacts/ (reproduce: cargo +nightly fuzz run ${build_flags[*]} TARGET PATH)"
    exit 1
fi
echo "fuzz: ${#targets[@]} targets ran ${seconds} s each without a failure"
