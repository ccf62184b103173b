#!/usr/bin/env bash
# `sealsvc seal make` as an administrator meets it, with keys made by openssl in the forms
# institutions hand them over: an RSA 3072 key as encrypted PKCS#8 (PEM and DER), an
# ECDSA key in the traditional encrypted PEM form, a PKCS#12 file with the certificate
# and chain. A wrong or missing password is refused naming the file, never the password;
# the key then rests in the store encrypted under the seal PIN (openssl opens it with the
# PIN, its private numbers are nowhere on disk in clear), and the seal stamps a PDF that
# openssl cms -verify accepts. An uploaded PNG is kept byte for byte; a broken one, a bad
# seal id or PIN is refused before anything is registered; a bad credit code is refused.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

make_demo
command -v sqlite3 >/dev/null || fail "sqlite3 is needed"
CA="$DATA/pki/issuing-ca.pem"
CODE=91440300MA5DQT0X9H # check characters (GB 11714, GB 32100) computed independently
NAME=深圳前海测试有限公司
PIN=246810

# issue KEYFILE CERTFILE: a signing certificate from the demo issuing CA for KEYFILE
issue() {
    openssl req -new -utf8 -key "$1" -subj "/C=CN/O=$NAME/CN=$NAME" -out "$WORK/req.csr"
    openssl x509 -req -in "$WORK/req.csr" -CA "$CA" -CAkey "$DATA/pki/private/issuing-ca.key.pem" \
        -passin "file:$DATA/secrets/kek" -days 365 -out "$2" 2>/dev/null
}
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$WORK/rsa.key" 2>/dev/null
issue "$WORK/rsa.key" "$WORK/rsa.pem"
openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$WORK/rsa.key" -out "$WORK/rsa.p8.pem" -passout pass:k3y-pass
openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$WORK/rsa.key" -outform DER -out "$WORK/rsa.p8.der" \
    -passout pass:k3y-pass
openssl pkcs12 -export -inkey "$WORK/rsa.key" -in "$WORK/rsa.pem" -certfile "$CA" \
    -out "$WORK/rsa.p12" -passout pass:k3y-pass
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/ec.key" 2>/dev/null
issue "$WORK/ec.key" "$WORK/ec.pem"
openssl ec -in "$WORK/ec.key" -aes256 -passout pass:k3y-pass -out "$WORK/ec.enc.pem" 2>/dev/null
grep -q "Proc-Type: 4,ENCRYPTED" "$WORK/ec.enc.pem" || fail "openssl did not write a traditional encrypted PEM"

make_seal() { # ID ARGS...: seal make for the test institution
    local id=$1
    shift
    "$SEALSVC" seal make --data "$DATA" --id "$id" --institution-code "$CODE" --pin "$PIN" \
        --name "$NAME" "$@"
}
institution_registered() { # true once the credit code is known to the store
    local said
    said=$("$SEALSVC" seal make --data "$DATA" --id probe --institution-code "$CODE" --pin "$PIN" \
        --name x --key "$WORK/rsa.key" --cert "$WORK/rsa.pem" 2>&1 >/dev/null || true)
    [[ "$said" != *"no institution with this credit code is registered"* ]]
}
seals_before=$("$SEALSVC" seal list --data "$DATA" | wc -l)

# ---- refusals before anything is registered: each names its problem, exit 3
head -c 200 "$DATA/seals/xinghe-official.png" >"$WORK/broken.png"
expect_exit 3 make_seal up --institution-name "$NAME" --key "$WORK/rsa.key" --cert "$WORK/rsa.pem" \
    --image "$WORK/broken.png"
grep -q -- "--image $WORK/broken.png: not a PNG image" "$WORK/err" ||
    fail "a broken PNG is not refused naming the file: $(cat "$WORK/err")"
# a picture over 64 KB (an RGBA PNG of noise, as a scan would be): refused, saying why
python3 - "$WORK/big.png" <<'PY'
import os, struct, sys, zlib
w = h = 300
raw = b"".join(b"\0" + os.urandom(4 * w) for _ in range(h))
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
                              + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
PY
expect_exit 3 make_seal big --institution-name "$NAME" --key "$WORK/rsa.key" --cert "$WORK/rsa.pem" \
    --image "$WORK/big.png"
grep -q "its picture has [0-9]* bytes; a seal picture may have at most 64 KB" "$WORK/err" ||
    fail "a picture over 64 KB is not refused: $(cat "$WORK/err")"
expect_exit 3 make_seal a/../../escape --institution-name "$NAME" --key "$WORK/rsa.key" --cert "$WORK/rsa.pem"
grep -q "seal id has a character at position 2" "$WORK/err" ||
    fail "a seal id with '/' is not refused: $(cat "$WORK/err")"
