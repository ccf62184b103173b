#!/usr/bin/env bash
# kill -9 in the middle. Stamps killed at random moments over many runs leave no half
# record (the audit chain verifies after every kill) and no output but a whole one: what
# is left beside OUT is only a recognisable temporary file (OUT.tmpXXXXXX, the update being
# written; OUT.tmp-stamp-PID, the finished stamp waiting for its record; or the first's
# name after the second's). A migration killed in the middle
# leaves the database at the version before, on both engines: on PostgreSQL the migration
# is held mid-way by a lock another session has on the audit table, on SQLite it is killed
# half-way through a migration of a large store; either way the next open migrates it.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/postgres.sh"
. "$(dirname "$0")/lib/old_store.sh"
make_demo
S=("$SEALSVC" --data "$DATA")
SEAL=$(seal_of rsa id official); PIN=$(seal_of rsa pin official)
cp "$SEAL_SOURCE_DIR/samples/contract-zh.pdf" "$WORK/in.pdf"
INPUT_SHA=$(sha "$WORK/in.pdf")

# --- stamps killed at random moments
mkdir -p "$WORK/k"
for i in $(seq 24); do
    "${S[@]}" stamp "$WORK/in.pdf" "$WORK/k/out$i.pdf" --seal "$SEAL" --pin "$PIN" --page 1 --at 100,100 \
        >/dev/null 2>&1 &
    pid=$!
    sleep "0.$(printf '%03d' $((RANDOM % 400)))"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    "${S[@]}" audit verify >"$WORK/v.txt" || fail "after kill $i the audit trail is broken: $(cat "$WORK/v.txt")"
    if [ -e "$WORK/k/out$i.pdf" ]; then
        qpdf --check "$WORK/k/out$i.pdf" >/dev/null 2>&1 || fail "kill $i left a partial out$i.pdf"
    fi
