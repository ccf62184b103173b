#!/usr/bin/env bash
# `sealsvc serve` refusing what it must: no key, a wrong, revoked or expired key, another
# institution's seal, an auditor stamping, wrong PINs (tries left, then 423 locked), a
# body over the limit (by its Content-Length and chunked), a body that stops halfway, a
# malformed multipart body, a wrong media type, JSON of the wrong types and 10,000 levels
# deep, a path with '..', too many verifications (429 with Retry-After). Each is a problem
# document with its status and code, nothing is stamped, the server stays up and the
# temporary and work folders hold what they held before. Last, SIGTERM while a stamp's
# upload is in flight: the stamp completes and the process exits 0.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
make_demo
. "$(dirname "$0")/lib/serve.sh"

SAMPLE="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"
RSA=$(seal_of rsa id official)
RSA_PIN=$(seal_of rsa pin official)
EC=$(seal_of ecdsa id official)
code_of() {
    sqlite3 "$DATA/sealsvc.db" "SELECT i.credit_code FROM seal s JOIN institution i ON i.id = s.institution_id WHERE s.id = '$1'"
}
cd "$WORK"
mkdir tmp
ADMIN=$("$SEALSVC" --data "$DATA" apikey create --role admin 2>/dev/null)
OTHER=$("$SEALSVC" --data "$DATA" apikey create --role portal --institution "$(code_of "$EC")" 2>/dev/null)
AUDITOR=$("$SEALSVC" --data "$DATA" apikey create --role auditor 2>/dev/null)
GONE=$("$SEALSVC" --data "$DATA" apikey create --role clerk --json 2>/dev/null)
GONE_KEY=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["key"])' "$GONE")
"$SEALSVC" --data "$DATA" apikey revoke "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$GONE")" >/dev/null
expect_exit 64 "$SEALSVC" --data "$DATA" apikey create --role boss
expect_exit 3 "$SEALSVC" --data "$DATA" apikey create --role portal --institution 91110000000000000X

SEALSVC_TMP_DIR="$WORK/tmp" SEALSVC_MAX_BODY=1M SEALSVC_VERIFY_PER_MINUTE=2 \
    SEALSVC_VERIFY_OFFLINE=true start_serve "$WORK/serve2.log"
LIMITED_URL=$SERVE_URL
LIMITED_PID=$SERVE_PID
printf '[server]\ntmp_dir = %s\nmax_body = 1M\nthreads = 2\n' "$WORK/tmp" >serve.conf
start_serve "$WORK/serve.log" --config serve.conf
snapshot() { ls -a tmp "$DATA/serve"; sqlite3 "$DATA/sealsvc.db" "SELECT count(*) FROM audit"; }
snapshot >before.txt

STAMP="/api/v1/stamp?seal=$RSA&at=100,100&page=1"
pdf=(-H "Content-Type: application/pdf" --data-binary "@$SAMPLE")
refused() { # STATUS CODE PATH [CURL ARGS...]
    local status=$1 code=$2 path=$3
    shift 3
    local got
    got=$(call POST "$path" r.json "$@")
    [ "$got" = "$status" ] || fail "$path: $got, expected $status: $(cat r.json)"
    expect_problem r.json "$status" "$code"
}

# --- who: no key, a wrong one, a revoked one, another institution's seal, an auditor
refused 401 no-api-key "$STAMP&pin=$RSA_PIN" "${pdf[@]}"
grep -qi '^www-authenticate: bearer' r.json.h || fail "401 without WWW-Authenticate"
refused 401 bad-api-key "$STAMP&pin=$RSA_PIN" -H "Authorization: Bearer sealsvc_nope" "${pdf[@]}"
refused 401 bad-api-key "$STAMP&pin=$RSA_PIN" -H "Authorization: Basic YTpi" "${pdf[@]}"
refused 401 bad-api-key "$STAMP&pin=$RSA_PIN" -H "Authorization: Bearer $GONE_KEY" "${pdf[@]}"
grep -q 'revoked' r.json || fail "a revoked key is not said to be revoked"
refused 403 seal-forbidden "$STAMP&pin=$RSA_PIN" -H "Authorization: Bearer $OTHER" "${pdf[@]}"
[ "$(call GET "/api/v1/seals/$RSA" r.json -H "Authorization: Bearer $OTHER")" = 403 ] ||
    fail "another institution's seal is shown"
refused 403 role-forbidden "$STAMP&pin=$RSA_PIN" -H "Authorization: Bearer $AUDITOR" "${pdf[@]}"
[ "$(call GET /api/v1/seals r.json -H "Authorization: Bearer $AUDITOR")" = 200 ] ||
    fail "an auditor cannot read the seals"
