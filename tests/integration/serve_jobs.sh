#!/usr/bin/env bash
# Batch jobs in `sealsvc serve` (docs/api.md "Batch jobs"), as a portal uses them, on the
# embedded SQLite store:
#   - a job of five documents (PDFs and OFDs from samples/ and the shared corpus, one a
#     broken PDF) with a callback: every good document sealed, each downloaded and checked
#     by pdfsig and qpdf --check (PDF) and `sealsvc verify` (verdict and signer), the zip
#     holding the same bytes, the broken one failed with its reason while the others
#     succeeded; each stamp and the submit in the audit trail by the portal key;
#   - the callback: a receiver of our own (lib/callback_receiver.py) checks the HMAC over
#     the body as docs/api.md says and answers the first attempt 500: the retry comes,
#     verifies, and both attempts are in the job's status;
#   - refusals up front: a wrong PIN (tries_left, nothing kept), another institution's
#     seal, an unknown seal, a bad placement, a callback that is not http(s), a document
#     over [jobs] document_max (413);
#   - another institution's key gets 404 for the job, its documents, its zip and cancel;
#   - cancel stops a running job before its next document; SIGTERM lets the worker finish
#     its document and leave the job, which the restarted server then finishes, each
#     document sealed once;
#   - no PIN and no callback key in the server's log or in the SQLite files, and the job's
#     sealed PIN gone once it ended; no file left in the work folder.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
make_demo
. "$(dirname "$0")/lib/serve.sh"
RECEIVER_PID=""
PROXY_PID="" TSA_PID=""
trap 'kill "$RECEIVER_PID" "$PROXY_PID" "$TSA_PID" 2>/dev/null || true; stop_serves; rm -rf "$WORK"' EXIT
make_nssdb
cd "$WORK"

RSA=$(seal_of rsa id official)
RSA_PIN=$(seal_of rsa pin official)
EC=$(seal_of ecdsa id official)
EC_PIN=$(seal_of ecdsa pin official)
db() { sqlite3 "$DATA/sealsvc.db" "$@"; }
XINGHE_CODE=$(db "SELECT i.credit_code FROM seal s JOIN institution i ON i.id = s.institution_id WHERE s.id = '$RSA'")
XINGHE_NAME=$(db "SELECT i.name FROM seal s JOIN institution i ON i.id = s.institution_id WHERE s.id = '$RSA'")
PUJIANG_CODE=$(db "SELECT i.credit_code FROM seal s JOIN institution i ON i.id = s.institution_id WHERE s.id = '$EC'")
PORTAL=$("$SEALSVC" --data "$DATA" apikey create --role portal --institution "$XINGHE_CODE" 2>/dev/null)
OTHER=$("$SEALSVC" --data "$DATA" apikey create --role portal --institution "$PUJIANG_CODE" 2>/dev/null)
ADMIN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["api_key"]["key"])' "$WORK/manifest.json")
PORTAL_ID=$("$SEALSVC" --data "$DATA" apikey list --json | python3 -c 'import json,sys
print([k["id"] for k in json.load(sys.stdin) if k["role"] == "portal" and k["institution"] == sys.argv[1]][0])' "$XINGHE_CODE")
PAUTH=(-H "Authorization: Bearer $PORTAL")
OAUTH=(-H "Authorization: Bearer $OTHER")
AAUTH=(-H "Authorization: Bearer $ADMIN")

# --- the documents: PDF and OFD, from samples/ and the corpus, and a broken PDF
mkdir docs
cp "$SEAL_SOURCE_DIR/samples/contract-zh.pdf" docs/contract.pdf
cp "$SEAL_SOURCE_DIR/samples/notice-zh.ofd" docs/notice.ofd
if [ -f "${SEAL_CORPUS:-}/pdf/minimal-two-pages.pdf" ] && [ -f "${SEAL_CORPUS:-}/ofd/helloworld.ofd" ]; then
    cp "$SEAL_CORPUS/pdf/minimal-two-pages.pdf" docs/two-pages.pdf
    cp "$SEAL_CORPUS/ofd/helloworld.ofd" docs/helloworld.ofd
else
    echo "the shared corpus is absent: its two documents replaced by copies of the samples"
    cp docs/contract.pdf docs/two-pages.pdf
    cp docs/notice.ofd docs/helloworld.ofd
fi
printf '%%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\nnot a whole PDF\n' >docs/broken.pdf
NAMES=(contract.pdf notice.ofd broken.pdf two-pages.pdf helloworld.ofd)

# --- the callback's receiver
python3 "$SEAL_SOURCE_DIR/tests/integration/lib/callback_receiver.py" cb.port cb.key cb.log &
RECEIVER_PID=$!
for _ in $(seq 50); do [ -s cb.port ] && break; sleep 0.1; done
[ -s cb.port ] || fail "the callback receiver did not start"
CALLBACK="http://127.0.0.1:$(cat cb.port)/portal/jobs?token=t0ken"

# The receiver is on this host: callbacks may reach 127.0.0.1 only because this says so.
SEALSVC_JOB_DOCUMENT_MAX=1M SEALSVC_JOB_CALLBACK_ALLOW=127.0.0.1 SEALSVC_OUTBOUND_ALLOW=127.0.0.1 \
    start_serve "$WORK/serve.log"

# wait_job ID: polls the job (as the portal) until it has ended; its status in job-ID.json
wait_job() {
    local state=""
    for _ in $(seq 600); do
        [ "$(call GET "/api/v1/jobs/$1" "job-$1.json" "${PAUTH[@]}")" = 200 ] ||
            fail "status of job $1: $(cat "job-$1.json")"
        state=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["state"])' "job-$1.json")
        case "$state" in done | failed | cancelled) return 0 ;; esac
        sleep 0.1
    done
    fail "job $1 did not end (state $state)"
}
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

