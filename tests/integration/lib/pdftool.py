#!/usr/bin/env python3
"""Independent helpers for the integration tests, using only the Python standard library
(so that what they check does not go through sealsvc's own code):

  pdftool.py redbox IMAGE.ppm DPI       -> "cx cy w h" in mm of the red (seal) pixels
  pdftool.py  extract-cms FILE.pdf N DIR -> DIR/cms.der, DIR/signed.bin (ByteRange bytes),
                                           DIR/attrs.der (signed attributes as a SET) and
                                           DIR/sig.bin (the signature value) of signature N
  pdftool.py sigcount FILE.pdf          -> number of /ByteRange entries
  pdftool.py flip FILE.pdf OFFSET       -> flips one byte in place
  pdftool.py misnumber FILE.pdf OBJ     -> in place, renumbers the last definition of object
                                           OBJ ("N 0 obj") to another number of as many
                                           digits: the cross-reference then points at an
                                           object that is not OBJ; prints the byte offset
  pdftool.py cropped OUT.pdf            -> a one-page PDF whose CropBox differs from its MediaBox
  pdftool.py geometry OUT.pdf           -> a PDF whose pages are turned and cropped in every
                                           way a seal's position depends on (see GEOMETRY)
  pdftool.py form OUT.pdf               -> a one-page PDF with a text field "Name" (object 5,
                                           merged with its widget) whose page (object 3)
                                           inherits /MediaBox, /Resources and /Rotate 0
  pdftool.py fill FILE.pdf OBJ VALUE    -> appends an incremental update setting /V of
                                           field OBJ (classic cross-reference files)
  pdftool.py annotate FILE.pdf PAGEOBJ  -> appends an incremental update adding a /Text
                                           annotation to page object PAGEOBJ
  pdftool.py add-page FILE.pdf          -> appends an incremental update adding an empty
                                           page at the end of the root page tree node
                                           (classic cross-reference files)
"""
import re
import sys


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


def redbox(path, dpi):
    w, h, px = read_ppm(path)
    xs, ys = [], []
    for y in range(h):
        row = px[y * w * 3:(y + 1) * w * 3]
        for x in range(w):
            r, g, b = row[3 * x], row[3 * x + 1], row[3 * x + 2]
            if r > 150 and g < 110 and b < 110:
                xs.append(x)
                ys.append(y)
    if not xs:
        print('none')
        return
    mm = 25.4 / dpi
    x0, x1, y0, y1 = min(xs), max(xs) + 1, min(ys), max(ys) + 1
    print('%.2f %.2f %.2f %.2f' % ((x0 + x1) / 2 * mm, (y0 + y1) / 2 * mm, (x1 - x0) * mm,
                                   (y1 - y0) * mm))


def der_next(buf, pos):
    tag = buf[pos]
    length = buf[pos + 1]
    hdr = 2
    if length & 0x80:
        n = length & 0x7f
        length = int.from_bytes(buf[pos + 2:pos + 2 + n], 'big')
        hdr += n
    return tag, pos + hdr, pos + hdr + length  # tag, content start, end


def der_children(buf, start, end):
    out = []
    pos = start
    while pos < end:
        tag, cs, ce = der_next(buf, pos)
        out.append((tag, pos, cs, ce))
        pos = ce
    return out


def signatures(pdf):
    return list(re.finditer(rb'/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]', pdf))


def extract_cms(path, n, outdir):
    pdf = open(path, 'rb').read()
    m = signatures(pdf)[int(n)]
    a, b, c, d = (int(x) for x in m.groups())
    assert a == 0 and pdf[b] == ord('<') and pdf[c - 1] == ord('>'), 'ByteRange gap is not /Contents'
    der = bytes.fromhex(pdf[b + 1:c - 1].decode())
    tag, cs, ce = der_next(der, 0)
    der = der[:ce]
    open(outdir + '/cms.der', 'wb').write(der)
    open(outdir + '/signed.bin', 'wb').write(pdf[a:a + b] + pdf[c:c + d])
    # ContentInfo -> [0] -> SignedData -> signerInfos (last SET) -> SignerInfo
    ci = der_children(der, cs, ce)
    _, _, ecs, ece = ci[1]
    _, _, scs, sce = der_children(der, ecs, ece)[0]
    sd = der_children(der, scs, sce)
    _, _, sics, sice = sd[-1]
    _, _, ics, ice = der_children(der, sics, sice)[0]
    fields = der_children(der, ics, ice)
    attrs = [f for f in fields if f[0] == 0xa0][0]
    open(outdir + '/attrs.der', 'wb').write(b'\x31' + der[attrs[1] + 1:attrs[3]])
    sig = [f for f in fields if f[0] == 0x04][-1]
    open(outdir + '/sig.bin', 'wb').write(der[sig[2]:sig[3]])


def cropped(out):
    objs = [
        b'<< /Type /Catalog /Pages 2 0 R >>',
        b'<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>',
        b'<< /Type /Page /Parent 2 0 R /CropBox [50 100 545 742] /Contents 4 0 R '
        b'/Resources << >> >>',
    ]
    content = b'0 0 1 rg 50 100 495 642 re S'
    objs.append(b'<< /Length %d >>\nstream\n' % len(content) + content + b'\nendstream')
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


