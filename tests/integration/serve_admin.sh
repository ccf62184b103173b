#!/usr/bin/env bash
# The administration routes of `sealsvc serve` against curl on loopback, on the embedded
# SQLite store and on a private PostgreSQL (lib/postgres.sh): each call with an admin key
# does what the command line shows afterwards (an institution registered over HTTP is in
# `sealsvc institution list`, a seal frozen over HTTP refuses a stamp, a certificate frozen
# over HTTP is suspended for `sealsvc cert status`, the audit record names the key); portal,
# clerk and auditor keys are refused as the roles say, and an auditor that acts for one
# institution reads only its seals' records; malformed, mistyped and oversized JSON
# bodies, unknown ids and transitions the state does not allow are refused with the
# problem documents docs/serve.md lists; the audit chain verifies at the end; and no
# resident ID or mobile number is in any answer or in the server's log.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/serve.sh"
. "$(dirname "$0")/lib/postgres.sh"

# Identity numbers with valid check characters (GB 11643-1999, GB 32100-2015), and ones
# with a wrong check character; none may come back in an answer or the log.
ID_A=440106198503151233
ID_B=310115197811204563
ID_BAD=310115197811204564
MOBILE=13812345678
CODE_NEW=91310000MA1FL8TQ23
CODE_BAD=91310000MA1FL8TQ24
XINGHE=91110108MA01XH3K7J
SAMPLE="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"

# api KEY METHOD PATH NAME [CURL ARGS...]: prints the status; the answer goes to
# $R/NAME.json, its headers to $R/NAME.json.h.
api() {
    local key=$1 method=$2 path=$3 name=$4
    shift 4
    local auth=()
    [ -n "$key" ] && auth=(-H "Authorization: Bearer $key")
    curl -s -X "$method" -o "$R/$name.json" -D "$R/$name.json.h" -w '%{http_code}' \
        "${auth[@]}" "$@" "$SERVE_URL$path"
}
# expect STATUS KEY METHOD PATH NAME [CURL ARGS...]
expect() {
    local status=$1 got
    shift
    got=$(api "$@")
    [ "$got" = "$status" ] || fail "$ENGINE: $2 $3 answered $got, not $status: $(head -c 600 "$R/$4.json")"
}
# send STATUS KEY METHOD PATH NAME JSON: a JSON body
send() {
    local status=$1 key=$2 method=$3 path=$4 name=$5 body=$6
    expect "$status" "$key" "$method" "$path" "$name" -H "Content-Type: application/json" --data-binary "$body"
}
# problem NAME STATUS CODE: $R/NAME.json is that problem document
problem() {
    expect_problem "$R/$1.json" "$2" "$3"
}
# check NAME PYTHON: a Python expression over the answer `j` (and `sys.argv[3:]`) is true
check() {
    local name=$1 expr=$2
    shift 2
    python3 - "$R/$name.json" "$expr" "$@" <<'PY' || fail "$ENGINE: $name: not $expr: $(head -c 800 "$R/$name.json")"
import json, sys
j = json.load(open(sys.argv[1]))
argv = sys.argv[3:]
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
}
# stamp KEY SEAL PIN NAME: a synchronous stamp over HTTP; prints the status
stamp() {
    api "$1" POST "/api/v1/stamp?seal=$2&page=1&at=100,100" "$4" -H "Content-Type: application/pdf" \
        --data-binary "@$SAMPLE" --url-query "pin=$3"
}
manifest() { # FIELD ALGORITHM: a field of the first demo seal with that algorithm
    python3 -c 'import json,sys; print([s[sys.argv[2]] for s in json.load(open(sys.argv[1]))["seals"] if s["algorithm"] == sys.argv[3]][0])' \
        "$DIR/manifest.json" "$1" "$2"
}

