#!/usr/bin/env bash
# The published attacks on PDF signatures, each built from our own sealed files by
# lib/pdf_attack.py (incremental updates written by hand, as an attacker would), and the
# verdict `sealsvc verify --json` gives: never VALID, with the reason code and the line
# that names the change (docs/verify.md, "What counts as a change after signing"). Then
# the controls, which stay VALID and say what changed: a second seal, an LTV update, form
# filling without DocMDP and under P=2, annotations under P=3, validation data and a
# document timestamp after a P=1 certification, white space after the end.
# pdfsig's view of a few, for comparison.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

ATTACK="python3 $SEAL_SOURCE_DIR/tests/integration/lib/pdf_attack.py"
make_demo
. "$(dirname "$0")/lib/tsa.sh"
start_our_tsa
SAMPLE="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"
RSA=$(seal_of rsa id official)
PIN=$(seal_of rsa pin official)
stamp() { # IN OUT ARGS...
    local in=$1 out=$2
    shift 2
    "$SEALSVC" --data "$DATA" stamp "$in" "$out" --seal "$RSA" --pin "$PIN" "$@" >/dev/null ||
        fail "stamp $in $*"
}

# The documents the attacks start from: the sample sealed; the bait (a document prepared
# for the shadow attacks, as a portal could be sent one) sealed, certified with P=2 and
# P=3 and with its field "Name" locked; the sample certified with P=1.
$ATTACK bait "$WORK/bait.pdf"
qpdf --check "$WORK/bait.pdf" >/dev/null || fail "qpdf rejects the bait document"
stamp "$SAMPLE" "$WORK/sealed.pdf" --page 2 --at 100,100
stamp "$WORK/bait.pdf" "$WORK/bait-sealed.pdf" --at 150,200
stamp "$SAMPLE" "$WORK/cert1.pdf" --page 2 --at 100,100 --certify 1
stamp "$WORK/bait.pdf" "$WORK/cert2.pdf" --at 150,200 --certify 2
stamp "$WORK/bait.pdf" "$WORK/cert3.pdf" --at 150,200 --certify 3
stamp "$WORK/bait.pdf" "$WORK/lock.pdf" --at 150,200 --lock-fields Name
for f in sealed bait-sealed cert1 cert2 cert3 lock; do
    "$SEALSVC" --data "$DATA" verify "$WORK/$f.pdf" >/dev/null || fail "$f.pdf does not verify"
done

# judge FILE EXIT VERDICT REASON PATTERN WHAT: the verdict and reason of the document,
# and PATTERN (a Python regex) in a check's detail or a change line of the first signature.
judge() {
    local file=$1 code=$2 verdict=$3 reason=$4 pattern=$5 what=$6
    set +e
    "$SEALSVC" --data "$DATA" verify --json "$file" >"$WORK/report.json" 2>"$WORK/err"
    local got=$?
    set -e
    [ "$got" = "$code" ] || fail "$what: verify exited $got, expected $code: $(cat "$WORK/err")"
    python3 - "$WORK/report.json" "$verdict" "$reason" "$pattern" <<'PY' || fail "$what: $(cat "$WORK/report.json")"
import json, re, sys
r = json.load(open(sys.argv[1]))
want_verdict, want_reason, pattern = sys.argv[2:5]
assert r["verdict"] == want_verdict, (r["verdict"], want_verdict)
assert (r["reason"] or "") == want_reason, (r["reason"], want_reason)
s = r["signatures"][0]
lines = ["%s: %s" % (c["name"], c["detail"]) for c in s["checks"]] + s["changes"]
assert any(re.search(pattern, line) for line in lines), (pattern, lines)
print("  %s %s: %s" % (r["verdict"], r["reason"] or "",
                       next(line for line in lines if re.search(pattern, line))))
PY
}

# attack NAME BASE EXIT VERDICT REASON PATTERN: the attack applied to $WORK/BASE.pdf
attack() {
    local name=$1 base=$2
    shift 2
    $ATTACK "$name" "$WORK/$base.pdf" "$WORK/$name-$base.pdf" || fail "the generator failed on $name"
    echo "$name on $base.pdf:"
    judge "$WORK/$name-$base.pdf" "$@" "$name on $base.pdf"
}

# attack_unreadable NAME BASE PATTERN: a file so broken that verify gives no verdict (exit
# 3, the damage named in PATTERN, a grep -E regex), which is never VALID either
attack_unreadable() {
    local name=$1 base=$2 pattern=$3
    $ATTACK "$name" "$WORK/$base.pdf" "$WORK/$name-$base.pdf" || fail "the generator failed on $name"
    expect_exit 3 "$SEALSVC" --data "$DATA" verify --json "$WORK/$name-$base.pdf"
    grep -qE "$pattern" "$WORK/err" || fail "$name on $base.pdf: $(cat "$WORK/err")"
    echo "$name on $base.pdf:"
    echo "  no verdict: $(cat "$WORK/err")"
}

