#!/usr/bin/env python3
"""The benchmarks' test PDF, for the scripts (bench_cli.sh, bench_serve.sh):

    make_pdf.py PAGES OUT [IMAGE_KIB]

PAGES pages, each showing one uncompressed RGB image of about IMAGE_KIB KiB of random bytes
(default 20), in a classic cross-reference table: the document bench_docs.c's make_pdf()
writes for the C benchmarks. Random bytes do not compress, so the file is as large as it
says: 50 pages of 20 KiB make the 1 MB 50-page PDF of every benchmark; 100 pages of
1000 KiB make the ~100 MB document of bench_serve.sh's memory test. Written as it is made,
so a large document is never held whole in memory."""
import os
import sys


def make_pdf(pages, image_bytes, path):
    side = 1
    while (side + 1) * (side + 1) * 3 <= image_bytes:
        side += 1
    n = 3 * pages + 3
    off = [0] * n
    with open(path, "wb") as f:
        def obj(num, body, stream=None):
            off[num] = f.tell()
            f.write(b"%d 0 obj\n" % num + body)
            if stream is not None:
                f.write(b"\nstream\n" + stream + b"\nendstream")
            f.write(b"\nendobj\n")

        f.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        kids = b" ".join(b"%d 0 R" % (3 + 3 * i) for i in range(pages))
        obj(2, b"<< /Type /Pages /Count %d /MediaBox [0 0 595 842] /Kids [ %s ] >>"
            % (pages, kids))
        draw = b"q 400 0 0 400 97 300 cm /Im Do Q"
        for i in range(pages):
            page, content, image = 3 + 3 * i, 4 + 3 * i, 5 + 3 * i
            obj(page, b"<< /Type /Page /Parent 2 0 R /Contents %d 0 R /Resources << "
                b"/XObject << /Im %d 0 R >> >> >>" % (content, image))
            obj(content, b"<< /Length %d >>" % len(draw), draw)
            noise = os.urandom(side * side * 3)
            obj(image, b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace "
                b"/DeviceRGB /BitsPerComponent 8 /Length %d >>" % (side, side, len(noise)),
                noise)
        xref = f.tell()
        f.write(b"xref\n0 %d\n0000000000 65535 f\r\n" % n)
        for i in range(1, n):
            f.write(b"%010d 00000 n\r\n" % off[i])
        f.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (n, xref))


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: make_pdf.py PAGES OUT [IMAGE_KIB]")
    try:
        pages = int(sys.argv[1])
        kib = int(sys.argv[3]) if len(sys.argv) == 4 else 20
    except ValueError:
        sys.exit("make_pdf.py: PAGES and IMAGE_KIB are whole numbers")
    if pages < 1 or kib < 1:
        sys.exit("make_pdf.py: PAGES and IMAGE_KIB must be at least 1")
    make_pdf(pages, kib * 1024, sys.argv[2])


if __name__ == "__main__":
    main()
