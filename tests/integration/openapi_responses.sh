#!/usr/bin/env bash
# docs/openapi.json against tools that are not ours and against the real service: a
# `sealsvc serve` on a free loopback port answers every route of the document, good
# requests and refused ones, and tests/openapi/validate.mjs (@readme/openapi-parser for
# the document, Ajv for the bodies) checks that the document is valid OpenAPI 3.1, that
# every answer's status and media type are ones the document gives for that route, that
# every JSON body matches the schema given for it, and that every operation was answered
# with success at least once. Every administration route is called too (institutions,
# people, grants, API keys, a seal's lifecycle, certificates, the audit trail).
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
make_demo
. "$(dirname "$0")/lib/serve.sh"
CHECKS="$SEAL_SOURCE_DIR/tests/openapi"
[ -d "$CHECKS/node_modules/@readme/openapi-parser" ] && [ -d "$CHECKS/node_modules/ajv" ] ||
    fail "the OpenAPI checkers are not installed: tests/install-deps.sh runs npm ci in tests/openapi"
command -v node >/dev/null || fail "node is needed (tests/install-deps.sh installs it)"

KEY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["api_key"]["key"])' "$WORK/manifest.json")
RSA=$(seal_of rsa id official)
RSA_PIN=$(seal_of rsa pin official)
cp "$SEAL_SOURCE_DIR/samples/contract-zh.pdf" "$WORK/in.pdf"
# a job below names a callback on this host (port 9: nobody answers), allowed here
SEALSVC_JOB_CALLBACK_ALLOW=127.0.0.1 start_serve "$WORK/serve.log"
OUT="$WORK/responses"
mkdir -p "$OUT"

# capture NAME METHOD PATH [CURL ARGS...]: the answer into $OUT, its status printed
capture() {
    local name=$1 method=$2 path=$3 code type
    shift 3
    code=$(curl -s -X "$method" -o "$OUT/$name.body" -D "$OUT/$name.h" -w '%{http_code}' "$@" \
        "$SERVE_URL$path")
    type=$(sed -n 's/^[Cc]ontent-[Tt]ype: *\([^\r]*\)\r*$/\1/p' "$OUT/$name.h" | tail -1)
    python3 -c 'import json,sys; print(json.dumps({"method": sys.argv[1], "path": sys.argv[2], "status": int(sys.argv[3]), "content_type": sys.argv[4]}))' \
        "$method" "$path" "$code" "$type" >"$OUT/$name.meta.json"
    echo "$code"
}
want() { # STATUS NAME METHOD PATH [CURL ARGS...]: capture, and the status must be STATUS
    local status=$1 got
    shift
    got=$(capture "$@")
    [ "$got" = "$status" ] || fail "$2 $3 answered $got, not $status: $(head -c 400 "$OUT/$1.body")"
}
AUTH=(-H "Authorization: Bearer $KEY")
PDF=(-H "Content-Type: application/pdf" --data-binary "@$WORK/in.pdf")
Q="seal=$RSA&page=1&at=100,100"

want 200 healthz GET /healthz
want 200 readyz GET /readyz
want 200 openapi GET /api/v1/openapi.json
want 200 stamp POST "/api/v1/stamp?$Q&pin=$RSA_PIN" "${AUTH[@]}" "${PDF[@]}"
cp "$OUT/stamp.body" "$WORK/sealed.pdf"
want 401 stamp-nokey POST "/api/v1/stamp?$Q&pin=$RSA_PIN" "${PDF[@]}"
want 404 stamp-noseal POST "/api/v1/stamp?seal=no-such-seal&page=1&at=100,100&pin=1" "${AUTH[@]}" "${PDF[@]}"
want 415 stamp-type POST "/api/v1/stamp?$Q&pin=$RSA_PIN" "${AUTH[@]}" -H "Content-Type: text/plain" --data-binary "hello"
printf '%%PDF-1.7\nnot really\n' >"$WORK/broken.pdf"
code=$(capture stamp-broken POST "/api/v1/stamp?$Q&pin=$RSA_PIN" "${AUTH[@]}" -H "Content-Type: application/pdf" --data-binary "@$WORK/broken.pdf")
case "$code" in 400 | 422) ;; *) fail "a broken PDF answered $code" ;; esac
want 403 stamp-pin POST "/api/v1/stamp?$Q&pin=wrong-pin" "${AUTH[@]}" "${PDF[@]}"
want 200 prepare POST "/api/v1/stamp/prepare?$Q" "${AUTH[@]}" "${PDF[@]}"
ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$OUT/prepare.body")
python3 -c 'import json,sys,base64; open(sys.argv[2],"wb").write(base64.b64decode(json.load(open(sys.argv[1]))["digest"]))' \
    "$OUT/prepare.body" "$WORK/digest.bin"
