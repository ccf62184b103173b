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

# LTV data on an encrypted file with an empty user password: no password needed, the
# input untouched, the output as encrypted as the input (tests/integration/ltv_encrypted.sh
# covers user passwords and B-LTA)
before=$(sha "$WORK/aes-256.pdf")
"$SEALSVC" --data "$DATA" ltv "$WORK/aes-256.pdf" "$WORK/aes-256-ltv.pdf" --offline >/dev/null ||
    fail "ltv on an encrypted file with an empty user password failed"
[ "$(sha "$WORK/aes-256.pdf")" = "$before" ] || fail "ltv on an encrypted file changed its input"
qpdf --check "$WORK/aes-256-ltv.pdf" >"$WORK/ltv.qpdf" 2>&1 ||
    fail "qpdf --check rejects the encrypted file's ltv output: $(cat "$WORK/ltv.qpdf")"
"$SEALSVC" --data "$DATA" verify "$WORK/aes-256-ltv.pdf" --offline >/dev/null ||
    fail "our verifier rejects the encrypted file's ltv output"

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
        # a second seal: the first one's changes check reads its revision with the password
        "$SEALSVC" --data "$DATA" stamp "$WORK/$f.user.pdf" "$WORK/$f.twice.pdf" --seal "$SEAL" \
            --pin "$PIN" --page 1 --at 60,20 --password usersecret >/dev/null
        "$SEALSVC" --data "$DATA" verify "$WORK/$f.twice.pdf" --password usersecret --json \
            >"$WORK/twice.json" || fail "$f: two seals with a user password: $(cat "$WORK/twice.json")"
        python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["verdict"] == "VALID" and len(r["signatures"]) == 2, r' \
            "$WORK/twice.json" || fail "$f: two seals with a user password are not both valid"
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

# --- certification (DocMDP, ISO 32000-1 12.8.2.2) and field locks (FieldMDP, 12.8.2.4).
# The later changes are made by pdfsig and by pdftool's plain incremental updates, not by us.
$PDFTOOL form "$WORK/form.pdf"
verdict_of() { # FILE SIGNATURE-INDEX -> "VERDICT REASON"
    set +e
    "$SEALSVC" --data "$DATA" verify "$1" --json >"$WORK/v.json"
    set -e
    python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["signatures"][int(sys.argv[2])]; print(s["verdict"], s["reason"], "|".join(s.get("changes") or []))' "$WORK/v.json" "$2"
}
expect_verdict() { # FILE INDEX WANT-REGEX WHAT
    local got
    got=$(verdict_of "$1" "$2")
    echo "$got" | grep -qE "$3" || fail "$4: signature $2 is '$got', expected /$3/"
}
for p in 1 2 3; do
    "$SEALSVC" --data "$DATA" stamp "$WORK/form.pdf" "$WORK/cert$p.pdf" --seal "$SEAL" --pin "$PIN"         --at 150,60 --certify $p >/dev/null
    qpdf --show-object=1 "$WORK/cert$p.pdf" >"$WORK/catalog.txt"
    grep -q '/Perms << /DocMDP [0-9]* 0 R >>' "$WORK/catalog.txt" ||
        fail "certify $p: the catalog has no /Perms /DocMDP: $(cat "$WORK/catalog.txt")"
    sig=$(sed 's/.*DocMDP \([0-9]*\) 0 R.*/\1/' "$WORK/catalog.txt")
    qpdf --show-object="$sig" "$WORK/cert$p.pdf" | grep -q "/TransformMethod /DocMDP /TransformParams << /P $p /Type /TransformParams /V /1.2 >>" ||
        fail "certify $p: the signature has no DocMDP reference with P=$p"
    pdfsig -nssdir "sql:$NSSDB" -no-ocsp "$WORK/cert$p.pdf" >"$WORK/cert.sig" 2>&1 || true
    grep -q 'Signature is Valid' "$WORK/cert.sig" || fail "certify $p: pdfsig: $(cat "$WORK/cert.sig")"
    "$SEALSVC" --data "$DATA" verify "$WORK/cert$p.pdf" >"$WORK/cert.txt" || fail "certify $p: verify"
    grep -q "certification.*DocMDP P=$p" "$WORK/cert.txt" || fail "certify $p: level not reported"
done
# P=1: a seal is refused; a change by another tool invalidates the certification
cp "$WORK/cert1.pdf" "$WORK/cert1.keep.pdf"
expect_exit 3 "$SEALSVC" --data "$DATA" stamp "$WORK/cert1.pdf" "$WORK/out.pdf" --seal "$SEAL" \
    --pin "$PIN" --at 50,50
