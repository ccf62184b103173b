#!/usr/bin/env bash
# `sealsvc serve` against curl on loopback: the fixed paths (healthz, readyz, metrics,
# openapi.json, which must name exactly the routes the server has), API keys by role and
# institution on the seals list, the synchronous stamp of a PDF (raw body and multipart,
# one and several placements) and an OFD, each checked by pdfsig, qpdf --check and
# `sealsvc verify`, and equal to what `sealsvc stamp` makes for the same request but for
# the signing time and the signature values; the two-phase stamp (prepare, openssl
# pkeyutl signs, finish); verify's JSON report; a B-T stamp through the service's own /tsa;
# the audit trail naming the key; the metrics counting what was done.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
make_demo
. "$(dirname "$0")/lib/serve.sh"

SAMPLE="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"
OFD="$SEAL_SOURCE_DIR/samples/notice-zh.ofd"
RSA=$(seal_of rsa id official)
RSA_PIN=$(seal_of rsa pin official)
SM2=$(seal_of sm2 id official)
SM2_PIN=$(seal_of sm2 pin official)
EC=$(seal_of ecdsa id official)
XINGHE_CODE=$(sqlite3 "$DATA/sealsvc.db" "SELECT i.credit_code FROM seal s JOIN institution i ON i.id = s.institution_id WHERE s.id = '$RSA'")
cd "$WORK"
mkdir tmp

ADMIN=$("$SEALSVC" --data "$DATA" apikey create --role admin 2>/dev/null)
PORTAL=$("$SEALSVC" --data "$DATA" apikey create --role portal --institution "$XINGHE_CODE" 2>/dev/null)
AUDITOR=$("$SEALSVC" --data "$DATA" apikey create --role auditor 2>/dev/null)
PORTAL_ID=$("$SEALSVC" --data "$DATA" apikey list --json | python3 -c 'import json,sys
print([k["id"] for k in json.load(sys.stdin) if k["role"] == "portal"][0])')
case "$ADMIN" in sealsvc_*) ;; *) fail "apikey create printed no key: $ADMIN" ;; esac
"$SEALSVC" --data "$DATA" apikey list | grep -q "$PORTAL" && fail "apikey list shows a key"
sqlite3 "$DATA/sealsvc.db" .dump | grep -q "${ADMIN#sealsvc_}" && fail "the store holds a key's text"

cat >serve.conf <<EOF
[server]
threads = 3
tmp_dir = $WORK/tmp
max_body = 8M
# the service's own /tsa, named by the B-T request below, is on loopback
outbound_allow = 127.0.0.1
[verify]
offline = true
EOF
start_serve "$WORK/serve.log" --config serve.conf
AUTH=(-H "Authorization: Bearer $ADMIN")
PAUTH=(-H "Authorization: Bearer $PORTAL")

# --- fixed paths
[ "$(call GET /healthz h.json)" = 200 ] && grep -q '"ok"' h.json || fail "healthz"
[ "$(call GET /readyz r.json)" = 200 ] && grep -q '"ready"' r.json || fail "readyz"
grep -qi '^x-request-id: [0-9a-f]\{16\}' r.json.h || fail "no X-Request-Id"
[ "$(call GET /api/v1/openapi.json openapi.json)" = 200 ] || fail "openapi.json not served"
cmp -s openapi.json "$SEAL_SOURCE_DIR/docs/openapi.json" || fail "the served openapi.json is not docs/openapi.json"
"$SEALSVC" serve --routes >routes.txt
python3 - openapi.json routes.txt <<'PY' || fail "docs/openapi.json and the route table differ"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["openapi"].startswith("3.1"), doc["openapi"]
documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops if m in
              ("get", "post", "put", "delete", "patch")}
served = {tuple(l.split()) for l in open(sys.argv[2]) if l.strip()}
assert documented == served, ("documented only", documented - served, "served only", served - documented)
for (m, p) in documented:
    op = doc["paths"][p][m.lower()]
    assert op.get("responses"), (m, p)
    for name in [s.strip("{}") for s in p.split("/") if s.startswith("{")]:
        assert any(x["name"] == name and x["in"] == "path" for x in op.get("parameters", [])), (m, p, name)
