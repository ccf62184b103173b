#!/usr/bin/env bash
# The verification report as a user and a program read it: every JSON report (a valid PDF,
# the PDF with one signed byte changed, a valid OFD, OFDs of the shared corpus, the PDF
# after its signer was frozen) matches docs/verify-report.schema.json (checked by
# python3-jsonschema, which must also refuse a damaged report), and carries the ETSI EN
# 319 102-1 status with the sentence in English and Chinese; `--format text|json|html` and
# -o; `--format pdf` wants -o and its seal's PIN; the HTML report of the valid and the tampered
# PDF has the verdict, the signer and the credit code, escapes a hostile field name,
# references nothing outside itself, and is opened and printed by headless Chromium (the
# screenshots and the print go to the build directory's tests/report-shots/). Over the
# API: the JSON with pictures matches the schema, and ?format= or Accept give the HTML
# (under a policy that loads nothing) and the text; pdf is 406.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
python3 -c 'import jsonschema' 2>/dev/null ||
    fail "python3-jsonschema is needed (tests/install-deps.sh installs it)"
[ -x /usr/bin/chromium ] || fail "chromium is needed (tests/install-deps.sh installs it)"
command -v pdftotext >/dev/null || fail "pdftotext is needed (poppler-utils)"
SCHEMA="$SEAL_SOURCE_DIR/docs/verify-report.schema.json"
SHOTS="${SEAL_BUILD_DIR:?}/tests/report-shots"
mkdir -p "$SHOTS"
make_demo
cd "$WORK"

RSA=$(seal_of rsa id official)
RSA_PIN=$(seal_of rsa pin official)
SM2=$(seal_of sm2 id official)
SM2_PIN=$(seal_of sm2 pin official)
"$SEALSVC" --data "$DATA" stamp "$SEAL_SOURCE_DIR/samples/contract-zh.pdf" valid.pdf \
    --seal "$RSA" --pin "$RSA_PIN" --page 1 --at 150,230 >/dev/null
"$SEALSVC" --data "$DATA" stamp "$SEAL_SOURCE_DIR/samples/notice-zh.ofd" valid.ofd \
    --seal "$SM2" --pin "$SM2_PIN" --page 1 --at 150,200 >/dev/null
# One byte in the first signed range changed, and the field's name made hostile (same
# length, so the file still parses): both inside what the signature covers.
python3 - valid.pdf tampered.pdf <<'PY'
import re, sys
data = bytearray(open(sys.argv[1], "rb").read())
first = int(re.search(rb"/ByteRange\s*\[\s*0\s+(\d+)", data).group(1))
data[first // 2] ^= 0x01
at = data.index(b"/T (Seal1)")
data[at:at + 10] = b"/T (<&'\">)"
open(sys.argv[2], "wb").write(data)
PY

report() { # FILE OUT.json EXIT [ARGS...]
    local file=$1 out=$2 want=$3
    shift 3
    expect_exit "$want" "$SEALSVC" --data "$DATA" verify "$file" --format json "$@"
    cp "$WORK/out" "$out"
}
report valid.pdf valid.pdf.json 0
report tampered.pdf tampered.pdf.json 1
report valid.ofd valid.ofd.json 0
CORPUS_OFDS=()
if [ -d "${SEAL_CORPUS:-}/ofd" ]; then
    for f in SESV4SignDoc two-seals-v4 invoice-signed; do
        set +e
        "$SEALSVC" verify "$SEAL_CORPUS/ofd/$f.ofd" --offline --format json >"corpus-$f.json"
        code=$?
        set -e
        [ "$code" -le 2 ] || fail "verify $f.ofd exited $code"
        CORPUS_OFDS+=("corpus-$f.json")
    done
else
    echo "note: the shared corpus is not at ${SEAL_CORPUS:-<unset>}: its OFDs are left out" >&2
fi
# The signer frozen after signing: its hold is after the claimed time, which nothing proves.
cp valid.pdf frozen.pdf
# (times are in whole seconds: a hold in the signing's second would be "frozen at signing")
sleep 1.1
"$SEALSVC" --data "$DATA" ca freeze "$DATA/certs/xinghe.pem" >/dev/null
report frozen.pdf frozen.pdf.json 2
"$SEALSVC" --data "$DATA" ca unfreeze "$DATA/certs/xinghe.pem" >/dev/null

# --- every report matches the schema; a damaged one does not
python3 - "$SCHEMA" valid.pdf.json tampered.pdf.json valid.ofd.json frozen.pdf.json \
    "${CORPUS_OFDS[@]}" <<'PY' || fail "a report does not match docs/verify-report.schema.json"
import copy, json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
reports = {}
for path in sys.argv[2:]:
    r = json.load(open(path))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in v.iter_errors(r)]
    assert not errors, (path, errors[:5])
    reports[path] = r
