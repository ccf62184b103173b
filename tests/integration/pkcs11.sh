#!/usr/bin/env bash
# Seals whose key lives on a PKCS#11 token (SoftHSM2, a token directory of the test's
# own): `seal make --pkcs11-uri` generates RSA-2048 and ECDSA P-256 keys on the token (or
# uses the one there), the platform CA certifies them, and `sealsvc stamp` signs PDFs and
# OFDs with them, checked by our verify, pdfsig and qpdf. The key never leaves the token:
# the store holds only its URI, and pkcs11-tool shows it sensitive and never extractable.
# The token PIN is the seal PIN: a wrong one is refused and counted toward the seal's lock,
# a locked token PIN is reported as locked, SM2 is refused, and no PIN reaches an output,
# a log, the audit trail or the database.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/old_store.sh"
. "$(dirname "$0")/lib/softhsm.sh"

SO_PIN=73918264
PIN=48152637
WRONG=59260471
make_demo
make_nssdb
make_token SealToken "$SO_PIN" "$PIN"
CODE=$(sqlite3 "$DATA/sealsvc.db" "SELECT credit_code FROM institution ORDER BY id LIMIT 1")
OWNER=$(sqlite3 "$DATA/sealsvc.db" "SELECT name FROM institution ORDER BY id LIMIT 1")
PDF="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"
OFD="$SEAL_SOURCE_DIR/samples/notice-zh.ofd"
LOGS="$WORK/logs"
mkdir -p "$LOGS"
n=0
# run NAME ARGS...: sealsvc with its outputs kept in $LOGS (checked for PINs at the end)
run() {
    local name=$1
    shift
    "$SEALSVC" --data "$DATA" "$@" >"$LOGS/$name.out" 2>"$LOGS/$name.err"
}
# refused WANT_EXIT NAME ARGS...: sealsvc must exit WANT_EXIT; stderr in $LOGS/NAME.err
refused() {
    local want=$1 name=$2
    shift 2
    set +e
    run "$name" "$@"
    local got=$?
    set -e
    [ "$got" = "$want" ] || fail "$name exited $got, expected $want: $(cat "$LOGS/$name.err")"
}
make_seal() { # ID OBJECT KEY-TYPE
    run "make-$1" seal make --id "$1" --institution-code "$CODE" --name "$OWNER" \
        --pkcs11-uri "pkcs11:token=SealToken;object=$2" --key-type "$3" --pin "$PIN" ||
        fail "seal make $1 failed: $(cat "$LOGS/make-$1.err")"
}

# --- seals on the token: RSA-2048 and ECDSA P-256 generated there, then one more seal on
# the existing ECDSA key
make_seal tk-rsa seal-rsa rsa
grep -q "rsa key generated on the token" "$LOGS/make-tk-rsa.err" || fail "make tk-rsa: $(cat "$LOGS/make-tk-rsa.err")"
make_seal tk-ec seal-ec ecdsa
grep -q "ecdsa key generated on the token" "$LOGS/make-tk-ec.err" || fail "make tk-ec: $(cat "$LOGS/make-tk-ec.err")"
make_seal tk-ec2 seal-ec ecdsa
grep -q "ecdsa key found on the token" "$LOGS/make-tk-ec2.err" || fail "make tk-ec2: $(cat "$LOGS/make-tk-ec2.err")"
python3 - "$LOGS/make-tk-rsa.out" <<'PY' || fail "seal make's JSON: $(cat "$LOGS/make-tk-rsa.out")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["algorithm"] == "rsa" and j["pkcs11_uri"] == "pkcs11:token=SealToken;object=seal-rsa", j
PY
# the certificates: issued by the platform's issuing CA for the token's own public keys
for id in tk-rsa tk-ec; do
    sqlite3 "$DATA/sealsvc.db" "SELECT cert_pem FROM seal WHERE id = '$id'" >"$WORK/$id.pem"
    openssl verify -CAfile "$ROOT_PEM" -untrusted "$DATA/pki/issuing-ca.pem" "$WORK/$id.pem" >/dev/null ||
        fail "the certificate of $id does not chain to the demo root"
done
label_of() { case $1 in tk-rsa) echo seal-rsa ;; *) echo seal-ec ;; esac; }
for id in tk-rsa tk-ec; do
    p11tool --token-label SealToken --read-object --type pubkey --label "$(label_of $id)" -o "$WORK/$id.pub.der" >/dev/null 2>&1 ||
        fail "pkcs11-tool cannot read the public key of $id"
    [ "$(openssl pkey -pubin -inform DER -in "$WORK/$id.pub.der" -outform DER | sha256sum)" = \
      "$(openssl x509 -in "$WORK/$id.pem" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum)" ] ||
        fail "the certificate of $id is not for the key on the token"
