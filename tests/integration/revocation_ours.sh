#!/usr/bin/env bash
# Revocation with our own CA, OCSP responder and CRLs (`sealsvc ca`, `sealsvc ocsp` on two
# loopback ports as the demo certificates name them), checked with `openssl ocsp`,
# `openssl crl` and `openssl verify -crl_check`, and used by `verify` (a bidder without the
# data directory), `cert status` and `stamp`. Scenarios: good; revoked after signing, at a
# claimed time and at a time a timestamp (`sealsvc tsa`) proves; revoked before a time;
# frozen at a time, then unfrozen; OCSP down with a fresh CRL; both down (and the
# platform's own published CRLs); stamp refuses revoked, frozen and expired seals and warns
# near expiry.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/peers.sh"

OCSP_PORT=$(free_port)
CRL_PORT=$(free_port)
"$SEALSVC" demo init --dir "$WORK/data" --ocsp-port "$OCSP_PORT" --crl-port "$CRL_PORT" \
    >"$WORK/manifest.json" 2>"$WORK/demo.log" || fail "demo init failed: $(cat "$WORK/demo.log")"
DATA="$WORK/data"
ROOT="$DATA/trust/root-ca.pem"
CA="$DATA/pki/issuing-ca.pem"
SAMPLE="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"
OCSP_URL="http://127.0.0.1:$OCSP_PORT/ocsp"
CRL_URL="http://127.0.0.1:$CRL_PORT/crl/issuing-ca.crl"
pin_of() { json_get "$WORK/manifest.json" "[s['pin'] for s in r['seals'] if s['id'] == '$1'][0]"; }
start_ocsp() { start_peer ocsp "$OCSP_PORT" "$SEALSVC" --data "$DATA" ocsp --listen "127.0.0.1:$OCSP_PORT"; }
start_crl() { start_peer crl "$CRL_PORT" "$SEALSVC" --data "$DATA" ocsp --listen "127.0.0.1:$CRL_PORT"; }
stamp() { # SEAL OUT
    SEALSVC_PIN=$(pin_of "$1") "$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$2" --seal "$1" \
        --page 1 --at 100,100 >/dev/null 2>"$WORK/stamp.err" ||
        fail "stamp with $1 failed: $(cat "$WORK/stamp.err")"
}
verify() { # FILE [ARGS...]: as a bidder, trusting the root only
    local file=$1
    shift
    set +e
    "$SEALSVC" verify "$file" --trust "$ROOT" --json "$@" >"$WORK/v.json" 2>"$WORK/v.err"
    VERIFY_EXIT=$?
    set -e
    [ -s "$WORK/v.json" ] || fail "verify $file printed no report: $(cat "$WORK/v.err")"
}
expect_verdict() { # VERDICT REASON EXIT TEXT-IN-THE-SIGNER'S-REVOCATION-CHECK
    python3 - "$WORK/v.json" "$1" "$2" "$4" <<'PY' || fail "verify report: $(cat "$WORK/v.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == sys.argv[2], (r["verdict"], sys.argv[2])
assert (r["reason"] or "") == sys.argv[3], (r["reason"], sys.argv[3])
rev = [c for c in r["signatures"][0]["checks"] if c["name"] == "revocation"]
assert len(rev) == 2, rev  # the signer and the issuing CA
assert sys.argv[4] in rev[0]["detail"], (sys.argv[4], rev[0]["detail"])
PY
    [ "$VERIFY_EXIT" = "$3" ] || fail "verify exited $VERIFY_EXIT, expected $3"
}
openssl_ocsp() { # CERT: the status line openssl ocsp prints for it, response checked
    openssl ocsp -issuer "$CA" -cert "$1" -url "$OCSP_URL" -CAfile "$ROOT" -verify_other "$CA" \
        >"$WORK/ocsp.txt" 2>&1 || fail "openssl ocsp failed: $(cat "$WORK/ocsp.txt")"
    grep -q "Response verify OK" "$WORK/ocsp.txt" ||
        fail "openssl does not accept our OCSP response: $(cat "$WORK/ocsp.txt")"
    ! grep -q "WARNING: no nonce" "$WORK/ocsp.txt" || fail "our responder did not echo the nonce"
    grep "^$1: " "$WORK/ocsp.txt" | cut -d' ' -f2
}
fetch_crl() { # NAME OUT.pem: over HTTP from the CRL port, checked by openssl crl
    python3 -c 'import sys, urllib.request; open(sys.argv[2], "wb").write(urllib.request.urlopen(sys.argv[1]).read())' \
        "http://127.0.0.1:$CRL_PORT/crl/$1.crl" "$WORK/$1.crl.der"
    openssl crl -inform DER -in "$WORK/$1.crl.der" -out "$2"
}

