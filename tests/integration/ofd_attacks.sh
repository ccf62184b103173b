#!/usr/bin/env bash
# The published attacks on OFD signatures (issue 15, "Change analysis"), each built by
# lib/ofd_attack.py from OFDs sealed here with the demo platform, and what `sealsvc verify`
# must say of it: never VALID, and the reason named. Packages whose zip structure is
# hostile are refused (exit 3, the problem named); content attacks are verified and
# reported (INVALID, the signature's reason and its change or check named). Controls: a
# second legitimate seal and a rewrite of the package by another zip writer stay VALID.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
C="${SEAL_CORPUS:-}/ofd"
[ -d "$C" ] || { echo "SKIP: the shared corpus is not at ${SEAL_CORPUS:-<unset>}" >&2; exit 77; }
ATTACK="python3 $SEAL_SOURCE_DIR/tests/integration/lib/ofd_attack.py"

make_demo
SM2=$(seal_of sm2 id official); SM2_PIN=$(seal_of sm2 pin official)
RSA=$(seal_of rsa id official); RSA_PIN=$(seal_of rsa pin official)

stamp() { # SEAL PIN IN OUT ARGS...
    local seal=$1 pin=$2 in=$3 out=$4
    shift 4
    SEALSVC_PIN=$pin "$SEALSVC" --data "$DATA" stamp "$in" "$out" --seal "$seal" "$@" \
        >"$WORK/stamp.out" 2>"$WORK/stamp.err" ||
        fail "stamping $(basename "$in") failed: $(cat "$WORK/stamp.err")"
}

# verify EXIT FILE: verify --json with the demo's CAs trusted; the report is left in
# $WORK/report.json and the input must be unchanged.
verify() {
    local want=$1 file=$2 before
    before=$(sha "$file")
    expect_exit "$want" "$SEALSVC" --data "$DATA" verify "$file" --trust "$DATA/pki/issuing-ca.pem" \
        --trust "$ROOT_PEM" --json
    cp "$WORK/out" "$WORK/report.json"
    [ "$(sha "$file")" = "$before" ] || fail "verify changed $file"
}

# t 'PYTHON EXPRESSION' MESSAGE: r = the report, s = its signatures, c(i, name) the
# outcome of check `name` of signature i, d(i, name) its detail, ch(i) its changes joined.
t() {
    python3 - "$WORK/report.json" "$1" <<'PY' || fail "$NAME: $2"
import json, sys
r = json.load(open(sys.argv[1]))
s = r["signatures"]
def chk(i, name):
    for c in s[i]["checks"]:
        if c["name"] == name:
            return c
    return {"outcome": None, "detail": ""}
c = lambda i, name: chk(i, name)["outcome"]
d = lambda i, name: chk(i, name)["detail"]
ch = lambda i: "\n".join(s[i]["changes"])
if not eval(sys.argv[2]):
    print(json.dumps(r, ensure_ascii=False, indent=1)[:8000], file=sys.stderr)
    sys.exit(1)
PY
}

# refused NAME MESSAGE-PART: the package NAME is refused as unreadable (exit 3), the
# problem named on stderr, no report.
refused() {
    NAME=$1
    expect_exit 3 "$SEALSVC" --data "$DATA" verify "$WORK/$1.ofd" --trust "$DATA/pki/issuing-ca.pem"
    grep -qF -- "$2" "$WORK/err" || fail "$1: the error does not say \"$2\": $(cat "$WORK/err")"
    [ ! -s "$WORK/out" ] || fail "$1: a report was written for a refused package: $(cat "$WORK/out")"
}

# ---- the sealed files the attacks start from ----
# one.ofd: helloworld with one SM2 seal; two.ofd: and an RSA seal after it (list open).
stamp "$SM2" "$SM2_PIN" "$C/helloworld.ofd" "$WORK/one.ofd" --page 1 --at 100,60
stamp "$RSA" "$RSA_PIN" "$WORK/one.ofd" "$WORK/two.ofd" --page 1 --at 60,150
# sm2two.ofd: one.ofd and the same SM2 seal again elsewhere (the demo has one SM2 seal).
stamp "$SM2" "$SM2_PIN" "$WORK/one.ofd" "$WORK/sm2two.ofd" --page 1 --at 60,150
# dangling.ofd: a document naming a resource list and an annotation list it does not contain (writers leave such
# names behind), sealed: every file it has is covered, the named one cannot be.
python3 - "$C/helloworld.ofd" "$WORK/dangling-in.ofd" <<'PY'
import sys, zipfile
zin, zout = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED)
for i in zin.infolist():
    data = zin.read(i)
    if i.filename == "Doc_0/Document.xml":
        data = data.replace(b"<ofd:PublicRes>", b"<ofd:DocumentRes>DocumentRes.xml</ofd:DocumentRes><ofd:PublicRes>")
        data = data.replace(b"</ofd:Pages>", b"</ofd:Pages><ofd:Annotations>Annots/Annotations.xml</ofd:Annotations>")
    zout.writestr(i, data)
