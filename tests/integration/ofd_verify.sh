#!/usr/bin/env bash
# `sealsvc verify` on OFD: the corpus files give the verdicts an independent check found
# (../shared/corpus/README.md), and copies changed here with python's zipfile (a byte
# changed in a referenced file, a referenced file deleted, a page added after signing) are
# reported as changed. Reports are read as JSON; the input is never modified.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
C="${SEAL_CORPUS:-}/ofd"
if [ ! -d "$C" ]; then
    echo "SKIP: the shared corpus is not at ${SEAL_CORPUS:-<unset>}" >&2
    exit 77
fi

# verify EXIT FILE [ARGS...]: runs verify --json, expects the exit code, keeps the report
# in $WORK/report.json; the input's bytes must be unchanged.
verify() {
    local want=$1 file=$2
    shift 2
    local before
    before=$(sha "$file")
    expect_exit "$want" "$SEALSVC" verify "$file" --json "$@"
    cp "$WORK/out" "$WORK/report.json"
    [ "$(sha "$file")" = "$before" ] || fail "verify changed $file"
}

# t 'PYTHON EXPRESSION' MESSAGE: evaluated with r = the report, s = its signatures,
# c(i, name) = the outcome of check `name` of signature i, d(i, name) its detail.
check() {
    python3 - "$WORK/report.json" "$1" <<'PY' || fail "$(basename "$FILE"): $2"
import json, sys
r = json.load(open(sys.argv[1]))
s = r["signatures"]
def chk(i, name):
    for c in s[i]["checks"]:
        if c["name"] == name:
            return c
    raise SystemExit("signature %d has no check %s: %s" % (i, name, json.dumps(s[i], ensure_ascii=False)))
c = lambda i, name: chk(i, name)["outcome"]
d = lambda i, name: chk(i, name)["detail"]
if not eval(sys.argv[2]):
    print(json.dumps(r, ensure_ascii=False, indent=1)[:6000], file=sys.stderr)
    sys.exit(1)
PY
}
t() { check "$@"; }

# Every check of a seal that needs no trust anchor passed.
SEAL_OK='all(c(i, n) == "VALID" for n in ("references", "seal-file", "data-hash", "property-info",
    "signature", "seal-cert-list", "maker-signature", "seal-validity", "changes"))'

# ---- intact seals: every check passes; the chains are INDETERMINATE without their CA ----
for name in invoice-signed allprotected seam-v4; do
    FILE="$C/$name.ofd"
    verify 2 "$FILE"
    t 'r["format"] == "ofd" and r["verdict"] == "INDETERMINATE" and len(s) == 1' "one seal, indeterminate"
    t 's[0]["kind"] == "ses-v4" and s[0]["reason"] == "NO_CERTIFICATE_CHAIN_FOUND"' "v4 seal, no chain"
    t "(lambda i: $SEAL_OK)(0)" "a check failed on an intact seal"
    t 'c(0, "chain") == "INDETERMINATE" and c(0, "maker-chain") == "INDETERMINATE"' "chains"
    t 'all(x.startswith("(allowed)") for x in s[0]["changes"])' \
        "only allowed changes"
done
FILE="$C/invoice-signed.ofd"
verify 2 "$FILE"
t 's[0]["seal"] == "国家税务总局江苏省税务局" and s[0]["signer"]["name"] == "国家税务总局江苏省税务局"' "seal and signer names"
t 's[0]["page"] == 1 and s[0]["rect"] == [90, 8, 30, 20] and s[0]["visible"]' "StampAnnot boundary in mm"
t 's[0]["signing_time"].startswith("2020-10-04T07:28:55")' "signing time from timeInfo"
t '"not proven" in s[0]["time_source"]' "time source says not proven"
t 'c(0, "seal-file") == "VALID" and "only inside SignedValue.dat" in d(0, "seal-file")' "no Seal.esl"
FILE="$C/seam-v4.ofd"
verify 2 "$FILE"
t '"5 StampAnnot(s)" in d(0, "placement") and "page 5 [170 40 40 40 mm] clip [32 0 8 40]" in d(0, "placement")' "seam slices"

# ---- two seals: the second intact; the first locked Signatures.xml, which changed ----
FILE="$C/two-seals-v4.ofd"
verify 1 "$FILE"
t 'r["verdict"] == "INVALID" and len(s) == 2' "two seals, invalid overall"
t 's[0]["verdict"] == "INVALID" and s[0]["reason"] == "MODIFIED_AFTER_SIGNING"' "first seal changed after signing"
t 'c(0, "changes") == "INVALID" and any("Signatures.xml was changed after signing" in x for x in s[0]["changes"])' "the list change is named"
t 'any(x.startswith("(allowed)") and "Sign_1/SignedValue.dat" in x for x in s[0]["changes"])' "the later seal's files are allowed"
t 'all(c(0, n) == "VALID" for n in ("references", "signature", "maker-signature", "data-hash"))' "the first seal's content is intact"
t 's[1]["verdict"] == "INDETERMINATE" and (lambda i: '"$SEAL_OK"')(1)' "second seal intact"