start_ocsp
start_crl
TSA_PORT=$(free_port)
start_peer tsa "$TSA_PORT" "$SEALSVC" --data "$DATA" tsa --listen "127.0.0.1:$TSA_PORT"

# --- the responder and CRLs, judged by openssl
[ "$(openssl_ocsp "$DATA/certs/xinghe.pem")" = good ] || fail "openssl ocsp: xinghe not good"
fetch_crl issuing-ca "$WORK/issuing.crl.pem"
fetch_crl root-ca "$WORK/root.crl.pem"
openssl crl -in "$WORK/issuing.crl.pem" -CAfile "$CA" -noout 2>&1 | grep -q "verify OK" ||
    fail "openssl does not verify the issuing CA's CRL"
cat "$CA" "$ROOT" >"$WORK/chain.pem"
cat "$WORK/issuing.crl.pem" "$WORK/root.crl.pem" >"$WORK/crls.pem"
openssl verify -crl_check_all -CAfile "$WORK/chain.pem" -CRLfile "$WORK/crls.pem" \
    "$DATA/certs/xinghe.pem" >/dev/null || fail "openssl verify -crl_check_all refuses xinghe"
python3 - "$OCSP_PORT" "$CA" "$DATA/certs/pujiang.pem" "$WORK" <<'PY' || fail "GET /ocsp/BASE64 failed"
# RFC 6960 A.1: the same request by GET, base64 and URL-encoded
import base64, subprocess, sys, urllib.parse, urllib.request
port, ca, cert, work = sys.argv[1:]
subprocess.run(["openssl", "ocsp", "-issuer", ca, "-cert", cert, "-no_nonce", "-reqout",
                work + "/get.req"], check=True, capture_output=True)
b64 = base64.b64encode(open(work + "/get.req", "rb").read()).decode()
body = urllib.request.urlopen("http://127.0.0.1:%s/ocsp/%s" % (port, urllib.parse.quote(b64, safe=""))).read()
open(work + "/get.resp", "wb").write(body)
out = subprocess.run(["openssl", "ocsp", "-respin", work + "/get.resp", "-resp_text", "-noverify"],
                     check=True, capture_output=True, text=True).stdout
assert "Cert Status: good" in out, out
PY

# --- good: a bidder verifies through OCSP (signer) and the root's CRL (issuing CA)
stamp xinghe-official "$WORK/xinghe.pdf"
stamp nanyue-official "$WORK/nanyue.pdf"
SEALSVC_PIN=$(pin_of xinghe-official) "$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$WORK/xinghe-bt.pdf" \
    --seal xinghe-official --page 1 --at 100,100 --tsa "http://127.0.0.1:$TSA_PORT/tsa" \
    >/dev/null 2>"$WORK/stamp.err" || fail "B-T stamp failed: $(cat "$WORK/stamp.err")"
verify "$WORK/xinghe.pdf"
expect_verdict VALID "" 0 "OCSP response from $OCSP_URL"
grep -q "CRL from http://127.0.0.1:$CRL_PORT/crl/root-ca.crl" "$WORK/v.json" ||
    fail "the issuing CA was not judged by the root's CRL"

