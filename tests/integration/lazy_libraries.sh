#!/usr/bin/env bash
# Libraries loaded on first use (libseal/src/base/lazy.h): neither libseal nor sealsvc is
# linked with libqpdf, libmicrohttpd, libcurl, Poppler-glib or libpq, so a command that
# does not need one never loads it; one that does and cannot load it says so in one error,
# with no crash, no output file and the input unchanged. A system library cannot be hidden
# with LD_LIBRARY_PATH, so each is hidden in a mount namespace of the test's own (unshare
# --user --map-root-user --mount) under an empty file bind-mounted over it; where user
# namespaces are not allowed, those checks are skipped (exit 77 at the end).
#   - libqpdf hidden: `sealsvc --version` and `stamp finish` of a prepared PDF work (pdfsig,
#     qpdf --check and openssl cms accept the result), an OFD is stamped and verified;
#     `verify` and `stamp` of a PDF refuse: "PDF support needs libqpdf (SONAME), and it
#     cannot be loaded".
#   - libmicrohttpd hidden: `sealsvc tsa` refuses: "serving HTTP needs libmicrohttpd".
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

: "${SEAL_BUILD_DIR:?}"
cache_path() { # VAR: a library's path as the build found it (seal_soname in CMakeLists.txt)
    sed -n "s/^$1:FILEPATH=//p" "$SEAL_BUILD_DIR/CMakeCache.txt"
}
soname() { objdump -p "$1" | sed -n 's/^ *SONAME *//p'; }
QPDF_FILE=$(readlink -f "$(cache_path SEAL_QPDF_SONAME_LIBRARY)")
MHD_FILE=$(readlink -f "$(cache_path SEAL_MHD_SONAME_LIBRARY)")
[ -f "$QPDF_FILE" ] && [ -f "$MHD_FILE" ] || fail "no libqpdf or libmicrohttpd in $SEAL_BUILD_DIR's cache"
QPDF_SONAME=$(soname "$QPDF_FILE")
MHD_SONAME=$(soname "$MHD_FILE")

# --- not linked: neither the program nor the library needs them at start-up
LIBSEAL=$(ldd "$SEALSVC" | sed -n 's/^\s*libseal\.so\.[0-9]* => \(\S*\).*/\1/p')
[ -n "$LIBSEAL" ] || fail "ldd does not show the libseal sealsvc loads"
ldd "$SEALSVC" >"$WORK/ldd.txt"
for lib in libqpdf libmicrohttpd libcurl libpoppler libgnutls libpq; do
    grep -q "$lib\.so" "$WORK/ldd.txt" && fail "sealsvc loads $lib at start-up: $(grep "$lib" "$WORK/ldd.txt")"
done
readelf -d "$LIBSEAL" "$SEALSVC" | grep NEEDED | grep -E 'qpdf|microhttpd|curl|poppler|libpq' &&
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
echo "ok: libqpdf and libmicrohttpd are loaded only by the commands that need them"
