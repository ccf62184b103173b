#!/usr/bin/env bash
# B-LT and B-LTA on encrypted PDFs: documents encrypted by qpdf (RC4 128-bit, AES-128,
# AES-256, each with a user password), sealed at B-T with our TSA on loopback, then
# `sealsvc ltv --password` adds the DSS and, with --archive, a document timestamp. Checked
# with tools that are not ours: qpdf --check --password accepts the result with the
# encryption unchanged; the DSS read through qpdf's decryption (a stream left in the
# clear would come out as noise) holds the chains and the CRLs, or the OCSP response
# `openssl ocsp` made, byte for byte, with the VRI key of the seal; pdfsig validates the
# seal; openssl ts verifies the document timestamp's token, read in the clear; our verify,
# with the root as the only anchor, no data directory and no network, judges the seal and
# the document timestamp VALID from the DSS alone. A missing or wrong password is a clear
# error with no output, and the password never shows in a message.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/tsa.sh"

PADES="python3 $SEAL_SOURCE_DIR/tests/integration/lib/pades.py"
make_demo
make_nssdb
start_our_tsa
SAMPLE="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"
RSA=$(seal_of rsa id official); RSA_PIN=$(seal_of rsa pin official)
PW=user-secret

pdfsig_seal_valid() { # FILE
    pdfsig -nssdir "sql:$NSSDB" -no-ocsp -upw "$PW" "$1" >"$WORK/pdfsig.txt" 2>&1 || true
    [ "$(grep -c 'Signature Validation: Signature is Valid.' "$WORK/pdfsig.txt")" = 1 ] ||
        fail "pdfsig does not find the seal valid in $1: $(cat "$WORK/pdfsig.txt")"
}

qpdf_ok() { # IN OUT: OUT passes qpdf --check and keeps IN's encryption
    qpdf --password="$PW" --check "$2" >"$WORK/qpdf.txt" 2>&1 ||
        fail "qpdf --check rejects $2: $(cat "$WORK/qpdf.txt")"
    grep -q 'No syntax or stream encoding errors found' "$WORK/qpdf.txt" ||
        fail "qpdf --check finds problems in $2: $(cat "$WORK/qpdf.txt")"
    diff <(qpdf --password="$PW" --show-encryption "$1" | grep -v 'Supplied password') \
        <(qpdf --password="$PW" --show-encryption "$2" | grep -v 'Supplied password') >/dev/null ||
        fail "$2's encryption is not $1's"
}

verify_alone() { # FILE KINDS: our verify from the DSS alone; KINDS the signatures' kinds
    "$SEALSVC" verify "$1" --password "$PW" --trust "$DATA/trust/root-ca.pem" --offline --json \
        >"$WORK/v.json" || fail "verify rejects $1: $(cat "$WORK/v.json")"
    python3 - "$WORK/v.json" "$2" <<'PY' || fail "$1: not valid from its DSS: $(cat "$WORK/v.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert [s["kind"] for s in r["signatures"]] == sys.argv[2].split(","), r["signatures"]
for s in r["signatures"]:
    assert s["verdict"] == "VALID", s
    names = ("revocation", "tsa-revocation") if s["kind"] == "pades" else ("tsa-revocation",)
    for name in names:
        found = [c for c in s["checks"] if c["name"] == name]
        assert len(found) == 2, (name, found)
        for c in found:
            assert c["outcome"] == "VALID" and "from DSS" in c["detail"], c
PY
}

