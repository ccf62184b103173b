#!/usr/bin/env bash
# Encrypted PDFs: a seal on a document encrypted with RC4 (40 and 128 bit), AES-128 and
# AES-256 keeps its encryption (/Encrypt and the first /ID kept, our strings and streams
# encrypted), and the result opens, renders and verifies in qpdf, pdfsig, pdftoppm and
# our verifier. Documents with a user password need --password; permissions that forbid
# adding a signature field are refused naming the bit, unless the owner password is given.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

make_demo
make_nssdb
SEAL=$(seal_of rsa id official); PIN=$(seal_of rsa pin official)
SAMPLE="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"

stamp() { # IN OUT [ARGS...]
    local in=$1 out=$2
    shift 2
    "$SEALSVC" --data "$DATA" stamp "$in" "$out" --seal "$SEAL" --pin "$PIN" --page 2 \
        --at 100,120 "$@" >/dev/null
}

# Checks a stamped encrypted file: every tool reads it with PASSWORD (may be empty).
check_sealed() { # IN OUT PASSWORD
    local in=$1 out=$2 pw=$3 name
    name=$(basename "$out" .pdf)
    qpdf --password="$pw" --check "$out" >"$WORK/$name.qpdf" 2>&1 ||
        fail "$name: qpdf --check rejects the output: $(tail -3 "$WORK/$name.qpdf")"
    grep -q WARNING "$WORK/$name.qpdf" && fail "$name: qpdf warns: $(cat "$WORK/$name.qpdf")"
    # the encryption is the input's: same handler parameters, same first /ID
    diff <(qpdf --password="$pw" --show-encryption "$in" | grep -v 'Supplied password') \
        <(qpdf --password="$pw" --show-encryption "$out" | grep -v 'Supplied password') >/dev/null ||
        fail "$name: the encryption parameters changed"
    python3 - "$in" "$out" <<'PY' || fail "$name: /Encrypt or the first /ID part changed"
import re, sys
def last_trailer(path):
    data = open(path, 'rb').read()
    ids = re.findall(rb'/ID\s*\[\s*<([0-9a-fA-F]+)>', data)
    enc = re.findall(rb'/Encrypt\s+(\d+\s+\d+\s+R)', data)
    return ids[-1].lower(), enc[-1]
a, b = last_trailer(sys.argv[1]), last_trailer(sys.argv[2])
assert a == b, (a, b)
PY
    # our strings are not in the clear in the file, but qpdf decrypts them
    ! grep -aq '(Seal1)' "$out" || fail "$name: the field name is written unencrypted"
    qpdf --password="$pw" --decrypt --qdf --object-streams=disable "$out" "$WORK/$name.qdf"
    grep -aq '/T (Seal1)' "$WORK/$name.qdf" || fail "$name: qpdf does not decrypt the field name"
    pdfsig -nssdir "sql:$NSSDB" -no-ocsp ${pw:+-upw "$pw"} "$out" >"$WORK/$name.sig" 2>&1 || true
    grep -q 'Signature is Valid' "$WORK/$name.sig" ||
        fail "$name: pdfsig does not accept the signature: $(cat "$WORK/$name.sig")"
    grep -q 'Total document signed' "$WORK/$name.sig" || fail "$name: pdfsig: not the whole file"
    "$SEALSVC" --data "$DATA" verify "$out" ${pw:+--password "$pw"} --json >"$WORK/$name.json" ||
        fail "$name: our verifier does not accept it: $(cat "$WORK/$name.json")"
    # the seal's image streams decrypt: pdftoppm draws red where the seal is
    pdftoppm -r 50 -f 2 -l 2 ${pw:+-upw "$pw"} "$out" "$WORK/$name"
    read -r cx cy _ _ < <($PDFTOOL redbox "$WORK/$name"-*2.ppm 50)
    python3 -c "import sys; cx, cy = float(sys.argv[1]), float(sys.argv[2]); assert abs(cx-100) < 2 and abs(cy-120) < 2, (cx, cy)" "$cx" "$cy" ||
        fail "$name: the seal is not drawn at 100,120 mm (found $cx,$cy)"
    # and /Contents was not encrypted: the CMS in the raw bytes verifies over the ByteRange
    mkdir -p "$WORK/$name.cms"
    $PDFTOOL extract-cms "$out" 0 "$WORK/$name.cms"
    openssl cms -verify -binary -inform DER -in "$WORK/$name.cms/cms.der" \
        -content "$WORK/$name.cms/signed.bin" -CAfile "$ROOT_PEM" -purpose any -out /dev/null \
        2>"$WORK/$name.cms/err" || fail "$name: openssl cms -verify: $(cat "$WORK/$name.cms/err")"
    echo "$name: sealed and verified"
}

# --- empty user password, each cipher
qpdf --allow-weak-crypto --encrypt "" owner-pw 40 -- "$SAMPLE" "$WORK/rc4-40.in.pdf"
qpdf --allow-weak-crypto --encrypt "" owner-pw 128 --use-aes=n -- "$SAMPLE" "$WORK/rc4-128.in.pdf"
qpdf --encrypt "" owner-pw 128 --use-aes=y -- "$SAMPLE" "$WORK/aes-128.in.pdf"
qpdf --encrypt "" owner-pw 256 -- "$SAMPLE" "$WORK/aes-256.in.pdf"
for kind in rc4-40 rc4-128 aes-128 aes-256; do
    stamp "$WORK/$kind.in.pdf" "$WORK/$kind.pdf"
    check_sealed "$WORK/$kind.in.pdf" "$WORK/$kind.pdf" ""
