#!/usr/bin/env bash
# Placement with one signature: --pages puts the seal on each listed page and no other;
# --keyword centres it on the text where pdftotext -bbox finds it (Chinese, a rotated
# page, a word drawn in several text runs, every occurrence or the N-th, with an offset);
# --seam cuts it into strips at the page edges that, cut out of the renderings and put
# side by side, give back the seal picture. pdfsig and our verify call every signature
# valid and list every widget; earlier signatures see later widgets as allowed changes;
# existing form fields survive (qpdf --check, qpdf --json); mistakes are refused with
# the input untouched.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
PLACETOOL="python3 $SEAL_SOURCE_DIR/tests/integration/lib/placetool.py"
CORPUS="${SEAL_CORPUS:-$SEAL_SOURCE_DIR/../shared/corpus}/pdf"

make_demo
SEAL=$(seal_of rsa id official); PIN=$(seal_of rsa pin official)
SEAL_PNG="$DATA/seals/$SEAL.png"
SAMPLE="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"
DPI=100
SEAM_DPI=200 # strips are compared with the picture at this resolution

stamp() {
    "$SEALSVC" --data "$DATA" stamp "$@" --seal "$SEAL" --pin "$PIN" >"$WORK/stamp.out" 2>&1 ||
        fail "stamp $*: $(cat "$WORK/stamp.out")"
}

render() { # PDF PAGE -> $WORK/page.ppm, the page as shown (CropBox)
    rm -f "$WORK"/render-*.ppm
    pdftoppm -cropbox -r $DPI -f "$2" -l "$2" "$1" "$WORK/render"
    mv "$(ls "$WORK"/render-*.ppm | head -1)" "$WORK/page.ppm"
}

# The red box (within a region, mm) centred at X,Y within 1 mm, of size W x H within 1.5.
assert_seal_at() { # PDF PAGE X Y W H [X0 Y0 X1 Y1]
    local pdf=$1 page=$2 x=$3 y=$4 w=$5 h=$6
    shift 6
    render "$pdf" "$page"
    local box
    box=$($PLACETOOL redbox "$WORK/page.ppm" $DPI "$@")
    python3 - "$box" "$x" "$y" "$w" "$h" <<'PY' || fail "seal misplaced on $pdf page $page"
import sys
box = sys.argv[1].split()
assert box != ['none'], 'no seal on the page'
cx, cy, w, h = map(float, box)
x, y, ww, hh = map(float, sys.argv[2:])
print('seal centre %.2f,%.2f mm (wanted %.2f,%.2f), size %.1f x %.1f mm' % (cx, cy, x, y, w, h))
assert abs(cx - x) <= 1.0 and abs(cy - y) <= 1.0, 'centre off by more than 1 mm'
assert abs(w - ww) <= 1.5 and abs(h - hh) <= 1.5, 'not the size wanted'
PY
}

# A seam strip: every red pixel of the page lies in the strip's rectangle X0 Y0 X1 Y1 (mm,
# 0.5 mm tolerance) and the red touches the page edge (right, left, top, bottom).
assert_strip() { # PDF PAGE X0 Y0 X1 Y1 EDGE
    render "$1" "$2"
    local box
    box=$($PLACETOOL redbox "$WORK/page.ppm" $DPI)
    python3 - "$box" "$3" "$4" "$5" "$6" "$7" <<'PY' || fail "strip misplaced on $1 page $2"
import sys
box = sys.argv[1].split()
assert box != ['none'], 'no strip on the page'
cx, cy, w, h = map(float, box)
x0, y0, x1, y1 = cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2
want = list(map(float, sys.argv[2:6]))
print('strip %.2f %.2f %.2f %.2f mm (wanted within %.2f %.2f %.2f %.2f)' % (x0, y0, x1, y1, *want))
assert x0 >= want[0] - 0.5 and y0 >= want[1] - 0.5, 'red outside the strip'
assert x1 <= want[2] + 0.5 and y1 <= want[3] + 0.5, 'red outside the strip'
edge = {'right': abs(x1 - want[2]), 'left': abs(x0 - want[0]), 'top': abs(y0 - want[1]),
        'bottom': abs(y1 - want[3])}[sys.argv[6]]
assert edge <= 0.5, 'the strip does not reach the page edge'
PY
}

