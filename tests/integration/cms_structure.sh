#!/usr/bin/env bash
# The CMS inside a stamped PDF is PAdES baseline B-B as PDF-SIGN.md section 4 has it, for
# each of the demo's RSA, ECDSA and SM2 seals, read with OpenSSL (cms -cmsout -print,
# pkcs7 -print_certs, asn1parse), not with our parser: SignedData, detached (no eContent),
# exactly one SignerInfo, exactly the signed attributes content-type (id-data),
# message-digest (the hash of the ByteRange bytes) and signing-certificate-v2 (the hash
# of the signer's certificate), no signing-time, no unsigned attributes, and the
# certificates the signer's and its chain without the root; the algorithms SHA-256 with
# RSA or ECDSA, SM3 with SM2-with-SM3.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

make_demo
SAMPLE="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"

for alg in rsa ecdsa sm2; do
    id=$(seal_of "$alg" id official)
    d="$WORK/$alg"
    mkdir -p "$d"
    SEALSVC_PIN=$(seal_of "$alg" pin official) "$SEALSVC" --data "$DATA" stamp "$SAMPLE" \
        "$d/out.pdf" --seal "$id" --page 2 --at 120,200 >/dev/null 2>"$d/err" ||
        fail "stamping with $id failed: $(cat "$d/err")"
    $PDFTOOL extract-cms "$d/out.pdf" 0 "$d"
    openssl cms -cmsout -print -inform DER -in "$d/cms.der" >"$d/print" 2>"$d/err" ||
        fail "openssl cannot read the $alg CMS: $(cat "$d/err")"
    openssl asn1parse -inform DER -in "$d/cms.der" >"$d/asn1" || fail "asn1parse fails on the $alg CMS"
    openssl pkcs7 -inform DER -in "$d/cms.der" -print_certs | sed -n '/BEGIN/,/END/p' >"$d/certs.pem"
    sqlite3 "$DATA/sealsvc.db" "SELECT cert_pem FROM seal WHERE id = '$id'" >"$d/signer.pem"
    openssl x509 -in "$d/signer.pem" -outform DER | openssl dgst -sha256 -binary | xxd -p -c 64 \
        >"$d/signer.sha256"
    if [ "$alg" = sm2 ]; then
        openssl dgst -sm3 -binary "$d/signed.bin" | xxd -p -c 64 >"$d/content.hash"
    else
        openssl dgst -sha256 -binary "$d/signed.bin" | xxd -p -c 64 >"$d/content.hash"
    fi
    python3 - "$alg" "$d" "$DATA/pki/issuing-ca.pem" "$ROOT_PEM" <<'PY' || fail "the $alg CMS is not PAdES B-B"
import re, subprocess, sys
alg, d, ca_pem, root_pem = sys.argv[1:]
text = open(f"{d}/print").read()
asn1 = open(f"{d}/asn1").read()

def hexdump(block):
    """The bytes of an `openssl ... -print` hex dump block, as hex."""
    out = ""
    for line in block.splitlines():
        m = re.match(r"\s+[0-9a-f]{4} - (.*)", line)
        if m:
            out += "".join(re.findall(r"[0-9a-f]{2}", m.group(1).split("   ")[0].replace("-", " ")))
    return out

assert "contentType: pkcs7-signedData (1.2.840.113549.1.7.2)" in text
# detached: the encapsulated content is id-data with no eContent
assert re.search(r"eContentType: pkcs7-data \(1\.2\.840\.113549\.1\.7\.1\)\n\s+eContent: <ABSENT>", text), \
    "the CMS is not detached"
signer_infos = text.split("\n    signerInfos:\n", 1)[1]
assert len(re.findall(r"^        version: ", signer_infos, re.M)) == 1, "not exactly one SignerInfo"
signed = signer_infos.split("signedAttrs:\n", 1)[1].split("\n        signatureAlgorithm:", 1)[0]
attrs = re.findall(r"^            object: .*\((\S+)\)$", signed, re.M)
assert attrs == ["1.2.840.113549.1.9.3", "1.2.840.113549.1.9.4", "1.2.840.113549.1.9.16.2.47"], attrs
assert "signingTime" not in text and "1.2.840.113549.1.9.5" not in text, "signing-time is present"
assert re.search(r"unsignedAttrs:\n\s+<ABSENT>", signer_infos), "B-B has unsigned attributes"
# content-type is id-data
ct = signed.split("object: contentType", 1)[1].split("object:", 1)[0]
assert "OBJECT:pkcs7-data (1.2.840.113549.1.7.1)" in ct, ct
# message-digest is the hash of the signed ByteRange bytes
md = signed.split("object: messageDigest", 1)[1].split("object:", 1)[0]
assert hexdump(md) == open(f"{d}/content.hash").read().strip(), "message-digest is not the ByteRange hash"
# signing-certificate-v2 carries the SHA-256 of the signer's certificate (ESSCertIDv2,
# hashAlgorithm absent = SHA-256, RFC 5035)
want = open(f"{d}/signer.sha256").read().strip().upper()
assert f"[HEX DUMP]:{want}" in asn1, "signing-certificate-v2 does not name the signer's certificate"
# algorithms
digest = {"rsa": "sha256 (2.16.840.1.101.3.4.2.1)", "ecdsa": "sha256 (2.16.840.1.101.3.4.2.1)",
          "sm2": "sm3 (1.2.156.10197.1.401)"}[alg]
sig = {"rsa": r"(sha256WithRSAEncryption \(1\.2\.840\.113549\.1\.1\.11\)|rsaEncryption \(1\.2\.840\.113549\.1\.1\.1\))",
       "ecdsa": r"ecdsa-with-SHA256 \(1\.2\.840\.10045\.4\.3\.2\)",
       "sm2": r"SM2-with-SM3 \(1\.2\.156\.10197\.1\.501\)"}[alg]
assert re.search(r"digestAlgorithms:\n\s+algorithm: " + re.escape(digest), text), "wrong digestAlgorithms"
assert re.search(r"digestAlgorithm: \n\s+algorithm: " + re.escape(digest), signer_infos), "wrong digestAlgorithm"
assert re.search(r"signatureAlgorithm: \n\s+algorithm: " + sig, signer_infos), "wrong signatureAlgorithm"
# certificates: the signer's and the issuing CA's, not the root's
def fingerprints(pem_text):
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", pem_text, re.S)
    return sorted(subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256"], input=b.encode(),
                                 capture_output=True, check=True).stdout.decode() for b in blocks)
got = fingerprints(open(f"{d}/certs.pem").read())
want = fingerprints(open(f"{d}/signer.pem").read() + open(ca_pem).read())
assert got == want, "the certificates are not the signer's and the issuing CA's"
assert fingerprints(open(root_pem).read())[0] not in got, "the root is included"
PY
done
echo "cms_structure: ok (rsa, ecdsa, sm2)"