# the validator is not asleep: each of these damages must be caught
good = reports["valid.pdf.json"]
damaged = []
r = copy.deepcopy(good); del r["signatures"][0]["status"]; damaged.append(r)
r = copy.deepcopy(good); r["signatures"][0]["status"]["sub_indication"] = "BOGUS"; r["signatures"][0]["status"]["indication"] = "TOTAL_FAILED"; damaged.append(r)
r = copy.deepcopy(good); r["status"]["sub_indication"] = "HASH_FAILURE"; damaged.append(r)
r = copy.deepcopy(good); r["sha256"] = "XYZ"; damaged.append(r)
r = copy.deepcopy(good); r["signatures"][0]["certificates"][0]["status"] = "fine"; damaged.append(r)
r = copy.deepcopy(good); r["unexpected"] = 1; damaged.append(r)
for i, r in enumerate(damaged):
    assert not v.is_valid(r), f"damage {i} passed the schema"
PY

# --- the statuses a user reads
python3 - "${CORPUS_OFDS[@]}" <<'PY' || fail "the ETSI statuses are not what the verdicts say"
import hashlib, json, re, sys
def status(path, sig=None):
    r = json.load(open(path))
    return r["status"] if sig is None else r["signatures"][sig]["status"]
def expect(path, indication, sub, detail=None):
    for st in (status(path), status(path, 0)):
        assert (st["indication"], st["sub_indication"], st["detail"]) == (indication, sub, detail), (path, st)
        assert len(st["en"]) > 20 and re.search(r"[\u4e00-\u9fff]", st["zh"]), (path, st)
expect("valid.pdf.json", "TOTAL_PASSED", None)
expect("valid.ofd.json", "TOTAL_PASSED", None)
expect("tampered.pdf.json", "TOTAL_FAILED", "HASH_FAILURE")
expect("frozen.pdf.json", "INDETERMINATE", "REVOKED_NO_POE")
r = json.load(open("valid.pdf.json"))
assert r["size"] == len(open("valid.pdf", "rb").read()), r["size"]
assert r["sha256"] == hashlib.sha256(open("valid.pdf", "rb").read()).hexdigest()
assert re.fullmatch(r"[0-9a-f]{64}", r["sm3"]), r["sm3"]
certs = r["signatures"][0]["certificates"]
assert [c["status"] for c in certs] == ["good", "good", "trust anchor"], certs
assert certs[0]["evidence"]["kind"] == "crl" and certs[0]["evidence"]["crl_number"], certs[0]
assert r["signatures"][0]["signer"]["organization_id"], r["signatures"][0]["signer"]
frozen = json.load(open("frozen.pdf.json"))["signatures"][0]["certificates"][0]
assert frozen["revoked_at"], frozen
# each corpus OFD: its status agrees with its verdict
for path in sys.argv[1:]:
    r = json.load(open(path))
    want = {"VALID": "TOTAL_PASSED", "INVALID": "TOTAL_FAILED", "INDETERMINATE": "INDETERMINATE"}
    for s in [r] + r["signatures"]:
        assert s["status"]["indication"] == want[s["verdict"]], (path, s["verdict"], s["status"])
        if s["reason"] and s["status"]["detail"] is None:
            assert s["status"]["sub_indication"] == s["reason"], (path, s["reason"], s["status"])
