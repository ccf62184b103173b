#!/usr/bin/env bash
# Every use of a seal by `sealsvc stamp` is in the audit trail: who, which seal, the
# document's digest before and after (SHA-256, SM3 for SM2 seals; checked with sha256sum
# and openssl, not our code), the files, how, and failures with their reason but never
# the PIN. `audit list --document FILE` finds the stamp that read or wrote FILE. A stamp
# whose record cannot be written is undone: no output, exit 3. The chain stays intact.
# A seal whose key is on a PKCS#11 token (SoftHSM2) is recorded the same way, its wrong
# token PIN too, and its PIN is nowhere in the trail either.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/softhsm.sh"
make_demo
RSA=$(seal_of rsa id official); RSA_PIN=$(seal_of rsa pin official)
SM2=$(seal_of sm2 id); SM2_PIN=$(seal_of sm2 pin)
cp "$SEAL_SOURCE_DIR/samples/contract-zh.pdf" "$WORK/in.pdf"
cp "$SEAL_SOURCE_DIR/samples/notice-zh.ofd" "$WORK/in.ofd"
cd "$WORK" # relative paths on the command line; the trail must name the files absolutely

# (read into a file before grep -q: under pipefail, grep -q leaving early fails the pipe)
json_records() { # ARGS...: the audit list --json records, as "action|target|actor|detail" lines
    "$SEALSVC" --data "$DATA" audit list --json "$@" >"$WORK/list.json" || fail "audit list $* failed"
    python3 -c 'import json,sys
for r in json.load(open(sys.argv[1])): print("|".join([r["action"], r["target"], r["actor"], r["detail"]]))' \
        "$WORK/list.json"
}
USER_NAME=$(id -un)

# --- a PDF stamp: digests before and after as sha256sum computes them, absolute paths
"$SEALSVC" --data "$DATA" stamp in.pdf out.pdf --seal "$RSA" --pin "$RSA_PIN" --page 1 --at 100,100 >/dev/null ||
    fail "the RSA stamp failed"
json_records --target "seal:$RSA" | grep '^stamp|' >"$WORK/rsa.txt" || fail "no stamp record for $RSA"
[ "$(wc -l <"$WORK/rsa.txt")" = 1 ] || fail "one stamp, $(wc -l <"$WORK/rsa.txt") records"
want="stamp|seal:$RSA|$USER_NAME|PDF $WORK/in.pdf (sha256 $(sha in.pdf)) -> $WORK/out.pdf (sha256 $(sha out.pdf)), 1 place, PAdES B-B"
[ "$(cat "$WORK/rsa.txt")" = "$want" ] || fail "the stamp record is
  $(cat "$WORK/rsa.txt")
not
  $want"
# found by either document, in the text listing too
for f in in.pdf out.pdf; do
    "$SEALSVC" --data "$DATA" audit list --document "$f" >"$WORK/doc.txt" || fail "audit list --document $f failed"
    grep -Eq "^#[0-9]+ +[0-9TZ:-]+  stamp +seal:$RSA +PDF $WORK/in.pdf " "$WORK/doc.txt" ||
        fail "audit list --document $f: $(cat "$WORK/doc.txt")"
done
"$SEALSVC" --data "$DATA" audit list --document "$SEAL_SOURCE_DIR/README.md" >"$WORK/none.txt"
grep -q "^no audit records naming " "$WORK/none.txt" || fail "an unstamped file was found: $(cat "$WORK/none.txt")"
expect_exit 3 "$SEALSVC" --data "$DATA" audit list --document "$WORK/missing.pdf"
grep -q "cannot open $WORK/missing.pdf" "$WORK/err" || fail "a missing document: $(cat "$WORK/err")"

# --- an OFD stamp with an SM2 seal: SM3 digests, as openssl computes them
"$SEALSVC" --data "$DATA" stamp in.ofd out.ofd --seal "$SM2" --pin "$SM2_PIN" --page 1 --at 100,100 >/dev/null ||
    fail "the SM2 OFD stamp failed"
sm3() { openssl dgst -sm3 -r "$1" | cut -d' ' -f1; }
want="stamp|seal:$SM2|$USER_NAME|OFD $WORK/in.ofd (sm3 $(sm3 in.ofd)) -> $WORK/out.ofd (sm3 $(sm3 out.ofd)), 1 place, OFD Type=Seal"
json_records --document out.ofd >"$WORK/sm2.txt"
[ "$(cat "$WORK/sm2.txt")" = "$want" ] || fail "the OFD stamp record is
  $(cat "$WORK/sm2.txt")
not
  $want"

