#!/usr/bin/env bash
# The HTTP service as a portal meets it (issue 13, "Speed"): `sealsvc serve` loaded by wrk,
# beside the library's own throughput measured in the same run. Run by hand, never as a
# timed test:
#     tests/bench/bench_serve.sh          (SEALSVC, BENCH_STORE name the programs, default
#                                          build/; BENCH_SECONDS the length of each wrk run,
#                                          default 15)
#
# It makes a demo platform (`sealsvc demo init`, SQLite), an admin API key (`sealsvc apikey
# create --role admin`), the 1 MB 50-page PDF and a ~100 MB 100-page one (make_pdf.py), and
# starts `sealsvc serve --listen 127.0.0.1:0` with a config it writes: threads = the core
# count, the verify rate limit off (per_minute = 0; every request comes from 127.0.0.1),
# offline verification (no fetching). Everything it started is stopped and everything it
# made removed on exit, whether the run succeeded or not. Then, in this order:
#   1. Stamps: wrk POSTs the 1 MB PDF as the raw body to /api/v1/stamp?seal=&pin=&page=1&
#      at=100,100 with the key (bench_serve.lua), 1, 4 and 16 connections, -t min(2,C),
#      BENCH_SECONDS each, --latency: stamps per second, p50 and p99. Before and after
#      these, the library's own rate on the same platform's SQLite: bench_store (seal_stamp
#      with a store opened once per process, the demo's first RSA seal, the same document
#      kind and placement) with 1, the core count and 4 processes; the mean of the two runs
#      is the ceiling the service is held against.
#   2. Verifications: wrk POSTs the PDF the first stamp made to /api/v1/verify, 1, 4 and 16
#      connections; beside it, before and after, the library: seal_verify_fd (seal/verify.h)
#      in a loop, called through Python's ctypes from libseal.so (the one sealsvc loads),
#      one store per process opened once, offline as the server is, with 1, the core count
#      and 4 processes.
#   3. Memory: a fresh server, 16 curl uploads of the ~100 MB PDF at once to the stamp
#      route (each answer a 100 MB sealed PDF), then another fresh server and 16 uploads of
#      a sealed ~100 MB PDF to the verify route; the server's VmHWM (/proc/PID/status: the
#      peak resident set since it started, which is why each part has its own server) after
#      each, and VmRSS sampled every 0.1 s.
# Every answer is checked: wrk's count of statuses >= 400 and of socket errors, and the
# server's own /metrics (answers by route and status) before and after each run; any answer
# other than 200 fails the run loudly, after the figures are printed. Beside the rates, the
# CPU each answer cost the server (/proc/PID/stat over the run, divided by its answers) and
# wrk, and each library call's: on this shared machine the rates follow the share of the
# CPU each side gets, while the CPU per answer is the steadier figure. Goals (issue 13): at
# 4 clients at least 80% of the library's stamp rate, p99 at most 3x p50, and a peak RSS
# under 16 concurrent 100 MB uploads below 256 MiB.
set -euo pipefail
export LC_ALL=C # join and sort below, on the metrics' status codes

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$HERE/../../build
SEALSVC=${SEALSVC:-$BUILD/sealsvc/sealsvc}
BENCH_STORE=${BENCH_STORE:-$BUILD/tests/bench/bench_store}
SECONDS_EACH=${BENCH_SECONDS:-15}
LIB_SECONDS=5
CONNS=(1 4 16)
UPLOADS=16
for program in "$SEALSVC" "$BENCH_STORE"; do
    [ -x "$program" ] || {
        echo "bench_serve.sh: no $program (build first, or set SEALSVC and BENCH_STORE)" >&2
        exit 1
    }
done
for tool in wrk curl python3; do
    command -v "$tool" >/dev/null || {
        echo "bench_serve.sh: $tool is needed (tests/install-deps.sh installs it)" >&2
        exit 1
    }
