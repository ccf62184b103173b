#!/usr/bin/env bash
# Big documents with bounded memory: a PDF over 2 GiB (one large stream, written sparse so
# that making it is quick) and one with 10,000 pages are stamped and verified, each run's
# peak resident memory (getrusage, measured from outside) stays under 256 MiB, and qpdf
# and pdfsig accept the results. A stamp of the big file killed with SIGKILL mid-copy
# leaves no output file (only its temporary file, which a crash cannot remove). The big files go to /dev/shm when it has room (what is
# tested is offsets and memory, not the disk's speed), else beside the other scratch
# files; 5 GiB must be free there, or the test fails saying so.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

BIG=$WORK
free_kib() { df -Pk "$1" | awk 'NR == 2 { print $4 }'; }
if [ -d /dev/shm ] && [ "$(free_kib /dev/shm)" -ge $((5 * 1024 * 1024)) ]; then
    BIG=$(mktemp -d /dev/shm/sealbig.XXXXXX)
    trap 'rm -rf "$WORK" "$BIG"' EXIT
fi
[ "$(free_kib "$BIG")" -ge $((5 * 1024 * 1024)) ] ||
    fail "pdf_big needs 5 GiB free in $BIG ($(($(free_kib "$BIG") / 1024)) MiB free); set TMPDIR elsewhere"

make_demo
make_nssdb
SEAL=$(seal_of rsa id official); PIN=$(seal_of rsa pin official)
LIMIT_KIB=$((256 * 1024))
# AddressSanitizer keeps freed memory in quarantine and shadows every byte, so the sanitizer
# build gets four times the bound (the plain build holds the real one).
if [ "${SEAL_SANITIZE:-0}" = 1 ]; then
    LIMIT_KIB=$((4 * LIMIT_KIB))
    echo "sanitizer build: memory bound raised to $((LIMIT_KIB / 1024)) MiB"
fi

