#!/usr/bin/env bash
# RFC 3161 on loopback, each side checked by the other's independent implementation:
# `openssl ts -verify` accepts what our `sealsvc tsa` grants (SHA-256 and SM3 imprints),
# our TSA refuses bad requests with the right PKIStatus and failure info, its serial
# numbers never repeat across concurrent requests and a restart; our client stamps with
# OpenSSL's TSA (`openssl ts -reply` behind a small HTTP server) and refuses its answers
# when they carry another imprint or nonce or are not timestamp replies, leaving no output
# and the input untouched.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/tsa.sh"

make_demo
start_our_tsa
SAMPLE="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"
RSA=$(seal_of rsa id official)
RSA_PIN=$(seal_of rsa pin official)
echo "a document to timestamp" >"$WORK/doc.txt"

post() { # post URL QUERY REPLY [CONTENT-TYPE]: prints the HTTP status
    curl -s -o "$3" -w '%{http_code}' -H "Content-Type: ${4:-application/timestamp-query}" \
        --data-binary "@$2" "$1"
}

# --- openssl ts -verify accepts our tokens, SHA-256 and SM3 imprints
for hash in sha256 sm3; do
    openssl ts -query -data "$WORK/doc.txt" -"$hash" -cert -out "$WORK/$hash.tsq" 2>/dev/null
    [ "$(post "$OUR_TSA_URL" "$WORK/$hash.tsq" "$WORK/$hash.tsr")" = 200 ] ||
        fail "sealsvc tsa did not answer the $hash query"
    # shellcheck disable=SC2046
    openssl ts -verify -in "$WORK/$hash.tsr" -queryfile "$WORK/$hash.tsq" $(ts_verify_args) \
        >"$WORK/verify.txt" 2>&1 || fail "openssl ts -verify rejects our $hash token: $(cat "$WORK/verify.txt")"
    # shellcheck disable=SC2046
    openssl ts -verify -in "$WORK/$hash.tsr" -data "$WORK/doc.txt" $(ts_verify_args) \
        >"$WORK/verify.txt" 2>&1 || fail "openssl ts -verify: our $hash token is not over the data"
    openssl ts -reply -in "$WORK/$hash.tsr" -text >"$WORK/$hash.txt" 2>/dev/null
    grep -q 'Status: Granted' "$WORK/$hash.txt" || fail "$hash: not granted"
    grep -q "Hash Algorithm: $hash" "$WORK/$hash.txt" || fail "$hash: wrong imprint algorithm"
    grep -q 'Accuracy: 0x01 seconds' "$WORK/$hash.txt" || fail "$hash: no accuracy"
    grep -q 'Policy OID: 2.25.66734315095785095120008572179295366516' "$WORK/$hash.txt" ||
        fail "$hash: not the demo policy"
    grep -q 'TSA: DirName:.*CN=sealsvc Demo TSA' "$WORK/$hash.txt" || fail "$hash: no TSA name"
done

# --- bad requests get the PKIStatus rejection with the failure that fits
expect_rejected() { # QUERY-FILE "openssl's failure text"
    [ "$(post "$OUR_TSA_URL" "$1" "$WORK/rej.tsr")" = 200 ] || fail "no TimeStampResp for $1"
    openssl ts -reply -in "$WORK/rej.tsr" -text >"$WORK/rej.txt" 2>/dev/null
    grep -q 'Status: Rejected' "$WORK/rej.txt" || fail "$1 was not rejected: $(cat "$WORK/rej.txt")"
    grep -qi "$2" "$WORK/rej.txt" || fail "$1: expected failure '$2': $(cat "$WORK/rej.txt")"
}
echo "not DER at all" >"$WORK/garbage.tsq"
expect_rejected "$WORK/garbage.tsq" "wrong format"
openssl ts -query -data "$WORK/doc.txt" -sha1 -cert -out "$WORK/sha1.tsq" 2>/dev/null
expect_rejected "$WORK/sha1.tsq" "unrecognized or unsupported algorithm"
openssl ts -query -data "$WORK/doc.txt" -sha256 -tspolicy 1.2.3.4.5 -out "$WORK/pol.tsq" 2>/dev/null
expect_rejected "$WORK/pol.tsq" "policy"
# the HTTP layer: wrong media type, wrong method, wrong path, oversized body
[ "$(post "$OUR_TSA_URL" "$WORK/sha256.tsq" "$WORK/x" text/plain)" = 415 ] || fail "text/plain accepted"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$OUR_TSA_URL")" = 405 ] || fail "GET accepted"
[ "$(post "${OUR_TSA_URL%/tsa}/other" "$WORK/sha256.tsq" "$WORK/x")" = 404 ] || fail "any path accepted"
head -c 100000 /dev/zero >"$WORK/big.tsq"
[ "$(post "$OUR_TSA_URL" "$WORK/big.tsq" "$WORK/x")" = 413 ] || fail "an oversized request was read"