render_fine() { # PDF PAGE OUT.ppm: the page at SEAM_DPI
    rm -f "$WORK"/fine-*.ppm
    pdftoppm -cropbox -r $SEAM_DPI -f "$2" -l "$2" "$1" "$WORK/fine"
    mv "$(ls "$WORK"/fine-*.ppm | head -1)" "$3"
}

assert_no_seal() { # PDF PAGE
    render "$1" "$2"
    [ "$($PLACETOOL redbox "$WORK/page.ppm" $DPI)" = none ] || fail "a seal on page $2 of $1"
}

# pdfsig: every signature entry valid (Poppler lists a multi-widget field once per widget),
# at least MIN entries; our verify: VALID, SIGS signatures, widget pages as listed.
assert_valid() { # PDF MIN_PDFSIG_ENTRIES SIGS "PAGES OF SIG 1" ["PAGES OF SIG 2"...]
    local pdf=$1 min=$2 sigs=$3
    shift 3
    pdfsig -nssdir "sql:$NSSDB" -no-ocsp "$pdf" >"$WORK/pdfsig.txt" 2>&1 || true
    local entries valid
    entries=$(grep -c '^Signature #' "$WORK/pdfsig.txt" || true)
    valid=$(grep -c 'Signature Validation: Signature is Valid.' "$WORK/pdfsig.txt" || true)
    [ "$entries" -ge "$min" ] && [ "$valid" = "$entries" ] ||
        fail "pdfsig on $pdf: $valid of $entries valid: $(cat "$WORK/pdfsig.txt")"
    qpdf --check "$pdf" >/dev/null || fail "qpdf --check rejects $pdf"
    "$SEALSVC" --data "$DATA" verify "$pdf" --json >"$WORK/verify.json" ||
        fail "verify $pdf: $(cat "$WORK/verify.json")"
    python3 - "$WORK/verify.json" "$sigs" "$@" <<'PY' || fail "verify report of $pdf"
import json, sys
r = json.load(open(sys.argv[1]))
assert r['verdict'] == 'VALID', r['verdict']
assert len(r['signatures']) == int(sys.argv[2]), len(r['signatures'])
for sig, want in zip(r['signatures'], sys.argv[3:]):
    pages = [w['page'] for w in sig['widgets']]
    assert pages == [int(p) for p in want.split()], (sig['field'], pages, want)
    assert sig['verdict'] == 'VALID', sig
PY
}

make_nssdb

# --- --pages: the seal on pages 1 and 3 (last), nowhere else -------------------------
stamp "$SAMPLE" "$WORK/pages.pdf" --at 150,200 --pages 1,last
grep -q 'in 2 places: page 1 at 150.0,200.0 mm; page 3 at 150.0,200.0 mm' "$WORK/stamp.out" ||
    fail "stamp output: $(cat "$WORK/stamp.out")"
assert_seal_at "$WORK/pages.pdf" 1 150 200 42 42
assert_no_seal "$WORK/pages.pdf" 2
assert_seal_at "$WORK/pages.pdf" 3 150 200 42 42
assert_valid "$WORK/pages.pdf" 2 1 "1 3"
# qpdf's own form reader sees one field with a widget on each of the two pages
qpdf --json --json-key=acroform "$WORK/pages.pdf" | python3 -c '
import json, sys
fields = json.load(sys.stdin)["acroform"]["fields"]
widgets = [(f["fullname"], f["pageposfrom1"]) for f in fields]
assert widgets == [("Seal1", 1), ("Seal1", 3)], widgets
' || fail "qpdf does not see one field with two widgets"

# --- --keyword, Chinese: centred on the keyword's box from pdftotext -bbox ------------
# "甲方（盖章）" is the first 6 of the 7 full-width characters of the word "甲方（盖章）：".
read -r kx0 ky0 kx1 ky1 < <($PLACETOOL wordbox "$SAMPLE" 3 "甲方（盖章）")
KX=$(python3 -c "print(($kx0 + $kx0 + ($kx1 - $kx0) * 6 / 7) / 2)")
KY=$(python3 -c "print(($ky0 + $ky1) / 2)")
stamp "$SAMPLE" "$WORK/kw.pdf" --keyword "甲方（盖章）"
assert_seal_at "$WORK/kw.pdf" 3 "$KX" "$KY" 42 42
assert_no_seal "$WORK/kw.pdf" 1
assert_valid "$WORK/kw.pdf" 1 1 "3"
stamp "$SAMPLE" "$WORK/kw-offset.pdf" --keyword "甲方（盖章）" --offset 10,-5
assert_seal_at "$WORK/kw-offset.pdf" 3 "$(python3 -c "print($KX + 10)")" \
    "$(python3 -c "print($KY - 5)")" 42 42

