#!/usr/bin/env bash
# An OFD package of two documents (two DocBody elements, GB/T 33190 7.4), made here from
# the corpus' helloworld.ofd with python3 zipfile: document 2 is a copy on an A5 page.
# `--doc 2` stamps document 2 page 1 (its own signature list, named by the second DocBody
# only), verify says VALID and names document 2, render draws document 2's page (A5 size)
# with the seal's red where it was placed and document 1's page without it; the
# verification page's picture of the seal is cut from document 2's page. `--doc 3`
# on this file and `--doc 2` on a PDF are refused as usage errors with no output file.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

C="${SEAL_CORPUS:-}"
[ -f "$C/ofd/helloworld.ofd" ] || { echo "ofd_multidoc: the corpus is absent; skipping"; exit 77; }

make_demo
SM2=$(seal_of sm2 id official); SM2_PIN=$(seal_of sm2 pin official)
TWO="$WORK/two.ofd"

python3 - "$C/ofd/helloworld.ofd" "$TWO" <<'PY'
import sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
z = zipfile.ZipFile(src)
with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
    for i in z.infolist():
        if i.is_dir():
            continue
        data = z.read(i.filename)
        if i.filename == "OFD.xml":
            text = data.decode()
            body = text[text.index("<ofd:DocBody>"):text.index("</ofd:DocBody>") + 14]
            second = body.replace("Doc_0/", "Doc_1/").replace(
                "<ofd:DocID>", "<ofd:DocID>2")
            data = text.replace(body, body + second).encode()
        out.writestr(i.filename, data)
        if i.filename.startswith("Doc_0/"):
            copy = data.replace(b"0 0 210 297", b"0 0 148 210")
            out.writestr("Doc_1/" + i.filename[6:], copy)
PY

# --- stamp document 2, page 1 ---
OUT="$WORK/two-stamped.ofd"
SEALSVC_PIN=$SM2_PIN "$SEALSVC" --data "$DATA" stamp "$TWO" "$OUT" --seal "$SM2" --doc 2 \
    --at 30,40 >"$WORK/stamp.out" 2>"$WORK/stamp.err" ||
    fail "stamp --doc 2 failed: $(cat "$WORK/stamp.err")"
grep -q "on document 2, page 1 at 30.0,40.0 mm" "$WORK/stamp.out" ||
    fail "stamp does not name document 2: $(cat "$WORK/stamp.out")"
python3 - "$OUT" <<'PY' || fail "the stamped package is not laid out as expected"
import re, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
ofd = z.read("OFD.xml").decode()
bodies = re.findall(r"<ofd:DocBody>.*?</ofd:DocBody>", ofd)
assert len(bodies) == 2, bodies
assert "Signatures" not in bodies[0], "document 1 got a signature list"
assert "<ofd:Signatures>/Doc_1/Signs/Signatures.xml</ofd:Signatures>" in bodies[1], bodies[1]
lst = z.read("Doc_1/Signs/Signatures.xml").decode()
sig = re.search(r'BaseLoc="/?([^"]*)"', lst).group(1)
assert sig.startswith("Doc_1/Signs/Sign_0/"), sig
text = z.read(sig).decode()
assert 'FileRef="/Doc_1/Pages/Page_0/Content.xml"' in text
assert 'FileRef="/OFD.xml"' in text
PY

# --- verify: VALID, the report names document 2 ---
expect_exit 0 "$SEALSVC" --data "$DATA" verify "$OUT" --trust "$DATA/pki/issuing-ca.pem" --json
python3 - "$WORK/out" <<'PY' || fail "the verify report is not what was expected: $(cat "$WORK/out")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == "VALID", r["verdict"]
assert len(r["signatures"]) == 1
s = r["signatures"][0]
assert s["document"] == 2 and s["page"] == 1, (s["document"], s["page"])
place = [c for c in s["checks"] if c["name"] == "placement"][0]
assert "document 2 page 1" in place["detail"], place
PY
expect_exit 0 "$SEALSVC" --data "$DATA" verify "$OUT" --trust "$DATA/pki/issuing-ca.pem"
grep -q "Document:   2" "$WORK/out" || fail "the text report does not name document 2"
# Only document 1's signatures: there are none.
expect_exit 2 "$SEALSVC" --data "$DATA" verify "$OUT" --doc 1 --json
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["signatures"] == []' "$WORK/out" ||
    fail "verify --doc 1 reports document 2's signature"

# --- the verification page's pictures: document 2's seal cut from document 2's A5 page
# (not from document 1's page of the same number), with red where the seal is
. "$(dirname "$0")/lib/serve.sh"
SEALSVC_VERIFY_OFFLINE=true start_serve "$WORK/serve.log"
curl -s -o "$WORK/pictures.json" -F "file=@$OUT" "$SERVE_URL/api/v1/verify?pictures=1"
python3 - "$WORK/pictures.json" "$WORK" <<'PY' || fail "the pictures of document 2: $(head -c 400 "$WORK/pictures.json")"
import base64, json, sys
s = json.load(open(sys.argv[1]))["signatures"][0]
p = s["picture"]
assert p["page"] == 1 and [round(v) for v in p["page_size_mm"]] == [148, 210], p["page_size_mm"]
box = p["box_mm"]
# the seal was placed with its centre at 30,40 mm
assert abs(box[0] + box[2] / 2 - 30) < 1 and abs(box[1] + box[3] / 2 - 40) < 1, box
open(sys.argv[2] + "/seal.png", "wb").write(base64.b64decode(p["seal_png"]))
PY
read -r red area < <(python3 "$SEAL_SOURCE_DIR/tests/integration/lib/redpixels.py" "$WORK/seal.png" 25.4 0 0 1000 1000)
[ "$red" -gt $((area / 20)) ] || fail "the picture of document 2's seal holds no seal ($red red of $area)"

