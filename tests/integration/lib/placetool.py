#!/usr/bin/env python3
"""Independent checks of where seals land, for pdf_placement.sh, with the Python standard
library only (renderings come from pdftoppm, word boxes from pdftotext -bbox):

  placetool.py redbox PAGE.ppm DPI [X0 Y0 X1 Y1]
      -> "cx cy w h" in mm of the red (seal) pixels, within the region (mm) if given,
         or "none"
  placetool.py wordbox FILE.pdf PAGE WORD [N]
      -> "x0 y0 x1 y1" in mm (from the displayed top-left) of the N-th (default first)
         word pdftotext finds on the page that starts with WORD
  placetool.py seam SEAL.png DPI SIDE X0 Y0 X1 Y1 PAGE1.ppm PAGE2.ppm...
      -> cuts the region (mm) out of each rendered page, puts the pieces together as the
         fanned-out pages show them (SIDE right: first page leftmost; left: first page
         rightmost; top: first page lowest; bottom: first page highest) and compares the
         result with the seal picture scaled to DPI over white; prints the scores and
         exits 1 when they do not match
  placetool.py upright SEAL.png DPI W H PAGE.ppm...
      -> for each rendered page, compares the seal on it (W x H mm around its red pixels'
         centre) with the picture turned by 0, 90, 180 and 270 degrees; exits 1 unless on
         every page it is clearly most like the unturned picture (the seal stands upright
         on the page as shown)
  placetool.py wrapped OUT.pdf
      -> a one-page PDF whose text "Please sign the contract" ends a line and "here at
         the bottom" starts the next
  placetool.py split-runs OUT.pdf [crop]
      -> a two-page PDF with the word "Signature" drawn in three text runs on page 1 and
         in one run on page 2; with "crop", page 1 has the CropBox [50 100 545 742]
"""
import re
import subprocess
import sys
import zlib


def read_ppm(path):
    data = open(path, 'rb').read()
    tokens = []
    pos = 0
    while len(tokens) < 4:
        m = re.compile(rb'\s*(#[^\n]*\n\s*)*(\S+)').match(data, pos)
        tokens.append(m.group(2))
        pos = m.end()
    assert tokens[0] == b'P6', 'not a binary PPM'
    w, h = int(tokens[1]), int(tokens[2])
    return w, h, data[pos + 1:]


def is_red(r, g, b):
    return r > 150 and g < 110 and b < 110


def redbox(path, dpi, region=None):
    w, h, px = read_ppm(path)
    mm = 25.4 / dpi
    x_lo, y_lo, x_hi, y_hi = 0, 0, w, h
    if region:
        x_lo, y_lo = max(0, int(region[0] / mm)), max(0, int(region[1] / mm))
        x_hi, y_hi = min(w, int(region[2] / mm) + 1), min(h, int(region[3] / mm) + 1)
    x0 = y0 = None
    x1 = y1 = -1
    for y in range(y_lo, y_hi):
        row = px[y * w * 3:(y + 1) * w * 3]
        for x in range(x_lo, x_hi):
            if is_red(row[3 * x], row[3 * x + 1], row[3 * x + 2]):
                x0 = x if x0 is None or x < x0 else x0
                y0 = y if y0 is None else y0
                x1 = max(x1, x)
                y1 = y
    if x0 is None:
        return None
    x1 += 1
    y1 += 1
    return ((x0 + x1) / 2 * mm, (y0 + y1) / 2 * mm, (x1 - x0) * mm, (y1 - y0) * mm)


def wordbox(pdf, page, word, n):
    html = subprocess.run(['pdftotext', '-bbox', '-f', page, '-l', page, pdf, '-'],
                          check=True, capture_output=True).stdout.decode()
    for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                         r'yMax="([\d.]+)">([^<]*)</word>', html):
        if m.group(5).startswith(word):
            n -= 1
            if n == 0:
                return [float(v) * 25.4 / 72 for v in m.groups()[:4]]
    return None