# --- revoked after signing: the claimed time is not proven, so indeterminate; at the
# signing time the certificate was good; now it is revoked, and its seals refuse to stamp
signed_at=$(json_get "$WORK/v.json" 'r["signatures"][0]["signing_time"]')
sleep 1
"$SEALSVC" --data "$DATA" ca revoke "$DATA/certs/xinghe.pem" --reason keyCompromise >/dev/null
[ "$(openssl_ocsp "$DATA/certs/xinghe.pem")" = revoked ] || fail "openssl ocsp: xinghe not revoked"
verify "$WORK/xinghe.pdf"
expect_verdict INDETERMINATE REVOKED_NO_POE 2 "after that time"
# the same revocation after a signing time a timestamp proves: still valid, and said; the
# TSA's own chain is judged too
verify "$WORK/xinghe-bt.pdf"
expect_verdict VALID "" 0 "revoked after the proven signing time"
python3 - "$WORK/v.json" <<'PY' || fail "the TSA's chain was not judged: $(cat "$WORK/v.json")"
import json, sys
s = json.load(open(sys.argv[1]))["signatures"][0]
tsa = [c for c in s["checks"] if c["name"] == "tsa-revocation"]
assert len(tsa) == 2 and all(c["outcome"] == "VALID" for c in tsa), tsa
assert s["time_source"].startswith("proven by timestamp"), s["time_source"]
PY
"$SEALSVC" cert status "$DATA/certs/xinghe.pem" --issuer "$CA" --at "$signed_at" --json \
    >"$WORK/s.json" || fail "xinghe not good at its signing time: $(cat "$WORK/s.json")"
[ "$(json_get "$WORK/s.json" 'r["revoked_later"]')" = True ] || fail "no later revocation shown"
[ "$(json_get "$WORK/s.json" 'r["evidence"]["kind"]')" = ocsp ] || fail "not judged by OCSP"
# revoked before a time: invalid at that time
expect_exit 1 "$SEALSVC" cert status "$DATA/certs/xinghe.pem" --issuer "$CA" --at now
grep -q "keyCompromise" "$WORK/out" || fail "cert status does not name the reason: $(cat "$WORK/out")"
for seal in xinghe-official xinghe-contract; do
    before=$(sha "$SAMPLE")
    SEALSVC_PIN=$(pin_of "$seal") expect_exit 3 "$SEALSVC" --data "$DATA" stamp "$SAMPLE" \
        "$WORK/refused.pdf" --seal "$seal" --page 1 --at 100,100
    grep -q "revoked" "$WORK/err" || fail "stamp with $seal: $(cat "$WORK/err")"
    [ ! -e "$WORK/refused.pdf" ] || fail "a refused stamp left an output file"
    [ "$(sha "$SAMPLE")" = "$before" ] || fail "a refused stamp changed the input"
done

# --- frozen at a time, then unfrozen
"$SEALSVC" --data "$DATA" ca freeze "$DATA/certs/pujiang.pem" >/dev/null
frozen_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
[ "$(openssl_ocsp "$DATA/certs/pujiang.pem")" = revoked ] || fail "openssl ocsp: pujiang not on hold"
grep -q "Reason: certificateHold" "$WORK/ocsp.txt" || fail "the hold is not certificateHold"
expect_exit 2 "$SEALSVC" cert status "$DATA/certs/pujiang.pem" --issuer "$CA" --at "$frozen_at"
grep -q "status:      suspended" "$WORK/out" || fail "not suspended: $(cat "$WORK/out")"
SEALSVC_PIN=$(pin_of pujiang-official) expect_exit 3 "$SEALSVC" --data "$DATA" stamp "$SAMPLE" \
    "$WORK/refused.pdf" --seal pujiang-official --page 1 --at 100,100
