#!/usr/bin/env bash
# Keywords that a line break splits (docs/cli.md, stamp --keyword): "盖章" ending one line
# and "处" starting the next is found as "盖章处" in a PDF and in an OFD, and the seal is
# centred on the first part ("盖章", where the keyword begins), as the rendering (red
# pixels of pdftoppm's page) and the verify report's widget show; so is a keyword that
# runs from the last line of a column to the first line of the next. Parts on unrelated
# lines (far below, a line in the middle of another column) are not a hit. The documents
# are made here with text at known places: PDF by Cairo with the seal font embedded
# (lib/textpdf.c), OFD written as XML; every character is full-width, one em wide.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
PLACETOOL="python3 $SEAL_SOURCE_DIR/tests/integration/lib/placetool.py"
FONT="$SEAL_SOURCE_DIR/fonts/SealSerifSC-Bold.otf"
DPI=100

make_demo
SEAL=$(seal_of rsa id official); PIN=$(seal_of rsa pin official)
SM2=$(seal_of sm2 id official); SM2_PIN=$(seal_of sm2 pin official)
cc -o "$WORK/textpdf" "$SEAL_SOURCE_DIR/tests/integration/lib/textpdf.c" \
    $(pkg-config --cflags --libs cairo cairo-ft freetype2) || fail "cannot build textpdf"

# Line layouts, "X Y SIZE TEXT" (mm from the top-left, the baseline; points): 14 pt is
# 4.939 mm.
cat >"$WORK/para.txt" <<'T'
25 60 14 本合同经双方协商一致，由甲方在下方指定位置盖章
25 68 14 处签署，乙方随后签署，自签署之日起生效。
T
cat >"$WORK/far.txt" <<'T'
25 40 14 本页上方的文字以盖章
25 200 14 处开头的文字远在下方
T
# Two columns of nine lines, 6 mm apart (Poppler reads them as columns): the left's last
# line ends with 签字, the right's first starts with 栏 (the keyword runs on to the next
# column); the left's first line ends with 盖章 and the right's second line starts with 处
# (unrelated lines).
cat >"$WORK/columns.txt" <<'T'
20 60 14 左栏第一行至盖章
20 66 14 左栏第二行的文字
20 72 14 左栏第三行的文字
20 78 14 左栏第四行的文字
20 84 14 左栏第五行的文字
20 90 14 左栏第六行的文字
20 96 14 左栏第七行的文字
20 102 14 左栏第八行的文字
20 108 14 左栏末行请在签字
70 60 14 栏内签名右栏首行
70 66 14 处右栏第二行文字
70 72 14 右栏第三行的文字
70 78 14 右栏第四行的文字
70 84 14 右栏第五行的文字
70 90 14 右栏第六行的文字
70 96 14 右栏第七行的文字
70 102 14 右栏第八行的文字
70 108 14 右栏第九行的文字
T

for doc in para far columns; do
    "$WORK/textpdf" "$FONT" "$WORK/$doc.pdf" <"$WORK/$doc.txt" || fail "cannot make $doc.pdf"
done

# The box, mm, around characters FROM..FROM+N-1 of the layout's line starting with TEXT's
# first 4 characters: from the layout for x (one em per character) and from pdftotext
# -bbox (Poppler, as a reader lays the page out) for the line's height.
charbox() { # PDF LAYOUT LINE-PREFIX FROM N
    python3 - "$@" <<'PY'
import re, subprocess, sys
pdf, layout, prefix, first, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
for line in open(layout, encoding='utf-8'):
    x, y, size, text = line.split(None, 3)
    if text.startswith(prefix):
        break
else:
    sys.exit('no line starts with ' + prefix)
em = float(size) * 25.4 / 72
html = subprocess.run(['pdftotext', '-bbox', pdf, '-'], check=True, capture_output=True).stdout.decode()
for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', html):
    if m.group(5).startswith(prefix):
        y0, y1 = float(m.group(2)) * 25.4 / 72, float(m.group(4)) * 25.4 / 72
        x0 = float(x) + first * em
        print('%.3f %.3f %.3f %.3f' % (x0, y0, x0 + n * em, y1))
        break
else:
    sys.exit('pdftotext has no line starting with ' + prefix)
PY
}

stamp_pdf() { # IN OUT ARGS...
    local in=$1 out=$2
    shift 2
    "$SEALSVC" --data "$DATA" stamp "$in" "$out" --seal "$SEAL" --pin "$PIN" "$@" \
        >"$WORK/stamp.out" 2>&1 || fail "stamp $in $*: $(cat "$WORK/stamp.out")"
    grep -q 'on page 1 at' "$WORK/stamp.out" || fail "not one place: $(cat "$WORK/stamp.out")"
}