# --- serial numbers: unique over concurrent requests and a restart
serials() {
    local pids=()
    for i in $(seq 12); do
        post "$OUR_TSA_URL" "$WORK/sha256.tsq" "$WORK/s$1-$i.tsr" >/dev/null &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p"; done
    for i in $(seq 12); do
        openssl ts -reply -in "$WORK/s$1-$i.tsr" -text 2>/dev/null | sed -n 's/^Serial number: //p'
    done
}
{ serials a; } >"$WORK/serials.txt"
stop_server "$OUR_TSA_PID"
start_our_tsa "$WORK/tsa2.log"
{ serials b; } >>"$WORK/serials.txt"
[ "$(wc -l <"$WORK/serials.txt")" = 24 ] || fail "not every concurrent request got a token: $(cat "$WORK/serials.txt")"
[ "$(sort "$WORK/serials.txt" | uniq -d | wc -l)" = 0 ] || fail "a serial number was repeated: $(sort "$WORK/serials.txt" | uniq -d)"

# --- our client against OpenSSL's TSA
start_openssl_tsa
"$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$WORK/ossl.pdf" --seal "$RSA" --pin "$RSA_PIN" \
    --page 1 --at 100,100 --tsa "$OSSL_TSA/good" >/dev/null 2>"$WORK/err" ||
    fail "stamping with OpenSSL's TSA failed: $(cat "$WORK/err")"
"$SEALSVC" --data "$DATA" verify "$WORK/ossl.pdf" --json >"$WORK/ossl.json" ||
    fail "verify rejects the document timestamped by OpenSSL's TSA: $(cat "$WORK/ossl.json")"
python3 - "$WORK/ossl.json" <<'PY' || fail "the OpenSSL TSA's token is not reported as proving the time"
import json, sys
s = json.load(open(sys.argv[1]))["signatures"][0]
assert s["time_source"] == "proven by timestamp (sealsvc Demo TSA)", s["time_source"]
ts = [c for c in s["checks"] if c["name"] == "timestamp"][0]
assert ts["outcome"] == "VALID" and "policy 1.2.3.4.1" in ts["detail"], ts
PY

before=$(sha "$SAMPLE")
refused() { # "URL [OPTIONS]" "words the message must hold"
    # shellcheck disable=SC2086
    expect_exit 3 "$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$WORK/refused.pdf" --seal "$RSA" \
        --pin "$RSA_PIN" --page 1 --at 100,100 --tsa $1
    grep -q "$2" "$WORK/err" || fail "$1: the message does not say '$2': $(cat "$WORK/err")"
    [ ! -e "$WORK/refused.pdf" ] || fail "$1: an output was written"
    ls "$WORK" | grep -q 'refused.pdf' && fail "$1: a temporary output was left behind"
    [ "$(sha "$SAMPLE")" = "$before" ] || fail "the input changed"
}
refused "$OSSL_TSA/wrong-imprint" "imprint"
refused "$OSSL_TSA/wrong-nonce" "nonce"
refused "$OSSL_TSA/html" "not application/timestamp-reply"
# a TSA that is not there
stop_server "$OUR_TSA_PID"
refused "$OUR_TSA_URL" "cannot reach"
# a TSA whose certificate does not lead to the trust anchors
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/other.key" -out "$WORK/other.pem" \
    -subj "/CN=Another TSA" -days 2 -addext "extendedKeyUsage=critical,timeStamping" 2>/dev/null
start_openssl_tsa "$WORK/other.pem" "$WORK/other.key" "$WORK/other.pem"
refused "$OSSL_TSA/good" "not trusted"
# a policy our TSA does not offer
start_our_tsa "$WORK/tsa3.log"
refused "$OUR_TSA_URL --tsa-policy 1.2.3" "unacceptedPolicy"

echo "tsa: all checks passed"