PY

# --- seals: every seal for the admin, the institution's own for its portal key
[ "$(call GET /api/v1/seals all.json "${AUTH[@]}")" = 200 ] || fail "admin cannot list seals"
[ "$(call GET /api/v1/seals mine.json "${PAUTH[@]}")" = 200 ] || fail "portal cannot list seals"
python3 - all.json mine.json "$XINGHE_CODE" "$RSA" <<'PY' || fail "the seals lists are wrong"
import json, sys
everyone = json.load(open(sys.argv[1]))["seals"]
mine = json.load(open(sys.argv[2]))["seals"]
assert len(everyone) == 6, len(everyone)  # the demo's five and the platform's verification seal
assert mine and all(s["institution"]["code"] == sys.argv[3] for s in mine), mine
assert len(mine) == sum(s["institution"]["code"] == sys.argv[3] for s in everyone)
s = [s for s in mine if s["id"] == sys.argv[4]][0]
assert s["algorithm"] == "rsa" and s["state"] == "active" and s["picture"] == "/api/v1/seals/%s/picture" % s["id"]
PY
[ "$(call GET "/api/v1/seals/$RSA/picture" pic.png "${PAUTH[@]}")" = 200 ] || fail "no picture"
cmp -s pic.png "$DATA/seals/$RSA.png" || fail "the picture is not the seal's"

# --- stamp, raw body: the document the command line makes
[ "$(call POST "/api/v1/stamp?seal=$RSA&page=1&at=150,240" raw.pdf "${PAUTH[@]}" \
    -H "Content-Type: application/pdf" -H "X-Ignored: 1" --data-binary "@$SAMPLE" \
    --url-query "pin=$RSA_PIN")" = 200 ] || fail "raw stamp refused: $(cat raw.pdf)"
grep -qi '^content-type: application/pdf' raw.pdf.h || fail "the sealed PDF is not application/pdf"
grep -qi '^x-seal-stamp: {"seal":"'"$RSA"'"' raw.pdf.h || fail "no X-Seal-Stamp header"
SEALSVC_PIN=$RSA_PIN "$SEALSVC" --data "$DATA" stamp "$SAMPLE" cli.pdf --seal "$RSA" --page 1 \
    --at 150,240 >/dev/null
same_but_signing() { # A B: equal but for /Contents, /M and the trailer /ID
    python3 - "$1" "$2" <<'PY'
import re, sys
def norm(p):
    d = open(p, "rb").read()
    d = re.sub(rb"/Contents\s*<[0-9A-Fa-f]*>", b"/Contents <>", d)
    d = re.sub(rb"/M\s*\(D:[^)]*\)", b"/M ()", d)
    return re.sub(rb"/ID\s*\[\s*<[0-9A-Fa-f]*>\s*<[0-9A-Fa-f]*>\s*\]", b"/ID []", d)
a, b = norm(sys.argv[1]), norm(sys.argv[2])
sys.exit(0 if a == b and len(open(sys.argv[1], "rb").read()) == len(open(sys.argv[2], "rb").read()) else 1)
PY
}
same_but_signing raw.pdf cli.pdf || fail "the service's PDF differs from sealsvc stamp's"
qpdf --check raw.pdf >/dev/null || fail "qpdf --check rejects the service's PDF"
make_nssdb
pdfsig -nssdir "sql:$NSSDB" raw.pdf >pdfsig.txt 2>&1 || true
grep -q 'Signature Validation: Signature is Valid' pdfsig.txt || fail "pdfsig: $(cat pdfsig.txt)"
"$SEALSVC" --data "$DATA" verify raw.pdf --offline >/dev/null || fail "sealsvc verify rejects the service's PDF"