[ ! -e "$WORK/escape.esl" ] || fail "a seal id with '../' wrote outside seals/"
expect_exit 3 "$SEALSVC" seal make --data "$DATA" --id short-pin --institution-code "$CODE" \
    --institution-name "$NAME" --pin 123 --name "$NAME" --key "$WORK/rsa.key" --cert "$WORK/rsa.pem"
grep -q "PIN must have 6 to 64 characters" "$WORK/err" || fail "a short PIN is not refused: $(cat "$WORK/err")"
expect_exit 3 make_seal mismatch --institution-name "$NAME" --key "$WORK/ec.key" --cert "$WORK/rsa.pem"
grep -q "does not belong to" "$WORK/err" || fail "a key of another certificate is not refused: $(cat "$WORK/err")"
# a certificate that names another institution's credit code (organizationIdentifier)
openssl req -new -utf8 -key "$WORK/rsa.key" -subj "/C=CN/O=$NAME/organizationIdentifier=91110108MA01XH3K7J/CN=$NAME" \
    -out "$WORK/other.csr"
openssl x509 -req -in "$WORK/other.csr" -CA "$CA" -CAkey "$DATA/pki/private/issuing-ca.key.pem" \
    -passin "file:$DATA/secrets/kek" -days 365 -out "$WORK/other.pem" 2>/dev/null
expect_exit 3 make_seal other --institution-name "$NAME" --key "$WORK/rsa.key" --cert "$WORK/other.pem"
grep -q "the certificate belongs to another institution: the credit code in its organizationIdentifier" \
    "$WORK/err" || fail "a certificate of another institution is not refused: $(cat "$WORK/err")"
grep -q "91110108MA01XH3K7J\|$CODE" "$WORK/err" && fail "the refusal prints a credit code"
# a key too weak for a seal
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$WORK/weak.key" 2>/dev/null
issue "$WORK/weak.key" "$WORK/weak.pem"
expect_exit 3 make_seal weak --institution-name "$NAME" --key "$WORK/weak.key" --cert "$WORK/weak.pem"
grep -q "the key is RSA of 1024 bits; seals sign with RSA (2048 bits or more), ECDSA on P-256 or SM2" \
    "$WORK/err" || fail "an RSA 1024 key is not refused: $(cat "$WORK/err")"
institution_registered && fail "a refused seal registered its institution"
expect_exit 3 "$SEALSVC" seal make --data "$DATA" --id bad-code --institution-code 91440300MA5DQT0X9J \
    --institution-name "$NAME" --pin "$PIN" --name "$NAME" --key "$WORK/rsa.key" --cert "$WORK/rsa.pem"
grep -q -- "--institution-code: unified social credit code: check character does not match" "$WORK/err" ||
    fail "a wrong credit code check character is not refused: $(cat "$WORK/err")"

# ---- wrong and missing key passwords, for every container
for key in rsa.p8.pem rsa.p8.der rsa.p12 ec.enc.pem; do
    cert=(--cert "$WORK/rsa.pem")
    [ "$key" = ec.enc.pem ] && cert=(--cert "$WORK/ec.pem")
    [ "$key" = rsa.p12 ] && cert=()
    expect_exit 3 make_seal wrong --institution-name "$NAME" --key "$WORK/$key" "${cert[@]}" \
        --key-password n0t-the-pass
    grep -q "auth error: seal make: wrong password for the key in $WORK/$key" "$WORK/err" ||
        fail "a wrong password for $key is not refused clearly: $(cat "$WORK/err")"
    grep -q "n0t-the-pass" "$WORK/err" && fail "the wrong password for $key was echoed"
    expect_exit 3 make_seal wrong --institution-name "$NAME" --key "$WORK/$key" "${cert[@]}"
    grep -q "auth error: .*$key .*a password is needed" "$WORK/err" ||
        fail "a missing password for $key is not refused clearly: $(cat "$WORK/err")"
done
institution_registered && fail "a refused key registered the institution"
[ "$("$SEALSVC" seal list --data "$DATA" | wc -l)" = "$seals_before" ] || fail "a refused seal was stored"

# ---- every key form makes a seal; the first registers the institution
make_seal qh-p12 --institution-name "$NAME" --key "$WORK/rsa.p12" --key-password k3y-pass \
    --image "$DATA/seals/xinghe-official.png" >"$WORK/p12.json" 2>"$WORK/p12.err" ||
    fail "seal make with PKCS#12 failed: $(cat "$WORK/p12.err")"