for cipher in rc4 aes128 aes256; do
    in="$WORK/$cipher.pdf"
    case $cipher in
    rc4) qpdf --allow-weak-crypto --encrypt "$PW" owner-pw 128 --use-aes=n -- "$SAMPLE" "$in" ;;
    aes128) qpdf --encrypt "$PW" owner-pw 128 --use-aes=y -- "$SAMPLE" "$in" ;;
    aes256) qpdf --encrypt "$PW" owner-pw 256 -- "$SAMPLE" "$in" ;;
    esac
    "$SEALSVC" --data "$DATA" stamp "$in" "$WORK/$cipher-bt.pdf" --seal "$RSA" --pin "$RSA_PIN" \
        --page 1 --at 100,100 --tsa "$OUR_TSA_URL" --password "$PW" >/dev/null

    # a missing or a wrong password: refused, nothing written, the input unchanged
    before=$(sha "$WORK/$cipher-bt.pdf")
    expect_exit 3 env -u SEALSVC_PDF_PASSWORD "$SEALSVC" --data "$DATA" ltv "$WORK/$cipher-bt.pdf" \
        "$WORK/none.pdf"
    grep -q 'protected by a password: give it with --password' "$WORK/err" ||
        fail "$cipher: ltv without the password: $(cat "$WORK/err")"
    expect_exit 3 "$SEALSVC" --data "$DATA" ltv "$WORK/$cipher-bt.pdf" "$WORK/none.pdf" \
        --password not-this-one
    grep -q 'the password given does not open' "$WORK/err" ||
        fail "$cipher: ltv with a wrong password: $(cat "$WORK/err")"
    ! grep -q not-this-one "$WORK/err" || fail "the password was echoed in a message"
    [ ! -e "$WORK/none.pdf" ] && [ "$(sha "$WORK/$cipher-bt.pdf")" = "$before" ] ||
        fail "$cipher: a refused ltv left output or changed the input"
    ! ls "$WORK" | grep -q 'none\.pdf\.' || fail "$cipher: a refused ltv left a temporary file"

    # B-LT
    lt="$WORK/$cipher-lt.pdf"
    "$SEALSVC" --data "$DATA" ltv "$WORK/$cipher-bt.pdf" "$lt" --password "$PW" >/dev/null
    qpdf_ok "$in" "$lt"
    pdfsig_seal_valid "$lt"
    qpdf --password="$PW" --decrypt "$lt" "$WORK/$cipher-lt.plain.pdf"
    mkdir -p "$WORK/$cipher-dss"
    read -r _ NCERTS _ NCRLS _ NOCSPS _ VRI <<<"$($PADES dss "$WORK/$cipher-lt.plain.pdf" "$WORK/$cipher-dss")"
    [ "$NCERTS" = 4 ] && [ "$NCRLS" = 2 ] && [ "$NOCSPS" = 0 ] ||
        fail "$cipher: the DSS holds $NCERTS certificates, $NCRLS CRLs, $NOCSPS OCSP responses"
    for k in 0 1; do
        openssl crl -inform DER -in "$WORK/$cipher-dss/crl-$k.der" -noout ||
            fail "$cipher: DSS CRL $k does not read as a CRL after decryption"
    done
    [ "$VRI" = "$($PADES vrikey "$lt" 0)" ] || fail "$cipher: the VRI key is not the SHA-1 of the seal's /Contents"
    verify_alone "$lt" pades

    # B-LTA: the document timestamp and its own validation data
    lta="$WORK/$cipher-lta.pdf"
    "$SEALSVC" --data "$DATA" ltv "$lt" "$lta" --password "$PW" --archive --tsa "$OUR_TSA_URL" \
        >"$WORK/lta.txt"
    grep -q 'document timestamp added (B-LTA)' "$WORK/lta.txt" || fail "$cipher: $(cat "$WORK/lta.txt")"
    qpdf_ok "$in" "$lta"
    pdfsig_seal_valid "$lta"
    grep -q 'Signature Field Name: Timestamp1' "$WORK/pdfsig.txt" ||
        fail "$cipher: pdfsig does not list the document timestamp"
    verify_alone "$lta" pades,doc-timestamp
    # the timestamp's /Contents is in the clear (7.6.1): openssl reads the token in the gap
    mkdir -p "$WORK/$cipher-ts"
    $PDFTOOL extract-cms "$lta" 1 "$WORK/$cipher-ts"
    openssl ts -verify -token_in -in "$WORK/$cipher-ts/cms.der" -data "$WORK/$cipher-ts/signed.bin" \
        -CAfile "$ROOT_PEM" -untrusted "$DATA/pki/issuing-ca.pem" >"$WORK/ts.txt" 2>&1 ||
        fail "$cipher: openssl ts -verify rejects the document timestamp: $(cat "$WORK/ts.txt")"
    # the timestamp dictionary's strings are encrypted: its field name is not in the clear
    ! grep -aq '/T (Timestamp1)' "$lta" || fail "$cipher: the timestamp field's name is not encrypted"

    # `stamp --level B-LT` and B-LTA in one go: the request's password opens the signed
    # file again for its validation data, which is encrypted with the document's key
    for level in B-LT B-LTA; do
        out="$WORK/$cipher-stamp-$level.pdf"
        "$SEALSVC" --data "$DATA" stamp "$in" "$out" --seal "$RSA" --pin "$RSA_PIN" --page 1 \
            --at 100,100 --level "$level" --tsa "$OUR_TSA_URL" --password "$PW" >"$WORK/stamp.txt" ||
            fail "$cipher: stamp --level $level on an encrypted PDF fails: $(cat "$WORK/stamp.txt")"
        qpdf_ok "$in" "$out"
        pdfsig_seal_valid "$out"
        qpdf --password="$PW" --decrypt "$out" "$WORK/$cipher-stamp.plain.pdf"
        read -r _ NCERTS _ NCRLS _ _ _ _ <<<"$($PADES dss "$WORK/$cipher-stamp.plain.pdf" "$WORK/$cipher-dss")"
        [ "$NCERTS" -ge 4 ] && [ "$NCRLS" -ge 2 ] ||
            fail "$cipher: stamp --level $level: the DSS holds $NCERTS certificates, $NCRLS CRLs"
        if [ "$level" = B-LT ]; then
            verify_alone "$out" pades
        else
            verify_alone "$out" pades,doc-timestamp
        fi
    done
