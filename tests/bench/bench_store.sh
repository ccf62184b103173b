#!/usr/bin/env bash
# The store under concurrent stamping (issue 12, "Speed"): bench_store against both engines.
# Run by hand, never as a timed test:
#     tests/bench/bench_store.sh [-n STAMPS] [-r ROUNDS] [-p 1,2,4,8]
#         (options go to bench_store; BENCH_STORE and SEALSVC name the programs, default
#          build/; defaults: 40 stamps per process, 5 rounds, 1, 2, 4, 8 processes)
#
# It makes a demo platform on SQLite (the embedded default, `sealsvc demo init`) and
# another on a private PostgreSQL, started here the way tests/integration/lib/postgres.sh
# starts it (initdb in a temporary directory, pg_ctl on a unix socket in it, no TCP, as the
# user sealsvc-pg when run as root), but with PostgreSQL's own durability settings (fsync
# and synchronous_commit on), since SQLite's commits are synced too (WAL, synchronous=FULL)
# and a benchmark must not compare a synced engine with one that is not. The platform is
# made in it with `sealsvc --db URL demo init` and brought to this sealsvc's schema with
# `db migrate`, as integration.store_engines does. Then bench_store runs against each with
# the demo's first RSA seal. The cluster is stopped and everything removed on exit, whether
# the run succeeded or not.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$HERE/../../build
SEALSVC=${SEALSVC:-$BUILD/sealsvc/sealsvc}
BENCH_STORE=${BENCH_STORE:-$BUILD/tests/bench/bench_store}
for program in "$SEALSVC" "$BENCH_STORE"; do
    [ -x "$program" ] || {
        echo "bench_store.sh: no $program (build first, or set SEALSVC and BENCH_STORE)" >&2
        exit 1
    }
done
command -v python3 >/dev/null || {
    echo "bench_store.sh: python3 is needed (to read the demo's manifest)" >&2
    exit 1
}
ARGS=("$@")
[ $# -gt 0 ] || ARGS=(-n 40 -r 5)

# postgres.sh's helpers: pg_bindir, pg_as_owner, pg_stop and the cluster's user.
. "$HERE/../integration/lib/postgres.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench_store.XXXXXX")
cleanup() {
    pg_stop
    rm -rf "$WORK"
}
trap cleanup EXIT

# The cluster: as pg_start makes it, with the durability settings left at their defaults.
pg_start_durable() {
    local bin
    bin=$(pg_bindir) || pg_fail "initdb and pg_ctl are missing (tests/install-deps.sh installs postgresql)"
    if [ "$(id -u)" = 0 ] && ! id "$PG_USER_NAME" >/dev/null 2>&1; then
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$PG_USER_NAME" 2>/dev/null || id "$PG_USER_NAME" >/dev/null ||
            pg_fail "cannot make the system user $PG_USER_NAME to run the server as"
    fi
    # The socket's path must fit in 107 bytes and the owner must reach the directory.
    PG_DIR=$(mktemp -d /tmp/sealpg.XXXXXX)
    [ "$(id -u)" = 0 ] && chown "$PG_USER_NAME:" "$PG_DIR"
    pg_as_owner "$bin/initdb" -D "$PG_DIR/data" -U sealbench -E UTF8 --locale=C \
        --auth-local=trust --auth-host=reject --no-instructions >"$PG_DIR/initdb.log" 2>&1 ||
        pg_fail "initdb failed: $(cat "$PG_DIR/initdb.log")"
    echo "local all all trust" >"$PG_DIR/data/pg_hba.conf"
    pg_as_owner "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 -o \
        "-c listen_addresses='' -c unix_socket_directories='$PG_DIR' -c max_connections=40" \
        start >"$PG_DIR/pg_ctl.log" 2>&1 ||
        pg_fail "the server did not start: $(cat "$PG_DIR/pg_ctl.log" "$PG_DIR/server.log" 2>/dev/null)"
    PG_RUNNING=1
    "$bin/createdb" -h "$PG_DIR" -U sealbench sealbench >"$PG_DIR/createdb.log" 2>&1 ||
        pg_fail "createdb failed: $(cat "$PG_DIR/createdb.log")"
    PG_URL="postgresql://sealbench@/sealbench?host=$PG_DIR"
    PG_VERSION=$("$bin/postgres" --version | awk '{print $3}')
}

# demo NAME [--db URL]: a demo platform in $WORK/NAME; sets SEAL and PIN (its first RSA seal).
demo() {
    local name=$1
    shift
    local data=$WORK/$name
    "$SEALSVC" "$@" demo init --dir "$data" >"$WORK/$name.json" 2>"$WORK/$name.log" || {
        echo "bench_store.sh: $name: demo init failed: $(cat "$WORK/$name.log")" >&2
        exit 1
    }
    "$SEALSVC" "$@" --data "$data" db migrate >"$WORK/$name.migrate" 2>&1 || {
        echo "bench_store.sh: $name: db migrate failed: $(cat "$WORK/$name.migrate")" >&2
        exit 1
    }
    read -r SEAL PIN < <(python3 -c '
import json, sys
s = [s for s in json.load(open(sys.argv[1]))["seals"] if s["algorithm"] == "rsa"][0]
print(s["id"], s["pin"])' "$WORK/$name.json")
}

echo "machine: $(nproc) cores online, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
demo sqlite
SEAL_BENCH_PIN=$PIN "$BENCH_STORE" -d "$WORK" "${ARGS[@]}" "sqlite:$WORK/sqlite/sealsvc.db" \
    "$WORK/sqlite" "$SEAL"
echo
pg_start_durable
echo "PostgreSQL $PG_VERSION, private cluster on a unix socket, fsync and synchronous_commit on"
demo postgresql --db "$PG_URL"
SEAL_BENCH_PIN=$PIN "$BENCH_STORE" -d "$WORK" "${ARGS[@]}" "$PG_URL" "$WORK/postgresql" "$SEAL"
