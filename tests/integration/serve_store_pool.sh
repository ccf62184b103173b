#!/usr/bin/env bash
# The service's stores are reused across requests (seal_store_pool, docs/serve.md): on
# PostgreSQL, 40 requests through an instance with 2 worker threads and no job worker make
# at most 2 new database sessions (pg_stat_database.sessions counts every session the server
# accepted; a store opened per request made 40), and a pooled connection the server dropped
# (pg_terminate_backend) is noticed and replaced, not handed to a request, once it has
# waited longer than the pool trusts an idle one (5 s). A request that ended in the middle
# of a failure does not leave its connection in the pool: the audit chain still verifies
# and later requests succeed.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/postgres.sh"
pg_start
export SEALSVC_DB="$PG_URL"
make_demo
. "$(dirname "$0")/lib/serve.sh"
trap 'stop_serves; pg_stop; rm -rf "$WORK"' EXIT

KEY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["api_key"]["key"])' "$WORK/manifest.json")
RSA=$(seal_of rsa id official)
RSA_PIN=$(seal_of rsa pin official)
psqlq() { psql -X -q -A -t -d "$PG_URL" -c "$1"; }
sessions() { psqlq "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"; }
backends() { psqlq "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sealsvc'"; }

start_serve "$WORK/serve.log" --threads 2 --job-workers 0
[ "$(call GET /readyz "$WORK/ready")" = 200 ] || fail "not ready: $(cat "$WORK/ready")"

# pg_stat_database is updated when a session ends and read from a snapshot: each read in its
# own psql session, which adds one to the count itself.
before=$(sessions)
for i in $(seq 40); do
    st=$(call GET /api/v1/seals "$WORK/seals" -H "Authorization: Bearer $KEY")
    [ "$st" = 200 ] || fail "request $i: $st $(cat "$WORK/seals")"
done
after=$(sessions)
made=$((after - before - 1))
[ "$made" -le 2 ] || fail "40 requests made $made database sessions (at most 2 expected: a pool of 2)"
open=$(backends)
# the pool's (1 or 2) and the built-in TSA and OCSP responders' own (1)
[ "$open" -ge 2 ] && [ "$open" -le 3 ] ||
    fail "the instance holds $open connections while idle (2 or 3 expected)"
echo "40 requests, $made new sessions, $open kept open"

# A stamp, so that the pooled connections have written and committed.
cp "$SEAL_SOURCE_DIR/samples/contract-zh.pdf" "$WORK/in.pdf"
st=$(call POST "/api/v1/stamp?seal=$RSA&pin=$RSA_PIN&page=1&at=100,100" "$WORK/out.pdf" \
    -H "Authorization: Bearer $KEY" -H "Content-Type: application/pdf" --data-binary @"$WORK/in.pdf")
[ "$st" = 200 ] || fail "stamp: $st $(cat "$WORK/out.pdf")"

# The server drops the pooled connections; after 5 s idle they are checked and replaced.
killed=$(psqlq "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'sealsvc'")
[ "$killed" -ge 1 ] || fail "no connection of the instance to drop"
sleep 6
for i in 1 2 3; do
    st=$(call GET /api/v1/seals "$WORK/seals" -H "Authorization: Bearer $KEY")
    [ "$st" = 200 ] || fail "request $i after the server dropped the pool's connections: $st $(cat "$WORK/seals")"
done
st=$(call POST "/api/v1/stamp?seal=$RSA&pin=$RSA_PIN&page=1&at=100,100" "$WORK/out2.pdf" \
    -H "Authorization: Bearer $KEY" -H "Content-Type: application/pdf" --data-binary @"$WORK/in.pdf")
[ "$st" = 200 ] || fail "stamp after the reconnect: $st $(cat "$WORK/out2.pdf")"

# A wrong PIN is a failure inside the stamp's transactions: its connection must come back
# clean, and the next stamp with the right PIN works through the same two connections.
for i in 1 2 3; do
    st=$(call POST "/api/v1/stamp?seal=$RSA&pin=wrong-pin-$i&page=1&at=100,100" "$WORK/bad.json" \
        -H "Authorization: Bearer $KEY" -H "Content-Type: application/pdf" --data-binary @"$WORK/in.pdf")
    [ "$st" = 403 ] || [ "$st" = 401 ] || [ "$st" = 422 ] || fail "wrong PIN: $st $(cat "$WORK/bad.json")"
done
st=$(call POST "/api/v1/stamp?seal=$RSA&pin=$RSA_PIN&page=1&at=100,100" "$WORK/out3.pdf" \
    -H "Authorization: Bearer $KEY" -H "Content-Type: application/pdf" --data-binary @"$WORK/in.pdf")
[ "$st" = 200 ] || fail "stamp after wrong PINs: $st $(cat "$WORK/out3.pdf")"
for f in out.pdf out2.pdf out3.pdf; do
    "$SEALSVC" --data "$DATA" verify "$WORK/$f" >"$WORK/v.txt" 2>&1 ||
        fail "$f does not verify: $(cat "$WORK/v.txt")"
done
"$SEALSVC" --data "$DATA" audit verify >"$WORK/audit.txt" 2>&1 ||
    fail "the audit chain does not verify: $(cat "$WORK/audit.txt")"
grep -q 'checking a pooled connection' "$WORK/serve.log" &&
    fail "the pool's check of a connection reached the log as an error"
echo "serve store pool: ok"
