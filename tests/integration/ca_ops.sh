#!/usr/bin/env bash
# The platform CA's operations, checked with openssl: revoke (reason, invalidity date),
# freeze and unfreeze (certificateHold, hold instruction, gone from the next CRL), CRL
# numbers and authority key identifiers, renew (same key, new serial, within 30 days of
# expiry or --force; the seal follows), re-key (new key under the seal's PIN; the old
# certificate superseded), the history `ca show` gives, and refusals that name the problem.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

make_demo
CA="$DATA/pki/issuing-ca.pem"
# The CRLs are published in the database; `ca crl --current` writes a copy of one.
CRL="$WORK/issuing-ca.crl"
published() {
    "$SEALSVC" --data "$DATA" ca crl --current --ca "$1" -o "$WORK/$1.crl" ||
        fail "ca crl --current --ca $1 failed"
}
SAMPLE="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"
pin_of() {
    python3 -c 'import json,sys; print([s["pin"] for s in json.load(open(sys.argv[1]))["seals"] if s["id"] == sys.argv[2]][0])' \
        "$WORK/manifest.json" "$1"
}
crl_text() { published issuing-ca && openssl crl -inform DER -in "$CRL" -noout -text; }
crl_number() { crl_text | grep -A1 "CRL Number" | tail -1 | tr -d ' '; }
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
cat "$CA" "$ROOT_PEM" >"$WORK/chain.pem"

# --- the first CRL: signed by the issuing CA, number 1, its authority key identifier
published issuing-ca
openssl crl -inform DER -in "$CRL" -CAfile "$CA" -noout 2>&1 | grep -q "verify OK" ||
    fail "openssl does not verify the first CRL"
[ "$(crl_number)" = 1 ] || fail "the first CRL is not number 1"
ski=$(openssl x509 -in "$CA" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' ')
crl_text | grep -A1 "Authority Key Identifier" | tail -1 | tr -d ' ' | grep -q "$ski" ||
    fail "the CRL's authority key identifier is not the CA's key"
crl_text | grep -q "No Revoked Certificates" || fail "the first CRL lists certificates"

# --- revoke with a reason and an invalidity date
"$SEALSVC" --data "$DATA" ca revoke "$DATA/certs/pujiang.pem" --reason keyCompromise \
    --invalidity-date 2026-01-02T03:04:05Z >"$WORK/out" || fail "ca revoke failed"
grep -q "CRL published: issuing-ca.crl" "$WORK/out" || fail "ca revoke did not say which CRL it published"
[ "$(crl_number)" = 2 ] || fail "the CRL number did not grow"
crl_text >"$WORK/crl.txt"
grep -q "Serial Number: $(serial_of "$DATA/certs/pujiang.pem")" "$WORK/crl.txt" ||
    fail "the revoked certificate is not on the CRL"
grep -q "Key Compromise" "$WORK/crl.txt" || fail "no reason code on the CRL"
grep -q "Jan  2 03:04:05 2026 GMT" "$WORK/crl.txt" || fail "no invalidity date on the CRL"
openssl crl -inform DER -in "$CRL" -out "$WORK/issuing.crl.pem"
published root-ca
openssl crl -inform DER -in "$WORK/root-ca.crl" -out "$WORK/root.crl.pem"
cat "$WORK/issuing.crl.pem" "$WORK/root.crl.pem" >"$WORK/crls.pem"
set +e
openssl verify -crl_check_all -CAfile "$WORK/chain.pem" -CRLfile "$WORK/crls.pem" \
    "$DATA/certs/pujiang.pem" >"$WORK/verify.txt" 2>&1
set -e
grep -q "certificate revoked" "$WORK/verify.txt" ||
    fail "openssl verify does not see the revocation: $(cat "$WORK/verify.txt")"
openssl verify -crl_check_all -CAfile "$WORK/chain.pem" -CRLfile "$WORK/crls.pem" \
    "$DATA/certs/nanyue.pem" >/dev/null || fail "openssl verify refuses a good certificate"

