#!/usr/bin/env bash
# Two-phase stamping with signers that are not ours: `sealsvc stamp --external` prepares
# the stamp and hands out what to sign, openssl pkeyutl signs it with the seal's key (the
# demo seal keys, opened with openssl from the store as demo.sh does), and `sealsvc stamp
# finish`, a separate process run from another folder, completes it. The outputs are
# checked with tools that are not ours: pdfsig, qpdf --check and openssl cms -verify on the
# PDF's /Contents over its ByteRange, openssl cms -verify on an OFD Type=Sign signature
# over Signature.xml, then sealsvc verify. RSA and ECDSA P-256 over the digest (B-B, B-T
# with our TSA on loopback, B-LT), SM2 over M (PDF and OFD Type=Seal). Bad signatures, a
# foreign certificate, a late finish, a second and a concurrent finish are refused (exit 3,
# the message checked), leave no output, the input unchanged and a stamp-failed record;
# a refused signature can be retried. No PIN and no private key in any output or record.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/tsa.sh"

make_demo
# The published CRLs as a relying party gets them: files (ca crl --current).
mkdir -p "$WORK/crl"
for ca in root-ca issuing-ca; do
    "$SEALSVC" --data "$DATA" ca crl --current --ca "$ca" -o "$WORK/crl/$ca.crl" || fail "ca crl --current --ca $ca"
done
make_nssdb
start_our_tsa
RSA=$(seal_of rsa id official)
EC=$(seal_of ecdsa id official)
SM2=$(seal_of sm2 id official)
cp "$SEAL_SOURCE_DIR/samples/contract-zh.pdf" "$WORK/in.pdf"
cp "$SEAL_SOURCE_DIR/samples/notice-zh.ofd" "$WORK/in.ofd"
mkdir -p "$WORK/signer" "$WORK/elsewhere" "$WORK/log"
cd "$WORK"

# The seals' keys as the external signer holds them: the store keeps each encrypted under
# the lower-case hex of HMAC-SHA256 (keyed with secrets/kek's text) over the PIN.
seal_key() { # ID PIN: writes signer/ID.key (plain PKCS#8 PEM)
    local pass
    pass=$(printf %s "$2" | openssl dgst -sha256 -hmac "$(tr -d ' \n' <"$DATA/secrets/kek")" -r | cut -d' ' -f1)
    sqlite3 "$DATA/sealsvc.db" "SELECT key_pem FROM seal WHERE id = '$1'" |
        openssl pkey -passin "pass:$pass" -out "signer/$1.key" || fail "cannot open seal $1's key"
}
for s in "$RSA" "$EC" "$SM2"; do
    seal_key "$s" "$(python3 -c 'import json,sys
print([s["pin"] for s in json.load(open(sys.argv[1]))["seals"] if s["id"] == sys.argv[2]][0])' \
        manifest.json "$s")"
done
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out signer/other.key 2>/dev/null