done
openssl x509 -in "$WORK/tk-rsa.pem" -noout -text | grep -q "Public-Key: (2048 bit)" || fail "tk-rsa is not RSA-2048"
openssl x509 -in "$WORK/tk-ec.pem" -noout -text | grep -q "NIST CURVE: P-256" || fail "tk-ec is not on P-256"

# --- the key never leaves the token: the seal's row holds its URI and no key material,
# and the token holds the private keys sensitive and never extractable
for id in tk-rsa tk-ec tk-ec2; do
    [ "$(sqlite3 "$DATA/sealsvc.db" "SELECT length(key_pem) FROM seal WHERE id = '$id'")" = 0 ] ||
        fail "seal $id keeps key material in the store"
    sqlite3 "$DATA/sealsvc.db" "SELECT * FROM seal WHERE id = '$id'" | grep -a -q "PRIVATE KEY" &&
        fail "seal $id's row holds a private key"
    sqlite3 "$DATA/sealsvc.db" "SELECT key_uri FROM seal WHERE id = '$id'" | grep -q '^pkcs11:token=SealToken;object=seal-' ||
        fail "seal $id does not keep its key's URI"
done
[ "$(sqlite3 "$DATA/sealsvc.db" "SELECT max(version) FROM schema_version")" = "$(schema_known "$DATA")" ] || fail "the schema is not the current version"
p11tool --token-label SealToken --login --pin "$PIN" --list-objects --type privkey >"$WORK/objects.txt" 2>&1 ||
    fail "pkcs11-tool --list-objects failed: $(cat "$WORK/objects.txt")"
python3 - "$WORK/objects.txt" <<'PY' || fail "the private keys on the token: $(cat "$WORK/objects.txt")"
import re, sys
text = open(sys.argv[1]).read()
keys = re.split(r"(?=Private Key Object)", text)[1:]
labels = {}
for k in keys:
    label = re.search(r"label:\s*(\S+)", k).group(1)
    access = re.search(r"Access:\s*(.*)", k).group(1)
    usage = re.search(r"Usage:\s*(.*)", k).group(1)
    labels[label] = (k.split("\n")[0], access, usage)
assert set(labels) == {"seal-rsa", "seal-ec"}, labels
assert "RSA" in labels["seal-rsa"][0] and "EC" in labels["seal-ec"][0], labels
for label, (kind, access, usage) in labels.items():
    assert "sensitive" in access and "never extractable" in access and "local" in access, (label, access)
    assert usage.strip() == "sign", (label, usage)
PY

# --- stamping with each seal through the unchanged `sealsvc stamp`: PDF and OFD
for id in tk-rsa tk-ec; do
    run "stamp-$id-pdf" stamp "$PDF" "$WORK/$id.pdf" --seal "$id" --pin "$PIN" --page 1 --at 100,100 ||
        fail "stamping the PDF with $id: $(cat "$LOGS/stamp-$id-pdf.err")"
    run "stamp-$id-ofd" stamp "$OFD" "$WORK/$id.ofd" --seal "$id" --pin "$PIN" --page 1 --at 100,100 ||
        fail "stamping the OFD with $id: $(cat "$LOGS/stamp-$id-ofd.err")"
    qpdf --check "$WORK/$id.pdf" >/dev/null || fail "qpdf --check rejects $id.pdf"
    pdfsig -nssdir "sql:$NSSDB" -no-ocsp "$WORK/$id.pdf" >"$WORK/pdfsig-$id.txt" 2>&1 || true
    grep -q 'Signature Validation: Signature is Valid.' "$WORK/pdfsig-$id.txt" ||
        fail "pdfsig does not call $id.pdf valid: $(cat "$WORK/pdfsig-$id.txt")"
    grep -q 'Total document signed' "$WORK/pdfsig-$id.txt" || fail "pdfsig: $id.pdf is not wholly signed"
    for f in "$WORK/$id.pdf" "$WORK/$id.ofd"; do
        run "verify-$id" verify "$f" --json || fail "sealsvc verify rejects $f: $(cat "$LOGS/verify-$id.out")"
        python3 - "$LOGS/verify-$id.out" "$id" <<'PY' || fail "the report of $f: $(cat "$LOGS/verify-$id.out")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == "VALID", r["verdict"]
s = r["signatures"]
assert len(s) == 1 and s[0]["verdict"] == "VALID", s
assert s[0]["algorithm"] == ("rsa" if sys.argv[2] == "tk-rsa" else "ecdsa"), s[0]["algorithm"]
PY
    done
