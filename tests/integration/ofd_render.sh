#!/usr/bin/env bash
# sealsvc render, checked against what the documents' XML says (read here with Python's
# zipfile, not with our reader) and against Poppler's own pdftoppm/pdftotext/qpdf: every
# corpus OFD renders; each seal's pixels lie inside its StampAnnot Boundary (and Clip);
# seam slices sit at the page edges; text is dark where its Boundary is; a PDF page matches
# pdftoppm; OFD -> PDF passes qpdf --check and keeps its text; hostile inputs are refused
# with a clear message, no output file and the input unchanged.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
CORPUS="${SEAL_CORPUS:-}/ofd"
if [ ! -d "$CORPUS" ]; then
    echo "SKIP: the shared corpus is not at ${SEAL_CORPUS:-<unset>}" >&2
    exit 77
fi
DPI=36
# Two leaks that are not ours show under LeakSanitizer (tests/run.sh): Poppler, asked for
# a font a PDF does not embed, has fontconfig load its configuration, which it keeps for
# the life of the process; and Cairo 1.16 loses 192 bytes when it subsets an OpenType
# (CFF) font into a PDF in cairo_surface_finish (a ten-line program that only draws text
# with fonts/SealSerifSC-Bold.otf on a PDF surface shows the same). Full stacks
# (fast_unwind_on_malloc=0) let the suppressions name those functions, not whole libraries.
printf 'leak:FcInitLoadConfigAndFonts\nleak:cairo_surface_finish\n' >"$WORK/lsan.supp"
export LSAN_OPTIONS="suppressions=$WORK/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"

# A PNG/PPM reader (zlib and the five PNG filters, ISO/IEC 15948 9.2) and the checks that
# need pixels. Pages are rendered at a low dpi so that pure Python reads them quickly.
cat >"$WORK/px.py" <<'PY'
import json, re, struct, sys, zipfile, zlib

