#!/usr/bin/env bash
# PAdES B-T, B-LT and B-LTA end to end with our TSA on loopback and CRLs made by
# `openssl ca` (independent of our CA code). Checked with tools that are not ours:
# pdfsig and qpdf --check accept every output; openssl ts -verify accepts the signature
# timestamp as a token over the CMS signature value and the document timestamp over the
# ByteRange; qpdf's JSON shows the DSS holding the chains and CRLs byte for byte, with a
# VRI entry per signature; our verify reports the timestamp's genTime as the signing
# time and validates from the DSS alone with --offline, keeps a signature revoked after
# its proven time valid, and catches a change under the document timestamp.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/tsa.sh"

PADES="python3 $SEAL_SOURCE_DIR/tests/integration/lib/pades.py"
make_demo
make_nssdb
start_our_tsa
SAMPLE="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"
RSA=$(seal_of rsa id official); RSA_PIN=$(seal_of rsa pin official)
SM2=$(seal_of sm2 id official); SM2_PIN=$(seal_of sm2 pin official)
VERIFY_CHAIN="-CAfile $ROOT_PEM -untrusted $DATA/pki/issuing-ca.pem"

# CRLs for the demo's issuing CA and root, made by openssl ca from the demo keys.
make_crl() { # NAME CERT KEY
    local d="$WORK/ca-$1"
    mkdir -p "$d"
    [ -e "$d/index.txt" ] || { : >"$d/index.txt"; echo 01 >"$d/crlnumber"; }
    cat >"$d/ca.cnf" <<CNF
[ ca ]
default_ca = c
[ c ]
database = $d/index.txt
crlnumber = $d/crlnumber
certificate = $2
private_key = $3
default_md = sha256
default_crl_days = 7
CNF
    openssl ca -config "$d/ca.cnf" -gencrl -passin "file:$DATA/secrets/kek" -out "$d/crl.pem" 2>/dev/null
    openssl crl -in "$d/crl.pem" -outform DER -out "$d/crl.der"
}
make_crl issuing "$DATA/pki/issuing-ca.pem" "$DATA/pki/private/issuing-ca.key.pem"
make_crl root "$DATA/pki/root-ca.pem" "$DATA/pki/private/root-ca.key.pem"
EVIDENCE=(--evidence "$WORK/ca-issuing/crl.pem" --evidence "$WORK/ca-root/crl.pem" --offline)

pdfsig_valid() { # FILE COUNT: pdfsig finds COUNT valid CAdES signatures
    pdfsig -nssdir "sql:$NSSDB" -no-ocsp "$1" >"$WORK/pdfsig.txt" 2>&1 || true
    [ "$(grep -c 'Signature Validation: Signature is Valid.' "$WORK/pdfsig.txt")" = "$2" ] ||
        fail "pdfsig does not find $2 valid signature(s) in $1: $(cat "$WORK/pdfsig.txt")"
}

# --- B-T, RSA: the token is over the CMS signature value, its genTime is the signing time
"$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$WORK/bt.pdf" --seal "$RSA" --pin "$RSA_PIN" \
    --page 1 --at 100,100 --tsa "$OUR_TSA_URL" >/dev/null
qpdf --check "$WORK/bt.pdf" >/dev/null || fail "qpdf --check rejects bt.pdf"
pdfsig_valid "$WORK/bt.pdf" 1
mkdir -p "$WORK/bt"
$PDFTOOL extract-cms "$WORK/bt.pdf" 0 "$WORK/bt"
$PADES token "$WORK/bt/cms.der" "$WORK/bt/token.der"
# shellcheck disable=SC2086
openssl ts -verify -token_in -in "$WORK/bt/token.der" \
    -digest "$(openssl dgst -sha256 -hex "$WORK/bt/sig.bin" | sed 's/.*= //')" $VERIFY_CHAIN \
    >"$WORK/bt/ts.txt" 2>&1 || fail "openssl ts -verify: the token is not over the signature value: $(cat "$WORK/bt/ts.txt")"
openssl ts -reply -token_in -in "$WORK/bt/token.der" -token_out -text >"$WORK/bt/token.txt" 2>/dev/null
GENTIME=$($PADES gentime "$WORK/bt/token.txt")
"$SEALSVC" --data "$DATA" verify "$WORK/bt.pdf" --json >"$WORK/bt.json" ||
    fail "verify rejects bt.pdf: $(cat "$WORK/bt.json")"
