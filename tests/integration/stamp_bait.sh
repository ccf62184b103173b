#!/usr/bin/env bash
# Sealing that refuses attack bait (docs/stamping.md "The input examined"): PDFs built
# here as an attacker would (lib/baitpdf.py: optional content off by default over text, a
# hidden annotation, a field painted over the text, a JavaScript OpenAction, a Launch
# action, an embedded file, an unreferenced object, and an update after a signature) are
# refused under --input-policy strict naming the finding (exit 3, nothing written, the
# input unchanged, the refusal in the audit trail), stamped with the finding in the
# warnings and the audit record under warn, stamped silently under off; --normalise
# stamps a rewrite without the unreferenced object that pdfsig and qpdf --check accept
# and our verify calls VALID. A document whose signature no longer verifies is refused
# (PDF and OFD) unless --allow-broken-signatures. Over HTTP a portal key (strict by
# default, or by its own input policy) gets a 422 problem listing the findings.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

BAIT="python3 $SEAL_SOURCE_DIR/tests/integration/lib/baitpdf.py"
make_demo
make_nssdb
SEAL=$(seal_of rsa id official); PIN=$(seal_of rsa pin official)
SM2=$(seal_of sm2 id official); SM2_PIN=$(seal_of sm2 pin official)
cd "$WORK"

stamp() { # IN OUT [ARGS...]
    local in=$1 out=$2
    shift 2
    "$SEALSVC" --data "$DATA" stamp "$in" "$out" --seal "$SEAL" --pin "$PIN" --at 150,250 "$@"
}

# kind of bait -> the finding's kind, and a word its detail must hold
declare -A KIND=([oc-off]=hidden-content [hidden-annot]=hidden-annotation
    [widget-cover]=annotation-over-text [javascript]=javascript [launch]=launch-action
    [embedded]=embedded-file [unreferenced]=unreachable-objects)
declare -A WORD=([oc-off]='Secret terms' [hidden-annot]='flag Hidden' [widget-cover]='Widget'
    [javascript]='object 5' [launch]='object 5' [embedded]='terms.txt' [unreferenced]='object 5')

$BAIT clean clean.pdf
stamp clean.pdf clean-out.pdf --input-policy strict >/dev/null 2>err.txt ||
    fail "a clean PDF is refused under strict: $(cat err.txt)"
[ ! -s err.txt ] || fail "a clean PDF draws warnings: $(cat err.txt)"

for bait in "${!KIND[@]}"; do
    $BAIT "$bait" "$bait.pdf"
    before=$(sha "$bait.pdf")
    # strict: refused, naming the finding; nothing written, the input unchanged
    expect_exit 3 stamp "$bait.pdf" "$bait-strict.pdf" --input-policy strict
    grep -q "policy error.*input policy is strict.*${KIND[$bait]}: .*${WORD[$bait]}" "$WORK/err" ||
        fail "$bait under strict: $(cat "$WORK/err")"
    [ ! -e "$bait-strict.pdf" ] || fail "$bait under strict wrote an output"
    ! ls | grep -q "^$bait-strict.pdf.tmp" || fail "$bait under strict left a temporary file"
    [ "$(sha "$bait.pdf")" = "$before" ] || fail "$bait under strict changed the input"
    # warn (the command line's default): stamped, the finding in the warnings and the trail
    stamp "$bait.pdf" "$bait-warn.pdf" >/dev/null 2>warn.txt || fail "$bait under warn: $(cat warn.txt)"
    grep -q "warning: the input holds ${KIND[$bait]}: .*${WORD[$bait]}" warn.txt ||
        fail "$bait under warn does not warn: $(cat warn.txt)"
    qpdf --check "$bait-warn.pdf" >/dev/null || fail "qpdf --check rejects $bait-warn.pdf"
    # off: stamped without a word
    stamp "$bait.pdf" "$bait-off.pdf" --input-policy off >/dev/null 2>off.txt || fail "$bait under off"
    [ ! -s off.txt ] || fail "$bait under off warns: $(cat off.txt)"
    [ "$(sha "$bait.pdf")" = "$before" ] || fail "stamping $bait changed the input"