# --- refusals up front: nothing kept
JOBS_BEFORE=$(db "SELECT count(*) FROM stamp_job")
PLACE=(-F page=1 -F at=50,50)
[ "$(call POST /api/v1/jobs wrongpin.json "${PAUTH[@]}" -F "seal=$RSA" -F pin=000000 "${PLACE[@]}" \
    -F document=@docs/contract.pdf)" = 403 ] || fail "a wrong PIN: $(cat wrongpin.json)"
expect_problem wrongpin.json 403 pin-refused
[ "$(field wrongpin.json tries_left)" = 4 ] || fail "a wrong PIN at submit did not count: $(cat wrongpin.json)"
[ "$(call POST /api/v1/jobs theirs.json "${PAUTH[@]}" -F "seal=$EC" -F "pin=$EC_PIN" "${PLACE[@]}" \
    -F document=@docs/contract.pdf)" = 403 ] || fail "another institution's seal: $(cat theirs.json)"
expect_problem theirs.json 403 seal-forbidden
[ "$(call POST /api/v1/jobs noseal.json "${PAUTH[@]}" -F seal=no-such-seal -F "pin=$RSA_PIN" "${PLACE[@]}" \
    -F document=@docs/contract.pdf)" = 404 ] || fail "an unknown seal: $(cat noseal.json)"
expect_problem noseal.json 404 seal-not-found
[ "$(call POST /api/v1/jobs place.json "${PAUTH[@]}" -F "seal=$RSA" -F "pin=$RSA_PIN" -F page=1 \
    -F at=50,50 -F 'placements_by_document=[[{"pages":"1","at":"here"}]]' -F document=@docs/contract.pdf)" = 400 ] ||
    fail "a bad placement: $(cat place.json)"
expect_problem place.json 400 invalid-request
grep -q 'placements_by_document\[0\]: placements\[0\]: at wants' place.json || fail "the bad placement is not named: $(cat place.json)"
[ "$(call POST /api/v1/jobs ftp.json "${PAUTH[@]}" -F "seal=$RSA" -F "pin=$RSA_PIN" "${PLACE[@]}" \
    -F callback_url=ftp://portal.example/x -F document=@docs/contract.pdf)" = 400 ] || fail "an ftp callback: $(cat ftp.json)"