run_engine() {
    ENGINE=$1
    DIR="$WORK/$ENGINE"
    DATA="$DIR/data"
    R="$DIR/answers"
    mkdir -p "$R" "$DIR/tmp"
    "$SEALSVC" demo init --dir "$DATA" >"$DIR/manifest.json" 2>"$DIR/demo.log" ||
        fail "$ENGINE: demo init: $(cat "$DIR/demo.log")"
    local S=("$SEALSVC" --data "$DATA")
    local ADMIN ADMIN_ID PORTAL PORTAL_ID CLERK CLERK_ID AUDITOR AUDITOR_ID AUDITOR_X
    ADMIN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["api_key"]["key"])' "$DIR/manifest.json")
    ADMIN_ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["api_key"]["id"])' "$DIR/manifest.json")
    PORTAL=$("${S[@]}" apikey create --role portal --institution "$XINGHE" 2>/dev/null)
    CLERK=$("${S[@]}" apikey create --role clerk --institution "$XINGHE" 2>/dev/null)
    AUDITOR=$("${S[@]}" apikey create --role auditor 2>/dev/null)
    AUDITOR_X=$("${S[@]}" apikey create --role auditor --institution "$XINGHE" 2>/dev/null)
    "${S[@]}" apikey list --json >"$DIR/keys.json"
    key_id() { python3 -c 'import json,sys; print([k["id"] for k in json.load(open(sys.argv[1])) if k["role"] == sys.argv[2] and bool(k["institution"]) == (sys.argv[3] == "1")][0])' "$DIR/keys.json" "$1" "$2"; }
    PORTAL_ID=$(key_id portal 1)
    CLERK_ID=$(key_id clerk 1)
    AUDITOR_ID=$(key_id auditor 0)
    local RSA RSA_PIN EC EC_PIN SM2 SERIAL
    RSA=$(manifest id rsa)
    RSA_PIN=$(manifest pin rsa)
    EC=$(manifest id ecdsa)
    EC_PIN=$(manifest pin ecdsa)
    SM2=$(manifest id sm2)
    SERIAL=$(openssl x509 -in "$DATA/certs/pujiang.pem" -noout -serial | cut -d= -f2)
    printf '[server]\nthreads = 3\ntmp_dir = %s\n[verify]\noffline = true\n' "$DIR/tmp" >"$DIR/serve.conf"
    start_serve "$DIR/serve.log" --config "$DIR/serve.conf"

    # --- institutions: registered over HTTP, listed by the command line
    expect 200 "$ADMIN" GET /api/v1/institutions inst-list
    check inst-list 'len(j["institutions"]) == 4'
    send 201 "$ADMIN" POST /api/v1/institutions inst-new "{\"name\":\"上海测试有限公司\",\"credit_code\":\"$CODE_NEW\"}"
    grep -qi "^location: /api/v1/institutions/$CODE_NEW" "$R/inst-new.json.h" || fail "$ENGINE: no Location"
    "${S[@]}" institution list | grep -q "$CODE_NEW  上海测试有限公司" || fail "$ENGINE: institution list lacks the new one"
    send 409 "$ADMIN" POST /api/v1/institutions inst-again "{\"name\":\"又一个\",\"credit_code\":\"$CODE_NEW\"}"
    problem inst-again 409 exists
    send 422 "$ADMIN" POST /api/v1/institutions inst-bad "{\"name\":\"错误\",\"credit_code\":\"$CODE_BAD\"}"
    problem inst-bad 422 invalid-value
    check inst-bad '"check character" in j["detail"]'
    expect 200 "$ADMIN" GET "/api/v1/institutions/$CODE_NEW" inst-get
    check inst-get 'j["name"] == "上海测试有限公司" and j["people"] == []'
    expect 404 "$ADMIN" GET "/api/v1/institutions/$CODE_BAD" inst-none
    problem inst-none 404 institution-not-found

    # --- bad bodies: refused by what is wrong, naming the member, quoting no value
    send 400 "$ADMIN" POST /api/v1/institutions json-cut '{"name": "x", "credit_code": '
    problem json-cut 400 malformed-json
    send 400 "$ADMIN" POST /api/v1/people json-number "{\"name\":\"甲\",\"resident_id\":${ID_BAD%?}X}"
    problem json-number 400 malformed-json
    send 400 "$ADMIN" POST /api/v1/people json-type "{\"name\":\"甲\",\"resident_id\":$ID_A}"
    problem json-type 400 invalid-request
    check json-type 'j["field"] == "resident_id" and "must be a string" in j["detail"]'
    send 400 "$ADMIN" POST /api/v1/institutions json-member "{\"name\":\"x\",\"credit_code\":\"$CODE_NEW\",\"boss\":1}"
    check json-member 'j["field"] == "boss" and j["code"] == "invalid-request"'
    send 400 "$ADMIN" POST /api/v1/people json-member-number "{\"name\":\"x\",\"$ID_A\":\"$ID_A\"}"
    check json-member-number 'j["field"] == "440***********1233"'
    send 400 "$ADMIN" POST /api/v1/institutions json-missing '{"name":"x"}'
    check json-missing 'j["field"] == "credit_code"'
    send 400 "$ADMIN" POST /api/v1/institutions json-array '["x"]'
    problem json-array 400 invalid-request
    send 400 "$ADMIN" POST /api/v1/institutions json-dup '{"name":"x","name":"y","credit_code":"z"}'
    problem json-dup 400 malformed-json
    python3 -c 'print("[" * 10000 + "]" * 10000)' >"$DIR/deep.json"
    expect 400 "$ADMIN" POST /api/v1/institutions json-deep -H "Content-Type: application/json" --data-binary "@$DIR/deep.json"
    problem json-deep 400 malformed-json
    python3 -c 'import json; print(json.dumps({"name": "x" * 70000, "credit_code": "y"}))' >"$DIR/big.json"
    expect 413 "$ADMIN" POST /api/v1/institutions json-big -H "Content-Type: application/json" --data-binary "@$DIR/big.json"
    problem json-big 413 body-too-large
    expect 415 "$ADMIN" POST /api/v1/institutions json-media -H "Content-Type: text/plain" --data 'name=x'
    problem json-media 415 unsupported-media-type
    expect 200 "" GET /healthz alive

    # --- people: identity numbers masked in every answer; roles shown by the command line
    send 201 "$ADMIN" POST /api/v1/people person-a "{\"name\":\"张三\",\"resident_id\":\"$ID_A\",\"mobile\":\"$MOBILE\"}"
    check person-a 'j["resident_id"] == "440106********1233" and j["mobile"] == "138****5678" and j["roles"] == []'
    local PA PB
    PA=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$R/person-a.json")
    send 201 "$ADMIN" POST /api/v1/people person-b "{\"name\":\"李四\",\"resident_id\":\"$ID_B\"}"
    PB=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$R/person-b.json")
    "${S[@]}" person list | grep -q "^$PA .*张三 .*440106\*\*\*\*\*\*\*\*1233  138\*\*\*\*5678" ||
        fail "$ENGINE: person list: $("${S[@]}" person list)"
    send 409 "$ADMIN" POST /api/v1/people person-again "{\"name\":\"张三\",\"resident_id\":\"$ID_A\"}"
    problem person-again 409 exists
    send 422 "$ADMIN" POST /api/v1/people person-bad "{\"name\":\"王五\",\"resident_id\":\"$ID_BAD\"}"
    problem person-bad 422 invalid-value
    send 422 "$ADMIN" POST /api/v1/people person-mobile "{\"name\":\"王五\",\"resident_id\":\"110108199207073219\",\"mobile\":\"2381234567\"}"
    problem person-mobile 422 invalid-value
    expect 200 "$ADMIN" GET /api/v1/people people
    check people 'len(j["people"]) == 4'
    expect 200 "$ADMIN" GET "/api/v1/people/$PA" person-get
    expect 404 "$ADMIN" GET /api/v1/people/999 person-none
    problem person-none 404 person-not-found
    # a number in the path: no answer and no log line shows it whole
    expect 404 "$ADMIN" GET "/api/v1/people/$ID_A" person-by-number
    problem person-by-number 404 person-not-found
    check person-by-number 'j["instance"] == "/api/v1/people/440***********1233"'
    expect 403 "$PORTAL" GET "/api/v1/people/$ID_A" person-by-number-portal
    expect 404 "$ADMIN" GET "/api/v1/nothing/$MOBILE" path-mobile
    expect 405 "$ADMIN" PUT "/api/v1/people/$ID_B" path-method
    send 201 "$ADMIN" POST "/api/v1/people/$PA/roles" role-a "{\"institution\":\"$XINGHE\",\"role\":\"seal-administrator\"}"
    send 201 "$ADMIN" POST "/api/v1/people/$PB/roles" role-b "{\"institution\":\"$XINGHE\",\"role\":\"handler\"}"
    send 201 "$ADMIN" POST "/api/v1/people/$PB/roles" role-b2 "{\"institution\":\"$XINGHE\",\"role\":\"legal-representative\"}"
    "${S[@]}" institution show "$XINGHE" >"$DIR/inst.txt"
    grep -q "seal-administrator: person $PA, 张三" "$DIR/inst.txt" && grep -q "handler: person $PB, 李四" "$DIR/inst.txt" ||
        fail "$ENGINE: institution show: $(cat "$DIR/inst.txt")"
    send 409 "$ADMIN" POST "/api/v1/people/$PA/roles" role-second-legal "{\"institution\":\"$XINGHE\",\"role\":\"legal-representative\"}"
    problem role-second-legal 409 policy-refused
    send 400 "$ADMIN" POST "/api/v1/people/$PA/roles" role-unknown "{\"institution\":\"$XINGHE\",\"role\":\"boss\"}"
    check role-unknown 'j["field"] == "role"'
    send 422 "$ADMIN" POST "/api/v1/people/$PA/roles" role-noinst "{\"institution\":\"$CODE_BAD\",\"role\":\"handler\"}"
    problem role-noinst 422 unknown-reference
    send 404 "$ADMIN" POST /api/v1/people/999/roles role-noperson "{\"institution\":\"$XINGHE\",\"role\":\"handler\"}"
    problem role-noperson 404 person-not-found
    expect 200 "$ADMIN" DELETE "/api/v1/people/$PB/roles/legal-representative?institution=$XINGHE" role-remove
    "${S[@]}" person show "$PB" --json | python3 -c 'import json,sys; r=json.load(sys.stdin)["roles"]; sys.exit(0 if [x["role"] for x in r] == ["handler"] else 1)' ||
        fail "$ENGINE: person show after the role's removal: $("${S[@]}" person show "$PB")"
    expect 404 "$ADMIN" DELETE "/api/v1/people/$PB/roles/legal-representative?institution=$XINGHE" role-remove-again
    problem role-remove-again 404 role-not-found
    expect 400 "$ADMIN" DELETE "/api/v1/people/$PB/roles/handler" role-remove-noinst
    check role-remove-noinst 'j["field"] == "institution"'

    # --- grants and the grant rule: the command line's stamp obeys what was set over HTTP
    send 201 "$ADMIN" POST /api/v1/grants grant-new "{\"seal\":\"$RSA\",\"grantor\":$PA,\"grantee\":$PB,\"until\":\"2099-12-31\",\"max_uses\":1,\"project\":\"ZB-2026-001\"}"
    local G
    G=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$R/grant-new.json")
    check grant-new 'j["state"] == "active" and j["created_by"] == "apikey:" + argv[0]' "$ADMIN_ID"
    "${S[@]}" grant list --seal "$RSA" --json | python3 -c 'import json,sys; g=json.load(sys.stdin); sys.exit(0 if [x["project"] for x in g if x["id"] == int(sys.argv[1])] == ["ZB-2026-001"] else 1)' "$G" ||
        fail "$ENGINE: grant list: $("${S[@]}" grant list)"
    send 409 "$ADMIN" POST /api/v1/grants grant-notadmin "{\"seal\":\"$RSA\",\"grantor\":$PB,\"grantee\":$PB,\"until\":\"2099-12-31\"}"
    problem grant-notadmin 409 policy-refused
    send 422 "$ADMIN" POST /api/v1/grants grant-window "{\"seal\":\"$RSA\",\"grantor\":$PA,\"grantee\":$PB,\"from\":\"2030-01-01\",\"until\":\"2029-01-01\"}"
    problem grant-window 422 invalid-value
    send 422 "$ADMIN" POST /api/v1/grants grant-noseal "{\"seal\":\"no-such-seal\",\"grantor\":$PA,\"grantee\":$PB,\"until\":\"2099-12-31\"}"
    problem grant-noseal 422 unknown-reference
    send 400 "$ADMIN" POST /api/v1/grants grant-time "{\"seal\":\"$RSA\",\"grantor\":$PA,\"grantee\":$PB,\"until\":\"soon\"}"
    check grant-time 'j["field"] == "until"'
    send 200 "$ADMIN" PUT "/api/v1/seals/$RSA/grant-rule" rule-on '{"required":true}'
    check rule-on 'j["required"] is True'
    [ "$(stamp "$PORTAL" "$RSA" "$RSA_PIN" stamp-nogrant)" = 409 ] || fail "$ENGINE: a seal that needs a grant stamped without one"
    expect_exit 3 "${S[@]}" stamp "$SAMPLE" "$DIR/cli-nogrant.pdf" --seal "$RSA" --pin "$RSA_PIN" --page 1 --at 100,100
    "${S[@]}" stamp "$SAMPLE" "$DIR/cli-grant.pdf" --seal "$RSA" --pin "$RSA_PIN" --page 1 --at 100,100 --grant "$G" \
        >/dev/null 2>"$DIR/err" || fail "$ENGINE: the stamp with the grant: $(cat "$DIR/err")"
    expect 200 "$ADMIN" GET "/api/v1/grants/$G" grant-used
    check grant-used 'j["uses"] == 1 and j["state"] == "used-up"'
    expect 200 "$ADMIN" GET "/api/v1/grants?grantee=$PB&state=used-up" grants-used
    check grants-used '[g["id"] for g in j["grants"]] == [int(argv[0])]' "$G"
    expect 200 "$ADMIN" GET "/api/v1/grants?state=active&grantee=$PB" grants-active
    check grants-active 'j["grants"] == []'
    expect 400 "$ADMIN" GET "/api/v1/grants?state=gone" grants-badstate
    send 200 "$ADMIN" PUT "/api/v1/seals/$RSA/grant-rule" rule-off '{"required":false}'
    expect 200 "$ADMIN" GET "/api/v1/seals/$RSA/grant-rule" rule-get
    check rule-get 'j["required"] is False'
    [ "$(stamp "$PORTAL" "$RSA" "$RSA_PIN" stamp-rule-off)" = 200 ] || fail "$ENGINE: no stamp once the rule is off: $(cat "$R/stamp-rule-off.json")"
    send 200 "$ADMIN" POST "/api/v1/grants/$G/revoke" grant-revoke '{"reason":"tender closed"}'
    check grant-revoke 'j["state"] == "revoked" and j["revoke_reason"] == "tender closed"'
    "${S[@]}" grant list --json | grep -q '"state": "revoked"' || fail "$ENGINE: grant list does not show the revocation"
    expect 409 "$ADMIN" POST "/api/v1/grants/$G/revoke" grant-revoke-again
    problem grant-revoke-again 409 policy-refused
    expect 404 "$ADMIN" GET /api/v1/grants/999 grant-none
    problem grant-none 404 grant-not-found
    send 404 "$ADMIN" PUT /api/v1/seals/no-such-seal/grant-rule rule-none '{"required":true}'
    problem rule-none 404 seal-not-found

    # --- API keys: the key shown once, usable, listed by the command line, revoked
    send 201 "$ADMIN" POST /api/v1/apikeys key-new "{\"role\":\"portal\",\"institution\":\"$XINGHE\",\"label\":\"portal over HTTP\",\"expires\":\"2099-01-01\"}"
    local NEWKEY NEWKEY_ID
    NEWKEY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["key"])' "$R/key-new.json")
    NEWKEY_ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$R/key-new.json")
    expect 200 "$NEWKEY" GET /api/v1/seals key-works
    "${S[@]}" apikey list | grep -q "^$NEWKEY_ID  portal .*active" || fail "$ENGINE: apikey list lacks the new key"
    expect 200 "$ADMIN" GET /api/v1/apikeys key-list
    grep -q "$NEWKEY" "$R/key-list.json" && fail "$ENGINE: the key list shows a key"
    check key-list 'all("key" not in k for k in j["apikeys"]) and len(j["apikeys"]) == 6'
    send 422 "$ADMIN" POST /api/v1/apikeys key-past '{"role":"portal","expires":"2001-01-01"}'
    problem key-past 422 invalid-value
    send 422 "$ADMIN" POST /api/v1/apikeys key-admin-inst "{\"role\":\"admin\",\"institution\":\"$XINGHE\"}"
    send 422 "$ADMIN" POST /api/v1/apikeys key-noinst "{\"role\":\"portal\",\"institution\":\"$CODE_BAD\"}"
    problem key-noinst 422 unknown-reference
    send 400 "$ADMIN" POST /api/v1/apikeys key-role '{"role":"root"}'
    check key-role 'j["field"] == "role"'
    expect 200 "$ADMIN" POST "/api/v1/apikeys/$NEWKEY_ID/revoke" key-revoke
    check key-revoke 'j["state"] == "revoked"'
    expect 401 "$NEWKEY" GET /api/v1/seals key-revoked
    "${S[@]}" apikey list | grep -q "^$NEWKEY_ID  portal .*revoked" || fail "$ENGINE: apikey list does not show the revocation"
    expect 404 "$ADMIN" POST "/api/v1/apikeys/$NEWKEY_ID/revoke" key-revoke-again
    problem key-revoke-again 404 apikey-not-found

    # --- the lifecycle: a seal frozen over HTTP refuses a stamp; 409 names both states
    local BEFORE_FREEZE
    BEFORE_FREEZE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    sleep 1
    send 201 "$ADMIN" POST "/api/v1/seals/$EC/events" freeze '{"event":"freeze","reason":"under inquiry"}'
    check freeze 'j["from"] == "active" and j["to"] == "frozen" and j["actor"] == "apikey:" + argv[0]' "$ADMIN_ID"
    "${S[@]}" seal show "$EC" --json | grep -q '"state": "frozen"' || fail "$ENGINE: seal show: not frozen"
    [ "$(stamp "$ADMIN" "$EC" "$EC_PIN" stamp-frozen)" = 409 ] || fail "$ENGINE: a frozen seal stamped: $(head -c 300 "$R/stamp-frozen.json")"
    check stamp-frozen '"frozen" in j["detail"]'
    expect_exit 3 "${S[@]}" stamp "$SAMPLE" "$DIR/frozen.pdf" --seal "$EC" --pin "$EC_PIN" --page 1 --at 100,100
    send 409 "$ADMIN" POST "/api/v1/seals/$EC/events" freeze-again '{"event":"freeze","reason":"again"}'
    problem freeze-again 409 transition-not-allowed
    check freeze-again 'j["state"] == "frozen" and j["target_state"] == "frozen"'
    send 409 "$ADMIN" POST "/api/v1/seals/$RSA/events" file-active '{"event":"file","reason":"paperwork"}'
    check file-active 'j["state"] == "active" and j["target_state"] == "filed" and j["code"] == "transition-not-allowed"'
    send 400 "$ADMIN" POST "/api/v1/seals/$EC/events" event-lock '{"event":"unlock","reason":"x"}'
    check event-lock 'j["field"] == "event"'
    send 400 "$ADMIN" POST "/api/v1/seals/$EC/events" event-noreason '{"event":"unfreeze"}'
    check event-noreason 'j["field"] == "reason"'
    send 404 "$ADMIN" POST /api/v1/seals/no-such-seal/events event-none '{"event":"freeze","reason":"x"}'
    problem event-none 404 seal-not-found
    expect 200 "$ADMIN" GET "/api/v1/seals/$EC/state?at=$BEFORE_FREEZE" state-before
    check state-before 'j["state"] == "active"'
    expect 200 "$AUDITOR" GET "/api/v1/seals/$EC/state" state-now
    check state-now 'j["state"] == "frozen" and j["locked"] is False'
    expect 200 "$ADMIN" GET "/api/v1/seals/$EC/state?at=2000-01-01" state-early
    check state-early 'j["state"] is None'
    expect 400 "$ADMIN" GET "/api/v1/seals/$EC/state?at=yesterday" state-bad
    check state-bad 'j["field"] == "at"'
    expect 404 "$ADMIN" GET /api/v1/seals/no-such-seal/state state-none
    send 201 "$ADMIN" POST "/api/v1/seals/$EC/events" unfreeze '{"event":"unfreeze","reason":"inquiry closed"}'
    [ "$(stamp "$ADMIN" "$EC" "$EC_PIN" stamp-unfrozen)" = 200 ] || fail "$ENGINE: an unfrozen seal does not stamp"
    expect 200 "$AUDITOR" GET "/api/v1/seals/$EC/events" events
    check events '[e["event"] for e in j["events"]][-2:] == ["freeze", "unfreeze"] and j["events"][-1]["why"] == "inquiry closed"'
    send 201 "$ADMIN" POST "/api/v1/seals/$SM2/events" cancel '{"event":"cancel","reason":"institution dissolved"}'
    check cancel 'j["to"] == "cancelled"'
    send 409 "$ADMIN" POST "/api/v1/seals/$SM2/events" activate-cancelled '{"event":"activate","reason":"x"}'
    check activate-cancelled 'j["state"] == "cancelled" and j["target_state"] == "active"'
    "${S[@]}" seal show "$SM2" --json | grep -q '"state": "cancelled"' || fail "$ENGINE: seal show: not cancelled"

    # --- the wrong-PIN lock, cleared over HTTP
    local i code
    for i in 1 2 3 4 5; do
        code=$(stamp "$PORTAL" "$RSA" 000000 "wrong-$i")
        [ "$i" -lt 5 ] && [ "$code" != 403 ] && fail "$ENGINE: wrong PIN $i answered $code"
    done
    problem wrong-5 423 seal-locked
    [ "$(stamp "$PORTAL" "$RSA" "$RSA_PIN" stamp-locked)" = 423 ] || fail "$ENGINE: a locked seal stamped"
    "${S[@]}" seal show "$RSA" --json | grep -q '"locked": true' || fail "$ENGINE: seal show: not locked"
    send 200 "$ADMIN" POST "/api/v1/seals/$RSA/unlock" unlock '{"reason":"the clerk mistyped"}'
    check unlock 'j["locked"] is False and j["pin_failures"] == 0 and j["pin_failures_before"] == 5'
    "${S[@]}" seal show "$RSA" --json | grep -q '"locked": false' || fail "$ENGINE: seal show: still locked"
    [ "$(stamp "$PORTAL" "$RSA" "$RSA_PIN" stamp-unlocked)" = 200 ] || fail "$ENGINE: no stamp after the unlock"
    expect 409 "$ADMIN" POST "/api/v1/seals/$RSA/unlock" unlock-again
    problem unlock-again 409 policy-refused
    expect 200 "$ADMIN" POST "/api/v1/seals/$RSA/lock" lock
    [ "$(stamp "$PORTAL" "$RSA" "$RSA_PIN" stamp-adminlocked)" = 423 ] || fail "$ENGINE: a seal locked by an administrator stamped"
    expect 200 "$ADMIN" POST "/api/v1/seals/$RSA/unlock" unlock-admin

    # --- certificates: status for any key, the CA's operations for administrators
    expect 200 "$PORTAL" GET "/api/v1/certificates/$SERIAL/status" cert-good
    check cert-good 'j["status"] == "good" and j["evidence"]["kind"] == "crl"'
    expect 200 "$ADMIN" POST "/api/v1/certificates/$SERIAL/freeze" cert-freeze
    check cert-freeze 'j["state"] == "hold" and j["crl"] == "/crl/issuing-ca.crl"'
    expect 200 "$CLERK" GET "/api/v1/certificates/$SERIAL/status" cert-held
    check cert-held 'j["status"] == "suspended" and j["reason"] == "certificateHold"'
    expect_exit 2 "${S[@]}" cert status "$DATA/certs/pujiang.pem" --offline
    grep -q "status:      suspended" "$WORK/out" || fail "$ENGINE: cert status: $(cat "$WORK/out")"
    expect 409 "$ADMIN" POST "/api/v1/certificates/$SERIAL/freeze" cert-freeze-again
    check cert-freeze-again 'j["code"] == "transition-not-allowed" and j["state"] == "hold"'
    expect 200 "$ADMIN" POST "/api/v1/certificates/$SERIAL/unfreeze" cert-unfreeze
    check cert-unfreeze 'j["state"] == "good"'
    expect 409 "$ADMIN" POST "/api/v1/certificates/$SERIAL/unfreeze" cert-unfreeze-again
    check cert-unfreeze-again 'j["state"] == "good" and j["target_state"] == "good"'
    send 400 "$ADMIN" POST "/api/v1/certificates/$SERIAL/revoke" cert-reason '{"reason":"bored"}'
    check cert-reason 'j["field"] == "reason"'
    send 200 "$ADMIN" POST "/api/v1/certificates/$SERIAL/revoke" cert-revoke '{"reason":"keyCompromise"}'
    check cert-revoke 'j["state"] == "revoked" and j["reason"] == "keyCompromise"'
    "${S[@]}" ca show "$SERIAL" --json >"$DIR/ca.json"
    python3 - "$DIR/ca.json" "apikey:$ADMIN_ID" <<'PY' || fail "$ENGINE: ca show: $(cat "$DIR/ca.json")"