python3 - "$WORK/bt.json" "$GENTIME" <<'PY' || fail "bt.pdf: the timestamp's time is not the signing time"
import json, sys
s = json.load(open(sys.argv[1]))["signatures"][0]
assert s["signing_time"] == sys.argv[2], (s["signing_time"], sys.argv[2])
assert s["time_source"] == "proven by timestamp (sealsvc Demo TSA)", s["time_source"]
assert [c["outcome"] for c in s["checks"] if c["name"] == "timestamp"] == ["VALID"]
PY

# --- B-T, SM2 signature with an SM3 imprint
"$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$WORK/bt-sm2.pdf" --seal "$SM2" --pin "$SM2_PIN" \
    --page 1 --at 100,200 --tsa "$OUR_TSA_URL" --tsa-hash sm3 >/dev/null
mkdir -p "$WORK/sm2"
$PDFTOOL extract-cms "$WORK/bt-sm2.pdf" 0 "$WORK/sm2"
$PADES token "$WORK/sm2/cms.der" "$WORK/sm2/token.der"
# shellcheck disable=SC2086
openssl ts -verify -token_in -in "$WORK/sm2/token.der" \
    -digest "$(openssl dgst -sm3 -hex "$WORK/sm2/sig.bin" | sed 's/.*= //')" $VERIFY_CHAIN \
    >/dev/null 2>&1 || fail "openssl ts -verify: the SM3 token is not over the SM2 signature value"
"$SEALSVC" --data "$DATA" verify "$WORK/bt-sm2.pdf" >"$WORK/sm2.txt" ||
    fail "verify rejects the SM2 B-T signature: $(cat "$WORK/sm2.txt")"
grep -q 'proven by timestamp (sealsvc Demo TSA)' "$WORK/sm2.txt" || fail "SM2: time not proven"

# --- B-LT: the DSS holds the chains and the CRLs; verify --offline validates from it
"$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$WORK/lt.pdf" --seal "$RSA" --pin "$RSA_PIN" \
    --page 1 --at 100,100 --tsa "$OUR_TSA_URL" --level B-LT "${EVIDENCE[@]}" >/dev/null
qpdf --check "$WORK/lt.pdf" >/dev/null || fail "qpdf --check rejects lt.pdf"
# the trail records the file as it was written, after its validation data
"$SEALSVC" --data "$DATA" audit list --document "$WORK/lt.pdf" >"$WORK/lt-audit.txt"
grep -q -- "-> $WORK/lt.pdf (sha256 $(sha "$WORK/lt.pdf")), 1 place, PAdES B-LT" "$WORK/lt-audit.txt" ||
    fail "the B-LT stamp's audit record: $(cat "$WORK/lt-audit.txt")"
pdfsig_valid "$WORK/lt.pdf" 1
mkdir -p "$WORK/dss"
read -r _ NCERTS _ NCRLS _ NOCSPS _ VRI <<<"$($PADES dss "$WORK/lt.pdf" "$WORK/dss")"
[ "$NCERTS" = 4 ] || fail "the DSS holds $NCERTS certificates, not 4 (signer, TSA, issuing CA, root)"
[ "$NCRLS" = 2 ] && [ "$NOCSPS" = 0 ] || fail "the DSS holds $NCRLS CRLs and $NOCSPS OCSP responses"
# Each CRL is one given with --evidence (made by openssl ca) or one the platform's CAs
# published (in its database): both are evidence, and either may be the one taken when
# they are equally fresh. One for each CA.
for ca in issuing-ca root-ca; do
    "$SEALSVC" --data "$DATA" ca crl --ca "$ca" --current -o "$WORK/published-$ca.crl" >/dev/null ||
        fail "ca crl --current --ca $ca"
done
for k in 0 1; do
    issuer=""
    for f in "$WORK/ca-issuing/crl.der" "$WORK/published-issuing-ca.crl"; do
        cmp -s "$WORK/dss/crl-$k.der" "$f" && issuer=issuing
    done
    for f in "$WORK/ca-root/crl.der" "$WORK/published-root-ca.crl"; do
        cmp -s "$WORK/dss/crl-$k.der" "$f" && issuer=root
    done
    [ -n "$issuer" ] || fail "DSS CRL $k is neither one openssl ca made nor one the platform published"
    echo "$issuer" >>"$WORK/dss/crl-issuers"
