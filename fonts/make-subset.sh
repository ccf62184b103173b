#!/bin/sh
# Regenerates fonts/SealSerifSC-Bold.otf: the subset of Noto Serif CJK SC Bold that seal
# images are drawn with (names, purposes and codes of Chinese institutions and people).
#
# Source: Debian package fonts-noto-cjk, NotoSerifCJK-Bold.ttc, face 2 (the SC face; the
# collection holds JP, KR, SC, TC, HK in that order). Tool: pyftsubset from Debian
# python3-fonttools (run as `python3 -m fontTools.subset` when the pyftsubset command is
# not on PATH). Characters kept: ASCII, CJK symbols and punctuation, full-width forms,
# every character of GB 2312 levels 1 and 2 (row 16-87), and 「」《》·—（）.
# The output is byte-for-byte reproducible: SOURCE_DATE_EPOCH fixes head.modified.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=${NOTO_SERIF_CJK_BOLD:-/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc}
out="$here/SealSerifSC-Bold.otf"
python=${PYTHON:-/usr/bin/python3}
sc_face=2

if [ ! -r "$src" ]; then
    echo "make-subset.sh: $src not found; install the Debian package fonts-noto-cjk" >&2
    exit 1
fi

# Confirm face $sc_face really is the SC face before cutting it.
"$python" - "$src" "$sc_face" <<'PY'
import sys
from fontTools.ttLib import TTFont
name = TTFont(sys.argv[1], fontNumber=int(sys.argv[2]), lazy=True)["name"].getDebugName(4)
if "SC" not in name.split():
    sys.exit("make-subset.sh: face %s is %r, not the SC face" % (sys.argv[2], name))
PY

unicodes=$(mktemp)
trap 'rm -f "$unicodes"' EXIT

# GB 2312 level 1 is rows 16-55 (0xB0A1..0xD7F9), level 2 rows 56-87 (0xD8A1..0xF7FE);
# decoding every two-byte code in 0xB0A1..0xF7FE and skipping the holes enumerates both.
"$python" - >"$unicodes" <<'PY'
chars = set(range(0x20, 0x7F))              # ASCII printable
chars.update(range(0x3000, 0x3040))         # CJK symbols and punctuation
chars.update(range(0xFF01, 0xFF5F))         # full-width ASCII forms
chars.update(ord(c) for c in "「」《》·—（）、。，：；！？“”‘’…")
for lead in range(0xB0, 0xF8):
    for trail in range(0xA1, 0xFF):
        try:
            chars.update(ord(c) for c in bytes((lead, trail)).decode("gb2312"))
        except UnicodeDecodeError:
            pass
for cp in sorted(chars):
    print("U+%04X" % cp)
PY

SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1643241600} \
"$python" -m fontTools.subset "$src" \
    --font-number="$sc_face" \
    --unicodes-file="$unicodes" \
    --output-file="$out" \
    --no-hinting \
    --layout-features='' \
    --name-IDs='*' --name-languages='*' --name-legacy \
    --notdef-outline \
    --drop-tables+=BASE,JSTF,DSIG,VORG,vhea,vmtx

echo "wrote $out ($(wc -c <"$out") bytes, $(grep -c . "$unicodes") code points requested)"