grep -q 'policy error.*certified with no changes allowed (DocMDP P=1)' "$WORK/err" ||
    fail "a seal on a P=1 document: $(cat "$WORK/err")"
cmp -s "$WORK/cert1.pdf" "$WORK/cert1.keep.pdf" || fail "the P=1 input changed"
[ ! -e "$WORK/out.pdf" ] || fail "an output was left after the P=1 refusal"
certutil -S -d "sql:$NSSDB" -n other -s "CN=Another Signer" -x -t "CT,C,C" -k rsa -g 2048 \
    -v 12 -z "$WORK/nss/cert9.db" --keyUsage digitalSignature,nonRepudiation >/dev/null 2>&1
pdfsig -nssdir "sql:$NSSDB" -add-signature -nick other "$WORK/cert1.pdf" "$WORK/cert1-other.pdf" \
    >/dev/null 2>&1 || fail "pdfsig -add-signature failed"
expect_verdict "$WORK/cert1-other.pdf" 0 'INVALID MODIFIED_AFTER_SIGNING.*certification allows no change' \
    "a signature added after a P=1 certification"
cp "$WORK/cert1.pdf" "$WORK/cert1-filled.pdf"
$PDFTOOL fill "$WORK/cert1-filled.pdf" 5 Alice
expect_verdict "$WORK/cert1-filled.pdf" 0 'INVALID MODIFIED_AFTER_SIGNING' "a field filled after P=1"

# P=2: our seal, pdfsig's signature and form filling are allowed, an annotation is not
"$SEALSVC" --data "$DATA" stamp "$WORK/cert2.pdf" "$WORK/cert2-sealed.pdf" --seal "$SEAL" \
    --pin "$PIN" --at 50,60 >/dev/null || fail "a seal on a P=2 document was refused"
expect_verdict "$WORK/cert2-sealed.pdf" 0 '^VALID' "our seal after a P=2 certification"
pdfsig -nssdir "sql:$NSSDB" -add-signature -nick other "$WORK/cert2.pdf" "$WORK/cert2-other.pdf" \
    >/dev/null 2>&1 || fail "pdfsig -add-signature failed"
expect_verdict "$WORK/cert2-other.pdf" 0 '^VALID' "pdfsig's signature after a P=2 certification"
cp "$WORK/cert2.pdf" "$WORK/cert2-filled.pdf"
$PDFTOOL fill "$WORK/cert2-filled.pdf" 5 Alice
expect_verdict "$WORK/cert2-filled.pdf" 0 '^VALID' "form filling after a P=2 certification"
cp "$WORK/cert2.pdf" "$WORK/cert2-annot.pdf"
$PDFTOOL annotate "$WORK/cert2-annot.pdf" 3
expect_verdict "$WORK/cert2-annot.pdf" 0 'INVALID MODIFIED_AFTER_SIGNING' "an annotation after P=2"
# P=3: annotations are allowed too
cp "$WORK/cert3.pdf" "$WORK/cert3-annot.pdf"
$PDFTOOL annotate "$WORK/cert3-annot.pdf" 3
expect_verdict "$WORK/cert3-annot.pdf" 0 '^VALID' "an annotation after a P=3 certification"
# only the first signature certifies
expect_exit 3 "$SEALSVC" --data "$DATA" stamp "$WORK/cert2-sealed.pdf" "$WORK/out.pdf" \
    --seal "$SEAL" --pin "$PIN" --at 50,90 --certify 2
grep -q 'only the first signature may certify' "$WORK/err" || fail "second certification: $(cat "$WORK/err")"
"$SEALSVC" --data "$DATA" stamp "$WORK/form.pdf" "$WORK/approved.pdf" --seal "$SEAL" --pin "$PIN" \
    --at 150,60 >/dev/null
expect_exit 3 "$SEALSVC" --data "$DATA" stamp "$WORK/approved.pdf" "$WORK/out.pdf" \
    --seal "$SEAL" --pin "$PIN" --at 50,90 --certify 3
grep -q 'only the first signature may certify.*already signed' "$WORK/err" ||
    fail "certifying a signed document: $(cat "$WORK/err")"

