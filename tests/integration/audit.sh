#!/usr/bin/env bash
# `sealsvc audit verify|list` on a demo platform: the trail of the CA's issues and of
# freeze/unfreeze is intact and listed; a head noted before later changes is still found;
# an edited record, a deleted one, records cut from the end (caught only with --anchor),
# all exit 1 naming the record, and a usage slip exits 64.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
make_demo
DB="$DATA/sealsvc.db"
[ -f "$DB" ] || fail "no store database at $DB"
sql() { python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()' "$DB" "$1"; }

# The demo platform's issues are in the trail, and it is intact.
"$SEALSVC" --data "$DATA" audit verify >"$WORK/v1" || fail "audit verify failed: $(cat "$WORK/v1")"
grep -Eq '^audit trail: intact, [0-9]+ records' "$WORK/v1" || fail "not intact: $(cat "$WORK/v1")"
HEAD1=$(sed -n 's/^head: *//p' "$WORK/v1")
[ ${#HEAD1} = 64 ] || fail "no 64-digit head: $(cat "$WORK/v1")"
N1=$(sed -n 's/^audit trail: intact, \([0-9]*\) records.*/\1/p' "$WORK/v1")

# Two changes later (each with its CRL): more records, the earlier head still in the chain.
"$SEALSVC" --data "$DATA" ca freeze "$DATA/certs/pujiang.pem" >/dev/null || fail "ca freeze failed"
"$SEALSVC" --data "$DATA" ca unfreeze "$DATA/certs/pujiang.pem" >/dev/null || fail "ca unfreeze failed"
"$SEALSVC" --data "$DATA" audit verify --anchor "$HEAD1" >"$WORK/v2" ||
    fail "audit verify --anchor failed: $(cat "$WORK/v2")"
N2=$(sed -n 's/^audit trail: intact, \([0-9]*\) records.*/\1/p' "$WORK/v2")
[ "$N2" -ge $((N1 + 2)) ] || fail "not at least $((N1 + 2)) records: $(cat "$WORK/v2")"
grep -q "anchor:      record #$N1, still in the chain" "$WORK/v2" || fail "anchor not found: $(cat "$WORK/v2")"
HEAD2=$(sed -n 's/^head: *//p' "$WORK/v2")
[ "$HEAD2" != "$HEAD1" ] || fail "the head did not move"

# The list, and the list about one certificate (JSON: checked by a parser).
"$SEALSVC" --data "$DATA" audit list >"$WORK/list" || fail "audit list failed"
[ "$(wc -l <"$WORK/list")" = "$N2" ] || fail "audit list has not $N2 lines: $(cat "$WORK/list")"
grep -q " freeze " "$WORK/list" && grep -q " unfreeze " "$WORK/list" || fail "no freeze/unfreeze: $(cat "$WORK/list")"
SERIAL=$(openssl x509 -in "$DATA/certs/pujiang.pem" -noout -serial | cut -d= -f2)
"$SEALSVC" --data "$DATA" audit list --target "cert:$SERIAL" --json >"$WORK/list.json" ||
    fail "audit list --target failed"
python3 - "$WORK/list.json" <<'PY' || fail "audit list --json about the certificate is wrong: $(cat "$WORK/list.json")"
import json, sys
r = json.load(open(sys.argv[1]))
actions = [x["action"] for x in r]
assert actions[-2:] == ["freeze", "unfreeze"], actions
assert all(x["target"].startswith("cert:") for x in r)
PY
"$SEALSVC" --data "$DATA" audit verify --json >"$WORK/v.json" || fail "audit verify --json failed"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["intact"] is True and len(j["head"])==64, j' \
    "$WORK/v.json" || fail "audit verify --json is wrong: $(cat "$WORK/v.json")"

# Records cut from the end: the chain that is left is consistent, only the anchor shows it.
sqlite_save "$DB" "$WORK/saved.db"
sql "DELETE FROM audit WHERE id > $N1"
"$SEALSVC" --data "$DATA" audit verify >"$WORK/cut" || fail "a shorter trail alone is not broken: $(cat "$WORK/cut")"
expect_exit 1 "$SEALSVC" --data "$DATA" audit verify --anchor "$HEAD2"
grep -q "BROKEN - the record with hash ${HEAD2:0:16}... is no longer in the audit trail" "$WORK/out" ||
    fail "the cut end is not reported: $(cat "$WORK/out")"

# An edited record, a deleted one in the middle.
sqlite_restore "$WORK/saved.db" "$DB"
sql "UPDATE audit SET detail = 'nothing happened' WHERE id = 2"
expect_exit 1 "$SEALSVC" --data "$DATA" audit verify
grep -q "BROKEN - audit record 2 was changed after it was written" "$WORK/out" ||
    fail "the edit is not reported: $(cat "$WORK/out")"
sqlite_restore "$WORK/saved.db" "$DB"
sql "DELETE FROM audit WHERE id = 3"
expect_exit 1 "$SEALSVC" --data "$DATA" audit verify --json
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["intact"] is False and "record 3 is missing" in j["problem"], j' \
    "$WORK/out" || fail "the deletion is not reported in JSON: $(cat "$WORK/out")"

# Usage slips.
expect_exit 64 "$SEALSVC" --data "$DATA" audit verify --anchor 1234
expect_exit 64 "$SEALSVC" --data "$DATA" audit check
expect_exit 64 "$SEALSVC" --data "$DATA" audit list --anchor "$HEAD1"
echo "audit: OK"