zout.close()
PY
stamp "$SM2" "$SM2_PIN" "$WORK/dangling-in.ofd" "$WORK/dangling.ofd" --page 1 --at 100,60

# ---- controls: stay VALID ----
NAME=two-seals
verify 0 "$WORK/two.ofd"
t 'r["verdict"] == "VALID" and len(s) == 2 and all(x["verdict"] == "VALID" for x in s)' "two legitimate seals"
t 'any(x.startswith("(allowed)") and "later signature" in x for x in s[0]["changes"])' "the second seal is an allowed change"
NAME=dangling
verify 0 "$WORK/dangling.ofd"
t 'r["verdict"] == "VALID"' "a sealed document with a dangling resource list name"
NAME=sm2-two-seals
verify 0 "$WORK/sm2two.ofd"
t 'r["verdict"] == "VALID" and len(s) == 2' "two SM2 seals"
NAME=rewritten
$ATTACK plain "$WORK/two.ofd" "$WORK/rewritten.ofd"
verify 0 "$WORK/rewritten.ofd"
t 'r["verdict"] == "VALID" and len(s) == 2' "the same files in a zip written by hand"
NAME=zip64
$ATTACK zip64 "$WORK/two.ofd" "$WORK/zip64.ofd"
verify 0 "$WORK/zip64.ofd"
t 'r["verdict"] == "VALID" and len(s) == 2' "the same files with ZIP64 local headers"

# ---- a changed byte in any covered file ----
for f in Doc_0/Pages/Page_0/Content.xml Doc_0/PublicRes.xml Doc_0/Document.xml \
    Doc_0/Signs/Sign_0/Signature.xml Doc_0/Signs/Sign_0/SignedValue.dat; do
    NAME="flip $f"
    $ATTACK flip "$WORK/two.ofd" "$WORK/flip.ofd" "$f"
    verify 1 "$WORK/flip.ofd"
    t 'r["verdict"] == "INVALID" and s[1]["verdict"] == "INVALID"' "the later seal covers $f"
    t 's[1]["reason"] == "HASH_FAILURE" and "'"$f"' differs" in d(1, "references")' "named as a hash failure"
done
NAME="flip Content.xml, first seal"
$ATTACK flip "$WORK/one.ofd" "$WORK/flip.ofd" Doc_0/Pages/Page_0/Content.xml
verify 1 "$WORK/flip.ofd"
t 's[0]["reason"] == "HASH_FAILURE" and "Page_0/Content.xml (page content) was changed after signing" in ch(0)' "changed page content"
NAME="flip Signature.xml"
$ATTACK flip "$WORK/one.ofd" "$WORK/flip.ofd" Doc_0/Signs/Sign_0/Signature.xml
verify 1 "$WORK/flip.ofd"
t 's[0]["verdict"] == "INVALID" and c(0, "data-hash") == "INVALID"' "Signature.xml changed: its dataHash fails"

