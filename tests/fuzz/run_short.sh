#!/usr/bin/env bash
# Real fuzzing, briefly, for CI (tests/run.sh, after the sanitizer pass): builds the
# libFuzzer targets with clang, ASan and UBSan (-DSEAL_FUZZ=ON, the library instrumented
# too) and runs each target for SECONDS from its seeds (make_seeds.sh's, seeds/<target>/,
# or the shared ones), one at a time. Fails when any target finds something (crash, leak,
# undefined behaviour, timeout); the input that did it is kept and named. Prints each
# target's edges covered at the start and at the end (README.md lists a longer run's).
#
# usage: run_short.sh [SECONDS] [TARGET...]   (default 20 s, every target)
# env:   SEALSVC   a built sealsvc for make_seeds.sh (default build/sealsvc/sealsvc)
#        FUZZ_BUILD the clang build directory (default build-fuzz)
#        FUZZ_OUT  where seeds, new inputs, findings and logs go (default FUZZ_BUILD/fuzz-run)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-20}
shift || true
build=${FUZZ_BUILD:-build-fuzz}
sealsvc=${SEALSVC:-build/sealsvc/sealsvc}
corpus=${SEAL_CORPUS:-$PWD/../shared/corpus}
command -v clang >/dev/null || {
    echo "run_short: clang is missing (tests/install-deps.sh installs it): the fuzz targets need it" >&2
    exit 1
}

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for src in tests/fuzz/fuzz_*.c; do
        targets+=("$(basename "$src" .c)")
    done
fi

# Only the targets (and the library they link) are built; RelWithDebInfo: libFuzzer runs
# several times faster than at -O0, and the sanitizers keep their reports.
CC=clang cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEAL_FUZZ=ON \
    -DSEAL_SANITIZE=ON -DSEAL_CORPUS_DIR="$corpus" >/dev/null
build_args=()
for t in "${targets[@]}"; do
    build_args+=(--target "$t")
done
cmake --build "$build" -j"$(nproc)" "${build_args[@]}"

out=${FUZZ_OUT:-$build/fuzz-run}
rm -rf "$out"
mkdir -p "$out/shared"
bash tests/fuzz/make_seeds.sh "$sealsvc" "$out/seeds" "$corpus"
# The shared seeds, as ctest's replays use them (tests/fuzz/CMakeLists.txt), for the
# targets with none of their own.
cp "$corpus"/ofd/*.esl "$corpus"/ofd/*.dat "$corpus"/ofd/*.pem "$corpus"/pdf/*.pdf \
    tests/fuzz/seeds/*.der "$out/shared/"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=()
printf '%-20s %10s %10s %12s\n' target "cov start" "cov end" runs
for t in "${targets[@]}"; do
    dirs=()
    [ -d "$out/seeds/$t" ] && dirs+=("$out/seeds/$t")
    [ -d "tests/fuzz/seeds/$t" ] && dirs+=("tests/fuzz/seeds/$t")
    [ ${#dirs[@]} -eq 0 ] && dirs+=("$out/shared")
    mkdir -p "$out/corpus/$t" "$out/findings"
    # -timeout: an input that takes this long is a finding (a hang), not a slow machine.
    set +e
    "$build/tests/fuzz/$t" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 \
        -artifact_prefix="$out/findings/$t-" -print_final_stats=1 \
        "$out/corpus/$t" "${dirs[@]}" >"$out/$t.log" 2>&1
    rc=$?
    set -e
    start=$(sed -n 's/.*INITED cov: \([0-9]*\).*/\1/p' "$out/$t.log" | head -1)
    end=$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' "$out/$t.log" | tail -1)
    runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\)/\1/p' "$out/$t.log")
    printf '%-20s %10s %10s %12s\n' "$t" "${start:-?}" "${end:-?}" "${runs:-?}"
    if [ $rc -ne 0 ]; then
        failed+=("$t")
        echo "run_short: $t found something (exit $rc); its log: $out/$t.log, the input:" \
            "$(find "$out/findings" -name "$t-*" | tr '\n' ' ')" >&2
        grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$out/$t.log" | head -5 >&2 || true
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "run_short: findings in ${failed[*]}: fix them in libseal and add each input to" \
        "tests/fuzz/seeds/<target>/" >&2
    exit 1
fi