done
LIBSEAL=$(ldd "$SEALSVC" | awk '$1 ~ /^libseal\.so/ {print $3}')
[ -r "${LIBSEAL:-/nonexistent}" ] || {
    echo "bench_serve.sh: cannot tell which libseal.so $SEALSVC loads (ldd)" >&2
    exit 1
}
NPROC=$(nproc)
PROCS=$(printf '%s\n' 1 "$NPROC" 4 | awk '!seen[$0]++' | paste -sd, -)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench_serve.XXXXXX")
SERVER_PID=
SAMPLER_PID=
UPLOAD_PIDS=()
# end_server SECONDS: SIGTERM to the server (requests in flight finish), SIGKILL if it has
# not exited SECONDS later (a server forked a moment before may have missed the SIGTERM);
# returns its exit status.
end_server() {
    local i rc=0
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for i in $(seq $(($1 * 10))); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || rc=$?
    SERVER_PID=
    return "$rc"
}
cleanup() {
    local pid
    trap '' INT TERM # a second Ctrl-C must not leave the server or the files behind
    for pid in "${UPLOAD_PIDS[@]}" $SAMPLER_PID; do
        kill "$pid" 2>/dev/null || true
    done
    [ -z "$SERVER_PID" ] || end_server 10 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
RESULTS=$WORK/results
FAILURES=$WORK/failures
: >"$RESULTS"
: >"$FAILURES"
fail_later() {
    echo "$*" >>"$FAILURES"
    echo "  FAILED: $*"
}
load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "machine: $NPROC cores online, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); load average $(load) at the start"

# --- the documents, the platform, the key
python3 "$HERE/make_pdf.py" 50 "$WORK/in.pdf"
python3 "$HERE/make_pdf.py" 100 "$WORK/big.pdf" 1000
"$SEALSVC" demo init --dir "$WORK/data" >"$WORK/demo.json" 2>"$WORK/demo.log" || {
    echo "bench_serve.sh: demo init failed: $(cat "$WORK/demo.log")" >&2
    exit 1
}
read -r SEAL PIN < <(python3 -c '
import json, sys
s = [s for s in json.load(open(sys.argv[1]))["seals"] if s["algorithm"] == "rsa"][0]
print(s["id"], s["pin"])' "$WORK/demo.json")
KEY=$("$SEALSVC" --data "$WORK/data" apikey create --role admin --label bench 2>"$WORK/apikey.log") || {
    echo "bench_serve.sh: apikey create failed: $(cat "$WORK/apikey.log")" >&2
    exit 1
}
AUTH="Bearer $KEY"
STAMP_QUERY="seal=$SEAL&pin=$PIN&page=1&at=100,100"
mkdir "$WORK/tmp"
cat >"$WORK/serve.conf" <<EOF
[server]
data = $WORK/data
tmp_dir = $WORK/tmp
threads = $NPROC
[verify]
per_minute = 0
offline = true
EOF

# start_server NAME: a fresh `sealsvc serve`, its log in $WORK/NAME.log; sets SERVER_PID, URL.
start_server() {
    local log=$WORK/$1.log port='' i
    : >"$log" # before the server's shell opens it: the loop below reads it at once
    "$SEALSVC" serve --listen 127.0.0.1:0 --config "$WORK/serve.conf" 2>"$log" &
    SERVER_PID=$!
    for i in $(seq 100); do
        port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$log")
        [ -n "$port" ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$port" ] || {
        echo "bench_serve.sh: sealsvc serve did not start: $(cat "$log")" >&2
        exit 1
    }
    URL=http://127.0.0.1:$port
    curl -fsS --max-time 30 "$URL/healthz" >/dev/null
}
stop_server() {
    local rc=0
    end_server 70 || rc=$? # the config's shutdown_grace is the default, 60 s
    [ "$rc" = 0 ] || fail_later "sealsvc serve exited $rc on SIGTERM (log: $1)"
}

# metrics FILE ROUTE: this route's answers by status, "STATUS=COUNT ..." from /metrics.
metrics() {
    curl -fsS "$URL/metrics" | awk -v route="$2" '
        /^sealsvc_http_requests_total\{/ {
            if (index($0, "route=\"" route "\"") == 0) next
            match($0, /status="[0-9]+"/)
            printf "%s=%s\n", substr($0, RSTART + 8, RLENGTH - 9), $NF
        }' | sort >"$1"
}

# cpu_ticks PID: the process's user + system CPU so far, in clock ticks (proc(5): stat).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICK_MS=$(awk -v hz="$(getconf CLK_TCK)" 'BEGIN {print 1000 / hz}')

# run_wrk KIND ROUTE PATH BODY AUTH: wrk at each connection count; a line per run in RESULTS,
# with the server's CPU per answer (its answers counted by /metrics) and wrk's own CPU.
run_wrk() {
    local kind=$1 route=$2 path=$3 body=$4 auth=$5 c t line statuses cpu0 cpu1 answers errors
    local server_cpu wrk_cpu
    for c in "${CONNS[@]}"; do
        t=$((c < 2 ? c : 2))
        metrics "$WORK/m.before" "$route"
        cpu0=$(cpu_ticks "$SERVER_PID")
        # bash's `time`: wrk's user and system CPU, into wrk-cpu.
        { TIMEFORMAT='%U %S' && time BENCH_BODY=$body BENCH_AUTH=$auth wrk -t"$t" -c"$c" \
            -d"${SECONDS_EACH}s" --timeout 60s --latency -s "$HERE/bench_serve.lua" \
            "$URL$path" >"$WORK/wrk-$kind-$c.txt" 2>&1; } 2>"$WORK/wrk-cpu" || {
            fail_later "wrk $kind -c $c failed: $(tail -3 "$WORK/wrk-$kind-$c.txt")"
            continue
        }
        sleep 0.5 # the requests wrk cut off at the end are answered (to no one) and counted
        cpu1=$(cpu_ticks "$SERVER_PID")
        metrics "$WORK/m.after" "$route"
        statuses=$(join -a2 -e0 -o 0,1.2,2.2 -t= "$WORK/m.before" "$WORK/m.after" |
            awk -F= '$3 - $2 > 0 {printf "%s%s:%d", sep, $1, $3 - $2; sep = ","}')
        answers=$(echo "${statuses:-0:0}" | tr , '\n' | awk -F: '{n += $2} END {print n}')
        line=$(grep '^BENCH ' "$WORK/wrk-$kind-$c.txt") || {
            fail_later "wrk $kind -c $c printed no summary: $(cat "$WORK/wrk-$kind-$c.txt")"
            continue
        }
        server_cpu=$(awk -v d=$((cpu1 - cpu0)) -v n="$answers" -v tick="$TICK_MS" \
            'BEGIN {printf "%.2f", n ? d * tick / n : 0}')
        wrk_cpu=$(awk -v n="$answers" '{printf "%.2f", n ? ($1 + $2) * 1000 / n : 0}' "$WORK/wrk-cpu")
        errors=$(echo "$line" | awk '{
            for (i = 2; i <= NF; i++)
                if ($i ~ /^(status_errors|connect|read|write|timeout)=/) {
                    split($i, kv, "=")
                    n += kv[2]
                }
            print n + 0 }')
        echo "$kind conns=$c ${line#BENCH } server=${statuses:-none} server_cpu_ms=$server_cpu" \
            "wrk_cpu_ms=$wrk_cpu load=$(load | tr ' ' /)" >>"$RESULTS"
        echo "  $kind, $c connections: $(tail -1 "$RESULTS" | cut -d' ' -f3-)"
        if [ "$statuses" != "200:$answers" ] || [ "$errors" != 0 ]; then
            fail_later "$kind, $c connections: answers other than 200, or socket errors (above)"
        fi
    done
}

# lib_stamp PHASE: bench_store on the platform's SQLite; its table's rates into RESULTS.
lib_stamp() {
    mkdir -p "$WORK/bs-$1"
    SEAL_BENCH_PIN=$PIN "$BENCH_STORE" -d "$WORK/bs-$1" -n 40 -r 3 -p "$PROCS" \
        "sqlite:$WORK/data/sealsvc.db" "$WORK/data" "$SEAL" >"$WORK/bench_store-$1.txt" 2>&1 || {
        echo "bench_serve.sh: bench_store failed: $(cat "$WORK/bench_store-$1.txt")" >&2
        exit 1
    }
    awk -v phase="$1" -v load="$(load | tr ' ' /)" '
        /^ +[0-9]+ +[0-9.]+ +[0-9.]+ +[0-9.]+x \(/ {
            sub(",", "", $6)
            printf "lib_stamp phase=%s procs=%d store_rate=%s floor_rate=%s cpu_ms=%s load=%s\n",
                phase, $1, $2, $3, $6, load
        }' "$WORK/bench_store-$1.txt" | tee -a "$RESULTS" | sed 's/^/  /'
}

# lib_verify PHASE DOC: seal_verify_fd in a loop in 1, NPROC, 4 processes; rates into RESULTS.
lib_verify() {
    python3 - "$LIBSEAL" "$WORK/data" "$2" "$PROCS" "$LIB_SECONDS" "$1" <<'PY' | tee -a "$RESULTS" | sed 's/^/  /'
import ctypes as C, os, resource, sys, time

libseal, data_dir, doc, procs, seconds, phase = sys.argv[1:]
seconds = float(seconds)

class Opts(C.Structure):  # seal_verify_file_opts, seal/verify.h
    _fields_ = [("store", C.c_void_p), ("data_dir", C.c_char_p),
                ("trust_paths", C.c_void_p), ("n_trust_paths", C.c_size_t),
                ("evidence_paths", C.c_void_p), ("n_evidence_paths", C.c_size_t),
                ("offline", C.c_bool), ("password", C.c_char_p),
                ("pictures", C.c_bool), ("document", C.c_int)]

class Report(C.Structure):  # the head of seal_report, seal/report.h
    _fields_ = [("file", C.c_char_p), ("format", C.c_char_p), ("verdict", C.c_int)]

def worker(ready_w, start_r, result_w):
    lib = C.CDLL(libseal)
    lib.seal_store_open_db.argtypes = [C.POINTER(C.c_void_p), C.c_char_p, C.c_char_p, C.c_bool]
    lib.seal_verify_fd.argtypes = [C.POINTER(C.POINTER(Report)), C.c_int, C.c_char_p,
                                   C.POINTER(Opts)]
    lib.seal_report_free.argtypes = [C.POINTER(Report)]
    lib.seal_verdict_name.restype = C.c_char_p
    store = C.c_void_p()
    if lib.seal_store_open_db(C.byref(store), None, data_dir.encode(), False) < 0:
        os._exit(2)
    opts = Opts(store=store, offline=True)
    def once():
        fd = os.open(doc, os.O_RDONLY)
        rep = C.POINTER(Report)()
        rc = lib.seal_verify_fd(C.byref(rep), fd, b"sealed.pdf", C.byref(opts))
        os.close(fd)
        if rc < 0:
            os._exit(3)
        verdict = lib.seal_verdict_name(rep.contents.verdict).decode()
        lib.seal_report_free(rep)
        return verdict
    verdict = once()  # untimed: libraries loaded, caches warm
    os.write(ready_w, b"r")
    os.read(start_r, 1)
    n, t0, r0 = 0, time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    while time.perf_counter() - t0 < seconds:
        once()
        n += 1
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime
    os.write(result_w, ("%d %f %s %f\n" % (n, time.perf_counter() - t0, verdict, cpu)).encode())
    os._exit(0)

for p in [int(x) for x in procs.split(",")]:
    ready_r, ready_w = os.pipe()
    start_r, start_w = os.pipe()
    result_r, result_w = os.pipe()
    pids = []
    for _ in range(p):
        pid = os.fork()
        if pid == 0:
            worker(ready_w, start_r, result_w)
        pids.append(pid)
    for _ in range(p):
        if not os.read(ready_r, 1):
            sys.exit("bench_serve.sh: a verify worker stopped before it was ready")
    os.write(start_w, b"s" * p)
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        if status != 0:
            sys.exit("bench_serve.sh: a verify worker failed (status %d)" % status)
    os.close(result_w)
    lines = os.read(result_r, 1 << 16).decode().split("\n")
    runs = [l.split() for l in lines if l]
    total, longest = sum(int(r[0]) for r in runs), max(float(r[1]) for r in runs)
    cpu = sum(float(r[3]) for r in runs)
    load = "/".join("%.2f" % x for x in os.getloadavg())
    print("lib_verify phase=%s procs=%d rate=%.1f cpu_ms=%.2f verdict=%s load=%s"
          % (phase, p, total / longest, 1000 * cpu / total, runs[0][2], load))
    for fd in (ready_r, ready_w, start_r, start_w, result_r):
        os.close(fd)
PY
}

# upload_round NAME ROUTE_PATH DOC AUTH KEEP: UPLOADS curl uploads at once to a fresh server,
# VmRSS sampled; the answers' statuses and sizes and the server's VmHWM into RESULTS. The
# answers are kept in $WORK/mem-NAME-I.out when KEEP is 1, else only counted (a sealed
# answer is as large as the upload).
upload_round() {
    local name=$1 path=$2 doc=$3 auth=$4 keep=$5 i base hwm peak ok out=/dev/null
    start_server "mem-$name"
    base=$(awk '/VmRSS/ {print $2}' "/proc/$SERVER_PID/status")
    (while kill -0 "$SERVER_PID" 2>/dev/null; do
        awk '/VmRSS/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || true
        sleep 0.1
    done) >"$WORK/rss-$name" &
    SAMPLER_PID=$!
    local t0=$SECONDS
    UPLOAD_PIDS=()
    for i in $(seq "$UPLOADS"); do
        [ "$keep" = 1 ] && out=$WORK/mem-$name-$i.out
        # -T streams the file (--data-binary would read all 100 MB into curl first).
        curl -sS -X POST -T "$doc" -H "Content-Type: application/pdf" ${auth:+-H "Authorization: $auth"} \
            -o "$out" -w '%{http_code} %{size_download}\n' \
            "$URL$path" >"$WORK/mem-$name-$i.status" 2>&1 &
        UPLOAD_PIDS+=($!)
    done
    for i in "${!UPLOAD_PIDS[@]}"; do
        wait "${UPLOAD_PIDS[$i]}" || fail_later "upload $((i + 1)) to $path: curl failed: $(cat "$WORK/mem-$name-$((i + 1)).status")"
    done
    UPLOAD_PIDS=()
    hwm=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
    local took=$((SECONDS - t0))
    ok=$(cat "$WORK"/mem-"$name"-*.status | awk '$1 == 200' | wc -l)
    [ "$ok" = "$UPLOADS" ] || fail_later "$name uploads: only $ok of $UPLOADS answered 200: $(cat "$WORK"/mem-"$name"-*.status | sort | uniq -c | tr '\n' ';')"
    stop_server "mem-$name.log"
    wait "$SAMPLER_PID" 2>/dev/null || true
    SAMPLER_PID=
    peak=$(sort -n "$WORK/rss-$name" | tail -1)
    echo "mem route=$name hwm_kib=$hwm rss_peak_sampled_kib=$peak rss_idle_kib=$base ok=$ok of=$UPLOADS seconds=$took doc_bytes=$(stat -c %s "$doc") answer_bytes=$(awk '{print $2}' "$WORK/mem-$name-1.status") load=$(load | tr ' ' /)" >>"$RESULTS"
    echo "  $(tail -1 "$RESULTS")"
}

start_server serve
echo "sealsvc serve on $URL: $NPROC threads, SQLite, seal $SEAL (RSA-2048), PAdES B-B, visible on page 1"

# One stamp and one verification by curl first: each must work before anything is timed.
code=$(curl -sS -H "Authorization: $AUTH" -H "Content-Type: application/pdf" \
    --data-binary @"$WORK/in.pdf" -o "$WORK/sealed.pdf" -w '%{http_code}' \
    "$URL/api/v1/stamp?$STAMP_QUERY")
[ "$code" = 200 ] || {
    echo "bench_serve.sh: the first stamp answered $code: $(cat "$WORK/sealed.pdf")" >&2
    exit 1
}
code=$(curl -sS -H "Content-Type: application/pdf" --data-binary @"$WORK/sealed.pdf" \
    -o "$WORK/verify.json" -w '%{http_code}' "$URL/api/v1/verify")
[ "$code" = 200 ] || {
    echo "bench_serve.sh: the first verification answered $code: $(cat "$WORK/verify.json")" >&2
    exit 1
}
VERDICT=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["verdict"])' "$WORK/verify.json")
echo "the first stamp: $(stat -c %s "$WORK/sealed.pdf") bytes; the service's verdict on it: $VERDICT"

echo
echo "1. stamps: the library (bench_store, processes $PROCS), the service (wrk), the library again"
lib_stamp before
run_wrk stamp /api/v1/stamp "/api/v1/stamp?$STAMP_QUERY" "$WORK/in.pdf" "$AUTH"
lib_stamp after

echo
echo "2. verifications: the library (seal_verify_fd, processes $PROCS), the service, the library again"
lib_verify before "$WORK/sealed.pdf"
run_wrk verify /api/v1/verify /api/v1/verify "$WORK/sealed.pdf" ""
lib_verify after "$WORK/sealed.pdf"

echo
echo "3. memory: $UPLOADS uploads at once of the ~100 MB PDF, a fresh server for each route"
code=$(curl -sS -X POST -T "$WORK/big.pdf" -H "Authorization: $AUTH" \
    -H "Content-Type: application/pdf" -o "$WORK/big-sealed.pdf" -w '%{http_code}' \
    "$URL/api/v1/stamp?$STAMP_QUERY")
[ "$code" = 200 ] || {
    echo "bench_serve.sh: stamping the 100 MB PDF answered $code: $(head -c 2000 "$WORK/big-sealed.pdf")" >&2
    exit 1
}
stop_server serve.log
upload_round stamp "/api/v1/stamp?$STAMP_QUERY" "$WORK/big.pdf" "$AUTH" 0
awk -v min="$(stat -c %s "$WORK/big.pdf")" '$1 == 200 && $2 <= min {exit 1}' "$WORK"/mem-stamp-*.status ||
    fail_later "a sealed answer of the memory round is no larger than the document sent"
upload_round verify /api/v1/verify "$WORK/big-sealed.pdf" "" 1
python3 - "$WORK"/mem-verify-*.out >"$WORK/mem-verdicts" <<'PY'
import json, sys
for path in sys.argv[1:]:
    try:
        print(json.load(open(path))["verdict"])
    except (ValueError, KeyError):
        print("no-report")
PY
echo "  their verdicts: $(sort "$WORK/mem-verdicts" | uniq -c | awk '{printf "%s%s x%s", sep, $2, $1; sep = ", "}')"
if grep -q no-report "$WORK/mem-verdicts"; then
    fail_later "a verify answer of the memory round is no report"
fi

echo
python3 - "$RESULTS" "$NPROC" "$UPLOADS" "$(load)" <<'PY'
import sys
from statistics import mean

path, nproc, uploads, load_end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rows = []
for line in open(path):
    kind, *fields = line.split()
    rows.append((kind, dict(f.split("=", 1) for f in fields)))

def http(kind):
    return {int(r["conns"]): r for k, r in rows if k == kind}

def lib(kind, key):
    out = {}
    for k, r in rows:
        if k == kind:
            out.setdefault(int(r["procs"]), []).append(float(r[key]))
    return {p: mean(v) for p, v in out.items()}

def table(kind, lib_rates, lib_cpu, what):
    runs = http(kind)
    print("%s: the service (wrk), and each run's load average (1/5/15 min)" % what)
    print("  conns   per s   p50 ms   p99 ms  p99/p50  CPU ms/answer: server, wrk  answers")
    for c, r in sorted(runs.items()):
        rate = int(r["requests"]) / (int(r["duration_us"]) / 1e6)
        p50, p99 = int(r["p50_us"]) / 1e3, int(r["p99_us"]) / 1e3
        print("  %5d  %6.1f  %7.1f  %7.1f  %6.2fx  %13s, %5s     wrk %s, %s non-2xx/3xx, "
              "socket errors %s/%s/%s/%s; server %s; load %s"
              % (c, rate, p50, p99, p99 / p50, r["server_cpu_ms"], r["wrk_cpu_ms"],
                 r["requests"], r["status_errors"], r["connect"], r["read"], r["write"],
                 r["timeout"], r["server"], r["load"]))
    print("  the library, mean of the runs before and after: "
          + ", ".join("%d process%s %.1f/s (CPU %.2f ms each)"
                      % (p, "" if p == 1 else "es", v, lib_cpu[p])
                      for p, v in sorted(lib_rates.items())))
    return runs

stamp_lib, stamp_lib_cpu = lib("lib_stamp", "store_rate"), lib("lib_stamp", "cpu_ms")
stamp = table("stamp", stamp_lib, stamp_lib_cpu, "stamps, 1 MB 50-page PDF")
verify_lib, verify_lib_cpu = lib("lib_verify", "rate"), lib("lib_verify", "cpu_ms")
print()
verify = table("verify", verify_lib, verify_lib_cpu, "verifications of the sealed 1 MB PDF")

print()
print("CPU per answer, the server's own against the library's at 1 process (the steadier "
      "figure on a shared machine):")
for name, runs, cpu in (("stamp", stamp, stamp_lib_cpu), ("verify", verify, verify_lib_cpu)):
    if 1 in runs and 1 in cpu:
        server = float(runs[1]["server_cpu_ms"])
        print("  %-6s server %.2f ms, library %.2f ms: %.2fx; wrk, the client, %.2f ms more"
              % (name, server, cpu[1], server / cpu[1], float(runs[1]["wrk_cpu_ms"])))
print()
print("goals (issue 13):")
ceiling = max(stamp_lib.values())
rate4 = int(stamp[4]["requests"]) / (int(stamp[4]["duration_us"]) / 1e6) if 4 in stamp else 0
print("  stamps at 4 clients >= 80%% of the library's best rate (%.1f/s): %.1f/s = %.0f%%: %s"
      % (ceiling, rate4, 100 * rate4 / ceiling, "met" if rate4 >= 0.8 * ceiling else "NOT met"))
if 4 in stamp_lib:
    print("    (against the library at 4 processes, %.1f/s: %.0f%%; at %d, the core count, "
          "%.1f/s: %.0f%%)" % (stamp_lib[4], 100 * rate4 / stamp_lib[4], nproc,
                               stamp_lib[nproc], 100 * rate4 / stamp_lib[nproc]))
if 4 in stamp and stamp_lib_cpu:
    lib_cpu = stamp_lib_cpu.get(4, mean(stamp_lib_cpu.values()))
    cost = float(stamp[4]["server_cpu_ms"]) / lib_cpu
    print("    (by CPU per stamp at 4 connections the server spends %.2fx the library's: given "
          "the same share of the CPU it reaches at most %.0f%%)" % (cost, 100 / cost))
for name, runs in (("stamp", stamp), ("verify", verify)):
    for c, r in sorted(runs.items()):
        ratio = int(r["p99_us"]) / int(r["p50_us"])
        print("  %s p99 <= 3x p50 at %d connection%s: %.2fx: %s"
              % (name, c, "" if c == 1 else "s", ratio, "met" if ratio <= 3 else "NOT met"))
vceil = max(verify_lib.values())
if 4 in verify:
    vrate4 = int(verify[4]["requests"]) / (int(verify[4]["duration_us"]) / 1e6)
    print("  verifications at 4 clients: %.1f/s, %.0f%% of the library's best rate (%.1f/s) "
          "(no goal of its own; the stamp's 80%% for comparison)"
          % (vrate4, 100 * vrate4 / vceil, vceil))
for k, r in rows:
    if k == "mem":
        hwm = int(r["hwm_kib"]) / 1024
        print("  peak RSS under %s uploads of %.0f MB to the %s route: VmHWM %.1f MiB (sampled "
              "VmRSS peak %.1f MiB, idle %.1f MiB; %s of %s answered 200 in %s s): %s"
              % (uploads, int(r["doc_bytes"]) / 1e6, r["route"], hwm,
                 int(r["rss_peak_sampled_kib"]) / 1024, int(r["rss_idle_kib"]) / 1024, r["ok"],
                 r["of"], r["seconds"], "met (< 256 MiB)" if hwm < 256 else "NOT met (>= 256 MiB)"))
print("load average at the end: %s" % load_end)
PY

if [ -s "$FAILURES" ]; then
    echo
    echo "bench_serve.sh: FAILED: answers that were not what a portal asked for:" >&2
    sed 's/^/  /' "$FAILURES" >&2
    exit 1
fi