done
[ "$(sha "$WORK/in.pdf")" = "$INPUT_SHA" ] || fail "the input changed"
for f in "$WORK"/k/*; do
    [ -e "$f" ] || continue
    case "$(basename "$f")" in
    out[0-9]*.pdf) ;;
    out[0-9]*.pdf.tmp??????) ;;                  # the update being written
    out[0-9]*.pdf.tmp-stamp-[0-9]*) ;;           # finished, waiting for its record
    out[0-9]*.pdf.tmp-stamp-[0-9]*.tmp??????) ;; # the update being written before that
    *) fail "a killed stamp left $(basename "$f"), which is neither an output nor a temporary OUT.tmp..." ;;
    esac
done
echo "stamps killed: $(ls "$WORK/k" | grep -c 'tmp' || true) temporary files left, the chain intact"

# --- a migration killed in the middle: PostgreSQL
pg_start
"$SEALSVC" --db "$PG_URL" demo init --dir "$WORK/pg" >/dev/null 2>"$WORK/pg.log" || fail "demo init: $(cat "$WORK/pg.log")"
old_store postgresql "$PG_URL"
before=$(psql -X -q -A -t -d "$PG_URL" -c "SELECT max(version) FROM schema_version")
# another session holds the audit table: the migration stops at its first statement that
# reads it, after it changed the seal table in the same transaction
psql -X -q -d "$PG_URL" -c "BEGIN; LOCK TABLE audit IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(3600);" \
    >/dev/null 2>&1 &
holder=$!
sleep 1
"$SEALSVC" --db "$PG_URL" --data "$WORK/pg" db migrate >/dev/null 2>&1 &
mig=$!
for _ in $(seq 50); do
    waiting=$(psql -X -q -A -t -d "$PG_URL" -c "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'ALTER TABLE seal ADD COLUMN lifecycle%'")
    [ "$waiting" = 1 ] && break
    sleep 0.2
done
[ "$waiting" = 1 ] || fail "the migration never waited for the audit table: $(psql -X -q -A -t -d "$PG_URL" -c "SELECT wait_event_type, left(query, 60) FROM pg_stat_activity")"
kill -9 "$mig"
wait "$mig" 2>/dev/null || true
psql -X -q -d "$PG_URL" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(3600)%' AND pid <> pg_backend_pid()" >/dev/null
wait "$holder" 2>/dev/null || true
sleep 1
[ "$(psql -X -q -A -t -d "$PG_URL" -c "SELECT max(version) FROM schema_version")" = "$before" ] ||
    fail "PostgreSQL: the killed migration moved the schema version"
[ "$(psql -X -q -A -t -d "$PG_URL" -c "SELECT count(*) FROM information_schema.columns WHERE table_name = 'seal' AND column_name = 'locked'")" = 0 ] ||
    fail "PostgreSQL: the killed migration left the seal table half changed"
"$SEALSVC" --db "$PG_URL" --data "$WORK/pg" audit verify >"$WORK/pg.v" || fail "PostgreSQL: after the next open: $(cat "$WORK/pg.v")"
[ "$(psql -X -q -A -t -d "$PG_URL" -c "SELECT max(version) FROM schema_version")" -gt "$before" ] ||
    fail "PostgreSQL: the next open did not migrate"
echo "PostgreSQL: a migration killed mid-way left version $before"

# --- a migration killed in the middle: SQLite, a store large enough to take a while
cp -r "$DATA" "$WORK/big"
BIG="$WORK/big/sealsvc.db"
old_store sqlite "$BIG"
# many seals (small copies of one: the migration rewrites the seal table)
sqlite3 "$BIG" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 150000)
    INSERT INTO seal (id, name, kind, shape, institution_id, alg, cert_pem, chain_pem, key_pem, image_png,
        width_mm, height_mm, esl, valid_start, valid_end, state, pin_failures, created, key_uri)
    SELECT s.id || '-copy-' || n.i, s.name, s.kind, s.shape, s.institution_id, s.alg, 'c', 'c', 'k', x'00',
        s.width_mm, s.height_mm, x'00', s.valid_start, s.valid_end, s.state, s.pin_failures, s.created,
        s.key_uri FROM seal s, n WHERE s.id = '$SEAL';"
before=$(sqlite3 "$BIG" "SELECT max(version) FROM schema_version")
cp "$BIG" "$WORK/big-timing.db"
t0=$(date +%s%N)
"$SEALSVC" --db "sqlite:$WORK/big-timing.db" --data "$WORK/big" db migrate >/dev/null 2>&1 || fail "the timing migration failed"
t1=$(date +%s%N)
half=$(((t1 - t0) / 2000000)) # milliseconds
[ "$half" -ge 50 ] || fail "the large store migrates too fast ($half ms) to be killed mid-way"
"$SEALSVC" --data "$WORK/big" db migrate >/dev/null 2>&1 &
mig=$!
sleep "$(printf '%d.%03d' $((half / 1000)) $((half % 1000)))"
kill -9 "$mig" 2>/dev/null || fail "the migration ended before it was killed"
wait "$mig" 2>/dev/null || true
[ "$(sqlite3 "$BIG" "SELECT max(version) FROM schema_version")" = "$before" ] ||
    fail "SQLite: the killed migration moved the schema version"
[ "$(sqlite3 "$BIG" "SELECT count(*) FROM pragma_table_info('seal') WHERE name = 'locked'")" = 0 ] ||
    fail "SQLite: the killed migration left the seal table half changed"
sqlite3 "$BIG" "PRAGMA integrity_check" | grep -qx ok || fail "SQLite: the database is damaged"
"$SEALSVC" --data "$WORK/big" audit verify >"$WORK/big.v" || fail "SQLite: after the next open: $(cat "$WORK/big.v")"
[ "$(sqlite3 "$BIG" "SELECT max(version) FROM schema_version")" -gt "$before" ] || fail "SQLite: the next open did not migrate"
echo "SQLite: a migration killed mid-way ($half ms in) left version $before"
echo "kill_midway: OK"