done
[ "$(sort "$WORK/dss/crl-issuers" | tr '\n' ' ')" = "issuing root " ] ||
    fail "the DSS CRLs are not one per CA: $(cat "$WORK/dss/crl-issuers")"
for k in 0 1 2 3; do
    openssl x509 -inform DER -in "$WORK/dss/cert-$k.der" -noout -subject >>"$WORK/dss/subjects"
done
grep -q 'sealsvc Demo TSA' "$WORK/dss/subjects" && grep -q 'Root CA' "$WORK/dss/subjects" ||
    fail "the DSS lacks the TSA or root certificate: $(cat "$WORK/dss/subjects")"
[ "$VRI" = "$($PADES vrikey "$WORK/lt.pdf" 0)" ] || fail "the VRI key is not the SHA-1 of the signature's /Contents"
# with the demo root as the only anchor and nothing else: no data directory (so none of
# its published CRLs), no evidence given, no network: the DSS alone
"$SEALSVC" verify "$WORK/lt.pdf" --trust "$DATA/trust/root-ca.pem" --offline --json \
    >"$WORK/lt.json" || fail "verify --offline rejects lt.pdf: $(cat "$WORK/lt.json")"
python3 - "$WORK/lt.json" <<'PY' || fail "lt.pdf: revocation was not judged from the DSS"
import json, sys
s = json.load(open(sys.argv[1]))["signatures"][0]
for name in ("revocation", "tsa-revocation"):
    found = [c for c in s["checks"] if c["name"] == name]
    assert len(found) == 2, found  # the leaf and the issuing CA
    for c in found:
        assert c["outcome"] == "VALID" and "CRL from DSS" in c["detail"], c
assert [c["outcome"] for c in s["checks"] if c["name"] == "changes"] == ["VALID"]
PY
# a B-LT file whose /DSS is not where its cross-reference says (its object renumbered):
# another ltv update would read it as absent and drop it; refused, nothing written
root=$(qpdf --show-object=trailer "$WORK/lt.pdf" | sed -n 's|.*/Root \([0-9]*\) 0 R.*|\1|p')
dss=$(qpdf --show-object="$root" "$WORK/lt.pdf" | sed -n 's|.*/DSS \([0-9]*\) 0 R.*|\1|p')
[ -n "$dss" ] || fail "lt.pdf's catalog has no indirect /DSS"
cp "$WORK/lt.pdf" "$WORK/lt-damaged.pdf"
$PDFTOOL misnumber "$WORK/lt-damaged.pdf" "$dss" >/dev/null
before=$(sha "$WORK/lt-damaged.pdf")
expect_exit 3 "$SEALSVC" --data "$DATA" ltv "$WORK/lt-damaged.pdf" "$WORK/none.pdf" "${EVIDENCE[@]}"
grep -q "lt-damaged.pdf is damaged (expected $dss 0 obj); refusing to add an update" "$WORK/err" ||
    fail "a damaged DSS is not refused clearly: $(cat "$WORK/err")"
[ ! -e "$WORK/none.pdf" ] && [ "$(sha "$WORK/lt-damaged.pdf")" = "$before" ] ||
    fail "a refused ltv left output or changed input"
! ls "$WORK" | grep -q '\.tmp' || fail "a refused ltv left a temporary file"

# no evidence (a relying party without the platform, whose published CRLs are evidence):
# refused, nothing written, input untouched
before=$(sha "$WORK/bt.pdf")
expect_exit 3 "$SEALSVC" ltv "$WORK/bt.pdf" "$WORK/none.pdf" --offline --trust "$ROOT_PEM"
grep -q 'no revocation evidence for' "$WORK/err" || fail "missing evidence not named: $(cat "$WORK/err")"
[ ! -e "$WORK/none.pdf" ] && [ "$(sha "$WORK/bt.pdf")" = "$before" ] || fail "a refused ltv left output or changed input"

# --- revoked after the proven signing time: still valid, and said
"$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$WORK/bb.pdf" --seal "$RSA" --pin "$RSA_PIN" \
    --page 1 --at 100,100 >/dev/null
