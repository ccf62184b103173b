#!/usr/bin/env bash
# Several `sealsvc serve` instances behind nginx on one PostgreSQL database, as
# docs/deploy/README.md sets them up: a private PostgreSQL (lib/postgres.sh), a demo
# platform in it, two instances on free loopback ports, nginx with docs/deploy's site
# (its ports, certificate and paths replaced; `nginx -t` first) terminating TLS. Then:
#   - 8 clients stamp through nginx at once while one instance is killed with SIGKILL:
#     every answer is either a whole sealed document that verifies or an error, never a
#     200 with a broken document; the audit chain verifies; it holds one stamp record for
#     each 200, and at most one more for each request the killed instance had in flight;
#   - a two-phase stamp prepared through one instance is finished through the other;
#   - a batch job of many documents submitted through nginx: the instance working on it is
#     killed with SIGKILL mid-way (the holder read from the job's row), the other takes it
#     over once its heartbeat is stale and finishes it; every document is sealed exactly
#     once in the results (each verifies with one signature), and the audit trail holds at
#     most one stamp more than the documents (the one the killed instance had in hand);
#   - SIGTERM stops the surviving instance cleanly (exit 0).
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/postgres.sh"
command -v nginx >/dev/null || fail "nginx is needed (tests/install-deps.sh installs it)"
pg_start
export SEALSVC_DB="$PG_URL"
# A job's holder that stops beating is taken over after 3 s (30 by default).
export SEALSVC_JOB_STALE_AFTER=3
make_demo
. "$(dirname "$0")/lib/serve.sh"
# lib/serve.sh's trap stops the instances; keep PostgreSQL's stop and nginx's in it too
NGINX_PID=""
trap 'kill "$NGINX_PID" 2>/dev/null || true; stop_serves; pg_stop; rm -rf "$WORK"' EXIT

KEY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["api_key"]["key"])' "$WORK/manifest.json")
RSA=$(seal_of rsa id official)
RSA_PIN=$(seal_of rsa pin official)
cp "$SEAL_SOURCE_DIR/samples/contract-zh.pdf" "$WORK/in.pdf"

start_serve "$WORK/a.log"
A_PID=$SERVE_PID A_URL=$SERVE_URL
start_serve "$WORK/b.log"
B_PID=$SERVE_PID B_URL=$SERVE_URL

# --- nginx with the deploy site: its ports, a certificate of our own, paths under $WORK
mkdir -p "$WORK/nginx/tmp"
chmod -R 777 "$WORK/nginx"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$WORK/nginx/key.pem" \
    -out "$WORK/nginx/cert.pem" 2>/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -e "s|server 127.0.0.1:8081 |server ${A_URL#http://} |" \
    -e "s|server 127.0.0.1:8082 |server ${B_URL#http://} |" \
    -e "s|listen 443 ssl;|listen 127.0.0.1:$PORT ssl;|" \
    -e "s|/etc/ssl/sealsvc/fullchain.pem|$WORK/nginx/cert.pem|" \
    -e "s|/etc/ssl/sealsvc/privkey.pem|$WORK/nginx/key.pem|" \
    "$SEAL_SOURCE_DIR/docs/deploy/nginx-sealsvc.conf" >"$WORK/nginx/site.conf"
grep -q "${A_URL#http://}" "$WORK/nginx/site.conf" && grep -q "$PORT ssl" "$WORK/nginx/site.conf" ||
    fail "the deploy site no longer has the lines this test replaces"
cat >"$WORK/nginx/nginx.conf" <<EOF
$([ "$(id -u)" = 0 ] && echo "user nobody nogroup;")
worker_processes 2;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 256; }
http {
    access_log $WORK/nginx/access.log;
    client_body_temp_path $WORK/nginx/tmp/body;
    proxy_temp_path $WORK/nginx/tmp/proxy;
    fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
    uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
    scgi_temp_path $WORK/nginx/tmp/scgi;
    include $WORK/nginx/site.conf;
}
EOF
nginx -t -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" >"$WORK/nginx/t.log" 2>&1 ||
    fail "nginx -t rejects the deploy site: $(cat "$WORK/nginx/t.log")"
nginx -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" &
NGINX_PID=$!
LB="https://127.0.0.1:$PORT"
for _ in $(seq 50); do
    curl -s --cacert "$WORK/nginx/cert.pem" -o /dev/null "$LB/healthz" && break
    sleep 0.1
done
[ "$(curl -s --cacert "$WORK/nginx/cert.pem" "$LB/healthz")" = '{"status":"ok"}' ] ||
    fail "nginx does not reach sealsvc: $(cat "$WORK/nginx/error.log")"

stamp_records() {
    "$SEALSVC" --data "$DATA" audit list --json |
        python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin) if r["action"] == "stamp"))'
}
before=$(stamp_records)