# --- stamp, multipart: a keyword, and two placements in one signature
[ "$(call POST /api/v1/stamp kw.pdf "${PAUTH[@]}" -F "file=@$SAMPLE;type=application/pdf" \
    -F "seal=$RSA" -F "pin=$RSA_PIN" -F "keyword=甲方（盖章）")" = 200 ] || fail "multipart stamp: $(cat kw.pdf)"
SEALSVC_PIN=$RSA_PIN "$SEALSVC" --data "$DATA" stamp "$SAMPLE" clikw.pdf --seal "$RSA" \
    --keyword "甲方（盖章）" >/dev/null
same_but_signing kw.pdf clikw.pdf || fail "the multipart stamp differs from sealsvc stamp's"
[ "$(call POST /api/v1/stamp two.pdf "${AUTH[@]}" -F "file=@$SAMPLE" -F "seal=$EC" \
    -F "pin=$(seal_of ecdsa pin official)" \
    -F 'placements=[{"page":1,"at":"40,40"},{"page":2,"at":"150,200"}]')" = 200 ] ||
    fail "two placements: $(cat two.pdf)"
python3 -c 'import json,sys; h=[l for l in open(sys.argv[1], encoding="latin-1") if l.lower().startswith("x-seal-stamp:")][0]
p=json.loads(h.split(":",1)[1])["placements"]; assert [x["page"] for x in p]==[1,2], p' two.pdf.h ||
    fail "the two placements are not in X-Seal-Stamp"
"$SEALSVC" --data "$DATA" verify two.pdf --offline --json >two.json || fail "two placements: not valid"

# --- stamp an OFD (SM2, GB/T 38540 seal)
[ "$(call POST /api/v1/stamp sealed.ofd "${AUTH[@]}" -F "file=@$OFD" -F "seal=$SM2" \
    -F "pin=$SM2_PIN" -F "keyword=盖章处：")" = 200 ] || fail "OFD stamp: $(cat sealed.ofd)"
grep -qi '^content-type: application/ofd' sealed.ofd.h || fail "the sealed OFD is not application/ofd"
"$SEALSVC" --data "$DATA" verify sealed.ofd --offline >/dev/null || fail "sealsvc verify rejects the service's OFD"
SEALSVC_PIN=$SM2_PIN "$SEALSVC" --data "$DATA" stamp "$OFD" cli.ofd --seal "$SM2" --keyword "盖章处：" >/dev/null
python3 - sealed.ofd cli.ofd <<'PY' || fail "the service's OFD differs from sealsvc stamp's beyond the signature"
import sys, zipfile
a, b = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2])
assert a.namelist() == b.namelist(), (a.namelist(), b.namelist())
for n in a.namelist():
    if n.endswith("SignedValue.dat") or n.endswith("Signature.xml"):
        continue  # the signature value and its time
    assert a.read(n) == b.read(n), n
PY

# --- two-phase: prepare, sign with openssl, finish
pass=$(printf %s "$RSA_PIN" | openssl dgst -sha256 -hmac "$(tr -d ' \n' <"$DATA/secrets/kek")" -r | cut -d' ' -f1)
sqlite3 "$DATA/sealsvc.db" "SELECT key_pem FROM seal WHERE id = '$RSA'" |
    openssl pkey -passin "pass:$pass" -out rsa.key || fail "cannot open the seal's key"
[ "$(call POST "/api/v1/stamp/prepare?seal=$RSA&page=1&at=150,240" prep.json "${PAUTH[@]}" \
    -H "Content-Type: application/pdf" --data-binary "@$SAMPLE")" = 200 ] || fail "prepare: $(cat prep.json)"
ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' prep.json)
python3 -c 'import json,sys,base64; open("digest.bin","wb").write(base64.b64decode(json.load(open(sys.argv[1]))["digest"]))' prep.json
openssl pkeyutl -sign -inkey rsa.key -pkeyopt digest:sha256 -in digest.bin -out sig.der
python3 -c 'import json,base64; print(json.dumps({"signature": base64.b64encode(open("sig.der","rb").read()).decode()}))' >finish.json
[ "$(call POST "/api/v1/stamp/$ID/finish" ext.pdf "${PAUTH[@]}" -H "Content-Type: application/json" \
    --data-binary @finish.json)" = 200 ] || fail "finish: $(cat ext.pdf)"
