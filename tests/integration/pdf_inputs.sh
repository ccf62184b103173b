#!/usr/bin/env bash
# Real-world PDF structure: bytes before %PDF-, object and cross-reference streams, a
# hybrid file, updates and signatures already present (one made by pdfsig), an AcroForm
# with fields, page attributes inherited from the page tree. Each sealed file must pass
# qpdf --check, pdfsig (every signature valid) and our verifier.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

make_demo
make_nssdb
SEAL=$(seal_of ecdsa id official); PIN=$(seal_of ecdsa pin official)
SAMPLE="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"

stamp() { # IN OUT X Y [ARGS...]
    local in=$1 out=$2 x=$3 y=$4
    shift 4
    "$SEALSVC" --data "$DATA" stamp "$in" "$out" --seal "$SEAL" --pin "$PIN" --page 1 \
        --at "$x,$y" "$@" >/dev/null || fail "stamping $(basename "$in") failed: see above"
}

accepted() { # FILE SIGNATURES [VERIFY-ARGS...]
    local file=$1 want=$2 name
    shift 2
    name=$(basename "$file" .pdf)
    qpdf --check "$file" >"$WORK/$name.qpdf" 2>&1 ||
        fail "$name: qpdf --check: $(tail -3 "$WORK/$name.qpdf")"
    grep -q WARNING "$WORK/$name.qpdf" && fail "$name: qpdf warns: $(grep WARNING "$WORK/$name.qpdf")"
    pdfsig -nssdir "sql:$NSSDB" -no-ocsp "$file" >"$WORK/$name.sig" 2>&1 || true
    [ "$(grep -c 'Signature is Valid' "$WORK/$name.sig")" = "$want" ] ||
        fail "$name: pdfsig does not find $want valid signatures: $(cat "$WORK/$name.sig")"
    grep -q 'Total document signed' "$WORK/$name.sig" || fail "$name: pdfsig: last signature not total"
    "$SEALSVC" --data "$DATA" verify "$file" "$@" --json >"$WORK/$name.json" ||
        fail "$name: our verifier: $(cat "$WORK/$name.json")"
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert len(r["signatures"]) == int(sys.argv[2]), r' \
        "$WORK/$name.json" "$want" || fail "$name: our verifier sees another number of signatures"
    echo "$name: $want signature(s) valid for qpdf, pdfsig and sealsvc"
}

# --- bytes before the header: the xref offsets count from %PDF- as qpdf and Poppler read
# them, the ByteRange from the first byte of the file as pdfsig hashes it
{ printf 'X-Mailer junk line before the header\r\n'; cat "$SAMPLE"; } >"$WORK/junk.in.pdf"
stamp "$WORK/junk.in.pdf" "$WORK/junk.pdf" 40 40
stamp "$WORK/junk.pdf" "$WORK/junk2.pdf" 80 40
cmp -n "$(stat -c %s "$WORK/junk.in.pdf")" "$WORK/junk.in.pdf" "$WORK/junk2.pdf" ||
    fail "the input's bytes (junk included) are not kept"
accepted "$WORK/junk.pdf" 1
accepted "$WORK/junk2.pdf" 2
python3 - "$WORK/junk2.pdf" <<'PY' || fail "junk: the first ByteRange does not start at byte 0"
import re, sys
data = open(sys.argv[1], 'rb').read()
ranges = re.findall(rb'/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)', data)
assert all(r[0] == b'0' for r in ranges) and int(ranges[-1][2]) + int(ranges[-1][3]) == len(data)
PY

# --- object streams and a cross-reference stream: our update is an xref stream too
qpdf --object-streams=generate "$SAMPLE" "$WORK/objstm.in.pdf"
stamp "$WORK/objstm.in.pdf" "$WORK/objstm.pdf" 40 40
accepted "$WORK/objstm.pdf" 1
python3 - "$WORK/objstm.pdf" <<'PY' || fail "objstm: the update's cross-reference is not a stream"
import re, sys
data = open(sys.argv[1], 'rb').read()
at = int(re.findall(rb'startxref\s+(\d+)', data)[-1])
assert re.match(rb'\d+ 0 obj\s*<<[^>]*/Type /XRef', data[at:at + 200]), data[at:at + 80]
PY

