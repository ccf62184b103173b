# `sealsvc serve` for the integration tests: started on a free loopback port, always
# stopped when the test exits (the EXIT trap), with helpers to call it. Sourced after
# common.sh and make_demo.
SERVE_PIDS=()
stop_serves() {
    local pid
    for pid in "${SERVE_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
trap 'stop_serves; rm -rf "$WORK"' EXIT

# start_serve LOG [ARGS...]: `sealsvc serve --listen 127.0.0.1:0 ARGS` in the background;
# sets SERVE_PID and SERVE_URL (http://127.0.0.1:PORT).
start_serve() {
    local log=$1 port=""
    shift
    : >"$log"
    "$SEALSVC" --data "$DATA" serve --listen 127.0.0.1:0 "$@" 2>"$log" &
    SERVE_PID=$!
    SERVE_PIDS+=("$SERVE_PID")
    for _ in $(seq 100); do
        port=$(sed -n 's|^serve: listening on http://127.0.0.1:\([0-9]*\)/$|\1|p' "$log" | head -1)
        [ -n "$port" ] && break
        kill -0 "$SERVE_PID" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$port" ] || fail "sealsvc serve did not start: $(cat "$log")"
    SERVE_URL="http://127.0.0.1:$port"
}

# call METHOD PATH OUT [CURL ARGS...]: prints the HTTP status; the body goes to OUT, the
# headers to OUT.h.
call() {
    local method=$1 path=$2 out=$3
    shift 3
    curl -s -X "$method" -o "$out" -D "$out.h" -w '%{http_code}' "$@" "$SERVE_URL$path"
}

# expect_problem FILE STATUS CODE: FILE is a problem document with that status and code.
expect_problem() {
    python3 - "$1" "$2" "$3" <<'PY' || fail "$1 is not the problem document expected ($2 $3): $(cat "$1")"
import json, sys
p = json.load(open(sys.argv[1]))
assert p["status"] == int(sys.argv[2]) and p["code"] == sys.argv[3], p
assert p["type"].startswith("urn:sealsvc:problem:") and p["title"] and p["detail"], p
assert len(p["request_id"]) == 16, p
PY
    grep -qi '^content-type: application/problem+json' "$1.h" || fail "$1: not application/problem+json"
}
