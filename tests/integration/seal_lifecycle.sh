#!/usr/bin/env bash
# The seal lifecycle (docs/lifecycle.md): an application is made, filed and activated
# before it stamps; frozen, lost and cancelled seals are refused with their state named; a
# transition the table does not allow is refused naming the state; every change is an
# event (`seal show ID`, the state at a past time with --at) and an audit record with the
# user and the reason. A seal made without an application (demo init, `seal make`) is
# active at once, its history made -> filed -> active. An older database (states active,
# locked, revoked under a CHECK constraint) migrates on both engines: locked becomes
# active with the lock flag, revoked becomes cancelled, and the seals stamp as before.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/postgres.sh"
. "$(dirname "$0")/lib/old_store.sh"
make_demo
S=("$SEALSVC" --data "$DATA")
SAMPLE="$WORK/in.pdf"
cp "$SEAL_SOURCE_DIR/samples/contract-zh.pdf" "$SAMPLE"
USER_NAME=$(id -un)
read -r CODE NAME < <(sqlite3 -separator ' ' "$DATA/sealsvc.db" "SELECT credit_code, name FROM institution ORDER BY id LIMIT 1")
PIN=246810
ID=lc-seal

stamp_ok() { # OUT
    "${S[@]}" stamp "$SAMPLE" "$1" --seal "$ID" --pin "$PIN" --at 50,50 >/dev/null 2>"$WORK/stamp.err" ||
        fail "a stamp with an active seal failed: $(cat "$WORK/stamp.err")"
    "${S[@]}" verify "$1" >/dev/null || fail "the stamp does not verify"
}
stamp_refused() { # MESSAGE
    rm -f "$WORK/no.pdf"
    expect_exit 3 "${S[@]}" stamp "$SAMPLE" "$WORK/no.pdf" --seal "$ID" --pin "$PIN" --at 50,50
    grep -qF "$1" "$WORK/err" || fail "stamp refusal '$(cat "$WORK/err")' does not say '$1'"
    [ ! -e "$WORK/no.pdf" ] || fail "a refused stamp left an output"
}
step() { # EVENT FROM TO
    "${S[@]}" seal "$1" "$ID" --reason "step $1" >"$WORK/step.txt" 2>&1 ||
        fail "seal $1: $(cat "$WORK/step.txt")"
    grep -qxF "seal $ID: $2 -> $3; recorded in the audit trail" "$WORK/step.txt" ||
        fail "seal $1 says: $(cat "$WORK/step.txt")"
}
refused_step() { # EVENT STATE
    expect_exit 3 "${S[@]}" seal "$1" "$ID" --reason "not allowed"
    grep -qF "seal $ID is $2: it cannot be" "$WORK/err" || fail "seal $1 from $2 says: $(cat "$WORK/err")"
}
state_now() {
    "${S[@]}" seal show "$ID" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'
}

# --- a demo seal: made, filed and activated at once
DEMO=$(seal_of ecdsa id official)
"${S[@]}" seal show "$DEMO" --json >"$WORK/demo.json"
python3 - "$WORK/demo.json" <<'PY' || fail "the demo seal's lifecycle: $(cat "$WORK/demo.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["state"] == "active" and j["locked"] is False, j
assert [(e["from"], e["to"]) for e in j["history"]] == [(None, "made"), ("made", "filed"), ("filed", "active")], j
PY

# --- an application: applied, then made, filed, activated
expect_exit 64 "${S[@]}" seal apply "$ID" --institution-code "$CODE" --name "$NAME"
grep -q "reason" "$WORK/err" || fail "apply without --reason: $(cat "$WORK/err")"
"${S[@]}" seal apply "$ID" --institution-code "$CODE" --name "$NAME" --reason "new contract seal" >/dev/null ||
    fail "seal apply failed"
