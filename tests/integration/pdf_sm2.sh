#!/usr/bin/env bash
# SM2 seals make PAdES signatures (ETSI.CAdES.detached, SM3 digest, SM2-with-SM3
# signature: OIDs 1.2.156.10197.1.401 and .501) that our verifier accepts and tools that are not
# ours parse: pdfsig (NSS has no SM3, so it cannot check the digest, but it must read the
# signer, the ranges and the SubFilter) and openssl cms -cmsout -print.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

make_demo
make_nssdb
SM2=$(seal_of sm2 id official); SM2_PIN=$(seal_of sm2 pin official)
SAMPLE="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"

for kind in plain aes-256; do
    in="$SAMPLE"
    if [ $kind = aes-256 ]; then
        qpdf --encrypt "" owner-pw 256 -- "$SAMPLE" "$WORK/aes.in.pdf"
        in="$WORK/aes.in.pdf"
    fi
    out="$WORK/sm2-$kind.pdf"
    "$SEALSVC" --data "$DATA" stamp "$in" "$out" --seal "$SM2" --pin "$SM2_PIN" --page 2 \
        --at 100,100 >/dev/null
    qpdf --check "$out" >/dev/null || fail "$kind: qpdf --check rejects the SM2-sealed file"
    "$SEALSVC" --data "$DATA" verify "$out" --json >"$WORK/v.json" ||
        fail "$kind: our verifier rejects the SM2 seal: $(cat "$WORK/v.json")"
    python3 - "$WORK/v.json" <<'PY' || fail "$kind: the report does not say SM2 with SM3"
import json, sys
s = json.load(open(sys.argv[1]))["signatures"][0]
assert s["verdict"] == "VALID" and s["algorithm"] == "sm2" and s["digest"] == "sm3", s
assert s["kind"] == "pades" and s["coverage"] == "entire file", s
PY
    pdfsig -nssdir "sql:$NSSDB" -no-ocsp "$out" >"$WORK/pdfsig.txt" 2>&1 || true
    for want in 'Signature Field Name: Seal1' 'Signer Certificate Common Name: 广州南粤招标代理有限公司' \
        'Signature Type: ETSI.CAdES.detached' 'Total document signed'; do
        grep -qF "$want" "$WORK/pdfsig.txt" || fail "$kind: pdfsig does not read '$want': $(cat "$WORK/pdfsig.txt")"
    done
    mkdir -p "$WORK/cms-$kind"
    $PDFTOOL extract-cms "$out" 0 "$WORK/cms-$kind"
    openssl cms -cmsout -print -inform DER -in "$WORK/cms-$kind/cms.der" >"$WORK/cms-$kind/print" ||
        fail "$kind: openssl cms cannot parse the SM2 CMS"
    grep -q 'algorithm: sm3 (1.2.156.10197.1.401)' "$WORK/cms-$kind/print" || fail "$kind: no SM3 digest"
    grep -q 'algorithm: SM2-with-SM3 (1.2.156.10197.1.501)' "$WORK/cms-$kind/print" ||
        fail "$kind: the signature algorithm is not SM2-with-SM3"
    ! grep -q signingTime "$WORK/cms-$kind/print" || fail "$kind: the CMS carries signingTime"
    echo "sm2 ($kind): verified by sealsvc, parsed by pdfsig and openssl"
done

# tampering with an SM2-sealed file is caught
cp "$WORK/sm2-plain.pdf" "$WORK/tampered.pdf"
$PDFTOOL flip "$WORK/tampered.pdf" 3000
expect_exit 1 "$SEALSVC" --data "$DATA" verify "$WORK/tampered.pdf"
grep -q HASH_FAILURE "$WORK/out" || fail "a changed byte under an SM2 seal is not a hash failure"
echo "pdf_sm2: all checks passed"
