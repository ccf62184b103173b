#!/usr/bin/env bash
# --qr: a QR code beside the seal encodes the URL template with {sha256} replaced by the
# SHA-256 of the input document. zbarimg (not ours) decodes it from a pdftoppm rendering;
# the seal itself stays centred where --at put it, on plain, rotated and encrypted pages.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
command -v zbarimg >/dev/null || fail "zbarimg is missing: install zbar-tools (tests/install-deps.sh)"

make_demo
make_nssdb
SEAL=$(seal_of rsa id official); PIN=$(seal_of rsa pin official)
SAMPLE="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"

qr_case() { # IN NAME PAGE [ARGS...]
    local in=$1 name=$2 page=$3
    shift 3
    "$SEALSVC" --data "$DATA" stamp "$in" "$WORK/$name.pdf" --seal "$SEAL" --pin "$PIN" \
        --page "$page" --at 70,150 --qr 'https://verify.example/v/{sha256}?n=1' "$@" >/dev/null
    pdftoppm -r 150 -f "$page" -l "$page" "$WORK/$name.pdf" "$WORK/$name"
    local ppm
    ppm=$(ls "$WORK/$name"-*.ppm)
    # What a phone camera sees: the area right of the seal (the seal is 42 mm wide, the QR
    # 60% of its height, 2 mm beside it). zbar does not find codes on a whole busy page.
    local px=$((1500 * 10 / 254)) # tenths of a pixel per mm at 150 dpi
    pdftoppm -r 150 -f "$page" -l "$page" -x $((91 * px / 10)) -y $((120 * px / 10)) \
        -W $((40 * px / 10)) -H $((60 * px / 10)) "$WORK/$name.pdf" "$WORK/$name.qrarea"
    zbarimg -q --raw "$WORK/$name.qrarea"-*.ppm >"$WORK/$name.qr" 2>/dev/null ||
        fail "$name: zbarimg finds no QR code right of the seal"
    [ "$(cat "$WORK/$name.qr")" = "https://verify.example/v/$(sha "$in")?n=1" ] ||
        fail "$name: the QR code says '$(cat "$WORK/$name.qr")', not the input's SHA-256 URL"
    read -r cx cy _ _ < <($PDFTOOL redbox "$ppm" 150)
    python3 -c "import sys; assert abs(float(sys.argv[1])-70) < 1.5 and abs(float(sys.argv[2])-150) < 1.5" "$cx" "$cy" ||
        fail "$name: the seal moved to $cx,$cy mm"
    pdfsig -nssdir "sql:$NSSDB" -no-ocsp "$WORK/$name.pdf" >"$WORK/$name.sig" 2>&1 || true
    grep -q 'Signature is Valid' "$WORK/$name.sig" || fail "$name: pdfsig: $(cat "$WORK/$name.sig")"
    "$SEALSVC" --data "$DATA" verify "$WORK/$name.pdf" >/dev/null || fail "$name: our verifier"
    echo "$name: QR decodes to the input's SHA-256 URL"
}

qr_case "$SAMPLE" plain 3
qpdf "$SAMPLE" --rotate=+90:1 "$WORK/rotated.in.pdf"
qr_case "$WORK/rotated.in.pdf" rotated 1
qpdf --encrypt "" owner-pw 256 -- "$SAMPLE" "$WORK/aes.in.pdf"
qr_case "$WORK/aes.in.pdf" encrypted 2

expect_exit 3 "$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$WORK/out.pdf" --seal "$SEAL" --pin "$PIN" \
    --invisible --qr 'https://x/{sha256}'
grep -q 'needs a visible seal' "$WORK/err" || fail "--qr with --invisible: $(cat "$WORK/err")"
expect_exit 3 "$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$WORK/out.pdf" --seal "$SEAL" --pin "$PIN" \
    --at 50,50 --qr 'https://x/a b'
grep -q 'printable ASCII' "$WORK/err" || fail "a URL with a space: $(cat "$WORK/err")"
[ ! -e "$WORK/out.pdf" ] || fail "an output was left after a refusal"
echo "pdf_qr: all checks passed"
