#!/usr/bin/env bash
# Libraries loaded on first use (libseal/src/base/lazy.h): neither libseal nor sealsvc is
# linked with libqpdf, libmicrohttpd, libcurl, Poppler-glib, libpq, libxml2, Cairo or
# FreeType, so a command that does not need one never loads it; one that does and cannot
# load it says so in one error, with no crash, no output file and the input unchanged. A
# system library cannot be hidden with LD_LIBRARY_PATH, so each is hidden in a mount
# namespace of the test's own (unshare
# --user --map-root-user --mount) under an empty file bind-mounted over it; where user
# namespaces are not allowed, those checks are skipped (exit 77 at the end).
#   - libqpdf hidden: `sealsvc --version` and `stamp finish` of a prepared PDF work (pdfsig,
#     qpdf --check and openssl cms accept the result), an OFD is stamped and verified;
#     `verify` and `stamp` of a PDF refuse: "PDF support needs libqpdf (SONAME), and it
#     cannot be loaded".
#   - libmicrohttpd hidden: `sealsvc tsa` refuses: "serving HTTP needs libmicrohttpd".
#   - libxml2 hidden: --version, and a PDF stamped (pdfsig, qpdf --check) and verified;
#     OFD stamp, verify and render refuse: "OFD support needs libxml2 (SONAME), and it
#     cannot be loaded".
#   - Cairo hidden: --version, a PDF stamped with a seal made earlier (its picture streams
#     are kept in the store: nothing is drawn), an OFD stamped and verified; OFD render and
#     `seal make` refuse: "drawing seals and pages needs Cairo (SONAME), and it cannot be
#     loaded", and the refused seal is not in the store; PDF render refuses (Poppler-glib
#     is linked with Cairo).
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

: "${SEAL_BUILD_DIR:?}"
cache_path() { # VAR: a library's path as the build found it (seal_soname in CMakeLists.txt)
    sed -n "s/^$1:FILEPATH=//p" "$SEAL_BUILD_DIR/CMakeCache.txt"
}
soname() { objdump -p "$1" | sed -n 's/^ *SONAME *//p'; }
QPDF_FILE=$(readlink -f "$(cache_path SEAL_QPDF_SONAME_LIBRARY)")
MHD_FILE=$(readlink -f "$(cache_path SEAL_MHD_SONAME_LIBRARY)")
XML_FILE=$(readlink -f "$(cache_path SEAL_LIBXML2_SONAME_LIBRARY)")
CAIRO_FILE=$(readlink -f "$(cache_path SEAL_CAIRO_SONAME_LIBRARY)")
for f in "$QPDF_FILE" "$MHD_FILE" "$XML_FILE" "$CAIRO_FILE"; do
    [ -f "$f" ] || fail "a library loaded on first use is missing from $SEAL_BUILD_DIR's cache: '$f'"
done
QPDF_SONAME=$(soname "$QPDF_FILE")
MHD_SONAME=$(soname "$MHD_FILE")
XML_SONAME=$(soname "$XML_FILE")
CAIRO_SONAME=$(soname "$CAIRO_FILE")

# --- not linked: neither the program nor the library needs them at start-up
LIBSEAL=$(ldd "$SEALSVC" | sed -n 's/^\s*libseal\.so\.[0-9]* => \(\S*\).*/\1/p')
[ -n "$LIBSEAL" ] || fail "ldd does not show the libseal sealsvc loads"
ldd "$SEALSVC" >"$WORK/ldd.txt"
# (libstdc++ is not in the list: libxml2 pulled it in for ICU, but the sanitizers' runtime
# needs it too.)
for lib in libqpdf libmicrohttpd libcurl libpoppler libgnutls libpq libxml2 libicuuc libcairo \
    libpixman-1 libX11 libfreetype libfontconfig libpng16; do
    grep -q "$lib\.so" "$WORK/ldd.txt" && fail "sealsvc loads $lib at start-up: $(grep "$lib" "$WORK/ldd.txt")"
done
readelf -d "$LIBSEAL" "$SEALSVC" | grep NEEDED | grep -E 'qpdf|microhttpd|curl|poppler|libpq|xml2|cairo|freetype' &&
    fail "libseal or sealsvc is linked with a library it should load on first use"

if ! unshare --user --map-root-user --mount true 2>/dev/null; then
    echo "user and mount namespaces are not allowed here: skipping the hidden-library checks"
    exit 77
fi
: >"$WORK/empty"
hidden() { # FILE COMMAND...: runs COMMAND with FILE replaced by an empty file
    local file=$1
    shift
    unshare --user --map-root-user --mount sh -c 'mount --bind "$0" "$1" && shift && exec "$@"' \
        "$WORK/empty" "$file" "$@"
}
# The hiding works: qpdf's own tool, linked with the library, cannot start.
hidden "$QPDF_FILE" qpdf --version >"$WORK/out" 2>&1 &&
    fail "qpdf still runs with $QPDF_FILE hidden: $(cat "$WORK/out")"