# Runs a command (its output to OUT) and fails if its peak resident set exceeds LIMIT_KIB.
bounded() { # WHAT OUT COMMAND...
    local what=$1 out=$2
    shift 2
    python3 - "$LIMIT_KIB" "$what" "$out" "$@" <<'PY' || fail "$what: see above"
import resource, subprocess, sys
limit, what, out, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
rc = subprocess.run(cmd, stdout=open(out, 'wb')).returncode
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print("%s: exit %d, peak RSS %d MiB" % (what, rc, peak // 1024))
sys.exit(1 if rc != 0 or peak > limit else 0)
PY
}

python3 - "$BIG/big.in.pdf" "$WORK/pages.in.pdf" <<'PY'
import sys

def write(path, objects, big_at=None, big_len=0):
    """objects: bodies of objects 1..n; object big_at is a stream of big_len zero bytes
    left as a hole in the file."""
    with open(path, 'wb') as f:
        f.write(b'%PDF-1.7\n%\xe2\xe3\xcf\xd3\n')
        offsets = []
        for i, body in enumerate(objects, 1):
            offsets.append(f.tell())
            if i == big_at:
                f.write(b'%d 0 obj\n<< /Length %d >>\nstream\n' % (i, big_len))
                f.seek(big_len, 1)
                f.write(b'\nendstream\nendobj\n')
            else:
                f.write(b'%d 0 obj\n' % i + body + b'\nendobj\n')
        xref = f.tell()
        f.write(b'xref\n0 %d\n0000000000 65535 f\r\n' % (len(objects) + 1))
        for off in offsets:
            f.write(b'%010d 00000 n\r\n' % off)
        f.write(b'trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' %
                (len(objects) + 1, xref))

content = b'BT /F1 24 Tf 72 720 Td (A big document) Tj ET'
font = b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'
# just over 2 GiB: past any 31-bit offset; the large stream sits before the page
write(sys.argv[1], [
    b'<< /Type /Catalog /Pages 2 0 R /BigData 5 0 R >>',
    b'<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>',
    b'<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 6 0 R >> >> >>',
    b'<< /Length %d >>\nstream\n' % len(content) + content + b'\nendstream',
    None, font], big_at=5, big_len=2049 * 1024 * 1024 + 12345)

# 10,000 pages in a two-level page tree (100 x 100), one shared content stream
n, fan = 10000, 100
objs = [b'<< /Type /Catalog /Pages 2 0 R >>', None,
        b'<< /Length %d >>\nstream\n' % len(content) + content + b'\nendstream', font]
kids = []
first_page = 5 + fan
for k in range(fan):
    mid = 5 + k
    pages = range(first_page + k * fan, first_page + (k + 1) * fan)
    kids.append(mid)
    objs.append(b'<< /Type /Pages /Parent 2 0 R /Kids [%s] /Count %d >>' %
                (b' '.join(b'%d 0 R' % p for p in pages), fan))
for k in range(fan):
    for j in range(fan):
        objs.append(b'<< /Type /Page /Parent %d 0 R /Contents 3 0 R '
                    b'/Resources << /Font << /F1 4 0 R >> >> >>' % (5 + k))
objs[1] = b'<< /Type /Pages /Kids [%s] /Count %d /MediaBox [0 0 595 842] >>' % (
    b' '.join(b'%d 0 R' % m for m in kids), n)
write(sys.argv[2], objs)
PY
[ "$(stat -c %s "$BIG/big.in.pdf")" -gt $((2 * 1024 * 1024 * 1024)) ] || fail "big.in.pdf is not over 2 GiB"

bounded "stamp 2 GiB" /dev/null "$SEALSVC" --data "$DATA" stamp "$BIG/big.in.pdf" "$BIG/big.pdf" \
    --seal "$SEAL" --pin "$PIN" --page 1 --at 100,100
bounded "verify 2 GiB" "$WORK/big.json" "$SEALSVC" --data "$DATA" verify "$BIG/big.pdf" --json
python3 - "$WORK/big.json" "$(stat -c %s "$BIG/big.pdf")" <<'PY' || fail "the 2 GiB report is wrong"
import json, sys
s = json.load(open(sys.argv[1]))["signatures"][0]
assert s["verdict"] == "VALID" and s["coverage"] == "entire file", s
br = [c for c in s["checks"] if c["name"] == "byte-range"][0]["detail"]
assert str(int(sys.argv[2]) - int(br.split()[2])) in br, br  # offsets past 2^31 written in full
PY
# Killed (SIGKILL) while it copies the 2 GiB input: OUT never appears, not even short.
# The temporary file beside it is made first; the kill comes as soon as it exists.
"$SEALSVC" --data "$DATA" stamp "$BIG/big.in.pdf" "$BIG/killed.pdf" --seal "$SEAL" --pin "$PIN" \
    --page 1 --at 100,100 >/dev/null 2>&1 &
stamper=$!
for _ in $(seq 1 3000); do
    compgen -G "$BIG/killed.pdf.tmp*" >/dev/null && break
    sleep 0.01
done
compgen -G "$BIG/killed.pdf.tmp*" >/dev/null || fail "no temporary file appeared beside killed.pdf"
kill -KILL $stamper
set +e
wait $stamper
killed=$?
set -e
[ $killed = 137 ] || fail "the stamp ended (exit $killed) before it could be killed: nothing was tested"
[ ! -e "$BIG/killed.pdf" ] || fail "a killed stamp left killed.pdf behind"
echo "killed while copying: no killed.pdf; left: $(cd "$BIG" && ls killed.pdf.tmp* | tr '\n' ' ')"
rm -f "$BIG"/killed.pdf.tmp*

pdfsig -nssdir "sql:$NSSDB" -no-ocsp "$BIG/big.pdf" >"$WORK/big.sig" 2>&1 || true
grep -q 'Signature is Valid' "$WORK/big.sig" || fail "pdfsig rejects the 2 GiB file: $(cat "$WORK/big.sig")"
grep -q 'Total document signed' "$WORK/big.sig" || fail "pdfsig: the 2 GiB file is not wholly signed"
qpdf --check "$BIG/big.pdf" >"$WORK/big.qpdf" 2>&1 || fail "qpdf --check: $(tail -3 "$WORK/big.qpdf")"
rm -f "$BIG/big.in.pdf" "$BIG/big.pdf"

bounded "stamp 10,000 pages" /dev/null "$SEALSVC" --data "$DATA" stamp "$WORK/pages.in.pdf" \
    "$WORK/pages.pdf" --seal "$SEAL" --pin "$PIN" --page 10000 --at 100,100
bounded "verify 10,000 pages" "$WORK/pages.json" "$SEALSVC" --data "$DATA" verify \
    "$WORK/pages.pdf" --json
python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["signatures"][0]; assert s["page"] == 10000 and s["verdict"] == "VALID", s' \
    "$WORK/pages.json" || fail "the seal is not reported valid on page 10000"
pdfsig -nssdir "sql:$NSSDB" -no-ocsp "$WORK/pages.pdf" >"$WORK/pages.sig" 2>&1 || true
grep -q 'Signature is Valid' "$WORK/pages.sig" || fail "pdfsig rejects the 10,000-page file"
qpdf --check "$WORK/pages.pdf" >/dev/null 2>&1 || fail "qpdf --check rejects the 10,000-page file"
echo "pdf_big: all checks passed"