# The pages of `geometry`, in order: (/Rotate, /CropBox or None, where the attribute comes
# from). MediaBox [0 0 595 842] unless the page inherits another one. The CropBox starts
# 50 pt right of and 100 pt above the MediaBox's corner, and is not centred in it, so a
# seal placed from the wrong corner, or turned the wrong way, lands somewhere else.
GEOMETRY = [
    (90, [50, 100, 545, 742], 'page'),
    (180, [50, 100, 545, 742], 'page'),
    (270, [50, 100, 545, 742], 'page'),
    (-90, None, 'page'),  # the same as 270 (ISO 32000-1 7.7.3.3: a multiple of 90)
    (90, None, 'tree'),  # /Rotate 90 and a MediaBox not at the origin, from a /Pages node
    (90, [150, 250, 600, 900], 'tree'),  # ... with the page's own CropBox
]
TREE_ROTATE, TREE_MEDIA = 90, [100, 200, 712, 992]


def geometry(out):
    """Pages turned and cropped as GEOMETRY says. The 'tree' pages hang below an
    intermediate /Pages node holding /Rotate TREE_ROTATE and /MediaBox TREE_MEDIA; the
    others below the root. Each page draws a thin blue frame inside its CropBox (no red)."""
    objs = {1: b'<< /Type /Catalog /Pages 2 0 R >>'}
    top_kids, tree_kids, num = [], [], 4
    for rotate, crop, source in GEOMETRY:
        assert source == 'page' or rotate == TREE_ROTATE
        media = TREE_MEDIA if source == 'tree' else [0, 0, 595, 842]
        box = crop or media
        content = b'0 0 1 RG %d %d %d %d re S' % (box[0] + 2, box[1] + 2, box[2] - box[0] - 4,
                                                  box[3] - box[1] - 4)
        page = b'<< /Type /Page /Parent %d 0 R /Contents %d 0 R /Resources << >>' % (
            3 if source == 'tree' else 2, num + 1)
        if source == 'page':
            page += b' /MediaBox [0 0 595 842] /Rotate %d' % rotate
        if crop:
            page += b' /CropBox [%d %d %d %d]' % tuple(crop)
        objs[num] = page + b' >>'
        objs[num + 1] = b'<< /Length %d >>\nstream\n' % len(content) + content + b'\nendstream'
        (tree_kids if source == 'tree' else top_kids).append(num)
        num += 2
    def refs(kids):
        return b' '.join(b'%d 0 R' % k for k in kids)
    objs[2] = b'<< /Type /Pages /Kids [%s 3 0 R] /Count %d >>' % (refs(top_kids), len(GEOMETRY))
    objs[3] = (b'<< /Type /Pages /Parent 2 0 R /Kids [%s] /Count %d /Rotate %d '
               b'/MediaBox [%d %d %d %d] >>' % ((refs(tree_kids), len(tree_kids), TREE_ROTATE) +
                                                tuple(TREE_MEDIA)))
    write_pdf(out, [objs[i] for i in sorted(objs)])


def write_pdf(out, objs, comments=b''):
    """A PDF of `objs` (object 1 the catalog) with a cross-reference table; `comments`
    (lines starting with %) go after the header."""
    data = b'%PDF-1.7\n%\xe2\xe3\xcf\xd3\n' + comments
    offsets = []
    for i, o in enumerate(objs):
        offsets.append(len(data))
        data += b'%d 0 obj\n' % (i + 1) + o + b'\nendobj\n'
    xref = len(data)
    data += b'xref\n0 %d\n0000000000 65535 f\r\n' % (len(objs) + 1)
    for off in offsets:
        data += b'%010d 00000 n\r\n' % off
    data += (b'trailer\n<< /Size %d /Root 1 0 R /ID [<00112233445566778899aabbccddeeff> '
             b'<00112233445566778899aabbccddeeff>] >>\nstartxref\n%d\n%%%%EOF\n') % (len(objs) + 1, xref)
    open(out, 'wb').write(data)


def form(out):
    content = b'0 0 1 rg 100 700 200 20 re S BT /F1 12 Tf 100 730 Td (Name:) Tj ET'
    write_pdf(out, [
        b'<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R] /DA (/Helv 0 Tf 0 g) >> >>',
        b'<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] /Rotate 0 '
        b'/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>',
        b'<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Annots [5 0 R] >>',
        b'<< /Length %d >>\nstream\n' % len(content) + content + b'\nendstream',
        b'<< /Type /Annot /Subtype /Widget /FT /Tx /T (Name) /Rect [100 700 300 720] /P 3 0 R '
        b'/F 4 /DA (/Helv 12 Tf 0 g) >>',
    ])


def last_object(pdf, num):
    hits = list(re.finditer(rb'(?<![0-9])%d 0 obj\s*(.*?)\s*endobj' % num, pdf, re.S))
    assert hits, 'object %d not found' % num
    return hits[-1].group(1)


