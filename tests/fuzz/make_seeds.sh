#!/usr/bin/env bash
# Seeds that reach deep for the libFuzzer targets, made at run time instead of committed
# (the repository stays small): real seals, CMS, timestamp tokens, sealed PDFs and OFD
# packages, from the shared corpus and from a demo platform sealed by our own sealsvc.
# Writes OUT/<target>/ for the targets that read these; run_short.sh and the README's
# longer runs give libFuzzer OUT/<target>/ and tests/fuzz/seeds/<target>/ (findings and
# hand-written seeds) together.
#
# usage: make_seeds.sh SEALSVC OUT [CORPUS]   (CORPUS: ../shared/corpus beside the tree)
set -euo pipefail
sealsvc=$(realpath "$1")
out=$2
here=$(cd "$(dirname "$0")" && pwd)
corpus=$(realpath "${3:-$here/../../../shared/corpus}")
[ -x "$sealsvc" ] || { echo "make_seeds: $sealsvc is not an executable sealsvc" >&2; exit 1; }
[ -d "$corpus/ofd" ] || { echo "make_seeds: no corpus at $corpus" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/seal-seeds.XXXXXX")
tsa_pid=""
trap '[ -z "$tsa_pid" ] || kill "$tsa_pid" 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$out"
for t in cms tsp der ses ses_signature pdf_tail pdf_changes ofd_package ofd_stamp; do
    mkdir -p "$out/fuzz_$t"
done

# --- a demo platform: its seals, CA and TSA
"$sealsvc" demo init --dir "$work/data" >"$work/manifest.json" 2>"$work/demo.log" || {
    echo "make_seeds: demo init failed: $(cat "$work/demo.log")" >&2
    exit 1
}
data=$work/data
seal_of() { # ALGORITHM FIELD: a field of the demo's first official seal with that algorithm
    python3 -c 'import json,sys
for s in json.load(open(sys.argv[1]))["seals"]:
    if s["algorithm"] == sys.argv[2] and s["type"] == "official":
        print(s[sys.argv[3]]); break' "$work/manifest.json" "$1" "$2"
}

# The demo's TSA (`sealsvc tsa` on a free loopback port), for a PAdES B-T seal whose CMS
# carries a timestamp token.
"$sealsvc" --data "$data" tsa --listen 127.0.0.1:0 2>"$work/tsa.log" &
tsa_pid=$!
tsa_port=""
for _ in $(seq 100); do
    tsa_port=$(sed -n 's|^tsa: listening on http://127.0.0.1:\([0-9]*\)/$|\1|p' "$work/tsa.log")
    [ -n "$tsa_port" ] && break
    sleep 0.1
done
[ -n "$tsa_port" ] || { echo "make_seeds: sealsvc tsa did not start: $(cat "$work/tsa.log")" >&2; exit 1; }

# --- sealed PDFs: a small page sealed once (RSA), then again (SM2; ECDSA with a signature
# timestamp) as incremental updates; the twice-sealed files are the revision pairs of
# fuzz_pdf_changes. Invisible seals: a seal's picture and font make a file of 100 KB,
# which slows every mutation.
pdf=$corpus/pdf/minimal.pdf
prev=$pdf
n=0
for alg in rsa sm2 ecdsa; do
    n=$((n + 1))
    tsa=()
    [ $alg = ecdsa ] && tsa=(--tsa "http://127.0.0.1:$tsa_port/")
    "$sealsvc" --data "$data" stamp "$prev" "$work/sealed$n.pdf" --seal "$(seal_of $alg id)" \
        --pin "$(seal_of $alg pin)" --invisible "${tsa[@]}" >/dev/null
    prev=$work/sealed$n.pdf
done
kill "$tsa_pid"
tsa_pid=""
cp "$work/sealed1.pdf" "$out/fuzz_pdf_tail/sealed-once.pdf"
cp "$work/sealed2.pdf" "$out/fuzz_pdf_tail/sealed-twice.pdf"
cp "$work/sealed2.pdf" "$out/fuzz_pdf_changes/sealed-twice.pdf"
cp "$work/sealed3.pdf" "$out/fuzz_pdf_changes/sealed-three-times.pdf"
# An update after the seal that changes the page (what the analysis must refuse): the
# page's content stream redefined in an appended revision.
python3 - "$work/sealed1.pdf" "$out/fuzz_pdf_changes/page-changed.pdf" <<'PY'
import re, sys
src = open(sys.argv[1], 'rb').read()
start = int(re.findall(rb'startxref\s+(\d+)', src)[-1])
m = re.search(rb'/Contents\s+(\d+)\s+0\s+R', src)
obj = int(m.group(1)) if m else 4
size = int(re.findall(rb'/Size\s+(\d+)', src)[-1])
root = re.findall(rb'/Root\s+(\d+\s+\d+\s+R)', src)[-1]
body = b'BT /F1 24 Tf 72 700 Td (changed) Tj ET'
update = b'%d 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n' % (obj, len(body), body)
off = len(src)
xref = len(src) + len(update)
update += b'xref\n%d 1\n%010d 00000 n \ntrailer\n<< /Size %d /Root %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n' % (
    obj, off, size, root, start, xref)
open(sys.argv[2], 'wb').write(src + update)
PY
for f in "$corpus"/pdf/*.pdf; do
    [ "$(stat -c %s "$f")" -le 4096 ] && cp "$f" "$out/fuzz_pdf_tail/"
done

# --- CMS SignedData: the /Contents of each of our seals (RSA, SM2, ECDSA), trailing zeros cut
python3 - "$work/sealed3.pdf" "$out" <<'PY'
import re, sys
src = open(sys.argv[1], 'rb').read()
for i, m in enumerate(re.finditer(rb'/Contents\s*<([0-9A-Fa-f]+)>', src)):
    der = bytes.fromhex(m.group(1).decode())
    # DER length of the outer SEQUENCE: the blob without its zero padding
    n = der[1] & 0x7f if der[1] & 0x80 else 0
    length = int.from_bytes(der[2:2 + n], 'big') if n else der[1]
    der = der[:2 + n + length]
    for target in ('fuzz_cms', 'fuzz_der'):
        open('%s/%s/seal%d.der' % (sys.argv[2], target, i + 1), 'wb').write(der)
PY
# the timestamp token of the third seal (B-T), as a PDF signature carries it
python3 "$here/../integration/lib/pades.py" token "$out/fuzz_cms/seal3.der" "$out/fuzz_tsp/seal-token.der"

# --- RFC 3161: a request, the demo TSA's response and its token (OpenSSL's TSA code)
echo 01 >"$work/serial"
cat >"$work/tsa.cnf" <<CNF
[ tsa ]
default_tsa = demo
[ demo ]
serial = $work/serial
crypto_device = builtin
signer_cert = $data/pki/tsa.pem
certs = $data/pki/issuing-ca.pem
signer_key = $data/pki/private/tsa.key.pem
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sm3
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
CNF
openssl ts -query -data "$pdf" -sha256 -cert -out "$out/fuzz_tsp/request.tsq" 2>/dev/null
openssl ts -reply -config "$work/tsa.cnf" -queryfile "$out/fuzz_tsp/request.tsq" \
    -passin "file:$data/secrets/kek" -out "$out/fuzz_tsp/response.tsr" 2>"$work/ts.log" || {
    echo "make_seeds: openssl ts -reply failed: $(cat "$work/ts.log")" >&2
    exit 1
}
openssl ts -reply -in "$out/fuzz_tsp/response.tsr" -token_out -out "$out/fuzz_tsp/token.der" 2>/dev/null
cp "$out/fuzz_tsp/token.der" "$out/fuzz_der/token.der"

# --- OFD: a page sealed by us (an OFD seal is always shown: 70 KB with its picture), and
# the seals and signed values inside sealed packages
"$sealsvc" --data "$data" stamp "$corpus/ofd/helloworld.ofd" "$work/sealed.ofd" \
    --seal "$(seal_of sm2 id)" --pin "$(seal_of sm2 pin)" --page 1 --at 20,20 >/dev/null
for t in fuzz_ofd_package fuzz_ofd_stamp; do
    cp "$work/sealed.ofd" "$out/$t/sealed-sm2.ofd"
    cp "$corpus/ofd/helloworld.ofd" "$corpus/ofd/DigitalSign.ofd" "$corpus/ofd/Page5.ofd" \
        "$corpus/ofd/keyword2.ofd" "$out/$t/"
done
python3 - "$out" "$work/sealed.ofd" "$corpus/ofd/DigitalSign.ofd" <<'PY'
import os, sys, zipfile
out = sys.argv[1]
for n, path in enumerate(sys.argv[2:]):
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            base = os.path.basename(name)
            if base.endswith('.esl'):
                open('%s/fuzz_ses/seal%d.esl' % (out, n), 'wb').write(z.read(name))
            elif base == 'SignedValue.dat':
                open('%s/fuzz_ses_signature/signed%d.dat' % (out, n), 'wb').write(z.read(name))
PY
cp "$corpus/ofd/UserV1.esl" "$corpus/ofd/UserV4.esl" "$out/fuzz_ses/"
cp "$corpus/ofd/SignedValueV4.dat" "$out/fuzz_ses_signature/"
