#!/usr/bin/env bash
# OFD trusted time and revocation with the demo platform and our own TSA on loopback: an
# SM2 seal stamped with --tsa carries an RFC 3161 token over the SES signature value in
# the v4 timeStamp field; `openssl ts -verify -data` accepts it over the signature value
# we extract with a small DER reader (python3, nothing of ours); verify reports genTime as
# the proven signing time; one changed byte of the signature value makes the token's
# imprint fail; an RSA seal's Type=Sign CMS gets the signature-time-stamp attribute
# (seen by openssl cms -print); with the demo CA's CRLs, a signer revoked after a timestamped signing stays
# VALID and one revoked before signing is INVALID (REVOKED).
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/tsa.sh"

C="${SEAL_CORPUS:-}/ofd"
[ -d "$C" ] || { echo "ofd_time: the corpus ($C) is absent; skipping"; exit 77; }

make_demo
start_our_tsa
SM2=$(seal_of sm2 id official); SM2_PIN=$(seal_of sm2 pin official)
SIGNER_PEM="$DATA/certs/nanyue.pem"
cp -r "$DATA" "$WORK/data-before"  # the platform as it was before any revocation

cat >"$WORK/ses.py" <<'PY'
"""SES_Signature v4 (GB/T 38540) pieces, with python3 zipfile and a minimal DER reader:
  ses.py parts OFD OUTDIR   writes signature.bin (the signature value) and token.der
  ses.py flip OFD OUT       OUT: OFD with one byte of the signature value changed"""
import sys, zipfile

def tlv(b, i):
    tag = b[i]; n = b[i + 1]; i += 2
    if n & 0x80:
        k = n & 0x7f; n = int.from_bytes(b[i:i + k], "big"); i += k
    return tag, i, n  # content starts at i, n bytes

def children(b, start, length):
    i, out = start, []
    while i < start + length:
        tag, c, n = tlv(b, i)
        out.append((tag, c, n)); i = c + n
    return out

def parts(ses):
    tag, c, n = tlv(ses, 0)
    kids = children(ses, c, n)
    assert len(kids) == 5, "no timeStamp field: %d elements" % len(kids)
    sig = kids[3]; ts = kids[4]
    assert sig[0] == 0x03 and ts[0] == 0xa0
    itag, ic, inn = tlv(ses, ts[1])  # EXPLICIT [0] BIT STRING
    assert itag == 0x03
    return (sig[1] + 1, sig[2] - 1), (ic + 1, inn - 1)

def signed_value(z):
    names = [n for n in z.namelist() if n.endswith("SignedValue.dat")]
    assert len(names) == 1, names
    return names[0]

z = zipfile.ZipFile(sys.argv[2])
name = signed_value(z)
ses = z.read(name)
(sig_at, sig_len), (tok_at, tok_len) = parts(ses)
if sys.argv[1] == "parts":
    open(sys.argv[3] + "/signature.bin", "wb").write(ses[sig_at:sig_at + sig_len])
    open(sys.argv[3] + "/token.der", "wb").write(ses[tok_at:tok_at + tok_len])
else:
    b = bytearray(ses); b[sig_at + sig_len - 1] ^= 0x01
    with zipfile.ZipFile(sys.argv[3], "w") as out:
        for info in z.infolist():
            out.writestr(info, bytes(b) if info.filename == name else z.read(info.filename))
PY

verify_to() { # OUT.txt DATA-DIR FILE: runs verify offline, prints its exit code
    local code=0
    "$SEALSVC" --data "$2" verify "$3" --offline >"$1" 2>&1 || code=$?
    echo "$code"
}

# --- stamp with a timestamp: the token is in the SES timeStamp field
"$SEALSVC" --data "$DATA" stamp "$C/helloworld.ofd" "$WORK/ts.ofd" --seal "$SM2" --pin "$SM2_PIN" \
    --at 50,50 --tsa "$OUR_TSA_URL" >"$WORK/stamp.txt" || fail "stamp --tsa failed"
grep -q "timestamped" "$WORK/stamp.txt" || fail "stamp does not say timestamped: $(cat "$WORK/stamp.txt")"
mkdir "$WORK/parts"
python3 "$WORK/ses.py" parts "$WORK/ts.ofd" "$WORK/parts" || fail "no timeStamp field in the SES_Signature"

# openssl's TSA verifier: the token is over the signature value, SM3 imprint, our TSA
cat "$DATA/pki/issuing-ca.pem" "$DATA/pki/root-ca.pem" >"$WORK/chain.pem"
openssl ts -verify -token_in -in "$WORK/parts/token.der" -data "$WORK/parts/signature.bin" \
    -CAfile "$DATA/pki/root-ca.pem" -untrusted "$WORK/chain.pem" >"$WORK/ts-verify.txt" 2>&1 ||
    fail "openssl ts -verify rejects the token over the signature value: $(cat "$WORK/ts-verify.txt")"
openssl ts -reply -token_in -in "$WORK/parts/token.der" -token_out -text >"$WORK/token.txt" 2>/dev/null
grep -q "Hash Algorithm: sm3" "$WORK/token.txt" || fail "the imprint is not SM3: $(cat "$WORK/token.txt")"
GEN=$(sed -n 's/^Time stamp: //p' "$WORK/token.txt")
GEN_UTC=$(date -u -d "$GEN" '+%Y-%m-%d %H:%M:%S')

# our verifier: VALID, genTime as the proven signing time
[ "$(verify_to "$WORK/v.txt" "$DATA" "$WORK/ts.ofd")" = 0 ] || fail "timestamped seal not VALID: $(cat "$WORK/v.txt")"
grep -q "Signed at:  $GEN_UTC UTC (proven by timestamp (sealsvc Demo TSA))" "$WORK/v.txt" ||
    fail "signing time is not the token's genTime $GEN_UTC: $(grep 'Signed at' "$WORK/v.txt")"