"$SEALSVC" --data "$DATA" verify ext.pdf --offline >/dev/null || fail "the two-phase PDF is not valid"
[ "$(call POST "/api/v1/stamp/$ID/finish" again.json "${PAUTH[@]}" -H "Content-Type: application/json" \
    --data-binary @finish.json)" = 404 ] || fail "a finished stamp finished again"
expect_problem again.json 404 pending-not-found

# --- verify: the report `sealsvc verify --json` prints
[ "$(call POST /api/v1/verify v.json -H "Content-Type: application/pdf" --data-binary @raw.pdf)" = 200 ] ||
    fail "verify: $(cat v.json)"
"$SEALSVC" --data "$DATA" verify raw.pdf --offline --json >cli-v.json || true
python3 - v.json cli-v.json <<'PY' || fail "the service's report differs from sealsvc verify's"
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert a["verdict"] == "VALID", a["verdict"]
a.pop("file"); b.pop("file")
assert a == b
PY
[ "$(call POST /api/v1/verify v2.json -F "file=@sealed.ofd")" = 200 ] || fail "multipart verify"
grep -q '"verdict": "VALID"' v2.json || fail "the sealed OFD does not verify through the service"

# --- B-T through the service's own TSA (/tsa)
[ "$(call POST "/api/v1/stamp?seal=$RSA&at=100,100&level=B-T" bt.pdf "${AUTH[@]}" \
    --url-query "tsa=$SERVE_URL/tsa" --url-query "pin=$RSA_PIN" -H "Content-Type: application/pdf" \
    --data-binary "@$SAMPLE")" = 200 ] || fail "B-T stamp: $(cat bt.pdf)"
pdfsig -nssdir "sql:$NSSDB" bt.pdf 2>&1 | grep -q 'Signature Type: ETSI.CAdES.detached' || fail "B-T: not PAdES"
"$SEALSVC" --data "$DATA" verify bt.pdf --offline --json >bt.json || true
grep -q '"timestamp"' bt.json || fail "B-T: no timestamp in the report"

# --- the audit trail names the key; the log names it and never a PIN or a key
"$SEALSVC" --data "$DATA" audit list >audit.txt
grep -q "apikey:$PORTAL_ID" audit.txt || fail "the audit trail does not name the portal key"
grep -q "$RSA_PIN\|$SM2_PIN\|$ADMIN\|$PORTAL" serve.log && fail "the log holds a PIN or a key"
grep -q '"caller":"'"$PORTAL_ID"'"' serve.log || fail "the log does not name the caller"

# --- metrics count what was done
[ "$(call GET /metrics m.txt)" = 200 ] || fail "metrics"
python3 - m.txt <<'PY' || fail "the metrics do not count the requests: $(cat m.txt)"
import re, sys
t = open(sys.argv[1]).read()
def v(pattern):
    m = re.search(pattern + r" (\d+)", t)
    return int(m.group(1)) if m else 0
assert v(r'sealsvc_http_requests_total\{route="/api/v1/stamp",status="200"\}') == 5
assert v(r'sealsvc_stamps_total\{format="PDF",algorithm="rsa",outcome="stamped"\}') == 4
assert v(r'sealsvc_stamps_total\{format="OFD",algorithm="sm2",outcome="stamped"\}') == 1
assert v(r'sealsvc_http_request_duration_seconds_count\{route="/api/v1/verify"\}') == 2
assert v(r'sealsvc_stamps_total\{format="PDF",algorithm="rsa",outcome="prepared"\}') == 1
assert v(r'sealsvc_pending_stamps') == 0
PY
[ -z "$(ls -A tmp)" ] || fail "temporary files left: $(ls tmp)"
echo "serve api: ok"