# ---- a file the content reaches, added after signing, covered by no signature ----
RES='<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="http://www.ofdspec.org/2016" BaseLoc="Res"><ofd:Fonts><ofd:Font ID="90" FontName="SimSun"/></ofd:Fonts></ofd:Res>'
NAME=reached-added
$ATTACK add "$WORK/dangling.ofd" "$WORK/reached.ofd" Doc_0/DocumentRes.xml "$RES"
verify 1 "$WORK/reached.ofd"
t 's[0]["reason"] == "MODIFIED_AFTER_SIGNING" and c(0, "references") == "VALID"' "the references still match"
t '"Doc_0/DocumentRes.xml (resource list) is not covered by this signature, yet the document shows it" in ch(0)' "named as content"
NAME=reached-disguised
$ATTACK disguise "$WORK/dangling.ofd" "$WORK/disguised.ofd" Doc_0/DocumentRes.xml "$RES"
verify 1 "$WORK/disguised.ofd"
t 's[0]["verdict"] == "INVALID" and s[0]["reason"] == "MODIFIED_AFTER_SIGNING"' "a later signature's 'own' file that the document shows"
t '"Doc_0/DocumentRes.xml (resource list) is not covered by this signature, yet the document shows it; it is named as a later signature" in ch(0)' "the disguise is named"
NAME=annotations-added
ANNOTS='<?xml version="1.0" encoding="UTF-8"?><ofd:Annotations xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Page PageID="1"><ofd:FileLoc>Page_0/Annotation.xml</ofd:FileLoc></ofd:Page></ofd:Annotations>'
ANNOT='<?xml version="1.0" encoding="UTF-8"?><ofd:PageAnnot xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Annot ID="80" Type="Stamp"><ofd:Appearance Boundary="20 20 40 40"/></ofd:Annot></ofd:PageAnnot>'
$ATTACK add "$WORK/dangling.ofd" "$WORK/annots1.ofd" Doc_0/Annots/Annotations.xml "$ANNOTS"
$ATTACK add "$WORK/annots1.ofd" "$WORK/annots.ofd" Doc_0/Annots/Page_0/Annotation.xml "$ANNOT"
verify 1 "$WORK/annots.ofd"
t 's[0]["reason"] == "MODIFIED_AFTER_SIGNING" and c(0, "references") == "VALID"' "the references still match"
t '"Doc_0/Annots/Annotations.xml (annotation list) is not covered by this signature, yet the document shows it" in ch(0)' "the annotation list is named as content"
t '"Doc_0/Annots/Page_0/Annotation.xml (page annotations) is not covered by this signature, yet the document shows it" in ch(0)' "the page's annotations are named as content"
NAME=unreached-added
$ATTACK add "$WORK/one.ofd" "$WORK/added.ofd" Doc_0/Attachs/note.xml "<a/>"
verify 1 "$WORK/added.ofd"
t 's[0]["reason"] == "MODIFIED_AFTER_SIGNING" and "Doc_0/Attachs/note.xml (file) is not covered" in ch(0)' "any uncovered file"

# ---- Signatures.xml edited ----
NAME=drop-first
$ATTACK drop "$WORK/two.ofd" "$WORK/drop0.ofd" 0
verify 1 "$WORK/drop0.ofd"
t 'len(s) == 1 and s[0]["verdict"] == "INVALID" and s[0]["reason"] == "MODIFIED_AFTER_SIGNING"' "first seal dropped, the list left open"
t '"Doc_0/Signs/Sign_0/Signature.xml is the description of a signature this signature covers as an earlier one, which the signature list no longer holds" in ch(0)' "the dropped seal is named"
t 'c(0, "references") == "VALID" and c(0, "signature") == "VALID"' "what the remaining seal signed is intact"
NAME=drop-last
$ATTACK drop "$WORK/two.ofd" "$WORK/drop1.ofd" 1
verify 1 "$WORK/drop1.ofd"
t 'len(s) == 1 and s[0]["reason"] == "MODIFIED_AFTER_SIGNING" and "Doc_0/Signs/Sign_1/Signature.xml (file) is not covered" in ch(0)' "last seal dropped: its files are left over"
NAME=reorder
$ATTACK reorder "$WORK/two.ofd" "$WORK/reorder.ofd"
verify 1 "$WORK/reorder.ofd"
t 'all(x["verdict"] == "INVALID" and x["reason"] == "MODIFIED_AFTER_SIGNING" for x in s)' "both seals changed"
t '"the list was reordered after signing" in ch(0)' "the reordering is named"
NAME=twice
$ATTACK twice "$WORK/one.ofd" "$WORK/twice.ofd"
verify 1 "$WORK/twice.ofd"
t 'len(s) == 2 and all(x["verdict"] == "INVALID" and x["reason"] == "MODIFIED_AFTER_SIGNING" for x in s)' "one seal listed twice"
t '"one signature counted twice" in ch(0) and "one signature counted twice" in ch(1)' "named as counted twice"
# Two SM2 seals: each has its SignedValue.dat over its own Signature.xml.
NAME=swap-signed-value
$ATTACK swap "$WORK/sm2two.ofd" "$WORK/swap.ofd" Doc_0/Signs/Sign_0/SignedValue.dat Doc_0/Signs/Sign_1/SignedValue.dat
verify 1 "$WORK/swap.ofd"
t 'all(x["verdict"] == "INVALID" for x in s)' "SignedValue.dat swapped: both invalid"
t 's[1]["reason"] == "HASH_FAILURE" and "Sign_0/SignedValue.dat differs" in d(1, "references")' "the later seal covers the earlier one's value"
t 'c(0, "data-hash") == "INVALID" and c(1, "data-hash") == "INVALID"' "neither value is over its own Signature.xml"
NAME=swap-seal
# two.ofd: the SM2 seal's Seal.esl and the RSA seal's (a Type=Sign signature keeps one too).
$ATTACK swap "$WORK/two.ofd" "$WORK/seal-swap.ofd" Doc_0/Signs/Sign_0/Seal.esl Doc_0/Signs/Sign_1/Seal.esl
verify 1 "$WORK/seal-swap.ofd"
t 'all(x["verdict"] == "INVALID" for x in s)' "Seal.esl swapped: both invalid"
t 's[1]["reason"] == "HASH_FAILURE" and "Sign_0/Seal.esl differs" in d(1, "references")' "the later seal covers the earlier one's Seal.esl"
t 'c(0, "seal-file") == "INVALID"' "the SM2 seal's Seal.esl is not the seal in its signature"