[ "$(state_now)" = applied ] || fail "the application is $(state_now)"
refused_step file applied
expect_exit 3 "${S[@]}" seal apply "$ID" --institution-code "$CODE" --name "$NAME" --reason again
grep -q "exists already" "$WORK/err" || fail "a second application: $(cat "$WORK/err")"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/ec.key" 2>/dev/null
openssl req -new -utf8 -key "$WORK/ec.key" -subj "/C=CN/O=$NAME/CN=$NAME" -out "$WORK/req.csr"
openssl x509 -req -in "$WORK/req.csr" -CA "$DATA/pki/issuing-ca.pem" -CAkey "$DATA/pki/private/issuing-ca.key.pem" \
    -passin "file:$DATA/secrets/kek" -days 365 -out "$WORK/ec.pem" 2>/dev/null
"${S[@]}" seal make --id "$ID" --institution-code "$CODE" --name "$NAME" --key "$WORK/ec.key" \
    --cert "$WORK/ec.pem" --pin "$PIN" >/dev/null 2>"$WORK/make.err" || fail "seal make: $(cat "$WORK/make.err")"
[ "$(state_now)" = made ] || fail "the seal made from the application is $(state_now)"
stamp_refused "seal $ID is made and cannot be used until it is filed and activated"
refused_step activate made
step file made filed
stamp_refused "seal $ID is filed and cannot be used until it is activated"
step activate filed active
stamp_ok "$WORK/active.pdf"
T_ACTIVE=$(date +%s)
sleep 1

# --- frozen and back; the state at a past time
step freeze active frozen
stamp_refused "seal $ID is frozen and cannot be used until it is unfrozen"
sleep 1
T_FROZEN=$(date +%s)
sleep 1
refused_step freeze frozen
step unfreeze frozen active
stamp_ok "$WORK/unfrozen.pdf"
"${S[@]}" seal show "$ID" --at "@$T_FROZEN" >"$WORK/at.txt" || fail "seal show --at failed"
grep -q "^state:   frozen at " "$WORK/at.txt" || fail "the state while frozen: $(cat "$WORK/at.txt")"
"${S[@]}" seal show "$ID" --at "@$T_ACTIVE" | grep -q "^state:   active at " || fail "the state before the freeze"
"${S[@]}" seal show "$ID" --at 2001-01-01 | grep -q "^state:   (did not exist yet)" ||
    fail "the state before the application"

# --- the lock flag beside the state: a locked active seal is refused, unlock keeps it active
"${S[@]}" seal lock "$ID" --reason "clerk on leave" >/dev/null || fail "seal lock failed"
stamp_refused "seal $ID is locked by an administrator"
step freeze active frozen
stamp_refused "seal $ID is frozen"
"${S[@]}" seal unlock "$ID" --reason "clerk back" >"$WORK/unlock.txt" || fail "seal unlock failed"
grep -q "unlocked, frozen" "$WORK/unlock.txt" || fail "unlock says: $(cat "$WORK/unlock.txt")"
step unfreeze frozen active

# --- lost, cancelled: for good
step report-lost active lost
stamp_refused "seal $ID is lost and can no longer be used"
refused_step unfreeze lost
step cancel lost cancelled
stamp_refused "seal $ID is cancelled and can no longer be used"
for e in file activate freeze unfreeze report-lost cancel; do refused_step "$e" cancelled; done
expect_exit 64 "${S[@]}" seal freeze "$ID"
expect_exit 3 "${S[@]}" seal freeze no-such-seal --reason x
grep -q "there is no seal or application with id no-such-seal" "$WORK/err" || fail "unknown seal: $(cat "$WORK/err")"

# --- the trail: each transition with its user and reason, and intact
"${S[@]}" audit list --target "seal:$ID" >"$WORK/audit.txt"
python3 - "$WORK/audit.txt" "$USER_NAME" <<'PY' || fail "the seal's audit records: $(cat "$WORK/audit.txt")"
import sys
lines = [l for l in open(sys.argv[1]).read().splitlines() if l.split()[2] not in ("stamp", "stamp-failed")]
acts = [l.split()[2] for l in lines]
assert acts == ["apply", "make", "file", "activate", "freeze", "unfreeze", "lock", "freeze", "unlock",
                "unfreeze", "report-lost", "cancel"], acts