# ---- SESV4SignDoc: signed 2026-08-04, the seal's validity ended 2022-04-22 ----
FILE="$C/SESV4SignDoc.ofd"
verify 1 "$FILE"
t 's[0]["reason"] == "SEAL_OUTSIDE_VALIDITY" and c(0, "seal-validity") == "INVALID"' "seal outside its validity"
t '"2026-08-04 02:08:09" in d(0, "seal-validity") and "2022-04-22" in d(0, "seal-validity")' "the times are named"
t 'all(c(0, n) == "VALID" for n in ("references", "signature", "data-hash", "maker-signature"))' "otherwise intact"

# ---- seal-v1.ofd (GM/T 0031-2014): maker signature holds, the rest does not ----
FILE="$C/seal-v1.ofd"
verify 1 "$FILE"
t 's[0]["kind"] == "ses-v1" and s[0]["verdict"] == "INVALID"' "v1 seal, invalid"
t 'c(0, "maker-signature") == "VALID"' "maker signature verifies over SEQUENCE{SealInfo, cert, alg}"
t 'c(0, "signature") == "INVALID" and c(0, "data-hash") == "INVALID" and c(0, "references") == "INVALID"' "stamper signature, dataHash, references fail"
t 'c(0, "seal-cert-list") == "INVALID"' "the certList holds no certificate"

# ---- DigitalSign.ofd: Type=Sign, a bare SM2 signature, no certificate in the package ----
FILE="$C/DigitalSign.ofd"
verify 2 "$FILE"
t 's[0]["kind"] == "sign" and s[0]["reason"] == "NO_SIGNING_CERTIFICATE_FOUND"' "no certificate, indeterminate"
# The key that made this signature is USER.p12's; sign_cert.pem (the corpus README names it)
# has the same subject but another key, as `openssl dgst -sm3 -verify` shows.
openssl pkcs12 -in "$C/USER.p12" -passin pass:777777 -nokeys -legacy -out "$WORK/user.pem" 2>/dev/null ||
    openssl pkcs12 -in "$C/USER.p12" -passin pass:777777 -nokeys -out "$WORK/user.pem"
mkdir -p "$WORK/dsx" && (cd "$WORK/dsx" && python3 -c 'import zipfile,sys; zipfile.ZipFile(sys.argv[1]).extractall()' "$FILE")
openssl x509 -in "$WORK/user.pem" -pubkey -noout >"$WORK/user-pub.pem"
openssl dgst -sm3 -verify "$WORK/user-pub.pem" -sigopt distid:1234567812345678 \
    -signature "$WORK/dsx/Doc_0/Signs/Sign_0/SignedValue.dat" "$WORK/dsx/Doc_0/Signs/Sign_0/Signature.xml" >/dev/null ||
    fail "openssl does not verify DigitalSign.ofd with USER.p12's certificate"
verify 0 "$FILE" --trust "$WORK/user.pem"
t 'r["verdict"] == "VALID" and s[0]["signer"]["name"] == "Test Certificate" and c(0, "signature") == "VALID"' "valid with the signer's certificate"
t 'c(0, "chain") == "VALID" and c(0, "references") == "VALID"' "chain and references"
verify 2 "$FILE" --trust "$C/sign_cert.pem"
t 's[0]["reason"] == "NO_SIGNING_CERTIFICATE_FOUND" and "none of the 1 trusted" in d(0, "signature")' "sign_cert.pem's key does not verify it"

# ---- copies changed after signing (python's zipfile, not our code) ----
# rewrite SRC DST OP PATH [DATA]: OP is flip (one byte of PATH), delete, or add (PATH with DATA);
# "page" adds a second page (its content and the Document.xml entry naming it).
rewrite() {
    python3 - "$@" <<'PY'
import sys, zipfile
src, dst, op, path = sys.argv[1:5]
zin = zipfile.ZipFile(src)
zout = zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED)
for info in zin.infolist():
    data = zin.read(info)
    if info.filename == path and op == "flip":
        i = len(data) // 2
        data = data[:i] + bytes([data[i] ^ 0x20]) + data[i + 1:]
    if info.filename == path and op == "delete":
        continue
    if op == "page" and info.filename == "Doc_0/Document.xml":
        data = data.replace(b"</ofd:Pages>",
                            b'<ofd:Page ID="999" BaseLoc="Pages/Page_9/Content.xml"/></ofd:Pages>')
    zout.writestr(info, data)
if op == "page":
    zout.writestr("Doc_0/Pages/Page_9/Content.xml",
                  '<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="http://www.ofdspec.org/2016">'
                  '<ofd:Content><ofd:Layer ID="998"/></ofd:Content></ofd:Page>')