# --- the other pairings: an SM2 seal on a PDF (SM3, hashed by the PDF stamper on its way),
# an RSA seal on an OFD (Type=Sign, SHA-256), an invisible signature
"$SEALSVC" --data "$DATA" stamp in.pdf sm2.pdf --seal "$SM2" --pin "$SM2_PIN" --pages 1-2 --at 60,60 >/dev/null ||
    fail "the SM2 PDF stamp failed"
json_records --document sm2.pdf >"$WORK/rec.txt"
grep -qxF "stamp|seal:$SM2|$USER_NAME|PDF $WORK/in.pdf (sm3 $(sm3 in.pdf)) -> $WORK/sm2.pdf (sm3 $(sm3 sm2.pdf)), 2 places, PAdES B-B" "$WORK/rec.txt" ||
    fail "the SM2 PDF stamp record: $(json_records --document sm2.pdf)"
"$SEALSVC" --data "$DATA" stamp out.ofd rsa.ofd --seal "$RSA" --pin "$RSA_PIN" --page 2 --at 60,60 --mode lock >/dev/null ||
    fail "the RSA OFD stamp failed"
json_records --document rsa.ofd >"$WORK/rec.txt"
grep -qxF "stamp|seal:$RSA|$USER_NAME|OFD $WORK/out.ofd (sha256 $(sha out.ofd)) -> $WORK/rsa.ofd (sha256 $(sha rsa.ofd)), 1 place, OFD Type=Sign, document locked" "$WORK/rec.txt" ||
    fail "the RSA OFD stamp record: $(json_records --document rsa.ofd)"
"$SEALSVC" --data "$DATA" stamp out.pdf inv.pdf --seal "$RSA" --pin "$RSA_PIN" --invisible --certify 2 >/dev/null 2>&1 ||
    true # a second signature cannot certify: refused, and recorded as such
"$SEALSVC" --data "$DATA" stamp in.pdf inv.pdf --seal "$RSA" --pin "$RSA_PIN" --invisible --certify 2 >/dev/null ||
    fail "the invisible certifying stamp failed"
json_records --document inv.pdf >"$WORK/rec.txt"
grep -qxF "stamp|seal:$RSA|$USER_NAME|PDF $WORK/in.pdf (sha256 $(sha in.pdf)) -> $WORK/inv.pdf (sha256 $(sha inv.pdf)), invisible, PAdES B-B, certifying" "$WORK/rec.txt" ||
    fail "the invisible stamp record: $(json_records --document inv.pdf)"
json_records --target "seal:$RSA" >"$WORK/rec.txt"
grep -q "^stamp-failed|seal:$RSA|$USER_NAME|PDF $WORK/out.pdf -> $WORK/inv.pdf: only the first signature may certify" "$WORK/rec.txt" ||
    fail "the refused certification is not recorded"

# --- failures are recorded with their reason, never with the PIN
expect_exit 3 "$SEALSVC" --data "$DATA" stamp in.pdf no.pdf --seal "$RSA" --pin 918273 --page 1 --at 100,100
expect_exit 3 "$SEALSVC" --data "$DATA" stamp in.pdf no.pdf --seal "$RSA" --pin "$RSA_PIN" --page 9 --at 100,100
expect_exit 3 "$SEALSVC" --data "$DATA" stamp in.pdf no.pdf --seal no-such-seal --pin "$RSA_PIN" --page 1 --at 100,100
[ ! -e no.pdf ] || fail "a failed stamp left its output"
json_records >"$WORK/all.txt"
grep -q "^stamp-failed|seal:$RSA|$USER_NAME|PDF $WORK/in.pdf -> $WORK/no.pdf: wrong PIN for seal $RSA (4 tries left)$" "$WORK/all.txt" ||
    fail "the wrong PIN is not recorded: $(grep stamp-failed "$WORK/all.txt")"
grep -q "^stamp-failed|seal:$RSA|$USER_NAME|PDF $WORK/in.pdf -> $WORK/no.pdf: page 9 does not exist (document has 3 pages)$" "$WORK/all.txt" ||
    fail "the missing page is not recorded: $(grep stamp-failed "$WORK/all.txt")"
grep -q "^stamp-failed|seal:no-such-seal|" "$WORK/all.txt" || fail "the unknown seal's attempt is not recorded"
grep -q "918273" "$WORK/all.txt" && fail "a PIN is in the audit trail"
sqlite3 "$DATA/sealsvc.db" "SELECT * FROM audit" | grep -q "918273" && fail "a PIN is in the audit table"
# usage errors are no use of a seal: nothing recorded
n_before=$(grep -c . "$WORK/all.txt")
expect_exit 64 "$SEALSVC" --data "$DATA" stamp in.pdf no.pdf --seal "$RSA" --pin "$RSA_PIN"
[ "$(json_records | grep -c .)" = "$n_before" ] || fail "a usage error was recorded"