# Every occurrence: "日期" starts both date lines of page 3. Its two full-width characters
# are each one em wide; the em is the line's height scaled as in "甲方（盖章）：", whose
# 7 characters are all full-width (the date line is set in a smaller size).
read -r d1x0 d1y0 d1x1 d1y1 < <($PLACETOOL wordbox "$SAMPLE" 3 "日期")
EM=$(python3 -c "print(($d1y1 - $d1y0) * ($kx1 - $kx0) / 7 / ($ky1 - $ky0))")
stamp "$SAMPLE" "$WORK/dates.pdf" --keyword "日期"
grep -q 'in 2 places' "$WORK/stamp.out" || fail "not two places: $(cat "$WORK/stamp.out")"
D1X=$(python3 -c "print($d1x0 + $EM)")
DY=$(python3 -c "print(($d1y0 + $d1y1) / 2)")
assert_seal_at "$WORK/dates.pdf" 3 "$D1X" "$DY" 42 42 0 0 70 297
read -r d2x0 d2y0 d2x1 d2y1 < <($PLACETOOL wordbox "$SAMPLE" 3 "日期" 2)
D2X=$(python3 -c "print($d2x0 + $EM)")
assert_seal_at "$WORK/dates.pdf" 3 "$D2X" "$DY" 42 42 70 0 210 297
assert_valid "$WORK/dates.pdf" 2 1 "3 3"
# only the second
stamp "$SAMPLE" "$WORK/date2.pdf" --keyword "日期" --occurrence 2
assert_seal_at "$WORK/date2.pdf" 3 "$D2X" "$DY" 42 42
render "$WORK/date2.pdf" 3
[ "$($PLACETOOL redbox "$WORK/page.ppm" $DPI 0 0 70 297)" = none ] ||
    fail "--occurrence 2 also stamped the first date"

# --- --keyword on pages rotated by 90 and 270 degrees --------------------------------
for angle in 90 270; do
    qpdf "$SAMPLE" --rotate=+$angle:3 "$WORK/rot$angle-in.pdf"
    read -r rx0 ry0 rx1 ry1 < <($PLACETOOL wordbox "$WORK/rot$angle-in.pdf" 3 "甲方（盖章）")
    # The text runs down the shown page (90) or up it (270); the keyword is the part of
    # the word without its last character.
    if [ $angle = 90 ]; then
        RY=$(python3 -c "print(($ry0 + $ry0 + ($ry1 - $ry0) * 6 / 7) / 2)")
    else
        RY=$(python3 -c "print(($ry1 + $ry1 - ($ry1 - $ry0) * 6 / 7) / 2)")
    fi
    stamp "$WORK/rot$angle-in.pdf" "$WORK/rot$angle.pdf" --keyword "甲方（盖章）"
    assert_seal_at "$WORK/rot$angle.pdf" 3 "$(python3 -c "print(($rx0 + $rx1) / 2)")" "$RY" 42 42
done

# --- --keyword drawn in several text runs, and restricted by --pages -----------------
$PLACETOOL split-runs "$WORK/runs.pdf"
read -r sx0 sy0 sx1 sy1 < <($PLACETOOL wordbox "$WORK/runs.pdf" 1 "Signature")
stamp "$WORK/runs.pdf" "$WORK/runs-signed.pdf" --keyword Signature
grep -q 'in 2 places' "$WORK/stamp.out" || fail "not two places: $(cat "$WORK/stamp.out")"
assert_seal_at "$WORK/runs-signed.pdf" 1 "$(python3 -c "print(($sx0 + $sx1) / 2)")" \
    "$(python3 -c "print(($sy0 + $sy1) / 2)")" 42 42
read -r tx0 ty0 tx1 ty1 < <($PLACETOOL wordbox "$WORK/runs.pdf" 2 "Signature")
assert_seal_at "$WORK/runs-signed.pdf" 2 "$(python3 -c "print(($tx0 + $tx1) / 2)")" \
    "$(python3 -c "print(($ty0 + $ty1) / 2)")" 42 42
