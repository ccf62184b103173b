# A private PostgreSQL for the tests: a cluster made with initdb in a temporary directory,
# started with pg_ctl listening on a unix socket in that directory only (no TCP), trust
# authentication for that socket alone, one database made with createdb; stopped and
# removed when the shell exits, whether the test passed or not. Debian's `postgresql`
# package provides the programs (tests/install-deps.sh installs it).
#
# PostgreSQL refuses to run as root: as root (here and in CI) the cluster runs as the
# system user sealsvc-pg, made on first use; as anyone else, as that user.
#
# Sourced (after common.sh or alone):  pg_start  sets and exports PG_URL (and
# SEAL_TEST_POSTGRES_URL, which tests/unit/test_db reads); pg_stop ends it early.
# Run:  bash tests/integration/lib/postgres.sh COMMAND [ARGS...]  runs the command with
# both set and the cluster stopped afterwards, e.g. to run the unit suite on PostgreSQL:
#     bash tests/integration/lib/postgres.sh build/tests/test_db

PG_USER_NAME=sealsvc-pg

# The server programs of the newest PostgreSQL installed (Debian keeps them off PATH).
pg_bindir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$dir" ] && command -v pg_ctl >/dev/null; then
        dir=$(dirname "$(command -v pg_ctl)")
    fi
    [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] || return 1
    echo "$dir"
}

pg_fail() {
    echo "FAIL: PostgreSQL: $*" >&2
    exit 1
}

# Runs a command as the cluster's owner.
pg_as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u "$PG_USER_NAME" -- "$@"
    else
        "$@"
    fi
}

pg_start() {
    local bin
    bin=$(pg_bindir) || pg_fail "initdb and pg_ctl are missing (tests/install-deps.sh installs postgresql)"
    if [ "$(id -u)" = 0 ] && ! id "$PG_USER_NAME" >/dev/null 2>&1; then
        # Two tests starting at once may both try: the loser finds the user made.
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$PG_USER_NAME" 2>/dev/null || id "$PG_USER_NAME" >/dev/null ||
            pg_fail "cannot make the system user $PG_USER_NAME to run the server as"
    fi
    # The socket's path must fit in 107 bytes, and the owner must reach the directory:
    # /tmp unless TMPDIR is short and the cluster runs as ourselves.
    local base=/tmp
    if [ "$(id -u)" != 0 ] && [ -n "${TMPDIR:-}" ] && [ ${#TMPDIR} -lt 60 ]; then
        base=$TMPDIR
    fi
    PG_DIR=$(mktemp -d "$base/sealpg.XXXXXX")
    # Installed now, so that whatever fails from here on still stops and removes it, and
    # the exit action the shell had (common.sh's) still runs after.
    PG_EXIT_BEFORE=$(pg_exit_action)
    trap 'pg_stop; eval "$PG_EXIT_BEFORE"' EXIT
    [ "$(id -u)" = 0 ] && chown "$PG_USER_NAME:" "$PG_DIR"
    PG_STARTED_AT=$(date +%s.%N)
    pg_as_owner "$bin/initdb" -D "$PG_DIR/data" -U sealtest -E UTF8 --locale=C \
        --auth-local=trust --auth-host=reject --no-sync --no-instructions \
        >"$PG_DIR/initdb.log" 2>&1 ||
        pg_fail "initdb failed: $(cat "$PG_DIR/initdb.log")"
    # Only the socket: no TCP listener, trust for local connections and nothing else.
    echo "local all all trust" >"$PG_DIR/data/pg_hba.conf"
    # Durability is not what a test checks: no fsync, a small shared memory.
    pg_as_owner "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 -o \
        "-c listen_addresses='' -c unix_socket_directories='$PG_DIR' -c fsync=off \
         -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=16MB \
         -c max_connections=40" start >"$PG_DIR/pg_ctl.log" 2>&1 ||
        pg_fail "the server did not start: $(cat "$PG_DIR/pg_ctl.log" "$PG_DIR/server.log" 2>/dev/null)"
    PG_RUNNING=1
    "$bin/createdb" -h "$PG_DIR" -U sealtest sealtest >"$PG_DIR/createdb.log" 2>&1 ||
        pg_fail "createdb failed: $(cat "$PG_DIR/createdb.log")"
    PG_URL="postgresql://sealtest@/sealtest?host=$PG_DIR"
    SEAL_TEST_POSTGRES_URL=$PG_URL
    export PG_URL SEAL_TEST_POSTGRES_URL
    echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') at $PG_URL" >&2
}

pg_stop() {
    [ -n "${PG_DIR:-}" ] || return 0
    if [ -n "${PG_RUNNING:-}" ]; then
        # immediate: nothing in it is worth a clean shutdown.
        pg_as_owner "$(pg_bindir)/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 ||
            echo "warning: pg_ctl stop failed for $PG_DIR" >&2
        PG_RUNNING=
    fi
    rm -rf "$PG_DIR"
    PG_DIR=
}

# The shell's current EXIT action, as the text `trap` was given.
pg_exit_action() {
    local current
    current=$(trap -p EXIT)
    [ -n "$current" ] || return 0
    eval "set -- $current"
    printf '%s' "$3"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    [ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 64; }
    pg_start
    set +e
    "$@"
    status=$?
    set -e
    exit $status
fi