done

# --- a wrong token PIN: refused, named, counted like a wrong seal PIN; a right PIN resets
sha_in=$(sha "$PDF")
refused 3 wrong-1 stamp "$PDF" "$WORK/no.pdf" --seal tk-rsa --pin "$WRONG" --page 1 --at 100,100
grep -q "wrong PIN for token SealToken (seal tk-rsa: 4 tries left)" "$LOGS/wrong-1.err" ||
    fail "a wrong token PIN says: $(cat "$LOGS/wrong-1.err")"
[ ! -e "$WORK/no.pdf" ] || fail "a refused stamp left its output"
[ "$(sha "$PDF")" = "$sha_in" ] || fail "the input changed"
[ "$(sqlite3 "$DATA/sealsvc.db" "SELECT pin_failures FROM seal WHERE id = 'tk-rsa'")" = 1 ] ||
    fail "the wrong token PIN was not counted"
run stamp-again stamp "$PDF" "$WORK/again.pdf" --seal tk-rsa --pin "$PIN" --page 1 --at 100,100 ||
    fail "the right PIN after a wrong one: $(cat "$LOGS/stamp-again.err")"
[ "$(sqlite3 "$DATA/sealsvc.db" "SELECT pin_failures FROM seal WHERE id = 'tk-rsa'")" = 0 ] ||
    fail "the right token PIN did not reset the count"
# five wrong PINs lock the seal, as for a key in the store; then even the right PIN is refused
for i in 1 2 3 4 5; do
    refused 3 "lock-$i" stamp "$OFD" "$WORK/no.ofd" --seal tk-ec2 --pin "$WRONG" --page 1 --at 100,100
done
grep -q "wrong PIN for token SealToken; seal tk-ec2 is now locked after 5 wrong PINs" "$LOGS/lock-5.err" ||
    fail "the fifth wrong token PIN says: $(cat "$LOGS/lock-5.err")"
[ "$(sqlite3 "$DATA/sealsvc.db" "SELECT locked FROM seal WHERE id = 'tk-ec2'")" = 1 ] || fail "tk-ec2 is not locked"
refused 3 locked-seal stamp "$OFD" "$WORK/no.ofd" --seal tk-ec2 --pin "$PIN" --page 1 --at 100,100
grep -q "seal tk-ec2 is locked after 5 wrong PINs" "$LOGS/locked-seal.err" || fail "the locked seal says: $(cat "$LOGS/locked-seal.err")"
[ ! -e "$WORK/no.ofd" ] || fail "a refused OFD stamp left its output"

# --- the token's user PIN locked (a module in front of SoftHSM2 that reports it so:
# SoftHSM2 itself never locks a PIN): reported as locked, not counted as a wrong PIN
cc -shared -fPIC -o "$WORK/p11_pin_locked.so" "$SEAL_SOURCE_DIR/tests/integration/lib/p11_pin_locked.c" \
    $(pkg-config --cflags p11-kit-1) -ldl || fail "cannot build the locked-PIN module"
P11_LOCKED_TARGET="$P11_MODULE" SEAL_PKCS11_MODULE="$WORK/p11_pin_locked.so" \
    refused 3 pin-locked stamp "$PDF" "$WORK/no.pdf" --seal tk-rsa --pin "$PIN" --page 1 --at 100,100
grep -q "the PIN of token SealToken is locked" "$LOGS/pin-locked.err" || fail "a locked token PIN says: $(cat "$LOGS/pin-locked.err")"
[ "$(sqlite3 "$DATA/sealsvc.db" "SELECT pin_failures FROM seal WHERE id = 'tk-rsa'")" = 0 ] ||
    fail "a locked token PIN was counted as a wrong PIN"
[ ! -e "$WORK/no.pdf" ] || fail "a refused stamp left its output"

# --- refusals at seal make: SM2, a PIN in the URI, a missing token, key or module
refused 3 sm2 seal make --id tk-sm2 --institution-code "$CODE" --name "$OWNER" \
    --pkcs11-uri "pkcs11:token=SealToken;object=seal-sm2" --key-type sm2 --pin "$PIN"
grep -q "SM2 keys cannot live on a PKCS#11 token here (SoftHSM2 and libp11 have no SM2)" "$LOGS/sm2.err" ||
    fail "SM2 on a token says: $(cat "$LOGS/sm2.err")"
refused 3 pin-value seal make --id tk-pin --institution-code "$CODE" --name "$OWNER" \
    --pkcs11-uri "pkcs11:token=SealToken;object=seal-rsa?pin-value=$PIN" --pin "$PIN"
