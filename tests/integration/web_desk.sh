#!/usr/bin/env bash
# The clerk desk (/desk/) in headless Chromium (tests/web/desk_page.mjs) against a
# `sealsvc serve` on a free loopback port with a fresh demo platform: the demo clerk's
# wrong password, the lock-out after 5 (the lock kept short here), the login; then the
# sample contract's page 2 at 100% and at 150%, page 2 of a copy whose page 2 is turned a
# quarter (/Rotate 90) and the sample OFD's page 2, each stamped by dragging the clerk's
# seal to a spot given in mm (a wrong PIN first: the tries left shown); the contract
# stamped "on the keyword" 乙方（盖章） (the hits shown first) and with a seam seal over its
# right edges; last, wrong PINs until the seal locks. Each downloaded file must verify
# VALID with `sealsvc verify` (and the PDFs with pdfsig): a dragged seal's centre within
# 1 mm of the spot, from the verify report's placement and, for the PDFs, from the red
# pixels of pdftoppm's rendering; the keyword's seal centred on the word pdftotext finds;
# the seam's strips on every page at its right edge. The service keeps no upload
# afterwards. Screenshots: the build directory's tests/web-shots-desk/.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
make_demo
. "$(dirname "$0")/lib/serve.sh"
. "$(dirname "$0")/lib/web.sh"
SHOTS="${SEAL_BUILD_DIR:?}/tests/web-shots-desk"
LIB="$(dirname "$0")/lib"
cd "$WORK"
make_nssdb

[ "$(pdfinfo "$SEAL_SOURCE_DIR/samples/contract-zh.pdf" | sed -n 's/^Pages: *//p')" -ge 2 ] ||
    fail "samples/contract-zh.pdf has fewer than 2 pages"
qpdf "$SEAL_SOURCE_DIR/samples/contract-zh.pdf" --rotate=+90:2 "$WORK/rotated.pdf"
python3 - "$WORK" "$SEAL_SOURCE_DIR/samples" >setup.json <<'PY'
import json, sys
work, samples = sys.argv[1:3]
contract = f"{samples}/contract-zh.pdf"
m = json.load(open(f"{work}/manifest.json"))
seal = "xinghe-contract"
print(json.dumps({
    "login": m["desk"]["login"], "password": m["desk"]["password"], "lock_seconds": 3,
    "seal": seal, "pin": [s["pin"] for s in m["seals"] if s["id"] == seal][0],
    "lock_file": contract, "lock_keyword": "甲方（盖章）",
    "cases": [
        {"name": "pdf-100", "how": "drag", "file": contract, "page": 2, "zoom": 1,
         "x": 70, "y": 150, "wrong_pin": True},
        {"name": "pdf-150", "how": "drag", "file": contract, "page": 2, "zoom": 1.5,
         "x": 140, "y": 230, "wrong_pin": False},
        # page 2 shown landscape (297 x 210 mm): the spot is in the page's shown frame
        {"name": "pdf-rotated", "how": "drag", "file": f"{work}/rotated.pdf", "page": 2,
         "zoom": 1, "x": 220, "y": 60, "rotate": 90, "wrong_pin": False},
        {"name": "ofd-75", "how": "drag", "file": f"{samples}/notice-zh.ofd", "page": 2,
         "zoom": 0.75, "x": 120, "y": 180, "wrong_pin": False},
        {"name": "pdf-keyword", "how": "keyword", "file": contract, "keyword": "乙方（盖章）",
         "zoom": 1, "wrong_pin": False},
        {"name": "pdf-seam", "how": "seam", "file": contract, "side": "right", "zoom": 0.75,
         "wrong_pin": False},
    ]}))
PY
printf '[verify]\noffline = true\nper_minute = 1000\n[desk]\nlock_seconds = 3\n' >serve.conf
start_serve "$WORK/serve.log" --config serve.conf

[ "$(call GET /desk/ page.html)" = 200 ] || fail "GET /desk/"
grep -qi "^content-security-policy: default-src 'self'; script-src 'self';" page.html.h ||
    fail "/desk/ has no Content-Security-Policy"
grep -q "<script>" page.html && fail "an inline script in the desk page"
grep -q "style=" page.html && fail "an inline style in the desk page"

rm -rf "$SHOTS"
(cd "$WEB" && node desk_page.mjs "$SERVE_URL" "$SHOTS" "$WORK/setup.json" "$WORK/results.json") \
    >page.log 2>&1 || fail "the desk page: $(cat page.log)"
cat page.log

# Each download: VALID; a dragged seal where it was dropped.
python3 - results.json >checks.txt <<'PY' || fail "the results: $(cat checks.txt)"
import json, sys
for r in json.load(open(sys.argv[1])):
    print(r["name"], r["how"], r["download"], r.get("page", 0), r.get("x", 0), r.get("y", 0),
          r.get("rotate", 0))
PY
[ "$(wc -l <checks.txt)" = 6 ] || fail "not 6 documents stamped: $(cat checks.txt)"
while read -r name how file page x y rotate; do
    "$SEALSVC" --data "$DATA" verify --offline --json "$file" >"$name.json" ||
        fail "$name: sealsvc verify: $(head -c 600 "$name.json")"
    [ "$how" = drag ] || continue
    python3 - "$name.json" "$page" "$x" "$y" "$rotate" <<'PY' || fail "$name: the report's placement is off"