zout.close()
PY
}

FILE="$WORK/flipped.ofd"
rewrite "$C/invoice-signed.ofd" "$FILE" flip Doc_0/Pages/Page_0/Content.xml
verify 1 "$FILE"
t 's[0]["reason"] == "HASH_FAILURE" and c(0, "references") == "INVALID"' "a changed byte is a hash failure"
t '"Doc_0/Pages/Page_0/Content.xml differs" in d(0, "references")' "the changed file is named"
t 'any("Page_0/Content.xml (page content) was changed after signing" in x for x in s[0]["changes"])' "listed as a change"
t 'c(0, "signature") == "VALID" and c(0, "data-hash") == "VALID"' "the seal itself is untouched"

FILE="$WORK/deleted.ofd"
rewrite "$C/allprotected.ofd" "$FILE" delete Doc_0/PublicRes.xml
verify 1 "$FILE"
t 'c(0, "references") == "INVALID" and "Doc_0/PublicRes.xml is missing" in d(0, "references")' "a deleted file is missing"
t 'any("Doc_0/PublicRes.xml (file) was removed after signing" in x for x in s[0]["changes"])' "listed as removed"

FILE="$WORK/page-added.ofd"
rewrite "$C/invoice-signed.ofd" "$FILE" page -
verify 1 "$FILE"
t 'c(0, "changes") == "INVALID" and s[0]["verdict"] == "INVALID"' "a page added after signing"
t 'any("Doc_0/Pages/Page_9/Content.xml (page content) is not covered" in x for x in s[0]["changes"])' "the new page is named"
t 'any("Doc_0/Document.xml (document) was changed" in x for x in s[0]["changes"])' "Document.xml changed"

# A file added that no signature covers, Document.xml untouched: still reported.
FILE="$WORK/added.ofd"
python3 - "$C/allprotected.ofd" "$FILE" <<'PY'
import sys, zipfile
zin, zout = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2], "w")
for info in zin.infolist():
    zout.writestr(info, zin.read(info))
zout.writestr("Doc_0/Attachs/invoice.xml", "<a/>")
zout.close()
PY
verify 1 "$FILE"
t 's[0]["reason"] == "MODIFIED_AFTER_SIGNING" and c(0, "references") == "VALID"' "an added file alone"
t 'any("Doc_0/Attachs/invoice.xml (file) is not covered" in x for x in s[0]["changes"])' "the added file is named"

# ---- vendor zips (OFD-SEAL.md 7): bytes before or after the archive, data descriptors ----
python3 - "$C/allprotected.ofd" "$WORK" <<'PY'
import io, sys, zipfile
src, out = sys.argv[1], sys.argv[2]
data = open(src, "rb").read()
open(out + "/prefixed.ofd", "wb").write(b"VENDOR-HEADER\0" * 10 + data)
open(out + "/suffixed.ofd", "wb").write(data + b"\0trailer" * 10)
class Stream(io.RawIOBase):  # not seekable: zipfile writes data descriptors
    def __init__(self): self.b = bytearray()
    def writable(self): return True
    def write(self, x): self.b += x; return len(x)
s = Stream()
with zipfile.ZipFile(s, "w", zipfile.ZIP_DEFLATED) as z, zipfile.ZipFile(src) as zin:
    for info in zin.infolist():
        with z.open(info.filename, "w") as w:
            w.write(zin.read(info))
open(out + "/descriptors.ofd", "wb").write(bytes(s.b))
assert all(i.flag_bits & 8 for i in zipfile.ZipFile(out + "/descriptors.ofd").infolist())
PY
for name in prefixed suffixed descriptors; do
    FILE="$WORK/$name.ofd"
    verify 2 "$FILE"
    t "(lambda i: $SEAL_OK)(0)" "a vendor zip variant reads like the original"
done

# ---- an unsigned OFD and hostile packages ----
FILE="$C/helloworld.ofd"
verify 2 "$FILE"
t 'r["verdict"] == "INDETERMINATE" and r["reason"] == "NO_SIGNATURE" and s == []' "no signature"
python3 - "$WORK/escape.ofd" <<'PY'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1], "w")
z.writestr("OFD.xml", "<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'/>")
z.writestr("../../etc/cron.d/x", "evil")
z.close()
PY
expect_exit 3 "$SEALSVC" verify "$WORK/escape.ofd"
grep -q 'contains ".."' "$WORK/err" || fail "escaping entry name not named: $(cat "$WORK/err")"
head -c 3000 "$C/invoice-signed.ofd" >"$WORK/truncated.ofd"
expect_exit 3 "$SEALSVC" verify "$WORK/truncated.ofd"
grep -q 'not a readable OFD package' "$WORK/err" || fail "truncated package: $(cat "$WORK/err")"
echo "ofd_verify: all expectations met"
