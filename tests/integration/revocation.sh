#!/usr/bin/env bash
# Revocation against peers that owe nothing to sealsvc: a CA run by `openssl ca` (index
# file, revocations, a hold, CRLs), `openssl ocsp` answering over HTTP on 127.0.0.1 (tests
# /lib/ocsp_peer.py), CRLs served by python3's http.server, and PDFs signed by Poppler's
# pdfsig with the CA's certificates. Scenarios: good; revoked before signing; revoked after
# signing (claimed time: not proven); frozen at signing, then unfrozen; OCSP down with a
# fresh CRL; a stale CRL; both down; an OCSP answer with another nonce; one signed by a key
# the CA never authorised; the evidence archive and --offline from the cache.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/peers.sh"

for tool in pdfsig certutil pk12util openssl python3; do
    command -v "$tool" >/dev/null || { echo "$tool missing: skipping" >&2; exit 77; }
done
PEER="python3 $SEAL_SOURCE_DIR/tests/integration/lib/ocsp_peer.py"
SAMPLE="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"
OCSP_PORT=$(free_port)
CRL_PORT=$(free_port)
CA="$WORK/ca"
mkdir -p "$CA/newcerts" "$CA/www" "$WORK/nss"

# --- the CA, its certificates and an NSS database holding the signers' keys
cat >"$CA/ca.cnf" <<EOF
[ca]
default_ca = d
[d]
dir = $CA
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
serial = \$dir/serial
crlnumber = \$dir/crlnumber
default_md = sha256
default_days = 365
default_crl_days = 7
policy = any
unique_subject = no
[any]
commonName = supplied
[leaf]
keyUsage = critical,digitalSignature,nonRepudiation
authorityKeyIdentifier = keyid
authorityInfoAccess = OCSP;URI:http://127.0.0.1:$OCSP_PORT/ocsp
crlDistributionPoints = URI:http://127.0.0.1:$CRL_PORT/ca.crl
[responder]
keyUsage = critical,digitalSignature
extendedKeyUsage = OCSPSigning
noCheck = ignored
[crl_ext]
authorityKeyIdentifier = keyid
EOF
touch "$CA/index.txt"
echo 1000 >"$CA/serial"
echo 01 >"$CA/crlnumber"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$CA/ca.key" -out "$CA/ca.pem" -days 3650 \
    -subj "/CN=Revocation Test Root" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
certutil -N -d "sql:$WORK/nss" --empty-password
issue() { # NAME EXTENSIONS
    openssl req -newkey rsa:2048 -nodes -keyout "$CA/$1.key" -out "$CA/$1.csr" \
        -subj "/O=Revocation Test/CN=$1" 2>/dev/null
    openssl ca -batch -config "$CA/ca.cnf" -extensions "$2" -in "$CA/$1.csr" \
        -out "$CA/$1.pem" 2>/dev/null
}
for n in good early late held; do
    issue "$n" leaf
    openssl pkcs12 -export -inkey "$CA/$n.key" -in "$CA/$n.pem" -certfile "$CA/ca.pem" \
        -name "$n" -out "$CA/$n.p12" -passout pass:pw
    pk12util -i "$CA/$n.p12" -d "sql:$WORK/nss" -W pw >/dev/null
done
issue responder responder
issue rogue leaf # issued by the CA, but never authorised to sign OCSP responses
gencrl() {
    openssl ca -config "$CA/ca.cnf" -gencrl -crlexts crl_ext -out "$CA/www/ca.crl.pem" 2>/dev/null
    openssl crl -in "$CA/www/ca.crl.pem" -outform DER -out "$CA/www/ca.crl"
}
sign() { # NAME OUT
    pdfsig -nssdir "sql:$WORK/nss" -add-signature -nick "$1" -new-signature-field-name Sig \
        "$SAMPLE" "$2" >/dev/null 2>&1 || fail "pdfsig could not sign with $1"
}
verify() { # FILE [ARGS...]: the JSON report in $WORK/v.json, the exit code in $VERIFY_EXIT
    local file=$1
    shift
    set +e
    "$SEALSVC" verify "$file" --trust "$CA/ca.pem" --json "$@" >"$WORK/v.json" 2>"$WORK/v.err"
    VERIFY_EXIT=$?
    set -e
    [ -s "$WORK/v.json" ] || fail "verify $file printed no report: $(cat "$WORK/v.err")"
}
# expect_verdict VERDICT REASON EXIT TEXT: the report's verdict and reason, the exit code,
# and TEXT in the signer's revocation check.
expect_verdict() {
    python3 - "$WORK/v.json" "$1" "$2" "$4" <<'PY' || fail "verify report: $(cat "$WORK/v.json")"
import json, sys
r = json.load(open(sys.argv[1]))
want, reason, text = sys.argv[2], sys.argv[3], sys.argv[4]
assert r["verdict"] == want, (r["verdict"], want)
assert (r["reason"] or "") == reason, (r["reason"], reason)
rev = [c for c in r["signatures"][0]["checks"] if c["name"] == "revocation"]
assert rev, "no revocation check"
assert text in rev[0]["detail"], (text, rev[0]["detail"])
PY
    [ "$VERIFY_EXIT" = "$3" ] || fail "verify exited $VERIFY_EXIT, expected $3"
}
start_ocsp() { # SIGNER [MODE]
    start_peer ocsp "$OCSP_PORT" $PEER --port "$OCSP_PORT" --index "$CA/index.txt" \
        --ca "$CA/ca.pem" --rsigner "$CA/$1.pem" --rkey "$CA/$1.key" --mode "${2:-normal}"
}
start_crl() {
    start_peer crl "$CRL_PORT" python3 -m http.server --bind 127.0.0.1 --directory "$CA/www" \
        "$CRL_PORT"
}
OCSP_URL="http://127.0.0.1:$OCSP_PORT/ocsp"
CRL_URL="http://127.0.0.1:$CRL_PORT/ca.crl"