# field locks: filling a locked field is a modification, an unlocked one is not
cp "$WORK/approved.pdf" "$WORK/approved-filled.pdf"
$PDFTOOL fill "$WORK/approved-filled.pdf" 5 Alice
expect_verdict "$WORK/approved-filled.pdf" 0 '^VALID' "form filling after an approval signature"
for lock in Name all; do
    "$SEALSVC" --data "$DATA" stamp "$WORK/form.pdf" "$WORK/lock-$lock.pdf" --seal "$SEAL" \
        --pin "$PIN" --at 150,60 --lock-fields "$lock" >/dev/null
    "$SEALSVC" --data "$DATA" verify "$WORK/lock-$lock.pdf" >"$WORK/lock.txt" ||
        fail "lock $lock: the sealed file does not verify"
    grep -q 'locks' "$WORK/lock.txt" || fail "lock $lock: the lock is not reported"
    $PDFTOOL fill "$WORK/lock-$lock.pdf" 5 Mallory
    expect_verdict "$WORK/lock-$lock.pdf" 0 "INVALID MODIFIED_AFTER_SIGNING.*field 'Name' is locked" \
        "filling a field locked by --lock-fields $lock"
done
expect_exit 3 "$SEALSVC" --data "$DATA" stamp "$WORK/form.pdf" "$WORK/out.pdf" --seal "$SEAL" \
    --pin "$PIN" --at 150,60 --lock-fields Nobody
grep -q "no form field named 'Nobody'" "$WORK/err" || fail "unknown locked field: $(cat "$WORK/err")"
# the lock dictionary is an indirect object named by the field (Table 233) with the field list
python3 - "$WORK/lock-Name.pdf" <<'PY' || fail "the field lock dictionary is not as written"
import re, sys
pdf = open(sys.argv[1], 'rb').read()
lock = re.search(rb'/Lock (\d+) 0 R', pdf)
assert lock, 'no /Lock on the signature field'
body = re.search(rb'\n%s 0 obj\n(.*?)\nendobj' % lock.group(1), pdf, re.S).group(1)
assert b'/Type /SigFieldLock' in body and b'/Action /Include' in body and b'(Name)' in body, body
assert re.search(rb'/TransformMethod /FieldMDP /TransformParams << /Type /TransformParams /Action /Include /Fields \[ \(Name\) \]', pdf)
PY
# on an encrypted form, the field names of the lock are encrypted and still read back
qpdf --encrypt "" owner-pw 256 -- "$WORK/form.pdf" "$WORK/form-aes.pdf"
"$SEALSVC" --data "$DATA" stamp "$WORK/form-aes.pdf" "$WORK/form-aes-lock.pdf" --seal "$SEAL" \
    --pin "$PIN" --at 150,60 --lock-fields Name --certify 2 >/dev/null
pdfsig -nssdir "sql:$NSSDB" -no-ocsp "$WORK/form-aes-lock.pdf" >"$WORK/fal.sig" 2>&1 || true
grep -q 'Signature is Valid' "$WORK/fal.sig" || fail "encrypted + lock: pdfsig: $(cat "$WORK/fal.sig")"
"$SEALSVC" --data "$DATA" verify "$WORK/form-aes-lock.pdf" >"$WORK/fal.txt" ||
    fail "encrypted + lock: verify: $(cat "$WORK/fal.txt")"
grep -q 'DocMDP P=2); locks some form fields' "$WORK/fal.txt" || fail "encrypted + lock: not reported"
# strings we re-emit (the catalog's /DA) and write (a reason with parentheses and a
# backslash, the lock's field names) decrypt to what they were
"$SEALSVC" --data "$DATA" stamp "$WORK/form-aes.pdf" "$WORK/form-aes-reason.pdf" --seal "$SEAL" \
    --pin "$PIN" --at 150,60 --reason 'checked (twice) \ ok' --lock-fields Name >/dev/null
qpdf --decrypt --qdf --object-streams=disable "$WORK/form-aes-reason.pdf" "$WORK/far.qdf"
for want in '/DA (/Helv 0 Tf 0 g)' '/Reason (checked \(twice\) \\ ok)' '/Fields [' '(Name)'; do
    grep -aqF "$want" "$WORK/far.qdf" || fail "encrypted strings do not decrypt to '$want'"
done
pdfsig -nssdir "sql:$NSSDB" -no-ocsp "$WORK/form-aes-reason.pdf" >"$WORK/far.sig" 2>&1 || true
grep -qF 'Signature is Valid' "$WORK/far.sig" || fail "encrypted + reason: pdfsig: $(cat "$WORK/far.sig")"

echo "pdf_protection: all checks passed"