done
"$SEALSVC" --data "$DATA" audit list --document "$WORK/javascript-warn.pdf" >audit.txt
grep -q "input findings: javascript" audit.txt || fail "the audit record lacks the findings: $(cat audit.txt)"
"$SEALSVC" --data "$DATA" audit list >audit-all.txt
grep -q "stamp-failed.*launch.pdf.*input policy is strict.*launch-action" audit-all.txt ||
    fail "the strict refusal is not in the trail: $(grep launch audit-all.txt)"

# --- an update after a signature: a form filled in after an approval seal (a change the
# signature allows, so the seal still verifies) is bait for a seal over it
$BAIT form form.pdf
stamp form.pdf form-sealed.pdf >/dev/null 2>&1
cp form-sealed.pdf filled.pdf
$PDFTOOL fill filled.pdf 5 "Han Meimei"
"$SEALSVC" --data "$DATA" verify filled.pdf --json >filled.json || fail "the filled form does not verify"
expect_exit 3 stamp filled.pdf filled-strict.pdf --input-policy strict
grep -q "update-after-signature: an update after the last signature (Seal1) changes or adds 1 object (5)" "$WORK/err" ||
    fail "an update after a signature under strict: $(cat "$WORK/err")"
[ ! -e filled-strict.pdf ] || fail "a refused stamp wrote an output"
# normalising would break the signature: refused, and said so
expect_exit 3 stamp filled.pdf filled-norm.pdf --input-policy strict --normalise
grep -q "it was not normalised: .*is signed" "$WORK/err" || fail "normalising a signed input: $(cat "$WORK/err")"
# a second legitimate seal on a sealed document is no finding
stamp form-sealed.pdf form-two.pdf --input-policy strict >/dev/null 2>err.txt ||
    fail "a second seal on a sealed document is refused under strict: $(cat err.txt)"

# --- --normalise: the unreferenced object is dropped; the stamp verifies
# how many of the file's streams (inflated when compressed) hold TEXT: read byte by byte,
# since qpdf's own rewrites drop what nothing reaches
streams_with() { # FILE TEXT
    python3 - "$1" "$2" <<'PY'
import re, sys, zlib
data, text, n = open(sys.argv[1], 'rb').read(), sys.argv[2].encode(), 0
for m in re.finditer(rb'stream\r?\n(.*?)endstream', data, re.S):
    body = m.group(1)
    try:
        body = zlib.decompressobj().decompress(body)
    except zlib.error:
        pass
    n += text in body
print(n)
PY
}
[ "$(streams_with unreferenced.pdf '900 yuan')" = 1 ] || fail "the bait has no unreferenced content"
stamp unreferenced.pdf norm.pdf --input-policy strict --normalise >norm.txt 2>&1 || fail "--normalise: $(cat norm.txt)"
grep -q "normalised" norm.txt || fail "the result does not say the input was normalised: $(cat norm.txt)"
[ "$(streams_with norm.pdf '900 yuan')" = 0 ] && [ "$(streams_with norm.pdf '100 yuan')" = 1 ] ||
    fail "the normalised stamp still holds the unreferenced object"
qpdf --check norm.pdf >/dev/null || fail "qpdf --check rejects the normalised stamp"
pdfsig -nssdir "sql:$NSSDB" -no-ocsp norm.pdf >pdfsig.txt 2>&1 || true
grep -q 'Signature Validation: Signature is Valid.' pdfsig.txt || fail "pdfsig on the normalised stamp: $(cat pdfsig.txt)"
"$SEALSVC" --data "$DATA" verify norm.pdf --json >norm.json || fail "verify norm.pdf: $(cat norm.json)"
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["verdict"]=="VALID"' norm.json ||
    fail "the normalised stamp is not VALID"