grep -qF "$QPDF_SONAME" "$WORK/out" || fail "qpdf fails for another reason: $(cat "$WORK/out")"
for f in "$XML_FILE" "$CAIRO_FILE"; do
    hidden "$f" python3 -c 'import ctypes, sys; ctypes.CDLL(sys.argv[1])' "$(soname "$f")" \
        >"$WORK/out" 2>&1 && fail "$(soname "$f") still loads with $f hidden"
done

make_demo
make_nssdb
cp "$SEAL_SOURCE_DIR/samples/contract-zh.pdf" "$WORK/in.pdf"
cp "$SEAL_SOURCE_DIR/samples/notice-zh.ofd" "$WORK/in.ofd"
IN_SHA=$(sha "$WORK/in.pdf")
RSA=$(seal_of rsa id official); RSA_PIN=$(seal_of rsa pin official)
SM2=$(seal_of sm2 id official); SM2_PIN=$(seal_of sm2 pin official)

# An external signer's seal: a key of the test's own, certified by the demo issuing CA.
CODE=91440300MA5DQT0X9H
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/ext.key" 2>/dev/null
openssl req -new -utf8 -key "$WORK/ext.key" -subj "/C=CN/O=Lazy Test Co/CN=Lazy Test Seal" \
    -out "$WORK/ext.csr"
openssl x509 -req -in "$WORK/ext.csr" -CA "$DATA/pki/issuing-ca.pem" \
    -CAkey "$DATA/pki/private/issuing-ca.key.pem" -passin "file:$DATA/secrets/kek" -days 365 \
    -out "$WORK/ext.pem" 2>/dev/null
"$SEALSVC" seal make --data "$DATA" --id lazy-ext --institution-code "$CODE" \
    --institution-name "Lazy Test Co" --pin 135790 --name "Lazy Test Seal" \
    --key "$WORK/ext.key" --cert "$WORK/ext.pem" >/dev/null 2>"$WORK/make.err" ||
    fail "seal make: $(cat "$WORK/make.err")"

# --- libqpdf hidden
hidden "$QPDF_FILE" "$SEALSVC" --version >"$WORK/out" 2>"$WORK/err" ||
    fail "sealsvc --version needs libqpdf: $(cat "$WORK/err")"

# stamp finish fills the gap a prepare left: no PDF structure is read
"$SEALSVC" --data "$DATA" stamp "$WORK/in.pdf" "$WORK/ext.pdf" --seal lazy-ext --external \
    --page 1 --at 100,100 >"$WORK/prepare.json"
python3 -c 'import json,sys,base64
j = json.load(open(sys.argv[1]))
open(sys.argv[2], "wb").write(base64.b64decode(j["digest"]))
print(j["id"])' "$WORK/prepare.json" "$WORK/digest.bin" >"$WORK/id"
openssl pkeyutl -sign -inkey "$WORK/ext.key" -pkeyopt digest:sha256 -in "$WORK/digest.bin" \
    -out "$WORK/sig.der"
hidden "$QPDF_FILE" "$SEALSVC" --data "$DATA" stamp finish "$(cat "$WORK/id")" \
    --signature "$WORK/sig.der" >"$WORK/out" 2>"$WORK/err" ||
    fail "stamp finish needs libqpdf: $(cat "$WORK/err")"
qpdf --check "$WORK/ext.pdf" >/dev/null || fail "qpdf --check rejects the finished PDF"
pdfsig -nssdir "sql:$NSSDB" -no-ocsp "$WORK/ext.pdf" >"$WORK/pdfsig.txt" 2>&1 || true
grep -q 'Signature Validation: Signature is Valid.' "$WORK/pdfsig.txt" ||
    fail "pdfsig does not find the finished signature valid: $(cat "$WORK/pdfsig.txt")"
mkdir "$WORK/cms"
$PDFTOOL extract-cms "$WORK/ext.pdf" 0 "$WORK/cms"
openssl cms -verify -binary -inform DER -in "$WORK/cms/cms.der" -content "$WORK/cms/signed.bin" \
    -CAfile "$ROOT_PEM" -purpose any -out /dev/null 2>"$WORK/cms.err" ||
    fail "openssl cms -verify rejects the finished PDF: $(cat "$WORK/cms.err")"

# an OFD is stamped and verified without it
hidden "$QPDF_FILE" "$SEALSVC" --data "$DATA" stamp "$WORK/in.ofd" "$WORK/out.ofd" --seal "$SM2" \
    --pin "$SM2_PIN" --page 1 --at 60,60 >"$WORK/out" 2>"$WORK/err" ||
    fail "stamping an OFD needs libqpdf: $(cat "$WORK/err")"