def read_png_rgba(path):
    """RGBA pixels of a PNG that is not interlaced: 8-bit RGB or RGBA (what Cairo writes) or
    indexed colour of 1, 2, 4 or 8 bits with its tRNS opacities (what sealsvc writes for a
    drawn seal)."""
    data = open(path, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
    pos, idat, w, palette, alphas = 8, b'', 0, [], b''
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 4], 'big')
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        if kind == b'IHDR':
            w, h, depth, colour, _, _, interlace = (int.from_bytes(body[0:4], 'big'),
                                                     int.from_bytes(body[4:8], 'big'),
                                                     *body[8:13])
            assert interlace == 0 and ((depth == 8 and colour in (2, 6)) or
                                       (colour == 3 and depth in (1, 2, 4, 8))), 'unsupported PNG'
            channels = {2: 3, 3: 1, 6: 4}[colour]
        elif kind == b'PLTE':
            palette = [tuple(body[i:i + 3]) for i in range(0, len(body), 3)]
        elif kind == b'tRNS':
            alphas = body
        elif kind == b'IDAT':
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = (w * channels * depth + 7) // 8
    bpp = max(1, channels * depth // 8)  # the filters work on whole bytes (PNG 9.2)
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xff
            elif f == 2:
                line[i] = (line[i] + b) & 0xff
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xff
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xff
        rows.append(bytes(line))
        prev = line
    pixels = []
    for row in rows:
        out = []
        for x in range(w):
            if colour == 3:
                bit = x * depth
                index = (row[bit // 8] >> (8 - depth - bit % 8)) & ((1 << depth) - 1)
                out.append(palette[index] + (alphas[index] if index < len(alphas) else 255,))
                continue
            px = row[x * channels:(x + 1) * channels]
            out.append(tuple(px) if channels == 4 else tuple(px) + (255,))
        pixels.append(out)
    return w, h, pixels


def scaled_over_white(path, width, height, picture=None):
    """The picture (read from path unless given as read_png_rgba's result) box-averaged to
    width x height pixels and composited over white."""
    w, h, px = picture or read_png_rgba(path)
    out = []
    for y in range(height):
        ys, ye = y * h // height, max(y * h // height + 1, (y + 1) * h // height)
        row = []
        for x in range(width):
            xs, xe = x * w // width, max(x * w // width + 1, (x + 1) * w // width)
            acc = [0.0, 0.0, 0.0]
            n = 0
            for yy in range(ys, ye):
                for xx in range(xs, xe):
                    r, g, b, a = px[yy][xx]
                    for k, v in enumerate((r, g, b)):
                        acc[k] += (v * a + 255 * (255 - a)) / 255
                    n += 1
            row.append(tuple(v / n for v in acc))
        out.append(row)
    return out


def cut(path, dpi, region):
    w, h, px = read_ppm(path)
    mm = 25.4 / dpi
    x0, y0 = int(round(region[0] / mm)), int(round(region[1] / mm))
    x1, y1 = int(round(region[2] / mm)), int(round(region[3] / mm))
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    return [[tuple(px[(y * w + x) * 3:(y * w + x) * 3 + 3]) for x in range(x0, x1)]
            for y in range(y0, y1)]


def likeness(got_px, want, shift=2):
    """(red overlap, mean difference) of a rendering and a picture of the same size, at the
    best shift of up to `shift` pixels each way."""
    height, width = len(want), len(want[0])
    best = None
    for dy in range(-shift, shift + 1):
        for dx in range(-shift, shift + 1):
            both = either = 0
            diff = n = 0
            for y in range(max(0, dy), min(height, height + dy)):
                for x in range(max(0, dx), min(width, width + dx)):
                    got, ref = got_px[y][x], want[y - dy][x - dx]
                    a, b = is_red(*got), is_red(*ref)
                    both += a and b
                    either += a or b
                    diff += sum(abs(g - r) for g, r in zip(got, ref)) / 3
                    n += 1
            score = (both / either if either else 0, diff / n)
            if best is None or score[0] > best[0]:
                best = score
    return best


def upright(seal, dpi, w, h, pages):
    """Whether the seal on each rendered page stands as its picture does: the seal's size
    (w x h mm) around the centre of its red pixels is cut out of the page and compared with
    the picture turned by 0, 90, 180 and 270 degrees; it must be most like the unturned
    one, clearly. The picture is read once for all pages (reading it is the slow part)."""
    picture = read_png_rgba(seal)
    wanted = {}
    ok = True
    for path in pages:
        box = redbox(path, dpi)
        if box is None:
            print('upright: no seal on %s' % path)
            ok = False
            continue
        cx, cy = box[0], box[1]
        got = cut(path, dpi, (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
        height, width = len(got), min(len(r) for r in got)
        got = [r[:width] for r in got]
        for size in ((width, height), (height, width)):
            if size not in wanted:
                wanted[size] = scaled_over_white(seal, size[0], size[1], picture)
        scores = []
        for turn in range(4):
            # the picture turned clockwise by 90 degrees `turn` times
            want = wanted[(width, height) if turn % 2 == 0 else (height, width)]
            for _ in range(turn):
                want = [list(r) for r in zip(*want[::-1])]
            scores.append(likeness(got, want, 1)[0])
        # The seal's text along its ring makes a turned picture overlap far less: about
        # 0.45 against 0.65 to 0.99 at 100 to 200 dpi (the low end with text under the
        # seal, which darkens some of its red).
        good = scores[0] >= 0.5 and scores[0] >= max(scores[1:]) + 0.15
        print('upright %s: %s; red overlap with the picture turned 0, 90, 180, 270 degrees: %s'
              % (path, 'yes' if good else 'NO', ', '.join('%.3f' % v for v in scores)))
        ok = ok and good
    return ok


def seam(seal, dpi, side, region, pages):
    pieces = [cut(p, dpi, region) for p in pages]
    if side in ('left', 'top'):
        pieces.reverse()  # the first page shows the rightmost / lowest part
    if side in ('right', 'left'):
        height = min(len(p) for p in pieces)
        whole = [sum((p[y] for p in pieces), []) for y in range(height)]
    else:
        whole = [row for p in pieces for row in p]
    height, width = len(whole), min(len(r) for r in whole)
    best = likeness(whole, scaled_over_white(seal, width, height))
    print('seam %s: %d pieces, %d x %d px, red overlap %.3f, mean difference %.1f / 255' %
          (side, len(pieces), width, height, best[0], best[1]))
    # At 200 dpi the seal's own strips overlap the picture's red by about 0.88 and differ by
    # about 4/255 on average; the same strips in a wrong order score about 0.26 and 34.
    return best[0] >= 0.8 and best[1] <= 10


def helvetica_pdf(out, contents, page_extra=b''):
    """Pages drawing `contents` in Helvetica; page_extra goes into the first page."""
    n = len(contents)
    kids = b' '.join(b'%d 0 R' % (3 + i) for i in range(n))
    objs = [
        b'<< /Type /Catalog /Pages 2 0 R >>',
        b'<< /Type /Pages /Kids [%s] /Count %d /MediaBox [0 0 595 842] '
        b'/Resources << /Font << /F1 %d 0 R >> >> >>' % (kids, n, 3 + 2 * n),
    ]
    for i in range(n):
        objs.append(b'<< /Type /Page /Parent 2 0 R /Contents %d 0 R%s >>' %
                    (3 + n + i, page_extra if i == 0 else b''))
    for c in contents:
        objs.append(b'<< /Length %d >>\nstream\n' % len(c) + c + b'\nendstream')
    objs.append(b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica '
                b'/Encoding /WinAnsiEncoding >>')
    data = b'%PDF-1.7\n%\xe2\xe3\xcf\xd3\n'
    offsets = []
    for i, o in enumerate(objs):
        offsets.append(len(data))
        data += b'%d 0 obj\n' % (i + 1) + o + b'\nendobj\n'
    xref = len(data)
    data += b'xref\n0 %d\n0000000000 65535 f\r\n' % (len(objs) + 1)
    for off in offsets:
        data += b'%010d 00000 n\r\n' % off
    data += b'trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' % (len(objs) + 1, xref)
    open(out, 'wb').write(data)


def split_runs(out, crop):
    helvetica_pdf(out, [
        b'BT /F1 14 Tf 100 600 Td (Sig) Tj (na) Tj (ture) Tj ( here) Tj ET '
        b'BT /F1 14 Tf 100 300 Td (Other words) Tj ET',
        b'BT /F1 14 Tf 300 500 Td (Signature) Tj ET',
    ], b' /CropBox [50 100 545 742]' if crop else b'')


def wrapped(out):
    helvetica_pdf(out, [b'BT /F1 14 Tf 100 600 Td (Please sign the contract) Tj 0 -16 Td '
                        b'(here at the bottom) Tj 0 -16 Td (of this page.) Tj ET'])


def main():
    cmd = sys.argv[1]
    if cmd == 'redbox':
        region = [float(v) for v in sys.argv[4:8]] if len(sys.argv) > 4 else None
        box = redbox(sys.argv[2], float(sys.argv[3]), region)
        print('none' if box is None else '%.2f %.2f %.2f %.2f' % box)
    elif cmd == 'wordbox':
        box = wordbox(sys.argv[2], sys.argv[3], sys.argv[4],
                      int(sys.argv[5]) if len(sys.argv) > 5 else 1)
        if box is None:
            sys.exit('no word starting with %s on page %s' % (sys.argv[4], sys.argv[3]))
        print('%.3f %.3f %.3f %.3f' % tuple(box))
    elif cmd == 'seam':
        ok = seam(sys.argv[2], float(sys.argv[3]), sys.argv[4],
                  [float(v) for v in sys.argv[5:9]], sys.argv[9:])
        sys.exit(0 if ok else 1)
    elif cmd == 'upright':
        sys.exit(0 if upright(sys.argv[2], *map(float, sys.argv[3:6]), sys.argv[6:]) else 1)
    elif cmd == 'wrapped':
        wrapped(sys.argv[2])
    elif cmd == 'split-runs':
        split_runs(sys.argv[2], len(sys.argv) > 3 and sys.argv[3] == 'crop')
    else:
        sys.exit('unknown command ' + cmd)


if __name__ == '__main__':
    main()
