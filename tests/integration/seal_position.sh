#!/usr/bin/env bash
# Where the seal lands: pdftoppm renders the stamped page and the bounding box of the red
# pixels must be centred where --at put it (within 1 mm) and have the seal's size, on a
# plain page, a page rotated by 90 and 270 degrees, and a page whose CropBox is smaller
# than its MediaBox.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

make_demo
SEAL=$(seal_of rsa id official); PIN=$(seal_of rsa pin official)
SAMPLE="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"
DPI=100

check_at() { # PDF PAGE X Y
    local pdf=$1 page=$2 x=$3 y=$4
    pdftoppm -cropbox -r $DPI -f "$page" -l "$page" "$pdf" "$WORK/render"
    local ppm
    ppm=$(ls "$WORK"/render-*.ppm | head -1)
    read -r cx cy w h < <($PDFTOOL redbox "$ppm" $DPI)
    rm -f "$WORK"/render-*.ppm
    python3 - "$cx" "$cy" "$w" "$h" "$x" "$y" <<'PY' || fail "seal misplaced on $pdf page $page"
import sys
cx, cy, w, h, x, y = map(float, sys.argv[1:])
print("seal centre %.2f,%.2f mm (wanted %.1f,%.1f), size %.1f x %.1f mm" % (cx, cy, x, y, w, h))
assert abs(cx - x) <= 1.0 and abs(cy - y) <= 1.0, "centre off by more than 1 mm"
assert abs(w - 42) <= 1.5 and abs(h - 42) <= 1.5, "seal is not 42 mm"
PY
}

"$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$WORK/plain.pdf" --seal "$SEAL" --pin "$PIN" \
    --page 2 --at 120,150 >/dev/null
check_at "$WORK/plain.pdf" 2 120 150

for angle in 90 270; do
    qpdf "$SAMPLE" --rotate=+$angle:1 "$WORK/rot$angle-in.pdf"
    "$SEALSVC" --data "$DATA" stamp "$WORK/rot$angle-in.pdf" "$WORK/rot$angle.pdf" \
        --seal "$SEAL" --pin "$PIN" --page 1 --at 200,60 >/dev/null
    check_at "$WORK/rot$angle.pdf" 1 200 60
done

$PDFTOOL cropped "$WORK/crop-in.pdf"
"$SEALSVC" --data "$DATA" stamp "$WORK/crop-in.pdf" "$WORK/crop.pdf" --seal "$SEAL" \
    --pin "$PIN" --page 1 --at 40,50 >/dev/null
check_at "$WORK/crop.pdf" 1 40 50
echo "seal_position: all checks passed"