stamp "$WORK/runs.pdf" "$WORK/runs-p2.pdf" --keyword Signature --pages 2
assert_no_seal "$WORK/runs-p2.pdf" 1
assert_valid "$WORK/runs-p2.pdf" 1 1 "2"
# broken across two lines: one hit, centred on its first part ("contract", ending the line)
$PLACETOOL wrapped "$WORK/wrapped.pdf"
read -r ax0 ay0 ax1 ay1 < <($PLACETOOL wordbox "$WORK/wrapped.pdf" 1 contract)
stamp "$WORK/wrapped.pdf" "$WORK/wrapped-signed.pdf" --keyword "contract here"
grep -q 'on page 1 at' "$WORK/stamp.out" || fail "not one place: $(cat "$WORK/stamp.out")"
assert_seal_at "$WORK/wrapped-signed.pdf" 1 "$(python3 -c "print(($ax0 + $ax1) / 2)")" \
    "$(python3 -c "print(($ay0 + $ay1) / 2)")" 42 42
# on a page whose CropBox starts 50 pt right and 100 pt below the MediaBox's corner
# (pdftotext measures from the MediaBox's top-left, so its box moves by 50 and 100 pt)
$PLACETOOL split-runs "$WORK/crop.pdf" crop
stamp "$WORK/crop.pdf" "$WORK/crop-signed.pdf" --keyword Signature --pages 1
assert_seal_at "$WORK/crop-signed.pdf" 1 "$(python3 -c "print(($sx0 + $sx1) / 2 - 50 * 25.4 / 72)")" \
    "$(python3 -c "print(($sy0 + $sy1) / 2 - 100 * 25.4 / 72)")" 42 42

# --- --seam: strips at the edge that put together give back the seal ----------------
# A4 is 210 x 297 mm; a 42 mm seal over 3 pages gives 14 mm strips.
stamp "$SAMPLE" "$WORK/seam-right.pdf" --seam right
for page in 1 2 3; do
    assert_strip "$WORK/seam-right.pdf" $page 196 127.5 210 169.5 right
    render_fine "$WORK/seam-right.pdf" $page "$WORK/seam-right-$page.ppm"
done
$PLACETOOL seam "$SEAL_PNG" $SEAM_DPI right 196 127.5 210 169.5 "$WORK"/seam-right-{1,2,3}.ppm ||
    fail "the right seam's strips do not rebuild the seal"
# the same strips in the wrong order do not rebuild it: the comparison can fail
if $PLACETOOL seam "$SEAL_PNG" $SEAM_DPI right 196 127.5 210 169.5 \
    "$WORK"/seam-right-{3,2,1}.ppm >/dev/null; then
    fail "strips in the wrong order still match the seal: the comparison proves nothing"
fi
assert_valid "$WORK/seam-right.pdf" 3 1 "1 2 3"

# top edge, pages 2-3, 30 mm left of the middle: 21 mm high strips
stamp "$SAMPLE" "$WORK/seam-top.pdf" --seam top --pages 2-3 --offset -30
assert_no_seal "$WORK/seam-top.pdf" 1
for page in 2 3; do
    assert_strip "$WORK/seam-top.pdf" $page 54 0 96 21 top
    render_fine "$WORK/seam-top.pdf" $page "$WORK/seam-top-$page.ppm"
done
$PLACETOOL seam "$SEAL_PNG" $SEAM_DPI top 54 0 96 21 "$WORK"/seam-top-{2,3}.ppm ||
    fail "the top seam's strips do not rebuild the seal"
assert_valid "$WORK/seam-top.pdf" 2 1 "2 3"

# --- later and earlier signatures see each other's widgets as allowed ----------------
stamp "$SAMPLE" "$WORK/chain1.pdf" --at 60,60
stamp "$WORK/chain1.pdf" "$WORK/chain2.pdf" --at 150,250 --pages all
stamp "$WORK/chain2.pdf" "$WORK/chain3.pdf" --seam left
assert_valid "$WORK/chain3.pdf" 7 3 "1" "1 2 3" "1 2 3"
python3 - "$WORK/verify.json" <<'PY' || fail "earlier signatures do not accept the later widgets"
import json, sys
r = json.load(open(sys.argv[1]))
for sig in r['signatures'][:2]:
    changes = [c for c in sig['checks'] if c['name'] == 'changes']
    assert changes and changes[0]['outcome'] == 'VALID', sig
    assert sig['changes'] == [], sig['changes']
PY