grep -q "institution $NAME registered" "$WORK/p12.err" || fail "the new institution was not reported"
make_seal qh-p8 --kind contract --key "$WORK/rsa.p8.pem" --key-password k3y-pass \
    --cert "$WORK/rsa.pem" >/dev/null 2>"$WORK/err" || fail "seal make with PKCS#8 PEM failed: $(cat "$WORK/err")"
make_seal qh-der --key "$WORK/rsa.p8.der" --key-password k3y-pass --cert "$WORK/rsa.pem" \
    --shape oval >/dev/null 2>"$WORK/err" || fail "seal make with PKCS#8 DER failed: $(cat "$WORK/err")"
make_seal qh-ec --key "$WORK/ec.enc.pem" --key-password k3y-pass --cert "$WORK/ec.pem" \
    >/dev/null 2>"$WORK/err" || fail "seal make with an encrypted EC PEM failed: $(cat "$WORK/err")"
[ "$("$SEALSVC" seal list --data "$DATA" | wc -l)" = $((seals_before + 4)) ] || fail "seal list misses the new seals"
grep -q "^qh-ec	official	ecdsa	$NAME	" <("$SEALSVC" seal list --data "$DATA") ||
    fail "seal list does not show qh-ec as an ECDSA seal of $NAME"
# each new seal is in the audit trail, made by the user, with its certificate; no credit
# code; the refused ones are not there
"$SEALSVC" --data "$DATA" audit list >"$WORK/audit.txt" || fail "audit list failed"
for id in qh-p12 qh-p8 qh-der qh-ec; do
    grep -Eq " make +seal:$id +[a-z]+ seal $id \(.*\) of $NAME, code [0-9]{13}, (rsa|ecdsa) key, certificate [0-9a-f]+, valid [0-9-]+ to [0-9-]+ \(by $(id -un)\)$" \
        "$WORK/audit.txt" || fail "no audit record of making $id: $(grep "seal:$id" "$WORK/audit.txt")"
done
grep -q "$CODE" "$WORK/audit.txt" && fail "a credit code is in the audit trail"
grep -Eq "seal:(short-pin|bad-code|probe) " "$WORK/audit.txt" && fail "a refused seal is in the audit trail"

# the uploaded picture is kept byte for byte, in seals/ and inside the GB/T 38540 seal
cmp -s "$DATA/seals/qh-p12.png" "$DATA/seals/xinghe-official.png" || fail "the uploaded PNG was changed"
"$SEALSVC" seal show --json "$DATA/seals/qh-p12.esl" >"$WORK/show.json" || fail "the uploaded seal does not verify"
python3 - "$WORK/show.json" "$(stat -c %s "$DATA/seals/xinghe-official.png")" <<'PY' ||
import json, sys
j = json.load(open(sys.argv[1]))
assert j["picture"]["type"] == "PNG" and j["picture"]["bytes"] == int(sys.argv[2]), j["picture"]
assert j["picture"]["width_mm"] == 42 and j["picture"]["height_mm"] == 42, j["picture"]
assert j["certificates"][0]["algorithm"] == "rsa", j["certificates"]
PY
    fail "seal show does not show the uploaded picture"

# ---- the keys rest encrypted under the PIN and the platform's key-encryption key
# private_hex KEYFILE [PASS]: the private numbers of a key (RSA's first prime, EC's d)
private_hex() {
    openssl pkey -in "$1" ${2:+-passin "pass:$2"} -text -noout |
        awk '/^(prime1|priv):/{on=1; next} on && /^[a-zA-Z]/{exit} on' | tr -d ' :\n' |
        sed 's/^00//'
}
# the passphrase: hex HMAC-SHA256 keyed with secrets/kek's text over the PIN
PASSPHRASE=$(printf %s "$PIN" | openssl dgst -sha256 -hmac "$(tr -d ' \n' <"$DATA/secrets/kek")" -r |
    cut -d' ' -f1)
for id in qh-p8 qh-ec; do
    sqlite3 "$DATA/sealsvc.db" "SELECT key_pem FROM seal WHERE id = '$id'" >"$WORK/$id.key.pem"
    head -1 "$WORK/$id.key.pem" | grep -q "BEGIN ENCRYPTED PRIVATE KEY" || fail "$id's stored key is not encrypted"
    openssl pkey -in "$WORK/$id.key.pem" -passin "pass:$PIN" -noout 2>/dev/null &&
        fail "$id's stored key opens with the PIN alone"
    openssl pkey -in "$WORK/$id.key.pem" -passin "pass:$PASSPHRASE" -pubout >"$WORK/$id.pub.pem" ||
        fail "$id's stored key does not open with its PIN and the key-encryption key"
