#!/usr/bin/env bash
# `sealsvc verify FILE --format pdf -o OUT`: the PDF report a bidder files, checked as a user
# would with tools that are not ours. For a PDF sealed twice (RSA, ECDSA), an OFD sealed
# with SM2 and a tampered copy of the PDF: qpdf --check passes; pdfsig sees one valid
# signature by the platform's verification seal (timestamped: B-T); pdftotext finds the
# verdict in both languages, each signer and credit code (the Chinese extractable, so the
# fonts carry ToUnicode); pdftoppm renders every page; zbarimg reads the QR code as the
# verification page's URL with the document's SHA-256; our own verify accepts the report.
# Refusals (no platform, a wrong PIN, an unknown seal) leave no file behind.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
for tool in qpdf pdfsig pdftotext pdftoppm pdfinfo certutil zbarimg; do
    command -v "$tool" >/dev/null || fail "$tool is needed (tests/install-deps.sh)"
done

# Under LeakSanitizer (tests/run.sh): Cairo 1.16 loses 192 bytes when it subsets the seal
# font (CFF) into a PDF, in cairo_surface_finish (not ours: ofd_render.sh says how it was
# shown). Full stacks (fast_unwind_on_malloc=0) let the suppression name that function.
printf 'leak:cairo_surface_finish\n' >"$WORK/lsan.supp"
export LSAN_OPTIONS="suppressions=$WORK/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
make_demo
make_nssdb
. "$(dirname "$0")/lib/tsa.sh"
start_our_tsa

SAMPLE="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"
OFD_SAMPLE="$SEAL_SOURCE_DIR/samples/notice-zh.ofd"
RSA=$(seal_of rsa id official); RSA_PIN=$(seal_of rsa pin official)
EC=$(seal_of ecdsa id official); EC_PIN=$(seal_of ecdsa pin official)
SM2=$(seal_of sm2 id official); SM2_PIN=$(seal_of sm2 pin official)
VER=$(seal_of rsa id verification); VER_PIN=$(seal_of rsa pin verification)
[ "$VER" = platform-verification ] || fail "the demo's verification seal is '$VER'"
printf '%s\n' "$VER_PIN" >"$WORK/report.pin"
BASE=https://verify.example.cn/platform

"$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$WORK/one.pdf" --seal "$RSA" --pin "$RSA_PIN" \
    --page 1 --at 60,70 >/dev/null || fail "stamp 1"
"$SEALSVC" --data "$DATA" stamp "$WORK/one.pdf" "$WORK/contract.pdf" --seal "$EC" --pin "$EC_PIN" \
    --page 2 --at 120,200 >/dev/null || fail "stamp 2"
"$SEALSVC" --data "$DATA" stamp "$OFD_SAMPLE" "$WORK/notice.ofd" --seal "$SM2" --pin "$SM2_PIN" \
    --at 100,80 >/dev/null || fail "stamp OFD"