expect_problem ftp.json 400 invalid-request
# internal addresses other than the allowed one: this host's IPv6, a private network, the
# link-local address where cloud metadata services answer
for url in 'http://[::1]:9/x' http://10.1.2.3/x http://169.254.169.254/latest/meta-data/; do
    [ "$(call POST /api/v1/jobs internal.json "${PAUTH[@]}" -F "seal=$RSA" -F "pin=$RSA_PIN" "${PLACE[@]}" \
        -F "callback_url=$url" -F document=@docs/contract.pdf)" = 400 ] || fail "a callback to $url: $(cat internal.json)"
    expect_problem internal.json 400 invalid-request
    grep -q 'an internal address' internal.json || fail "the refusal of $url does not say why: $(cat internal.json)"
done
head -c 1200000 /dev/urandom >big.pdf
[ "$(call POST /api/v1/jobs big.json "${PAUTH[@]}" -F "seal=$RSA" -F "pin=$RSA_PIN" "${PLACE[@]}" \
    -F document=@docs/contract.pdf -F document=@big.pdf)" = 413 ] || fail "a document over document_max: $(cat big.json)"
expect_problem big.json 413 body-too-large
[ "$(db "SELECT count(*) FROM stamp_job")" = "$JOBS_BEFORE" ] || fail "a refused submit kept a job"
[ "$(db "SELECT pin_failures FROM seal WHERE id = '$RSA'")" = 1 ] ||
    fail "the refusals after the wrong PIN tried the PIN too"

# --- the job: five documents, one broken, with a callback
DOCS=()
for n in "${NAMES[@]}"; do DOCS+=(-F "document=@docs/$n"); done
[ "$(call POST /api/v1/jobs submit.json "${PAUTH[@]}" -F "seal=$RSA" -F "pin=$RSA_PIN" "${PLACE[@]}" \
    -F "callback_url=$CALLBACK" "${DOCS[@]}")" = 202 ] || fail "submit: $(cat submit.json)"
field submit.json callback_key >cb.key
JOB=$(field submit.json id)
grep -Eq '^[0-9a-f]{64}$' cb.key || fail "no callback key in the answer: $(cat submit.json)"
[ "$(db "SELECT pin_failures FROM seal WHERE id = '$RSA'")" = 0 ] || fail "the right PIN at submit did not reset the count"
grep -qi "^location: /api/v1/jobs/$JOB" submit.json.h || fail "no Location: $(cat submit.json.h)"
wait_job "$JOB"
python3 - "job-$JOB.json" "${NAMES[@]}" <<'PY' || fail "the job's status is wrong: $(cat "job-$JOB.json")"
import json, sys
j = json.load(open(sys.argv[1]))
names = sys.argv[2:]
assert j["state"] == "done", j["state"]
assert j["progress"] == {"total": 5, "done": 4, "failed": 1, "cancelled": 0, "queued": 0}, j["progress"]
assert [d["name"] for d in j["documents"]] == names, j["documents"]
for d in j["documents"]:
    want = "failed" if d["name"] == "broken.pdf" else "done"
    assert d["state"] == want, d
    if want == "done":
        assert d["format"] == ("OFD" if d["name"].endswith(".ofd") else "PDF"), d
        assert d["url"] == "%s/documents/%d" % (j["status_url"], d["n"]), d
f = j["failures"]
assert len(f) == 1 and f[0]["document"] == 3 and f[0]["name"] == "broken.pdf", f
assert f[0]["code"] == "document-refused" and "startxref" in f[0]["reason"], f
assert j["result_url"] == j["status_url"] + "/result.zip" and j["taken_over"] == 0, j
PY

