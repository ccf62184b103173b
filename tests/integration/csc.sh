#!/usr/bin/env bash
# Remote signing over the Cloud Signature Consortium API v2 (docs/csc.md), driven by a
# client written from the specification alone (lib/csc_client.py: Python's standard
# library and openssl, no code of ours): info and the token refusals; an institution's key
# sees its own seals as credentials and no other's; for an RSA, an ECDSA
# and an SM2 seal, list, info, authorize, signHash and every signature checked by `openssl
# pkeyutl -verify` against the certificate credentials/info gave; the SAD's refusals (a
# hash it does not name, more than numSignatures, a hash signed again, altered, expired);
# a SAD issued by one instance and spent on another (each hash once across them, on SQLite
# and on PostgreSQL); wrong
# PINs locking the seal; a frozen and a revoked certificate shown as suspended and revoked
# and refused at authorize; each signature counted against the grant and in the audit
# trail with the caller's key; signDoc (PAdES through the stamp driver) against the native
# stamp API: the same verdict, signer, seal, level and place by `sealsvc verify` and pdfsig,
# both in the audit trail by the key.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
make_demo
. "$(dirname "$0")/lib/serve.sh"
CLIENT=(python3 "$SEAL_SOURCE_DIR/tests/integration/lib/csc_client.py")

RSA=$(seal_of rsa id official)
RSA_PIN=$(seal_of rsa pin official)
EC=$(seal_of ecdsa id official)
EC_PIN=$(seal_of ecdsa pin official)
SM2=$(seal_of sm2 id official)
SM2_PIN=$(seal_of sm2 pin official)
# two more seals, for what cannot be undone: the PIN lock, a revocation
read -r LOCKME LOCKME_PIN REVOKEME REVOKEME_PIN < <(python3 - "$WORK/manifest.json" "$RSA" "$EC" "$SM2" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
rest = [s for s in m["seals"] if s["id"] not in sys.argv[2:]]
print(rest[0]["id"], rest[0]["pin"], rest[1]["id"], rest[1]["pin"])
PY
)
LIMIT=$(sed -n 's/^#define SEAL_STORE_MAX_PIN_FAILURES \([0-9]*\)$/\1/p' "$SEAL_SOURCE_DIR/libseal/include/seal/store.h")
[ -n "$LIMIT" ] || fail "no SEAL_STORE_MAX_PIN_FAILURES in seal/store.h"
ADMIN=$("$SEALSVC" --data "$DATA" apikey create --role admin 2>/dev/null)
ADMIN_ID=$("$SEALSVC" --data "$DATA" apikey list --json | python3 -c 'import json,sys
print([k["id"] for k in json.load(sys.stdin) if k["role"] == "admin"][-1])')
AUDITOR=$("$SEALSVC" --data "$DATA" apikey create --role auditor 2>/dev/null)
cd "$WORK"

# signDoc at B-T names the service's own /tsa, on loopback
SEALSVC_OUTBOUND_ALLOW=127.0.0.1 start_serve "$WORK/serve.log"
URL1=$SERVE_URL
# a second instance on the same data, its SADs living 2 seconds
printf '[csc]\nsad_seconds = 2\n' >short.conf
start_serve "$WORK/serve-short.log" --config short.conf
URL2=$SERVE_URL
AUTH=(-H "Authorization: Bearer $ADMIN")

"${CLIENT[@]}" "$URL1" "$ADMIN" basics || fail "info and token refusals"
# an auditor's key may not sign (and is told so in CSC's own error object)
code=$(curl -s -o auditor.json -w '%{http_code}' -X POST -H "Authorization: Bearer $AUDITOR" \
    -H "Content-Type: application/json" -d '{}' "$URL1/csc/v2/credentials/list")
[ "$code" = 403 ] && grep -q '"error"' auditor.json || fail "an auditor's key lists credentials: $code $(cat auditor.json)"
# an institution's key: its own seals are its credentials, another's is not one
XINGHE_CODE=$(sqlite3 "$DATA/sealsvc.db" "SELECT i.credit_code FROM seal s JOIN institution i ON i.id = s.institution_id WHERE s.id = '$RSA'")
PORTAL=$("$SEALSVC" --data "$DATA" apikey create --role portal --institution "$XINGHE_CODE" 2>/dev/null)
OWN=$(sqlite3 "$DATA/sealsvc.db" "SELECT group_concat(s.id, ' ') FROM (SELECT s.id FROM seal s JOIN institution i ON i.id = s.institution_id WHERE i.credit_code = '$XINGHE_CODE' ORDER BY s.id) s")
python3 - "$URL1" "$PORTAL" "$OWN" "$EC" <<'PY' || fail "an institution's credentials"
import json, sys, urllib.error, urllib.request
url, key, own, other = sys.argv[1:]
def call(m, body):
    r = urllib.request.Request(url + "/csc/v2/" + m, json.dumps(body).encode(), method="POST",
                               headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    try:
        return 200, json.load(urllib.request.urlopen(r))
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)
st, j = call("credentials/list", {})
assert st == 200 and sorted(j["credentialIDs"]) == sorted(own.split()), (j, own)
assert other not in own.split()
st, j = call("credentials/info", {"credentialID": other})
assert st == 400 and j["error_description"] == "Invalid parameter credentialID", j
PY
# a GET is not a CSC call
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL1/csc/v2/info")" = 405 ] || fail "GET /csc/v2/info is not 405"