# --- signatures: "early" revoked before it signs, "held" on hold when it signs, "late"
# revoked a second after
openssl ca -config "$CA/ca.cnf" -revoke "$CA/early.pem" -crl_reason keyCompromise 2>/dev/null
openssl ca -config "$CA/ca.cnf" -revoke "$CA/held.pem" -crl_hold holdInstructionReject 2>/dev/null
for n in good early late held; do sign "$n" "$WORK/$n.pdf"; done
sleep 1
openssl ca -config "$CA/ca.cnf" -revoke "$CA/late.pem" -crl_reason keyCompromise 2>/dev/null
gencrl
start_ocsp responder
start_crl

# good, through OCSP; the answer is archived and cached when there is a data directory
verify "$WORK/good.pdf" --data "$WORK/rp"
expect_verdict VALID "" 0 "OCSP response from $OCSP_URL"
archived=$(ls "$WORK"/rp/evidence/*/*/*/*-ocsp-*.der | head -1)
openssl ocsp -respin "$archived" -resp_text -noverify 2>/dev/null | grep -q "Cert Status: good" ||
    fail "the archived OCSP response does not say good"
grep -q "\"url\": \"$OCSP_URL\"" "${archived%.der}.json" || fail "the archive does not name the URL"

# revoked before signing: invalid
verify "$WORK/early.pdf"
expect_verdict INVALID REVOKED 1 "keyCompromise"

# revoked after the claimed (unproven) signing time: indeterminate; at that time it was good
verify "$WORK/late.pdf"
expect_verdict INDETERMINATE REVOKED_NO_POE 2 "after that time"
signed_at=$(json_get "$WORK/v.json" 'r["signatures"][0]["signing_time"]')
"$SEALSVC" cert status "$CA/late.pem" --trust "$CA/ca.pem" --at "$signed_at" --json \
    >"$WORK/s.json" || fail "cert status at the signing time is not good: $(cat "$WORK/s.json")"
[ "$(json_get "$WORK/s.json" 'r["status"]')" = good ] || fail "late.pem not good at $signed_at"
[ "$(json_get "$WORK/s.json" 'r["revoked_later"]')" = True ] || fail "late.pem: no later revocation"
expect_exit 1 "$SEALSVC" cert status "$CA/late.pem" --trust "$CA/ca.pem"
grep -q "status:      revoked" "$WORK/out" || fail "cert status now: $(cat "$WORK/out")"

# frozen when it signed: suspended; unfrozen (the index entry back to valid): valid again
verify "$WORK/held.pdf"
expect_verdict INDETERMINATE SUSPENDED 2 "certificateHold"
serial=$(openssl x509 -in "$CA/held.pem" -noout -serial | cut -d= -f2)
awk -F'\t' -v OFS='\t' -v s="$serial" '$4 == s { $1 = "V"; $3 = "" } { print }' \
    "$CA/index.txt" >"$CA/index.new" && mv "$CA/index.new" "$CA/index.txt"
gencrl
verify "$WORK/held.pdf"
expect_verdict VALID "" 0 "OCSP says good"

# the OCSP responder down, a fresh CRL: valid by the CRL
stop_peer ocsp
verify "$WORK/good.pdf"
expect_verdict VALID "" 0 "CRL from $CRL_URL"
verify "$WORK/early.pdf"
expect_verdict INVALID REVOKED 1 "CRL from $CRL_URL"

# a stale CRL (nextUpdate past, issued before the signature): no use
openssl ca -config "$CA/ca.cnf" -gencrl -crl_lastupdate 20200101000000Z \
    -crl_nextupdate 20200108000000Z -out "$CA/stale.pem" 2>/dev/null
openssl crl -in "$CA/stale.pem" -outform DER -out "$CA/www/ca.crl"
verify "$WORK/good.pdf"
expect_verdict INDETERMINATE TRY_LATER 2 "stale"

# both down: indeterminate, try later
stop_peer crl
verify "$WORK/good.pdf"
expect_verdict INDETERMINATE TRY_LATER 2 "connect"

# an answer bound to another request (another nonce): refused
start_ocsp responder wrong-nonce
verify "$WORK/good.pdf"
expect_verdict INDETERMINATE TRY_LATER 2 "nonce"
stop_peer ocsp

# an answer signed by a certificate the CA never authorised: refused; the CRL then decides
start_ocsp rogue
verify "$WORK/good.pdf"
expect_verdict INDETERMINATE TRY_LATER 2 "did not authorise"
gencrl
start_crl
verify "$WORK/good.pdf"
expect_verdict VALID "" 0 "CRL from $CRL_URL"
stop_peers

# offline, from what the data directory cached earlier (the first OCSP answer is fresh)
verify "$WORK/good.pdf" --data "$WORK/rp" --offline
expect_verdict VALID "" 0 "cache: $OCSP_URL"
verify "$WORK/good.pdf" --offline
expect_verdict INDETERMINATE TRY_LATER 2 "offline"
echo "revocation (openssl peers): all scenarios as expected"