# --- render: document 2's page is A5 and shows the seal in red where it was placed ---
DPI=50
"$SEALSVC" render "$OUT" --doc 2 --dpi $DPI -o "$WORK/d2.png" >"$WORK/r.out" ||
    fail "render --doc 2 failed"
grep -q "document 2, page 1" "$WORK/r.out" || fail "render does not name document 2"
"$SEALSVC" render "$OUT" --doc 2 --dpi $DPI --no-stamps -o "$WORK/d2-bare.png" >/dev/null
"$SEALSVC" render "$OUT" --dpi $DPI -o "$WORK/d1.png" >/dev/null
for f in d2 d2-bare d1; do convert "$WORK/$f.png" ppm:- >"$WORK/$f.ppm"; done
python3 - "$WORK" $DPI "$OUT" <<'PY' || fail "the rendered pages are not what was expected"
import re, sys, zipfile
work, dpi = sys.argv[1], float(sys.argv[2])
sig = zipfile.ZipFile(sys.argv[3]).read("Doc_1/Signs/Sign_0/Signature.xml").decode()
bx, by, bw, bh = map(float, re.search(r'Boundary="([^"]*)"', sig).group(1).split())
def ppm(name):
    d = open(f"{work}/{name}.ppm", "rb").read()
    parts = d.split(maxsplit=4)
    w, h = int(parts[1]), int(parts[2])
    return w, h, parts[4][-w * h * 3:]
def red(img, box=None):
    w, h, px = img
    mm = 25.4 / dpi
    n = 0
    for y in range(h):
        for x in range(w):
            r, g, b = px[(y * w + x) * 3:(y * w + x) * 3 + 3]
            if r > g + 60 and r > b + 60:
                cx, cy = (x + 0.5) * mm, (y + 0.5) * mm
                if box is None or (box[0] <= cx <= box[2] and box[1] <= cy <= box[3]):
                    n += 1
    return n
d2, bare, d1 = ppm("d2"), ppm("d2-bare"), ppm("d1")
a5 = (round(148 / 25.4 * dpi), round(210 / 25.4 * dpi))
assert abs(d2[0] - a5[0]) <= 1 and abs(d2[1] - a5[1]) <= 1, (d2[:2], a5)
assert d1[0] > d2[0], "document 1's page is not the A4 one"
inside = red(d2, (bx - 1, by - 1, bx + bw + 1, by + bh + 1))
print("red inside", inside, "everywhere", red(d2), "without stamps", red(bare), "document 1", red(d1))
assert inside > 200, inside
assert red(d2) - inside < 0.02 * inside
assert red(bare) == 0 and red(d1) == 0
PY

# --- refusals: a document the file does not hold ---
expect_exit 64 env SEALSVC_PIN="$SM2_PIN" "$SEALSVC" --data "$DATA" stamp "$TWO" "$WORK/d3.ofd" \
    --seal "$SM2" --doc 3 --at 30,40
grep -q "document 3 does not exist (the package holds 2 documents)" "$WORK/err" ||
    fail "stamp --doc 3 says: $(cat "$WORK/err")"
[ ! -e "$WORK/d3.ofd" ] || fail "stamp --doc 3 left an output file"
expect_exit 64 "$SEALSVC" render "$TWO" --doc 3 -o "$WORK/d3.png"
grep -q "document 3 does not exist" "$WORK/err" || fail "render --doc 3 says: $(cat "$WORK/err")"
[ ! -e "$WORK/d3.png" ] || fail "render --doc 3 left an output file"
expect_exit 64 "$SEALSVC" verify "$OUT" --doc 3
grep -q "document 3 does not exist" "$WORK/err" || fail "verify --doc 3 says: $(cat "$WORK/err")"

# --- a PDF holds one document ---
PDF="$C/pdf/fontembed.pdf"
if [ -f "$PDF" ]; then
    expect_exit 64 env SEALSVC_PIN="$SM2_PIN" "$SEALSVC" --data "$DATA" stamp "$PDF" \
        "$WORK/p.pdf" --seal "$SM2" --doc 2 --at 30,40
    grep -q "holds a single document" "$WORK/err" || fail "stamp --doc 2 on a PDF says: $(cat "$WORK/err")"
    [ ! -e "$WORK/p.pdf" ] || fail "stamp --doc 2 on a PDF left an output file"
    expect_exit 64 "$SEALSVC" render "$PDF" --doc 2 -o "$WORK/p.png"
    grep -q "holds a single document" "$WORK/err" || fail "render --doc 2 on a PDF says: $(cat "$WORK/err")"
    expect_exit 64 "$SEALSVC" verify "$PDF" --doc 2
    grep -q "holds a single document" "$WORK/err" || fail "verify --doc 2 on a PDF says: $(cat "$WORK/err")"
fi
echo "ofd_multidoc: OK"
