#!/usr/bin/env bash
# Stamping PDFs end to end with the demo platform, checked with tools that are not ours:
# qpdf --check, pdfsig (NSS trusting the demo root), openssl cms -verify over the ByteRange,
# openssl pkeyutl for SM2, pdftoppm renderings. Three seals one after another (RSA, ECDSA,
# RSA) each keep the earlier ones valid and only the last covers the whole document; an
# invisible signature draws nothing.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

make_demo
make_nssdb
SAMPLE="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"
RSA=$(seal_of rsa id official); RSA_PIN=$(seal_of rsa pin official)
EC=$(seal_of ecdsa id official); EC_PIN=$(seal_of ecdsa pin official)
SM2=$(seal_of sm2 id official); SM2_PIN=$(seal_of sm2 pin official)

# --- one visible RSA seal, then an ECDSA seal on top: both stay valid
"$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$WORK/one.pdf" --seal "$RSA" --pin "$RSA_PIN" \
    --page 3 --at 60,200 >/dev/null
"$SEALSVC" --data "$DATA" stamp "$WORK/one.pdf" "$WORK/two.pdf" --seal "$EC" --pin "$EC_PIN" \
    --page 3 --at 150,200 >/dev/null
cmp -n "$(stat -c %s "$SAMPLE")" "$SAMPLE" "$WORK/one.pdf" ||
    fail "the first stamp changed bytes of the input"
cmp -n "$(stat -c %s "$WORK/one.pdf")" "$WORK/one.pdf" "$WORK/two.pdf" ||
    fail "the second stamp changed bytes of the first revision"

qpdf --check "$WORK/one.pdf" >/dev/null || fail "qpdf --check rejects one.pdf"
qpdf --check "$WORK/two.pdf" >/dev/null || fail "qpdf --check rejects two.pdf"

pdfsig -nssdir "sql:$NSSDB" -no-ocsp "$WORK/two.pdf" >"$WORK/pdfsig.txt" 2>&1 || true
[ "$(grep -c 'Signature Validation: Signature is Valid.' "$WORK/pdfsig.txt")" = 2 ] ||
    fail "pdfsig does not report both signatures valid: $(cat "$WORK/pdfsig.txt")"
# pdfsig 22.12 prints "Unknown issue with Certificate" for every chain here, its own
# signatures under a plain openssl CA included (it reads a stale NSS error code), so the
# chain is checked with NSS's own PKIX validator (vfychain) on the certificates our CMS
# carries, and with openssl cms -verify below.
grep -q 'Certificate Validation: Certificate has Expired\|Certificate has been Revoked\|Certificate issuer is unknown\|Certificate issuer is not trusted' "$WORK/pdfsig.txt" &&
    fail "pdfsig rejects a signer certificate: $(cat "$WORK/pdfsig.txt")"
grep -q 'Total document signed' "$WORK/pdfsig.txt" ||
    fail "pdfsig does not say the last signature covers the whole document"
grep -q 'ETSI.CAdES.detached' "$WORK/pdfsig.txt" || fail "pdfsig does not see a PAdES signature"

# our own verifier agrees, and names the signer and seal
"$SEALSVC" --data "$DATA" verify "$WORK/two.pdf" --json >"$WORK/v.json" ||
    fail "sealsvc verify does not accept two.pdf: $(cat "$WORK/v.json")"
python3 - "$WORK/v.json" <<'PY' || fail "verify report is not what was expected"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == "VALID", r["verdict"]
sigs = r["signatures"]
assert len(sigs) == 2, len(sigs)
assert sigs[0]["coverage"] == "entire revision", sigs[0]["coverage"]
assert sigs[1]["coverage"] == "entire file", sigs[1]["coverage"]
assert all(s["page"] == 3 and s["visible"] for s in sigs)
assert sigs[0]["algorithm"] == "rsa" and sigs[1]["algorithm"] == "ecdsa"
assert all(s["seal"] for s in sigs)
PY