# --- universal signature forgery: a malformed signature dictionary --------------------
attack usf-byterange-three sealed 1 INVALID FORMAT_FAILURE '^byte-range: /ByteRange .*does not hold four numbers'
attack usf-byterange-negative sealed 1 INVALID FORMAT_FAILURE '^byte-range: /ByteRange item 3 is not a non-negative integer'
attack usf-byterange-start sealed 1 INVALID FORMAT_FAILURE '^byte-range: .*does not start at the beginning of the file'
attack usf-byterange-short sealed 1 INVALID FORMAT_FAILURE '^byte-range: the signed bytes end at offset .* neither the end of the file .* nor the end of a revision'
attack usf-byterange-gap sealed 1 INVALID FORMAT_FAILURE "^byte-range: the ByteRange gap .* does not start with '<'"
attack usf-byterange-two sealed 1 INVALID FORMAT_FAILURE '^structure: the signature dictionary .* has 2 /ByteRange keys'
attack usf-contents-missing sealed 1 INVALID FORMAT_FAILURE '^byte-range: /Contents is missing or not a string'
attack usf-contents-not-hex sealed 1 INVALID FORMAT_FAILURE "^byte-range: the excluded bytes .* are not this signature's /Contents"
attack usf-contents-empty sealed 1 INVALID FORMAT_FAILURE '^cms: the CMS cannot be read'
attack usf-contents-not-cms sealed 1 INVALID FORMAT_FAILURE '^cms: the CMS cannot be read'
attack usf-overlap sealed 1 INVALID FORMAT_FAILURE "^structure: .*signature 'Copy'.* the same signed bytes"

# --- signature wrapping ---------------------------------------------------------------
attack swa-moved-contents sealed 1 INVALID FORMAT_FAILURE '^structure: the signature dictionary .* is defined at offset .* not around its /ByteRange gap .*signature wrapping'

# --- incremental saving: bytes after the signed revision that are no proper update ----
attack isa-no-xref sealed 1 INVALID FORMAT_FAILURE '^changes: .* after the last revision .*objects? .*no cross-reference'
attack isa-startxref-only sealed 1 INVALID FORMAT_FAILURE '^changes: .* after the last revision .*objects? .*no cross-reference'
attack_unreadable isa-copied-trailer sealed 'is damaged \(reported number of objects'
attack_unreadable isa-no-prev sealed 'unable to find /Root'
attack isa-unchained sealed 1 INVALID FORMAT_FAILURE '^changes: a revision ending at offset \d+ is not in the chain of cross-reference sections'
attack isa-unlisted-object sealed 1 INVALID FORMAT_FAILURE '^changes: object \d+ at offset \d+ is written in a later update but not listed in its cross-reference section'
attack trailing-garbage sealed 1 INVALID FORMAT_FAILURE '^changes: .* after the last revision .*objects? .*no cross-reference'
printf '%% a note appended\n' | cat "$WORK/sealed.pdf" - >"$WORK/comment.pdf"
echo "a comment after the last revision:"
judge "$WORK/comment.pdf" 2 INDETERMINATE FORMAT_FAILURE \
    '^changes: 18 byte\(s\) after the last revision are not an incremental update' "a trailing comment"

# --- changes to what the signed revision shows -----------------------------------------
attack page-content sealed 1 INVALID MODIFIED_AFTER_SIGNING '^object \d+ \(content stream of page 1\): stream data changed'
attack page-contents-swapped sealed 1 INVALID MODIFIED_AFTER_SIGNING '^object \d+ \(page 1\): /Contents changed'
attack resources sealed 1 INVALID MODIFIED_AFTER_SIGNING '^object \d+ \(resources\): /XObject added'
attack font sealed 1 INVALID MODIFIED_AFTER_SIGNING '^object \d+ \(resources\): '
attack xobject sealed 1 INVALID MODIFIED_AFTER_SIGNING '^object \d+ \(annotation of page 2\): stream data changed'
attack page-added sealed 1 INVALID MODIFIED_AFTER_SIGNING '^object \d+ \(new object\): page 1 added'
attack page-removed sealed 1 INVALID MODIFIED_AFTER_SIGNING '^object \d+ \(page tree\): /Kids changed'
attack acroform-removed sealed 1 INVALID MODIFIED_AFTER_SIGNING '^object \d+ \(catalog\): /AcroForm removed'
attack acroform-swapped sealed 1 INVALID MODIFIED_AFTER_SIGNING '\(AcroForm, object \d+, that the catalog now names\): /NeedAppearances added'
attack objects-freed sealed 1 INVALID MODIFIED_AFTER_SIGNING '^object \d+ \(content stream of page 1\): deleted'
attack root-openaction sealed 1 INVALID MODIFIED_AFTER_SIGNING '^object \d+ \(new catalog\): /OpenAction added'
attack root-aa sealed 1 INVALID MODIFIED_AFTER_SIGNING '^object \d+ \(new catalog\): /AA added'
attack root-pages sealed 1 INVALID MODIFIED_AFTER_SIGNING '^object \d+ \(new catalog\): /Pages changed'
attack root-acroform sealed 1 INVALID MODIFIED_AFTER_SIGNING '^object \d+ \(new catalog\): /AcroForm removed'

