#!/usr/bin/env bash
# Delta CRLs from the platform's CA (RFC 5280 5.2.4): `ca crl --delta` on the last
# complete CRL (a critical Delta CRL Indicator naming its number), changes after it
# published as deltas, an unfrozen certificate as removeFromCRL; `cert status` reads a
# delta only with the complete CRL it builds on (held in the base, removeFromCRL in the
# delta: good; frozen after the base: on hold). openssl checks the delta's signature.
# Once the CA publishes deltas, the certificates it issues (renewed here) carry a Freshest
# CRL extension (RFC 5280 4.2.1.15) naming the delta's address, which `openssl x509`
# shows; `cert status` with no evidence at hand fetches the complete CRL from the
# distribution point and the delta from there, and judges by the pair.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/peers.sh"

CRL_PORT=$(free_port)
OCSP_PORT=$(free_port)
"$SEALSVC" demo init --dir "$WORK/data" --ocsp-port "$OCSP_PORT" --crl-port "$CRL_PORT" \
    >"$WORK/manifest.json" 2>"$WORK/demo.log" || fail "demo init failed: $(cat "$WORK/demo.log")"
DATA="$WORK/data"
ROOT_PEM=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["trust_anchors"][0])' "$WORK/manifest.json")
CA="$DATA/pki/issuing-ca.pem"
CERT="$DATA/certs/nanyue.pem"
SERIAL=$(openssl x509 -in "$CERT" -noout -serial | cut -d= -f2)
cat "$CA" "$ROOT_PEM" >"$WORK/chain.pem"
copy() { # NAME FILE [--delta]: the CRL (or delta CRL) as published, DER
    "$SEALSVC" --data "$DATA" ca crl --current --ca issuing-ca ${3:-} -o "$2" ||
        fail "ca crl --current ${3:-} failed"
}
text() { openssl crl -inform DER -in "$1" -noout -text; }
number() { text "$1" | grep -A1 "CRL Number" | tail -1 | tr -d ' '; }
# status FILE... : cert status from these CRLs alone (offline), state and exit in $STATE $EXIT
status() {
    local args=()
    for f in "$@"; do args+=(--evidence "$f"); done
    set +e
    "$SEALSVC" cert status "$CERT" --issuer "$CA" --offline --json "${args[@]}" >"$WORK/st.json" \
        2>"$WORK/st.err"
    EXIT=$?
    set -e
    STATE=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' \
        "$WORK/st.json") || fail "cert status printed no report: $(cat "$WORK/st.err")"
}

# --- a complete CRL, and a delta on it with no change yet
"$SEALSVC" --data "$DATA" ca crl -o "$WORK/base1.crl" 2>/dev/null || fail "ca crl failed"
"$SEALSVC" --data "$DATA" ca crl --delta -o "$WORK/d1.crl" 2>"$WORK/out" || fail "ca crl --delta failed: $(cat "$WORK/out")"
grep -q "delta CRL published: issuing-ca-delta.crl" "$WORK/out" || fail "$(cat "$WORK/out")"
openssl crl -inform DER -in "$WORK/d1.crl" -CAfile "$CA" -noout 2>&1 | grep -q "verify OK" ||
    fail "openssl does not verify the delta CRL"
text "$WORK/d1.crl" | grep -A1 "Delta CRL Indicator: critical" | tail -1 | tr -d ' ' |
    grep -qx "$(number "$WORK/base1.crl")" || fail "the delta does not name its base: $(text "$WORK/d1.crl")"
[ "$(number "$WORK/d1.crl")" -gt "$(number "$WORK/base1.crl")" ] ||
    fail "the delta's number does not follow its base's"
text "$WORK/d1.crl" | grep -q "No Revoked Certificates" || fail "a delta with no change lists certificates"
copy issuing-ca "$WORK/served-d1.crl" --delta
cmp -s "$WORK/d1.crl" "$WORK/served-d1.crl" || fail "the database serves another delta"