done
cmp -s "$WORK/qh-p8.pub.pem" <(openssl pkey -in "$WORK/rsa.key" -pubout) || fail "qh-p8 stores another key"
cmp -s "$WORK/qh-ec.pub.pem" <(openssl pkey -in "$WORK/ec.key" -pubout) || fail "qh-ec stores another key"
for key in "$WORK/rsa.key" "$WORK/ec.key"; do
    secret=$(private_hex "$key")
    [ "${#secret}" -ge 60 ] || fail "could not read the private numbers of $key"
    while IFS= read -r -d '' f; do
        xxd -p "$f" | tr -d '\n' | grep -qi "$secret" && fail "$f holds the private key of $key in clear"
    done < <(find "$DATA" -type f -print0)
done
grep -a -q "$PIN" "$DATA/sealsvc.db" && fail "the PIN is in sealsvc.db"

# ---- the RSA 3072 seal signs: openssl cms -verify accepts the PDF's signature
SEALSVC_PIN=$PIN "$SEALSVC" --data "$DATA" stamp "$SEAL_SOURCE_DIR/samples/contract-zh.pdf" \
    "$WORK/signed.pdf" --seal qh-p8 --page 1 --at 100,200 >/dev/null 2>"$WORK/err" ||
    fail "stamping with the RSA 3072 seal failed: $(cat "$WORK/err")"
mkdir -p "$WORK/cms"
$PDFTOOL extract-cms "$WORK/signed.pdf" 0 "$WORK/cms"
openssl cms -verify -binary -inform DER -in "$WORK/cms/cms.der" -content "$WORK/cms/signed.bin" \
    -CAfile "$ROOT_PEM" -purpose any -out /dev/null 2>"$WORK/err" ||
    fail "openssl cms -verify rejects the RSA 3072 signature: $(cat "$WORK/err")"
openssl pkcs7 -inform DER -in "$WORK/cms/cms.der" -print_certs | openssl x509 -noout -text |
    grep -q "Public-Key: (3072 bit)" || fail "the signature is not made by the RSA 3072 key"
# ---- names with characters outside GB 2312: drawn from the complete font of the seal
# font's typeface (fonts/README.md; test_seal_font checks every glyph); a character no
# installed font has is refused naming it, and nothing is registered
# Looking a font up has fontconfig load its configuration, which it keeps for the life of
# the process: under LeakSanitizer (tests/run.sh) that is let go for these commands, by
# the function's name (full stacks), as ofd_render.sh does.
printf 'leak:FcInitLoadConfigAndFonts\n' >"$WORK/lsan.supp"
export LSAN_OPTIONS="suppressions=$WORK/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
RARE=北京喆堃科技有限公司
"$SEALSVC" seal make --data "$DATA" --id rare-name --institution-code "$CODE" --pin "$PIN" \
    --name "$RARE" --purpose 合同专用章 --key "$WORK/ec.enc.pem" --key-password k3y-pass \
    --cert "$WORK/ec.pem" >/dev/null 2>"$WORK/err" || fail "seal make --name $RARE: $(cat "$WORK/err")"
"$SEALSVC" seal make --data "$DATA" --id rare-person --institution-code "$CODE" --pin "$PIN" \
    --name 龚䶮 --shape square --key "$WORK/ec.enc.pem" --key-password k3y-pass \
    --cert "$WORK/ec.pem" >/dev/null 2>"$WORK/err" || fail "seal make --name 龚䶮: $(cat "$WORK/err")"
for id in rare-name rare-person; do
    python3 - "$DATA/seals/$id.png" <<'PY' || fail "$id's picture is not a drawn PNG"
import struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n" and b[12:16] == b"IHDR", "not a PNG"
w, h = struct.unpack(">II", b[16:24])
assert w > 400 and h > 400, (w, h)
PY
done
seals_now=$("$SEALSVC" seal list --data "$DATA" | wc -l)
expect_exit 3 "$SEALSVC" seal make --data "$DATA" --id no-glyph --institution-code "$CODE" \
    --pin "$PIN" --name "北京$(printf '\xee\x80\x80')科技有限公司" --key "$WORK/ec.enc.pem" \
    --key-password k3y-pass --cert "$WORK/ec.pem"
grep -q "no font has a glyph for character 3 (U+E000) of the seal name" "$WORK/err" ||
    fail "a character no font has is not refused naming it: $(cat "$WORK/err")"
[ "$("$SEALSVC" seal list --data "$DATA" | wc -l)" = "$seals_now" ] && [ ! -e "$DATA/seals/no-glyph.esl" ] ||
    fail "a refused name registered a seal"
echo "seal_make: ok"
