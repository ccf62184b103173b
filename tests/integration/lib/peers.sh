# Peers on loopback for the revocation tests: free ports, background servers that are
# always stopped (their pids are killed by the EXIT trap), and waiting until one answers.
# Sourced after common.sh.
PEER_PIDS=()

stop_peers() {
    local pid
    for pid in "${PEER_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    PEER_PIDS=()
}
trap 'stop_peers; rm -rf "$WORK"' EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port PORT: until something accepts connections on 127.0.0.1:PORT (10 s at most).
wait_port() {
    python3 - "$1" <<'PY' || fail "nothing listens on 127.0.0.1:$1"
import socket, sys, time
for _ in range(200):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
}

# start_peer NAME PORT COMMAND...: runs COMMAND in the background (log in $WORK/NAME.log)
# and waits for its port; the pid goes to PEER_PIDS and to the variable PID_NAME.
start_peer() {
    local name=$1 port=$2
    shift 2
    "$@" >"$WORK/$name.log" 2>&1 &
    local pid=$!
    PEER_PIDS+=("$pid")
    printf -v "PID_${name//-/_}" '%s' "$pid"
    wait_port "$port"
}

# stop_peer NAME: stops the peer start_peer started under that name.
stop_peer() {
    local var="PID_${1//-/_}"
    local pid=${!var:-}
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# json_get FILE EXPR: a value from a JSON file, EXPR in Python over `r` (e.g.
# 'r["verdict"]').
json_get() {
    python3 - "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
v = eval(sys.argv[2], {"r": r})
print(v if not isinstance(v, (dict, list)) else json.dumps(v))
PY
}
