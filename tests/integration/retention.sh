#!/usr/bin/env bash
# Identity data kept 5 years after the last certificate (docs/retention.md), on SQLite and
# on a private PostgreSQL (lib/postgres.sh, --db URL). People: A holds a personal seal whose
# certificate ends on a 29 February (so the 5 years end on 1 March), B one that is still
# valid at every time the test runs at, C has no certificate (kept 5 years from
# registration), D has a role (kept while it lasts); institution E has nothing (its
# registration goes). Checked: a deletion asked for early is refused naming the date, exit
# 3, and recorded; the date, by `retention run --dry-run --at`, to the second; a run at the
# present (under faketime: a day before A's date, then a day after) deletes what is due and
# nothing else, each deletion audited, and again deletes nothing; the trail verifies; no
# full resident ID or mobile number in any output or audit record; the numbers gone from
# the database, the masked forms left; the holder matched to A after an upgrade from a
# database before the retention schema (SQLite).
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/postgres.sh"
. "$(dirname "$0")/lib/old_store.sh"
command -v faketime >/dev/null || fail "faketime is needed (tests/install-deps.sh installs it)"
# faketime preloads libfaketime ahead of everything; AddressSanitizer's runtime then does
# not come first and refuses to start unless told not to check (the sanitizer pass).
if [ "${SEAL_SANITIZE:-0}" != 0 ]; then
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
fi
pg_start

CODE=91440300MA5DQT0X9H
INST=深圳前海测试有限公司
# A resident ID (GB 11643-1999) with its check character, for sequence number $1.
rid() {
    python3 - "$1" <<'PY'
import sys
b = "44010619850315%03d" % int(sys.argv[1])
w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
print(b + "10X98765432"[sum(int(a) * c for a, c in zip(b, w)) % 11])
PY
}
# A unified social credit code (GB 32100-2015) with its check character.
credit_code() {
    python3 - "$1" <<'PY'
import sys
chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
b = "91110108MA0" + "%06d" % int(sys.argv[1])
w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
print(b + chars[(31 - sum(chars.index(a) * c for a, c in zip(b, w)) % 31) % 31])
PY
}
ID_A=$(rid 1) ID_B=$(rid 2) ID_C=$(rid 3) ID_D=$(rid 4)
MOBILE_A=13912345671 MOBILE_C=13912345673
CODE_E=$(credit_code 42)
# the four IDs share their first 14 characters (region and birth date), never shown either
NUMBERS=("$ID_A" "$ID_B" "$ID_C" "$ID_D" "$MOBILE_A" "$MOBILE_C" "${ID_A:0:14}")