N=0
prepare() { # IN OUT SEAL [ARGS...]: stamp --external; sets ID, leaves the JSON in $JSON
    local in=$1 out=$2 seal=$3
    shift 3
    N=$((N + 1))
    JSON="$WORK/log/prepare-$N.json"
    "$SEALSVC" --data "$DATA" stamp "$in" "$out" --seal "$seal" --external "$@" \
        >"$JSON" 2>"$WORK/log/prepare-$N.err" || fail "stamp --external $in $out: $(cat "$WORK/log/prepare-$N.err")"
    ID=$(field id)
    [[ "$ID" =~ ^[0-9a-f]{32}$ ]] || fail "the pending id is '$ID'"
    [ "$(field seal)" = "$seal" ] || fail "the JSON names seal $(field seal)"
    [ "$(field output)" = "$WORK/$out" ] || fail "the JSON's output is $(field output), not $WORK/$out"
    [ ! -e "$out" ] || fail "stamp --external wrote $out"
    local tmp
    # OUT.tmpXXXXXX (B-LT: OUT.signed-PID.tmpXXXXXX, validation data is added after)
    tmp=$(ls -a | grep -E "^$(basename "$out")\.(signed-[0-9]+\.)?tmp" || true)
    [ "$(echo "$tmp" | grep -c .)" = 1 ] || fail "no single prepared file beside $out: $(ls -a)"
    [ "$(stat -c %a "$tmp")" = 600 ] || fail "the prepared file $tmp is not mode 0600"
    python3 -c 'import json,sys,base64
j = json.load(open(sys.argv[1]))
open(sys.argv[2], "wb").write(base64.b64decode(j["digest"]))
open(sys.argv[3], "wb").write(base64.b64decode(j["to_sign"]))' "$JSON" "signer/digest-$ID.bin" "signer/m-$ID.bin"
}
field() { python3 -c 'import json,sys; v = json.load(open(sys.argv[1]))[sys.argv[2]]
print(str(v).lower() if isinstance(v, bool) else v)' "$JSON" "$1"; }

sign_digest() { # KEY OUTFILE: the signer's own tool over the precomputed digest
    openssl pkeyutl -sign -inkey "$1" -pkeyopt digest:sha256 -in "signer/digest-$ID.bin" -out "$2" ||
        fail "openssl pkeyutl could not sign the digest"
}
sign_sm2() { # KEY OUTFILE: SM2 with SM3 over M itself, the distinguishing ID of GM/T 0009
    openssl pkeyutl -sign -inkey "$1" -rawin -digest sm3 -pkeyopt distid:1234567812345678 \
        -in "signer/m-$ID.bin" -out "$2" || fail "openssl pkeyutl could not sign M with SM2"
}

# finish from another folder, as another process (it always is): a relative --signature
finish() { # ID SIGFILE [ARGS...]
    local id=$1 sig=$2
    shift 2
    (cd elsewhere && "$SEALSVC" --data "$DATA" stamp finish "$id" --signature "../$sig" "$@") \
        >"$WORK/log/finish-$id.out" 2>"$WORK/log/finish-$id.err" ||
        fail "stamp finish $id: $(cat "$WORK/log/finish-$id.err")"
    local out
    out=$(basename "$(field output)")
    [ -s "$out" ] || fail "stamp finish $id wrote no $out"
    ! ls -a | grep -q "^$out\." || fail "stamp finish $id left a file beside $out: $(ls -a)"
}

pdf_checks() { # FILE: what a user checks with tools that are not ours, then our verify
    local f=$1 d="$WORK/cms-$1"
    qpdf --check "$f" >/dev/null || fail "qpdf --check rejects $f"
    pdfsig -nssdir "sql:$NSSDB" -no-ocsp "$f" >"$WORK/pdfsig.txt" 2>&1 || true
    grep -q 'Signature Validation: Signature is Valid.' "$WORK/pdfsig.txt" ||
        fail "pdfsig does not find a valid signature in $f: $(cat "$WORK/pdfsig.txt")"
    mkdir -p "$d"
    $PDFTOOL extract-cms "$f" 0 "$d"
    openssl cms -verify -binary -inform DER -in "$d/cms.der" -content "$d/signed.bin" -noverify \
        -out /dev/null 2>"$d/err" || fail "openssl cms -verify rejects $f's /Contents: $(cat "$d/err")"
    "$SEALSVC" --data "$DATA" verify "$f" >"$WORK/verify.txt" 2>&1 || fail "verify rejects $f: $(cat "$WORK/verify.txt")"
    grep -q '^Verdict: VALID' "$WORK/verify.txt" || fail "verify does not say VALID for $f"
}

records() { # SEAL: the seal's audit records as "action|detail" lines
    "$SEALSVC" --data "$DATA" audit list --target "seal:$1" --json >"$WORK/list.json" ||
        fail "audit list for $1 failed"
    python3 -c 'import json,sys
for r in json.load(open(sys.argv[1])): print(r["action"] + "|" + r["detail"])' "$WORK/list.json"
}
pending_ids() { # the ids `stamp pending --json` lists, as "id seal" lines
    "$SEALSVC" --data "$DATA" stamp pending --json >"$WORK/pending.json" || fail "stamp pending failed"
    python3 -c 'import json,sys
for r in json.load(open(sys.argv[1])): print(r["id"], r["seal"])' "$WORK/pending.json"
}

# --- RSA and ECDSA over the precomputed digest, PAdES B-B
for seal in "$RSA" "$EC"; do
    prepare in.pdf "b-$seal.pdf" "$seal" --page 1 --at 100,100
    [ "$(field digest_is_sm2_e)" = false ] || fail "$seal: digest_is_sm2_e is not false"
    # the digest is SHA-256 of the data handed out, as openssl computes it
    cmp -s "signer/digest-$ID.bin" <(openssl dgst -sha256 -binary "signer/m-$ID.bin") ||
        fail "$seal: the digest is not SHA-256 of to_sign"
    pending_ids >"$WORK/ids.txt"
    grep -qx "$ID $seal" "$WORK/ids.txt" || fail "stamp pending --json does not list $ID: $(cat "$WORK/pending.json")"
    sign_digest "signer/$seal.key" "signer/sig-$ID.der"
    finish "$ID" "signer/sig-$ID.der"
    grep -q "^stamped $WORK/b-$seal.pdf: seal $seal " "$WORK/log/finish-$ID.out" ||
        fail "finish says: $(cat "$WORK/log/finish-$ID.out")"
    pdf_checks "b-$seal.pdf"
    cmp -s "$WORK/cms-b-$seal.pdf/sig.bin" "signer/sig-$ID.der" ||
        fail "b-$seal.pdf does not carry the external signer's signature value"
    pending_ids >"$WORK/ids.txt"
    grep -q "^$ID " "$WORK/ids.txt" && fail "a finished stamp is still pending"
    ls -a | grep -q "^b-$seal\.pdf\.tmp" && fail "the prepared file of b-$seal.pdf is left"
    # the trail: prepared with the pending id, then the stamp naming it, in that order
    records "$seal" | grep -n "$ID" >"$WORK/trail.txt" || true
    [ "$(wc -l <"$WORK/trail.txt")" = 2 ] || fail "the trail of $ID: $(cat "$WORK/trail.txt")"
    sed -n 1p "$WORK/trail.txt" | grep -q "^[0-9]*:stamp-prepared|PDF $WORK/in.pdf -> $WORK/b-$seal.pdf, PAdES B-B, pending $ID " ||
        fail "no stamp-prepared record first: $(cat "$WORK/trail.txt")"
    sed -n 2p "$WORK/trail.txt" | grep -qF "stamp|PDF $WORK/in.pdf (sha256 $(sha in.pdf)) -> $WORK/b-$seal.pdf (sha256 $(sha "b-$seal.pdf")), 1 place, PAdES B-B, external signature (pending $ID)" ||
        fail "no stamp record after it: $(cat "$WORK/trail.txt")"
done

# --- B-T: the finish asks the TSA the stamp was prepared with (ours, on loopback)
prepare in.pdf bt.pdf "$RSA" --page 1 --at 100,100 --tsa "$OUR_TSA_URL"
sign_digest "signer/$RSA.key" "signer/sig-$ID.der"
finish "$ID" "signer/sig-$ID.der"
pdf_checks bt.pdf
PADES="python3 $SEAL_SOURCE_DIR/tests/integration/lib/pades.py"
$PADES token "$WORK/cms-bt.pdf/cms.der" "$WORK/bt-token.der"
# shellcheck disable=SC2046
openssl ts -verify -token_in -in "$WORK/bt-token.der" \
    -digest "$(openssl dgst -sha256 -hex "$WORK/cms-bt.pdf/sig.bin" | sed 's/.*= //')" $(ts_verify_args) \
    >"$WORK/ts.txt" 2>&1 || fail "openssl ts -verify: the token is not over the signature value: $(cat "$WORK/ts.txt")"
grep -q 'proven by timestamp (sealsvc Demo TSA)' "$WORK/verify.txt" || fail "bt.pdf: the signing time is not proven"

# --- B-LT, ECDSA: validation data from the demo's published CRLs
prepare in.pdf lt.pdf "$EC" --page 1 --at 100,100 --tsa "$OUR_TSA_URL" --level B-LT
sign_digest "signer/$EC.key" "signer/sig-$ID.der"
finish "$ID" "signer/sig-$ID.der" --evidence "$WORK/crl" --offline
grep -q "validation data for 1 signature" "$WORK/log/finish-$ID.out" ||
    fail "the B-LT finish added no validation data: $(cat "$WORK/log/finish-$ID.out")"
pdf_checks lt.pdf
"$SEALSVC" verify lt.pdf --trust "$DATA/trust/root-ca.pem" --offline --json >"$WORK/lt.json" ||
    fail "verify --offline from the DSS alone rejects lt.pdf: $(cat "$WORK/lt.json")"

# --- SM2 over M (to_sign): PDF and OFD Type=Seal
for f in pdf ofd; do
    prepare "in.$f" "sm2.$f" "$SM2" --page 1 --at 100,100
    [ "$(field digest_is_sm2_e)" = true ] || fail "SM2: digest_is_sm2_e is not true"
    [ "$(field algorithm)" = SM2-SM3 ] || fail "SM2: the algorithm is $(field algorithm)"
    sign_sm2 "signer/$SM2.key" "signer/sig-$ID.der"
    cp "signer/sig-$ID.der" "signer/sm2-$f.der"
    finish "$ID" "signer/sig-$ID.der"
    "$SEALSVC" --data "$DATA" verify "sm2.$f" >"$WORK/verify.txt" 2>&1 ||
        fail "verify rejects sm2.$f: $(cat "$WORK/verify.txt")"
    grep -q '^Verdict: VALID' "$WORK/verify.txt" || fail "verify does not say VALID for sm2.$f"
done
qpdf --check sm2.pdf >/dev/null || fail "qpdf --check rejects sm2.pdf"
# the SES_Signature's signature is SM2 over DER(TBS_Sign), as openssl sees it
python3 - sm2.ofd "$WORK/ses" <<'PY' || fail "sm2.ofd: no Type=Seal signature to read"
import os, re, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
lst = z.read(re.search(r"<ofd:Signatures>/?([^<]*)<", z.read("OFD.xml").decode()).group(1)).decode()
m = re.search(r'<ofd:Signature [^>]*Type="Seal"[^>]*BaseLoc="/?([^"]*)"', lst) or \
    re.search(r'<ofd:Signature [^>]*BaseLoc="/?([^"]*)"[^>]*Type="Seal"', lst)
xml = z.read(m.group(1))
value = re.search(rb"<ofd:SignedValue>/?([^<]*)<", xml).group(1).decode()
os.makedirs(sys.argv[2])
open(sys.argv[2] + "/SignedValue.dat", "wb").write(z.read(value))
PY
# the SES_Signature carries the external signer's SM2 signature, byte for byte (GM/T 0009
# DER, as openssl wrote it), as does the PDF's CMS
python3 -c 'import sys; sys.exit(open(sys.argv[2], "rb").read() not in open(sys.argv[1], "rb").read())' \
    "$WORK/ses/SignedValue.dat" signer/sm2-ofd.der || fail "sm2.ofd does not carry the external SM2 signature"
mkdir -p "$WORK/cms-sm2"
$PDFTOOL extract-cms sm2.pdf 0 "$WORK/cms-sm2"
cmp -s "$WORK/cms-sm2/sig.bin" signer/sm2-pdf.der || fail "sm2.pdf does not carry the external SM2 signature"

# --- an RSA seal on an OFD over the digest: Type=Sign, a CMS over Signature.xml
prepare in.ofd rsa.ofd "$RSA" --page 1 --at 100,100
sign_digest "signer/$RSA.key" "signer/sig-$ID.der"
finish "$ID" "signer/sig-$ID.der"
python3 - rsa.ofd "$WORK/typesign" <<'PY' || fail "rsa.ofd has no Type=Sign signature"
import os, re, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
lst = z.read(re.search(r"<ofd:Signatures>/?([^<]*)<", z.read("OFD.xml").decode()).group(1)).decode()
m = re.search(r'<ofd:Signature ([^>]*)/>', lst)
attrs = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
assert attrs.get("Type") == "Sign", attrs
xml = z.read(attrs["BaseLoc"].lstrip("/"))
value = re.search(rb"<ofd:SignedValue>/?([^<]*)<", xml).group(1).decode()
os.makedirs(sys.argv[2])
open(sys.argv[2] + "/Signature.xml", "wb").write(xml)
open(sys.argv[2] + "/SignedValue.dat", "wb").write(z.read(value))
PY
openssl cms -verify -binary -inform DER -in typesign/SignedValue.dat -content typesign/Signature.xml \
    -CAfile "$ROOT_PEM" -purpose any -out /dev/null 2>"$WORK/cms.err" ||
    fail "openssl cms -verify rejects the Type=Sign CMS over Signature.xml: $(cat "$WORK/cms.err")"
"$SEALSVC" --data "$DATA" verify rsa.ofd >"$WORK/verify.txt" 2>&1 || fail "verify rejects rsa.ofd: $(cat "$WORK/verify.txt")"
grep -q '^Verdict: VALID' "$WORK/verify.txt" || fail "verify does not say VALID for rsa.ofd"

# --- refusals: exit 3, the message, no output, the input unchanged, a stamp-failed record
refused() { # SEAL OUT MESSAGE SIGFILE [ARGS...]: a finish of $ID that must be refused
    local seal=$1 out=$2 msg=$3 sig=$4 before
    shift 4
    before=$(sha in.pdf)
    expect_exit 3 bash -c 'cd "$1" && shift && exec "$@"' _ elsewhere \
        "$SEALSVC" --data "$DATA" stamp finish "$ID" --signature "../$sig" "$@"
    cp "$WORK/err" "$WORK/log/refused-$ID-$(date +%s%N).err"
    grep -qF -- "$msg" "$WORK/err" || fail "a refused finish says: $(cat "$WORK/err"), not: $msg"
    [ ! -e "$out" ] || fail "a refused finish wrote $out"
    [ "$(sha in.pdf)" = "$before" ] || fail "a refused finish changed the input"
    records "$seal" >"$WORK/rec.txt"
    grep -F "stamp-failed|" "$WORK/rec.txt" | grep -F "$ID" | grep -qF -- "$msg" ||
        fail "the refused finish of $ID is not recorded: $(grep stamp-failed "$WORK/rec.txt")"
}
NOT_VERIFY="the signature does not verify with the seal's certificate (北京市星河信息技术有限公司)"
prepare in.pdf bad.pdf "$RSA" --page 1 --at 100,100
sign_digest signer/other.key signer/other.der
refused "$RSA" bad.pdf "pending stamp $ID: $NOT_VERIFY" signer/other.der
sign_digest "signer/$RSA.key" signer/good.der
head -c 100 signer/good.der >signer/truncated.der
refused "$RSA" bad.pdf "pending stamp $ID: $NOT_VERIFY" signer/truncated.der
head -c 256 /dev/urandom >signer/garbage.der
refused "$RSA" bad.pdf "pending stamp $ID: $NOT_VERIFY" signer/garbage.der
refused "$RSA" bad.pdf "pending stamp $ID: the certificate given is not the one of seal $RSA" \
    signer/good.der --certificate "$DATA/certs/pujiang.pem"
# still pending after each refusal, its prepared file still there
pending_ids | grep -q "^$ID $RSA$" || fail "a refused signature ended the pending stamp"
ls -a | grep -q '^bad\.pdf\.tmp' || fail "a refused signature removed the prepared file"
# the retry with the right signature (and the seal's own certificate) succeeds
finish "$ID" signer/good.der --certificate "$DATA/certs/xinghe.pem"
pdf_checks bad.pdf
# a second finish of a finished stamp: nothing to finish, the output as it was
done_sha=$(sha bad.pdf)
expect_exit 3 "$SEALSVC" --data "$DATA" stamp finish "$ID" --signature signer/good.der
grep -qF "there is no pending stamp $ID (finished, expired, or never prepared)" "$WORK/err" ||
    fail "a second finish says: $(cat "$WORK/err")"
[ "$(sha bad.pdf)" = "$done_sha" ] || fail "a second finish changed the output"

# a late finish: the stamp and its prepared file are gone, the attempt recorded
prepare in.pdf late.pdf "$RSA" --page 1 --at 100,100 --expires 1
sign_digest "signer/$RSA.key" signer/late.der
sleep 2
refused "$RSA" late.pdf "pending stamp $ID expired at " signer/late.der
grep -q "; prepare the stamp again" "$WORK/err" || fail "a late finish says: $(cat "$WORK/err")"
ls -a | grep -q '^late\.pdf\.tmp' && fail "an expired stamp's prepared file is left: $(ls -a)"
pending_ids | grep -q "^$ID " && fail "stamp pending lists an expired stamp"
# an expired stamp nobody finishes is removed by the next command that looks
prepare in.pdf lapsed.pdf "$RSA" --page 1 --at 100,100 --expires 1
sleep 2
pending_ids | grep -q "^$ID " && fail "stamp pending lists an expired stamp"
ls -a | grep -q '^lapsed\.pdf\.tmp' && fail "an expired stamp's prepared file is left: $(ls -a)"
records "$RSA" | grep -q "^stamp-expired|PDF $WORK/in.pdf -> $WORK/lapsed.pdf: pending $ID expired unsigned$" ||
    fail "the lapsed stamp is not recorded as stamp-expired"

# two finishes of one id at the same time: exactly one wins
prepare in.pdf race.pdf "$EC" --page 1 --at 100,100
sign_digest "signer/$EC.key" signer/race.der
for k in 1 2; do
    (cd elsewhere && exec "$SEALSVC" --data "$DATA" stamp finish "$ID" --signature ../signer/race.der) \
        >"$WORK/log/race-$k.out" 2>"$WORK/log/race-$k.err" &
    eval "RACE_$k=\$!"
done
set +e
wait "$RACE_1"; rc1=$?
wait "$RACE_2"; rc2=$?
set -e
[ "$(printf '%s\n' "$rc1" "$rc2" | sort | tr '\n' ' ')" = "0 3 " ] ||
    fail "two finishes at once exited $rc1 and $rc2: $(cat "$WORK"/log/race-*.err)"
loser=1
[ "$rc1" = 3 ] || loser=2
grep -qE "pending stamp $ID is being finished by another request; wait for it|there is no pending stamp $ID " \
    "$WORK/log/race-$loser.err" || fail "the losing finish says: $(cat "$WORK/log/race-$loser.err")"
pdf_checks race.pdf
[ "$(records "$EC" | grep -c "^stamp|.*external signature (pending $ID)")" = 1 ] ||
    fail "two finishes at once did not make exactly one stamp record"

# --- usage: the external path takes no PIN
expect_exit 64 "$SEALSVC" --data "$DATA" stamp in.pdf none.pdf --seal "$RSA" --external --pin 123456 --page 1 --at 100,100
grep -q -- "--external signs elsewhere; drop --pin" "$WORK/err" || fail "--external --pin says: $(cat "$WORK/err")"
[ ! -e none.pdf ] && ! ls -a | grep -q '^none\.pdf' || fail "a usage error left a file"

# --- no PIN and no private key in any output, message or audit record
"$SEALSVC" --data "$DATA" audit list --json >"$WORK/log/audit-all.json"
sqlite3 "$DATA/sealsvc.db" "SELECT * FROM audit" >"$WORK/log/audit-table.txt"
python3 -c 'import json,sys; [print(s["pin"]) for s in json.load(open(sys.argv[1]))["seals"]]' manifest.json >"$WORK/pins"
while read -r pin; do
    grep -rqF -- "$pin" "$WORK/log" && fail "a seal PIN is in an output or the audit trail"
done <"$WORK/pins"
for s in "$RSA" "$EC" "$SM2"; do
    secret=$(openssl pkey -in "signer/$s.key" -text -noout |
        awk '/^(prime1|priv):/{on=1; next} on && /^[a-zA-Z]/{exit} on' | tr -d ' :\n' | sed 's/^00//')
    [ "${#secret}" -ge 60 ] || fail "could not read seal $s's private numbers"
    for f in "$WORK"/log/*; do
        xxd -p "$f" | tr -d '\n' | grep -qi -- "$secret" && fail "seal $s's private key is in $f"
    done
    sed -n 2p "signer/$s.key" >"$WORK/keyline"
    grep -rqF -f "$WORK/keyline" "$WORK/log" && fail "seal $s's key PEM is in an output"
done
"$SEALSVC" --data "$DATA" audit verify >"$WORK/averify.txt" || fail "audit verify: $(cat "$WORK/averify.txt")"
grep -q "^audit trail: intact" "$WORK/averify.txt" || fail "audit verify says: $(cat "$WORK/averify.txt")"
echo "stamp_external: all checks passed"