import json, sys
c = json.load(open(sys.argv[1]))
assert c["state"] == "revoked" and c["reason"] == "keyCompromise", c
assert [h["action"] for h in c["history"] if h["actor"] == sys.argv[2]] == ["freeze", "unfreeze", "revoke"], c["history"]
PY
    expect 200 "$AUDITOR" GET "/api/v1/certificates/$SERIAL/status" cert-revoked
    check cert-revoked 'j["status"] == "revoked"'
    expect 200 "$AUDITOR" GET "/api/v1/certificates/$SERIAL/status?at=$BEFORE_FREEZE" cert-then
    check cert-then 'j["status"] == "good" and j["revoked_later"] is True'
    expect 409 "$ADMIN" POST "/api/v1/certificates/$SERIAL/revoke" cert-revoke-again
    problem cert-revoke-again 409 transition-not-allowed
    expect 404 "$ADMIN" GET /api/v1/certificates/abcdef0123/status cert-none
    problem cert-none 404 certificate-not-found
    expect 400 "$ADMIN" GET /api/v1/certificates/not-hex/status cert-nothex

    # --- who may call what: every administration route, by role
    "$SEALSVC" serve --routes >"$DIR/routes.txt"
    local admin_only=(
        "GET /api/v1/institutions" "POST /api/v1/institutions" "GET /api/v1/institutions/{code}"
        "GET /api/v1/people" "POST /api/v1/people" "GET /api/v1/people/{id}"
        "POST /api/v1/people/{id}/roles" "DELETE /api/v1/people/{id}/roles/{role}"
        "GET /api/v1/grants" "POST /api/v1/grants" "GET /api/v1/grants/{id}"
        "POST /api/v1/grants/{id}/revoke" "GET /api/v1/seals/{id}/grant-rule"
        "PUT /api/v1/seals/{id}/grant-rule" "GET /api/v1/apikeys" "POST /api/v1/apikeys"
        "POST /api/v1/apikeys/{id}/revoke" "POST /api/v1/seals/{id}/events"
        "POST /api/v1/seals/{id}/lock" "POST /api/v1/seals/{id}/unlock"
        "POST /api/v1/certificates/{serial}/revoke" "POST /api/v1/certificates/{serial}/freeze"
        "POST /api/v1/certificates/{serial}/unfreeze")
    local readers=("GET /api/v1/seals/{id}/events" "GET /api/v1/seals/{id}/state" "GET /api/v1/audit"
        "GET /api/v1/audit/verify")
    # every route the table has beyond the stamp, verify and seals routes is in one list
    python3 - "$DIR/routes.txt" "${admin_only[@]}" "${readers[@]}" "GET /api/v1/certificates/{serial}/status" <<'PY' ||
