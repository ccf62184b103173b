#!/usr/bin/env bash
# The public verification page (/verify/) in headless Chromium (tests/web/verify_page.mjs):
# a `sealsvc serve` on a free loopback port with a fresh demo platform; the sample PDF and
# OFD sealed by it (有效 / VALID), the PDF with one byte changed inside its signed range
# (无效 / INVALID, with the reason), and the PDF sealed by another platform whose root this
# one does not trust (无法确定 / INDETERMINATE); each shown with its seal picture, at a
# desktop's and a phone's width, in Chinese and English, with no serious accessibility
# violation, console error or failed request. First the static serving itself: types,
# headers, no listing, no escape from the web folder by dot segments or a symbolic link.
# Screenshots: the build directory's tests/web-shots/.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
make_demo
. "$(dirname "$0")/lib/serve.sh"
. "$(dirname "$0")/lib/web.sh"
SHOTS="${SEAL_BUILD_DIR:?}/tests/web-shots"

RSA=$(seal_of rsa id official)
RSA_PIN=$(seal_of rsa pin official)
SM2=$(seal_of sm2 id official)
SM2_PIN=$(seal_of sm2 pin official)
cd "$WORK"
"$SEALSVC" --data "$DATA" stamp "$SEAL_SOURCE_DIR/samples/contract-zh.pdf" sealed.pdf \
    --seal "$RSA" --pin "$RSA_PIN" --page 1 --at 150,230 >/dev/null
"$SEALSVC" --data "$DATA" stamp "$SEAL_SOURCE_DIR/samples/notice-zh.ofd" sealed.ofd \
    --seal "$SM2" --pin "$SM2_PIN" --page 1 --at 150,200 >/dev/null
# One byte in the middle of the first signed range (before /Contents) changed.
cp sealed.pdf tampered.pdf
python3 - tampered.pdf <<'PY'
import re, sys
data = bytearray(open(sys.argv[1], "rb").read())
first = int(re.search(rb"/ByteRange\s*\[\s*0\s+(\d+)", data).group(1))
data[first // 2] ^= 0x01
open(sys.argv[1], "wb").write(data)
PY
# A signer this platform does not trust: another demo platform's seal.
"$SEALSVC" demo init --dir other >other.json 2>/dev/null || fail "a second demo platform"
OTHER_SEAL=$(python3 -c 'import json,sys; print([s for s in json.load(open(sys.argv[1]))["seals"] if s["algorithm"] == "rsa"][0]["id"])' other.json)
OTHER_PIN=$(python3 -c 'import json,sys; print([s for s in json.load(open(sys.argv[1]))["seals"] if s["algorithm"] == "rsa"][0]["pin"])' other.json)
"$SEALSVC" --data other stamp "$SEAL_SOURCE_DIR/samples/contract-zh.pdf" untrusted.pdf \
    --seal "$OTHER_SEAL" --pin "$OTHER_PIN" --page 1 --at 150,230 >/dev/null

# What the page must read is what `sealsvc verify` concludes.
for f in sealed.pdf sealed.ofd tampered.pdf untrusted.pdf; do
    "$SEALSVC" --data "$DATA" verify --offline --json "$f" >"$f.json" || true
done
python3 - <<'PY' || fail "sealsvc verify does not give the verdicts the page is checked for"
import json
want = {"sealed.pdf": "VALID", "sealed.ofd": "VALID", "tampered.pdf": "INVALID",
        "untrusted.pdf": "INDETERMINATE"}
for f, v in want.items():
    got = json.load(open(f + ".json"))["verdict"]
    assert got == v, (f, got, v)
PY

printf '[verify]\noffline = true\nper_minute = 1000\n' >serve.conf
# A copy of the web folder with a symbolic link out of it (the source tree stays as it is).
cp -r "$SEAL_SOURCE_DIR/sealsvc/web" web
ln -s /etc/hostname web/verify/out.html
SEALSVC_WEB_DIR="$WORK/web" start_serve "$WORK/serve.log" --config serve.conf

# --- static serving: types, headers, refusals
[ "$(call GET /verify/ page.html)" = 200 ] || fail "GET /verify/"
grep -qi "^content-type: text/html; charset=utf-8" page.html.h || fail "/verify/ is not text/html"
grep -qi "^content-security-policy: default-src 'self'; script-src 'self';" page.html.h ||
    fail "/verify/ has no Content-Security-Policy"
grep -qi "^x-content-type-options: nosniff" page.html.h || fail "/verify/ without nosniff"
grep -qi "^referrer-policy: no-referrer" page.html.h || fail "/verify/ without Referrer-Policy"
grep -q "<script>" page.html && fail "an inline script in the page"
[ "$(call GET /web/verify/verify.js js.out)" = 200 ] || fail "GET verify.js"
grep -qi "^content-type: text/javascript" js.out.h || fail "verify.js is not text/javascript"
[ "$(call GET /web/verify/verify.css css.out)" = 200 ] || fail "GET verify.css"
grep -qi "^content-type: text/css" css.out.h || fail "verify.css is not text/css"
[ "$(call GET /web/verify/ dir.out)" = 404 ] || fail "a folder was listed"
[ "$(call GET /web/shared dir2.out)" = 404 ] || fail "a folder was answered"
[ "$(call GET /web/verify/out.html link.out)" = 404 ] || fail "a symbolic link out of the web folder was followed"
code=$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "$SERVE_URL/web/../../../../etc/passwd")
[ "$code" = 400 ] || [ "$code" = 404 ] || fail "/web/../ answered $code"
code=$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "$SERVE_URL/web/%2e%2e/%2e%2e/CMakeLists.txt")
[ "$code" = 400 ] || [ "$code" = 404 ] || fail "/web/%2e%2e/ answered $code"

# --- the page in Chromium
python3 - "$WORK" >cases.json <<'PY'
import json, sys
w = sys.argv[1]
print(json.dumps([
    {"name": "sealed-pdf", "file": f"{w}/sealed.pdf", "zh": "有效", "en": "VALID", "reason": False},
    {"name": "sealed-ofd", "file": f"{w}/sealed.ofd", "zh": "有效", "en": "VALID", "reason": False},
    {"name": "tampered-pdf", "file": f"{w}/tampered.pdf", "zh": "无效", "en": "INVALID", "reason": True},
    {"name": "untrusted-pdf", "file": f"{w}/untrusted.pdf", "zh": "无法确定", "en": "INDETERMINATE",
     "reason": True},
], ensure_ascii=False))
PY
rm -rf "$SHOTS"
(cd "$WEB" && node verify_page.mjs "$SERVE_URL" "$SHOTS" "$WORK/cases.json") >page.log 2>&1 ||
    fail "the verification page: $(cat page.log)"
cat page.log
[ "$(find "$SHOTS" -name '*.png' | wc -l)" = 16 ] || fail "not every screenshot was saved in $SHOTS"
# The service keeps no uploaded document.
[ -z "$(find "$DATA/serve" -type f)" ] || fail "the service kept a file: $(find "$DATA/serve" -type f)"