def read_png(path):
    d = open(path, "rb").read()
    if d[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG")
    i, idat = 8, b""
    while i < len(d):
        n, t = struct.unpack(">I4s", d[i:i + 8])
        c = d[i + 8:i + 8 + n]
        i += 12 + n
        if t == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", c)
        elif t == b"IDAT":
            idat += c
    if depth != 8 or interlace or ctype not in (0, 2, 4, 6):
        sys.exit(f"{path}: PNG form {depth}/{ctype}/{interlace} not read here")
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev, p = [], bytearray(stride), 0
    for _ in range(h):
        f = raw[p]
        line = bytearray(raw[p + 1:p + 1 + stride])
        p += 1 + stride
        if f == 1:
            for x in range(bpp, stride):
                line[x] = (line[x] + line[x - bpp]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f == 3:
            for x in range(stride):
                left = line[x - bpp] if x >= bpp else 0
                line[x] = (line[x] + ((left + prev[x]) >> 1)) & 255
        elif f == 4:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                b = prev[x]
                c = prev[x - bpp] if x >= bpp else 0
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    def rgb(line, x):
        o = x * bpp
        return (line[o],) * 3 if bpp < 3 else tuple(line[o:o + 3])
    return w, h, [[rgb(r, x) for x in range(w)] for r in rows]

def read_ppm(path):
    d = open(path, "rb").read()
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", d)
    w, h = int(m.group(1)), int(m.group(2))
    px = d[m.end():]
    return w, h, [[tuple(px[(y * w + x) * 3:(y * w + x) * 3 + 3]) for x in range(w)]
                  for y in range(h)]

def read_any(path):
    return read_ppm(path) if path.endswith(".ppm") else read_png(path)

NS = "{http://www.ofdspec.org/2016}"
def xml(z, name):
    import xml.etree.ElementTree as ET
    return ET.fromstring(z.read(name.lstrip("/")))

def local(e):
    return e.tag.split("}")[-1]

def find_all(root, tag):
    return [e for e in root.iter() if local(e) == tag]

def text_of(root, tag):
    for e in root.iter():
        if local(e) == tag:
            return (e.text or "").strip()
    return None

def resolve(base, ref):
    if ref.startswith("/"):
        return ref.lstrip("/")
    folder = base.rsplit("/", 1)[0] + "/" if "/" in base else ""
    return folder + ref

def model(path):
    """Pages (ID, size) and StampAnnots, read the plain way from the XML."""
    z = zipfile.ZipFile(path)
    ofd = xml(z, "OFD.xml")
    doc_path = text_of(ofd, "DocRoot").lstrip("/")
    doc = xml(z, doc_path)
    area = [e for e in doc.iter() if local(e) == "PhysicalBox"][0].text.split()
    pages = []
    for p in find_all(doc, "Page"):
        content = resolve(doc_path, p.get("BaseLoc"))
        own = [e for e in xml(z, content).iter() if local(e) == "PhysicalBox"]
        box = own[0].text.split() if own else area
        pages.append({"id": p.get("ID"), "w": float(box[2]), "h": float(box[3])})
    stamps = []
    sigs_ref = text_of(ofd, "Signatures")
    if sigs_ref:
        sigs_path = resolve("OFD.xml", sigs_ref)
        for s in find_all(xml(z, sigs_path), "Signature"):
            spath = resolve(sigs_path, s.get("BaseLoc"))
            if spath not in z.namelist():
                spath = s.get("BaseLoc").lstrip("/")
            for a in find_all(xml(z, spath), "StampAnnot"):
                b = [float(v) for v in a.get("Boundary").split()]
                c = [float(v) for v in a.get("Clip").split()] if a.get("Clip") else None
                stamps.append({"page": a.get("PageRef"), "boundary": b, "clip": c})
    return pages, stamps

def stamp_rects(stamps, page_id):
    """Where a seal may draw on the page: Boundary, cut by Clip (OFD-SEAL.md 4)."""
    rects = []
    for s in stamps:
        if s["page"] != page_id:
            continue
        x, y, w, h = s["boundary"]
        if s["clip"]:
            cx, cy, cw, ch = s["clip"]
            x, y, w, h = x + cx, y + cy, cw, ch
        rects.append((x, y, x + w, y + h))
    return rects

def cmd_size(args):
    w, h, _ = read_any(args[0])
    print(w, h)

def cmd_page_size(args):
    pages, _ = model(args[0])
    p = pages[int(args[1]) - 1]
    print(p["w"], p["h"])

def cmd_seal(args):
    """The pixels that the seals change (with vs without) lie in the stamp rectangles, fill
    a good part of them, and are mostly red."""
    ofd, page, with_png, without_png, dpi = args[0], int(args[1]), args[2], args[3], float(args[4])
    pages, stamps = model(ofd)
    rects = stamp_rects(stamps, pages[page - 1]["id"])
    if not rects:
        sys.exit(f"{ofd}: no StampAnnot on page {page}")
    w, h, a = read_png(with_png)
    _, _, b = read_png(without_png)
    mm = 25.4 / dpi
    tol = 1.5  # mm: antialiasing and pixel rounding
    changed = red = outside = 0
    for y in range(h):
        for x in range(w):
            p, q = a[y][x], b[y][x]
            if max(abs(p[i] - q[i]) for i in range(3)) < 40:
                continue
            changed += 1
            cx, cy = (x + 0.5) * mm, (y + 0.5) * mm
            if not any(r[0] - tol <= cx <= r[2] + tol and r[1] - tol <= cy <= r[3] + tol
                       for r in rects):
                outside += 1
            if p[0] > p[1] + 60 and p[0] > p[2] + 60:
                red += 1
    area = 0
    for r in rects:
        rw = min(r[2], pages[page - 1]["w"]) - max(r[0], 0)
        rh = min(r[3], pages[page - 1]["h"]) - max(r[1], 0)
        area += max(rw, 0) * max(rh, 0) / (mm * mm)
    print(json.dumps({"rects": rects, "changed": changed, "outside": outside, "red": red,
                      "area_px": round(area)}))
    if changed < 0.05 * area:
        sys.exit(f"the seal changed {changed} pixels, under 5% of its {area:.0f} px area")
    if outside > 0.01 * changed:
        sys.exit(f"{outside} of the {changed} changed pixels are outside the StampAnnot")
    if red < 0.5 * changed:
        sys.exit(f"only {red} of the {changed} changed pixels are red")

def cmd_dark(args):
    """Dark pixels inside and outside a box in mm: prints 'inside outside'."""
    path, dpi = args[0], float(args[1])
    x0, y0, bw, bh = (float(v) for v in args[2:6])
    w, h, px = read_png(path)
    mm = 25.4 / dpi
    inside = outside = 0
    for y in range(h):
        for x in range(w):
            if sum(px[y][x]) < 3 * 128:
                cx, cy = (x + 0.5) * mm, (y + 0.5) * mm
                if x0 - 1 <= cx <= x0 + bw + 1 and y0 - 1 <= cy <= y0 + bh + 1:
                    inside += 1
                else:
                    outside += 1
    print(inside, outside)

def cmd_compare(args):
    """Prints the share of pixels (%) that differ by more than 64 in a channel, and the
    share of inked 4 x 4 blocks (%) whose mean differs by more than 32: renderers with other
    antialiasing (Splash) differ at glyph edges, a wrong or blank page in whole blocks."""
    w1, h1, a = read_any(args[0])
    w2, h2, b = read_any(args[1])
    if (w1, h1) != (w2, h2):
        sys.exit(f"sizes differ: {w1}x{h1} and {w2}x{h2}")
    bad = sum(1 for y in range(h1) for x in range(w1)
              if max(abs(a[y][x][i] - b[y][x][i]) for i in range(3)) > 64)
    ink = bad_blocks = 0
    for by in range(0, h1 - 3, 4):
        for bx in range(0, w1 - 3, 4):
            ma = sum(sum(a[y][x]) for y in range(by, by + 4) for x in range(bx, bx + 4)) / 48
            mb = sum(sum(b[y][x]) for y in range(by, by + 4) for x in range(bx, bx + 4)) / 48
            if ma < 240 or mb < 240:
                ink += 1
                bad_blocks += abs(ma - mb) > 32
    print(f"{100.0 * bad / (w1 * h1):.3f} {100.0 * bad_blocks / max(ink, 1):.2f} {ink}")

{"size": cmd_size, "page-size": cmd_page_size, "seal": cmd_seal, "dark": cmd_dark,
 "compare": cmd_compare}[sys.argv[1]](sys.argv[2:])
PY
PX="python3 $WORK/px.py"

# Pixels of a page of width_mm at DPI, as seal_render_pixel_size rounds.
px_of() {
    python3 -c "import math,sys; print(math.ceil(float(sys.argv[1]) / 25.4 * float(sys.argv[2]) - 1e-6))" "$1" "$2"
}

# --- every corpus OFD renders page 1, at the page size its XML gives ---
for src in "$CORPUS"/*.ofd; do
    name=$(basename "$src" .ofd)
    before=$(sha "$src")
    "$SEALSVC" render "$src" --dpi $DPI -o "$WORK/$name.png" >"$WORK/out" 2>"$WORK/err" ||
        fail "$name: render failed: $(cat "$WORK/err")"
    [ "$(sha "$src")" = "$before" ] || fail "$name: the input changed"
    read -r wmm hmm < <($PX page-size "$src" 1)
    read -r w h < <($PX size "$WORK/$name.png")
    [ "$w $h" = "$(px_of "$wmm" $DPI) $(px_of "$hmm" $DPI)" ] ||
        fail "$name: the PNG is $w x $h px for a $wmm x $hmm mm page at $DPI dpi"
    echo "$name: page 1 rendered ($w x $h px)"
done

# --- seals: the pixels they change lie in their StampAnnot Boundary (and Clip) ---
# (seal-v1's StampAnnot names its second page)
for case in SESV4SignDoc:1 allprotected:1 invoice-signed:1 keyword:1 seal-v1:2 two-seals-v4:1; do
    name=${case%:*} page=${case#*:}
    for stamps in "" --no-stamps; do
        "$SEALSVC" render "$CORPUS/$name.ofd" --page "$page" --dpi $DPI $stamps \
            -o "$WORK/$name.p$page$stamps.png" >/dev/null 2>"$WORK/err" ||
            fail "$name: render $stamps failed: $(cat "$WORK/err")"
    done
    $PX seal "$CORPUS/$name.ofd" "$page" "$WORK/$name.p$page.png" "$WORK/$name.p$page--no-stamps.png" \
        $DPI >"$WORK/seal.json" 2>"$WORK/err" || fail "$name: $(cat "$WORK/err")"
    echo "$name: seal in place on page $page $(cat "$WORK/seal.json")"
done

# --- the seam seal: on each of the five pages, its slice sits at the right edge ---
for page in 1 2 3 4 5; do
    "$SEALSVC" render "$CORPUS/seam-v4.ofd" --page $page --dpi $DPI -o "$WORK/seam$page.png" \
        >/dev/null
    "$SEALSVC" render "$CORPUS/seam-v4.ofd" --page $page --dpi $DPI --no-stamps \
        -o "$WORK/seam$page.bare.png" >/dev/null
    $PX seal "$CORPUS/seam-v4.ofd" $page "$WORK/seam$page.png" "$WORK/seam$page.bare.png" $DPI \
        >"$WORK/seal.json" 2>"$WORK/err" || fail "seam-v4 page $page: $(cat "$WORK/err")"
    python3 - "$WORK/seal.json" <<'PY' || fail "seam-v4 page $page: the slice is not at the edge"
import json, sys
r = json.load(open(sys.argv[1]))["rects"]
# each page's slice: 8 mm wide, ending at the page's right edge (210 mm)
assert len(r) == 1 and abs(r[0][2] - 210) < 0.01 and abs(r[0][2] - r[0][0] - 8) < 0.01, r
PY
    echo "seam-v4 page $page: slice at the right edge"
done

# --- text: helloworld's TextObject (Boundary 31.7 25.4 40.5 5) is dark, nothing else ---
"$SEALSVC" render "$CORPUS/helloworld.ofd" --dpi 72 -o "$WORK/hello72.png" >/dev/null
read -r inside outside < <($PX dark "$WORK/hello72.png" 72 31.7 25.4 40.5 5)
[ "$inside" -gt 150 ] && [ "$outside" = 0 ] ||
    fail "helloworld: $inside dark pixels in the text's Boundary, $outside outside"
echo "helloworld: $inside dark pixels, all inside the TextObject's Boundary"

# --- a PDF page renders as Poppler's own tools render it: pixel for pixel like pdftocairo
# (the same Cairo backend), and like pdftoppm (Splash) up to antialiasing ---
for pdf in "$SEAL_SOURCE_DIR/samples/contract-zh.pdf" "$SEAL_CORPUS/pdf/minimal-two-pages.pdf"; do
    [ -f "$pdf" ] || continue
    name=$(basename "$pdf" .pdf)
    "$SEALSVC" render "$pdf" --page 1 --dpi 50 -o "$WORK/$name.p1.png" >/dev/null 2>"$WORK/err" ||
        fail "$name: render failed: $(cat "$WORK/err")"
    pdftoppm -r 50 -f 1 -l 1 -singlefile "$pdf" "$WORK/$name.splash"
    pdftocairo -png -r 50 -f 1 -l 1 -singlefile "$pdf" "$WORK/$name.cairo"
    read -r bad_px bad_blocks ink < <($PX compare "$WORK/$name.p1.png" "$WORK/$name.splash.ppm")
    [ "$ink" -gt 20 ] || fail "$name: the reference page has no ink to compare"
    python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 20 else 1)" "$bad_blocks" ||
        fail "$name: $bad_blocks% of the inked blocks differ from pdftoppm's rendering"
    read -r bad_cairo _ _ < <($PX compare "$WORK/$name.p1.png" "$WORK/$name.cairo.png")
    python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 0.5 else 1)" "$bad_cairo" ||
        fail "$name: $bad_cairo% of the pixels differ from pdftocairo's rendering"
    echo "$name: page 1 matches pdftocairo ($bad_cairo% pixels differ) and pdftoppm" \
        "($bad_blocks% of $ink inked blocks differ)"
done
expect_exit 3 "$SEALSVC" render "$SEAL_SOURCE_DIR/samples/contract-zh.pdf" --page 9 -o "$WORK/p9.png"
grep -q "page 9 does not exist (document has 3 pages)" "$WORK/err" || fail "PDF page 9: $(cat "$WORK/err")"
[ ! -e "$WORK/p9.png" ] || fail "a PNG was written for a page that does not exist"

# --- OFD -> PDF: qpdf accepts it, the text is text, pages keep their size ---
"$SEALSVC" render "$CORPUS/helloworld.ofd" -o "$WORK/hello.pdf" >/dev/null
qpdf --check "$WORK/hello.pdf" >"$WORK/qpdf.txt" 2>&1 || fail "qpdf --check: $(cat "$WORK/qpdf.txt")"
pdftotext "$WORK/hello.pdf" - | tr -d ' \n\f' | grep -q "你好呀，OFDReader&Writer！" ||
    fail "pdftotext does not find helloworld's text: $(pdftotext "$WORK/hello.pdf" -)"
"$SEALSVC" render "$CORPUS/seam-v4.ofd" -o "$WORK/seam.pdf" >/dev/null
qpdf --check "$WORK/seam.pdf" >/dev/null 2>&1 || fail "qpdf --check rejects seam.pdf"
pdfinfo "$WORK/seam.pdf" | grep -q "^Pages: *5$" || fail "seam.pdf does not have 5 pages"
"$SEALSVC" render "$CORPUS/invoice-signed.ofd" -o "$WORK/invoice.pdf" >/dev/null
pdfinfo "$WORK/invoice.pdf" | grep -q "Page size: *595.276 x 396.85 pts" ||
    fail "the invoice (210 x 140 mm) is not 595.276 x 396.85 pt: $(pdfinfo "$WORK/invoice.pdf")"
pdftotext "$WORK/invoice.pdf" - | tr -d ' \n\f' | grep -q "国家税务总局" ||
    fail "the invoice PDF lacks the seal's text"
echo "OFD -> PDF: qpdf --check passes, pdftotext finds the text, page sizes kept"

# --- hostile and broken inputs: refused, nothing written, input unchanged ---
# mutate SRC OUT FILE PYTHON-EXPRESSION [NAME=CONTENT]...: a copy of an OFD with one XML
# file changed (s is its text) and extra entries added.
mutate() {
    python3 - "$@" <<'PY'
import sys, zipfile
src, out, name, expr = sys.argv[1:5]
extra = dict(a.split("=", 1) for a in sys.argv[5:])
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
    for item in zin.infolist():
        data = zin.read(item.filename)
        if item.filename == name:
            s = data.decode("utf-8")
            data = eval(expr).encode("utf-8")
        zout.writestr(item.filename, data)
    for k, v in extra.items():
        zout.writestr(k, v)
PY
}
refused() { # NAME WORDS CMD...: exit 3, message has WORDS, no output, input unchanged
    local name=$1 words=$2
    shift 2
    local before
    before=$(sha "$WORK/$name.ofd")
    rm -f "$WORK/$name.out.png" "$WORK/$name.out.pdf"
    expect_exit 3 "$@"
    grep -qF -- "$words" "$WORK/err" || fail "$name: message lacks '$words': $(cat "$WORK/err")"
    [ ! -e "$WORK/$name.out.png" ] && [ ! -e "$WORK/$name.out.pdf" ] ||
        fail "$name: an output file was written"
    [ "$(sha "$WORK/$name.ofd")" = "$before" ] || fail "$name: the input changed"
    echo "$name: refused ($(cat "$WORK/err"))"
}
HELLO_PAGE=Doc_0/Pages/Page_0/Content.xml
LAYER_END='</ofd:Layer>'
mutate "$CORPUS/helloworld.ofd" "$WORK/badpath.ofd" $HELLO_PAGE \
    "s.replace('$LAYER_END', '<ofd:PathObject ID=\"9\" Boundary=\"0 0 9 9\"><ofd:AbbreviatedData>M 0 0 L 5 5 X 1</ofd:AbbreviatedData></ofd:PathObject>$LAYER_END')"
refused badpath "PathObject 9: AbbreviatedData: unknown operator 'X'" \
    "$SEALSVC" render "$WORK/badpath.ofd" -o "$WORK/badpath.out.png"
refused badpath "unknown operator" "$SEALSVC" render "$WORK/badpath.ofd" -o "$WORK/badpath.out.pdf"

IMAGE='<ofd:ImageObject ID=\"9\" Boundary=\"0 0 9 9\" CTM=\"9 0 0 9 0 0\" ResourceID=\"8\"/>'
MEDIA='<ofd:MultiMedias><ofd:MultiMedia ID=\"8\" Type=\"Image\"><ofd:MediaFile>pic.png</ofd:MediaFile></ofd:MultiMedia></ofd:MultiMedias></ofd:Res>'
mutate "$CORPUS/helloworld.ofd" "$WORK/step.ofd" Doc_0/PublicRes.xml "s.replace('</ofd:Res>', '$MEDIA')"
mutate "$WORK/step.ofd" "$WORK/noimage.ofd" $HELLO_PAGE "s.replace('$LAYER_END', '$IMAGE$LAYER_END')"
refused noimage "ImageObject 9: image resource 8" "$SEALSVC" render "$WORK/noimage.ofd" -o "$WORK/noimage.out.png"
grep -q "Doc_0/Res/pic.png" "$WORK/err" || fail "the message does not name the missing file"
mutate "$WORK/noimage.ofd" "$WORK/badimage.ofd" OFD.xml "s" "Doc_0/Res/pic.png=not a picture at all"
refused badimage "not an image this renderer reads" \
    "$SEALSVC" render "$WORK/badimage.ofd" -o "$WORK/badimage.out.png"

mutate "$CORPUS/helloworld.ofd" "$WORK/hugepage.ofd" Doc_0/Document.xml \
    "s.replace('0 0 210 297</ofd:PhysicalBox>', '0 0 90000 90000</ofd:PhysicalBox>')"
refused hugepage "million pixels" "$SEALSVC" render "$WORK/hugepage.ofd" -o "$WORK/hugepage.out.png"
refused hugepage "at most 5080 mm" "$SEALSVC" render "$WORK/hugepage.ofd" -o "$WORK/hugepage.out.pdf"
cp "$CORPUS/helloworld.ofd" "$WORK/hello.ofd"
refused hello "million pixels" "$SEALSVC" render "$WORK/hello.ofd" --dpi 2400 -o "$WORK/hello.out.png"
refused hello "page 4 does not exist (the document has 1 page)" \
    "$SEALSVC" render "$WORK/hello.ofd" --page 4 -o "$WORK/hello.out.png"
echo "not a document" >"$WORK/text.ofd"
refused text "neither a PDF nor an OFD" "$SEALSVC" render "$WORK/text.ofd" -o "$WORK/text.out.png"
expect_exit 64 "$SEALSVC" render "$WORK/hello.ofd" --dpi 9000 -o "$WORK/x.png"
expect_exit 64 "$SEALSVC" render "$WORK/hello.ofd" -o "$WORK/x.txt"
expect_exit 64 "$SEALSVC" render "$WORK/hello.ofd" --page 2 -o "$WORK/x.pdf"
expect_exit 64 "$SEALSVC" render "$WORK/hello.ofd" -o "$WORK/hello.ofd"
[ ! -e "$WORK/x.png" ] && [ ! -e "$WORK/x.txt" ] && [ ! -e "$WORK/x.pdf" ] ||
    fail "a usage error wrote a file"
echo "ofd_render: all checks passed"
