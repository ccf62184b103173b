#!/usr/bin/env bash
# The service does not become a way into the platform's own network (server-side request
# forgery): a TSA a request names and the URLs a verified document's certificates name
# (here an AIA caIssuers, CRL and OCSP URL on 127.0.0.1) are not connected to when they
# are internal addresses, unless `[server] outbound_allow` names them. Shown both ways on
# one listener that counts every request it receives: nothing reaches it from an instance
# without outbound_allow, the same requests reach it from one that allows 127.0.0.1. The
# service's own TSA (tsa_url, chosen by the operator) is reached whatever the list says.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
make_demo
. "$(dirname "$0")/lib/serve.sh"

for tool in pdfsig certutil pk12util openssl python3; do
    command -v "$tool" >/dev/null || { echo "$tool missing: skipping" >&2; exit 77; }
done
SAMPLE="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"
RSA=$(seal_of rsa id official)
RSA_PIN=$(seal_of rsa pin official)
cd "$WORK"
ADMIN=$("$SEALSVC" --data "$DATA" apikey create --role admin 2>/dev/null)
AUTH=(-H "Authorization: Bearer $ADMIN")

# --- the listener: answers 404 to everything and logs each request line to hits.log
HIT_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 - "$HIT_PORT" hits.log <<'PY' &
import http.server, sys
log = open(sys.argv[2], "a", buffering=1)
class H(http.server.BaseHTTPRequestHandler):
    def answer(self):
        log.write(self.requestline + "\n")
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()
    do_GET = do_POST = answer
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
HIT_PID=$!
trap 'kill $HIT_PID 2>/dev/null || true; stop_serves; rm -rf "$WORK"' EXIT
: >hits.log
for _ in $(seq 50); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $HIT_PORT), 0.2)" 2>/dev/null && break
    sleep 0.1
done
hits() { grep -c . hits.log || true; }

# --- a PDF signed by pdfsig with a certificate from a CA nobody here knows, whose issuer
# is not in the signature: a verifier goes looking for it at the caIssuers URL
mkdir ca nss
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca/ca.key -out ca/ca.pem -days 30 \
    -subj "/CN=Outbound Test Root" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
cat >ca/leaf.ext <<EOF2
keyUsage = critical,digitalSignature,nonRepudiation
authorityInfoAccess = caIssuers;URI:http://127.0.0.1:$HIT_PORT/issuer.cer,OCSP;URI:http://127.0.0.1:$HIT_PORT/ocsp
crlDistributionPoints = URI:http://127.0.0.1:$HIT_PORT/ca.crl
EOF2
openssl req -newkey rsa:2048 -nodes -keyout ca/leaf.key -out ca/leaf.csr -subj "/CN=Outbound Signer" 2>/dev/null
openssl x509 -req -in ca/leaf.csr -CA ca/ca.pem -CAkey ca/ca.key -CAcreateserial -days 30 \
    -extfile ca/leaf.ext -out ca/leaf.pem 2>/dev/null
openssl pkcs12 -export -inkey ca/leaf.key -in ca/leaf.pem -name leaf -out ca/leaf.p12 -passout pass:pw
certutil -N -d sql:nss --empty-password
pk12util -i ca/leaf.p12 -d sql:nss -W pw >/dev/null
pdfsig -nssdir sql:nss -add-signature -nick leaf -new-signature-field-name Sig "$SAMPLE" foreign.pdf \
    >/dev/null 2>&1 || fail "pdfsig could not sign"

verify_through() { # OUT: verify foreign.pdf through the service at $SERVE_URL
    [ "$(call POST /api/v1/verify "$1" -F "file=@foreign.pdf")" = 200 ] || fail "verify: $(cat "$1")"
    grep -q '"verdict": "VALID"' "$1" && fail "a signature by an unknown CA verified VALID"
    return 0
}

# --- without outbound_allow: nothing reaches the listener
cat >guarded.conf <<EOF2
[stamp]
tsa_url = http://127.0.0.1:$HIT_PORT/own-tsa
EOF2
start_serve "$WORK/guarded.log" --config guarded.conf
GUARDED=$SERVE_URL
verify_through v1.json
[ "$(hits)" = 0 ] || fail "the guarded service fetched from an internal address: $(cat hits.log)"

# a TSA the request names on an internal address: refused, named, nothing stamped
stamp_bt() { # OUT [TSA URL]: a B-T stamp through the service at $SERVE_URL; prints the status
    local out=$1 tsa=()
    [ $# -gt 1 ] && tsa=(--url-query "tsa=$2")
    call POST "/api/v1/stamp?seal=$RSA&at=100,100&level=B-T" "$out" "${AUTH[@]}" "${tsa[@]}" \
        --url-query "pin=$RSA_PIN" -H "Content-Type: application/pdf" --data-binary "@$SAMPLE"
}
# refused_stamp OUT TSA: the stamp is refused as a problem naming the address and setting,
# and nothing reached the listener (also when TSA's host is a name resolving to loopback)
refused_stamp() {
    local status
    status=$(stamp_bt "$1" "$2")
    case "$status" in 4*|5*) ;; *) fail "a stamp through $2 answered $status" ;; esac
    grep -q '"code"' "$1" || fail "the refused stamp is not a problem document: $(head -c 300 "$1")"
    grep -q 'internal address' "$1" || fail "the refusal does not say why: $(cat "$1")"
    grep -q 'outbound_allow' "$1" || fail "the refusal does not name the setting: $(cat "$1")"
    [ "$(hits)" = 0 ] || fail "the guarded service reached $2: $(cat hits.log)"
}
refused_stamp t1.out "http://127.0.0.1:$HIT_PORT/named-tsa"
refused_stamp t2.out "http://localhost:$HIT_PORT/named-tsa"

# the operator's own TSA (tsa_url) is reached: the listener is no TSA, so the stamp
# fails, but after a request
stamp_bt t3.out >/dev/null
grep -q 'POST /own-tsa' hits.log || fail "the service's own TSA was not reached: $(cat t3.out)"
: >hits.log

# --- with outbound_allow = 127.0.0.1: the same requests reach the listener (the guard,
# not something else, kept them away above)
printf '[server]\noutbound_allow = 127.0.0.1\n' >open.conf
start_serve "$WORK/open.log" --config open.conf
verify_through v2.json
grep -q 'GET /issuer.cer\|GET /ca.crl\|POST /ocsp' hits.log ||
    fail "an allowed address was not fetched from: $(cat hits.log)"
: >hits.log
stamp_bt t4.out "http://127.0.0.1:$HIT_PORT/named-tsa" >/dev/null
grep -q 'POST /named-tsa' hits.log || fail "an allowed named TSA was not reached: $(cat t4.out)"

# --- a bad list stops the service at start, naming the setting
printf "[server]\noutbound_allow = 10.0.0.0/33\n" >bad.conf
expect_exit 64 "$SEALSVC" --data "$DATA" serve --listen 127.0.0.1:0 --config bad.conf
grep -q "outbound_allow" "$WORK/err" || fail "the bad list is not named: $(cat "$WORK/err")"
echo "serve_outbound: ok"