# --- a third seal (the RSA contract seal, page 1): pdfsig calls all three valid, the
# first two covering their revisions only and the third the whole document
CONTRACT=$(seal_of rsa id contract); CONTRACT_PIN=$(seal_of rsa pin contract)
"$SEALSVC" --data "$DATA" stamp "$WORK/two.pdf" "$WORK/three.pdf" --seal "$CONTRACT" \
    --pin "$CONTRACT_PIN" --page 1 --at 150,250 >/dev/null
cmp -n "$(stat -c %s "$WORK/two.pdf")" "$WORK/two.pdf" "$WORK/three.pdf" ||
    fail "the third stamp changed bytes of the earlier revisions"
qpdf --check "$WORK/three.pdf" >/dev/null || fail "qpdf --check rejects three.pdf"
pdfsig -nssdir "sql:$NSSDB" -no-ocsp "$WORK/three.pdf" >"$WORK/pdfsig3.txt" 2>&1 || true
python3 - "$WORK/pdfsig3.txt" "$(stat -c %s "$WORK/three.pdf")" <<'PY' ||
import re, sys
text, size = open(sys.argv[1]).read(), int(sys.argv[2])
blocks = re.split(r'^Signature #\d+:$', text, flags=re.M)[1:]
assert len(blocks) == 3, 'pdfsig lists %d signatures' % len(blocks)
for n, block in enumerate(blocks, 1):
    assert 'Signature Field Name: Seal%d' % n in block, block
    assert 'Signature Validation: Signature is Valid.' in block, block
    total = 'Total document signed' in block
    assert total == (n == 3), 'signature %d: total document signed is %s' % (n, total)
    ranges = [int(v) for v in re.findall(r'\[(\d+) - (\d+)\]', block)[-1]]
    assert (ranges[1] == size) == (n == 3), (n, ranges, size)
PY
    fail "pdfsig does not accept the three seals as expected: $(cat "$WORK/pdfsig3.txt")"
"$SEALSVC" --data "$DATA" verify "$WORK/three.pdf" --json >"$WORK/v3.json" ||
    fail "sealsvc verify does not accept three.pdf: $(cat "$WORK/v3.json")"
python3 -c '
import json, sys
sigs = json.load(open(sys.argv[1]))["signatures"]
assert [s["coverage"] for s in sigs] == ["entire revision"] * 2 + ["entire file"], sigs
assert all(s["verdict"] == "VALID" for s in sigs), sigs
' "$WORK/v3.json" || fail "our verifier does not see three valid seals"

# openssl cms -verify over the ByteRange bytes, for both signatures
for n in 0 1; do
    mkdir -p "$WORK/cms$n"
    $PDFTOOL extract-cms "$WORK/two.pdf" $n "$WORK/cms$n"
    openssl cms -verify -binary -inform DER -in "$WORK/cms$n/cms.der" \
        -content "$WORK/cms$n/signed.bin" -CAfile "$ROOT_PEM" -purpose any \
        -out /dev/null 2>"$WORK/cms$n/err" ||
        fail "openssl cms -verify rejects signature $n: $(cat "$WORK/cms$n/err")"
    openssl cms -cmsout -print -inform DER -in "$WORK/cms$n/cms.der" >"$WORK/cms$n/print"
    ! grep -q signingTime "$WORK/cms$n/print" || fail "signature $n carries signingTime"
    openssl pkcs7 -inform DER -in "$WORK/cms$n/cms.der" -print_certs | sed -n "/BEGIN/,/END/p" >"$WORK/cms$n/certs.pem"
    csplit -s -z -f "$WORK/cms$n/cert" "$WORK/cms$n/certs.pem" '/-----BEGIN CERTIFICATE-----/' '{*}'
    chain=()
    for c in "$WORK/cms$n"/cert*; do chain+=(-a "$c"); done
    vfychain -d "sql:$NSSDB" -pp -u 4 "${chain[@]}" >"$WORK/cms$n/vfy" 2>&1 ||
        fail "NSS does not validate the chain of signature $n: $(cat "$WORK/cms$n/vfy")"
    grep -q 'id-smime-aa-signingCertificateV2' "$WORK/cms$n/print" ||
        fail "signature $n lacks signing-certificate-v2"
