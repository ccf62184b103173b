"""Counts the red pixels of a PNG inside a box given in millimetres, for tests that check
where a seal was drawn: `redpixels.py PAGE.png DPI X Y W H` prints `RED AREA` (red pixels,
pixels in the box). A plain PNG reader (zlib and the five filters of ISO/IEC 15948 9.2),
so the check does not depend on our renderer's own image code or on extra packages."""
import struct
import sys
import zlib


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG")
    i, idat = 8, b""
    while i < len(data):
        n, kind = struct.unpack(">I4s", data[i:i + 8])
        chunk = data[i + 8:i + 8 + n]
        i += 12 + n
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
    if depth != 8 or interlace or ctype not in (2, 6):
        sys.exit(f"{path}: PNG form {depth}/{ctype}/{interlace} is not read here")
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    rows, prev, p = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[p], bytearray(raw[p + 1:p + 1 + stride])
        p += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + ((a + b) >> 1)) & 255
            elif kind == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, height, bpp, rows


def main():
    path, dpi = sys.argv[1], float(sys.argv[2])
    x0, y0, w, h = (float(v) * dpi / 25.4 for v in sys.argv[3:7])
    width, height, bpp, rows = read_png(path)
    red = area = 0
    for y in range(max(int(y0), 0), min(int(y0 + h), height)):
        for x in range(max(int(x0), 0), min(int(x0 + w), width)):
            r, g, b = rows[y][x * bpp:x * bpp + 3]
            area += 1
            red += r > g + 60 and r > b + 60
    print(red, area)


main()