for l in lines:
    assert "(by %s)" % sys.argv[2] in l, l
assert "-> frozen: step freeze" in lines[4], lines[4]
assert "new contract seal" in lines[0], lines[0]
PY
"${S[@]}" audit verify >/dev/null || fail "the audit trail is not intact"
"${S[@]}" seal show "$ID" | grep -c " -> " | grep -qx 10 || fail "the history: $("${S[@]}" seal show "$ID")"

# --- an older database on both engines: locked -> active + lock flag, revoked -> cancelled
migrate_old() { # NAME ENGINE TARGET [--db URL]
    local name=$1 engine=$2 target=$3
    shift 3
    local data="$WORK/$name"
    local O=("$SEALSVC" "$@" --data "$data")
    "$SEALSVC" "$@" demo init --dir "$data" >"$WORK/$name.json" 2>"$WORK/$name.log" ||
        fail "$name: demo init: $(cat "$WORK/$name.log")"
    local a b c pin
    a=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seals"][0]["id"])' "$WORK/$name.json")
    b=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seals"][1]["id"])' "$WORK/$name.json")
    c=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seals"][2]["id"])' "$WORK/$name.json")
    pin=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seals"][2]["pin"])' "$WORK/$name.json")
    "${O[@]}" seal lock "$a" >/dev/null
    "${O[@]}" seal revoke "$b" >/dev/null
    old_store "$engine" "$target"
    local q="SELECT state FROM seal WHERE id IN ('$a', '$b') ORDER BY id = '$a'"
    local states
    if [ "$engine" = sqlite ]; then states=$(sqlite3 "$target" "$q" | tr '\n' ' '); else states=$(psql -X -q -A -t -d "$target" -c "$q" | tr '\n' ' '); fi
    [ "$states" = "revoked locked " ] || fail "$name: the old store's states are $states"
    "${O[@]}" db migrate >"$WORK/$name.migrate" 2>&1 || fail "$name: db migrate: $(cat "$WORK/$name.migrate")"
    "${O[@]}" seal list >"$WORK/$name.list"
    grep -qP "^$a\t.*\tactive \(locked\)$" "$WORK/$name.list" || fail "$name: the locked seal: $(cat "$WORK/$name.list")"
    grep -qP "^$b\t.*\tcancelled$" "$WORK/$name.list" || fail "$name: the revoked seal: $(cat "$WORK/$name.list")"
    "${O[@]}" seal show "$b" --json | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert [e["to"] for e in j["history"]] == ["active", "cancelled"], j' || fail "$name: the revoked seal's history"
    "${O[@]}" stamp "$SAMPLE" "$WORK/$name.pdf" --seal "$c" --pin "$pin" --at 50,50 >/dev/null 2>"$WORK/err" ||
        fail "$name: a stamp after the migration: $(cat "$WORK/err")"
    expect_exit 3 "${O[@]}" stamp "$SAMPLE" "$WORK/$name-b.pdf" --seal "$b" --pin "$pin" --at 50,50
    grep -q "cancelled" "$WORK/err" || fail "$name: the cancelled seal stamped: $(cat "$WORK/err")"
    "${O[@]}" audit verify >"$WORK/$name.verify" || fail "$name: audit verify: $(cat "$WORK/$name.verify")"
    grep -q "keyed from record" "$WORK/$name.verify" || fail "$name: $(cat "$WORK/$name.verify")"
    echo "$name: an older database migrated"
}
migrate_old old-sqlite sqlite "$WORK/old-sqlite/sealsvc.db"
pg_start
migrate_old old-postgresql postgresql "$PG_URL" --db "$PG_URL"
echo "seal_lifecycle: OK"