grep -q "frozen" "$WORK/err" || fail "stamp with a frozen seal: $(cat "$WORK/err")"
sleep 1
"$SEALSVC" --data "$DATA" ca unfreeze "$DATA/certs/pujiang.pem" >/dev/null
"$SEALSVC" cert status "$DATA/certs/pujiang.pem" --issuer "$CA" --at "$frozen_at" >"$WORK/s.txt" ||
    fail "pujiang not good again after the unfreeze: $(cat "$WORK/s.txt")"
stamp pujiang-official "$WORK/pujiang.pdf"
verify "$WORK/pujiang.pdf"
expect_verdict VALID "" 0 "OCSP says good"

# --- the OCSP responder down, a fresh CRL from the other port
stop_peer ocsp
verify "$WORK/nanyue.pdf"
expect_verdict VALID "" 0 "CRL from $CRL_URL"

# --- both down: a bidder can only wait; the platform has its own published CRLs
stop_peer crl
verify "$WORK/nanyue.pdf"
expect_verdict INDETERMINATE TRY_LATER 2 "connect"
verify "$WORK/nanyue.pdf" --data "$DATA" --offline
expect_verdict VALID "" 0 "CRL from published CRL issuing-ca.crl (database)"

# --- stamp policy: near expiry warns, expired refuses
"$SEALSVC" --data "$DATA" ca renew "$DATA/certs/nanyue.pem" --force --days 10 -o "$WORK/short.pem" \
    2>/dev/null
stamp nanyue-official "$WORK/near.pdf"
grep -q "warning: the certificate of seal nanyue-official expires on" "$WORK/stamp.err" ||
    fail "no warning near expiry: $(cat "$WORK/stamp.err")"
# A certificate that lives for a few seconds, made by openssl with the issuing CA's key.
mkdir -p "$WORK/oca/newcerts"
touch "$WORK/oca/index.txt"
echo 2000 >"$WORK/oca/serial"
openssl pkey -in "$DATA/pki/private/issuing-ca.key.pem" -passin "file:$DATA/secrets/kek" \
    -out "$WORK/oca/ca.key" 2>/dev/null
cat >"$WORK/oca/ca.cnf" <<EOF
[ca]
default_ca = d
[d]
database = $WORK/oca/index.txt
new_certs_dir = $WORK/oca/newcerts
serial = $WORK/oca/serial
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
organizationName = optional
[leaf]
keyUsage = critical,digitalSignature,nonRepudiation
EOF
end=$(($(date +%s) + 10))
openssl req -newkey rsa:2048 -nodes -keyout "$WORK/short.key" -out "$WORK/short.csr" \
    -subj "/O=短期测试/CN=短期测试" -utf8 2>/dev/null
openssl ca -batch -config "$WORK/oca/ca.cnf" -extensions leaf -cert "$CA" \
    -keyfile "$WORK/oca/ca.key" -in "$WORK/short.csr" -out "$WORK/short-lived.pem" \
    -startdate "$(date -u -d '-1 minute' +%Y%m%d%H%M%SZ)" \
    -enddate "$(date -u -d "@$end" +%Y%m%d%H%M%SZ)" 2>/dev/null
code=$(sqlite3 "$DATA/sealsvc.db" "SELECT credit_code FROM institution LIMIT 1")
"$SEALSVC" --data "$DATA" seal make --id short-lived --institution-code "$code" \
    --cert "$WORK/short-lived.pem" --key "$WORK/short.key" --pin 135790 --name 短期测试 \
    >/dev/null 2>"$WORK/make.err" || fail "seal make: $(cat "$WORK/make.err")"
while [ "$(date +%s)" -le "$end" ]; do sleep 1; done
SEALSVC_PIN=135790 expect_exit 3 "$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$WORK/refused.pdf" \
    --seal short-lived --page 1 --at 100,100
grep -q "expired" "$WORK/err" || fail "stamp with an expired certificate: $(cat "$WORK/err")"
[ ! -e "$WORK/refused.pdf" ] || fail "a refused stamp left an output file"
echo "revocation (our CA, responder and CRLs): all scenarios as expected"