# --- freeze after the base: published as a delta (the complete CRL stays), on hold
"$SEALSVC" --data "$DATA" ca freeze "$CERT" >/dev/null || fail "ca freeze failed"
copy issuing-ca "$WORK/base1-again.crl"
cmp -s "$WORK/base1.crl" "$WORK/base1-again.crl" || fail "freeze published a complete CRL, not a delta"
copy issuing-ca "$WORK/d2.crl" --delta
text "$WORK/d2.crl" | grep -A4 "Serial Number: $SERIAL" | grep -q "Certificate Hold" ||
    fail "the frozen certificate is not on hold in the delta: $(text "$WORK/d2.crl")"
status "$WORK/base1.crl"
[ "$STATE" = good ] || fail "the base alone should say good, not $STATE"
status "$WORK/base1.crl" "$WORK/d2.crl"
[ "$STATE" = suspended ] && [ "$EXIT" = 2 ] || fail "freeze then delta: $STATE (exit $EXIT)"

# --- a complete CRL with the hold, then unfreeze: removeFromCRL in the delta
"$SEALSVC" --data "$DATA" ca crl -o "$WORK/base2.crl" 2>/dev/null || fail "ca crl failed"
text "$WORK/base2.crl" | grep -q "Serial Number: $SERIAL" || fail "the hold is not on the complete CRL"
"$SEALSVC" --data "$DATA" ca unfreeze "$CERT" >/dev/null || fail "ca unfreeze failed"
"$SEALSVC" --data "$DATA" ca crl --delta -o "$WORK/d3.crl" 2>/dev/null || fail "ca crl --delta failed"
text "$WORK/d3.crl" >"$WORK/d3.txt"
grep -A4 "Serial Number: $SERIAL" "$WORK/d3.txt" | grep -q "Remove From CRL" ||
    fail "the unfrozen certificate is not removeFromCRL in the delta: $(cat "$WORK/d3.txt")"
grep -A1 "Delta CRL Indicator" "$WORK/d3.txt" | tail -1 | tr -d ' ' | grep -qx "$(number "$WORK/base2.crl")" ||
    fail "the delta does not build on the newest complete CRL"
status "$WORK/base2.crl"
[ "$STATE" = suspended ] || fail "the complete CRL alone should say on hold, not $STATE"
status "$WORK/base2.crl" "$WORK/d3.crl"
[ "$STATE" = good ] && [ "$EXIT" = 0 ] || fail "on hold in the base, removeFromCRL in the delta: $STATE (exit $EXIT)"
python3 - "$WORK/st.json" "$(number "$WORK/d3.crl")" <<'PY' || fail "cert status: $(cat "$WORK/st.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["evidence"]["delta_crl_number"] == sys.argv[2], r
assert "delta CRL" in r["detail"], r
PY
# an older delta (its number below the complete CRL's) is not read with it
status "$WORK/base2.crl" "$WORK/d2.crl"
[ "$STATE" = suspended ] || fail "a delta older than the complete CRL was used: $STATE"
# a delta alone is no evidence
status "$WORK/d3.crl"
[ "$STATE" = unknown ] || fail "a delta CRL alone decided: $STATE"

# --- what the platform itself reads: the database's complete CRL and delta
set +e
"$SEALSVC" --data "$DATA" cert status "$CERT" --offline >"$WORK/db.txt" 2>&1
code=$?
set -e
[ "$code" = 0 ] || fail "cert status --data after unfreeze: exit $code: $(cat "$WORK/db.txt")"
grep -q "delta CRL number" "$WORK/db.txt" || fail "the status does not name the delta: $(cat "$WORK/db.txt")"
"$SEALSVC" --data "$DATA" ca freeze "$CERT" >/dev/null || fail "ca freeze failed"
set +e
"$SEALSVC" --data "$DATA" cert status "$CERT" --offline >"$WORK/db.txt" 2>&1
code=$?
set -e
[ "$code" = 2 ] && grep -q "suspended" "$WORK/db.txt" ||
    fail "freeze then delta, from the database: exit $code: $(cat "$WORK/db.txt")"