# --- a seal on a PKCS#11 token: its PIN (the seal PIN) and a wrong one stay out of the trail
make_token AuditToken 31415926 27182818
CODE=$(sqlite3 "$DATA/sealsvc.db" "SELECT credit_code FROM institution ORDER BY id LIMIT 1")
"$SEALSVC" --data "$DATA" seal make --id tk-audit --institution-code "$CODE" --name "Token seal" \
    --pkcs11-uri "pkcs11:token=AuditToken;object=audit" --key-type ecdsa --pin 27182818 \
    >"$WORK/tk-make.out" 2>"$WORK/tk-make.err" || fail "seal make on the token: $(cat "$WORK/tk-make.err")"
"$SEALSVC" --data "$DATA" stamp in.pdf tk.pdf --seal tk-audit --pin 27182818 --page 1 --at 100,100 \
    >"$WORK/tk-stamp.out" 2>"$WORK/tk-stamp.err" || fail "the token stamp failed: $(cat "$WORK/tk-stamp.err")"
expect_exit 3 "$SEALSVC" --data "$DATA" stamp in.pdf no.pdf --seal tk-audit --pin 16180339 --page 1 --at 100,100
cp "$WORK/err" "$WORK/tk-wrong.err"
json_records --target "seal:tk-audit" >"$WORK/tk.txt"
grep -q "^stamp|seal:tk-audit|$USER_NAME|PDF $WORK/in.pdf (sha256 $(sha in.pdf)) -> $WORK/tk.pdf (sha256 $(sha tk.pdf)), 1 place, PAdES B-B" "$WORK/tk.txt" ||
    fail "the token stamp's record: $(cat "$WORK/tk.txt")"
grep -q "^stamp-failed|seal:tk-audit|$USER_NAME|PDF $WORK/in.pdf -> $WORK/no.pdf: wrong PIN for token AuditToken (seal tk-audit: 4 tries left)$" "$WORK/tk.txt" ||
    fail "the wrong token PIN is not recorded: $(cat "$WORK/tk.txt")"
for pin in 27182818 16180339 31415926; do
    grep -a -q -- "$pin" "$WORK/tk.txt" "$WORK/tk-make.out" "$WORK/tk-make.err" "$WORK/tk-stamp.out" \
        "$WORK/tk-stamp.err" "$WORK/tk-wrong.err" && fail "a token PIN is in the trail or an output"
    sqlite3 "$DATA/sealsvc.db" "SELECT * FROM audit" | grep -q -- "$pin" && fail "a token PIN is in the audit table"
    grep -a -q -- "$pin" "$DATA/sealsvc.db" && fail "a token PIN is in sealsvc.db"
done

# --- a stamp that cannot be recorded is undone
python3 - "$DATA/sealsvc.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TRIGGER no_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'audit disabled'); END")
db.commit()
PY
sha_in=$(sha in.pdf)
expect_exit 3 "$SEALSVC" --data "$DATA" stamp in.pdf unrecorded.pdf --seal "$RSA" --pin "$RSA_PIN" --page 1 --at 100,100
grep -q "the stamp could not be recorded in the audit trail, so $WORK/unrecorded.pdf was removed" "$WORK/err" ||
    fail "an unrecorded stamp says: $(cat "$WORK/err")"
[ ! -e unrecorded.pdf ] || fail "an unrecorded stamp left its output"
ls "$WORK" | grep -q '^\.\?unrecorded' && fail "a temporary file was left: $(ls -a "$WORK")"
[ "$(sha in.pdf)" = "$sha_in" ] || fail "the input changed"
expect_exit 3 "$SEALSVC" --data "$DATA" stamp in.ofd unrecorded.ofd --seal "$SM2" --pin "$SM2_PIN" --page 1 --at 100,100
[ ! -e unrecorded.ofd ] || fail "an unrecorded OFD stamp left its output"
python3 -c 'import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); d.execute("DROP TRIGGER no_audit"); d.commit()' "$DATA/sealsvc.db"

"$SEALSVC" --data "$DATA" audit verify >"$WORK/verify.txt" || fail "audit verify: $(cat "$WORK/verify.txt")"
grep -q "^audit trail: intact" "$WORK/verify.txt" || fail "audit verify says: $(cat "$WORK/verify.txt")"
echo "stamp_audit: all checks passed"