# each sealed document, checked by tools that are not ours, and by sealsvc verify
mkdir got zip
for n in 1 2 4 5; do
    name=${NAMES[$((n - 1))]}
    [ "$(call GET "/api/v1/jobs/$JOB/documents/$n" "got/$name" "${PAUTH[@]}")" = 200 ] ||
        fail "document $n: $(cat "got/$name")"
    grep -qi "^content-disposition: attachment; filename=\"$name\"" "got/$name.h" || fail "document $n is not named $name"
    case "$name" in
    *.pdf)
        grep -qi '^content-type: application/pdf' "got/$name.h" || fail "$name is not application/pdf"
        pdfsig -nssdir "sql:$NSSDB" "got/$name" >pdfsig.txt 2>&1 || true
        grep -q 'Signature Validation: Signature is Valid' pdfsig.txt || fail "pdfsig, $name: $(cat pdfsig.txt)"
        grep -q "Signer Certificate Common Name: $XINGHE_NAME" pdfsig.txt || fail "pdfsig, $name: not the seal's signer: $(cat pdfsig.txt)"
        qpdf --check "got/$name" >/dev/null 2>&1 || fail "qpdf --check $name"
        ;;
    *) grep -qi '^content-type: application/ofd' "got/$name.h" || fail "$name is not application/ofd" ;;
    esac
    "$SEALSVC" --data "$DATA" verify --json "got/$name" >verify.json 2>&1 || fail "verify $name: $(cat verify.json)"
    python3 - verify.json "$XINGHE_NAME" <<'PY' || fail "verify $name: $(cat verify.json)"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == "VALID", r["verdict"]
assert r["signatures"][-1]["signer"]["name"] == sys.argv[2], r["signatures"][-1]["signer"]
PY
done
[ "$(call GET "/api/v1/jobs/$JOB/documents/3" notsealed.json "${PAUTH[@]}")" = 409 ] || fail "the broken document: $(cat notsealed.json)"
expect_problem notsealed.json 409 document-not-sealed
[ "$(call GET "/api/v1/jobs/$JOB/result.zip" result.zip "${PAUTH[@]}")" = 200 ] || fail "zip: $(cat result.zip)"
python3 - result.zip <<'PY' || fail "the zip is not the four sealed documents"
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
assert sorted(z.namelist()) == sorted(["contract.pdf", "notice.ofd", "two-pages.pdf", "helloworld.ofd"]), z.namelist()
for name in z.namelist():
    assert z.read(name) == open("got/" + name, "rb").read(), name
PY

# the audit trail: the submit and each stamp, by the portal's key
"$SEALSVC" --data "$DATA" audit list --json >audit.json
python3 - audit.json "apikey:$PORTAL_ID" "$JOB" <<'PY' || fail "the audit trail: $(tail -c 2000 audit.json)"
import json, sys
records = json.load(open(sys.argv[1]))
actor, job = sys.argv[2], sys.argv[3]
assert [r for r in records if r["action"] == "job-submit" and r["target"] == "job:" + job and r["actor"] == actor], "no job-submit"
stamps = [r for r in records if r["action"] == "stamp" and r["actor"] == actor]
assert len(stamps) == 4, len(stamps)
PY
"$SEALSVC" --data "$DATA" audit verify >/dev/null || fail "audit verify"

# another institution's key: as if there were no job
for path in "" /documents/1 /result.zip; do
    [ "$(call GET "/api/v1/jobs/$JOB$path" other.json "${OAUTH[@]}")" = 404 ] || fail "another institution got $path: $(cat other.json)"
    expect_problem other.json 404 job-not-found
