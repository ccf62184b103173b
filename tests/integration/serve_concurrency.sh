#!/usr/bin/env bash
# One `sealsvc serve` with four threads under eight clients at once, every kind of request
# mixed: synchronous stamps of PDF and OFD with three seals (RSA, ECDSA, SM2), two-phase
# stamps (prepare here, finish there), verifies, the seals list and a picture, metrics,
# healthz, and a batch job of six documents that two job workers stamp meanwhile. Every
# answer must be the right one (each sealed document valid, each signer
# the seal asked for), the audit trail must verify with exactly one `stamp` record per
# sealed document, and SIGTERM must end the server with 0 after it. The ThreadSanitizer
# pass of tests/run.sh runs this test too: there any data race in the server's threads
# makes the server (and with it the test) fail.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
make_demo
. "$(dirname "$0")/lib/serve.sh"

SAMPLE="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"
OFD="$SEAL_SOURCE_DIR/samples/notice-zh.ofd"
RSA=$(seal_of rsa id official)
RSA_PIN=$(seal_of rsa pin official)
EC=$(seal_of ecdsa id official)
EC_PIN=$(seal_of ecdsa pin official)
SM2=$(seal_of sm2 id official)
SM2_PIN=$(seal_of sm2 pin official)
CLIENTS=8
ROUNDS=${SEAL_CONCURRENCY_ROUNDS:-3}
cd "$WORK"
mkdir tmp out

ADMIN=$("$SEALSVC" --data "$DATA" apikey create --role admin 2>/dev/null)
# The RSA seal's key, for the two-phase clients to sign with (openssl), as serve_api.sh does.
pass=$(printf %s "$RSA_PIN" | openssl dgst -sha256 -hmac "$(tr -d ' \n' <"$DATA/secrets/kek")" -r | cut -d' ' -f1)
sqlite3 "$DATA/sealsvc.db" "SELECT key_pem FROM seal WHERE id = '$RSA'" |
    openssl pkey -passin "pass:$pass" -out rsa.key || fail "cannot open the seal's key"
before=$("$SEALSVC" --data "$DATA" audit list | grep -c ' stamp ' || true)

cat >serve.conf <<EOF
[server]
threads = 4
tmp_dir = $WORK/tmp
[verify]
offline = true
per_minute = 0
[jobs]
workers = 2
EOF
start_serve "$WORK/serve.log" --config serve.conf
AUTH=(-H "Authorization: Bearer $ADMIN")

