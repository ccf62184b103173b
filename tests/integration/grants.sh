#!/usr/bin/env bash
# People, roles and grants through the command line, on SQLite and on a private PostgreSQL
# (lib/postgres.sh, --db URL): a grant of 10 uses raced by 8 processes gives exactly 10
# stamps, 10 audit records and a used-up grant; two grantees racing with exclusive grants
# on one seal: only one grantee's stamps succeed; expired, revoked and not-yet-valid grants
# refused with the reason; a seal set to need a grant refuses a stamp without one; the
# grant shown by `verify` for PDF (also pdfsig, qpdf --check) and OFD; nothing of a refused
# stamp on disk; no full resident ID or mobile number in any output, log or the trail.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/postgres.sh"
pg_start
cp "$SEAL_SOURCE_DIR/samples/contract-zh.pdf" "$WORK/in.pdf"
cp "$SEAL_SOURCE_DIR/samples/notice-zh.ofd" "$WORK/in.ofd"

# A resident ID (GB 11643-1999) with its check character, for sequence number $1.
rid() {
    python3 - "$1" <<'PY'
import sys
b = "11010519800101%03d" % int(sys.argv[1])
w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
print(b + "10X98765432"[sum(int(a) * c for a, c in zip(b, w)) % 11])
PY
}
NUMBERS="$WORK/numbers"
: >"$NUMBERS"