import sys
known = set(sys.argv[2:])
older = {"/healthz", "/readyz", "/metrics", "/api/v1/openapi.json", "/api/v1/stamp", "/api/v1/stamp/prepare",
         "/api/v1/stamp/{id}/finish", "/api/v1/verify", "/api/v1/seals", "/api/v1/seals/{id}",
         "/api/v1/seals/{id}/picture", "/tsa", "/ocsp", "/ocsp/{rest}", "/crl/{id}",
         # batch jobs: the stamp roles' routes, refusals in serve_jobs.sh
         "/api/v1/jobs", "/api/v1/jobs/{id}", "/api/v1/jobs/{id}/documents/{n}",
         "/api/v1/jobs/{id}/result.zip", "/api/v1/jobs/{id}/cancel",
         # the public web pages, web_verify.sh and web_desk.sh
         "/verify/", "/desk/", "/web/{rest}",
         # uploaded documents: the stamp roles' routes, openapi_responses.sh and web_desk.sh
         "/api/v1/documents", "/api/v1/documents/{id}", "/api/v1/documents/{id}/pages/{n}",
         "/api/v1/documents/{id}/find", "/api/v1/documents/{id}/stamp",
         # the desk's session: serve_session.sh
         "/api/v1/session",
         # remote signing (CSC API v2): the routes check the token themselves, csc.sh
         "/csc/v2/info", "/csc/v2/credentials/list", "/csc/v2/credentials/info",
         "/csc/v2/credentials/authorize", "/csc/v2/signatures/signHash",
         "/csc/v2/signatures/signDoc"}
