#!/usr/bin/env bash
# Where the seal lands: pdftoppm renders the stamped page as a reader shows it (CropBox,
# /Rotate) and the bounding box of the red pixels must be centred where --at put it
# (within 1 mm), have the seal's size, and the seal must stand upright (compared with its
# picture turned 0, 90, 180 and 270 degrees). Pages: plain, rotated by 90, 180 and 270
# degrees (and -90), a CropBox away from the MediaBox's corner, both together, and /Rotate
# and /MediaBox inherited from the page tree. Text under the seal shows through its
# transparent background (the image's /SMask).
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
PLACETOOL="python3 $SEAL_SOURCE_DIR/tests/integration/lib/placetool.py"

make_demo
SEAL=$(seal_of rsa id official); PIN=$(seal_of rsa pin official)
SEAL_PNG="$DATA/seals/$SEAL.png"
SAMPLE="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"
DPI=100
UPRIGHT=() # the renderings whose seal must stand upright, checked together at the end

render() { # PDF PAGE -> $WORK/page.ppm, the page as shown
    rm -f "$WORK"/render-*.ppm
    pdftoppm -cropbox -r $DPI -f "$2" -l "$2" "$1" "$WORK/render"
    mv "$(ls "$WORK"/render-*.ppm | head -1)" "$WORK/page.ppm"
}

check_at() { # PDF PAGE X Y
    local pdf=$1 page=$2 x=$3 y=$4
    render "$pdf" "$page"
    read -r cx cy w h < <($PDFTOOL redbox "$WORK/page.ppm" $DPI)
    python3 - "$cx" "$cy" "$w" "$h" "$x" "$y" <<'PY' || fail "seal misplaced on $pdf page $page"
import sys
cx, cy, w, h, x, y = map(float, sys.argv[1:])
print("seal centre %.2f,%.2f mm (wanted %.1f,%.1f), size %.1f x %.1f mm" % (cx, cy, x, y, w, h))
assert abs(cx - x) <= 1.0 and abs(cy - y) <= 1.0, "centre off by more than 1 mm"
assert abs(w - 42) <= 1.5 and abs(h - 42) <= 1.5, "seal is not 42 mm"
PY
    UPRIGHT+=("$WORK/upright-${#UPRIGHT[@]}.ppm")
    mv "$WORK/page.ppm" "${UPRIGHT[-1]}"
}

stamp() { # IN OUT PAGE X Y
    "$SEALSVC" --data "$DATA" stamp "$1" "$2" --seal "$SEAL" --pin "$PIN" --page "$3" \
        --at "$4,$5" >/dev/null || fail "stamping page $3 of $1 failed"
}

stamp "$SAMPLE" "$WORK/plain.pdf" 2 120 150
check_at "$WORK/plain.pdf" 2 120 150

for spec in "90 200 60" "180 150 220" "270 200 60"; do
    read -r angle x y <<<"$spec"
    qpdf "$SAMPLE" --rotate=+$angle:1 "$WORK/rot$angle-in.pdf"
    stamp "$WORK/rot$angle-in.pdf" "$WORK/rot$angle.pdf" 1 "$x" "$y"
    check_at "$WORK/rot$angle.pdf" 1 "$x" "$y"
done

$PDFTOOL cropped "$WORK/crop-in.pdf"
stamp "$WORK/crop-in.pdf" "$WORK/crop.pdf" 1 40 50
check_at "$WORK/crop.pdf" 1 40 50

# Every turn with a CropBox off the MediaBox's corner, -90, and /Rotate and a MediaBox
# not at the origin inherited from an intermediate /Pages node (pdftool.py GEOMETRY).
# The points are off the centre and x != y, so a wrong corner or a swapped axis shows.
$PDFTOOL geometry "$WORK/geometry.pdf"
pdfinfo -f 1 -l 6 "$WORK/geometry.pdf" >"$WORK/geometry.info"
for want in 'Page    1 rot:   90' 'Page    2 rot:   180' 'Page    3 rot:   270' \
    'Page    4 rot:   270' 'Page    5 rot:   90' 'Page    5 size:  612 x 792' \
    'Page    6 rot:   90' 'Page    6 size:  450 x 650'; do
    grep -q "$want" "$WORK/geometry.info" || fail "the geometry test file is not what it claims: $want"
done
for spec in "1 40 50" "2 40 50" "3 40 50" "4 30 160" "5 250 30" "6 25 130"; do
    read -r page x y <<<"$spec"
    stamp "$WORK/geometry.pdf" "$WORK/geometry-$page.pdf" "$page" "$x" "$y"
    check_at "$WORK/geometry-$page.pdf" "$page" "$x" "$y"
done

$PLACETOOL upright "$SEAL_PNG" $DPI 42 42 "${UPRIGHT[@]}" ||
    fail "a seal does not stand upright on the page as shown"
# The comparison can fail: the same stamped page turned once more by qpdf after stamping
# shows the seal on its side.
qpdf "$WORK/geometry-1.pdf" --rotate=+90:1 "$WORK/turned-after.pdf"
render "$WORK/turned-after.pdf" 1
if $PLACETOOL upright "$SEAL_PNG" $DPI 42 42 "$WORK/page.ppm"; then
    fail "a seal turned on its side still counts as upright: the check proves nothing"
fi

# Transparency: where the seal is drawn over text, the text's dark pixels that the red
# does not cover stay dark (an opaque picture would paint them white).
stamp "$SAMPLE" "$WORK/over-text.pdf" 1 50 60
render "$SAMPLE" 1
mv "$WORK/page.ppm" "$WORK/under.ppm"
render "$WORK/over-text.pdf" 1
python3 - "$WORK/under.ppm" "$WORK/page.ppm" $DPI <<'PY' || fail "the seal hides the text under it"
import re, sys
def read(path):
    data = open(path, 'rb').read()
    m = re.match(rb'P6\s+(\d+)\s+(\d+)\s+255\s', data)
    return int(m.group(1)), data[m.end():]
width, under = read(sys.argv[1])
_, over = read(sys.argv[2])
px = float(sys.argv[3]) / 25.4
dark = kept = 0
for y in range(int(39 * px), int(81 * px)):
    for x in range(int(29 * px), int(71 * px)):
        i = 3 * (y * width + x)
        if max(under[i:i + 3]) < 80:
            dark += 1
            r, g, b = over[i:i + 3]
            red = r > 150 and g < 110 and b < 110
            kept += not red and max(r, g, b) < 128
print("text pixels under the seal: %d, still dark where not red: %d" % (dark, kept))
assert dark > 500, "no text under the seal: the test proves nothing"
assert kept > dark / 2, "the seal's background is not transparent"
PY
python3 - "$WORK/over-text.pdf" <<'PY' || fail "the seal's image has no /SMask"
import re, sys
data = open(sys.argv[1], 'rb').read()
images = re.findall(rb'/Subtype /Image[^>]*', data)
assert any(b'/SMask' in i for i in images), images
PY
echo "seal_position: all checks passed"