done
[ "$(call POST "/api/v1/jobs/$JOB/cancel" other.json "${OAUTH[@]}")" = 404 ] || fail "another institution cancelled: $(cat other.json)"
[ "$(call GET "/api/v1/jobs/$JOB" admin.json "${AAUTH[@]}")" = 200 ] || fail "the admin cannot see the job"
# the lists: the portal's has its job, the other institution's not, the admin's has it
[ "$(call GET "/api/v1/jobs?state=done" mine.json "${PAUTH[@]}")" = 200 ] || fail "the portal's list: $(cat mine.json)"
[ "$(call GET /api/v1/jobs theirs-list.json "${OAUTH[@]}")" = 200 ] || fail "the other list: $(cat theirs-list.json)"
[ "$(call GET "/api/v1/jobs?limit=500" all.json "${AAUTH[@]}")" = 200 ] || fail "the admin's list: $(cat all.json)"
[ "$(call GET "/api/v1/jobs?state=queued" queued.json "${PAUTH[@]}")" = 200 ] || fail "queued list: $(cat queued.json)"
python3 - "$JOB" mine.json theirs-list.json all.json queued.json <<'PY' || fail "the job lists are wrong"
import json, sys
job = sys.argv[1]
ids = lambda f: [j["id"] for j in json.load(open(f))["jobs"]]
mine = json.load(open(sys.argv[2]))["jobs"]
assert [j["id"] for j in mine] == [job], mine
assert mine[0]["state"] == "done" and mine[0]["progress"]["done"] == 4, mine[0]
assert job not in ids(sys.argv[3]), "another institution lists the job"
assert job in ids(sys.argv[4]), "the admin does not list the job"
assert job not in ids(sys.argv[5]), "a done job is listed as queued"
PY

# --- the callback: the first attempt answered 500, the retry delivered, both signed
for _ in $(seq 100); do
    curl -s "${PAUTH[@]}" "$SERVE_URL/api/v1/jobs/$JOB" |
        python3 -c 'import json,sys; sys.exit(json.load(sys.stdin)["callback"]["state"] != "delivered")' && break
    sleep 0.1
done
call GET "/api/v1/jobs/$JOB" "job-$JOB.json" "${PAUTH[@]}" >/dev/null
python3 - "job-$JOB.json" cb.log "$JOB" <<'PY' || fail "the callback: $(cat cb.log) $(cat "job-$JOB.json")"
import json, sys
j = json.load(open(sys.argv[1]))
seen = [json.loads(l) for l in open(sys.argv[2])]
job = sys.argv[3]
cb = j["callback"]
assert cb["state"] == "delivered", cb
assert [a.get("status") for a in cb["attempts"]] == [500, 204], cb["attempts"]
assert cb["attempts"][0]["error"] == "answered HTTP 500" and "error" not in cb["attempts"][1], cb
assert len(seen) == 2, seen
for n, s in enumerate(seen, 1):
    assert s["valid"], ("the receiver could not verify the signature", s)
    assert s["attempt"] == str(n) and s["job"] == job and s["path"] == "/portal/jobs?token=t0ken", s
    summary = s["summary"]
    assert summary["event"] == "job.ended" and summary["id"] == job and summary["state"] == "done", summary
    assert summary["progress"]["done"] == 4 and summary["failures"][0]["name"] == "broken.pdf", summary
PY
[ "$(db "SELECT pin_sealed IS NULL AND password_sealed IS NULL AND callback_key_sealed IS NULL FROM stamp_job WHERE id = '$JOB'")" = 1 ] ||
    fail "the job's PIN or callback key is still kept after it ended"

# --- cancel: a running job stops before its next document. A worker stamps the small
# contract in a few milliseconds, so these jobs are timestamped (level B-T) through a slow
# TSA, the platform's own (`sealsvc tsa`, apart from the instances, which the SIGTERM below
# stops) behind a proxy that waits 0.2 s: each document takes that long, and the cancel and
# the SIGTERM land while the job runs, whatever the machine's speed.
"$SEALSVC" --data "$DATA" tsa --listen 127.0.0.1:0 2>tsa.log &
TSA_PID=$!
for _ in $(seq 100); do grep -q 'listening on' tsa.log && break; sleep 0.1; done
sed -n 's|^tsa: listening on \(http://127.0.0.1:[0-9]*/\)$|\1tsa|p' tsa.log >tsa.target
[ -s tsa.target ] || fail "sealsvc tsa did not start: $(cat tsa.log)"
python3 "$SEAL_SOURCE_DIR/tests/integration/lib/slow_proxy.py" tsa.port tsa.target 0.2 &
PROXY_PID=$!
for _ in $(seq 50); do [ -s tsa.port ] && break; sleep 0.1; done
[ -s tsa.port ] || fail "the slow TSA proxy did not start"
SLOW=(-F level=B-T -F "tsa=http://127.0.0.1:$(cat tsa.port)/tsa")
MANY=("${SLOW[@]}")
for _ in $(seq 40); do MANY+=(-F "document=@docs/contract.pdf"); done
[ "$(call POST /api/v1/jobs many.json "${PAUTH[@]}" -F "seal=$RSA" -F "pin=$RSA_PIN" "${PLACE[@]}" "${MANY[@]}")" = 202 ] ||
    fail "submit of 40: $(cat many.json)"
