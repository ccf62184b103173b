#!/usr/bin/env bash
# The whole-process benchmark: what a user running one command per document sees (start-up,
# loading the libraries, opening the store and the seal, stamping, exiting). Run by hand,
# never as a timed test:
#     tests/bench/bench_cli.sh [RUNS]        (SEALSVC=path/to/sealsvc, default build/)
#
# It generates a 1 MB 50-page PDF (make_pdf.py: the same kind of document bench_stamp stamps
# in process, each page an uncompressed image of 20 KiB of random bytes), a demo platform, an
# RSA-2048 key and self-signed certificate made into a seal, and an NSS database holding the
# same key for pdfsig. Then it runs, alternating within each round so that every kind meets
# the same machine (this shared virtual machine drifts from one second to the next):
#   floor      openssl dgst -sha256 -sign key.pem IN        (hash the file, one signature)
#   stamp      sealsvc stamp IN OUT --seal S --pin P --page 1 --at X,Y
#   pdfsig     pdfsig -add-signature -nick S IN OUT         (Poppler, NSS; invisible)
#   two-phase  sealsvc stamp ... --external; openssl pkeyutl -sign -pkeyopt digest:sha256;
#              sealsvc stamp finish ID --signature SIG      (three processes, timed together)
#   version    sealsvc --version                             (start-up alone)
# and prints the medians and the ratios against the goals of issue 11: stamp <= 3x the
# floor, pdfsig >= 3x the stamp, two-phase <= 4x the floor.
set -euo pipefail

RUNS=${1:-30}
HERE=$(cd "$(dirname "$0")" && pwd)
SEALSVC=${SEALSVC:-$HERE/../../build/sealsvc/sealsvc}
[ -x "$SEALSVC" ] || {
    echo "bench_cli: no sealsvc at $SEALSVC (build first, or set SEALSVC)" >&2
    exit 1
}
for tool in openssl pdfsig certutil pk12util python3; do
    command -v "$tool" >/dev/null || {
        echo "bench_cli: $tool is needed" >&2
        exit 1
    }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench_cli.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export TZ=${TZ:-:/etc/localtime}

# --- the document: 50 pages of 20 KiB random images, a classic xref table (make_pdf.py)
python3 "$HERE/make_pdf.py" 50 "$WORK/in.pdf"

# --- the platform, and one RSA-2048 key as a seal, as an NSS key for pdfsig, as a PEM file
"$SEALSVC" demo init --dir "$WORK/data" >"$WORK/manifest.json" 2>"$WORK/demo.log" || {
    echo "bench_cli: demo init failed: $(cat "$WORK/demo.log")" >&2
    exit 1
}
CODE=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT credit_code FROM institution LIMIT 1").fetchone()[0])' "$WORK/data/sealsvc.db")
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/key.pem" 2>/dev/null
openssl req -x509 -new -key "$WORK/key.pem" -subj "/CN=Bench Seal/O=Bench" -days 365 \
    -out "$WORK/cert.pem" 2>/dev/null
PIN=bench-pin-7391
"$SEALSVC" --data "$WORK/data" seal make --id bench-rsa --institution-code "$CODE" \
    --key "$WORK/key.pem" --cert "$WORK/cert.pem" --pin "$PIN" --name "Bench Seal" \
    >/dev/null 2>"$WORK/make.log" || {
    echo "bench_cli: seal make failed: $(cat "$WORK/make.log")" >&2
    exit 1
}
mkdir "$WORK/nss"
certutil -N -d "sql:$WORK/nss" --empty-password
openssl pkcs12 -export -inkey "$WORK/key.pem" -in "$WORK/cert.pem" -name bench \
    -passout pass: -out "$WORK/bench.p12"
pk12util -i "$WORK/bench.p12" -d "sql:$WORK/nss" -W "" >/dev/null

# One stamp of each kind first: each must work before it is timed.
S=("$SEALSVC" --data "$WORK/data" stamp "$WORK/in.pdf")
"${S[@]}" "$WORK/check.pdf" --seal bench-rsa --pin "$PIN" --page 1 --at 100,100 >/dev/null
pdfsig -nssdir "sql:$WORK/nss" -add-signature -nick bench "$WORK/in.pdf" "$WORK/check2.pdf" \
    >/dev/null 2>&1 || {
    echo "bench_cli: pdfsig -add-signature failed" >&2
    exit 1
}
rm -f "$WORK/check.pdf" "$WORK/check2.pdf"

# --- timing, in Python: each command spawned directly (no shell), wall time around it
python3 - "$RUNS" "$WORK" "$SEALSVC" "$PIN" <<'PY'
import base64, json, os, statistics, subprocess, sys, time

runs, work, sealsvc, pin = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
src = os.path.join(work, "in.pdf")
out = os.path.join(work, "out.pdf")
data = ["--data", os.path.join(work, "data")]
quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE}

def run(argv, capture=False):
    p = subprocess.run(argv, stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    if p.returncode != 0:
        sys.exit("bench_cli: %s failed: %s" % (" ".join(argv[:4]), p.stderr.decode()))
    return p.stdout

def floor():
    run(["openssl", "dgst", "-sha256", "-sign", os.path.join(work, "key.pem"),
         "-out", os.path.join(work, "floor.sig"), src])

def stamp():
    run([sealsvc] + data + ["stamp", src, out, "--seal", "bench-rsa", "--pin", pin,
                            "--page", "1", "--at", "100,100"])

def pdfsig():
    run(["pdfsig", "-nssdir", "sql:" + os.path.join(work, "nss"), "-add-signature",
         "-nick", "bench", src, out])

def two_phase():
    pending = json.loads(run([sealsvc] + data + ["stamp", src, out, "--seal", "bench-rsa",
                                                 "--page", "1", "--at", "100,100",
                                                 "--external"], capture=True))
    digest, sig = os.path.join(work, "digest.bin"), os.path.join(work, "sig.der")
    with open(digest, "wb") as f:
        f.write(base64.b64decode(pending["digest"]))
    run(["openssl", "pkeyutl", "-sign", "-inkey", os.path.join(work, "key.pem"),
         "-pkeyopt", "digest:sha256", "-in", digest, "-out", sig])
    run([sealsvc] + data + ["stamp", "finish", pending["id"], "--signature", sig])

def version():
    run([sealsvc, "--version"])

kinds = [("floor", floor), ("stamp", stamp), ("pdfsig", pdfsig), ("two-phase", two_phase),
         ("version", version)]
times = {k: [] for k, _ in kinds}
for r in range(runs):
    for name, fn in kinds:
        if os.path.exists(out):
            os.unlink(out)
        t = time.perf_counter()
        fn()
        times[name].append(time.perf_counter() - t)

med = {k: statistics.median(v) for k, v in times.items()}
print("whole process, 1 MB 50-page PDF (%.2f MiB), RSA-2048, %d runs each, alternating"
      % (os.path.getsize(src) / 2**20, runs))
for name, _ in kinds:
    v = sorted(times[name])
    print("  %-10s median %7.1f ms   (min %.1f, max %.1f)"
          % (name, med[name] * 1e3, v[0] * 1e3, v[-1] * 1e3))
print("  stamp / floor      %5.2fx   (goal <= 3x)" % (med["stamp"] / med["floor"]))
print("  pdfsig / stamp     %5.2fx   (goal >= 3x)" % (med["pdfsig"] / med["stamp"]))
print("  two-phase / floor  %5.2fx   (goal <= 4x)" % (med["two-phase"] / med["floor"]))
PY
