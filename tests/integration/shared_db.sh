#!/usr/bin/env bash
# Several instances on one PostgreSQL database share nothing else (issue 12): two data
# directories holding only the key-encryption key (the same one), and a third instance
# with no files at all and the key in SEALSVC_KEK. `demo init` runs through the first; the
# second stamps, verifies, revokes a certificate and publishes a CRL, serves the CRL and
# issues timestamps; the first sees the revocation (cert status and a refused stamp) from
# the database, and the CRL it serves is the one the second published. The directories
# still hold nothing but the key at the end.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/peers.sh"
. "$(dirname "$0")/lib/postgres.sh"
pg_start

A="$WORK/a" B="$WORK/b" C="$WORK/c"
SA=("$SEALSVC" --db "$PG_URL" --data "$A")
SB=("$SEALSVC" --db "$PG_URL" --data "$B")
SC=("$SEALSVC" --db "$PG_URL" --data "$C")
only_kek() {
    local files
    files=$(cd "$1" && find . -type f | sort | tr '\n' ' ')
    [ "$files" = "./secrets/kek " ] || fail "$1 holds more than the key-encryption key: $files"
}

"${SA[@]}" demo init --dir "$A" >"$WORK/manifest.json" 2>"$WORK/demo.log" ||
    fail "demo init: $(cat "$WORK/demo.log")"
seal=$(python3 -c 'import json,sys; print([s["id"] for s in json.load(open(sys.argv[1]))["seals"] if s["id"].startswith("pujiang")][0])' "$WORK/manifest.json")
pin=$(python3 -c 'import json,sys; print([s["pin"] for s in json.load(open(sys.argv[1]))["seals"] if s["id"] == sys.argv[2]][0])' "$WORK/manifest.json" "$seal")
mkdir -p "$B/secrets" "$C"
chmod 700 "$B" "$B/secrets" "$C"
install -m 600 "$A/secrets/kek" "$B/secrets/kek"
only_kek "$B"

# --- the second instance stamps and verifies: keys, seal maker, anchors, CRLs from the database
"${SB[@]}" stamp "$SEAL_SOURCE_DIR/samples/contract-zh.pdf" "$WORK/b.pdf" --seal "$seal" \
    --pin "$pin" --page 1 --at 100,100 >/dev/null 2>"$WORK/err" || fail "stamp through B: $(cat "$WORK/err")"
"${SB[@]}" verify --offline --json "$WORK/b.pdf" >"$WORK/b.json" 2>"$WORK/err" ||
    fail "verify through B: $(cat "$WORK/err") $(cat "$WORK/b.json")"
[ "$(json_get "$WORK/b.json" 'r["verdict"]')" = VALID ] || fail "B: not VALID: $(cat "$WORK/b.json")"
grep -q "published CRL issuing-ca.crl (database)" "$WORK/b.json" ||
    fail "B did not judge revocation by the CRL in the database: $(cat "$WORK/b.json")"
pdfsig -nocert "$WORK/b.pdf" >"$WORK/pdfsig.txt" 2>&1 || true
grep -q "Signature is Valid" "$WORK/pdfsig.txt" || fail "pdfsig: $(cat "$WORK/pdfsig.txt")"

# --- the third has no files at all: the key from SEALSVC_KEK
SEALSVC_KEK=$(cat "$A/secrets/kek") "${SC[@]}" stamp "$SEAL_SOURCE_DIR/samples/notice-zh.ofd" \
    "$WORK/c.ofd" --seal "$seal" --pin "$pin" --page 1 --at 100,100 >/dev/null 2>"$WORK/err" ||
    fail "stamp with SEALSVC_KEK: $(cat "$WORK/err")"
[ -z "$(find "$C" -type f)" ] || fail "C got files: $(find "$C" -type f)"
expect_exit 3 "${SC[@]}" stamp "$SEAL_SOURCE_DIR/samples/notice-zh.ofd" "$WORK/c2.ofd" \
    --seal "$seal" --pin "$pin" --page 1 --at 100,100