# client N: ROUNDS rounds of every kind; each answer checked where it lands, failures
# written to out/fail-N (the parent reads them).
client() {
    local n=$1 r id code
    for r in $(seq "$ROUNDS"); do
        local p="out/c$n-r$r"
        code=$(call POST "/api/v1/stamp?seal=$RSA&pin=$RSA_PIN&page=1&at=100,100" "$p-rsa.pdf" "${AUTH[@]}" \
            -H "Content-Type: application/pdf" --data-binary "@$SAMPLE")
        [ "$code" = 200 ] || echo "RSA stamp $code: $(head -c 300 "$p-rsa.pdf")" >>"out/fail-$n"
        code=$(call POST /api/v1/stamp "$p-ec.pdf" "${AUTH[@]}" -F "file=@$SAMPLE" -F "seal=$EC" \
            -F "pin=$EC_PIN" -F 'placements=[{"page":1,"at":"40,40"},{"page":2,"at":"150,200"}]')
        [ "$code" = 200 ] || echo "ECDSA stamp $code: $(head -c 300 "$p-ec.pdf")" >>"out/fail-$n"
        code=$(call POST /api/v1/stamp "$p-sm2.ofd" "${AUTH[@]}" -F "file=@$OFD" -F "seal=$SM2" \
            -F "pin=$SM2_PIN" -F "keyword=盖章处：")
        [ "$code" = 200 ] || echo "OFD stamp $code: $(head -c 300 "$p-sm2.ofd")" >>"out/fail-$n"
        code=$(call POST "/api/v1/stamp/prepare?seal=$RSA&page=2&at=150,240" "$p-prep.json" "${AUTH[@]}" \
            -H "Content-Type: application/pdf" --data-binary "@$SAMPLE")
        if [ "$code" = 200 ]; then
            id=$(python3 -c 'import json,sys,base64; j=json.load(open(sys.argv[1]))
open(sys.argv[2],"wb").write(base64.b64decode(j["digest"])); print(j["id"])' "$p-prep.json" "$p-digest.bin")
            openssl pkeyutl -sign -inkey rsa.key -pkeyopt digest:sha256 -in "$p-digest.bin" -out "$p-sig.der"
            python3 -c 'import json,base64,sys; print(json.dumps({"signature": base64.b64encode(open(sys.argv[1],"rb").read()).decode()}))' \
                "$p-sig.der" >"$p-finish.json"
            code=$(call POST "/api/v1/stamp/$id/finish" "$p-ext.pdf" "${AUTH[@]}" \
                -H "Content-Type: application/json" --data-binary "@$p-finish.json")
            [ "$code" = 200 ] || echo "finish $code: $(head -c 300 "$p-ext.pdf")" >>"out/fail-$n"
        else
            echo "prepare $code: $(cat "$p-prep.json")" >>"out/fail-$n"
        fi
        code=$(call POST /api/v1/verify "$p-verify.json" -H "Content-Type: application/pdf" \
            --data-binary "@$SEAL_SOURCE_DIR/samples/contract-zh.pdf")
        [ "$code" = 200 ] || echo "verify $code: $(head -c 300 "$p-verify.json")" >>"out/fail-$n"
        [ "$(call GET /api/v1/seals "$p-seals.json" "${AUTH[@]}")" = 200 ] || echo "seals list" >>"out/fail-$n"
        [ "$(call GET "/api/v1/seals/$SM2/picture" "$p-pic.png" "${AUTH[@]}")" = 200 ] ||
            echo "picture" >>"out/fail-$n"
        [ "$(call GET /metrics "$p-metrics.txt")" = 200 ] || echo "metrics" >>"out/fail-$n"
        [ "$(call GET /healthz "$p-health.json")" = 200 ] || echo "healthz" >>"out/fail-$n"
    done
}
# the batch job, submitted while the clients run
[ "$(call POST /api/v1/jobs job.json "${AUTH[@]}" -F "seal=$RSA" -F "pin=$RSA_PIN" -F page=1 -F at=120,120 \
    -F "document=@$SAMPLE" -F "document=@$SAMPLE" -F "document=@$SAMPLE" -F "document=@$SAMPLE" \
    -F "document=@$SAMPLE" -F "document=@$SAMPLE")" = 202 ] || fail "job submit: $(cat job.json)"
JOB=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' job.json)
pids=()
for n in $(seq "$CLIENTS"); do
    client "$n" &
    pids+=($!)
done
for pid in "${pids[@]}"; do
    wait "$pid" || fail "a client stopped: $(grep -m1 -A60 'WARNING: ThreadSanitizer' serve.log || tail -20 serve.log)"
done
if ls out/fail-* >/dev/null 2>&1; then
    fail "requests failed: $(cat out/fail-* | head -20)"
fi

# the job ends with its six documents sealed, each valid
for _ in $(seq 600); do
    state=$(curl -s "${AUTH[@]}" "$SERVE_URL/api/v1/jobs/$JOB" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
    case "$state" in done | failed | cancelled) break ;; esac
    sleep 0.2
done
[ "$state" = done ] || fail "the job ended $state: $(curl -s "${AUTH[@]}" "$SERVE_URL/api/v1/jobs/$JOB")"
for n in 1 2 3 4 5 6; do
    [ "$(call GET "/api/v1/jobs/$JOB/documents/$n" "out/job-$n-rsa.pdf" "${AUTH[@]}")" = 200 ] ||
        fail "job document $n: $(head -c 300 "out/job-$n-rsa.pdf")"
done

# every answer is what was asked for
sealed=0
for f in out/*-rsa.pdf out/*-ec.pdf out/*-ext.pdf out/*-sm2.ofd; do
    "$SEALSVC" --data "$DATA" verify "$f" --offline --json >"$f.json" 2>&1 ||
        fail "$f does not verify: $(head -c 400 "$f.json")"
    sealed=$((sealed + 1))
done
serial() {
    sqlite3 "$DATA/sealsvc.db" "SELECT cert_pem FROM seal WHERE id = '$1'" | openssl x509 -noout -serial |
        sed 's/serial=//' | tr 'A-F' 'a-f' | sed 's/^0*//'
}
python3 - "$(serial "$RSA")" "$(serial "$EC")" "$(serial "$SM2")" out/*.json <<'PY' ||
import json, sys
rsa, ec, sm2 = sys.argv[1:4]
want = {"-rsa.pdf.json": rsa, "-ec.pdf.json": ec, "-ext.pdf.json": rsa, "-sm2.ofd.json": sm2}
for path in sys.argv[4:]:
    kind = next((k for k in want if path.endswith(k)), None)
    if kind is None:
        continue
    report = json.load(open(path, encoding="utf-8"))
    assert report["verdict"] == "VALID", (path, report["verdict"])
    serials = [s["signer"]["serial"].lower().lstrip("0") for s in report["signatures"]]
    assert serials == [want[kind]], (path, serials, want[kind])
PY
    fail "a sealed document is not valid or names another signer than the seal asked for"
[ "$sealed" = $((CLIENTS * ROUNDS * 4 + 6)) ] || fail "$sealed sealed documents, $((CLIENTS * ROUNDS * 4 + 6)) expected"
grep -q 'signatures.*valid\|"verdict"' out/c1-r1-verify.json || fail "verify answered: $(head -c 300 out/c1-r1-verify.json)"

# SIGTERM: the server finishes and exits 0 (under ThreadSanitizer a race would make it fail)
kill -TERM "$SERVE_PID"
rc=0
wait "$SERVE_PID" || rc=$?
SERVE_PIDS=()
[ "$rc" = 0 ] || fail "sealsvc serve exited $rc: $(grep -m5 -A30 'WARNING: ThreadSanitizer\|ERROR' serve.log | head -60)"
grep -q 'ThreadSanitizer' serve.log && fail "ThreadSanitizer: $(grep -m1 -A30 'WARNING: ThreadSanitizer' serve.log)"

"$SEALSVC" --data "$DATA" audit verify >verify.txt || fail "the audit trail does not verify: $(cat verify.txt)"
after=$("$SEALSVC" --data "$DATA" audit list | grep -c ' stamp ' || true)
[ $((after - before)) = "$sealed" ] ||
    fail "$((after - before)) stamp records for $sealed sealed documents"
echo "PASS: $CLIENTS clients x $ROUNDS rounds, $sealed documents sealed, the trail intact"