pass=$(printf %s "$RSA_PIN" | openssl dgst -sha256 -hmac "$(tr -d ' \n' <"$DATA/secrets/kek")" -r | cut -d' ' -f1)
sqlite3 "$DATA/sealsvc.db" "SELECT key_pem FROM seal WHERE id = '$RSA'" |
    openssl pkey -passin "pass:$pass" -out "$WORK/key.pem" || fail "cannot open the seal's key"
openssl pkeyutl -sign -inkey "$WORK/key.pem" -pkeyopt digest:sha256 -in "$WORK/digest.bin" -out "$WORK/sig.bin"
python3 -c 'import json,sys,base64; print(json.dumps({"signature": base64.b64encode(open(sys.argv[1],"rb").read()).decode()}))' \
    "$WORK/sig.bin" >"$WORK/finish.json"
FIN=(-H "Content-Type: application/json" --data-binary "@$WORK/finish.json")
want 200 finish POST "/api/v1/stamp/$ID/finish" "${AUTH[@]}" "${FIN[@]}"
want 404 finish-again POST "/api/v1/stamp/$ID/finish" "${AUTH[@]}" "${FIN[@]}"
want 200 verify POST /api/v1/verify -H "Content-Type: application/pdf" --data-binary "@$WORK/sealed.pdf"
want 200 verify-pictures POST "/api/v1/verify?pictures=1" -H "Content-Type: application/pdf" --data-binary "@$WORK/sealed.pdf"
want 200 verify-html POST "/api/v1/verify?format=html" -H "Content-Type: application/pdf" --data-binary "@$WORK/sealed.pdf"
want 200 verify-text POST /api/v1/verify -H "Accept: text/plain" -H "Content-Type: application/pdf" --data-binary "@$WORK/sealed.pdf"
want 406 verify-pdf POST "/api/v1/verify?format=pdf" -H "Content-Type: application/pdf" --data-binary "@$WORK/sealed.pdf"
want 400 verify-pictures-bad POST "/api/v1/verify?pictures=yes" -H "Content-Type: application/pdf" --data-binary "@$WORK/sealed.pdf"
want 415 verify-type POST /api/v1/verify -H "Content-Type: text/plain" --data-binary "hello"
# the web pages: not API, but routes, so documented (text/html and the files' own types)
want 200 page GET /verify/
want 200 desk-page GET /desk/
# uploaded documents: private to their owner, previews, text search, stamp
want 201 doc-upload POST /api/v1/documents "${AUTH[@]}" -F "file=@$WORK/in.pdf;type=application/pdf"
DOC_ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$OUT/doc-upload.body")
want 401 doc-upload-nokey POST /api/v1/documents "${PDF[@]}"
want 415 doc-upload-type POST /api/v1/documents "${AUTH[@]}" -H "Content-Type: text/plain" --data-binary "hello"
want 422 doc-upload-broken POST /api/v1/documents "${AUTH[@]}" -H "Content-Type: application/pdf" --data-binary "@$WORK/broken.pdf"
want 200 doc GET "/api/v1/documents/$DOC_ID" "${AUTH[@]}"
want 404 doc-none GET /api/v1/documents/00000000000000000000000000000000 "${AUTH[@]}"
want 200 doc-page GET "/api/v1/documents/$DOC_ID/pages/2?dpi=30" "${AUTH[@]}"
want 400 doc-page-dpi GET "/api/v1/documents/$DOC_ID/pages/1?dpi=5000" "${AUTH[@]}"
want 404 doc-page-none GET "/api/v1/documents/$DOC_ID/pages/99" "${AUTH[@]}"
want 200 doc-find GET "/api/v1/documents/$DOC_ID/find?text=%E7%94%B2%E6%96%B9" "${AUTH[@]}"
want 400 doc-find-none GET "/api/v1/documents/$DOC_ID/find" "${AUTH[@]}"
want 403 doc-stamp-pin POST "/api/v1/documents/$DOC_ID/stamp" "${AUTH[@]}" -F "seal=$RSA" -F pin=wrong-pin -F page=2 -F at=100,100
want 200 doc-stamp POST "/api/v1/documents/$DOC_ID/stamp" "${AUTH[@]}" -F "seal=$RSA" -F "pin=$RSA_PIN" -F page=2 -F at=100,100
"$SEALSVC" --data "$DATA" verify --offline "$OUT/doc-stamp.body" >/dev/null || fail "the stamped upload does not verify"
want 404 doc-stamped GET "/api/v1/documents/$DOC_ID" "${AUTH[@]}"
want 200 web-js GET /web/verify/verify.js
want 200 web-css GET /web/verify/verify.css
want 404 web-none GET /web/verify/no-such.js
want 200 seals GET /api/v1/seals "${AUTH[@]}"
want 401 seals-nokey GET /api/v1/seals
want 200 seal GET "/api/v1/seals/$RSA" "${AUTH[@]}"
want 404 seal-none GET /api/v1/seals/no-such-seal "${AUTH[@]}"
want 200 picture GET "/api/v1/seals/$RSA/picture" "${AUTH[@]}"
openssl ts -query -data "$WORK/in.pdf" -sha256 -cert -out "$WORK/q.tsq" 2>/dev/null
want 200 tsa POST /tsa -H "Content-Type: application/timestamp-query" --data-binary "@$WORK/q.tsq"
sqlite3 "$DATA/sealsvc.db" "SELECT cert_pem FROM seal WHERE id = '$RSA'" >"$WORK/seal.pem"
openssl ocsp -issuer "$DATA/pki/issuing-ca.pem" -cert "$WORK/seal.pem" -reqout "$WORK/ocsp.req" -no_nonce >/dev/null 2>&1 ||
    fail "openssl ocsp cannot make a request"