grep -q "key-encryption key" "$WORK/err" || fail "no KEK at all: $(cat "$WORK/err")"
[ ! -e "$WORK/c2.ofd" ] || fail "a refused stamp left its output"
SEALSVC_KEK=0123abcd expect_exit 3 "${SC[@]}" ca crl -o "$WORK/wrong.crl"
grep -q "does not open with this key-encryption key" "$WORK/err" || fail "a wrong KEK: $(cat "$WORK/err")"
[ ! -e "$WORK/wrong.crl" ] || fail "a CRL was written without the CA's key"

# --- the second revokes the seal's certificate and publishes; the first sees it
serial=$(openssl x509 -in "$A/certs/pujiang.pem" -noout -serial | cut -d= -f2)
"${SB[@]}" ca revoke "$serial" --reason keyCompromise >"$WORK/revoke.txt" 2>&1 ||
    fail "ca revoke through B: $(cat "$WORK/revoke.txt")"
"${SB[@]}" ca crl -o "$WORK/b.crl" 2>/dev/null || fail "ca crl through B"
only_kek "$B"
expect_exit 1 "${SA[@]}" cert status "$A/certs/pujiang.pem" --offline
"${SA[@]}" cert status "$A/certs/pujiang.pem" --offline --json >"$WORK/status.json" 2>/dev/null || true
[ "$(json_get "$WORK/status.json" 'r["status"]')" = revoked ] ||
    fail "A does not see the revocation: $(cat "$WORK/status.json")"
grep -q "published CRL issuing-ca.crl (database)" "$WORK/status.json" ||
    fail "A's answer is not from the published CRL: $(cat "$WORK/status.json")"
expect_exit 3 "${SA[@]}" stamp "$SEAL_SOURCE_DIR/samples/contract-zh.pdf" "$WORK/a.pdf" \
    --seal "$seal" --pin "$pin" --page 1 --at 100,100
grep -q "revoked" "$WORK/err" || fail "A stamps with a revoked certificate: $(cat "$WORK/err")"
"${SA[@]}" ca crl --current -o "$WORK/a.crl" || fail "ca crl --current through A"
cmp -s "$WORK/a.crl" "$WORK/b.crl" || fail "A's published CRL is not the one B published"
openssl crl -inform DER -in "$WORK/a.crl" -noout -text | grep -qi "serial number: *$serial" ||
    fail "the revoked serial is not on the CRL"

# --- the first serves the CRL the second published; timestamps from both never share a serial
port=$(free_port)
start_peer ocsp "$port" "${SA[@]}" ocsp --listen "127.0.0.1:$port"
curl -sf "http://127.0.0.1:$port/crl/issuing-ca.crl" -o "$WORK/served.crl" || fail "no CRL served by A"
cmp -s "$WORK/served.crl" "$WORK/b.crl" || fail "A serves another CRL than B published"
pa=$(free_port)
pb=$(free_port)
start_peer tsa-a "$pa" "${SA[@]}" tsa --listen "127.0.0.1:$pa"
start_peer tsa-b "$pb" "${SB[@]}" tsa --listen "127.0.0.1:$pb"
for p in "$pa" "$pb" "$pa" "$pb"; do
    openssl ts -query -data "$WORK/b.crl" -sha256 -cert -out "$WORK/q.tsq" 2>/dev/null
    curl -sf -H 'Content-Type: application/timestamp-query' --data-binary "@$WORK/q.tsq" \
        "http://127.0.0.1:$p/tsa" -o "$WORK/r.tsr" || fail "no timestamp from port $p"
    openssl ts -reply -in "$WORK/r.tsr" -text 2>/dev/null | sed -n 's/^Serial number: //p'
done >"$WORK/serials.txt"
[ "$(wc -l <"$WORK/serials.txt")" = 4 ] || fail "timestamps: $(cat "$WORK/serials.txt")"
[ "$(sort -u "$WORK/serials.txt" | wc -l)" = 4 ] ||
    fail "two instances issued the same TSA serial: $(cat "$WORK/serials.txt")"
stop_peers
only_kek "$B"
echo "ok"