# refusals that name the problem, changing nothing
expect_exit 3 "$SEALSVC" --data "$DATA" ca revoke "$DATA/certs/pujiang.pem"
grep -q "already revoked" "$WORK/err" || fail "second revoke: $(cat "$WORK/err")"
expect_exit 3 "$SEALSVC" --data "$DATA" ca revoke "$DATA/certs/nanyue.pem" --reason stolen
grep -q "keyCompromise" "$WORK/err" || fail "a bad reason does not list the good ones"
expect_exit 3 "$SEALSVC" --data "$DATA" ca revoke "$DATA/certs/nanyue.pem" --reason certificateHold
grep -q "ca freeze" "$WORK/err" || fail "certificateHold as a revocation: $(cat "$WORK/err")"
expect_exit 3 "$SEALSVC" --data "$DATA" ca revoke 0x1234abcd
grep -q "never issued a certificate with serial 1234abcd" "$WORK/err" || fail "$(cat "$WORK/err")"
expect_exit 3 "$SEALSVC" --data "$DATA" ca revoke not-a-serial
grep -q "not a certificate serial number" "$WORK/err" || fail "$(cat "$WORK/err")"
expect_exit 64 "$SEALSVC" --data "$DATA" ca explode
# another command's option is a slip, said and not ignored: nothing is done
expect_exit 64 "$SEALSVC" --data "$DATA" ca freeze 0x1234abcd --reason keyCompromise
grep -q "ca freeze does not take --reason" "$WORK/err" || fail "$(cat "$WORK/err")"
expect_exit 64 "$SEALSVC" --data "$DATA" ca crl -o "$WORK/x.crl" --days 3
grep -q "ca crl does not take --days" "$WORK/err" || fail "$(cat "$WORK/err")"
[ ! -e "$WORK/x.crl" ] || fail "a refused ca crl wrote its output"
[ "$(crl_number)" = 2 ] || fail "a refused operation published a CRL"

# --- freeze and unfreeze, by serial with colons
nanyue_serial=$(serial_of "$DATA/certs/nanyue.pem")
with_colons=$(echo "$nanyue_serial" | sed 's/../&:/g; s/:$//')
"$SEALSVC" --data "$DATA" ca freeze "$with_colons" >/dev/null || fail "ca freeze failed"
crl_text >"$WORK/crl.txt"
grep -A6 "Serial Number: $nanyue_serial" "$WORK/crl.txt" | grep -q "Certificate Hold" ||
    fail "the frozen certificate is not on hold in the CRL"
grep -q "Hold Instruction Reject" "$WORK/crl.txt" || fail "no hold instruction on the CRL"
expect_exit 3 "$SEALSVC" --data "$DATA" ca freeze "$DATA/certs/nanyue.pem"
grep -q "already frozen" "$WORK/err" || fail "second freeze: $(cat "$WORK/err")"
"$SEALSVC" --data "$DATA" ca unfreeze "$DATA/certs/nanyue.pem" >/dev/null || fail "ca unfreeze failed"
! crl_text | grep -q "Serial Number: $nanyue_serial" || fail "the unfrozen certificate is still listed"
crl_text | grep -q "Serial Number: $(serial_of "$DATA/certs/pujiang.pem")" ||
    fail "the revoked certificate fell off the CRL"
expect_exit 3 "$SEALSVC" --data "$DATA" ca unfreeze "$DATA/certs/nanyue.pem"
grep -q "not frozen" "$WORK/err" || fail "unfreeze of a good certificate: $(cat "$WORK/err")"
expect_exit 3 "$SEALSVC" --data "$DATA" ca freeze "$DATA/certs/pujiang.pem"
grep -q "revocation is final" "$WORK/err" || fail "freezing a revoked certificate: $(cat "$WORK/err")"

# --- history, as text and JSON
"$SEALSVC" --data "$DATA" ca show "$DATA/certs/nanyue.pem" --json >"$WORK/show.json"
python3 - "$WORK/show.json" <<'PY' || fail "ca show: $(cat "$WORK/show.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["state"] == "good", r["state"]
assert [e["action"] for e in r["history"]] == ["issue", "freeze", "unfreeze"], r["history"]
assert all(e["actor"] for e in r["history"])
PY
"$SEALSVC" --data "$DATA" ca show "$DATA/certs/pujiang.pem" | grep -q "state:      revoked since .* (keyCompromise)" ||
    fail "ca show does not give the revocation"

# --- renew: refused outside the 30-day window, then forced; same key, new serial; the
# seals bound to the certificate follow, and stamp and verify with it
old="$DATA/certs/xinghe.pem"
expect_exit 3 "$SEALSVC" --data "$DATA" ca renew "$old"
grep -q "renewal opens 30 days before" "$WORK/err" || fail "early renew: $(cat "$WORK/err")"
"$SEALSVC" --data "$DATA" ca renew "$old" --force -o "$WORK/renewed.pem" 2>/dev/null ||
    fail "ca renew --force failed"
openssl verify -CAfile "$WORK/chain.pem" "$WORK/renewed.pem" >/dev/null ||
    fail "openssl does not verify the renewed certificate"
[ "$(openssl x509 -in "$old" -noout -pubkey)" = "$(openssl x509 -in "$WORK/renewed.pem" -noout -pubkey)" ] ||
    fail "renewal changed the key"
[ "$(serial_of "$old")" != "$(serial_of "$WORK/renewed.pem")" ] || fail "renewal kept the serial"
[ "$(openssl x509 -in "$old" -noout -subject)" = "$(openssl x509 -in "$WORK/renewed.pem" -noout -subject)" ] ||
    fail "renewal changed the subject"
openssl x509 -in "$WORK/renewed.pem" -noout -ext crlDistributionPoints,authorityInfoAccess |
    grep -q "crl/issuing-ca.crl" || fail "the renewed certificate lost its CRL distribution point"