want 200 ocsp POST /ocsp -H "Content-Type: application/ocsp-request" --data-binary "@$WORK/ocsp.req"
B64=$(base64 -w0 "$WORK/ocsp.req" | python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.stdin.read().strip(), safe=""))')
want 200 ocsp-get GET "/ocsp/$B64"
want 200 crl GET /crl/issuing-ca.crl
want 404 crl-none GET /crl/no-such-ca.crl

# --- administration: every route once with success, and its refusals
JSON=(-H "Content-Type: application/json")
XINGHE=91110108MA01XH3K7J
EC=$(seal_of ecdsa id official)
want 200 institutions GET /api/v1/institutions "${AUTH[@]}"
want 201 institution-new POST /api/v1/institutions "${AUTH[@]}" "${JSON[@]}" \
    --data '{"name":"测试单位","credit_code":"91310000MA1FL8TQ23"}'
want 409 institution-again POST /api/v1/institutions "${AUTH[@]}" "${JSON[@]}" \
    --data '{"name":"测试单位","credit_code":"91310000MA1FL8TQ23"}'
want 422 institution-badcode POST /api/v1/institutions "${AUTH[@]}" "${JSON[@]}" \
    --data '{"name":"测试单位","credit_code":"91310000MA1FL8TQ24"}'
want 400 institution-json POST /api/v1/institutions "${AUTH[@]}" "${JSON[@]}" --data '{"name":'
want 415 institution-type POST /api/v1/institutions "${AUTH[@]}" -H "Content-Type: text/plain" --data 'x'
want 200 institution GET "/api/v1/institutions/$XINGHE" "${AUTH[@]}"
want 404 institution-none GET /api/v1/institutions/91310000MA1FL8TQ24 "${AUTH[@]}"
want 201 person-new POST /api/v1/people "${AUTH[@]}" "${JSON[@]}" \
    --data '{"name":"张三","resident_id":"440106198503151233","mobile":"13812345678"}'
want 201 person-two POST /api/v1/people "${AUTH[@]}" "${JSON[@]}" \
    --data '{"name":"李四","resident_id":"310115197811204563"}'