A=(-H "Authorization: Bearer $ADMIN")

# --- what: parameters, media types, bodies
refused 400 pin-required "$STAMP" "${A[@]}" "${pdf[@]}"
refused 400 invalid-request "/api/v1/stamp?pin=1" "${A[@]}" "${pdf[@]}"
refused 404 seal-not-found "/api/v1/stamp?seal=nope&pin=1&at=1,1" "${A[@]}" "${pdf[@]}"
refused 400 invalid-request "$STAMP&pin=$RSA_PIN&keyword=x" "${A[@]}" "${pdf[@]}"
grep -q 'exclude each other' r.json || fail "the exclusive placements are not named"
refused 400 invalid-request "/api/v1/stamp?seal=$RSA&pin=$RSA_PIN&at=abc" "${A[@]}" "${pdf[@]}"
grep -q 'at wants X,Y in millimetres' r.json || fail "a bad at is not explained"
refused 400 invalid-request "/api/v1/stamp?seal=$RSA&pin=$RSA_PIN" "${A[@]}" "${pdf[@]}" \
    --url-query 'placements=[{"page":{"n":1},"at":"1,1"}]'
refused 400 invalid-request "/api/v1/stamp?seal=$RSA&pin=$RSA_PIN" "${A[@]}" "${pdf[@]}" \
    --url-query 'placements={"at":"1,1"}'
refused 415 unsupported-media-type "$STAMP&pin=$RSA_PIN" "${A[@]}" --data-binary "@$SAMPLE"
refused 422 document-refused "$STAMP&pin=$RSA_PIN" "${A[@]}" -H "Content-Type: application/pdf" \
    --data-binary "not a document"
refused 400 document-missing "$STAMP&pin=$RSA_PIN" "${A[@]}" -F "seal=$RSA"
printf -- '--XX\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%%PDF-1.4 and no end' >cut.mp
refused 400 malformed-body /api/v1/stamp "${A[@]}" -H "Content-Type: multipart/form-data; boundary=XX" \
    --data-binary @cut.mp
printf -- '--XX\r\nContent-Type: text/plain\r\n\r\nno name\r\n--XX--\r\n' >noname.mp
refused 400 malformed-body /api/v1/stamp "${A[@]}" -H "Content-Type: multipart/form-data; boundary=XX" \
    --data-binary @noname.mp
refused 400 malformed-body /api/v1/stamp "${A[@]}" -H "Content-Type: multipart/form-data" \
    --data-binary @noname.mp
head -c 1500000 /dev/urandom >big.bin
refused 413 body-too-large "$STAMP&pin=$RSA_PIN" "${A[@]}" -H "Content-Type: application/pdf" --data-binary @big.bin
refused 413 body-too-large "$STAMP&pin=$RSA_PIN" "${A[@]}" -H "Content-Type: application/pdf" \
    -H "Transfer-Encoding: chunked" --data-binary @big.bin
refused 413 body-too-large "$STAMP&pin=$RSA_PIN" "${A[@]}" -F "file=@big.bin" -F "seal=$RSA"
# JSON bodies: wrong types, 10,000 levels, not JSON
FIN=/api/v1/stamp/0123456789abcdef0123456789abcdef/finish
J=(-H "Content-Type: application/json")
refused 400 invalid-request $FIN "${A[@]}" "${J[@]}" --data-binary '{"signature": 12}'
refused 400 invalid-request $FIN "${A[@]}" "${J[@]}" --data-binary '["signature"]'
refused 400 invalid-request $FIN "${A[@]}" "${J[@]}" --data-binary '{"signature": "AAAA", "certificate": []}'
python3 -c 'print("[" * 10000 + "]" * 10000)' >deep.json
refused 400 malformed-json $FIN "${A[@]}" "${J[@]}" --data-binary @deep.json
python3 -c 'print("{\"a\":" * 10000 + "1" + "}" * 10000)' >deep2.json
refused 400 malformed-json $FIN "${A[@]}" "${J[@]}" --data-binary @deep2.json
refused 400 malformed-json $FIN "${A[@]}" "${J[@]}" --data-binary '{"signature": '
refused 415 unsupported-media-type $FIN "${A[@]}" --data-binary '{}'
refused 404 pending-not-found $FIN "${A[@]}" "${J[@]}" --data-binary '{"signature": "AAAA"}'
# paths
for p in /api/v1/seals/../seals /api/v1/./seals //healthz /api/v1/seals/%2e%2e/picture; do
    [ "$(curl -s --path-as-is -o r.json -D r.json.h -w '%{http_code}' "${A[@]}" "$SERVE_URL$p")" = 400 ] ||
        fail "$p was not refused: $(cat r.json)"
    expect_problem r.json 400 invalid-path