PY

# --- the other forms, and where they go
expect_exit 0 "$SEALSVC" --data "$DATA" verify valid.pdf
grep -q "^ETSI:    TOTAL_PASSED" "$WORK/out" || fail "the text report has no ETSI status: $(head -5 "$WORK/out")"
grep -q "^SHA-256: $(sha valid.pdf)" "$WORK/out" || fail "the text report has not the file's SHA-256"
expect_exit 1 "$SEALSVC" --data "$DATA" verify tampered.pdf
grep -q "ETSI:       TOTAL_FAILED / HASH_FAILURE" "$WORK/out" || fail "the text report: $(cat "$WORK/out")"
expect_exit 0 "$SEALSVC" --data "$DATA" verify valid.pdf --json
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["status"]["indication"]=="TOTAL_PASSED"' \
    "$WORK/out" || fail "--json is no longer the JSON report"
expect_exit 0 "$SEALSVC" --data "$DATA" verify valid.pdf --format html -o valid.html
[ ! -s "$WORK/out" ] || fail "-o still printed the report"
expect_exit 1 "$SEALSVC" --data "$DATA" verify tampered.pdf --format html -o tampered.html
# the PDF report (verify_report_pdf.sh checks it) needs a file and its seal's PIN
expect_exit 64 "$SEALSVC" --data "$DATA" verify valid.pdf --format pdf
grep -q -- "-o OUT.pdf" "$WORK/err" || fail "--format pdf without -o: $(cat "$WORK/err")"
SEALSVC_REPORT_PIN= expect_exit 3 "$SEALSVC" --data "$DATA" verify valid.pdf --format pdf -o report.pdf
grep -q "needs its PIN" "$WORK/err" || fail "--format pdf without a PIN: $(cat "$WORK/err")"
[ ! -e report.pdf ] || fail "--format pdf left a file"
expect_exit 64 "$SEALSVC" --data "$DATA" verify valid.pdf --format xml
expect_exit 3 "$SEALSVC" --data "$DATA" verify valid.pdf --format html -o "$WORK/no/such/dir/r.html"
[ ! -e "$WORK/no" ] || fail "a report that cannot be written left something"

# --- the HTML reports: the verdict, the signer and the credit code, hostile names
# escaped, and nothing outside the page
python3 - valid.html tampered.html valid.pdf.json <<'PY' || fail "the HTML report is not what a reader needs"
import html, json, re, sys
signer = json.load(open(sys.argv[3]))["signatures"][0]["signer"]
for path, word in ((sys.argv[1], "VALID 有效"), (sys.argv[2], "INVALID 无效")):
    page = open(path, encoding="utf-8").read()
    assert f'<div class="word">{word}</div>' in page, (path, word)
    assert "ETSI EN 319 102-1: " in page, path
    assert html.escape(signer["name"]) in page, (path, "signer")
    assert signer["organization_id"] in page, (path, "credit code")
    assert html.escape(signer["organization"]) in page, (path, "institution")
    assert re.search(r'<img class="seal" alt="seal" src="data:image/png;base64,', page), (path, "seal picture")
    # no reference outside the page: every src/href/action/srcset is data: or #...
    for attr, value in re.findall(r'\b(src|href|action|srcset|poster|formaction)\s*=\s*"([^"]*)"', page, re.I):
        assert value.startswith("data:") or value.startswith("#"), (path, attr, value[:80])
    assert not re.search(r"\b(src|href)\s*=\s*[^\"\s>]", page, re.I), (path, "an unquoted reference")
    assert "@import" not in page and not re.search(r"url\((?!\s*['\"]?data:)", page), (path, "CSS fetches")
    assert not re.search(r"<(script|link|iframe|object|embed|base|meta\s+http-equiv)\b", page, re.I), (path, "active content")
    assert not re.search(r"@font-face", page), (path, "a web font")
tampered = open(sys.argv[2], encoding="utf-8").read()
assert "&lt;&amp;&#39;&quot;&gt;" in tampered, "the hostile field name is not escaped"
assert "<&'\">" not in tampered, "the hostile field name went through raw"
PY

