#!/usr/bin/env bash
# fonts/: the shipped seal font is what fonts/make-subset.sh makes from the Debian
# package it names, byte for byte (the sha256 fonts/README.md gives), and its licence
# (SIL OFL 1.1) is beside it. Skipped (exit 77, said on stderr) only on a machine without
# fonts-noto-cjk or python3-fonttools, which tests/install-deps.sh installs.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

FONTS="$SEAL_SOURCE_DIR/fonts"
grep -q "SIL Open Font License, Version 1.1" "$FONTS/LICENSE-OFL.txt" ||
    fail "fonts/LICENSE-OFL.txt is not the SIL OFL 1.1"
grep -q "^5) The Font Software, modified or unmodified, in part or in whole," "$FONTS/LICENSE-OFL.txt" ||
    fail "fonts/LICENSE-OFL.txt does not hold the licence's conditions"
want=$(grep -o 'sha256 `[0-9a-f]\{64\}`' "$FONTS/README.md" | grep -o '[0-9a-f]\{64\}')
[ -n "$want" ] || fail "fonts/README.md gives no sha256 of the subset"
[ "$(sha "$FONTS/SealSerifSC-Bold.otf")" = "$want" ] ||
    fail "fonts/SealSerifSC-Bold.otf is not the font fonts/README.md describes"

src=/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc
if [ ! -r "$src" ] || ! /usr/bin/python3 -c 'import fontTools' 2>/dev/null; then
    echo "font_subset: SKIPPED: needs fonts-noto-cjk and python3-fonttools (tests/install-deps.sh)" >&2
    exit 77
fi
# run the script as shipped, on a copy of the folder, so fonts/ itself is not touched
mkdir "$WORK/fonts"
cp "$FONTS/make-subset.sh" "$WORK/fonts/"
(unset SOURCE_DATE_EPOCH NOTO_SERIF_CJK_BOLD PYTHON; sh "$WORK/fonts/make-subset.sh") \
    >"$WORK/out" 2>&1 || fail "make-subset.sh failed: $(cat "$WORK/out")"
[ "$(sha "$WORK/fonts/SealSerifSC-Bold.otf")" = "$want" ] ||
    fail "make-subset.sh does not reproduce the shipped font: $(cat "$WORK/out")"
echo "font_subset: ok ($want)"