# The seal on page 1 is centred on the box (mm) within 1 mm: the red pixels of the
# rendered page, and the widget our verify reports (PDF points from the bottom-left of
# an A4 page).
assert_pdf_seal_on() { # PDF X0 Y0 X1 Y1
    local pdf=$1
    rm -f "$WORK"/render-*.ppm
    pdftoppm -r $DPI -f 1 -l 1 "$pdf" "$WORK/render"
    local red
    red=$($PLACETOOL redbox "$(ls "$WORK"/render-*.ppm | head -1)" $DPI)
    "$SEALSVC" --data "$DATA" verify "$pdf" --json >"$WORK/verify.json" || true
    python3 - "$red" "$WORK/verify.json" "$2" "$3" "$4" "$5" <<'PY' || fail "seal misplaced on $pdf"
import json, sys
red = sys.argv[1].split()
assert red != ['none'], 'no seal on the page'
cx, cy = (float(sys.argv[3]) + float(sys.argv[5])) / 2, (float(sys.argv[4]) + float(sys.argv[6])) / 2
rx, ry, w, h = map(float, red)
print('red pixels centred at %.2f,%.2f mm, wanted %.2f,%.2f' % (rx, ry, cx, cy))
assert abs(rx - cx) <= 1 and abs(ry - cy) <= 1, 'the picture is off by more than 1 mm'
assert abs(w - 42) <= 1.5 and abs(h - 42) <= 1.5, 'not the 42 mm seal'
report = json.load(open(sys.argv[2]))
assert report['verdict'] in ('VALID', 'INDETERMINATE'), report['verdict']
widgets = report['signatures'][0]['widgets']
assert len(widgets) == 1 and widgets[0]['page'] == 1, widgets
r = widgets[0]['rect']
wx, wy = (r[0] + r[2]) / 2 * 25.4 / 72, 297 - (r[1] + r[3]) / 2 * 25.4 / 72
print('widget centred at %.2f,%.2f mm' % (wx, wy))
assert abs(wx - cx) <= 1 and abs(wy - cy) <= 1, 'the widget is off by more than 1 mm'
PY
}

refused_pdf() { # IN KEYWORD
    rm -f "$WORK/refused.pdf"
    local before
    before=$(sha "$1")
    expect_exit 3 "$SEALSVC" --data "$DATA" stamp "$1" "$WORK/refused.pdf" --seal "$SEAL" \
        --pin "$PIN" --keyword "$2"
    grep -q "keyword \"$2\" does not occur in the document" "$WORK/err" ||
        fail "$1 $2: $(cat "$WORK/err")"
    [ ! -e "$WORK/refused.pdf" ] || fail "an output file was left behind"
    [ "$(sha "$1")" = "$before" ] || fail "the input changed"
}

# --- PDF ------------------------------------------------------------------------------
# Poppler's own search does not find it (the test's premise): pdftotext joins the lines
# with a line break, and the keyword is in neither line.
pdftotext "$WORK/para.pdf" - | grep -q 盖章处 && fail "盖章处 is on one line of para.pdf"
stamp_pdf "$WORK/para.pdf" "$WORK/para-signed.pdf" --keyword 盖章处
read -r x0 y0 x1 y1 < <(charbox "$WORK/para.pdf" "$WORK/para.txt" 本合同经 21 2)
assert_pdf_seal_on "$WORK/para-signed.pdf" "$x0" "$y0" "$x1" "$y1"
# the whole of either line's part still places as before, unbroken
stamp_pdf "$WORK/para.pdf" "$WORK/para-one.pdf" --keyword 处签署
read -r x0 y0 x1 y1 < <(charbox "$WORK/para.pdf" "$WORK/para.txt" 处签署， 0 3)
assert_pdf_seal_on "$WORK/para-one.pdf" "$x0" "$y0" "$x1" "$y1"
# a keyword split over a column break: on its first part, 签字, ending the left column
stamp_pdf "$WORK/columns.pdf" "$WORK/columns-signed.pdf" --keyword 签字栏
read -r x0 y0 x1 y1 < <(charbox "$WORK/columns.pdf" "$WORK/columns.txt" 左栏末行 6 2)
assert_pdf_seal_on "$WORK/columns-signed.pdf" "$x0" "$y0" "$x1" "$y1"
# unrelated lines: far below, or the middle of the next column
refused_pdf "$WORK/far.pdf" 盖章处
refused_pdf "$WORK/columns.pdf" 盖章处