def append_update(path, objects):
    """Appends an incremental update (ISO 32000-1 7.5.6) with the given {num: body}."""
    pdf = open(path, 'rb').read()
    prev = int(re.findall(rb'startxref\s+(\d+)', pdf)[-1])
    trailer = re.findall(rb'trailer\s*<<(.*?)>>\s*startxref', pdf, re.S)[-1]
    size = int(re.search(rb'/Size\s+(\d+)', trailer).group(1))
    root = re.search(rb'/Root\s+(\d+ \d+ R)', trailer).group(1)
    size = max([size] + [n + 1 for n in objects])
    data = b'' if pdf.endswith(b'\n') else b'\n'
    offsets = {}
    for num, body in sorted(objects.items()):
        offsets[num] = len(pdf) + len(data)
        data += b'%d 0 obj\n' % num + body + b'\nendobj\n'
    xref = len(pdf) + len(data)
    data += b'xref\n'
    for num in sorted(offsets):
        data += b'%d 1\n%010d 00000 n\r\n' % (num, offsets[num])
    data += b'trailer\n<< /Size %d /Root %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n' % (
        size, root, prev, xref)
    open(path, 'ab').write(data)
    return size


def fill(path, num, value):
    body = last_object(open(path, 'rb').read(), int(num))
    body = re.sub(rb'\s*/V\s*\([^)]*\)', b'', body)
    body = body[:body.rindex(b'>>')] + b' /V (' + value.encode() + b') >>'
    append_update(path, {int(num): body})


def annotate(path, page_num):
    pdf = open(path, 'rb').read()
    page = last_object(pdf, int(page_num))
    trailer = re.findall(rb'trailer\s*<<(.*?)>>\s*startxref', pdf, re.S)[-1]
    annot = int(re.search(rb'/Size\s+(\d+)', trailer).group(1))
    ref = b' %d 0 R' % annot
    if b'/Annots' in page:
        page = re.sub(rb'(/Annots\s*\[[^\]]*)\]', lambda m: m.group(1) + ref + b' ]', page, count=1)
    else:
        page = page[:page.rindex(b'>>')] + b' /Annots [' + ref + b' ] >>'
    append_update(path, {int(page_num): page,
                         annot: b'<< /Type /Annot /Subtype /Text /Rect [50 50 70 70] '
                                b'/Contents (a comment) >>'})


def misnumber(path, num):
    pdf = bytearray(open(path, 'rb').read())
    hits = list(re.finditer(rb'(?<![0-9])%d 0 obj' % num, pdf))
    assert hits, 'object %d not found' % num
    at = hits[-1].start()
    other = num + 1 if len(str(num + 1)) == len(str(num)) else num - 1
    pdf[at:at + len(str(num))] = str(other).encode()
    open(path, 'wb').write(pdf)
    print(at)


def add_page(path):
    pdf = open(path, 'rb').read()
    trailer = re.findall(rb'trailer\s*<<(.*?)>>\s*startxref', pdf, re.S)[-1]
    new = int(re.search(rb'/Size\s+(\d+)', trailer).group(1))
    root = int(re.search(rb'/Root\s+(\d+) 0 R', trailer).group(1))
    pages = int(re.search(rb'/Pages\s+(\d+) 0 R', last_object(pdf, root)).group(1))
    tree = last_object(pdf, pages)
    count = int(re.search(rb'/Count\s+(\d+)', tree).group(1))
    tree = re.sub(rb'(/Kids\s*\[[^\]]*)\]', lambda m: m.group(1) + b' %d 0 R ]' % new, tree, count=1)
    tree = re.sub(rb'/Count\s+\d+', b'/Count %d' % (count + 1), tree, count=1)
    append_update(path, {pages: tree,
                         new: b'<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] >>' % pages})
    print(count + 1)


def main():
    cmd = sys.argv[1]
    if cmd == 'redbox':
        redbox(sys.argv[2], float(sys.argv[3]))
    elif cmd == 'extract-cms':
        extract_cms(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == 'sigcount':
        print(len(signatures(open(sys.argv[2], 'rb').read())))
    elif cmd == 'flip':
        with open(sys.argv[2], 'r+b') as f:
            f.seek(int(sys.argv[3]))
            byte = f.read(1)
            f.seek(int(sys.argv[3]))
            f.write(bytes([byte[0] ^ 0x01]))
    elif cmd == 'misnumber':
        misnumber(sys.argv[2], int(sys.argv[3]))
    elif cmd == 'cropped':
        cropped(sys.argv[2])
    elif cmd == 'geometry':
        geometry(sys.argv[2])
    elif cmd == 'form':
        form(sys.argv[2])
    elif cmd == 'fill':
        fill(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == 'add-page':
        add_page(sys.argv[2])
    elif cmd == 'annotate':
        annotate(sys.argv[2], sys.argv[3])
    else:
        sys.exit('unknown command ' + cmd)


if __name__ == '__main__':
    main()