sleep 1 # revocation times have whole seconds: the revocation must fall after the signing
openssl ca -config "$WORK/ca-issuing/ca.cnf" -revoke "$DATA/certs/xinghe.pem" -crl_reason keyCompromise \
    -passin "file:$DATA/secrets/kek" 2>/dev/null
make_crl issuing "$DATA/pki/issuing-ca.pem" "$DATA/pki/private/issuing-ca.key.pem"
"$SEALSVC" --data "$DATA" ltv "$WORK/bt.pdf" "$WORK/bt-revoked.pdf" "${EVIDENCE[@]}" >/dev/null
"$SEALSVC" --data "$DATA" verify "$WORK/bt-revoked.pdf" --offline --json >"$WORK/rev.json" ||
    fail "a signature revoked after its proven time is not valid: $(cat "$WORK/rev.json")"
grep -q 'revoked after the proven signing time' "$WORK/rev.json" || fail "the later revocation is not reported"
# without a timestamp the same revocation cannot be placed after the signature
"$SEALSVC" --data "$DATA" ltv "$WORK/bb.pdf" "$WORK/bb-revoked.pdf" "${EVIDENCE[@]}" >/dev/null
expect_exit 2 "$SEALSVC" --data "$DATA" verify "$WORK/bb-revoked.pdf" --offline
grep -q 'REVOKED_NO_POE' "$WORK/out" || fail "an unproven signing time before a revocation is not indeterminate: $(cat "$WORK/out")"

# --- B-LTA: a document timestamp over everything, then its own validation data
make_crl issuing "$DATA/pki/issuing-ca.pem" "$DATA/pki/private/issuing-ca.key.pem"
"$SEALSVC" --data "$DATA" ltv "$WORK/lt.pdf" "$WORK/lta.pdf" --archive --tsa "$OUR_TSA_URL" \
    --evidence "$WORK/ca-root/crl.pem" --offline >/dev/null
qpdf --check "$WORK/lta.pdf" >/dev/null || fail "qpdf --check rejects lta.pdf"
pdfsig_valid "$WORK/lta.pdf" 1
mkdir -p "$WORK/doc-ts"
$PDFTOOL extract-cms "$WORK/lta.pdf" 1 "$WORK/doc-ts"
# shellcheck disable=SC2086
openssl ts -verify -token_in -in "$WORK/doc-ts/cms.der" -data "$WORK/doc-ts/signed.bin" $VERIFY_CHAIN \
    >"$WORK/doc-ts/v.txt" 2>&1 || fail "openssl ts -verify rejects the document timestamp: $(cat "$WORK/doc-ts/v.txt")"
"$SEALSVC" --data "$DATA" verify "$WORK/lta.pdf" --offline --json >"$WORK/lta.json" ||
    fail "verify rejects lta.pdf: $(cat "$WORK/lta.json")"
python3 - "$WORK/lta.json" <<'PY' || fail "lta.pdf: the document timestamp is not verified"
import json, sys
r = json.load(open(sys.argv[1]))
kinds = [s["kind"] for s in r["signatures"]]
assert kinds == ["pades", "doc-timestamp"], kinds
ts = r["signatures"][1]
assert ts["verdict"] == "VALID" and ts["signer"]["name"] == "sealsvc Demo TSA", ts
assert ts["time_source"] == "document timestamp by sealsvc Demo TSA", ts["time_source"]
checks = {c["name"]: c["outcome"] for c in ts["checks"]}
assert checks["timestamp"] == "VALID" and checks["tsa-revocation"] == "VALID", checks
PY
# a byte changed under the document timestamp (in the DSS it covers) is caught
cp "$WORK/lta.pdf" "$WORK/lta-bad.pdf"
at=$(grep -abo '/Type /DSS' "$WORK/lta-bad.pdf" | head -1 | cut -d: -f1)
$PDFTOOL flip "$WORK/lta-bad.pdf" $((at + 3))
expect_exit 1 "$SEALSVC" --data "$DATA" verify "$WORK/lta-bad.pdf" --offline
grep -q 'Timestamp1' "$WORK/out" && grep -q 'HASH_FAILURE' "$WORK/out" ||
    fail "a change under the document timestamp is not caught: $(cat "$WORK/out")"

echo "pades_levels: all checks passed"