import json, sys
r = json.load(open(sys.argv[1]))
page, x, y, rotate = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
assert r["verdict"] == "VALID", r["verdict"]
s = r["signatures"][-1]
assert s["page"] == page, ("page", s["page"], page)
a = s["rect"]
if r["format"].upper() == "PDF":  # points from the bottom-left of the unturned A4 page
    ux, uy = (a[0] + a[2]) / 2 * 25.4 / 72, (a[1] + a[3]) / 2 * 25.4 / 72
    # shown turned a quarter clockwise: the page's bottom edge is the shown left edge
    cx, cy = (uy, ux) if rotate == 90 else (ux, 297 - uy)
else:  # OFD: x, y, width, height in mm from the top-left
    cx, cy = a[0] + a[2] / 2, a[1] + a[3] / 2
print(f"report: seal centre {cx:.2f},{cy:.2f} mm on page {page}, dropped at {x},{y}")
assert abs(cx - x) <= 1 and abs(cy - y) <= 1, (cx, cy, x, y)
PY
    case "$file" in
    *.pdf)
        pdfsig -nssdir "sql:$NSSDB" "$file" >"$name.pdfsig" 2>&1 || true
        grep -q 'Signature Validation: Signature is Valid' "$name.pdfsig" ||
            fail "$name: pdfsig: $(cat "$name.pdfsig")"
        pdftoppm -r 72 -f "$page" -l "$page" "$file" "$name-page"
        got=$(python3 "$LIB/placetool.py" redbox "$(ls "$name"-page*.ppm | head -1)" 72)
        python3 - "$x" "$y" $got <<'PY' || fail "$name: the red pixels are not where the seal was dropped: $got"
import sys
x, y, cx, cy = (float(v) for v in sys.argv[1:5])
print(f"pdftoppm: red centre {cx:.2f},{cy:.2f} mm, dropped at {x},{y}")
assert abs(cx - x) <= 1 and abs(cy - y) <= 1
PY
        ;;
    esac
done <checks.txt

# The keyword's seal: centred on 乙方（盖章）, where pdftotext finds it (page 3), and no other.
keyword_pdf=$(awk '$1 == "pdf-keyword" { print $3 }' checks.txt)
word=$(python3 "$LIB/placetool.py" wordbox "$keyword_pdf" 3 "乙方（盖章）")
python3 - pdf-keyword.json $word <<'PY' || fail "the keyword's seal is not on the keyword ($word)"
import json, sys
r = json.load(open(sys.argv[1]))
x0, y0, x1, y1 = (float(v) for v in sys.argv[2:6])
s = r["signatures"][-1]
assert r["verdict"] == "VALID" and s["page"] == 3 and len(s["widgets"]) == 1, (r["verdict"], s["page"], s["widgets"])
a = s["rect"]
cx, cy = (a[0] + a[2]) / 2 * 25.4 / 72, 297 - (a[1] + a[3]) / 2 * 25.4 / 72
print(f"keyword: seal centre {cx:.2f},{cy:.2f} mm, the word at {x0:.1f},{y0:.1f}-{x1:.1f},{y1:.1f}")
assert x0 <= cx <= x1 and y0 - 1 <= cy <= y1 + 1, (cx, cy)
PY
# The seam: one strip on each of the 3 pages, flush with the right edge (210 mm).
python3 - pdf-seam.json <<'PY' || fail "the seam seal: $(head -c 600 pdf-seam.json)"
import json, sys
r = json.load(open(sys.argv[1]))
s = r["signatures"][-1]
assert r["verdict"] == "VALID", r["verdict"]
assert sorted(w["page"] for w in s["widgets"]) == [1, 2, 3], s["widgets"]
for w in s["widgets"]:
    assert abs(w["rect"][2] * 25.4 / 72 - 210) < 0.5, w
print("seam: strips at the right edge of pages 1, 2, 3")
PY

[ "$(find "$SHOTS" -name '*.png' | wc -l)" -ge 10 ] || fail "not every screenshot was saved in $SHOTS"
# The service keeps no uploaded document once it was stamped: what is left is the upload
# the seal locked on (never stamped; it goes when it expires), its file and description.
[ "$(find "$DATA/serve" -type f | wc -l)" = 2 ] && [ "$(find "$DATA/serve" -name 'upload-*.json' | wc -l)" = 1 ] ||
    fail "the service kept files: $(find "$DATA/serve" -type f)"

# An upload is its owner's only: the demo API key's upload is unknown to the clerk's session.
KEY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["api_key"]["key"])' "$WORK/manifest.json")
[ "$(call POST /api/v1/documents up.json -H "Authorization: Bearer $KEY" \
    -F "file=@$SEAL_SOURCE_DIR/samples/contract-zh.pdf;type=application/pdf")" = 201 ] ||
    fail "an upload with the API key: $(cat up.json)"
DOC_ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' up.json)
python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["desk"]; print(json.dumps({"login": m["login"], "password": m["password"]}))' \
    "$WORK/manifest.json" >login.json
[ "$(call POST /api/v1/session session.json -c cookies -H "Content-Type: application/json" --data-binary @login.json)" = 201 ] ||
    fail "the clerk's login: $(cat session.json)"
[ "$(call GET "/api/v1/documents/$DOC_ID" other.json -b cookies)" = 404 ] ||
    fail "the clerk's session sees the API key's upload: $(cat other.json)"
expect_problem other.json 404 document-not-found
[ "$(call GET "/api/v1/documents/$DOC_ID/pages/1" other-page.out -b cookies)" = 404 ] ||
    fail "the clerk's session renders the API key's upload"
[ "$(call GET "/api/v1/documents/$DOC_ID" mine.json -H "Authorization: Bearer $KEY")" = 200 ] ||
    fail "the owner cannot read its upload: $(cat mine.json)"