done

# --- SM2: our verifier accepts it; openssl pkeyutl checks the raw signature
"$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$WORK/sm2.pdf" --seal "$SM2" --pin "$SM2_PIN" \
    --page 1 --at 150,60 >/dev/null
qpdf --check "$WORK/sm2.pdf" >/dev/null || fail "qpdf --check rejects sm2.pdf"
"$SEALSVC" --data "$DATA" verify "$WORK/sm2.pdf" >"$WORK/sm2.txt" ||
    fail "sealsvc verify rejects the SM2 seal: $(cat "$WORK/sm2.txt")"
mkdir -p "$WORK/sm2"
$PDFTOOL extract-cms "$WORK/sm2.pdf" 0 "$WORK/sm2"
SM2_CERT=$(python3 -c 'import json,sys; print([s for s in json.load(open(sys.argv[1]))["seals"] if s["algorithm"]=="sm2"][0]["id"])' "$WORK/manifest.json")
openssl cms -cmsout -inform DER -in "$WORK/sm2/cms.der" -print_certs 2>/dev/null >"$WORK/sm2/certs.pem" ||
    openssl pkcs7 -inform DER -in "$WORK/sm2/cms.der" -print_certs >"$WORK/sm2/certs.pem"
openssl x509 -in "$WORK/sm2/certs.pem" -pubkey -noout >"$WORK/sm2/pub.pem"
openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:1234567812345678 -pubin \
    -inkey "$WORK/sm2/pub.pem" -in "$WORK/sm2/attrs.der" -sigfile "$WORK/sm2/sig.bin" \
    >/dev/null || fail "openssl pkeyutl rejects the SM2 signature of seal $SM2_CERT"
# and the message digest attribute is SM3 of the signed bytes
openssl dgst -sm3 -binary "$WORK/sm2/signed.bin" >"$WORK/sm2/sm3.bin"
grep -qF "$(xxd -p "$WORK/sm2/sm3.bin" | tr -d '\n')" <(xxd -p "$WORK/sm2/attrs.der" | tr -d '\n') ||
    fail "the SM2 signature's message digest is not SM3 of the ByteRange bytes"

# --- invisible signature: valid, nothing drawn, an empty widget on the page asked for
"$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$WORK/inv.pdf" --seal "$RSA" --pin "$RSA_PIN" \
    --invisible --page 2 >/dev/null
qpdf --check "$WORK/inv.pdf" >/dev/null || fail "qpdf --check rejects inv.pdf"
pdfsig -nssdir "sql:$NSSDB" -no-ocsp "$WORK/inv.pdf" 2>&1 | grep -q 'Signature is Valid' ||
    fail "pdfsig rejects the invisible signature"
"$SEALSVC" --data "$DATA" verify "$WORK/inv.pdf" --json >"$WORK/inv.json" ||
    fail "sealsvc verify rejects the invisible signature: $(cat "$WORK/inv.json")"
python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["signatures"][0]
assert s["verdict"] == "VALID" and not s["visible"], s
assert s["widgets"] == [{"page": 2, "rect": [0, 0, 0, 0]}], s["widgets"]
' "$WORK/inv.json" || fail "the invisible signature is not reported as such"
qpdf --json --json-key=acroform "$WORK/inv.pdf" | python3 -c '
import json, sys
fields = json.load(sys.stdin)["acroform"]["fields"]
assert [(f["fullname"], f["fieldtype"], f["pageposfrom1"]) for f in fields] == [("Seal1", "/Sig", 2)], fields
' || fail "qpdf does not see one signature field on page 2"
for page in 1 2 3; do
    pdftoppm -r 50 -f $page -l $page "$WORK/inv.pdf" "$WORK/inv"
    [ "$($PDFTOOL redbox "$(ls "$WORK"/inv-*.ppm)" 50)" = none ] ||
        fail "the invisible signature draws something red on page $page"
    rm -f "$WORK"/inv-*.ppm
done

echo "stamp_pdf: all checks passed"