# --- OFD ------------------------------------------------------------------------------
# The same layouts as OFD pages: one TextObject per line, its Boundary's top-left one em
# above the baseline, glyphs advancing by the em (no DeltaX).
python3 - "$WORK" <<'PY'
import sys, zipfile
work = sys.argv[1]
ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
for name in ('para', 'far', 'columns'):
    objects = ''
    for i, line in enumerate(open('%s/%s.txt' % (work, name), encoding='utf-8')):
        x, y, size, text = line.split(None, 3)
        em = float(size) * 25.4 / 72
        objects += ('<ofd:TextObject ID="%d" Boundary="%s %.4f 150 %.4f" Font="1" Size="%.4f">'
                    '<ofd:TextCode X="0" Y="%.4f">%s</ofd:TextCode></ofd:TextObject>'
                    % (10 + i, x, float(y) - em, 2 * em, em, em, text.strip()))
    with zipfile.ZipFile('%s/%s.ofd' % (work, name), 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('OFD.xml', '<?xml version="1.0" encoding="UTF-8"?>\n<ofd:OFD %s Version="1.0" '
                   'DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>kw</ofd:DocID></ofd:DocInfo>'
                   '<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>' % ns)
        z.writestr('Doc_0/Document.xml', '<?xml version="1.0" encoding="UTF-8"?>\n<ofd:Document %s>'
                   '<ofd:CommonData><ofd:MaxUnitID>99</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>'
                   '0 0 210 297</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml'
                   '</ofd:PublicRes></ofd:CommonData><ofd:Pages><ofd:Page ID="2" BaseLoc='
                   '"Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>' % ns)
        z.writestr('Doc_0/PublicRes.xml', '<?xml version="1.0" encoding="UTF-8"?>\n<ofd:Res %s '
                   'BaseLoc="Res"><ofd:Fonts><ofd:Font ID="1" FontName="SimSun"/></ofd:Fonts>'
                   '</ofd:Res>' % ns)
        z.writestr('Doc_0/Pages/Page_0/Content.xml', '<?xml version="1.0" encoding="UTF-8"?>\n'
                   '<ofd:Page %s><ofd:Content><ofd:Layer ID="3">%s</ofd:Layer></ofd:Content>'
                   '</ofd:Page>' % (ns, objects))
PY

# The seal's StampAnnot is centred on characters FROM..FROM+N-1 of the layout's line
# starting with PREFIX: x from the line's start and the em, y the middle of the em box
# (OFD text has no font metrics here: the em box's baseline is at 0.88 em, text.c).
assert_ofd_seal_on() { # OFD LAYOUT PREFIX FROM N
    python3 - "$@" <<'PY' || fail "seal misplaced on $1"
import re, sys, zipfile
ofd, layout, prefix, first, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
for line in open(layout, encoding='utf-8'):
    x, y, size, text = line.split(None, 3)
    if text.startswith(prefix):
        break
em = float(size) * 25.4 / 72
cx = float(x) + (first + n / 2) * em
cy = float(y) - 0.88 * em + em / 2
z = zipfile.ZipFile(ofd)
annots = [m for name in z.namelist() if name.endswith('Signature.xml')
          for m in re.findall(r'<ofd:StampAnnot [^>]*Boundary="([^"]*)"', z.read(name).decode())]
assert len(annots) == 1, annots
bx, by, bw, bh = map(float, annots[0].split())
print('StampAnnot centred at %.2f,%.2f mm, wanted %.2f,%.2f' % (bx + bw / 2, by + bh / 2, cx, cy))
assert abs(bx + bw / 2 - cx) <= 0.5 and abs(by + bh / 2 - cy) <= 0.5, 'off by more than 0.5 mm'
PY
}

stamp_ofd() { # IN OUT ARGS...
    local in=$1 out=$2
    shift 2
    SEALSVC_PIN=$SM2_PIN "$SEALSVC" --data "$DATA" stamp "$in" "$out" --seal "$SM2" "$@" \
        >"$WORK/stamp.out" 2>&1 || fail "stamp $in $*: $(cat "$WORK/stamp.out")"
    grep -q 'on page 1 at' "$WORK/stamp.out" || fail "not one place: $(cat "$WORK/stamp.out")"
    expect_exit 0 "$SEALSVC" --data "$DATA" verify "$out" --trust "$DATA/pki/issuing-ca.pem"
}

stamp_ofd "$WORK/para.ofd" "$WORK/para-signed.ofd" --keyword 盖章处
assert_ofd_seal_on "$WORK/para-signed.ofd" "$WORK/para.txt" 本合同经 21 2
stamp_ofd "$WORK/columns.ofd" "$WORK/columns-signed.ofd" --keyword 签字栏
assert_ofd_seal_on "$WORK/columns-signed.ofd" "$WORK/columns.txt" 左栏末行 6 2
for doc in far columns; do
    rm -f "$WORK/refused.ofd"
    expect_exit 3 env SEALSVC_PIN="$SM2_PIN" "$SEALSVC" --data "$DATA" stamp "$WORK/$doc.ofd" \
        "$WORK/refused.ofd" --seal "$SM2" --keyword 盖章处
    grep -q 'keyword "盖章处" does not occur in the document' "$WORK/err" ||
        fail "$doc.ofd: $(cat "$WORK/err")"
    [ ! -e "$WORK/refused.ofd" ] || fail "an output file was left behind"
done
echo "keyword_lines: ok"