# One byte of the first revision changed (a byte the first signature covers).
cp "$WORK/contract.pdf" "$WORK/tampered.pdf"
python3 - "$WORK/tampered.pdf" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
at = b.index(b"stream", len(b) // 10) + 40
b[at] ^= 0x01
open(p, "wb").write(bytes(b))
PY

credit() { # the organizationIdentifier of a demo certificate
    openssl x509 -in "$DATA/certs/$1.pem" -noout -subject -nameopt multiline,utf8 |
        sed -n 's/^ *organizationIdentifier *= *//p'
}
XINGHE_CODE=$(credit xinghe); PUJIANG_CODE=$(credit pujiang); NANYUE_CODE=$(credit nanyue)
[ -n "$XINGHE_CODE" ] && [ -n "$NANYUE_CODE" ] || fail "no credit codes in the demo certificates"

# report NAME FILE WANT_EXIT: the sealed report of FILE into $WORK/NAME.report.pdf
report() {
    local name=$1 file=$2 want=$3 got
    set +e
    "$SEALSVC" --data "$DATA" verify "$file" --format pdf -o "$WORK/$name.report.pdf" \
        --report-pin-file "$WORK/report.pin" --report-tsa "$OUR_TSA_URL" --report-url "$BASE/" \
        >"$WORK/$name.txt" 2>"$WORK/$name.err"
    got=$?
    set -e
    [ "$got" = "$want" ] || fail "$name: verify exited $got, expected $want: $(cat "$WORK/$name.err")"
    [ -s "$WORK/$name.report.pdf" ] || fail "$name: no report written"
    # SEAL_KEEP_REPORTS=DIR keeps the reports for a person to look at.
    [ -z "${SEAL_KEEP_REPORTS:-}" ] || cp "$WORK/$name.report.pdf" "$SEAL_KEEP_REPORTS/"
}

# check NAME FILE VERDICT ZH TEXT...: what a reader of the report checks
check() {
    local name=$1 file=$2 verdict=$3 zh=$4
    shift 4
    local pdf="$WORK/$name.report.pdf"
    qpdf --check "$pdf" >"$WORK/$name.qpdf" 2>&1 || fail "$name: qpdf --check: $(cat "$WORK/$name.qpdf")"
    pdfsig -nssdir "sql:$NSSDB" -no-ocsp "$pdf" >"$WORK/$name.pdfsig" 2>&1 || true
    [ "$(grep -c '^Signature #' "$WORK/$name.pdfsig")" = 1 ] ||
        fail "$name: the report does not carry exactly one signature: $(cat "$WORK/$name.pdfsig")"
    grep -q 'Signature Validation: Signature is Valid.' "$WORK/$name.pdfsig" ||
        fail "$name: pdfsig does not find the report's signature valid: $(cat "$WORK/$name.pdfsig")"
    grep -q 'Signer Certificate Common Name: sealsvc 演示平台' "$WORK/$name.pdfsig" ||
        fail "$name: the report is not signed by the platform: $(cat "$WORK/$name.pdfsig")"
    grep -q 'Total document signed' "$WORK/$name.pdfsig" ||
        fail "$name: the report's signature does not cover the whole report"
    # Our verifier: the report is valid, sealed with the verification seal, timestamped.
    "$SEALSVC" --data "$DATA" verify "$pdf" --json >"$WORK/$name.self.json" ||
        fail "$name: sealsvc verify does not accept the report: $(cat "$WORK/$name.self.json")"
    python3 - "$WORK/$name.self.json" <<'PY' || fail "$name: the report's own seal is not what it should be"
import json, sys
r = json.load(open(sys.argv[1]))
(s,) = r["signatures"]
assert r["verdict"] == "VALID" and s["seal"] == "sealsvc 演示平台验证专用章", (r["verdict"], s.get("seal"))
assert "timestamp" in s["time_source"], s["time_source"]
PY
    pdftotext -enc UTF-8 "$pdf" "$WORK/$name.text" || fail "$name: pdftotext"
    for want in "$verdict" "$zh" SHA-256 SM3 "$(sha "$file")" "$(basename "$file")" "$@"; do
        grep -qF -- "$want" "$WORK/$name.text" ||
            fail "$name: the report's text lacks '$want': $(head -c 3000 "$WORK/$name.text")"
    done
    pages=$(pdfinfo "$pdf" | sed -n 's/^Pages: *//p')
    [ "$pages" -ge 2 ] || fail "$name: $pages page(s), expected a cover and the signatures"
    pdftoppm -r 60 -png "$pdf" "$WORK/$name.page" || fail "$name: pdftoppm cannot render it"
    [ "$(ls "$WORK/$name".page-*.png | wc -l)" = "$pages" ] || fail "$name: not every page rendered"
    pdftoppm -r 150 -png -f 1 -l 1 "$pdf" "$WORK/$name.cover" || fail "$name: pdftoppm page 1"
    zbarimg -q --raw "$WORK/$name.cover"-1.png >"$WORK/$name.qr" 2>/dev/null ||
        fail "$name: no QR code readable on the cover"
    [ "$(cat "$WORK/$name.qr")" = "$BASE/verify/?sha256=$(sha "$file")" ] ||
        fail "$name: the QR code says '$(cat "$WORK/$name.qr")'"
}

report contract "$WORK/contract.pdf" 0
check contract "$WORK/contract.pdf" VALID 有效 北京市星河信息技术有限公司 上海浦江建设工程有限公司 \
    "$XINGHE_CODE" "$PUJIANG_CODE" "签章 2"
report notice "$WORK/notice.ofd" 0
check notice "$WORK/notice.ofd" VALID 有效 广州南粤招标代理有限公司 "$NANYUE_CODE"
report tampered "$WORK/tampered.pdf" 1
check tampered "$WORK/tampered.pdf" INVALID 无效 北京市星河信息技术有限公司 "$XINGHE_CODE"

# ---- refusals: a clear error, no report, nothing left beside it
expect_exit 64 "$SEALSVC" verify "$WORK/contract.pdf" --format pdf -o "$WORK/nodata.pdf"
grep -q -- "--data" "$WORK/err" || fail "no platform: the error does not say what to give: $(cat "$WORK/err")"
expect_exit 64 "$SEALSVC" --data "$DATA" verify "$WORK/contract.pdf" --report-seal "$VER"
printf '000000\n' >"$WORK/wrong.pin"
[ "$VER_PIN" != 000000 ] || printf '000001\n' >"$WORK/wrong.pin"
expect_exit 3 "$SEALSVC" --data "$DATA" verify "$WORK/contract.pdf" --format pdf -o "$WORK/wrong.pdf" \
    --report-pin-file "$WORK/wrong.pin"
grep -qi "pin" "$WORK/err" || fail "a wrong PIN: the error does not say so: $(cat "$WORK/err")"
expect_exit 3 "$SEALSVC" --data "$DATA" verify "$WORK/contract.pdf" --format pdf -o "$WORK/unknown.pdf" \
    --report-seal no-such-seal --report-pin-file "$WORK/report.pin"
grep -q "no-such-seal" "$WORK/err" || fail "an unknown seal is not named: $(cat "$WORK/err")"
leftovers=$(find "$WORK" -maxdepth 1 -name 'nodata.pdf*' -o -maxdepth 1 -name 'wrong.pdf*' \
    -o -maxdepth 1 -name 'unknown.pdf*' -o -maxdepth 1 -name '*.unsealed-*')
[ -z "$leftovers" ] || fail "refused reports left files: $leftovers"

echo "verify_report_pdf: ok"