done

# OCSP responses in the DSS of an encrypted file: `openssl ocsp` answers for the seal's and
# the TSA's certificates (index made here, signed by the issuing CA), the platform's root
# CRL for the issuing CA; no data directory, so these are the only evidence
: >"$WORK/index.txt"
for c in "$DATA/certs/xinghe.pem" "$DATA/pki/tsa.pem"; do
    printf 'V\t351231000000Z\t\t%s\tunknown\t%s\n' "$(openssl x509 -in "$c" -noout -serial | cut -d= -f2)" \
        "$(openssl x509 -in "$c" -noout -subject -nameopt compat | sed 's/^subject=//')" >>"$WORK/index.txt"
done
openssl ocsp -issuer "$DATA/pki/issuing-ca.pem" -cert "$DATA/certs/xinghe.pem" -cert "$DATA/pki/tsa.pem" \
    -no_nonce -reqout "$WORK/ocsp-req.der" 2>/dev/null
openssl ocsp -index "$WORK/index.txt" -CA "$DATA/pki/issuing-ca.pem" -rsigner "$DATA/pki/issuing-ca.pem" \
    -rkey "$DATA/pki/private/issuing-ca.key.pem" -passin "file:$DATA/secrets/kek" \
    -reqin "$WORK/ocsp-req.der" -respout "$WORK/ocsp.der" -ndays 7 2>/dev/null
"$SEALSVC" --data "$DATA" ca crl --ca root-ca --current -o "$WORK/root.crl" >/dev/null
ocsp_lta="$WORK/aes256-ocsp-lta.pdf"
"$SEALSVC" ltv "$WORK/aes256-bt.pdf" "$ocsp_lta" --password "$PW" --trust "$DATA/trust/root-ca.pem" \
    --evidence "$WORK/ocsp.der" --evidence "$WORK/root.crl" --offline --archive --tsa "$OUR_TSA_URL" \
    >"$WORK/ocsp.txt"
grep -q '1 CRL(s), 1 OCSP response(s); document timestamp added' "$WORK/ocsp.txt" ||
    fail "the OCSP response is not in the DSS: $(cat "$WORK/ocsp.txt")"
qpdf_ok "$WORK/aes256.pdf" "$ocsp_lta"
pdfsig_seal_valid "$ocsp_lta"
qpdf --password="$PW" --decrypt "$ocsp_lta" "$WORK/ocsp-lta.plain.pdf"
mkdir -p "$WORK/ocsp-dss"
$PADES dss "$WORK/ocsp-lta.plain.pdf" "$WORK/ocsp-dss" >/dev/null
cmp -s "$WORK/ocsp-dss/ocsp-0.der" "$WORK/ocsp.der" ||
    fail "the DSS's OCSP stream does not decrypt to the response openssl ocsp made"
verify_alone "$ocsp_lta" pades,doc-timestamp
grep -q 'OCSP response from DSS' "$WORK/v.json" || fail "the OCSP response was not used from the DSS"

echo "ltv_encrypted: all checks passed"
