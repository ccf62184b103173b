#!/usr/bin/env bash
# A certifying seal on a PDF that already has a form under an indirect /AcroForm: the
# catalog the update writes keeps its /AcroForm (it once lost it, and the seal was then
# invisible to `ltv` and to readers that find signatures through the form). Checked with
# qpdf --check, qpdf's view of the catalog and the fields, pdfsig, then `sealsvc ltv` and
# `sealsvc verify` on the result.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

BAIT="python3 $SEAL_SOURCE_DIR/tests/integration/lib/baitpdf.py"
make_demo
make_nssdb
SEAL=$(seal_of rsa id official); PIN=$(seal_of rsa pin official)

$BAIT form "$WORK/form.pdf"
qpdf --show-object=1 "$WORK/form.pdf" | grep -q '/AcroForm 6 0 R' || fail "the test form has no indirect /AcroForm"
"$SEALSVC" --data "$DATA" stamp "$WORK/form.pdf" "$WORK/cert.pdf" --seal "$SEAL" --pin "$PIN" \
    --at 150,250 --certify 2 >/dev/null
qpdf --check "$WORK/cert.pdf" >/dev/null || fail "qpdf --check rejects the certified form"
qpdf --show-object=1 "$WORK/cert.pdf" >"$WORK/catalog.txt"
grep -q '/AcroForm 6 0 R' "$WORK/catalog.txt" || fail "the catalog lost its /AcroForm: $(cat "$WORK/catalog.txt")"
grep -q '/Perms << /DocMDP [0-9]* 0 R >>' "$WORK/catalog.txt" || fail "the catalog has no /Perms /DocMDP"
# the original fields are still there, with their values, beside the seal's
qpdf --json --json-key=acroform "$WORK/cert.pdf" >"$WORK/form.json"
python3 - "$WORK/form.json" <<'PY' || fail "the form's fields after certifying: $(cat "$WORK/form.json")"
import json, sys
fields = json.load(open(sys.argv[1]))["acroform"]["fields"]
names = {f["fullname"]: f for f in fields}
assert names["Name"]["value"].endswith("Li Lei") and names["City"]["value"].endswith("Beijing"), names
assert any(f["fieldtype"] == "/Sig" for f in fields), fields
PY
pdfsig -nssdir "sql:$NSSDB" -no-ocsp "$WORK/cert.pdf" >"$WORK/pdfsig.txt" 2>&1 || true
grep -q 'Signature Validation: Signature is Valid.' "$WORK/pdfsig.txt" ||
    fail "pdfsig does not see a valid signature: $(cat "$WORK/pdfsig.txt")"

# ltv finds the seal through the form and adds its validation data; both verify VALID
"$SEALSVC" --data "$DATA" ltv "$WORK/cert.pdf" "$WORK/cert-lt.pdf" >"$WORK/ltv.txt" ||
    fail "ltv on the certified form: $(cat "$WORK/ltv.txt")"
grep -q 'validation data for 1 signature' "$WORK/ltv.txt" || fail "ltv: $(cat "$WORK/ltv.txt")"
qpdf --check "$WORK/cert-lt.pdf" >/dev/null || fail "qpdf --check rejects the form after ltv"
for f in cert cert-lt; do
    "$SEALSVC" --data "$DATA" verify "$WORK/$f.pdf" --json >"$WORK/$f.json" ||
        fail "verify $f.pdf: $(cat "$WORK/$f.json")"
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["verdict"]=="VALID", r["verdict"]; assert len(r["signatures"])==1' \
        "$WORK/$f.json" || fail "$f.pdf is not VALID with one signature: $(cat "$WORK/$f.json")"
done
echo "stamp_certify_form: ok"