# --- 8 clients x 8 stamps through nginx; instance A killed with SIGKILL part way
CLIENTS=8 EACH=8
client() { # N
    local i code
    for i in $(seq "$EACH"); do
        code=$(curl -s --cacert "$WORK/nginx/cert.pem" -o "$WORK/r-$1-$i.pdf" -w '%{http_code}' \
            -H "Authorization: Bearer $KEY" -H 'Content-Type: application/pdf' \
            --data-binary @"$WORK/in.pdf" \
            "$LB/api/v1/stamp?seal=$RSA&pin=$RSA_PIN&page=1&at=100,100") || code="curl-$?"
        echo "$code" >"$WORK/r-$1-$i.code"
    done
}
pids=()
for c in $(seq "$CLIENTS"); do
    client "$c" &
    pids+=($!)
done
sleep 1
kill -9 "$A_PID"
for p in "${pids[@]}"; do wait "$p"; done

ok=0 errors=0
for c in $(seq "$CLIENTS"); do
    for i in $(seq "$EACH"); do
        code=$(cat "$WORK/r-$c-$i.code")
        if [ "$code" = 200 ]; then
            "$SEALSVC" --data "$DATA" verify "$WORK/r-$c-$i.pdf" >/dev/null 2>&1 ||
                fail "request $c-$i got 200 and a document that does not verify"
            ok=$((ok + 1))
        else
            errors=$((errors + 1))
        fi
    done
done
[ "$ok" -gt 0 ] || fail "no stamp succeeded through nginx: $(cat "$WORK"/r-1-*.code | tr "\n" " ") $(head -c 600 "$WORK/r-1-1.pdf") $(tail -5 "$WORK/nginx/error.log")"
"$SEALSVC" --data "$DATA" audit verify >"$WORK/audit.txt" 2>&1 || fail "audit verify: $(cat "$WORK/audit.txt")"
made=$(($(stamp_records) - before))
# A stamp the killed instance had recorded but not yet answered is a record without a 200:
# at most one per request that failed.
[ "$made" -ge "$ok" ] && [ "$made" -le $((ok + errors)) ] ||
    fail "$ok stamps answered 200, $errors failed, and the audit trail holds $made stamp records"
echo "through nginx: $ok stamps, $errors errors while an instance was killed; $made audit records, chain intact"

# --- two-phase across instances: prepared through B, finished through a restarted A
start_serve "$WORK/a2.log"
A_PID=$SERVE_PID A_URL=$SERVE_URL
SERVE_URL=$B_URL
[ "$(call POST "/api/v1/stamp/prepare?seal=$RSA&page=1&at=100,100" "$WORK/prep.json" \
    -H "Authorization: Bearer $KEY" -H 'Content-Type: application/pdf' --data-binary @"$WORK/in.pdf")" = 200 ] ||
    fail "prepare through B: $(cat "$WORK/prep.json")"
python3 -c 'import json,sys,base64; open(sys.argv[2],"wb").write(base64.b64decode(json.load(open(sys.argv[1]))["digest"]))' \
    "$WORK/prep.json" "$WORK/digest.bin"
ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/prep.json")
pass=$(printf %s "$RSA_PIN" | openssl dgst -sha256 -hmac "$(tr -d ' \n' <"$DATA/secrets/kek")" -r | cut -d' ' -f1)
psql -X -q -A -t -d "$PG_URL" -c "SELECT key_pem FROM seal WHERE id = '$RSA'" |
    openssl pkey -passin "pass:$pass" -out "$WORK/key.pem" || fail "cannot open the seal's key"
openssl pkeyutl -sign -inkey "$WORK/key.pem" -pkeyopt digest:sha256 -in "$WORK/digest.bin" \
    -out "$WORK/sig.bin" || fail "openssl could not sign the digest"
python3 -c 'import json,sys,base64; print(json.dumps({"signature": base64.b64encode(open(sys.argv[1],"rb").read()).decode()}))' \
    "$WORK/sig.bin" >"$WORK/finish.json"
SERVE_URL=$A_URL
[ "$(call POST "/api/v1/stamp/$ID/finish" "$WORK/two.pdf" -H "Authorization: Bearer $KEY" \
    -H 'Content-Type: application/json' --data-binary @"$WORK/finish.json")" = 200 ] ||
    fail "finish through A: $(cat "$WORK/two.pdf")"
"$SEALSVC" --data "$DATA" verify "$WORK/two.pdf" >/dev/null 2>&1 || fail "the two-phase stamp does not verify"
pdfsig "$WORK/two.pdf" 2>&1 | grep -q "Signature is Valid" || fail "pdfsig: $(pdfsig "$WORK/two.pdf" 2>&1)"

