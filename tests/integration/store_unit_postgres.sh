#!/usr/bin/env bash
# The store's unit suites (test_store, test_store_pending, test_store_job, test_store_desk,
# test_ca) against a real
# PostgreSQL: a private cluster (lib/postgres.sh) and SEAL_TEST_POSTGRES_URL, under which
# each data directory of the suites gets a schema of its own (tests/unit/testutil.c); the
# same cases their SQLite runs (unit.test_store...) pass. The schemas are checked to have
# been used, so that a suite quietly falling back to SQLite fails here.
set -euo pipefail
. "$SEAL_SOURCE_DIR/tests/integration/lib/common.sh"
. "$SEAL_SOURCE_DIR/tests/integration/lib/postgres.sh"

pg_start
for suite in test_store test_store_pending test_store_job test_store_desk test_ca; do
    bin="$SEAL_BUILD_DIR/tests/$suite"
    [ -x "$bin" ] || fail "$bin is missing; build the $suite target"
    "$bin" >"$WORK/$suite.log" 2>&1 || fail "$suite on PostgreSQL: $(cat "$WORK/$suite.log")"
    grep -q '^\[  PASSED  \]' "$WORK/$suite.log" || fail "$suite: $(cat "$WORK/$suite.log")"
    echo "$suite: $(grep '^\[  PASSED  \]' "$WORK/$suite.log")"
done
# The suites reached PostgreSQL: each made schemas there (dropped again at their exit, so
# the server's statistics tell: transactions in the database well beyond psql's own).
commits=$(psql -X -At -d "$PG_URL" -c "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
[ "$commits" -gt 200 ] || fail "the suites do not seem to have used PostgreSQL ($commits commits)"
left=$(psql -X -At -d "$PG_URL" -c "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'store_%'")
[ "$left" = 0 ] || fail "the suites left $left schemas behind"
echo "PASS"