# --- a certificate issued once deltas are published names them: Freshest CRL
"$SEALSVC" --data "$DATA" ca unfreeze "$CERT" >/dev/null || fail "ca unfreeze failed"
"$SEALSVC" --data "$DATA" ca renew "$CERT" --force -o "$WORK/renewed.pem" >/dev/null 2>&1 ||
    fail "ca renew failed"
DELTA_URL="http://127.0.0.1:$CRL_PORT/crl/issuing-ca-delta.crl"
openssl x509 -in "$WORK/renewed.pem" -noout -text >"$WORK/renewed.txt"
grep -A3 "X509v3 Freshest CRL:" "$WORK/renewed.txt" | grep -q "URI:$DELTA_URL\$" ||
    fail "the renewed certificate names no delta CRL: $(cat "$WORK/renewed.txt")"
! grep -q "X509v3 Freshest CRL: critical" "$WORK/renewed.txt" ||
    fail "Freshest CRL is marked critical (RFC 5280 4.2.1.15: it must not be)"
grep -A3 "X509v3 CRL Distribution Points:" "$WORK/renewed.txt" |
    grep -q "URI:http://127.0.0.1:$CRL_PORT/crl/issuing-ca.crl\$" ||
    fail "the renewed certificate lost its CRL distribution point: $(cat "$WORK/renewed.txt")"
! openssl x509 -in "$CERT" -noout -text | grep -q "Freshest CRL" ||
    fail "the certificate issued before deltas were published names a delta"
# the CA's CRLs served over HTTP as the certificates name them; no OCSP responder runs,
# so the status comes from the CRLs fetched: the complete CRL has no pointer to the delta,
# the certificate's Freshest CRL is what finds it
start_peer crl "$CRL_PORT" "$SEALSVC" --data "$DATA" ocsp --listen "127.0.0.1:$CRL_PORT"
online_status() { # CERT: state and exit in $STATE $EXIT, from CRLs fetched over HTTP now
    set +e
    env HOME="$WORK/home-$RANDOM" XDG_CACHE_HOME="$WORK/cache-$RANDOM" "$SEALSVC" cert status \
        "$1" --issuer "$CA" --at now --json >"$WORK/st.json" 2>"$WORK/st.err"
    EXIT=$?
    set -e
    STATE=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' \
        "$WORK/st.json") || fail "cert status printed no report: $(cat "$WORK/st.err")"
}
online_status "$WORK/renewed.pem"
[ "$STATE" = good ] && [ "$EXIT" = 0 ] || fail "the renewed certificate: $STATE (exit $EXIT): $(cat "$WORK/st.json")"
python3 - "$WORK/st.json" <<'PY' ||
import json, sys
r = json.load(open(sys.argv[1]))
assert r["evidence"]["delta_crl_number"], r
PY
    fail "cert status did not fetch the delta CRL the certificate names: $(cat "$WORK/st.json")"
"$SEALSVC" --data "$DATA" ca freeze "$WORK/renewed.pem" >/dev/null || fail "ca freeze of the renewed certificate failed"
online_status "$WORK/renewed.pem"
[ "$STATE" = suspended ] && [ "$EXIT" = 2 ] ||
    fail "frozen after the complete CRL, on hold only in the delta: $STATE (exit $EXIT): $(cat "$WORK/st.json")"
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["evidence"]["delta_crl_number"]' \
    "$WORK/st.json" || fail "the status does not come from the delta: $(cat "$WORK/st.json")"

# --- refusals: --delta with --current but no -o, and with a certificate
expect_exit 64 "$SEALSVC" --data "$DATA" ca freeze "$CERT" --delta
grep -q "ca freeze does not take --delta" "$WORK/err" || fail "$(cat "$WORK/err")"
echo "delta CRLs: all as expected"