table = {l.strip() for l in open(sys.argv[1]) if l.strip() and l.split()[1] not in older}
sys.exit(0 if table == known else print("not in the role lists:", table - known, "gone:", known - table) or 1)
PY
        fail "$ENGINE: the role lists of this test and the route table differ"
    local r m p path who key n=0
    for r in "${admin_only[@]}" "${readers[@]}"; do
        m=${r%% *}
        p=${r#* }
        path=$(printf '%s' "$p" | sed "s|{code}|$XINGHE|; s|{serial}|$SERIAL|; s|/seals/{id}|/seals/$EC|; s|{role}|handler|; s|{id}|1|")
        for who in portal clerk auditor; do
            case $who in portal) key=$PORTAL ;; clerk) key=$CLERK ;; auditor) key=$AUDITOR ;; esac
            n=$((n + 1))
            if [ "$who" = auditor ] && printf '%s\n' "${readers[@]}" | grep -qxF "$r"; then
                expect 200 "$key" "$m" "$path" "role-$n"
            else
                expect 403 "$key" "$m" "$path" "role-$n" -H "Content-Type: application/json" --data-binary '{}'
                problem "role-$n" 403 role-forbidden
            fi
        done
    done
    expect 401 "" GET /api/v1/institutions nokey
    problem nokey 401 no-api-key
    # an auditor that acts for one institution: the records of its own seals only
    expect 403 "$AUDITOR_X" GET /api/v1/audit audit-x-all
    problem audit-x-all 403 institution-forbidden
    expect 200 "$AUDITOR_X" GET "/api/v1/audit?target=seal:$RSA" audit-x-own
    check audit-x-own 'j["records"] and all(r["target"] == "seal:" + argv[0] for r in j["records"])' "$RSA"
    expect 403 "$AUDITOR_X" GET "/api/v1/audit?target=seal:$EC" audit-x-other
    problem audit-x-other 403 seal-forbidden
    expect 403 "$AUDITOR_X" GET "/api/v1/seals/$EC/events" events-x-other
    expect 200 "$AUDITOR_X" GET "/api/v1/seals/$RSA/events" events-x-own

    # --- the audit trail: every change above by apikey:ID, nothing by a refused key
    "${S[@]}" audit list --json >"$DIR/audit.json"
    python3 - "$DIR/audit.json" "apikey:$ADMIN_ID" "apikey:$PORTAL_ID" "apikey:$CLERK_ID" "apikey:$AUDITOR_ID" <<'PY' || fail "$ENGINE: the audit trail: $(tail -c 3000 "$DIR/audit.json")"