# --- headless Chromium shows and prints them (with the network cut off: a reference that
# slipped through would show as a missing picture, and the text checks below still pass,
# so the reference check above is what guards that)
CREDIT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["signatures"][0]["signer"]["organization_id"])' valid.pdf.json)
for name in valid tampered; do
    timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --host-resolver-rules="MAP * ~NOTFOUND" --window-size=1100,2600 \
        --screenshot="$SHOTS/$name.png" "file://$WORK/$name.html" >/dev/null 2>&1 ||
        fail "chromium could not show $name.html"
    python3 - "$SHOTS/$name.png" <<'PY' || fail "the screenshot of $name.html is empty"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", data[16:24])
assert w >= 1000 and h >= 2000, (w, h)
assert len(data) > 50000, "a blank page compresses to almost nothing"
PY
    timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu \
        --host-resolver-rules="MAP * ~NOTFOUND" --no-pdf-header-footer \
        --print-to-pdf="$SHOTS/$name.pdf" "file://$WORK/$name.html" >/dev/null 2>&1 ||
        fail "chromium could not print $name.html"
    pdftotext "$SHOTS/$name.pdf" "$WORK/$name.txt"
    grep -q "$CREDIT" "$WORK/$name.txt" || fail "the printed $name report has not the credit code"
done
grep -q "INVALID" "$WORK/tampered.txt" || fail "the printed tampered report has not its verdict"
grep -q "VALID" "$WORK/valid.txt" && ! grep -q "INVALID" "$WORK/valid.txt" ||
    fail "the printed valid report does not say VALID (only)"
# --- the same over the API
. "$SEAL_SOURCE_DIR/tests/integration/lib/serve.sh"
printf '[verify]\noffline = true\nper_minute = 1000\n' >serve.conf
start_serve "$WORK/serve.log" --config serve.conf
PDF=(-H "Content-Type: application/pdf" --data-binary @tampered.pdf)
[ "$(call POST "/api/v1/verify?pictures=1" api.json "${PDF[@]}")" = 200 ] || fail "POST /api/v1/verify: $(cat api.json)"
python3 - "$SCHEMA" api.json <<'PY' || fail "the API's JSON report does not match the schema"
import json, sys
import jsonschema
r = json.load(open(sys.argv[2]))
jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate(r)
assert r["signatures"][0]["picture"]["seal_png"], "no picture"
assert r["status"]["sub_indication"] == "HASH_FAILURE", r["status"]
PY
header() { sed -n "s/^$1: *\([^\r]*\)\r*\$/\1/Ip" "$2" | tail -1; }
[ "$(call POST /api/v1/verify api.html -H "Accept: text/html,application/xhtml+xml,*/*;q=0.8" "${PDF[@]}")" = 200 ] ||
    fail "POST /api/v1/verify for HTML: $(cat api.html)"
[ "$(header Content-Type api.html.h)" = "text/html; charset=utf-8" ] || fail "the HTML answer is $(header Content-Type api.html.h)"
header Content-Security-Policy api.html.h | grep -q "default-src 'none'" || fail "the HTML answer has no policy"
grep -q '<div class="word">INVALID 无效</div>' api.html || fail "the HTML answer has not the verdict"
grep -q 'src="data:image/png;base64,' api.html || fail "the HTML answer has not the seal picture"
[ "$(call POST "/api/v1/verify?format=text" api.txt "${PDF[@]}")" = 200 ] || fail "format=text: $(cat api.txt)"
grep -q "^ETSI:    TOTAL_FAILED / HASH_FAILURE" api.txt || fail "the text answer: $(head -5 api.txt)"
[ "$(call POST "/api/v1/verify?format=pdf" api.pdf "${PDF[@]}")" = 406 ] || fail "format=pdf: $(cat api.pdf)"
[ "$(call POST "/api/v1/verify?format=xml" api.xml "${PDF[@]}")" = 400 ] || fail "format=xml: $(cat api.xml)"
echo "verify_report: reports checked; screenshots and prints in $SHOTS"