# --- existing fields and annotations stay ---------------------------------------------
if [ -d "$CORPUS" ]; then
    for doc in minimal-with-field minimal-two-fields; do
        before=$(qpdf --json --json-key=acroform "$CORPUS/$doc.pdf" |
            python3 -c 'import json,sys; print(" ".join(f["fullname"] for f in json.load(sys.stdin)["acroform"]["fields"]))')
        stamp "$CORPUS/$doc.pdf" "$WORK/$doc.pdf" --at 50,25
        after=$(qpdf --json --json-key=acroform "$WORK/$doc.pdf" |
            python3 -c 'import json,sys; print(" ".join(f["fullname"] for f in json.load(sys.stdin)["acroform"]["fields"]))')
        [ "$after" = "$before Seal1" ] || fail "$doc fields were '$before', now '$after'"
        qpdf --check "$WORK/$doc.pdf" >/dev/null || fail "qpdf --check rejects $doc"
        assert_seal_at "$WORK/$doc.pdf" 1 50 25 42 42
    done
    # a seam across the two small pages (105.8 x 50.8 mm)
    stamp "$CORPUS/minimal-two-pages.pdf" "$WORK/small-seam.pdf" --seam right
    W=$(python3 -c "print(300 * 25.4 / 72)")
    for page in 1 2; do
        assert_strip "$WORK/small-seam.pdf" $page "$(python3 -c "print($W - 21)")" 4.4 "$W" 46.4 right
    done
    assert_valid "$WORK/small-seam.pdf" 2 1 "1 2"
else
    echo "corpus not found at $CORPUS: skipping the corpus checks" >&2
fi

# --- refusals: clear message, exit 3 (64 for usage), no output, input untouched -------
cp "$SAMPLE" "$WORK/in.pdf"
BEFORE=$(sha "$WORK/in.pdf")
refused() { # EXIT MESSAGE-REGEX ARGS...
    local code=$1 want=$2
    shift 2
    rm -f "$WORK/out.pdf"
    expect_exit "$code" "$SEALSVC" --data "$DATA" stamp "$WORK/in.pdf" "$WORK/out.pdf" \
        --seal "$SEAL" --pin "$PIN" "$@"
    grep -qE -- "$want" "$WORK/err" || fail "message '$(cat "$WORK/err")' does not match '$want'"
    [ ! -e "$WORK/out.pdf" ] || fail "an output file was left behind"
    ls "$WORK" | grep -q '\.tmp' && fail "a temporary file was left behind"
    [ "$(sha "$WORK/in.pdf")" = "$BEFORE" ] || fail "the input changed"
    true
}
refused 3 'keyword "乙方签字" does not occur in the document' --keyword "乙方签字"
refused 3 'keyword "日期" occurs 2 times in the document; there is no occurrence 3' \
    --keyword 日期 --occurrence 3
refused 3 'keyword "甲方（盖章）" does not occur on the pages asked for' \
    --keyword "甲方（盖章）" --pages 1-2
refused 3 'page 5 does not exist \(document has 3 pages\)' --at 50,50 --pages 1,5
refused 3 'page range "3-1" runs backwards' --at 50,50 --pages 3-1
refused 3 'page 2 is listed twice' --at 50,50 --pages 1-3,2
refused 3 '"x" is not a page number' --at 50,50 --pages x
refused 3 'a seam seal needs at least 2 pages; the page range has 1' --seam right --pages 2
refused 3 'does not fit along the right edge of page 1' --seam right --offset 140
refused 3 'occurrence 1 of the keyword on page 3: position .* is outside the page' \
    --keyword "甲方（盖章）" --offset 0,-100
refused 64 'exclude each other' --at 50,50 --keyword 日期
refused 64 'exclude each other' --seam right --invisible
refused 64 '--page and --pages exclude each other' --at 50,50 --page 1 --pages 2
refused 64 '--occurrence goes with --keyword' --at 50,50 --occurrence 2
refused 64 '--occurrence wants N' --keyword 日期 --occurrence 0
refused 64 '--offset with --keyword wants DX,DY' --keyword 日期 --offset 5
refused 64 '--offset with --seam wants millimetres' --seam right --offset 5,5
refused 64 '--seam wants right, left, top or bottom' --seam middle
if [ -d "$CORPUS" ]; then
    cp "$CORPUS/minimal-xref.pdf" "$WORK/in.pdf"
    BEFORE=$(sha "$WORK/in.pdf")
    refused 3 'a seam seal needs at least 2 pages; the document has 1' --seam left
fi
echo "pdf_placement: all checks passed"