new_serial=$(serial_of "$WORK/renewed.pem")
for seal in xinghe-official xinghe-contract; do
    "$SEALSVC" seal show "$DATA/seals/$seal.esl" >"$WORK/show.txt" || fail "seal $seal does not verify"
    grep -qi "serial $new_serial" "$WORK/show.txt" || fail "seal $seal does not bind the new certificate"
done
SEALSVC_PIN=$(pin_of xinghe-official) "$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$WORK/renewed.pdf" \
    --seal xinghe-official --page 1 --at 100,100 >/dev/null || fail "stamp after renewal failed"
"$SEALSVC" --data "$DATA" verify "$WORK/renewed.pdf" --json >"$WORK/v.json" ||
    fail "verify after renewal: $(cat "$WORK/v.json")"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["signatures"][0]["signer"]["serial"] == sys.argv[2].lower()' \
    "$WORK/v.json" "$new_serial" || fail "the signature is not by the renewed certificate"

# --- re-key: a wrong PIN counts and changes nothing; the right one makes a new key, and
# the old certificate is revoked (superseded) since no other seal binds it
rep_old=$(serial_of "$DATA/certs/xinghe-legal-rep.pem")
expect_exit 3 "$SEALSVC" --data "$DATA" ca rekey --seal xinghe-legal-rep --pin 000000
grep -q "wrong PIN for seal xinghe-legal-rep (4 tries left)" "$WORK/err" || fail "$(cat "$WORK/err")"
SEALSVC_PIN=$(pin_of xinghe-legal-rep) "$SEALSVC" --data "$DATA" ca rekey "$DATA/certs/xinghe-legal-rep.pem" \
    -o "$WORK/rekeyed.pem" 2>/dev/null || fail "ca rekey failed"
[ "$(openssl x509 -in "$DATA/certs/xinghe-legal-rep.pem" -noout -pubkey)" != "$(openssl x509 -in "$WORK/rekeyed.pem" -noout -pubkey)" ] ||
    fail "re-key kept the key"
openssl verify -CAfile "$WORK/chain.pem" "$WORK/rekeyed.pem" >/dev/null ||
    fail "openssl does not verify the re-keyed certificate"
crl_text | grep -A6 "Serial Number: $rep_old" | grep -q "Superseded" ||
    fail "the old certificate is not revoked as superseded"
SEALSVC_PIN=$(pin_of xinghe-legal-rep) "$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$WORK/rekeyed.pdf" \
    --seal xinghe-legal-rep --page 1 --at 100,100 >/dev/null || fail "stamp after re-key failed"
"$SEALSVC" --data "$DATA" verify "$WORK/rekeyed.pdf" >/dev/null || fail "verify after re-key failed"
# the re-keyed seal's key opened with the same PIN; the other seal of a shared
# certificate keeps its own
expect_exit 3 "$SEALSVC" --data "$DATA" ca rekey "$WORK/renewed.pem" --pin 123456
grep -q "2 seals bind this certificate" "$WORK/err" || fail "$(cat "$WORK/err")"

# --- an explicit CRL, PEM, and the root's
"$SEALSVC" --data "$DATA" ca crl --hours 48 -o "$WORK/now.pem" --pem 2>/dev/null
openssl crl -in "$WORK/now.pem" -noout -lastupdate -nextupdate >"$WORK/times.txt"
published issuing-ca
openssl crl -in "$WORK/now.pem" -outform DER | cmp -s - "$CRL" ||
    fail "the CRL the database serves is not the one ca crl -o wrote"
python3 - "$WORK/times.txt" <<'PY' || fail "ca crl --hours 48: $(cat "$WORK/times.txt")"
import sys, datetime
t = dict(l.strip().split("=", 1) for l in open(sys.argv[1]))
f = "%b %d %H:%M:%S %Y GMT"
last = datetime.datetime.strptime(" ".join(t["lastUpdate"].split()), f)
nxt = datetime.datetime.strptime(" ".join(t["nextUpdate"].split()), f)
assert nxt - last == datetime.timedelta(hours=48), nxt - last
PY
"$SEALSVC" --data "$DATA" ca crl --ca root-ca -o "$WORK/root.der" 2>/dev/null
openssl crl -inform DER -in "$WORK/root.der" -CAfile "$ROOT_PEM" -noout 2>&1 | grep -q "verify OK" ||
    fail "the root's CRL does not verify"

# --- every operation is in the audit trail, chained
count=$(sqlite3 "$DATA/sealsvc.db" "SELECT count(*) FROM audit WHERE action IN ('revoke', 'freeze', 'unfreeze', 'renew', 'rekey')")
[ "$count" = 5 ] || fail "the audit trail has $count CA operations, expected 5"
sqlite3 "$DATA/sealsvc.db" "SELECT count(*) FROM audit a JOIN audit b ON b.id = a.id + 1 WHERE b.prev_hash != a.hash" |
    grep -qx 0 || fail "the audit records are not chained"
echo "ca operations: all as expected"
