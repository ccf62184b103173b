#!/usr/bin/env bash
# The database layer's unit suite (tests/unit/test_db.c) against a real PostgreSQL: a
# private cluster started here (lib/postgres.sh), the same cases the SQLite run passes,
# then the cluster stopped and removed. A PostgreSQL that cannot be started fails this
# test: it is never skipped.
set -euo pipefail
. "$SEAL_SOURCE_DIR/tests/integration/lib/common.sh"
. "$SEAL_SOURCE_DIR/tests/integration/lib/postgres.sh"

TEST_DB="$SEAL_BUILD_DIR/tests/test_db"
[ -x "$TEST_DB" ] || fail "$TEST_DB is missing; build the test_db target"

pg_start
started=$(date +%s.%N)
"$TEST_DB" >"$WORK/suite.log" 2>&1 || fail "the suite failed: $(cat "$WORK/suite.log")"
cat "$WORK/suite.log"
# The PostgreSQL group ran, every case of it passed (the deadlock case runs only there).
grep -qx '== engine: postgresql' "$WORK/suite.log" || fail "the suite did not run on PostgreSQL"
pg_section() {
    awk '/^== engine: /{on = ($3 == "postgresql")} on' "$WORK/suite.log"
}
cases=$(pg_section | sed -n 's/^\[==========\] Running \([0-9]*\) test(s)\./\1/p')
passed=$(pg_section | grep -c '^\[       OK \]' || true)
[ -n "$cases" ] && [ "$passed" = "$cases" ] || fail "$passed of ${cases:-?} PostgreSQL cases passed"
suite_done=$(date +%s.%N)
pg_stop
stopped=$(date +%s.%N)
awk -v a="$PG_STARTED_AT" -v b="$started" -v c="$suite_done" -v d="$stopped" 'BEGIN {
    printf "timings: start %.2f s, suite %.2f s, stop %.2f s, total %.2f s\n", b - a, c - b, d - c, d - a }'
echo "PASS"