MANY_JOB=$(field many.json id)
[ "$(call POST "/api/v1/jobs/$MANY_JOB/cancel" cancel.json "${PAUTH[@]}")" = 200 ] || fail "cancel: $(cat cancel.json)"
wait_job "$MANY_JOB"
python3 - "job-$MANY_JOB.json" <<'PY' || fail "the cancelled job: $(cat "job-$MANY_JOB.json")"
import json, sys
j = json.load(open(sys.argv[1]))
p = j["progress"]
assert j["state"] == "cancelled" and j["cancel_requested"], j["state"]
assert p["cancelled"] > 0 and p["done"] + p["cancelled"] == 40 and p["failed"] == 0, p
PY
[ "$(call POST "/api/v1/jobs/$MANY_JOB/cancel" again.json "${PAUTH[@]}")" = 409 ] || fail "cancel twice: $(cat again.json)"
expect_problem again.json 409 job-ended
"$SEALSVC" --data "$DATA" audit list --json | python3 -c 'import json,sys
assert [r for r in json.load(sys.stdin) if r["action"] == "job-cancel" and r["target"] == "job:" + sys.argv[1]]' "$MANY_JOB" ||
    fail "the cancel is not in the audit trail"

# --- SIGTERM: the worker finishes its document and leaves the job; a new server finishes it
[ "$(call POST /api/v1/jobs term.json "${PAUTH[@]}" -F "seal=$RSA" -F "pin=$RSA_PIN" "${PLACE[@]}" "${MANY[@]}")" = 202 ] ||
    fail "submit of 40: $(cat term.json)"
TERM_JOB=$(field term.json id)
for _ in $(seq 300); do
    [ "$(db "SELECT count(*) FROM stamp_job_document WHERE job_id = '$TERM_JOB' AND state = 'done'")" -ge 2 ] && break
    sleep 0.05
done
kill -TERM "$SERVE_PID"
wait "$SERVE_PID" || fail "serve exited $? on SIGTERM with a job running"
cp serve.log serve-1.log
left=$(db "SELECT state || ' ' || COALESCE(worker, '-') || ' ' || COALESCE(heartbeat, 0) FROM stamp_job WHERE id = '$TERM_JOB'")
done_then=$(db "SELECT count(*) FROM stamp_job_document WHERE job_id = '$TERM_JOB' AND state = 'done'")
[ "$left" = "running - 0" ] || fail "after SIGTERM the job is '$left', not running and left by its worker"
[ "$done_then" -lt 40 ] || fail "the job ended before SIGTERM; nothing to take over"
grep -q "job $TERM_JOB: .* stops and leaves it" serve-1.log || fail "the worker did not say it left the job"
SEALSVC_JOB_CALLBACK_ATTEMPTS=1 SEALSVC_OUTBOUND_ALLOW=127.0.0.1 start_serve "$WORK/serve-2.log"
wait_job "$TERM_JOB"
python3 - "job-$TERM_JOB.json" <<'PY' || fail "the job left at SIGTERM: $(cat "job-$TERM_JOB.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["state"] == "done" and j["progress"]["done"] == 40 and j["taken_over"] == 1, (j["state"], j["progress"], j["taken_over"])
PY
grep -q "job $TERM_JOB: .* takes over it" "$WORK/serve-2.log" || fail "the new server did not say it took the job over"
echo "SIGTERM: $done_then of 40 documents sealed before the stop, the rest after the restart"