# A's certificate ends on the next 29 February at least two days away; B's long after
# anything this test runs at.
DAYS_A=$(python3 -c '
import datetime
t = datetime.date.today()
y = t.year
while True:
    try:
        d = datetime.date(y, 2, 29)
        if (d - t).days >= 2:
            break
    except ValueError:
        pass
    y += 1
print((d - t).days)')
# 5 calendar years after a time (openssl's "Feb 29 10:00:00 2028 GMT" or ISO), 29 February
# to 1 March, as ISO 8601 UTC; plus $2 seconds.
plus_5y() {
    python3 - "$1" "${2:-0}" <<'PY'
import datetime, sys
t = sys.argv[1]
try:
    d = datetime.datetime.strptime(t, "%b %d %H:%M:%S %Y GMT")
except ValueError:
    d = datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ")
try:
    e = d.replace(year=d.year + 5)
except ValueError:
    e = d.replace(year=d.year + 5, month=3, day=1)
e += datetime.timedelta(seconds=int(sys.argv[2]))
print(e.strftime("%Y-%m-%dT%H:%M:%SZ"))
PY
}
# faketime's form of an ISO time.
ft() { echo "${1%Z}" | tr T ' ' | sed 's/$/ UTC/'; }
# jq-like: python over the last JSON on stdin.
js() { python3 -c "import json,sys; j=json.load(sys.stdin); $1"; }

# run_engine NAME [--db URL]
run_engine() {
    local name=$1
    shift
    local dir="$WORK/$name" data="$WORK/$name/data"
    mkdir -p "$dir"
    local S=("$SEALSVC" "$@" --data "$data")
    local sql=(sqlite3 "$data/sealsvc.db")
    [ $# -gt 0 ] && sql=(psql -X -q -At -d "$PG_URL" -c)
    "$SEALSVC" "$@" demo init --dir "$data" >"$dir/manifest.json" 2>"$dir/demo.log" ||
        fail "$name: demo init: $(cat "$dir/demo.log")"
    local ca="$data/pki/issuing-ca.pem" cakey="$data/pki/private/issuing-ca.key.pem"

    # --- people, seals, an institution
    "${S[@]}" person add --name 王一 --id "$ID_A" --mobile "$MOBILE_A" >>"$dir/out.log" 2>&1
    "${S[@]}" person add --name 王二 --id "$ID_B" >>"$dir/out.log" 2>&1
    "${S[@]}" person add --name 王三 --id "$ID_C" --mobile "$MOBILE_C" >>"$dir/out.log" 2>&1
    "${S[@]}" person add --name 王四 --id "$ID_D" >>"$dir/out.log" 2>&1
    local pa pb pc pd
    pa=$("${S[@]}" person list --json | js 'print([p["id"] for p in j if p["name"] == "王一"][0])')
    pb=$((pa + 1)) pc=$((pa + 2)) pd=$((pa + 3))
    "${S[@]}" institution add --name 北京测试注销有限公司 --code "$CODE_E" >>"$dir/out.log" 2>&1 ||
        fail "$name: institution add: $(tail -1 "$dir/out.log")"
    local who s id days holder
    for who in "a:$ID_A:$DAYS_A:王一" "b:$ID_B:4400:王二"; do
        IFS=: read -r s id days holder <<<"$who"
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$s.key" 2>/dev/null
        openssl req -new -utf8 -key "$dir/$s.key" -subj "/C=CN/O=$INST/CN=$holder" -out "$dir/$s.csr"
        openssl x509 -req -in "$dir/$s.csr" -CA "$ca" -CAkey "$cakey" -passin "file:$data/secrets/kek" \
            -days "$days" -out "$dir/$s.pem" 2>/dev/null
        "${S[@]}" seal make --id "p$s" --institution-code "$CODE" --institution-name "$INST" \
            --pin 246810 --name "$holder" --kind personal --holder-name "$holder" --holder-id "$id" \
            --key "$dir/$s.key" --cert "$dir/$s.pem" >>"$dir/out.log" 2>&1 ||
            fail "$name: seal make p$s: $(tail -3 "$dir/out.log")"
    done
    "${S[@]}" person role-add "$pd" --institution "$CODE" --role handler >>"$dir/out.log" 2>&1
    local ie
    ie=$("${S[@]}" institution list --json | js "print([i['id'] for i in j if i['credit_code'] == '$CODE_E'][0])")

    # --- an older database (before the retention schema): its holders matched on upgrade
    if [ $# -eq 0 ]; then
        cp -a "$data" "$dir/old"
        old_store sqlite "$dir/old/sealsvc.db"
        "$SEALSVC" --data "$dir/old" retention run --dry-run --json >"$dir/old.json" 2>"$dir/old.err" ||
            fail "$name: the upgraded database: $(cat "$dir/old.err")"
        js "b = [i for i in j['kept'] if i['id'] == $pb][0]; assert b['seals'] == ['pb'], b" <"$dir/old.json" ||
            fail "$name: the holder of pb is not matched to B after the upgrade: $(cat "$dir/old.json")"
        [ "$(sqlite3 "$dir/old/sealsvc.db" "SELECT max(version) FROM schema_version")" = "$(schema_known "$dir/old")" ] ||
            fail "$name: the old database was not migrated"
    fi

    # --- A's date: 5 calendar years after the certificate's notAfter (29 February -> 1 March)
    local end_a mark_a before after
    end_a=$(openssl x509 -in "$dir/a.pem" -noout -enddate | sed 's/notAfter=//')
    mark_a=$(plus_5y "$end_a")
    case "$mark_a" in ????-03-01T*) ;; *) fail "$name: A's certificate does not end on 29 February ($end_a)" ;; esac
    before=$(plus_5y "$end_a" -86400)
    after=$(plus_5y "$end_a" 86400)
    "${S[@]}" retention run --dry-run --at "$before" --json >"$dir/dry.json"
    js "a = [i for i in j['kept'] if i['id'] == $pa][0]; \
        assert a['keep_until'] == '$mark_a' and a['seals'] == ['pa'], a; \
        assert a['basis_what'] == 'the end of the certificate of seal pa', a; \
        assert a['resident_id'] == '${ID_A:0:6}********${ID_A:14:4}', a" <"$dir/dry.json" ||
        fail "$name: A's date is not $mark_a: $(cat "$dir/dry.json")"
    # to the second: due at the mark, not one second before
    local s due
    for s in -1:False 0:True; do
        due=$("${S[@]}" retention run --dry-run --at "$(plus_5y "$end_a" "${s%%:*}")" --json |
            js "print(any(i['id'] == $pa for i in j['deleted']))")
        [ "$due" = "${s#*:}" ] || fail "$name: A due ${s%%:*} s from $mark_a: $due"
    done

    # --- early deletions: refused naming the date, exit 3, recorded; a reason with a number refused
    expect_exit 3 "${S[@]}" person delete "$pa" --reason "asked by the holder, ticket 7"
    grep -q "^sealsvc: policy error: person delete: the identity data of person $pa must be kept until $mark_a (5 years after .*: the end of the certificate of seal pa); the attempt is recorded in the audit trail" "$WORK/err" ||
        fail "$name: early delete of A: $(cat "$WORK/err")"
    cat "$WORK/out" "$WORK/err" >>"$dir/out.log"
    expect_exit 3 "${S[@]}" person delete "$pd" --reason "left the company"
    grep -q "must be kept while person $pd is handler of institution" "$WORK/err" ||
        fail "$name: delete of D with a role: $(cat "$WORK/err")"
    local e_until
    e_until=$(plus_5y "$("${S[@]}" institution list --json | js "print([i['created'] for i in j if i['credit_code'] == '$CODE_E'][0])")")
    expect_exit 3 "${S[@]}" institution delete "$CODE_E" --reason "dissolved"
    grep -q "institution .* must be kept until $e_until (5 years after .*: the registration (no certificate))" "$WORK/err" ||
        fail "$name: early delete of E: $(cat "$WORK/err")"
    expect_exit 3 "${S[@]}" person delete "$pa" --reason "the holder $ID_A asked"
    grep -q "the reason holds a resident ID" "$WORK/err" || fail "$name: a reason with an ID: $(cat "$WORK/err")"
    cat "$WORK/out" "$WORK/err" >>"$dir/out.log"
    expect_exit 64 "${S[@]}" person delete "$pa"
    expect_exit 3 "${S[@]}" retention run --at 2099-01-01
    grep -q "later than now, which only --dry-run may ask" "$WORK/err" || fail "$name: a run in the future: $(cat "$WORK/err")"
    "${S[@]}" audit list --json >"$dir/trail-early.json"
    js "r = [x for x in j if x['action'] == 'identity-erase-refused']; \
        t = sorted(x['target'] for x in r); \
        assert t == sorted(['person:$pa', 'person:$pd', 'institution:$ie', 'retention']), t; \
        a = [x for x in r if x['target'] == 'person:$pa'][0]; \
        assert 'kept until $mark_a' in a['detail'] and 'asked: asked by the holder, ticket 7' in a['detail'], a; \
        assert not [x for x in j if x['action'] == 'identity-erase'], 'something was deleted'" <"$dir/trail-early.json" ||
        fail "$name: the refusals in the trail: $(grep -A3 refused "$dir/trail-early.json")"

    # --- a day before A's date: C (registered, no certificate) and E go, A stays
    faketime "$(ft "$before")" "${S[@]}" retention run --json >"$dir/run-before.json" 2>"$dir/run-before.err" ||
        fail "$name: retention run a day before: $(cat "$dir/run-before.err")"
    js "d = [(i['kind'], i['id']) for i in j['deleted']]; k = [(i['kind'], i['id']) for i in j['kept']]; \
        assert ('person', $pc) in d and ('institution', $ie) in d, d; \
        assert ('person', $pa) in k and ('person', $pb) in k and ('person', $pd) in k, k" <"$dir/run-before.json" ||
        fail "$name: the run a day before A's date: $(cat "$dir/run-before.json")"
    "${S[@]}" person show "$pa" --json | js "assert j['mobile'] and not j['numbers_deleted'], j" ||
        fail "$name: A's numbers are gone a day early"
    "${S[@]}" person show "$pc" --json | js "assert not j['mobile'] and j['numbers_deleted'], j" ||
        fail "$name: C's numbers are kept"
    "${S[@]}" institution list --json | js "assert not [i for i in j if i['credit_code'] == '$CODE_E'], j" ||
        fail "$name: E's registration is still there"

    # --- a day after: A goes (the person and the holder of pa), B (valid certificate) and D stay
    faketime "$(ft "$after")" "${S[@]}" retention run >"$dir/run-after.txt" 2>"$dir/run-after.err" ||
        fail "$name: retention run a day after: $(cat "$dir/run-after.err")"
    # (the faked clock runs on from $after: the run's "as at" may be a second or so later)
    grep -q "^retention as at ${after%T*}T[0-9:]*Z: deleted [1-9]" "$dir/run-after.txt" ||
        fail "$name: the run a day after: $(cat "$dir/run-after.txt")"
    grep -q "^deleted       person $pa 王一 ${ID_A:0:6}\*\{8\}${ID_A:14:4} (seals pa): kept until $mark_a " "$dir/run-after.txt" ||
        fail "$name: A is not deleted a day after: $(cat "$dir/run-after.txt")"
    grep -q "^kept          person $pb 王二 .* (seals pb): kept until " "$dir/run-after.txt" ||
        fail "$name: B (certificate still valid) is not kept: $(cat "$dir/run-after.txt")"
    grep -q "^kept          person $pd 王四 .*: kept while person $pd is handler of institution" "$dir/run-after.txt" ||
        fail "$name: D (a role) is not kept: $(cat "$dir/run-after.txt")"
    faketime "$(ft "$after")" "${S[@]}" retention run >"$dir/run-again.txt" 2>&1
    grep -q ": deleted 0, " "$dir/run-again.txt" || fail "$name: a second run deleted: $(cat "$dir/run-again.txt")"
    faketime "$(ft "$after")" "${S[@]}" person delete "$pa" --reason "asked again" >"$dir/again.txt" 2>&1 ||
        fail "$name: deleting A again: $(cat "$dir/again.txt")"
    grep -q "the numbers were deleted already, on ${after%??????????}" "$dir/again.txt" || fail "$name: deleting A again: $(cat "$dir/again.txt")"
    expect_exit 3 faketime "$(ft "$after")" "${S[@]}" person delete "$pb" --reason "asked"
    grep -q "person $pb must be kept until " "$WORK/err" || fail "$name: B: $(cat "$WORK/err")"
    cat "$WORK/out" "$WORK/err" >>"$dir/out.log"

    # --- what is left: masked forms; the numbers gone from the database
    "${S[@]}" person show "$pa" --json >"$dir/a.json"
    js "assert j['resident_id'] == '${ID_A:0:6}********${ID_A:14:4}' and not j['mobile'], j" <"$dir/a.json" ||
        fail "$name: A after deletion: $(cat "$dir/a.json")"
    "${S[@]}" seal list >"$dir/seals.txt" 2>&1
    grep -q "^pa	personal	ecdsa	$INST	王一 ${ID_A:0:6}\*\{8\}${ID_A:14:4}	" "$dir/seals.txt" ||
        fail "$name: seal list after A's deletion: $(cat "$dir/seals.txt")"
    [ "$("${sql[@]}" "SELECT count(*) FROM person WHERE id_sealed IS NULL AND mobile_sealed IS NULL AND id = $pa")" = 1 ] ||
        fail "$name: A's sealed numbers are still in the database"
    [ "$("${sql[@]}" "SELECT count(*) FROM seal_holder WHERE seal_id = 'pa' AND id_sealed IS NULL AND id_lookup IS NULL")" = 1 ] ||
        fail "$name: the holder of pa keeps its number"
    [ "$("${sql[@]}" "SELECT count(*) FROM seal_holder WHERE seal_id = 'pb' AND id_sealed IS NOT NULL")" = 1 ] ||
        fail "$name: the holder of pb lost its number"
    [ "$("${sql[@]}" "SELECT count(*) FROM person WHERE id IN ($pb, $pd) AND id_sealed IS NOT NULL")" = 2 ] ||
        fail "$name: B's or D's numbers are gone"
    # A may register again: the MAC the person was found by went with the number
    "${S[@]}" person add --name 王一 --id "$ID_A" >>"$dir/out.log" 2>&1 ||
        fail "$name: A cannot register again: $(tail -1 "$dir/out.log")"

    # --- the trail: intact; one record per deletion, no number in any
    "${S[@]}" audit verify >"$dir/verify.txt" 2>&1 || fail "$name: audit verify: $(cat "$dir/verify.txt")"
    grep -q "^audit trail: intact" "$dir/verify.txt" || fail "$name: audit verify: $(cat "$dir/verify.txt")"
    "${S[@]}" audit list --json >"$dir/trail.json"
    js "e = [x['target'] for x in j if x['action'] == 'identity-erase']; \
        assert {'person:$pa', 'person:$pc', 'institution:$ie'} <= set(e) and len(e) == len(set(e)), e; \
        assert not {'person:$pb', 'person:$pd'} & set(e), e; \
        a = [x for x in j if x['action'] == 'identity-erase' and x['target'] == 'person:$pa'][0]; \
        assert 'kept until $mark_a' in a['detail'] and 'by retention run' in a['detail'], a; \
        assert all('王' not in x['detail'] for x in j if x['action'].startswith('identity-erase')), 'a name in a record'" \
        <"$dir/trail.json" || fail "$name: the deletions in the trail: $(grep -A3 identity-erase "$dir/trail.json")"
    local n
    for n in "${NUMBERS[@]}"; do
        grep -rqF "$n" "$dir"/*.json "$dir"/*.txt "$dir"/*.log "$dir"/*.err &&
            fail "$name: a full number appears in an output: $(grep -rlF "$n" "$dir")"
    done
    if [ $# -eq 0 ]; then
        ! grep -aqF "${ID_A:0:14}" "$data/sealsvc.db" || fail "$name: A's number is in clear in the database"
    fi
}

run_engine sqlite
run_engine postgresql --db "$PG_URL"
echo "retention: OK"