# the grant the demo gave on the RSA seal: signatures with it are counted
GRANT=$(curl -s "${AUTH[@]}" "$URL1/api/v1/grants?seal=$RSA" | python3 -c 'import json,sys
print([g["id"] for g in json.load(sys.stdin)["grants"] if g["state"] == "active"][0])')
uses() { curl -s "${AUTH[@]}" "$URL1/api/v1/grants/$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["uses"])'; }
before=$(uses "$GRANT")

for pair in "$RSA:$RSA_PIN" "$EC:$EC_PIN" "$SM2:$SM2_PIN"; do
    "${CLIENT[@]}" "$URL1" "$ADMIN" sign "${pair%%:*}" "${pair#*:}" || fail "signHash with ${pair%%:*}"
done

# a SAD from one instance spends on the other, once
sad=$("${CLIENT[@]}" "$URL1" "$ADMIN" authorize "$SM2" "$SM2_PIN") || fail "authorize on instance 1"
"${CLIENT[@]}" "$URL2" "$ADMIN" spend "$SM2" "$sad" ok || fail "instance 2 does not sign with instance 1's SAD"
"${CLIENT[@]}" "$URL1" "$ADMIN" spend "$SM2" "$sad" "Hash already signed with this SAD" ||
    fail "instance 1 signed a hash instance 2 had signed"
# another key may not use the SAD
OTHER=$("$SEALSVC" --data "$DATA" apikey create --role admin 2>/dev/null)
sad=$("${CLIENT[@]}" "$URL1" "$ADMIN" authorize "$EC" "$EC_PIN")
"${CLIENT[@]}" "$URL1" "$OTHER" spend "$EC" "$sad" "Invalid parameter SAD" || fail "another key used the SAD"
# expiry: instance 2's SADs live 2 seconds
"${CLIENT[@]}" "$URL2" "$ADMIN" expiry "$EC" "$EC_PIN" || fail "an expired SAD signed"

# the grant: a SAD that names it counts each signature (the extension member "grant")
python3 - "$URL1" "$ADMIN" "$RSA" "$RSA_PIN" "$GRANT" <<'PY' || fail "a signature with a grant"
import base64, hashlib, json, sys, urllib.request
url, key, seal, pin, grant = sys.argv[1:]
def call(m, body):
    r = urllib.request.Request(url + "/csc/v2/" + m, json.dumps(body).encode(), method="POST",
                               headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(r))
h = [base64.b64encode(hashlib.sha256(b"grant %d" % i).digest()).decode() for i in range(2)]
sad = call("credentials/authorize", {"credentialID": seal, "numSignatures": 2, "hashes": h,
           "hashAlgorithmOID": "2.16.840.1.101.3.4.2.1", "authData": [{"id": "PIN", "value": pin}],
           "grant": int(grant)})["SAD"]
got = call("signatures/signHash", {"credentialID": seal, "SAD": sad, "hashes": h,
           "signAlgo": "1.2.840.113549.1.1.11"})
assert len(got["signatures"]) == 2
PY
after=$(uses "$GRANT")
[ "$after" = $((before + 2)) ] || fail "the grant counted $before -> $after uses for 2 signatures"

# wrong PINs lock the seal
"${CLIENT[@]}" "$URL1" "$ADMIN" pin "$LOCKME" "$LOCKME_PIN" "$LIMIT" || fail "the PIN lock"
[ "$(sqlite3 "$DATA/sealsvc.db" "SELECT locked FROM seal WHERE id = '$LOCKME'")" = 1 ] || fail "$LOCKME is not locked in the store"

# a frozen certificate is suspended and refused, and usable again once unfrozen
serial() { sqlite3 "$DATA/sealsvc.db" "SELECT cert_pem FROM seal WHERE id = '$1'" | openssl x509 -noout -serial | cut -d= -f2; }
S=$(serial "$RSA")
[ "$(curl -s -o freeze.json -w '%{http_code}' -X POST "${AUTH[@]}" "$URL1/api/v1/certificates/$S/freeze")" = 200 ] ||
    fail "cannot freeze $RSA's certificate: $(cat freeze.json)"
"${CLIENT[@]}" "$URL1" "$ADMIN" status "$RSA" "$RSA_PIN" suspended || fail "a frozen certificate"
[ "$(curl -s -o unfreeze.json -w '%{http_code}' -X POST "${AUTH[@]}" "$URL1/api/v1/certificates/$S/unfreeze")" = 200 ] ||
    fail "cannot unfreeze: $(cat unfreeze.json)"
"${CLIENT[@]}" "$URL1" "$ADMIN" status "$RSA" "$RSA_PIN" valid || fail "an unfrozen certificate"
S=$(serial "$REVOKEME")
[ "$(curl -s -o revoke.json -w '%{http_code}' -X POST "${AUTH[@]}" -H "Content-Type: application/json" \
    -d '{"reason":"keyCompromise"}' "$URL1/api/v1/certificates/$S/revoke")" = 200 ] ||
    fail "cannot revoke $REVOKEME's certificate: $(cat revoke.json)"
"${CLIENT[@]}" "$URL1" "$ADMIN" status "$REVOKEME" "$REVOKEME_PIN" revoked || fail "a revoked certificate"

# signDoc: the same document and request through CSC and through the native stamp API
# verify the same (signer, seal, level, place): B-B invisible, and B-T with a visible seal
# placed by the native parameters (the extension member "sealsvc") and the service's TSA
SAMPLE="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"
cp "$SAMPLE" in.pdf
"${CLIENT[@]}" "$URL1" "$ADMIN" signdoc "$RSA" "$RSA_PIN" in.pdf csc-bb.pdf Ades-B-B || fail "signDoc B-B"
"${CLIENT[@]}" "$URL1" "$ADMIN" signdoc "$RSA" "$RSA_PIN" in.pdf csc-bt.pdf Ades-B-T \
    "{\"sealsvc\": {\"page\": 1, \"at\": \"100,100\", \"tsa\": \"$URL1/tsa\"}}" || fail "signDoc B-T"
cmp -s in.pdf "$SAMPLE" || fail "signDoc changed its input"
[ "$(curl -s -o native-bb.pdf -w '%{http_code}' "${AUTH[@]}" -H "Content-Type: application/pdf" --data-binary @in.pdf \
    "$URL1/api/v1/stamp?seal=$RSA&invisible=true&pin=$RSA_PIN")" = 200 ] || fail "native B-B: $(cat native-bb.pdf)"
[ "$(curl -s -o native-bt.pdf -w '%{http_code}' "${AUTH[@]}" -H "Content-Type: application/pdf" --data-binary @in.pdf \
    --url-query "tsa=$URL1/tsa" --url-query "pin=$RSA_PIN" "$URL1/api/v1/stamp?seal=$RSA&page=1&at=100,100&level=B-T")" = 200 ] ||
    fail "native B-T: $(cat native-bt.pdf)"
for f in csc-bb native-bb csc-bt native-bt; do
    "$SEALSVC" --data "$DATA" verify --offline --json "$f.pdf" >"$f.json" || fail "$f.pdf does not verify: $(head -c 600 "$f.json")"
    pdfsig "$f.pdf" >"$f.pdfsig" 2>&1 || true
    grep -q "Signature Validation: Signature is Valid." "$f.pdfsig" || fail "pdfsig: $f.pdf: $(cat "$f.pdfsig")"
done
python3 - <<'PY' || fail "signDoc and the native API do not verify the same"
import json
def essence(name):
    r = json.load(open(name + ".json"))
    assert r["verdict"] == "VALID", (name, r["verdict"], r["reason"])
    (s,) = r["signatures"]
    return (s["kind"], s["signer"]["serial"], s["signer"]["name"], s["seal"], s["algorithm"],
            s["digest"], not s["time_source"].startswith("claimed"), s["visible"], s["page"],
            [round(x, 2) for x in s["rect"]] if s["visible"] else None,
            sorted((c["name"], c["outcome"]) for c in s["checks"]))
for level in ("bb", "bt"):
    a, b = essence("csc-" + level), essence("native-" + level)
    assert a == b, (level, a, b)
assert not essence("csc-bb")[6] and essence("csc-bt")[6], "levels"
assert not essence("csc-bb")[7] and essence("csc-bt")[7], "visibility"
PY
for f in csc-bb csc-bt; do
    grep -q "Signature Type: ETSI.CAdES.detached" "$f.pdfsig" || fail "$f.pdf is not PAdES"
done
# signDoc refusals: not a PDF, another level than PAdES's, a SAD for hashes
python3 - "$URL1" "$ADMIN" "$RSA" "$RSA_PIN" "$SEAL_SOURCE_DIR/samples/notice-zh.ofd" <<'PY' || fail "signDoc refusals"
import base64, json, sys, urllib.error, urllib.request
url, key, seal, pin, ofd = sys.argv[1:]
def call(m, body):
    r = urllib.request.Request(url + "/csc/v2/" + m, json.dumps(body).encode(), method="POST",
                               headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    try:
        return 200, json.load(urllib.request.urlopen(r))
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)
sad = call("credentials/authorize", {"credentialID": seal, "numSignatures": 1,
           "authData": [{"id": "PIN", "value": pin}]})[1]["SAD"]
doc = {"document": base64.b64encode(open(ofd, "rb").read()).decode(), "signature_format": "P",
       "conformance_level": "Ades-B-B"}
st, j = call("signatures/signDoc", {"credentialID": seal, "SAD": sad, "documents": [doc]})
assert st == 400 and j["error"] == "invalid_request" and "PDF" in j["error_description"], j
st, j = call("signatures/signDoc", {"credentialID": seal, "SAD": sad, "documents": [dict(doc, conformance_level="Ades-B-X")]})
assert st == 400 and j["error_description"] == "Invalid parameter conformance_level", j
st, j = call("signatures/signDoc", {"credentialID": seal, "SAD": sad, "documents": [dict(doc, signature_format="C")]})
assert st == 400 and j["error_description"] == "Invalid parameter signature_format", j
PY

# every signature in the audit trail, by the caller's key
curl -s "${AUTH[@]}" "$URL1/api/v1/audit?action=csc-sign&limit=100" >audit.json
python3 - audit.json "$ADMIN_ID" "$GRANT" <<'PY' || fail "the audit trail: $(head -c 2000 audit.json)"
import json, sys
records = json.load(open(sys.argv[1]))["records"]
signed = [r for r in records if r["action"] == "csc-sign"]
# 2 signatures for each of 3 seals, 1 across the instances, 2 with the grant
assert len(signed) == 9, len(signed)
assert all(r["actor"] == "apikey:" + sys.argv[2] for r in signed), signed
assert sum(("grant %s use" % sys.argv[3]) in r["detail"] for r in signed) == 2, signed
assert all("CSC SAD" in r["detail"] and "signHash" in r["detail"] for r in signed), signed
PY
# the four stamps, two through signDoc and two native, each by the key
curl -s "${AUTH[@]}" "$URL1/api/v1/audit?action=stamp&target=seal:$RSA&limit=100" >stamps.json
python3 - stamps.json "$ADMIN_ID" <<'PY' || fail "the stamps' audit records: $(head -c 2000 stamps.json)"
import json, sys
records = json.load(open(sys.argv[1]))["records"]
assert len(records) == 4 and all(r["actor"] == "apikey:" + sys.argv[2] for r in records), records
PY
"$SEALSVC" --data "$DATA" audit verify >/dev/null || fail "the audit chain does not verify"
# PostgreSQL: two instances on one database (migration 13 there), a SAD from one spent on
# the other, each hash once
. "$SEAL_SOURCE_DIR/tests/integration/lib/postgres.sh"
pg_start
DATA="$WORK/pg"
"$SEALSVC" --db "$PG_URL" demo init --dir "$DATA" >pg-manifest.json 2>pg-demo.log || fail "demo init on PostgreSQL: $(cat pg-demo.log)"
PG_KEY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["api_key"]["key"])' pg-manifest.json)
pin_of() { python3 -c 'import json,sys; print([s["pin"] for s in json.load(open(sys.argv[1]))["seals"] if s["id"] == sys.argv[2]][0])' pg-manifest.json "$1"; }
SM2_PIN=$(pin_of "$SM2")
EC_PIN=$(pin_of "$EC")
SEALSVC_DB=$PG_URL start_serve "$WORK/pg-a.log"
PG_A=$SERVE_URL
SEALSVC_DB=$PG_URL start_serve "$WORK/pg-b.log"
PG_B=$SERVE_URL
"${CLIENT[@]}" "$PG_A" "$PG_KEY" sign "$SM2" "$SM2_PIN" || fail "PostgreSQL: signHash"
sad=$("${CLIENT[@]}" "$PG_A" "$PG_KEY" authorize "$EC" "$EC_PIN") || fail "PostgreSQL: authorize"
"${CLIENT[@]}" "$PG_B" "$PG_KEY" spend "$EC" "$sad" ok || fail "PostgreSQL: the other instance does not sign"
"${CLIENT[@]}" "$PG_A" "$PG_KEY" spend "$EC" "$sad" "Hash already signed with this SAD" ||
    fail "PostgreSQL: a hash signed twice across instances"
[ "$(psql -X -q -A -t -d "$PG_URL" -c "SELECT count(*) FROM csc_sad_use")" = 3 ] ||
    fail "PostgreSQL: csc_sad_use does not hold the 3 hashes signed"
echo "csc: ok"