# ---- a StampAnnot moved or added ----
NAME=boundary
$ATTACK signature-xml "$WORK/one.ofd" "$WORK/boundary.ofd" 0 boundary
verify 1 "$WORK/boundary.ofd"
t 's[0]["verdict"] == "INVALID" and c(0, "data-hash") == "INVALID"' "a moved StampAnnot breaks the signed Signature.xml"
NAME=stamp-added
$ATTACK signature-xml "$WORK/one.ofd" "$WORK/stamp.ofd" 0 stamp
verify 1 "$WORK/stamp.ofd"
t 's[0]["verdict"] == "INVALID" and c(0, "data-hash") == "INVALID"' "an added StampAnnot breaks the signed Signature.xml"

# ---- zip structure: refused, whatever a reader would pick ----
$ATTACK dup "$WORK/one.ofd" "$WORK/dup.ofd" Doc_0/Pages/Page_0/Content.xml
refused dup 'package entry "Doc_0/Pages/Page_0/Content.xml" appears twice'
$ATTACK casedup "$WORK/one.ofd" "$WORK/casedup.ofd" Doc_0/Pages/Page_0/Content.xml
refused casedup 'package entry "Doc_0/Pages/Page_0/CONTENT.XML" differs from another entry'"'"'s name only in case'
$ATTACK unicode-path "$WORK/one.ofd" "$WORK/unicode.ofd" Doc_0/PublicRes.xml Doc_0/Pages/Page_0/Content.xml
refused unicode 'package entry "Doc_0/PublicRes.xml" carries a Unicode path naming another file'
$ATTACK hidden "$WORK/one.ofd" "$WORK/hidden.ofd" Doc_0/Pages/Page_0/Content.xml
refused hidden 'that its zip central directory does not list (a hidden zip entry)'
for field in name size crc method offset; do
    $ATTACK mismatch "$WORK/one.ofd" "$WORK/mismatch-$field.ofd" Doc_0/Pages/Page_0/Content.xml $field
done
refused mismatch-name 'package entry "Doc_0/Pages/Page_0/Content.xml": its local header names another file'
refused mismatch-size "package entry \"Doc_0/Pages/Page_0/Content.xml\": its local header's size or CRC"
refused mismatch-crc "package entry \"Doc_0/Pages/Page_0/Content.xml\": its local header's size or CRC"
refused mismatch-method "package entry \"Doc_0/Pages/Page_0/Content.xml\": its local header's flags or compression method"
refused mismatch-offset 'package entry "Doc_0/Pages/Page_0/Content.xml": its local header names another file'
$ATTACK badname "$WORK/one.ofd" "$WORK/dotdot.ofd" "Doc_0/../../x.xml"
refused dotdot 'contains ".."'
$ATTACK badname "$WORK/one.ofd" "$WORK/absolute.ofd" "/etc/x.xml"
refused absolute 'has an absolute name'
$ATTACK badname "$WORK/one.ofd" "$WORK/backslash.ofd" 'Doc_0\Pages\x.xml'
refused backslash 'contains a backslash'
# Bytes before the archive that hold a zip entry: another archive for a reader from the start.
python3 - "$WORK/hidden.ofd" "$WORK/one.ofd" "$WORK/prefix-zip.ofd" <<'PY'
import sys
open(sys.argv[3], "wb").write(open(sys.argv[1], "rb").read()[:400] + open(sys.argv[2], "rb").read())
PY
refused prefix-zip 'bytes before its zip archive that hold a zip entry'
echo "ofd_attacks: all expectations met"