hidden "$QPDF_FILE" "$SEALSVC" --data "$DATA" verify "$WORK/out.ofd" >"$WORK/verify.txt" 2>&1 ||
    fail "verifying an OFD needs libqpdf: $(cat "$WORK/verify.txt")"
grep -q '^Verdict: VALID' "$WORK/verify.txt" || fail "the OFD stamped is not VALID: $(cat "$WORK/verify.txt")"

# reading a PDF refuses with one error, exit 3, no crash
WANT="PDF support needs libqpdf ($QPDF_SONAME), and it cannot be loaded ("
expect_exit 3 hidden "$QPDF_FILE" "$SEALSVC" --data "$DATA" verify "$WORK/ext.pdf"
grep -qF "$WANT" "$WORK/err" || fail "verify without libqpdf says: $(cat "$WORK/err")"
expect_exit 3 hidden "$QPDF_FILE" "$SEALSVC" --data "$DATA" stamp "$WORK/in.pdf" "$WORK/out.pdf" \
    --seal "$RSA" --pin "$RSA_PIN" --page 1 --at 100,100
grep -qF "$WANT" "$WORK/err" || fail "stamp without libqpdf says: $(cat "$WORK/err")"
[ ! -e "$WORK/out.pdf" ] || fail "a refused stamp wrote out.pdf"
ls -a "$WORK" | grep -q '^out\.pdf\.' && fail "a refused stamp left a file beside out.pdf: $(ls -a "$WORK")"
[ "$(sha "$WORK/in.pdf")" = "$IN_SHA" ] || fail "a refused stamp changed its input"

# --- libmicrohttpd hidden: the responders refuse to start, naming it
expect_exit 3 hidden "$MHD_FILE" "$SEALSVC" --data "$DATA" tsa --listen 127.0.0.1:0
grep -qF "serving HTTP needs libmicrohttpd ($MHD_SONAME), and it cannot be loaded (" "$WORK/err" ||
    fail "tsa without libmicrohttpd says: $(cat "$WORK/err")"
hidden "$MHD_FILE" "$SEALSVC" --version >/dev/null || fail "sealsvc --version needs libmicrohttpd"

# A PDF stamped with libraries hidden must be what pdfsig and qpdf accept.
check_pdf() { # FILE WHAT
    qpdf --check "$1" >/dev/null || fail "qpdf --check rejects the PDF stamped $2"
    pdfsig -nssdir "sql:$NSSDB" -no-ocsp "$1" >"$WORK/pdfsig.txt" 2>&1 || true
    grep -q 'Signature Validation: Signature is Valid.' "$WORK/pdfsig.txt" ||
        fail "pdfsig does not find the PDF stamped $2 valid: $(cat "$WORK/pdfsig.txt")"
}
# A refusal (exit 3 already checked) that must name WANT, write no OUT and change no input.
refused() { # WANT OUT INPUT INPUT_SHA WHAT
    grep -qF "$1" "$WORK/err" || fail "$5 says: $(cat "$WORK/err")"
    [ ! -e "$2" ] || fail "$5 wrote $2"
    ls -a "$(dirname "$2")" | grep -q "^$(basename "$2")\." &&
        fail "$5 left a file beside $2: $(ls -a "$(dirname "$2")")"
    [ "$(sha "$3")" = "$4" ] || fail "$5 changed its input"
}
OFD_SHA=$(sha "$WORK/in.ofd")

# --- libxml2 hidden: PDF work goes on, OFD work refuses
hidden "$XML_FILE" "$SEALSVC" --version >/dev/null || fail "sealsvc --version needs libxml2"
hidden "$XML_FILE" "$SEALSVC" --data "$DATA" stamp "$WORK/in.pdf" "$WORK/noxml.pdf" --seal "$RSA" \
    --pin "$RSA_PIN" --page 1 --at 100,100 >"$WORK/out" 2>"$WORK/err" ||
    fail "stamping a PDF needs libxml2: $(cat "$WORK/err")"
check_pdf "$WORK/noxml.pdf" "without libxml2"
hidden "$XML_FILE" "$SEALSVC" --data "$DATA" verify "$WORK/noxml.pdf" >"$WORK/verify.txt" 2>&1 ||
    fail "verifying a PDF needs libxml2: $(cat "$WORK/verify.txt")"
grep -q '^Verdict: VALID' "$WORK/verify.txt" || fail "the PDF is not VALID without libxml2: $(cat "$WORK/verify.txt")"
WANT="OFD support needs libxml2 ($XML_SONAME), and it cannot be loaded ("
expect_exit 3 hidden "$XML_FILE" "$SEALSVC" --data "$DATA" stamp "$WORK/in.ofd" "$WORK/noxml.ofd" \
    --seal "$SM2" --pin "$SM2_PIN" --page 1 --at 60,60