grep -Eq "^ +timestamp +VALID" "$WORK/v.txt" || fail "no VALID timestamp check"
grep -Eq "^ +signer-validity +VALID .*at the signing time a timestamp proves" "$WORK/v.txt" ||
    fail "the signer's validity is not judged at the proven time: $(grep signer-validity "$WORK/v.txt")"
grep -Eq "^ +revocation +VALID .*not on the CRL" "$WORK/v.txt" || fail "signer revocation not judged by the CRL"
grep -Eq "^ +maker-revocation +VALID" "$WORK/v.txt" || fail "seal maker revocation not judged"
grep -q "TIMESTAMP_NOT_CHECKED" "$WORK/v.txt" && fail "the token was not checked"

# --- one byte of the signature value changed: the token's imprint no longer matches
python3 "$WORK/ses.py" flip "$WORK/ts.ofd" "$WORK/flipped.ofd"
[ "$(verify_to "$WORK/f.txt" "$DATA" "$WORK/flipped.ofd")" = 1 ] || fail "changed signature value not INVALID: $(cat "$WORK/f.txt")"
grep -Eq "^ +timestamp +INVALID +the timestamp by sealsvc Demo TSA .* is for other data" "$WORK/f.txt" ||
    fail "the imprint check did not fail: $(grep timestamp "$WORK/f.txt")"

# --- Type=Sign (RSA): the token is the CMS signature-time-stamp attribute
RSA=$(seal_of rsa id official); RSA_PIN=$(seal_of rsa pin official)
"$SEALSVC" --data "$DATA" stamp "$C/helloworld.ofd" "$WORK/rsa.ofd" --seal "$RSA" --pin "$RSA_PIN" \
    --at 50,50 --tsa "$OUR_TSA_URL" >/dev/null || fail "stamp --tsa with an RSA seal failed"
python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
n = [x for x in z.namelist() if x.endswith("SignedValue.dat")][0]
open(sys.argv[2], "wb").write(z.read(n))' "$WORK/rsa.ofd" "$WORK/rsa.p7s"
openssl cms -cmsout -inform DER -in "$WORK/rsa.p7s" -print >"$WORK/rsa-cms.txt" 2>/dev/null
grep -q "id-smime-aa-timeStampToken" "$WORK/rsa-cms.txt" || fail "no signature-time-stamp attribute in the CMS"
[ "$(verify_to "$WORK/rv.txt" "$DATA" "$WORK/rsa.ofd")" = 0 ] || fail "timestamped Type=Sign not VALID: $(cat "$WORK/rv.txt")"
grep -q "(proven by timestamp (sealsvc Demo TSA))" "$WORK/rv.txt" || fail "Type=Sign: time not proven"

# --- without a timestamp: the demo seal verifies VALID (the chain needs the issuing CA
# from DATA/pki: the SES_Signature carries only the signer's certificate)
"$SEALSVC" --data "$DATA" stamp "$C/helloworld.ofd" "$WORK/plain.ofd" --seal "$SM2" --pin "$SM2_PIN" \
    --at 50,50 >/dev/null || fail "stamp without --tsa failed"
[ "$(verify_to "$WORK/p.txt" "$DATA" "$WORK/plain.ofd")" = 0 ] || fail "untimestamped demo seal not VALID: $(cat "$WORK/p.txt")"
grep -q "not proven: no timestamp" "$WORK/p.txt" || fail "claimed time shown as proven"
grep -Eq "^ +signer-validity +VALID .*at the claimed signing time" "$WORK/p.txt" ||
    fail "the signer's validity is not said to be at the claimed time: $(grep signer-validity "$WORK/p.txt")"

# --- the signer revoked after the signings: timestamped stays VALID, claimed is not proven
sleep 1
"$SEALSVC" --data "$DATA" ca revoke "$SIGNER_PEM" --reason keyCompromise >/dev/null || fail "ca revoke failed"
[ "$(verify_to "$WORK/r.txt" "$DATA" "$WORK/ts.ofd")" = 0 ] || fail "revoked after a timestamped signing is not VALID: $(cat "$WORK/r.txt")"
grep -q "revoked after the proven signing time" "$WORK/r.txt" || fail "later revocation not reported"
[ "$(verify_to "$WORK/rp.txt" "$DATA" "$WORK/plain.ofd")" = 2 ] || fail "revoked after a claimed time is not INDETERMINATE"
grep -q "REVOKED_NO_POE" "$WORK/rp.txt" || fail "no REVOKED_NO_POE: $(cat "$WORK/rp.txt")"

# --- revoked before signing: stamped (timestamp after the revocation) by a copy of the
# platform that does not know it yet, verified with the CRL that lists it
sleep 1
"$SEALSVC" --data "$WORK/data-before" stamp "$C/helloworld.ofd" "$WORK/late.ofd" --seal "$SM2" \
    --pin "$SM2_PIN" --at 50,50 --tsa "$OUR_TSA_URL" --offline >/dev/null 2>"$WORK/late.err" ||
    fail "stamp with the old platform copy failed: $(cat "$WORK/late.err")"
[ "$(verify_to "$WORK/l.txt" "$DATA" "$WORK/late.ofd")" = 1 ] || fail "revoked before signing is not INVALID: $(cat "$WORK/l.txt")"
grep -q "Verdict: INVALID - REVOKED" "$WORK/l.txt" || fail "not INVALID REVOKED: $(grep Verdict "$WORK/l.txt")"

echo "ofd_time: ok"