# run_engine NAME [--db URL]
run_engine() {
    local name=$1
    shift
    local dir="$WORK/$name" data="$WORK/$name/data"
    mkdir -p "$dir"
    local S=("$SEALSVC" "$@" --data "$data")
    "$SEALSVC" "$@" demo init --dir "$data" >"$dir/manifest.json" 2>"$dir/demo.log" ||
        fail "$name: demo init: $(cat "$dir/demo.log")"
    local seal pin code
    seal=xinghe-official
    pin=$(python3 -c 'import json,sys; print([s["pin"] for s in json.load(open(sys.argv[1]))["seals"] if s["id"] == sys.argv[2]][0])' "$dir/manifest.json" "$seal")
    code=$("${S[@]}" institution list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["credit_code"])')

    # --- people: the admin, two handlers (3, 4, 5: the demo made its seal administrator and
    # desk clerk first); refusals name no number
    local i id mobile
    for i in 1 2 3; do
        id=$(rid "$i")
        mobile="1391234567$i"
        echo "$id" >>"$NUMBERS"
        echo "$mobile" >>"$NUMBERS"
        "${S[@]}" person add --name "王$i" --id "$id" --mobile "$mobile" >>"$dir/out.log" 2>&1 ||
            fail "$name: person add: $(cat "$dir/out.log")"
    done
    expect_exit 3 "${S[@]}" person add --name 赵 --id "${id%?}0"
    grep -q "check character" "$WORK/err" || fail "$name: a bad ID: $(cat "$WORK/err")"
    grep -q "${id%?}" "$WORK/err" && fail "$name: the refusal repeats the ID"
    expect_exit 3 "${S[@]}" person add --name 赵 --id "$(rid 9)" --mobile 2391234567
    grep -q "mobile number" "$WORK/err" || fail "$name: a bad mobile: $(cat "$WORK/err")"
    grep -q "2391234567" "$WORK/err" && fail "$name: the refusal repeats the mobile number"
    "${S[@]}" person role-add 3 --institution "$code" --role seal-administrator >>"$dir/out.log"
    "${S[@]}" person role-add 4 --institution "$code" --role handler >>"$dir/out.log"
    "${S[@]}" person role-add 5 --institution "$code" --role handler >>"$dir/out.log"
    "${S[@]}" person list >>"$dir/out.log"
    "${S[@]}" person show 4 --json >>"$dir/out.log"
    grep -q '"resident_id": "110105\*\*\*\*\*\*\*\*' "$dir/out.log" || fail "$name: person show: $(cat "$dir/out.log")"

    # --- a grant of 10 uses, 8 processes racing for it
    local g10
    g10=$("${S[@]}" grant add --seal "$seal" --grantor 3 --grantee 4 --until 2099-01-01 --uses 10 \
        --project ZB-2026-017 | sed -n 's/^grant //p')
    local before p pids=() j
    before=$("${S[@]}" audit list --json | python3 -c 'import json,sys; print(sum(r["action"] == "stamp" for r in json.load(sys.stdin)))')
    for p in $(seq 8); do
        (
            for j in 1 2; do
                "${S[@]}" stamp "$WORK/in.pdf" "$dir/r-$p-$j.pdf" --seal "$seal" --pin "$pin" \
                    --page 1 --at 100,100 --grant "$g10" >/dev/null 2>"$dir/r-$p-$j.err" || true
            done
        ) &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p"; done
    local made
    made=$(find "$dir" -maxdepth 1 -name 'r-*.pdf' | wc -l)
    [ "$made" = 10 ] || fail "$name: 16 racing stamps on a grant of 10 made $made files: $(cat "$dir"/r-*.err | sort | uniq -c)"
    [ "$(grep -l 'used up' "$dir"/r-*.err | wc -l)" = 6 ] ||
        fail "$name: the refused stamps do not say the grant is used up: $(cat "$dir"/r-*.err | sort | uniq -c)"
    ls "$dir" | grep -q 'tmp' && fail "$name: a refused stamp left files: $(ls "$dir")"
    local after
    after=$("${S[@]}" audit list --json | python3 -c 'import json,sys; print(sum(r["action"] == "stamp" for r in json.load(sys.stdin)))')
    [ "$((after - before))" = 10 ] || fail "$name: 10 stamps made $((after - before)) stamp records"
    "${S[@]}" grant list --json >"$dir/grants.json"
    python3 - "$dir/grants.json" "$g10" <<'PY' || fail "$name: the grant after the race: $(cat "$dir/grants.json")"
import json, sys
g = [g for g in json.load(open(sys.argv[1])) if g["id"] == int(sys.argv[2])][0]
assert g["uses"] == 10 and g["state"] == "used-up", g
PY
    "${S[@]}" audit verify >"$dir/audit.txt" 2>&1 || fail "$name: audit verify: $(cat "$dir/audit.txt")"

    # --- the grant in the signature: PDF and OFD, shown by verify, the PDF still sound
    local g2
    g2=$("${S[@]}" grant add --seal "$seal" --grantor 3 --grantee 4 --until 2099-01-01 \
        --project ZB-2026-018 | sed -n 's/^grant //p')
    for f in pdf ofd; do
        "${S[@]}" stamp "$WORK/in.$f" "$dir/g.$f" --seal "$seal" --pin "$pin" --page 1 --at 60,60 \
            --grant "$g2" >>"$dir/out.log" 2>&1 || fail "$name: stamp $f with a grant: $(tail -2 "$dir/out.log")"
        "${S[@]}" verify --json "$dir/g.$f" >"$dir/g.$f.json" 2>>"$dir/out.log" || fail "$name: verify g.$f"
        python3 - "$dir/g.$f.json" "$g2" <<'PY' || fail "$name: verify $f does not show the grant: $(cat "$dir/g.$f.json")"
import json, sys
r = json.load(open(sys.argv[1]))
s = r["signatures"][-1]
assert r["verdict"] == "VALID", r["verdict"]
assert s["grant"] == {"id": sys.argv[2], "project": "ZB-2026-018", "grantee": "王*"}, s["grant"]
PY
        "${S[@]}" verify "$dir/g.$f" >"$dir/g.$f.txt" 2>&1
        grep -q "Grant:      $g2, project ZB-2026-018, used by 王\*" "$dir/g.$f.txt" ||
            fail "$name: verify's text for $f: $(cat "$dir/g.$f.txt")"
    done
    qpdf --check "$dir/g.pdf" >/dev/null || fail "$name: qpdf --check fails on the PDF with a grant"
    pdfsig "$dir/g.pdf" 2>&1 | grep -q "Signature is Valid" || fail "$name: pdfsig: $(pdfsig "$dir/g.pdf" 2>&1)"
    unzip -p "$dir/g.ofd" 'Doc_0/Signs/Sign_*/Signature.xml' | grep -q 'Parameter Name="sealsvc.grant.id">'"$g2"'<' ||
        fail "$name: the OFD's Signature.xml does not record the grant"

    # --- a two-phase stamp under a grant: checked at prepare, counted and recorded at finish,
    # shown in the signature; a grant revoked between the two phases refuses the finish
    local pass kek gx gy
    kek=$(tr -d ' \n' <"$data/secrets/kek")
    pass=$(printf %s "$pin" | openssl dgst -sha256 -hmac "$kek" -r | cut -d' ' -f1)
    if [ "$name" = sqlite ]; then
        sqlite3 "$data/sealsvc.db" "SELECT key_pem FROM seal WHERE id = '$seal'"
    else
        psql -X -q -A -t -d "$PG_URL" -c "SELECT key_pem FROM seal WHERE id = '$seal'"
    fi | openssl pkey -passin "pass:$pass" -out "$dir/seal.key" || fail "$name: cannot open the seal's key"
    external_sign() { # PENDING-JSON SIGFILE
        python3 -c 'import base64,json,sys; sys.stdout.buffer.write(base64.b64decode(json.load(open(sys.argv[1]))["digest"]))' \
            "$1" >"$1.digest"
        openssl pkeyutl -sign -inkey "$dir/seal.key" -pkeyopt digest:sha256 -in "$1.digest" -out "$2" ||
            fail "$name: openssl pkeyutl could not sign"
    }
    pending_id() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$1"; }
    gx=$("${S[@]}" grant add --seal "$seal" --grantor 3 --grantee 4 --until 2099-01-01 --uses 1 \
        --project ZB-2026-019 | sed -n 's/^grant //p')
    "${S[@]}" stamp "$WORK/in.pdf" "$dir/ext.pdf" --seal "$seal" --page 1 --at 60,60 --grant "$gx" \
        --external >"$dir/ext.json" 2>>"$dir/out.log" || fail "$name: prepare under a grant: $(tail -2 "$dir/out.log")"
    [ -e "$dir/ext.pdf" ] && fail "$name: a prepare wrote its output"
    external_sign "$dir/ext.json" "$dir/ext.sig"
    "${S[@]}" stamp finish "$(pending_id "$dir/ext.json")" --signature "$dir/ext.sig" >>"$dir/out.log" 2>&1 ||
        fail "$name: finish under a grant: $(tail -2 "$dir/out.log")"
    "${S[@]}" verify --json "$dir/ext.pdf" >"$dir/ext.pdf.json" 2>>"$dir/out.log" || fail "$name: verify ext.pdf"
    "${S[@]}" grant list --json >"$dir/grants-ext.json"
    python3 - "$dir/ext.pdf.json" "$dir/grants-ext.json" "$gx" <<'PY' || fail "$name: the two-phase stamp under a grant: $(cat "$dir/ext.pdf.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == "VALID", r["verdict"]
assert r["signatures"][-1]["grant"] == {"id": sys.argv[3], "project": "ZB-2026-019", "grantee": "王*"}, r["signatures"][-1]
g = [g for g in json.load(open(sys.argv[2])) if g["id"] == int(sys.argv[3])][0]
assert g["uses"] == 1 and g["state"] == "used-up", g
PY
    "${S[@]}" audit list --json | python3 -c 'import json,sys
assert [r for r in json.load(sys.stdin) if r["action"] == "stamp" and "external signature" in r["detail"] and "grant " + sys.argv[1] in r["detail"]], "no stamp record with the grant"' "$gx" ||
        fail "$name: the finish's audit record does not name the grant"
    expect_exit 3 "${S[@]}" stamp "$WORK/in.pdf" "$dir/no.pdf" --seal "$seal" --page 1 --at 60,60 \
        --grant "$gx" --external
    grep -q "used up" "$WORK/err" || fail "$name: a prepare under a used-up grant: $(cat "$WORK/err")"
    gy=$("${S[@]}" grant add --seal "$seal" --grantor 3 --grantee 4 --until 2099-01-01 | sed -n 's/^grant //p')
    "${S[@]}" stamp "$WORK/in.pdf" "$dir/rev.pdf" --seal "$seal" --page 1 --at 60,60 --grant "$gy" \
        --external >"$dir/rev.json" 2>>"$dir/out.log" || fail "$name: prepare: $(tail -2 "$dir/out.log")"
    external_sign "$dir/rev.json" "$dir/rev.sig"
    "${S[@]}" grant revoke "$gy" --reason "tender cancelled" >>"$dir/out.log"
    expect_exit 3 "${S[@]}" stamp finish "$(pending_id "$dir/rev.json")" --signature "$dir/rev.sig"
    grep -q "grant $gy .*revoked" "$WORK/err" || fail "$name: a finish under a revoked grant: $(cat "$WORK/err")"
    [ -e "$dir/rev.pdf" ] && fail "$name: a refused finish wrote its output"

    # --- refused grants: not yet valid, expired, revoked; each with its reason, nothing left
    local gl ge gr
    gl=$("${S[@]}" grant add --seal "$seal" --grantor 3 --grantee 4 --from 2098-01-01 --until 2099-01-01 | sed -n 's/^grant //p')
    ge=$("${S[@]}" grant add --seal "$seal" --grantor 3 --grantee 4 --from 2001-01-01 --until 2001-02-01 | sed -n 's/^grant //p')
    gr=$("${S[@]}" grant add --seal "$seal" --grantor 3 --grantee 4 --until 2099-01-01 | sed -n 's/^grant //p')
    "${S[@]}" grant revoke "$gr" --reason "tender withdrawn" >>"$dir/out.log"
    local g why
    for g in "$gl:not valid before 2098-01-01" "$ge:expired on 2001-02-01" "$gr:revoked on .*tender withdrawn"; do
        why=${g#*:}
        expect_exit 3 "${S[@]}" stamp "$WORK/in.pdf" "$dir/no.pdf" --seal "$seal" --pin "$pin" \
            --page 1 --at 100,100 --grant "${g%%:*}"
        grep -q "grant ${g%%:*} .*$why" "$WORK/err" || fail "$name: grant ${g%%:*}: $(cat "$WORK/err")"
        [ -e "$dir/no.pdf" ] && fail "$name: a refused stamp wrote its output"
    done
    ls "$dir" | grep -q 'tmp' && fail "$name: a refused stamp left files: $(ls "$dir")"

    # --- a seal that needs a grant: refused without, stamps with; off again: as before
    "${S[@]}" grant require "$seal" on >>"$dir/out.log"
    expect_exit 3 "${S[@]}" stamp "$WORK/in.pdf" "$dir/no.pdf" --seal "$seal" --pin "$pin" --page 1 --at 100,100
    grep -q "stamps only with a grant" "$WORK/err" || fail "$name: a seal that needs a grant: $(cat "$WORK/err")"
    [ -e "$dir/no.pdf" ] && fail "$name: a refused stamp wrote its output"
    "${S[@]}" stamp "$WORK/in.pdf" "$dir/req.pdf" --seal "$seal" --pin "$pin" --page 1 --at 100,100 \
        --grant "$g2" >>"$dir/out.log" 2>&1 || fail "$name: a stamp with the needed grant: $(tail -1 "$dir/out.log")"
    "${S[@]}" grant require "$seal" off >>"$dir/out.log"
    "${S[@]}" stamp "$WORK/in.pdf" "$dir/free.pdf" --seal "$seal" --pin "$pin" --page 1 --at 100,100 \
        >>"$dir/out.log" 2>&1 || fail "$name: a stamp without a grant: $(tail -1 "$dir/out.log")"

    # --- exclusive grants raced by two grantees: only one grantee's stamps succeed
    local xa xb
    xa=$("${S[@]}" grant add --seal "$seal" --grantor 3 --grantee 4 --until 2099-01-01 --exclusive | sed -n 's/^grant //p')
    xb=$("${S[@]}" grant add --seal "$seal" --grantor 3 --grantee 5 --until 2099-01-01 --exclusive | sed -n 's/^grant //p')
    pids=()
    for p in 1 2 3 4; do
        for g in "a:$xa" "b:$xb"; do
            "${S[@]}" stamp "$WORK/in.pdf" "$dir/x-${g%%:*}-$p.pdf" --seal "$seal" --pin "$pin" \
                --page 1 --at 100,100 --grant "${g#*:}" >/dev/null 2>"$dir/x-${g%%:*}-$p.err" &
            pids+=($!)
        done
    done
    for p in "${pids[@]}"; do wait "$p" || true; done
    local na nb
    na=$(find "$dir" -maxdepth 1 -name 'x-a-*.pdf' | wc -l)
    nb=$(find "$dir" -maxdepth 1 -name 'x-b-*.pdf' | wc -l)
    { [ "$na" = 4 ] && [ "$nb" = 0 ]; } || { [ "$na" = 0 ] && [ "$nb" = 4 ]; } ||
        fail "$name: exclusive grants raced: a made $na, b made $nb: $(cat "$dir"/x-*.err)"
    grep -l "held by exclusive grant" "$dir"/x-*.err | wc -l | grep -qx 4 ||
        fail "$name: the loser's refusals: $(cat "$dir"/x-*.err)"
    expect_exit 3 "${S[@]}" stamp "$WORK/in.pdf" "$dir/no.pdf" --seal "$seal" --pin "$pin" --page 1 --at 100,100
    grep -q "held by exclusive grant" "$WORK/err" || fail "$name: a stamp without a grant while held: $(cat "$WORK/err")"
    ls "$dir" | grep -q 'tmp' && fail "$name: a refused stamp left files: $(ls "$dir")"
    "${S[@]}" audit verify >"$dir/audit.txt" 2>&1 || fail "$name: audit verify: $(cat "$dir/audit.txt")"

    # --- no full number anywhere: outputs, logs, the audit trail, the signatures
    "${S[@]}" audit list --json >"$dir/trail.json"
    "${S[@]}" grant list >>"$dir/out.log"
    "${S[@]}" institution show "$code" >>"$dir/out.log"
    local n
    while read -r n; do
        grep -rqF "$n" "$dir"/*.log "$dir"/*.err "$dir"/*.json "$dir"/*.txt "$dir"/*.pdf "$dir"/*.ofd "$WORK/err" &&
            fail "$name: a full number appears in the outputs: $(grep -rlF "$n" "$dir")"
    done <"$NUMBERS"
    grep -q '"action": "person-add"' "$dir/trail.json" || fail "$name: person add is not audited"
    grep -q '"action": "grant-revoke"' "$dir/trail.json" || fail "$name: grant revoke is not audited"
    grep -q '"action": "role-grant"' "$dir/trail.json" || fail "$name: a role is not audited"
}

run_engine sqlite
run_engine postgresql --db "$PG_URL"
echo "grants: OK"
