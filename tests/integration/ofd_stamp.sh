#!/usr/bin/env bash
# Stamping OFD documents end to end with the demo platform: the corpus' helloworld.ofd,
# invoice-signed.ofd (a real tax seal, ours added after it), keyword documents and a
# generated multi-page OFD. Outputs are checked with tools that are not ours: python3
# zipfile for the package (every original entry's stored bytes and CRC unchanged, every
# reference's SM3 recomputed with openssl dgst), openssl asn1parse/pkeyutl for the SM2
# stamper signature over TBS_Sign and dataHash = SM3(Signature.xml), openssl cms -verify
# for Type=Sign, and sealsvc verify (the OFD verifier) on top. Lock mode, locked corpus
# files and bad inputs are refused with no output file and the input untouched.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

C="${SEAL_CORPUS:-}/ofd"
[ -d "$C" ] || { echo "ofd_stamp: the corpus ($C) is absent; skipping"; exit 77; }

make_demo
SM2=$(seal_of sm2 id official); SM2_PIN=$(seal_of sm2 pin official)
RSA=$(seal_of rsa id official); RSA_PIN=$(seal_of rsa pin official)
EC=$(seal_of ecdsa id official); EC_PIN=$(seal_of ecdsa pin official)
CHECK="python3 $WORK/ofdcheck.py"

cat >"$WORK/ofdcheck.py" <<'PY'
"""Independent checks of OFD packages: python3 zipfile and openssl, nothing of ours."""
import base64, re, struct, subprocess, sys, zipfile

def fail(msg):
    sys.exit("ofdcheck: " + msg)

def sm3(data):
    return subprocess.run(["openssl", "dgst", "-sm3", "-binary"], input=data,
                          capture_output=True, check=True).stdout

def raw_entries(path):
    """name -> (CRC, method, compressed size, size, stored bytes), from the local headers."""
    blob = open(path, "rb").read()
    out = {}
    for i in zipfile.ZipFile(path).infolist():
        o = i.header_offset
        if blob[o:o + 4] != b"PK\x03\x04":
            fail("%s: no local header for %s" % (path, i.filename))
        n, e = struct.unpack("<HH", blob[o + 26:o + 30])
        start = o + 30 + n + e
        out[i.filename] = (i.CRC, i.compress_type, i.compress_size, i.file_size,
                           blob[start:start + i.compress_size])
    return out

def kept(before, after, *changed):
    a, b = raw_entries(before), raw_entries(after)
    for name, entry in a.items():
        if name not in b:
            fail("%s lost %s" % (after, name))
        if name not in changed and b[name] != entry:
            fail("%s: entry %s is not byte-identical to the input's" % (after, name))
    zipfile.ZipFile(after).testzip() is None or fail("%s: a CRC does not match" % after)

def signatures(path):
    """(ID, Type, Signature.xml path) of each signature, following OFD.xml."""
    z = zipfile.ZipFile(path)
    ofd = z.read("OFD.xml").decode()
    loc = re.search(r"<ofd:Signatures>([^<]*)<", ofd).group(1).lstrip("/")
    lst = z.read(loc).decode()
    sigs = []
    for m in re.finditer(r"<ofd:Signature ([^>]*)/>", lst):
        a = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        sigs.append((a["ID"], a.get("Type", "Seal"), a["BaseLoc"].lstrip("/")))
    return sigs, loc

def refs(path, index, cover_list):
    """Every reference of signature `index` matches SM3 of the stored bytes; unless
    cover_list is "old" (a signature made before later ones), the references cover every
    file except the signature's own two, and the list only when cover_list is "yes"."""
    z = zipfile.ZipFile(path)
    sigs, list_path = signatures(path)
    sig_xml = sigs[int(index)][2]
    text = z.read(sig_xml).decode()
    if 'CheckMethod="1.2.156.10197.1.401"' not in text:
        fail("%s: CheckMethod is not the SM3 OID" % sig_xml)
    found = re.findall(r'FileRef="/([^"]*)"><ofd:CheckValue>([^<]*)<', text)
    for name, value in found:
        if base64.b64encode(sm3(z.read(name))).decode() != value:
            fail("%s: the SM3 of %s does not match its CheckValue" % (sig_xml, name))
    if cover_list == "old":
        return
    value_path = re.search(r"<ofd:SignedValue>/([^<]*)<", text).group(1)
    files = [n for n in z.namelist() if not n.endswith("/")]
    want = set(files) - {sig_xml, value_path} - (set() if cover_list == "yes" else {list_path})
    if set(n for n, _ in found) != want:
        fail("%s covers %s; expected %s" % (sig_xml, sorted(n for n, _ in found), sorted(want)))

