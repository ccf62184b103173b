#!/usr/bin/env bash
# A personal seal binds its holder: `seal make --kind personal` needs --holder-name and a
# valid --holder-id (resident ID, GB 11643-1999); a wrong check character, an impossible
# birth date or a wrong length is refused naming the problem, never the number, and
# registers nothing. The number rests in sealsvc.db only encrypted (no file of the data
# directory holds it; sqlite3 shows a 47-byte blob), is shown masked by seal make, seal
# list and the demo manifest, and never reaches stdout or stderr in full. Without the KEK,
# or with the stored value altered, seal list shows "?" with a warning instead.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

make_demo
command -v sqlite3 >/dev/null || fail "sqlite3 is needed"
CA="$DATA/pki/issuing-ca.pem"
CODE=91440300MA5DQT0X9H
INST=深圳前海测试有限公司
HOLDER=李晓红
# GB 11643-1999, computed by hand: 440106 (Tianhe, Guangzhou), born 1988-02-29 (a leap
# day), sequence 105, check character X (weighted sum 1 mod 11 needs 10)
ID=44010619880229105X
MASKED='440106********105X'
MASKED_RE='440106\*\{8\}105X'

# ---- the demo's legal representative has a holder, masked in the manifest
python3 - "$WORK/manifest.json" <<'EOF' || fail "the demo manifest does not show the holder masked"
import json, re, sys
seals = json.load(open(sys.argv[1]))["seals"]
for s in seals:
    if s["type"] == "personal":
        h = s["holder"]
        assert h["name"] == s["name"], s
        assert re.fullmatch(r"110105\*{8}\d{3}[0-9X]", h["id_masked"]), h
    else:
        assert "holder" not in s, s
EOF
# the demo's birth date (cmd_demo.c) is nowhere in clear in the data directory or the log
! grep -raq 11010519780614 "$DATA" "$WORK/manifest.json" "$WORK/demo.log" ||
    fail "the demo holder's full resident ID is in the clear"
grep -q "^xinghe-legal-rep	personal	ecdsa	[^	]*	张伟明 110105\*\{8\}[0-9]\{3\}[0-9X]	" \
    <("$SEALSVC" seal list --data "$DATA") || fail "seal list does not show the demo holder masked"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/p.key" 2>/dev/null
openssl req -new -utf8 -key "$WORK/p.key" -subj "/C=CN/O=$INST/CN=$HOLDER" -out "$WORK/p.csr"
openssl x509 -req -in "$WORK/p.csr" -CA "$CA" -CAkey "$DATA/pki/private/issuing-ca.key.pem" \
    -passin "file:$DATA/secrets/kek" -days 365 -out "$WORK/p.pem" 2>/dev/null

make_personal() { # ID ARGS...
    local id=$1
    shift
    "$SEALSVC" seal make --data "$DATA" --id "$id" --institution-code "$CODE" \
        --institution-name "$INST" --pin 246810 --name "$HOLDER" --key "$WORK/p.key" \
        --cert "$WORK/p.pem" "$@"
}
seals_before=$("$SEALSVC" seal list --data "$DATA" | wc -l)
no_trace() { # NUMBER: refused without the number in stdout or stderr, nothing registered
    ! grep -q "$1" "$WORK/out" "$WORK/err" || fail "the refusal repeats the number: $(cat "$WORK/err")"
    [ "$("$SEALSVC" seal list --data "$DATA" | wc -l)" = "$seals_before" ] ||
        fail "a refused personal seal was stored"
    [ ! -e "$DATA/seals/lxh.esl" ] || fail "a refused personal seal left its .esl"
}

# ---- usage: a personal seal needs both, other kinds take neither (exit 64)
expect_exit 64 make_personal lxh --kind personal --holder-name "$HOLDER"
grep -q -- "--holder-id" "$WORK/err" || fail "a missing --holder-id is not named: $(cat "$WORK/err")"
expect_exit 64 make_personal lxh --kind personal --holder-id "$ID"
expect_exit 64 make_personal lxh --kind official --holder-name "$HOLDER" --holder-id "$ID"
grep -q "for --kind personal only" "$WORK/err" || fail "a holder on an official seal: $(cat "$WORK/err")"
no_trace "$ID"

# ---- invalid numbers: refused (exit 3) naming the problem, never the number
bad=44010619880229105 # 17 characters
expect_exit 3 make_personal lxh --kind personal --holder-name "$HOLDER" --holder-id "$bad"
grep -q -- "--holder-id: resident identity number has wrong length 17" "$WORK/err" ||
    fail "a short ID is not refused by its length: $(cat "$WORK/err")"
no_trace "$bad"
bad=440106198802291059 # wrong check character
expect_exit 3 make_personal lxh --kind personal --holder-name "$HOLDER" --holder-id "$bad"
grep -q "check character does not match" "$WORK/err" ||
    fail "a wrong check character is not refused: $(cat "$WORK/err")"