want 422 person-badid POST /api/v1/people "${AUTH[@]}" "${JSON[@]}" \
    --data '{"name":"王五","resident_id":"310115197811204564"}'
want 200 people GET /api/v1/people "${AUTH[@]}"
want 200 person GET /api/v1/people/1 "${AUTH[@]}"
want 404 person-none GET /api/v1/people/999 "${AUTH[@]}"
want 201 role-admin POST /api/v1/people/3/roles "${AUTH[@]}" "${JSON[@]}" \
    --data "{\"institution\":\"$XINGHE\",\"role\":\"seal-administrator\"}"
want 201 role-handler POST /api/v1/people/4/roles "${AUTH[@]}" "${JSON[@]}" \
    --data "{\"institution\":\"$XINGHE\",\"role\":\"handler\"}"
want 201 role-legal POST /api/v1/people/4/roles "${AUTH[@]}" "${JSON[@]}" \
    --data "{\"institution\":\"$XINGHE\",\"role\":\"legal-representative\"}"
want 400 role-bad POST /api/v1/people/4/roles "${AUTH[@]}" "${JSON[@]}" \
    --data "{\"institution\":\"$XINGHE\",\"role\":\"boss\"}"
want 200 role-remove DELETE "/api/v1/people/4/roles/legal-representative?institution=$XINGHE" "${AUTH[@]}"
want 404 role-remove-again DELETE "/api/v1/people/4/roles/legal-representative?institution=$XINGHE" "${AUTH[@]}"
want 201 grant-new POST /api/v1/grants "${AUTH[@]}" "${JSON[@]}" \
    --data "{\"seal\":\"$RSA\",\"grantor\":3,\"grantee\":4,\"until\":\"2099-12-31\",\"max_uses\":3,\"project\":\"ZB-2026-001\"}"
want 409 grant-notadmin POST /api/v1/grants "${AUTH[@]}" "${JSON[@]}" \
    --data "{\"seal\":\"$RSA\",\"grantor\":4,\"grantee\":4,\"until\":\"2099-12-31\"}"
want 400 grant-types POST /api/v1/grants "${AUTH[@]}" "${JSON[@]}" \
    --data "{\"seal\":\"$RSA\",\"grantor\":\"3\",\"grantee\":4,\"until\":\"2099-12-31\"}"
want 200 grants GET "/api/v1/grants?seal=$RSA&grantee=4&state=active" "${AUTH[@]}"
want 200 grant GET /api/v1/grants/3 "${AUTH[@]}"
want 200 grant-revoke POST /api/v1/grants/3/revoke "${AUTH[@]}" "${JSON[@]}" --data '{"reason":"tender closed"}'
want 409 grant-revoke-again POST /api/v1/grants/3/revoke "${AUTH[@]}"
want 200 grant-rule-set PUT "/api/v1/seals/$EC/grant-rule" "${AUTH[@]}" "${JSON[@]}" --data '{"required":true}'
want 200 grant-rule GET "/api/v1/seals/$EC/grant-rule" "${AUTH[@]}"
want 200 apikeys GET /api/v1/apikeys "${AUTH[@]}"
want 201 apikey-new POST /api/v1/apikeys "${AUTH[@]}" "${JSON[@]}" \
    --data "{\"role\":\"portal\",\"institution\":\"$XINGHE\",\"label\":\"a portal\"}"