# --- a TSA away for a moment: the document is tried again (1, 2, 4 s apart) and sealed
# once it is back, not failed for good
AWAY_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
[ "$(call POST /api/v1/jobs away.json "${PAUTH[@]}" -F "seal=$RSA" -F "pin=$RSA_PIN" "${PLACE[@]}" \
    -F level=B-T -F "tsa=http://127.0.0.1:$AWAY_PORT/tsa" -F document=@docs/contract.pdf)" = 202 ] ||
    fail "submit through an absent TSA: $(cat away.json)"
AWAY_JOB=$(field away.json id)
sleep 1.5
"$SEALSVC" --data "$DATA" tsa --listen "127.0.0.1:$AWAY_PORT" 2>away-tsa.log &
AWAY_TSA=$!
wait_job "$AWAY_JOB"
kill "$AWAY_TSA" 2>/dev/null || true
wait "$AWAY_TSA" 2>/dev/null || true
python3 - "job-$AWAY_JOB.json" <<'PY' || fail "the job whose TSA came back: $(cat "job-$AWAY_JOB.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["state"] == "done" and j["progress"]["done"] == 1 and j["progress"]["failed"] == 0, j
PY
grep -q "job $AWAY_JOB document 1: .*trying again in 1 s" "$WORK/serve-2.log" ||
    fail "the worker did not say it tries again: $(grep "$AWAY_JOB" "$WORK/serve-2.log")"

# --- a callback to a name that resolves to an internal address: this server allows none,
# so the check made when the callback connects refuses it (the receiver hears nothing)
[ "$(call POST /api/v1/jobs named.json "${PAUTH[@]}" -F "seal=$RSA" -F "pin=$RSA_PIN" "${PLACE[@]}" \
    -F "callback_url=http://localhost:$(cat cb.port)/portal/named" -F document=@docs/contract.pdf)" = 202 ] ||
    fail "submit with a callback to localhost: $(cat named.json)"
NAMED_JOB=$(field named.json id)
wait_job "$NAMED_JOB"
for _ in $(seq 100); do
    curl -s "${PAUTH[@]}" "$SERVE_URL/api/v1/jobs/$NAMED_JOB" |
        python3 -c 'import json,sys; sys.exit(json.load(sys.stdin)["callback"]["state"] != "failed")' && break
    sleep 0.1
done
call GET "/api/v1/jobs/$NAMED_JOB" "job-$NAMED_JOB.json" "${PAUTH[@]}" >/dev/null
python3 - "job-$NAMED_JOB.json" <<'PY' || fail "the callback to localhost: $(cat "job-$NAMED_JOB.json")"
import json, sys
cb = json.load(open(sys.argv[1]))["callback"]
assert cb["state"] == "failed" and len(cb["attempts"]) == 1, cb
assert "an internal address" in cb["attempts"][0]["error"], cb["attempts"][0]
PY
[ "$(wc -l <cb.log)" = 2 ] || fail "the receiver was reached by a refused callback: $(cat cb.log)"

# --- nothing left in the work folder (outputs and archives are unlinked once read or sent)
[ -z "$(ls -A "$DATA/serve")" ] || fail "files left in $DATA/serve: $(ls -A "$DATA/serve")"

# --- no PIN and no callback key in the logs or the database
cat serve-1.log "$WORK/serve-2.log" >all.log
for secret in "$RSA_PIN" "$(cat cb.key)"; do
    grep -q -- "$secret" all.log && fail "a secret is in the server's log"
    # standalone (a PIN's digits inside a longer number, such as a PDF's xref offset, are not
    # it)
    grep -a -q -P "(?<![0-9a-f])$secret(?![0-9a-f])" "$DATA"/sealsvc.db* && fail "a secret is in the database files"
done
echo "PASS"