refused "$WANT" "$WORK/noxml.ofd" "$WORK/in.ofd" "$OFD_SHA" "an OFD stamp without libxml2"
expect_exit 3 hidden "$XML_FILE" "$SEALSVC" --data "$DATA" verify "$WORK/out.ofd"
grep -qF "$WANT" "$WORK/err" || fail "an OFD verify without libxml2 says: $(cat "$WORK/err")"
expect_exit 3 hidden "$XML_FILE" "$SEALSVC" render "$WORK/in.ofd" -o "$WORK/noxml.png"
refused "$WANT" "$WORK/noxml.png" "$WORK/in.ofd" "$OFD_SHA" "an OFD render without libxml2"

# --- Cairo hidden: stamping draws nothing, drawing refuses
hidden "$CAIRO_FILE" "$SEALSVC" --version >/dev/null || fail "sealsvc --version needs Cairo"
# The demo's seals were made above, with their picture streams: a stamp only copies them.
hidden "$CAIRO_FILE" "$SEALSVC" --data "$DATA" stamp "$WORK/in.pdf" "$WORK/nocairo.pdf" \
    --seal "$RSA" --pin "$RSA_PIN" --page 1 --at 100,100 >"$WORK/out" 2>"$WORK/err" ||
    fail "stamping a PDF needs Cairo: $(cat "$WORK/err")"
check_pdf "$WORK/nocairo.pdf" "without Cairo"
# The seal shows as it does in the stamp made with Cairo at hand, where it was asked for.
pdftoppm -r 50 -f 1 -l 1 -png "$WORK/nocairo.pdf" "$WORK/nocairo"
pdftoppm -r 50 -f 1 -l 1 -png "$WORK/noxml.pdf" "$WORK/withcairo"
cmp -s "$WORK"/nocairo-*.png "$WORK"/withcairo-*.png ||
    fail "the seal stamped without Cairo looks different from the one stamped with it"
read -r RED AREA < <(python3 "$SEAL_SOURCE_DIR/tests/integration/lib/redpixels.py" \
    "$(ls "$WORK"/nocairo-*.png)" 50 85 85 30 30)
[ "$RED" -gt $((AREA / 10)) ] || fail "no seal drawn at 100,100 without Cairo ($RED red pixels of $AREA)"
hidden "$CAIRO_FILE" "$SEALSVC" --data "$DATA" stamp "$WORK/in.ofd" "$WORK/nocairo.ofd" \
    --seal "$SM2" --pin "$SM2_PIN" --page 1 --at 60,60 >"$WORK/out" 2>"$WORK/err" ||
    fail "stamping an OFD needs Cairo: $(cat "$WORK/err")"
hidden "$CAIRO_FILE" "$SEALSVC" --data "$DATA" verify "$WORK/nocairo.ofd" >"$WORK/verify.txt" 2>&1 ||
    fail "verifying an OFD needs Cairo: $(cat "$WORK/verify.txt")"
grep -q '^Verdict: VALID' "$WORK/verify.txt" || fail "the OFD is not VALID without Cairo: $(cat "$WORK/verify.txt")"
WANT="drawing seals and pages needs Cairo ($CAIRO_SONAME), and it cannot be loaded ("
expect_exit 3 hidden "$CAIRO_FILE" "$SEALSVC" render "$WORK/in.ofd" -o "$WORK/nocairo.png"
refused "$WANT" "$WORK/nocairo.png" "$WORK/in.ofd" "$OFD_SHA" "an OFD render without Cairo"
expect_exit 3 hidden "$CAIRO_FILE" "$SEALSVC" render "$WORK/in.pdf" -o "$WORK/nocairo.png"
refused "needs Poppler-glib" "$WORK/nocairo.png" "$WORK/in.pdf" "$IN_SHA" "a PDF render without Cairo"
grep -qF "$CAIRO_SONAME" "$WORK/err" || fail "a PDF render without Cairo does not name it: $(cat "$WORK/err")"
expect_exit 3 hidden "$CAIRO_FILE" "$SEALSVC" seal make --data "$DATA" --id lazy-drawn \
    --institution-code "$CODE" --pin 135790 --name "Lazy Drawn Seal" --key "$WORK/ext.key" \
    --cert "$WORK/ext.pem"
grep -qF "$WANT" "$WORK/err" || fail "seal make without Cairo says: $(cat "$WORK/err")"
"$SEALSVC" --data "$DATA" seal list >"$WORK/seals.txt" 2>&1 || fail "seal list: $(cat "$WORK/seals.txt")"
grep -q lazy-drawn "$WORK/seals.txt" && fail "a seal refused without Cairo is in the store"
"$SEALSVC" --data "$DATA" seal list | grep -q lazy-ext || fail "seal list does not show the seals"
echo "ok: libqpdf, libmicrohttpd, libxml2 and Cairo are loaded only by the commands that need them"