done

# a second seal on an encrypted sealed file keeps both valid
stamp "$WORK/aes-256.pdf" "$WORK/aes-256-twice.pdf" --at 40,120
pdfsig -nssdir "sql:$NSSDB" -no-ocsp "$WORK/aes-256-twice.pdf" >"$WORK/twice.sig" 2>&1 || true
[ "$(grep -c 'Signature is Valid' "$WORK/twice.sig")" = 2 ] ||
    fail "pdfsig does not find both signatures valid: $(cat "$WORK/twice.sig")"
"$SEALSVC" --data "$DATA" verify "$WORK/aes-256-twice.pdf" >/dev/null ||
    fail "our verifier rejects two seals on an encrypted file"

# --- a user password: the corpus files (pyHanko's, user password "usersecret")
if [ -d "${SEAL_CORPUS:-}/pdf" ]; then
    for f in minimal-rc4 minimal-aes256; do
        cp "$SEAL_CORPUS/pdf/$f.pdf" "$WORK/$f.in.pdf"
        before=$(sha "$WORK/$f.in.pdf")
        rm -f "$WORK/out.pdf"
        expect_exit 3 "$SEALSVC" --data "$DATA" stamp "$WORK/$f.in.pdf" "$WORK/out.pdf" \
            --seal "$SEAL" --pin "$PIN" --at 20,20
        grep -q 'protected by a password: give it with --password' "$WORK/err" ||
            fail "$f without a password: $(cat "$WORK/err")"
        expect_exit 3 "$SEALSVC" --data "$DATA" stamp "$WORK/$f.in.pdf" "$WORK/out.pdf" \
            --seal "$SEAL" --pin "$PIN" --at 20,20 --password not-this-one
        grep -q 'auth error.*the password given does not open' "$WORK/err" ||
            fail "$f with a wrong password: $(cat "$WORK/err")"
        grep -q not-this-one "$WORK/err" && fail "the password was echoed in a message"
        [ ! -e "$WORK/out.pdf" ] || fail "$f: an output file was left after a refusal"
        [ "$(sha "$WORK/$f.in.pdf")" = "$before" ] || fail "$f: the input changed"

        "$SEALSVC" --data "$DATA" stamp "$WORK/$f.in.pdf" "$WORK/$f.user.pdf" --seal "$SEAL" \
            --pin "$PIN" --page 1 --at 20,20 --password usersecret >/dev/null
        printf 'ownersecret\n' >"$WORK/owner.txt"
        "$SEALSVC" --data "$DATA" stamp "$WORK/$f.in.pdf" "$WORK/$f.owner.pdf" --seal "$SEAL" \
            --pin "$PIN" --page 1 --at 20,20 --password-file "$WORK/owner.txt" >/dev/null
        for who in user owner; do
            out="$WORK/$f.$who.pdf"
            qpdf --password=usersecret --check "$out" >"$WORK/q.txt" 2>&1 ||
                fail "$f ($who password): qpdf --check: $(tail -3 "$WORK/q.txt")"
            pdfsig -nssdir "sql:$NSSDB" -no-ocsp -upw usersecret "$out" >"$WORK/s.txt" 2>&1 || true
            grep -q 'Signature is Valid' "$WORK/s.txt" || fail "$f ($who password): pdfsig rejects it"
            SEALSVC_PDF_PASSWORD=usersecret "$SEALSVC" --data "$DATA" verify "$out" >/dev/null ||
                fail "$f ($who password): our verifier rejects it"
            expect_exit 3 "$SEALSVC" --data "$DATA" verify "$out"
            grep -q 'protected by a password' "$WORK/err" ||
                fail "verify without the password: $(cat "$WORK/err")"
        done
        echo "$f: sealed with the user and with the owner password"
    done
else
    echo "note: the shared corpus is absent; its encrypted files were not tried" >&2
fi

# --- permissions (ISO 32000-1 Table 22)
refused_perm() { # IN BIT
    rm -f "$WORK/out.pdf"
    expect_exit 3 "$SEALSVC" --data "$DATA" stamp "$1" "$WORK/out.pdf" --seal "$SEAL" --pin "$PIN" \
        --at 20,20
    grep -q "policy error.*permission bit $2 of /P is clear" "$WORK/err" ||
        fail "$(basename "$1"): not refused for bit $2: $(cat "$WORK/err")"
    [ ! -e "$WORK/out.pdf" ] || fail "an output file was left after a refusal"
}
qpdf --encrypt "" owner-pw 256 --modify=none -- "$SAMPLE" "$WORK/no-modify.pdf"
refused_perm "$WORK/no-modify.pdf" 6
qpdf --encrypt "" owner-pw 256 --annotate=n -- "$SAMPLE" "$WORK/no-annotate.pdf"
refused_perm "$WORK/no-annotate.pdf" 6
qpdf --encrypt "" owner-pw 256 --modify-other=n -- "$SAMPLE" "$WORK/no-other.pdf"
refused_perm "$WORK/no-other.pdf" 4
# the owner password lifts the restrictions; the result keeps them for others
stamp "$WORK/no-modify.pdf" "$WORK/owner-signed.pdf" --password owner-pw
check_sealed "$WORK/no-modify.pdf" "$WORK/owner-signed.pdf" ""
qpdf --show-encryption "$WORK/owner-signed.pdf" >"$WORK/perms.txt"
grep -q 'modify annotations: not allowed' "$WORK/perms.txt" ||
    fail "the permissions of the document changed"

echo "pdf_protection: all checks passed"
