#!/usr/bin/env bash
# Delta CRLs from the platform's CA (RFC 5280 5.2.4): `ca crl --delta` on the last
# complete CRL (a critical Delta CRL Indicator naming its number), changes after it
# published as deltas, an unfrozen certificate as removeFromCRL; `cert status` reads a
# delta only with the complete CRL it builds on (held in the base, removeFromCRL in the
# delta: good; frozen after the base: on hold). openssl checks the delta's signature.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

make_demo
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

# --- refusals: --delta with --current but no -o, and with a certificate
expect_exit 64 "$SEALSVC" --data "$DATA" ca freeze "$CERT" --delta
grep -q "ca freeze does not take --delta" "$WORK/err" || fail "$(cat "$WORK/err")"
echo "delta CRLs: all as expected"