no_trace "$bad"
no_trace 4401061988022910 # nor the first 16 digits
bad=110105194902300018 # 30 February 1949 (check character right: 8)
expect_exit 3 make_personal lxh --kind personal --holder-name "$HOLDER" --holder-id "$bad"
grep -q "birth date (digits 7-14) is not a real date" "$WORK/err" ||
    fail "an impossible birth date is not refused: $(cat "$WORK/err")"
no_trace "$bad"
no_trace 19490230

# ---- a valid number (lower-case x accepted as X): made, shown masked only
make_personal lxh --kind personal --holder-name "$HOLDER" --holder-id "${ID%X}x" \
    >"$WORK/made.json" 2>"$WORK/made.err" || fail "personal seal refused: $(cat "$WORK/made.err")"
python3 - "$WORK/made.json" "$HOLDER" "$MASKED" <<'EOF' || fail "seal make does not show the holder masked"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["type"] == "personal" and j["holder"] == {"name": sys.argv[2], "id_masked": sys.argv[3]}, j
EOF
grep -qF "held by $HOLDER ($MASKED)" "$WORK/made.err" || fail "seal make's log: $(cat "$WORK/made.err")"
! grep -qi "${ID%X}" "$WORK/made.json" "$WORK/made.err" || fail "seal make printed the full ID"
"$SEALSVC" seal list --data "$DATA" >"$WORK/list.txt" 2>"$WORK/list.err"
grep -q "^lxh	personal	ecdsa	$INST	$HOLDER $MASKED_RE	" "$WORK/list.txt" ||
    fail "seal list does not show the holder masked: $(cat "$WORK/list.txt")"
grep -q "^xinghe-official	official	rsa	[^	]*	-	" "$WORK/list.txt" ||
    fail "seal list shows a holder for an official seal"
! grep -q "${ID%X}" "$WORK/list.txt" "$WORK/list.err" || fail "seal list printed the full ID"
[ ! -s "$WORK/list.err" ] || fail "seal list warned: $(cat "$WORK/list.err")"

# ---- at rest: no file of the data directory holds the number or its distinctive middle
! grep -raq "${ID%X}" "$DATA" || fail "the full resident ID is in clear under $DATA"
! grep -raq 4401061988 "$DATA" || fail "the ID's region and birth year are in clear under $DATA"
! strings -a "$DATA/sealsvc.db" | grep -q 19880229 || fail "the birth date is in sealsvc.db"
row=$(sqlite3 "$DATA/sealsvc.db" "SELECT name, length(id_sealed), hex(substr(id_sealed, 1, 1)) \
    FROM seal_holder WHERE seal_id = 'lxh'")
[ "$row" = "$HOLDER|47|01" ] || fail "the stored holder row is not a 47-byte sealed value: $row"
# the audit trail never carries the number either
"$SEALSVC" --data "$DATA" audit list >"$WORK/audit.txt" 2>&1 || fail "audit list failed"
! grep -q "${ID%X}" "$WORK/audit.txt" || fail "the audit trail shows the full ID"

# ---- without the KEK: "?" and a warning, the rest of the list intact
mv "$DATA/secrets/kek" "$WORK/kek"
"$SEALSVC" seal list --data "$DATA" >"$WORK/list.txt" 2>"$WORK/list.err" ||
    fail "seal list without the KEK failed: $(cat "$WORK/list.err")"
mv "$WORK/kek" "$DATA/secrets/kek"
grep -q "^lxh	personal	ecdsa	$INST	$HOLDER ?	" "$WORK/list.txt" ||
    fail "seal list without the KEK does not show '?': $(cat "$WORK/list.txt")"
[ "$(wc -l <"$WORK/list.txt")" = $((seals_before + 1)) ] || fail "seal list without the KEK lost seals"
grep -q "warning: the identity number of seal lxh's holder cannot be decrypted without the platform's key-encryption key" \
    "$WORK/list.err" || fail "seal list without the KEK does not say why: $(cat "$WORK/list.err")"

# ---- an altered value does not decrypt (another seal's id or KEK: test_holder_id)
python3 - "$DATA/sealsvc.db" <<'EOF' || fail "cannot alter the stored value"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
blob = bytearray(db.execute("SELECT id_sealed FROM seal_holder WHERE seal_id = 'lxh'").fetchone()[0])
blob[20] ^= 0x01
db.execute("UPDATE seal_holder SET id_sealed = ? WHERE seal_id = 'lxh'", (bytes(blob),))
db.commit()
EOF
"$SEALSVC" seal list --data "$DATA" >"$WORK/list.txt" 2>"$WORK/list.err" || fail "seal list failed"
grep -q "^lxh	personal	ecdsa	$INST	$HOLDER ?	" "$WORK/list.txt" || fail "an altered ID is shown"
grep -q "seal lxh does not decrypt: it was altered" "$WORK/list.err" ||
    fail "an altered ID is not reported: $(cat "$WORK/list.err")"
echo "ok"