# --- shadow attacks on a document prepared before sealing --------------------------------
attack shadow-hide-oc bait-sealed 1 INVALID MODIFIED_AFTER_SIGNING '^object \d+ \(catalog\): /OCProperties changed'
attack root-ocproperties bait-sealed 1 INVALID MODIFIED_AFTER_SIGNING '^object \d+ \(new catalog\): /OCProperties changed'
attack shadow-hide-xobject bait-sealed 1 INVALID MODIFIED_AFTER_SIGNING '^object \d+ \(page 1\): /Contents changed'
attack shadow-replace bait-sealed 1 INVALID MODIFIED_AFTER_SIGNING "^object \d+ \(form field\): field 'Amount' covers page text .*Amount: 100 EUR"
attack hide-and-replace bait-sealed 1 INVALID MODIFIED_AFTER_SIGNING '^object \d+ \(catalog\): /Pages changed'

# --- after a certification ---------------------------------------------------------------
attack annotation cert1 1 INVALID MODIFIED_AFTER_SIGNING 'certification allows no change \(P=1\)'
attack objects-freed cert1 1 INVALID MODIFIED_AFTER_SIGNING 'deleted.*\(P=1\)'
attack annotation cert2 1 INVALID MODIFIED_AFTER_SIGNING '^object \d+ \(page 1\): /Annots changed'
attack unsigned-sig-field cert2 1 INVALID MODIFIED_AFTER_SIGNING "unsigned signature field 'Sneaky' .*draws on page 1"
attack unsigned-sig-field bait-sealed 1 INVALID MODIFIED_AFTER_SIGNING "unsigned signature field 'Sneaky' .*draws on page 1"
attack annotation-prepared-ap cert3 1 INVALID MODIFIED_AFTER_SIGNING 'a Square annotation added whose appearance is an object that existed before signing \(shadow hide\)'
attack sig-field-drawn cert2 1 INVALID MODIFIED_AFTER_SIGNING "signature field 'Approver' now draws on page 1 without being signed"
attack fill-name lock 1 INVALID MODIFIED_AFTER_SIGNING "field 'Name' is locked by the signature \(FieldMDP\)"

# --- controls: allowed changes stay VALID and are listed ----------------------------------
attack fill-name bait-sealed 0 VALID '' "^changes: .*field 'Name' filled in"
attack fill-name cert2 0 VALID '' "^changes: .*field 'Name' filled in"
attack annotation cert3 0 VALID '' "^changes: .*FreeText annotation added on page 1 at \[100 500 400 540\]: Paid in full"
stamp "$WORK/sealed.pdf" "$WORK/second.pdf" --page 1 --at 50,60
echo "a second seal:"
judge "$WORK/second.pdf" 0 VALID '' "^changes: .*signature 'Seal2' added on page 1" "a second seal"
for f in sealed cert1; do
    "$SEALSVC" --data "$DATA" ltv "$WORK/$f.pdf" "$WORK/$f-ltv.pdf" >/dev/null || fail "ltv $f.pdf"
    echo "ltv on $f.pdf:"
    judge "$WORK/$f-ltv.pdf" 0 VALID '' '^changes: .*validation data \(DSS\)' "ltv on $f.pdf"
done
# P=1 allows validation data and document timestamps (ISO 32000-2 Table 257): B-LTA
"$SEALSVC" --data "$DATA" ltv "$WORK/cert1.pdf" "$WORK/cert1-lta.pdf" --archive --tsa "$OUR_TSA_URL" \
    >/dev/null || fail "ltv --archive cert1.pdf"
echo "ltv --archive on cert1.pdf:"
judge "$WORK/cert1-lta.pdf" 0 VALID '' "^changes: (?=.*validation data \(DSS\)).*document timestamp '[^']*' added" \
    "ltv --archive on cert1.pdf"
printf '\n\n' | cat "$WORK/sealed.pdf" - >"$WORK/eol.pdf"
echo "white space after the last revision:"
judge "$WORK/eol.pdf" 0 VALID '' '^changes: no later update' "white space after the end"

# --- pdfsig, for comparison: it checks the signed bytes, not what was added after -------
make_nssdb
for f in page-content-sealed root-openaction-sealed; do
    pdfsig -nssdir "sql:$NSSDB" "$WORK/$f.pdf" >"$WORK/pdfsig.txt" 2>&1 || true
    grep -q 'Signature Validation: Signature is Valid' "$WORK/pdfsig.txt" &&
        grep -q 'Signed Ranges.*\|Total document signed' "$WORK/pdfsig.txt" ||
        fail "pdfsig on $f: $(cat "$WORK/pdfsig.txt")"
    grep -q 'Total document signed' "$WORK/pdfsig.txt" &&
        fail "pdfsig says $f.pdf is signed in full"
    echo "pdfsig on $f.pdf: signature valid, not the total document (sealsvc: INVALID)"
done
echo "pdf_attacks: all checks passed"
