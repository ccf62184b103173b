# Trusted-time peers for the integration tests, started on free loopback ports and
# stopped when the test exits: our own `sealsvc tsa`, and an independent TSA made of
# OpenSSL's `openssl ts -reply` behind lib/openssl_tsa.py. Sourced after common.sh and
# make_demo.
SERVER_PIDS=()
trap 'for p in "${SERVER_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT

# Waits (at most 10 s) until a server wrote its port; prints it.
wait_for_port() {
    local what=$1 file=$2 pattern=$3 port=""
    for _ in $(seq 100); do
        port=$(sed -n "$pattern" "$file" 2>/dev/null | head -1)
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || fail "$what did not start: $(cat "$file" 2>/dev/null)"
    echo "$port"
}

# start_our_tsa [LOG]: `sealsvc tsa` on a free port; sets OUR_TSA_URL and OUR_TSA_PID.
start_our_tsa() {
    local log=${1:-$WORK/tsa.log}
    : >"$log"
    "$SEALSVC" --data "$DATA" tsa --listen 127.0.0.1:0 2>"$log" &
    OUR_TSA_PID=$!
    SERVER_PIDS+=("$OUR_TSA_PID")
    local port
    port=$(wait_for_port "sealsvc tsa" "$log" 's|^tsa: listening on http://127.0.0.1:\([0-9]*\)/$|\1|p')
    OUR_TSA_URL="http://127.0.0.1:$port/tsa"
}

stop_server() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# start_openssl_tsa [CERT KEY CHAIN]: OpenSSL's TSA, with the demo TSA key unless told;
# sets OSSL_TSA (base URL: add /good, /wrong-imprint, /wrong-nonce or /html).
start_openssl_tsa() {
    local cert=${1:-$DATA/pki/tsa.pem} key=${2:-$DATA/pki/private/tsa.key.pem}
    local chain=${3:-$DATA/pki/issuing-ca.pem}
    local dir
    dir=$(mktemp -d "$WORK/openssl-tsa.XXXX")
    echo 01 >"$dir/serial"
    cat >"$dir/tsa.cnf" <<CNF
[ tsa ]
default_tsa = demo
[ demo ]
dir = $dir
serial = $dir/serial
crypto_device = builtin
signer_cert = $cert
certs = $chain
signer_key = $key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512, sm3
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
CNF
    python3 "$SEAL_SOURCE_DIR/tests/integration/lib/openssl_tsa.py" "$dir/tsa.cnf" \
        "$DATA/secrets/kek" "$dir/port" 2>"$dir/log" &
    SERVER_PIDS+=($!)
    local port
    port=$(wait_for_port "the openssl TSA" "$dir/port" 's/^\([0-9]*\)$/\1/p')
    OSSL_TSA="http://127.0.0.1:$port"
}

# The demo chain for openssl ts -verify: issuing CA (untrusted) and root (trusted).
ts_verify_args() {
    echo "-CAfile $ROOT_PEM -untrusted $DATA/pki/issuing-ca.pem"
}