import json, sys
records = json.load(open(sys.argv[1]))
admin, others = sys.argv[2], sys.argv[3:]
by_admin = {r["action"] for r in records if r["actor"] == admin}
want = {"institution-add", "person-add", "role-grant", "role-revoke", "grant-add", "grant-revoke",
        "seal-grant-rule", "apikey-create", "apikey-revoke", "freeze", "unfreeze", "cancel", "lock",
        "unlock", "revoke"}
assert want <= by_admin, ("not audited as the admin key", want - by_admin)
# the portal key stamped (audited as such); nothing else is by a key that was refused
assert {r["action"] for r in records if r["actor"] in others} <= {"stamp", "stamp-failed"}, \
    [r for r in records if r["actor"] in others and r["action"] not in ("stamp", "stamp-failed")]
PY
    expect 200 "$AUDITOR" GET "/api/v1/audit?actor=apikey:$ADMIN_ID&action=freeze&target=seal:$EC" audit-freeze
    check audit-freeze 'len(j["records"]) == 1 and "under inquiry" in j["records"][0]["detail"] and j["next_after"] is None'
    expect 200 "$AUDITOR" GET "/api/v1/audit?actor=apikey:$ADMIN_ID&from=$BEFORE_FREEZE&limit=1000" audit-since
    check audit-since '"freeze" in [r["action"] for r in j["records"]] and "institution-add" not in [r["action"] for r in j["records"]]'
    expect 200 "$AUDITOR" GET "/api/v1/audit?actor=apikey:$ADMIN_ID&to=2000-01-01" audit-none
    check audit-none 'j["records"] == []'
    expect 200 "$AUDITOR" GET "/api/v1/audit?limit=3" page-1
    local next
    next=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["next_after"])' "$R/page-1.json")
    expect 200 "$AUDITOR" GET "/api/v1/audit?limit=3&after=$next" page-2
    expect 200 "$AUDITOR" GET "/api/v1/audit?limit=1000" page-all
    python3 - "$R/page-1.json" "$R/page-2.json" "$R/page-all.json" "$DIR/audit.json" <<'PY' || fail "$ENGINE: paging"