grep -q "the PKCS#11 URI carries a PIN (pin-value)" "$LOGS/pin-value.err" || fail "pin-value says: $(cat "$LOGS/pin-value.err")"
refused 3 no-token seal make --id tk-x --institution-code "$CODE" --name "$OWNER" \
    --pkcs11-uri "pkcs11:token=NoSuchToken;object=seal-rsa" --pin "$PIN"
grep -q "there is no token labelled NoSuchToken" "$LOGS/no-token.err" || fail "a missing token says: $(cat "$LOGS/no-token.err")"
refused 3 no-module seal make --id tk-x --institution-code "$CODE" --name "$OWNER" \
    --pkcs11-uri "pkcs11:token=SealToken;object=seal-rsa?module-path=$WORK/none.so" --pin "$PIN"
grep -q "the PKCS#11 module $WORK/none.so cannot be loaded" "$LOGS/no-module.err" || fail "a missing module says: $(cat "$LOGS/no-module.err")"
refused 3 make-wrong-pin seal make --id tk-x --institution-code "$CODE" --name "$OWNER" \
    --pkcs11-uri "pkcs11:token=SealToken;object=seal-rsa" --pin "$WRONG"
grep -q "wrong PIN for token SealToken" "$LOGS/make-wrong-pin.err" || fail "seal make with a wrong PIN says: $(cat "$LOGS/make-wrong-pin.err")"
# a seal whose key is gone from the token names it
p11tool --token-label SealToken --login --pin "$PIN" --delete-object --type privkey --label seal-ec >/dev/null 2>&1 ||
    fail "pkcs11-tool cannot delete seal-ec"
refused 3 no-key stamp "$PDF" "$WORK/no.pdf" --seal tk-ec --pin "$PIN" --page 1 --at 100,100
grep -q "token SealToken holds no private key labelled seal-ec" "$LOGS/no-key.err" || fail "a missing key says: $(cat "$LOGS/no-key.err")"
sqlite3 "$DATA/sealsvc.db" "SELECT count(*) FROM seal WHERE id IN ('tk-sm2', 'tk-pin', 'tk-x')" | grep -qx 0 ||
    fail "a refused seal make stored a seal"

# --- a database of schema version 1 (before key_uri) is brought up to 2 when opened, and
# its seals still stamp
cp -r "$DATA" "$WORK/v1"
old_store sqlite "$WORK/v1/sealsvc.db"
sqlite3 "$WORK/v1/sealsvc.db" "DELETE FROM seal WHERE key_uri IS NOT NULL; ALTER TABLE seal DROP COLUMN key_uri;
    DELETE FROM schema_version; INSERT INTO schema_version (version) VALUES (1);"
V1_SEAL=$(seal_of rsa id official); V1_PIN=$(seal_of rsa pin official)
"$SEALSVC" --data "$WORK/v1" stamp "$PDF" "$WORK/v1.pdf" --seal "$V1_SEAL" --pin "$V1_PIN" --page 1 --at 100,100 \
    >/dev/null 2>"$WORK/v1.err" || fail "a stamp on a version 1 database: $(cat "$WORK/v1.err")"
[ "$(sqlite3 "$WORK/v1/sealsvc.db" "SELECT max(version) FROM schema_version")" = "$(schema_known "$WORK/v1")" ] || fail "the version 1 database was not migrated"
[ "$(sqlite3 "$WORK/v1/sealsvc.db" "SELECT count(*) FROM pragma_table_info('seal') WHERE name = 'key_uri'")" = 1 ] ||
    fail "the migrated database has no key_uri"

# --- no PIN anywhere: outputs, logs, the audit trail, the database, the token's config
"$SEALSVC" --data "$DATA" audit list >"$LOGS/audit.txt"
for pin in "$PIN" "$WRONG" "$SO_PIN"; do
    grep -a -r -l -- "$pin" "$LOGS" && fail "a PIN appears in the outputs above"
    grep -a -q -- "$pin" "$DATA/sealsvc.db" && fail "a PIN appears in sealsvc.db"
    for f in "$DATA"/sealsvc.db-wal; do
        [ -e "$f" ] && grep -a -q -- "$pin" "$f" && fail "a PIN appears in $f"
    done
done
grep -q "wrong PIN for token SealToken (seal tk-rsa: 4 tries left)" "$LOGS/audit.txt" ||
    fail "the audit trail does not record the wrong token PIN"
"$SEALSVC" --data "$DATA" audit verify >"$WORK/audit-verify.txt" || fail "audit verify: $(cat "$WORK/audit-verify.txt")"
echo "pkcs11: all checks passed"