def cat(path, name):
    sys.stdout.buffer.write(zipfile.ZipFile(path).read(name))

def sig_files(path, index, dest):
    """Signature.xml, SignedValue.dat and Seal.esl of signature `index` into dest/."""
    z = zipfile.ZipFile(path)
    sig_xml = signatures(path)[0][int(index)][2]
    text = z.read(sig_xml).decode()
    open(dest + "/Signature.xml", "wb").write(z.read(sig_xml))
    value = re.search(r"<ofd:SignedValue>/?([^<]*)<", text).group(1)
    open(dest + "/SignedValue.dat", "wb").write(z.read(value))
    seal = re.search(r"<ofd:BaseLoc>/?([^<]*)<", text)
    if seal:
        open(dest + "/Seal.esl", "wb").write(z.read(seal.group(1)))
    print(sig_xml)

def ses_parts(dest):
    """Cuts SignedValue.dat where openssl asn1parse says its fields are."""
    data = open(dest + "/SignedValue.dat", "rb").read()
    lines = subprocess.run(["openssl", "asn1parse", "-inform", "DER", "-in",
                            dest + "/SignedValue.dat"], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    elems = []
    for line in lines:
        m = re.match(r"\s*(\d+):d=(\d+)\s+hl=\s*(\d+)\s+l=\s*(\d+)\s+(prim|cons):\s*(\S+)", line)
        if m:
            elems.append(tuple(int(m.group(k)) for k in (1, 2, 3, 4)) + (m.group(6),))
    top = [e for e in elems if e[1] == 1]
    tbs = [e for e in elems if e[1] == 2 and top[0][0] < e[0] < top[1][0]]
    kinds = [e[4] for e in top[:4]] + [e[4] for e in tbs]
    if kinds != ["SEQUENCE", "OCTET", "OBJECT", "BIT", "INTEGER", "SEQUENCE", "GENERALIZEDTIME",
                 "BIT", "IA5STRING"]:
        fail("SES_Signature fields are %s" % kinds)
    def whole(e): return data[e[0]:e[0] + e[2] + e[3]]
    def content(e): return data[e[0] + e[2]:e[0] + e[2] + e[3]]
    open(dest + "/tbs.der", "wb").write(whole(top[0]))
    open(dest + "/cert.der", "wb").write(content(top[1]))
    open(dest + "/sig.bin", "wb").write(content(top[3])[1:])
    open(dest + "/eseal.der", "wb").write(whole(tbs[1]))
    open(dest + "/datahash.bin", "wb").write(content(tbs[3])[1:])
    open(dest + "/property.txt", "w").write(content(tbs[4]).decode())
    print(content(tbs[0])[0])  # the TBS_Sign version

def annots(path, index):
    """One line per StampAnnot of signature `index`: page-number ID Boundary [Clip]."""
    z = zipfile.ZipFile(path)
    sig_xml = signatures(path)[0][int(index)][2]
    doc = z.read("Doc_0/Document.xml").decode()
    pages = [re.search(r'\bID="([^"]*)"', m).group(1) for m in re.findall(r"<ofd:Page\b[^>]*>", doc)]
    for m in re.finditer(r"<ofd:StampAnnot ([^>]*)/>", z.read(sig_xml).decode()):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        print(pages.index(attrs["PageRef"]) + 1, attrs["ID"], attrs["Boundary"],
              attrs.get("Clip", "-"))

def strip(src, dest):
    """The document without its signatures: keyword.ofd's signatures lock it."""
    zin = zipfile.ZipFile(src)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for i in zin.infolist():
            if "/Signs/" in i.filename:
                continue
            data = zin.read(i.filename)
            if i.filename == "OFD.xml":
                data = re.sub(rb"\s*<ofd:Signatures>[^<]*</ofd:Signatures>", b"", data)
            zout.writestr(i, data)

def text_box(path, keyword):
    """The Boundary of the TextObject that holds `keyword` on page 1."""
    z = zipfile.ZipFile(path)
    page = z.read("Doc_0/Pages/Page_0/Content.xml").decode()
    for m in re.finditer(r'<ofd:TextObject ([^>]*)>(.*?)</ofd:TextObject>', page, re.S):
        if keyword in m.group(2):
            print(re.search(r'Boundary="([^"]*)"', m.group(1)).group(1))
            return
    fail("no TextObject holds " + keyword)

def make_ofd(dest, pages):
    """A plain OFD of A4 pages, each with a line of text."""
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("OFD.xml", '<?xml version="1.0" encoding="UTF-8"?>\n<ofd:OFD %s Version='
                   '"1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>gen</ofd:DocID>'
                   '</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody>'
                   '</ofd:OFD>' % ns)
        entries = "".join('<ofd:Page ID="%d" BaseLoc="Pages/Page_%d/Content.xml"/>' % (100 + i, i)
                          for i in range(int(pages)))
        z.writestr("Doc_0/Document.xml", '<?xml version="1.0" encoding="UTF-8"?>\n<ofd:Document '
                   '%s><ofd:CommonData><ofd:MaxUnitID>99</ofd:MaxUnitID><ofd:PageArea>'
                   '<ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>'
                   'PublicRes.xml</ofd:PublicRes></ofd:CommonData><ofd:Pages>%s</ofd:Pages>'
                   '</ofd:Document>' % (ns, entries))
        z.writestr("Doc_0/PublicRes.xml", '<?xml version="1.0" encoding="UTF-8"?>\n<ofd:Res %s '
                   'BaseLoc="Res"><ofd:Fonts><ofd:Font ID="1" FontName="SimSun"/></ofd:Fonts>'
                   '</ofd:Res>' % ns)
        for i in range(int(pages)):
            z.writestr("Doc_0/Pages/Page_%d/Content.xml" % i, '<?xml version="1.0" encoding='
                       '"UTF-8"?>\n<ofd:Page %s><ofd:Content><ofd:Layer ID="2"><ofd:TextObject '
                       'ID="3" Boundary="30 40 150 8" Font="1" Size="5"><ofd:TextCode X="0" '
                       'Y="5">第%d页 甲方盖章处</ofd:TextCode></ofd:TextObject></ofd:Layer>'
                       '</ofd:Content></ofd:Page>' % (ns, i + 1))

def hostile(dest, kind):
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("OFD.xml", "<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'/>")
        if kind == "traversal":
            z.writestr("../../evil.xml", "<x/>")
        else:
            z.writestr("Doc_0/bomb.bin", b"\0" * (64 << 20))

globals()[sys.argv[1].replace("-", "_")](*sys.argv[2:])
PY

stamp() { # SEAL PIN IN OUT ARGS...
    local seal=$1 pin=$2 in=$3 out=$4
    shift 4
    SEALSVC_PIN=$pin "$SEALSVC" --data "$DATA" stamp "$in" "$out" --seal "$seal" "$@" \
        >"$WORK/stamp.out" 2>"$WORK/stamp.err" ||
        fail "stamping $(basename "$in") failed: $(cat "$WORK/stamp.err")"
}

# ses_check OFD INDEX: the Type=Seal signature checked with openssl alone.
ses_check() {
    local d="$WORK/ses.$(basename "$1").$2"
    mkdir -p "$d"
    local sig_xml
    sig_xml=$($CHECK sig-files "$1" "$2" "$d")
    [ "$($CHECK ses-parts "$d")" = 4 ] || fail "$1 signature $2: TBS_Sign version is not 4"
    openssl x509 -inform DER -in "$d/cert.der" -pubkey -noout >"$d/pub.pem" ||
        fail "$1 signature $2: the signer certificate does not parse"
    openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:1234567812345678 -pubin \
        -inkey "$d/pub.pem" -in "$d/tbs.der" -sigfile "$d/sig.bin" >/dev/null ||
        fail "$1 signature $2: openssl pkeyutl rejects the SM2 signature over TBS_Sign"
    openssl dgst -sm3 -binary "$d/Signature.xml" | cmp -s - "$d/datahash.bin" ||
        fail "$1 signature $2: dataHash is not SM3 of Signature.xml"
    [ "$(cat "$d/property.txt")" = "/$sig_xml" ] ||
        fail "$1 signature $2: propertyInfo $(cat "$d/property.txt") is not /$sig_xml"
    cmp -s "$d/eseal.der" "$d/Seal.esl" || fail "$1 signature $2: Seal.esl differs from the seal in TBS_Sign"
}

# verified OFD N [FOREIGN]: the OFD verifier finds all N signatures valid. A GB/T 38540
# signature carries the signer's certificate alone, so the verifier is given the demo's
# issuing CA (which issued the institutions' certificates) beside the root. With FOREIGN,
# the first signature is someone else's under a CA we do not trust: every check but its
# chains must pass (and the overall verdict is then INDETERMINATE).
verified() {
    local want=0
    [ -z "${3:-}" ] || want=2
    expect_exit $want "$SEALSVC" --data "$DATA" verify "$1" --trust "$DATA/pki/issuing-ca.pem" \
        --json
    python3 - "$WORK/out" "$2" "${3:-}" <<'PY' || fail "the verify report of $(basename "$1") is not what was expected: $(cat "$WORK/out")"
import json, sys
r = json.load(open(sys.argv[1]))
sigs = r["signatures"]
assert r["format"] == "ofd", r["format"]
assert len(sigs) == int(sys.argv[2]), len(sigs)
ours = sigs[1:] if sys.argv[3] else sigs
for s in ours:
    assert s["verdict"] == "VALID", (s["field"], s["verdict"], s["reason"])
if sys.argv[3]:
    for c in sigs[0]["checks"]:
        assert c["outcome"] == "VALID" or c["name"] in ("chain", "maker-chain"), c
PY
}

# --- helloworld: an SM2 seal (Type=Seal), then an RSA one (Type=Sign), then ECDSA
cp "$C/helloworld.ofd" "$WORK/hello.ofd"
stamp "$SM2" "$SM2_PIN" "$WORK/hello.ofd" "$WORK/h1.ofd" --page 1 --at 100,60
grep -q "on page 1 at 100.0,60.0 mm" "$WORK/stamp.out" || fail "stamp said: $(cat "$WORK/stamp.out")"
$CHECK kept "$WORK/hello.ofd" "$WORK/h1.ofd" OFD.xml
$CHECK refs "$WORK/h1.ofd" 0 no
ses_check "$WORK/h1.ofd" 0
# the demo's round seals are 42 mm across (their GB/T 38540 picture says so)
[ "$($CHECK annots "$WORK/h1.ofd" 0)" = "1 2 79 39 42 42 -" ] ||
    fail "the StampAnnot is not a 42 mm seal centred at 100,60: $($CHECK annots "$WORK/h1.ofd" 0)"

stamp "$RSA" "$RSA_PIN" "$WORK/h1.ofd" "$WORK/h2.ofd" --at 60,120
$CHECK kept "$WORK/h1.ofd" "$WORK/h2.ofd" Doc_0/Signs/Signatures.xml
$CHECK refs "$WORK/h2.ofd" 0 old
$CHECK refs "$WORK/h2.ofd" 1 no
ses_check "$WORK/h2.ofd" 0
mkdir -p "$WORK/rsa"
$CHECK sig-files "$WORK/h2.ofd" 1 "$WORK/rsa" >/dev/null
grep -q 'Type="Sign"' <($CHECK cat "$WORK/h2.ofd" Doc_0/Signs/Signatures.xml) ||
    fail "the RSA seal did not make a Type=Sign signature"
openssl cms -verify -binary -inform DER -in "$WORK/rsa/SignedValue.dat" \
    -content "$WORK/rsa/Signature.xml" -CAfile "$ROOT_PEM" -purpose any -out /dev/null \
    2>"$WORK/rsa/err" || fail "openssl cms -verify rejects the Type=Sign CMS: $(cat "$WORK/rsa/err")"

stamp "$EC" "$EC_PIN" "$WORK/h2.ofd" "$WORK/h3.ofd" --at 150,120
$CHECK refs "$WORK/h3.ofd" 2 no
mkdir -p "$WORK/ec"
$CHECK sig-files "$WORK/h3.ofd" 2 "$WORK/ec" >/dev/null
openssl cms -verify -binary -inform DER -in "$WORK/ec/SignedValue.dat" \
    -content "$WORK/ec/Signature.xml" -CAfile "$ROOT_PEM" -purpose any -out /dev/null \
    2>"$WORK/ec/err" || fail "openssl cms -verify rejects the ECDSA CMS: $(cat "$WORK/ec/err")"
verified "$WORK/h3.ofd" 3

# --- the tax invoice: its seal stays valid, ours is added after it
stamp "$SM2" "$SM2_PIN" "$C/invoice-signed.ofd" "$WORK/invoice.ofd" --at 170,110
$CHECK kept "$C/invoice-signed.ofd" "$WORK/invoice.ofd" Doc_0/Signs/Signatures.xml
$CHECK refs "$WORK/invoice.ofd" 1 no
ses_check "$WORK/invoice.ofd" 1
mkdir -p "$WORK/tax"
$CHECK sig-files "$WORK/invoice.ofd" 0 "$WORK/tax" >/dev/null
$CHECK ses-parts "$WORK/tax" >/dev/null
openssl x509 -inform DER -in "$WORK/tax/cert.der" -pubkey -noout >"$WORK/tax/pub.pem"
openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:1234567812345678 -pubin \
    -inkey "$WORK/tax/pub.pem" -in "$WORK/tax/tbs.der" -sigfile "$WORK/tax/sig.bin" >/dev/null ||
    fail "the tax bureau's seal no longer verifies after our stamp"
python3 - "$WORK/invoice.ofd" <<'PY' || fail "the tax seal's references no longer match"
import base64, re, subprocess, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
t = z.read("Doc_0/Signs/Sign_0/Signature.xml").decode()
for name, value in re.findall(r'FileRef="/([^"]*)"><ofd:CheckValue>([^<]*)<', t):
    d = subprocess.run(["openssl", "dgst", "-sm3", "-binary"], input=z.read(name),
                       capture_output=True, check=True).stdout
    assert base64.b64encode(d).decode() == value, name
PY
grep -q '<ofd:Signature ID="3" Type="Seal" BaseLoc="/Doc_0/Signs/Sign_1/Signature.xml"/>' \
    <($CHECK cat "$WORK/invoice.ofd" Doc_0/Signs/Signatures.xml) ||
    fail "our signature does not follow the invoice's ID counter"
verified "$WORK/invoice.ofd" 2 foreign

# --- keywords: keyword.ofd is locked by its own signatures; without them, the seal
# goes on the text
expect_exit 3 env SEALSVC_PIN="$SM2_PIN" "$SEALSVC" --data "$DATA" stamp "$C/keyword.ofd" \
    "$WORK/kw-refused.ofd" --seal "$SM2" --keyword 泰安分行
grep -q 'locked' "$WORK/err" || fail "keyword.ofd is not refused as locked: $(cat "$WORK/err")"
[ ! -e "$WORK/kw-refused.ofd" ] || fail "an output was left after a refusal"
$CHECK strip "$C/keyword.ofd" "$WORK/keyword.ofd"
stamp "$SM2" "$SM2_PIN" "$WORK/keyword.ofd" "$WORK/kw.ofd" --keyword 泰安分行
read -r page _ bx by bw bh _ < <($CHECK annots "$WORK/kw.ofd" 0)
read -r tx ty tw th < <($CHECK text-box "$WORK/keyword.ofd" 泰安分行)
python3 -c "
import sys
cx, cy = $bx + $bw / 2, $by + $bh / 2
sys.exit(0 if $page == 1 and $tx <= cx <= $tx + $tw and $ty <= cy <= $ty + $th else 1)" ||
    fail "the seal ($bx $by $bw $bh) is not centred on the keyword's text ($tx $ty $tw $th)"
$CHECK refs "$WORK/kw.ofd" 0 no
ses_check "$WORK/kw.ofd" 0

# a keyword split over TextCodes, on both pages of keyword2.ofd: one seal on each
stamp "$SM2" "$SM2_PIN" "$C/keyword2.ofd" "$WORK/kw2.ofd" --keyword 重庆市马上融资担保有限公司
[ "$($CHECK annots "$WORK/kw2.ofd" 0 | cut -d' ' -f1 | tr '\n' ' ')" = "1 2 " ] ||
    fail "keyword2.ofd: seals are not on pages 1 and 2: $($CHECK annots "$WORK/kw2.ofd" 0)"
stamp "$SM2" "$SM2_PIN" "$C/keyword2.ofd" "$WORK/kw2b.ofd" --keyword 重庆市马上融资担保有限公司 \
    --occurrence 2 --offset 0,-10
[ "$($CHECK annots "$WORK/kw2b.ofd" 0 | cut -d' ' -f1)" = 2 ] ||
    fail "--occurrence 2 did not pick the second page's hit"

# --- a generated five-page document: pages, a seam, lock
$CHECK make-ofd "$WORK/five.ofd" 5
stamp "$SM2" "$SM2_PIN" "$WORK/five.ofd" "$WORK/pages.ofd" --pages 2-4 --at 150,250
[ "$($CHECK annots "$WORK/pages.ofd" 0 | cut -d' ' -f1 | tr '\n' ' ')" = "2 3 4 " ] ||
    fail "--pages 2-4 did not put one seal on each of pages 2 to 4"
[ "$($CHECK cat "$WORK/pages.ofd" Doc_0/Signs/Signatures.xml | grep -o '<ofd:Signature ' | wc -l)" = 1 ] ||
    fail "--pages made more than one signature"
$CHECK refs "$WORK/pages.ofd" 0 no

stamp "$SM2" "$SM2_PIN" "$WORK/five.ofd" "$WORK/seam.ofd" --seam right --offset -20
$CHECK annots "$WORK/seam.ofd" 0 >"$WORK/seam.txt"
python3 - "$WORK/seam.txt" <<'PY' || fail "the seam strips do not tile the seal at the right edge: $(cat "$WORK/seam.txt")"
import sys
rows = [l.split() for l in open(sys.argv[1])]
assert [int(r[0]) for r in rows] == [1, 2, 3, 4, 5]
clips = [list(map(float, r[6:10])) for r in rows]
bounds = [list(map(float, r[2:6])) for r in rows]
w = bounds[0][2]
# right seam: the first page shows the leftmost strip, and the strips join into the seal
assert abs(clips[0][0]) < 1e-6 and abs(sum(c[2] for c in clips) - w) < 5e-3
for (bx, by, bw, bh), (cx, cy, cw, ch) in zip(bounds, clips):
    assert abs(bx + cx + cw - 210) < 5e-3        # flush with the right edge
    assert abs(by + bh / 2 - (297 / 2 - 20)) < 5e-3  # centred 20 mm above the middle
    assert cy == 0 and ch == bh
for a, b in zip(clips, clips[1:]):
    assert abs(a[0] + a[2] - b[0]) < 5e-3
PY
ses_check "$WORK/seam.ofd" 0
verified "$WORK/seam.ofd" 1

stamp "$SM2" "$SM2_PIN" "$WORK/five.ofd" "$WORK/locked.ofd" --at 100,100 --mode lock
grep -q 'document locked' "$WORK/stamp.out" || fail "lock mode not reported: $(cat "$WORK/stamp.out")"
$CHECK refs "$WORK/locked.ofd" 0 yes
BEFORE=$(sha "$WORK/locked.ofd")
expect_exit 3 env SEALSVC_PIN="$RSA_PIN" "$SEALSVC" --data "$DATA" stamp "$WORK/locked.ofd" \
    "$WORK/after-lock.ofd" --seal "$RSA" --at 100,200
grep -q 'locked' "$WORK/err" || fail "stamping a locked document is not refused clearly: $(cat "$WORK/err")"
[ ! -e "$WORK/after-lock.ofd" ] || fail "an output was left after the lock refusal"
[ "$(sha "$WORK/locked.ofd")" = "$BEFORE" ] || fail "the locked input changed"
verified "$WORK/locked.ofd" 1

# --- refusals: exit 3, the message names the problem, no output, input untouched
refused() { # WANT IN ARGS...
    local want=$1 in=$2
    shift 2
    local before
    before=$(sha "$in")
    rm -f "$WORK/out.ofd"
    expect_exit 3 env SEALSVC_PIN="$SM2_PIN" "$SEALSVC" --data "$DATA" stamp "$in" \
        "$WORK/out.ofd" --seal "$SM2" "$@"
    grep -qE "$want" "$WORK/err" || fail "message '$(cat "$WORK/err")' does not match '$want'"
    [ ! -e "$WORK/out.ofd" ] || fail "an output file was left behind"
    ! ls "$WORK" | grep -q '\.tmp' || fail "a temporary file was left behind"
    [ "$(sha "$in")" = "$before" ] || fail "the input changed"
}
printf 'this is not a zip archive\n' >"$WORK/garbage.ofd"
refused 'neither a PDF nor an OFD document' "$WORK/garbage.ofd" --at 50,50
$CHECK hostile "$WORK/traversal.ofd" traversal
refused '\.\.' "$WORK/traversal.ofd" --at 50,50
$CHECK hostile "$WORK/bomb.ofd" bomb
refused 'zip bomb' "$WORK/bomb.ofd" --at 50,50
refused 'page 9 does not exist \(document has 5 pages\)' "$WORK/five.ofd" --page 9 --at 50,50
refused 'outside the page' "$WORK/five.ofd" --at 500,50
refused 'does not occur' "$WORK/five.ofd" --keyword 不存在的文字
refused 'locked' "$C/two-seals-v4.ofd" --at 50,50
head -c 1000 "$WORK/five.ofd" >"$WORK/truncated.ofd"
refused 'not a (readable OFD package|zip)|inconsistent|damaged' "$WORK/truncated.ofd" --at 50,50
refused 'wrong PIN' "$WORK/five.ofd" --at 50,50 --pin 000000x
grep -q 000000x "$WORK/err" && fail "the wrong PIN was echoed in the message"

# usage mistakes (exit 64) are caught before the seal is touched
expect_exit 64 "$SEALSVC" --data "$DATA" stamp "$WORK/five.ofd" "$WORK/out.ofd" --seal "$SM2" \
    --pin "$SM2_PIN" --invisible
grep -q 'always shown' "$WORK/err" || fail "--invisible on an OFD: $(cat "$WORK/err")"
expect_exit 64 "$SEALSVC" --data "$DATA" stamp "$WORK/five.ofd" "$WORK/out.ofd" --seal "$SM2" \
    --pin "$SM2_PIN" --at 50,50 --mode sealed
grep -q 'continue or lock' "$WORK/err" || fail "a bad --mode: $(cat "$WORK/err")"
expect_exit 64 "$SEALSVC" --data "$DATA" stamp "$SEAL_SOURCE_DIR/samples/contract-zh.pdf" \
    "$WORK/out.pdf" --seal "$SM2" --pin "$SM2_PIN" --at 50,50 --mode lock
grep -q 'for OFD documents' "$WORK/err" || fail "--mode on a PDF: $(cat "$WORK/err")"
[ ! -e "$WORK/out.ofd" ] && [ ! -e "$WORK/out.pdf" ] || fail "a usage error left an output"

echo "ofd_stamp: all checks passed"