"$SEALSVC" --data "$DATA" audit list --document "$WORK/norm.pdf" | grep -q "normalised input" ||
    fail "the audit record does not say the input was normalised"
# what a rewrite cannot remove stays refused
expect_exit 3 stamp javascript.pdf js-norm.pdf --input-policy strict --normalise
grep -q "javascript" "$WORK/err" || fail "JavaScript survives a rewrite: $(cat "$WORK/err")"
expect_exit 64 stamp clean.pdf x.pdf --input-policy off --normalise
expect_exit 64 stamp clean.pdf x.pdf --input-policy lax

# --- a signature that no longer verifies: refused by default, stamped with --allow-broken-signatures
cp clean-out.pdf broken.pdf
python3 - broken.pdf <<'PY'
import sys
# one byte of the first revision's content stream changed: the seal's hash no longer matches
p = sys.argv[1]
data = bytearray(open(p, 'rb').read())
at = data.index(b'100 yuan')
data[at] = ord('9')
open(p, 'wb').write(data)
PY
before=$(sha broken.pdf)
expect_exit 3 stamp broken.pdf broken-out.pdf
grep -q "policy error.*holds a signature that no longer verifies: 'Seal1' by " "$WORK/err" ||
    fail "a broken PDF signature: $(cat "$WORK/err")"
[ ! -e broken-out.pdf ] && [ "$(sha broken.pdf)" = "$before" ] || fail "a refused stamp wrote or changed something"
stamp broken.pdf broken-out.pdf --allow-broken-signatures >/dev/null 2>warn.txt || fail "--allow-broken-signatures: $(cat warn.txt)"
grep -q "warning: the document's signature 'Seal1' .* no longer verifies: stamped anyway" warn.txt ||
    fail "no warning for the broken signature: $(cat warn.txt)"

# OFD: a sealed package whose page content changed after sealing (python's zipfile)
"$SEALSVC" --data "$DATA" stamp "$SEAL_SOURCE_DIR/samples/notice-zh.ofd" sealed.ofd --seal "$SM2" \
    --pin "$SM2_PIN" --at 100,100 --input-policy strict >/dev/null
python3 - sealed.ofd broken.ofd <<'PY'
import sys, zipfile
src, dst = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED)
for info in src.infolist():
    data = src.read(info)
    if info.filename.endswith('Page_0/Content.xml'):
        data = data.replace(b'</ofd:Content>', b'<!-- changed --></ofd:Content>', 1)
        assert b'changed' in data
    dst.writestr(info, data)
dst.close()
PY
expect_exit 3 "$SEALSVC" --data "$DATA" stamp broken.ofd broken-out.ofd --seal "$SM2" --pin "$SM2_PIN" --at 50,50
grep -q "holds a signature that no longer verifies: '.*' by .*Content.xml" "$WORK/err" ||
    fail "a broken OFD signature: $(cat "$WORK/err")"
[ ! -e broken-out.ofd ] || fail "a refused OFD stamp wrote an output"
"$SEALSVC" --data "$DATA" stamp broken.ofd broken-out.ofd --seal "$SM2" --pin "$SM2_PIN" --at 50,50 \
    --allow-broken-signatures >/dev/null 2>warn.txt || fail "OFD --allow-broken-signatures: $(cat warn.txt)"
grep -q "no longer verifies: stamped anyway" warn.txt || fail "no OFD warning: $(cat warn.txt)"
# an OFD file nothing refers to is a finding
python3 - "$SEAL_SOURCE_DIR/samples/notice-zh.ofd" unlisted.ofd <<'PY'
import sys, zipfile
src, dst = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED)
for info in src.infolist():
    dst.writestr(info, src.read(info))