# --- a batch job taken over: its holder killed mid-way, the other instance finishes it
JOB_KEY=$("$SEALSVC" --data "$DATA" apikey create --role portal 2>/dev/null)
JOB_KEY_ID=$("$SEALSVC" --data "$DATA" apikey list --json | python3 -c 'import json,sys
print([k["id"] for k in json.load(sys.stdin) if k["role"] == "portal"][-1])')
psqlq() { psql -X -q -A -t -d "$PG_URL" -c "$1"; }
N=30
DOCS=()
for _ in $(seq "$N"); do DOCS+=(-F "document=@$WORK/in.pdf"); done
code=$(curl -s --cacert "$WORK/nginx/cert.pem" -o "$WORK/job.json" -w '%{http_code}' \
    -H "Authorization: Bearer $JOB_KEY" -F "seal=$RSA" -F "pin=$RSA_PIN" -F page=1 -F at=100,100 \
    "${DOCS[@]}" "$LB/api/v1/jobs")
[ "$code" = 202 ] || fail "job submit through nginx: $code $(cat "$WORK/job.json")"
JOB=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/job.json")
holder=""
for _ in $(seq 400); do
    done_now=$(psqlq "SELECT count(*) FROM stamp_job_document WHERE job_id = '$JOB' AND state = 'done'")
    [ "$done_now" -ge 3 ] && holder=$(psqlq "SELECT worker FROM stamp_job WHERE id = '$JOB'") && break
    sleep 0.05
done
[ -n "$holder" ] || fail "no instance worked on the job"
# the holder's name is HOST/PID/NONCE/WORKER
victim=$(echo "$holder" | cut -d/ -f2)
case "$victim" in
"$A_PID") SURVIVOR_PID=$B_PID SERVE_URL=$B_URL ;;
"$B_PID") SURVIVOR_PID=$A_PID SERVE_URL=$A_URL ;;
*) fail "the job is held by '$holder', neither instance ($A_PID, $B_PID)" ;;
esac
kill -9 "$victim"
done_at_kill=$(psqlq "SELECT count(*) FROM stamp_job_document WHERE job_id = '$JOB' AND state = 'done'")
[ "$done_at_kill" -lt "$N" ] || fail "the job ended before its holder was killed"
state=""
for _ in $(seq 600); do
    state=$(curl -s -H "Authorization: Bearer $JOB_KEY" "$SERVE_URL/api/v1/jobs/$JOB" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
    case "$state" in done | failed | cancelled) break ;; esac
    sleep 0.1
done
[ "$(call GET "/api/v1/jobs/$JOB" "$WORK/job-status.json" -H "Authorization: Bearer $JOB_KEY")" = 200 ] ||
    fail "job status from the survivor: $(cat "$WORK/job-status.json")"
python3 - "$WORK/job-status.json" "$N" <<'PY' || fail "the job after the kill: $(cat "$WORK/job-status.json")"
import json, sys
j = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
assert j["state"] == "done", j["state"]
assert j["progress"] == {"total": n, "done": n, "failed": 0, "cancelled": 0, "queued": 0}, j["progress"]
assert j["taken_over"] >= 1, j["taken_over"]
assert sorted(d["n"] for d in j["documents"]) == list(range(1, n + 1)), j["documents"]
PY
for i in $(seq "$N"); do
    [ "$(call GET "/api/v1/jobs/$JOB/documents/$i" "$WORK/job-$i.pdf" -H "Authorization: Bearer $JOB_KEY")" = 200 ] ||
        fail "document $i: $(head -c 400 "$WORK/job-$i.pdf")"
    "$SEALSVC" --data "$DATA" verify --json "$WORK/job-$i.pdf" >"$WORK/job-$i.json" 2>&1 || fail "document $i does not verify"
    python3 -c 'import json,sys; r = json.load(open(sys.argv[1])); assert r["verdict"] == "VALID" and len(r["signatures"]) == 1, r' \
        "$WORK/job-$i.json" || fail "document $i is not sealed exactly once: $(head -c 600 "$WORK/job-$i.json")"
done
job_stamps=$("$SEALSVC" --data "$DATA" audit list --json | python3 -c 'import json,sys
print(sum(1 for r in json.load(sys.stdin) if r["action"] == "stamp" and r["actor"] == "apikey:" + sys.argv[1]))' "$JOB_KEY_ID")
[ "$job_stamps" -ge "$N" ] && [ "$job_stamps" -le $((N + 1)) ] ||
    fail "$N documents, and the audit trail holds $job_stamps stamps by the job's key"
"$SEALSVC" --data "$DATA" audit verify >"$WORK/audit.txt" 2>&1 || fail "audit verify: $(cat "$WORK/audit.txt")"
echo "job: holder killed after $done_at_kill of $N documents; the other instance finished it; $job_stamps stamp records"

# --- SIGTERM: the survivor stops cleanly
kill -TERM "$SURVIVOR_PID"
wait "$SURVIVOR_PID" || fail "the surviving instance exited $? on SIGTERM"
echo "PASS"