PORTAL=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["key"])' "$OUT/apikey-new.body")
PORTAL_ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$OUT/apikey-new.body")
want 403 institutions-portal GET /api/v1/institutions -H "Authorization: Bearer $PORTAL"
want 200 apikey-revoke POST "/api/v1/apikeys/$PORTAL_ID/revoke" "${AUTH[@]}"
want 404 apikey-revoke-again POST "/api/v1/apikeys/$PORTAL_ID/revoke" "${AUTH[@]}"
want 201 seal-freeze POST "/api/v1/seals/$EC/events" "${AUTH[@]}" "${JSON[@]}" --data '{"event":"freeze","reason":"inquiry"}'
want 409 seal-freeze-again POST "/api/v1/seals/$EC/events" "${AUTH[@]}" "${JSON[@]}" --data '{"event":"freeze","reason":"inquiry"}'
want 201 seal-unfreeze POST "/api/v1/seals/$EC/events" "${AUTH[@]}" "${JSON[@]}" --data '{"event":"unfreeze","reason":"closed"}'
want 404 seal-event-none POST /api/v1/seals/no-such-seal/events "${AUTH[@]}" "${JSON[@]}" --data '{"event":"freeze","reason":"x"}'
want 200 seal-events GET "/api/v1/seals/$EC/events" "${AUTH[@]}"
want 200 seal-state GET "/api/v1/seals/$EC/state?at=2000-01-01" "${AUTH[@]}"
want 200 seal-lock POST "/api/v1/seals/$EC/lock" "${AUTH[@]}" "${JSON[@]}" --data '{"reason":"test"}'
want 200 seal-unlock POST "/api/v1/seals/$EC/unlock" "${AUTH[@]}"
want 409 seal-unlock-again POST "/api/v1/seals/$EC/unlock" "${AUTH[@]}"
SERIAL=$(sqlite3 "$DATA/sealsvc.db" "SELECT cert_pem FROM seal WHERE id = '$EC'" | openssl x509 -noout -serial | cut -d= -f2)
want 200 cert-status GET "/api/v1/certificates/$SERIAL/status" "${AUTH[@]}"
want 404 cert-none GET /api/v1/certificates/abcdef/status "${AUTH[@]}"
want 200 cert-freeze POST "/api/v1/certificates/$SERIAL/freeze" "${AUTH[@]}"
want 409 cert-freeze-again POST "/api/v1/certificates/$SERIAL/freeze" "${AUTH[@]}"
want 200 cert-unfreeze POST "/api/v1/certificates/$SERIAL/unfreeze" "${AUTH[@]}"
want 200 cert-revoke POST "/api/v1/certificates/$SERIAL/revoke" "${AUTH[@]}" "${JSON[@]}" --data '{"reason":"superseded"}'
want 200 audit GET "/api/v1/audit?actor=apikey:$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["api_key"]["id"])' "$WORK/manifest.json")&limit=5" "${AUTH[@]}"
want 400 audit-limit GET "/api/v1/audit?limit=0" "${AUTH[@]}"
want 200 audit-verify GET /api/v1/audit/verify "${AUTH[@]}"
# no resident ID in any answer: only masked
grep -l '440106198503151233\|310115197811204563\|310115197811204564' "$OUT"/*.body &&
    fail "an answer holds a resident ID"

# --- batch jobs: a PDF and an OFD sealed, a broken PDF failed, a job cancelled
JOB=(-F "seal=$RSA" -F "pin=$RSA_PIN" -F page=1 -F at=100,100)
# wait_job ID: polls the job until it has ended
wait_job() {
    local state=""
    for _ in $(seq 300); do
        state=$(curl -s "${AUTH[@]}" "$SERVE_URL/api/v1/jobs/$1" |
            python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
        case "$state" in done | failed | cancelled) return 0 ;; esac
        sleep 0.1
    done
    fail "job $1 did not end (state $state)"
}
job_id() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$OUT/$1.body"; }
want 202 job-submit POST /api/v1/jobs "${AUTH[@]}" "${JOB[@]}" -F "document=@$WORK/in.pdf" \
    -F "document=@$SEAL_SOURCE_DIR/samples/notice-zh.ofd" -F callback_url=http://127.0.0.1:9/hook
JOB_ID=$(job_id job-submit)
wait_job "$JOB_ID"
want 200 job GET "/api/v1/jobs/$JOB_ID" "${AUTH[@]}"
want 200 jobs GET "/api/v1/jobs?state=done&limit=10" "${AUTH[@]}"
want 400 jobs-state GET "/api/v1/jobs?state=submitting" "${AUTH[@]}"
want 400 jobs-limit GET "/api/v1/jobs?limit=0" "${AUTH[@]}"
want 200 job-document GET "/api/v1/jobs/$JOB_ID/documents/2" "${AUTH[@]}"
want 404 job-document-none GET "/api/v1/jobs/$JOB_ID/documents/3" "${AUTH[@]}"
want 200 job-zip GET "/api/v1/jobs/$JOB_ID/result.zip" "${AUTH[@]}"
want 409 job-cancel-ended POST "/api/v1/jobs/$JOB_ID/cancel" "${AUTH[@]}"
want 401 job-nokey GET "/api/v1/jobs/$JOB_ID"
want 404 job-none GET /api/v1/jobs/0123456789abcdef0123456789abcdef "${AUTH[@]}"
want 415 job-type POST /api/v1/jobs "${AUTH[@]}" "${PDF[@]}"
want 400 job-nodoc POST /api/v1/jobs "${AUTH[@]}" "${JOB[@]}"
want 400 job-placement POST /api/v1/jobs "${AUTH[@]}" -F "seal=$RSA" -F "pin=$RSA_PIN" -F at=nowhere \
    -F "document=@$WORK/in.pdf"
want 403 job-pin POST /api/v1/jobs "${AUTH[@]}" -F "seal=$RSA" -F pin=wrong-pin -F page=1 -F at=100,100 \
    -F "document=@$WORK/in.pdf"
want 202 job-broken POST /api/v1/jobs "${AUTH[@]}" "${JOB[@]}" -F "document=@$WORK/broken.pdf"
BROKEN_ID=$(job_id job-broken)
wait_job "$BROKEN_ID"
want 200 job-failed GET "/api/v1/jobs/$BROKEN_ID" "${AUTH[@]}"
want 409 job-document-failed GET "/api/v1/jobs/$BROKEN_ID/documents/1" "${AUTH[@]}"
want 409 job-zip-none GET "/api/v1/jobs/$BROKEN_ID/result.zip" "${AUTH[@]}"
# A job cancelled while it waits: from here on an instance with no job worker answers (a
# worker stamps this small contract in a few milliseconds, so a running job would race the
# cancel), on the same data.
kill "$SERVE_PID"
wait "$SERVE_PID" || true
start_serve "$WORK/serve-noworker.log" --job-workers 0
MANY=()
for _ in $(seq 3); do MANY+=(-F "document=@$WORK/in.pdf"); done
want 202 job-many POST /api/v1/jobs "${AUTH[@]}" "${JOB[@]}" "${MANY[@]}"
want 200 job-cancel POST "/api/v1/jobs/$(job_id job-many)/cancel" "${AUTH[@]}"
# the clerk desk's session: login, who am I, a session's seals, logout, and the refusals
DESK_LOGIN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["desk"]["login"])' "$WORK/manifest.json")
DESK_PASSWORD=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["desk"]["password"])' "$WORK/manifest.json")
JSON=(-H "Content-Type: application/json")
want 201 session-login POST /api/v1/session "${JSON[@]}" --data-binary "{\"login\":\"$DESK_LOGIN\",\"password\":\"$DESK_PASSWORD\"}"
COOKIE=(-H "Cookie: $(sed -n 's/^[Ss]et-[Cc]ookie: *\(sealsvc_session=[^;]*\).*$/\1/p' "$OUT/session-login.h")")
CSRF=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf_token"])' "$OUT/session-login.body")
want 200 session GET /api/v1/session "${COOKIE[@]}"
want 200 seals-session GET /api/v1/seals "${COOKIE[@]}"
want 401 session-bad POST /api/v1/session "${JSON[@]}" --data-binary "{\"login\":\"$DESK_LOGIN\",\"password\":\"not the password\"}"
want 400 session-badbody POST /api/v1/session "${JSON[@]}" --data-binary '{"login":"x","password":"y"}'
want 401 session-none GET /api/v1/session
want 403 session-csrf DELETE /api/v1/session "${COOKIE[@]}"
want 204 session-logout DELETE /api/v1/session "${COOKIE[@]}" -H "X-CSRF-Token: $CSRF"
want 401 session-ended GET /api/v1/session "${COOKIE[@]}"
# remote signing (CSC API v2): every method once with success, and its refusals
H32=$(printf 'csc' | openssl dgst -sha256 -binary | base64)
want 200 csc-info POST /csc/v2/info "${JSON[@]}" -d '{}'
want 200 csc-list POST /csc/v2/credentials/list "${AUTH[@]}" "${JSON[@]}" -d '{"credentialInfo": true, "certInfo": true, "authInfo": true}'
want 401 csc-list-nokey POST /csc/v2/credentials/list "${JSON[@]}" -d '{}'
want 200 csc-cred POST /csc/v2/credentials/info "${AUTH[@]}" "${JSON[@]}" -d "{\"credentialID\": \"$RSA\", \"certificates\": \"chain\", \"certInfo\": true}"
want 400 csc-cred-none POST /csc/v2/credentials/info "${AUTH[@]}" "${JSON[@]}" -d '{"credentialID": "no-such-seal"}'
want 200 csc-authorize POST /csc/v2/credentials/authorize "${AUTH[@]}" "${JSON[@]}" \
    -d "{\"credentialID\": \"$RSA\", \"numSignatures\": 1, \"hashes\": [\"$H32\"], \"hashAlgorithmOID\": \"2.16.840.1.101.3.4.2.1\", \"authData\": [{\"id\": \"PIN\", \"value\": \"$RSA_PIN\"}]}"
SAD=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["SAD"])' "$OUT/csc-authorize.body")
want 200 csc-sign POST /csc/v2/signatures/signHash "${AUTH[@]}" "${JSON[@]}" \
    -d "{\"credentialID\": \"$RSA\", \"SAD\": \"$SAD\", \"hashes\": [\"$H32\"], \"signAlgo\": \"1.2.840.113549.1.1.11\"}"
want 400 csc-sign-again POST /csc/v2/signatures/signHash "${AUTH[@]}" "${JSON[@]}" \
    -d "{\"credentialID\": \"$RSA\", \"SAD\": \"$SAD\", \"hashes\": [\"$H32\"], \"signAlgo\": \"1.2.840.113549.1.1.11\"}"
want 200 csc-authorize-doc POST /csc/v2/credentials/authorize "${AUTH[@]}" "${JSON[@]}" \
    -d "{\"credentialID\": \"$RSA\", \"numSignatures\": 1, \"authData\": [{\"id\": \"PIN\", \"value\": \"$RSA_PIN\"}]}"
SAD=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["SAD"])' "$OUT/csc-authorize-doc.body")
python3 -c 'import json,sys,base64; print(json.dumps({"credentialID": sys.argv[1], "SAD": sys.argv[2], "documents": [{"document": base64.b64encode(open(sys.argv[3], "rb").read()).decode(), "signature_format": "P", "conformance_level": "Ades-B-B"}]}))' \
    "$RSA" "$SAD" "$WORK/in.pdf" >"$WORK/signdoc.json"
want 200 csc-signdoc POST /csc/v2/signatures/signDoc "${AUTH[@]}" "${JSON[@]}" --data-binary "@$WORK/signdoc.json"
want 400 csc-signdoc-again POST /csc/v2/signatures/signDoc "${AUTH[@]}" "${JSON[@]}" --data-binary "@$WORK/signdoc.json"
# metrics last: it has counted the requests above
want 200 metrics GET /metrics

node "$CHECKS/validate.mjs" "$SEAL_SOURCE_DIR/docs/openapi.json" "$OUT" >"$WORK/check.txt" 2>&1 ||
    fail "the service and its OpenAPI document disagree:
$(cat "$WORK/check.txt")"
cat "$WORK/check.txt"

# --- the checker can fail: a body that breaks its schema, a status the document lacks
cp "$OUT/seals.meta.json" "$OUT/zz-bad.meta.json"
echo '{"seals": 7}' >"$OUT/zz-bad.body"
python3 -c 'import json,sys; print(json.dumps({"method": "GET", "path": "/healthz", "status": 418, "content_type": "text/plain"}))' >"$OUT/zz-teapot.meta.json"
echo tea >"$OUT/zz-teapot.body"
if node "$CHECKS/validate.mjs" "$SEAL_SOURCE_DIR/docs/openapi.json" "$OUT" >"$WORK/bad.txt" 2>&1; then
    fail "the checker passed a body that breaks its schema"
fi
grep -q "zz-bad: GET /api/v1/seals -> 200: the body does not match the schema" "$WORK/bad.txt" &&
    grep -q "zz-teapot: GET /healthz -> 418: the document lists no 418 answer" "$WORK/bad.txt" ||
    fail "the checker did not name the planted problems: $(cat "$WORK/bad.txt")"
echo "PASS"