done
[ "$(call GET /api/v1/nothing r.json)" = 404 ] && expect_problem r.json 404 no-such-resource
[ "$(call DELETE /api/v1/seals r.json)" = 405 ] && expect_problem r.json 405 method-not-allowed
grep -qi '^allow: GET' r.json.h || fail "405 without Allow"

# --- a body that stops halfway: the client goes away; the server logs it and goes on
python3 - "${SERVE_URL#http://}" "$ADMIN" "$RSA" <<'PY'
import socket, sys, time
host, port = sys.argv[1].split(":")
for boundary in (None, "XX"):
    s = socket.create_connection((host, int(port)))
    ctype = "application/pdf" if not boundary else "multipart/form-data; boundary=" + boundary
    s.sendall(("POST /api/v1/stamp?seal=%s&pin=1&at=1,1 HTTP/1.1\r\nHost: x\r\n"
               "Authorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: 900000\r\n\r\n"
               % (sys.argv[3], sys.argv[2], ctype)).encode())
    if boundary:
        s.sendall(b'--XX\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n')
    s.sendall(b"%PDF-1.7\n" + b"x" * 300000)
    time.sleep(0.5)  # the server has begun to read it
    s.close()
PY
for _ in $(seq 50); do
    [ "$(grep -c '"outcome":"client-disconnected"' serve.log)" -ge 2 ] && break
    sleep 0.1
done
[ "$(grep -c '"outcome":"client-disconnected"' serve.log)" -ge 2 ] || fail "the cut uploads are not logged"

# --- wrong PINs: tries left, then the seal locks (423)
for left in 4 3 2 1; do
    refused 403 pin-refused "/api/v1/stamp?seal=$EC&at=100,100&pin=000000" "${A[@]}" "${pdf[@]}"
    [ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tries_left"])' r.json)" = $left ] ||
        fail "tries_left is not $left: $(cat r.json)"
done
refused 423 seal-locked "/api/v1/stamp?seal=$EC&at=100,100&pin=000000" "${A[@]}" "${pdf[@]}"
refused 423 seal-locked "/api/v1/stamp?seal=$EC&at=100,100&pin=$(seal_of ecdsa pin official)" "${A[@]}" "${pdf[@]}"

# --- nothing was left or stamped by the refusals (the wrong PINs and the lock are audited)
[ "$(call GET /healthz r.json)" = 200 ] || fail "the server is down after the refusals"
ls -a tmp "$DATA/serve" >after.txt
head -n -1 before.txt | diff - after.txt >/dev/null || fail "files left behind: $(diff before.txt after.txt)"
sqlite3 "$DATA/sealsvc.db" "SELECT action FROM audit" | grep -q '^stamp$' && fail "a refusal stamped"

# --- verify is public and limited per client (the second server: 2 a minute)
SERVE_URL=$LIMITED_URL
for i in 1 2; do
    [ "$(call POST /api/v1/verify r.json -H "Content-Type: application/pdf" --data-binary "@$SAMPLE")" = 200 ] ||
        fail "verify $i refused: $(cat r.json)"
done
refused 429 rate-limited /api/v1/verify -H "Content-Type: application/pdf" --data-binary "@$SAMPLE"
grep -qi '^retry-after: [0-9]' r.json.h || fail "429 without Retry-After"

# --- SIGTERM while an upload is in flight: the stamp completes, the process exits 0
curl -s -o slow.pdf -w '%{http_code}' --limit-rate 30k -H "Authorization: Bearer $ADMIN" \
    -H "Content-Type: application/pdf" --data-binary "@$SAMPLE" \
    "$LIMITED_URL/api/v1/stamp?seal=$RSA&at=100,100&pin=$RSA_PIN" >slow.status &
CURL=$!
sleep 1
kill -TERM "$LIMITED_PID"
wait "$CURL" || true
set +e
wait "$LIMITED_PID"
status=$?
set -e
[ "$status" = 0 ] || fail "serve exited $status after SIGTERM"
[ "$(cat slow.status)" = 200 ] || fail "the stamp in flight did not complete: $(cat slow.status) $(cat slow.pdf)"
"$SEALSVC" --data "$DATA" verify slow.pdf --offline >/dev/null || fail "the stamp in flight is not valid"
grep -q 'stopping (SIGTERM)' serve2.log || fail "no stop line"
echo "serve refusals: ok"