dst.writestr('Doc_0/Pages/Page_0/Content2.xml', '<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"/>')
dst.close()
PY
expect_exit 3 "$SEALSVC" --data "$DATA" stamp unlisted.ofd unlisted-out.ofd --seal "$SM2" --pin "$SM2_PIN" \
    --at 50,50 --input-policy strict
grep -q "unlisted-file: 1 file .*Doc_0/Pages/Page_0/Content2.xml" "$WORK/err" || fail "an unlisted OFD file: $(cat "$WORK/err")"

# --- over HTTP: portal keys are strict unless their own policy says otherwise
. "$(dirname "$0")/lib/serve.sh"
CODE=$(sqlite3 "$DATA/sealsvc.db" "SELECT i.credit_code FROM seal s JOIN institution i ON i.id = s.institution_id WHERE s.id = '$SEAL'")
PORTAL=$("$SEALSVC" --data "$DATA" apikey create --role portal --institution "$CODE" 2>/dev/null)
LAX=$("$SEALSVC" --data "$DATA" apikey create --role portal --institution "$CODE" --input-policy warn 2>/dev/null)
expect_exit 3 "$SEALSVC" --data "$DATA" apikey create --role portal --input-policy lax
"$SEALSVC" --data "$DATA" apikey list --json | python3 -c 'import json,sys
keys = [k for k in json.load(sys.stdin) if k["role"] == "portal"]
assert sorted(str(k["input_policy"]) for k in keys) == ["None", "warn"], keys' ||
    fail "apikey list does not show the input policies"
mkdir tmp
printf '[server]\ntmp_dir = %s/tmp\n[verify]\noffline = true\n' "$WORK" >serve.conf
start_serve "$WORK/serve.log" --config serve.conf
send() { # KEY FILE OUT [QUERY]
    call POST "/api/v1/stamp?seal=$SEAL&at=150,250${4:-}" "$3" -H "Authorization: Bearer $1" \
        -H "X-Seal-PIN: $PIN" -H 'Content-Type: application/pdf' --data-binary "@$2" \
        --url-query "pin=$PIN"
}
[ "$(send "$PORTAL" launch.pdf h-launch.out)" = 422 ] || fail "a portal key's stamp of bait: $(cat h-launch.out)"
expect_problem h-launch.out 422 input-refused
python3 - h-launch.out <<'PY' || fail "the problem does not list the findings: $(cat h-launch.out)"
import json, sys
p = json.load(open(sys.argv[1]))
assert [f["kind"] for f in p["findings"]] == ["launch-action"], p
assert "launch-action" in p["detail"], p
PY
[ "$(send "$PORTAL" clean.pdf h-clean.pdf)" = 200 ] || fail "a portal key's stamp of a clean PDF: $(cat h-clean.pdf)"
[ "$(send "$LAX" launch.pdf h-lax.pdf)" = 200 ] || fail "a warn key's stamp of bait: $(cat h-lax.pdf)"
grep -i '^x-seal-stamp:' h-lax.pdf.h | grep -q '"kind":"launch-action"' ||
    fail "the stamp's summary lacks the findings: $(cat h-lax.pdf.h)"
[ "$(send "$LAX" launch.pdf h-off.out "&input-policy=off")" = 403 ] || fail "a request loosened its key's policy: $(cat h-off.out)"
expect_problem h-off.out 403 input-policy-refused
[ "$(send "$LAX" launch.pdf h-strict.out '&input-policy=strict')" = 422 ] || fail "a request could not tighten its policy"
# a batch job keeps its submitter's policy: a strict key cannot loosen it there either
[ "$(call POST /api/v1/jobs h-job.out -H "Authorization: Bearer $PORTAL" -F "seal=$SEAL" -F "pin=$PIN" \
    -F page=1 -F at=50,50 -F input-policy=off -F document=@launch.pdf)" = 403 ] ||
    fail "a job loosened its key's policy: $(cat h-job.out)"
expect_problem h-job.out 403 input-policy-refused
echo "stamp_bait: ok"
