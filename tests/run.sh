#!/usr/bin/env bash
# Installs what is needed, builds sealsvc, and runs every test with ctest: once in a normal
# build, then the unit and integration tests again under AddressSanitizer and
# UndefinedBehaviorSanitizer, then each fuzz target briefly with libFuzzer (clang), then
# the concurrency test alone under ThreadSanitizer, then a packager's Release build (-O3:
# GCC finds other things there) with the unit tests. Fails loudly (non-zero exit) when any
# test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/install-deps.sh
JOBS=$(nproc)

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$JOBS"
(cd build && ctest --output-on-failure -j"$JOBS")

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSEAL_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$JOBS"
# Poppler and NSS tools run as child processes and are not ours; only our code is
# instrumented. Leak checking covers our processes too.
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j"$JOBS")
# Real fuzzing, briefly, under the same sanitizers: the libFuzzer targets built with clang
# (the library instrumented too) and each run 20 s from its seeds, made from the corpus and
# a demo platform by the normal build's sealsvc. Fails on any finding (tests/fuzz/README.md).
SEALSVC=build/sealsvc/sealsvc bash tests/fuzz/run_short.sh 20

# ThreadSanitizer: only what the concurrency tests need is built, and only they run (the
# rest of the suite is single-threaded and slow under TSan): the library's threads
# (test_threads) and the HTTP service's under eight clients at once (serve_concurrency). tests/tsan.supp names the
# races inside libraries that are not ours, each with why it is none in our use.
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DSEAL_SANITIZE=thread >/dev/null
cmake --build build-tsan -j"$JOBS" --target sealsvc test_threads
SUPPRESSIONS="$PWD/tests/tsan.supp"
# G_SLICE=always-malloc: GLib 2.74's slice allocator hands memory between threads through
# per-thread magazines TSan cannot follow (it reported a GArray one thread made in memory
# another thread's slice had used); with it, GLib's small blocks are plain malloc.
(cd build-tsan && G_SLICE=always-malloc TSAN_OPTIONS="halt_on_error=1 suppressions=$SUPPRESSIONS" \
    ctest --output-on-failure -R '^(unit\.test_threads|integration\.serve_concurrency)$')

# Release, as a packager builds it: GCC at -O3 warns where -O2 does not (a possible
# truncation once stopped this build), and -Werror makes each warning a failure. The unit
# tests run there too: they are quick and find what the optimiser changes.
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release -j"$JOBS"
(cd build-release && ctest --output-on-failure -j"$JOBS" -R '^unit\.')