# --- a hybrid-reference file (a table plus /XRefStm): a table section, no stale /XRefStm
if [ -f "${SEAL_CORPUS:-}/pdf/minimal-hybrid-xref.pdf" ]; then
    stamp "$SEAL_CORPUS/pdf/minimal-hybrid-xref.pdf" "$WORK/hybrid.pdf" 20 20
    accepted "$WORK/hybrid.pdf" 1
    python3 - "$WORK/hybrid.pdf" <<'PY' || fail "hybrid: the update's trailer is wrong"
import re, sys
data = open(sys.argv[1], 'rb').read()
at = int(re.findall(rb'startxref\s+(\d+)', data)[-1])
assert data[at:at + 4] == b'xref', data[at:at + 20]
trailer = data[at:data.rindex(b'startxref')]
assert b'/XRefStm' not in trailer, trailer
PY
else
    echo "note: the shared corpus is absent; the hybrid-reference file was not tried" >&2
fi

# --- an incremental update already present (made by pdftool, not us), then our seal
$PDFTOOL form "$WORK/form.pdf"
cp "$WORK/form.pdf" "$WORK/updated.in.pdf"
$PDFTOOL annotate "$WORK/updated.in.pdf" 3
stamp "$WORK/updated.in.pdf" "$WORK/updated.pdf" 150 60
accepted "$WORK/updated.pdf" 1

# --- an AcroForm with a field; the page inherits /MediaBox and /Resources from /Pages
stamp "$WORK/form.pdf" "$WORK/form-sealed.pdf" 150 60
accepted "$WORK/form-sealed.pdf" 1
qpdf --show-object=1 "$WORK/form-sealed.pdf" >"$WORK/catalog.txt"
grep -q '/Fields \[ 5 0 R [0-9]* 0 R \]' "$WORK/catalog.txt" ||
    fail "the existing field was not kept beside ours: $(cat "$WORK/catalog.txt")"
pdftoppm -r 50 "$WORK/form-sealed.pdf" "$WORK/form"
read -r cx cy _ _ < <($PDFTOOL redbox "$WORK"/form-1.ppm 50)
python3 -c "import sys; assert abs(float(sys.argv[1])-150) < 2 and abs(float(sys.argv[2])-60) < 2" "$cx" "$cy" ||
    fail "inherited MediaBox: the seal is at $cx,$cy mm, not 150,60"

# --- a document signed by another signer first (pdfsig -add-signature, NSS), then sealed
certutil -S -d "sql:$NSSDB" -n other -s "CN=Another Signer,O=Elsewhere" -x -t "CT,C,C" -k rsa \
    -g 2048 -v 12 -z "$WORK/nss/cert9.db" --keyUsage digitalSignature,nonRepudiation >/dev/null 2>&1
certutil -L -d "sql:$NSSDB" -n other -a >"$WORK/other.pem"
pdfsig -nssdir "sql:$NSSDB" -add-signature -nick other -reason "approved first" "$SAMPLE" \
    "$WORK/other.pdf" >/dev/null 2>&1 || fail "pdfsig -add-signature failed"
stamp "$WORK/other.pdf" "$WORK/other-sealed.pdf" 60 250
accepted "$WORK/other-sealed.pdf" 2 --trust "$WORK/other.pem"
python3 - "$WORK/other-sealed.json" <<'PY' || fail "the earlier signature is not reported as intact"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == "VALID", r["verdict"]
first, ours = r["signatures"]
assert first["signer"]["name"] == "Another Signer" and first["coverage"] == "entire revision"
assert [c for c in first["checks"] if c["name"] == "changes"][0]["outcome"] == "VALID"
assert ours["coverage"] == "entire file"
PY

echo "pdf_inputs: all checks passed"