import json, sys
p1, p2, every = (json.load(open(f)) for f in sys.argv[1:4])
cli = json.load(open(sys.argv[4]))
ids = [r["id"] for r in p1["records"] + p2["records"]]
assert ids == [r["id"] for r in every["records"]][:6] and len(set(ids)) == 6, ids
assert p1["next_after"] == p1["records"][-1]["id"]
# the service's records are the command line's (the later ones are the reads' absence)
assert [(r["id"], r["action"], r["actor"]) for r in every["records"]][:len(cli)] == \
    [(r["id"], r["action"], r["actor"]) for r in cli]
PY
    expect 400 "$AUDITOR" GET "/api/v1/audit?limit=5000" audit-limit
    check audit-limit 'j["field"] == "limit"'
    expect 400 "$AUDITOR" GET "/api/v1/audit?from=last-week" audit-from
    expect 200 "$AUDITOR" GET /api/v1/audit/verify audit-verify
    check audit-verify 'j["intact"] is True and j["records"] > 30'
    local head
    head=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["head"])' "$R/audit-verify.json")
    expect 200 "$ADMIN" GET "/api/v1/audit/verify?anchor=$head" audit-anchor
    check audit-anchor 'j["intact"] is True and j["anchor_id"] == j["last"]["id"]'
    expect 400 "$AUDITOR" GET "/api/v1/audit/verify?anchor=abc" audit-anchor-bad
    "${S[@]}" audit verify --json >"$DIR/verify.json" || fail "$ENGINE: audit verify: $(cat "$DIR/verify.json")"
    python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); sys.exit(0 if v["intact"] and v["head"] == sys.argv[2] else 1)' \
        "$DIR/verify.json" "$head" || fail "$ENGINE: the CLI's head is not the service's"

    # --- no identity number in any answer or in the log; no temporary file left
    local number
    for number in "$ID_A" "$ID_B" "$ID_BAD" 110108199207073219 "$MOBILE" 2381234567 "${ID_BAD%?}"; do
        grep -rlF "$number" "$R" && fail "$ENGINE: an answer holds an identity number"
        grep -qF "$number" "$DIR/serve.log" && fail "$ENGINE: the log holds an identity number"
    done
    grep -qF "$NEWKEY" "$DIR/serve.log" && fail "$ENGINE: the log holds a key"
    [ -z "$(ls -A "$DIR/tmp")" ] || fail "$ENGINE: temporary files left: $(ls "$DIR/tmp")"
    stop_serves
    SERVE_PIDS=()
    echo "serve admin ($ENGINE): ok"
}

run_engine sqlite
pg_start
SEALSVC_DB=$PG_URL
export SEALSVC_DB
run_engine postgresql
echo "serve admin: ok"
