# Shared set-up for the integration tests: a scratch directory, a demo platform, and small
# assertion helpers. Every test sources this with `set -euo pipefail` already on.
: "${SEALSVC:?SEALSVC must point at the sealsvc binary (ctest sets it)}"
: "${SEAL_SOURCE_DIR:?}"
PDFTOOL="python3 $SEAL_SOURCE_DIR/tests/integration/lib/pdftool.py"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sealit.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# Runs a command that must fail with exit code $1; its stderr goes to $WORK/err.
expect_exit() {
    local want=$1
    shift
    set +e
    "$@" >"$WORK/out" 2>"$WORK/err"
    local got=$?
    set -e
    [ "$got" = "$want" ] || fail "'$*' exited $got, expected $want; stderr: $(cat "$WORK/err")"
}

# Makes a demo platform in $WORK/data and leaves its manifest in $WORK/manifest.json.
make_demo() {
    "$SEALSVC" demo init --dir "$WORK/data" >"$WORK/manifest.json" 2>"$WORK/demo.log" ||
        fail "demo init failed: $(cat "$WORK/demo.log")"
    DATA="$WORK/data"
    ROOT_PEM=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["trust_anchors"][0])' "$WORK/manifest.json")
}

# seal_of ALGORITHM FIELD [KIND]: a field ("id" or "pin") of the first demo seal with that
# algorithm (and kind, when given).
seal_of() {
    python3 - "$WORK/manifest.json" "$1" "$2" "${3:-}" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
for s in m["seals"]:
    if s["algorithm"] == sys.argv[2] and (not sys.argv[4] or s["type"] == sys.argv[4]):
        print(s[sys.argv[3]])
        break
else:
    sys.exit("no demo seal with algorithm " + sys.argv[2])
PY
}

# An NSS database that trusts the demo root, for pdfsig.
make_nssdb() {
    NSSDB="$WORK/nss"
    mkdir -p "$NSSDB"
    certutil -N -d "sql:$NSSDB" --empty-password
    certutil -A -d "sql:$NSSDB" -n demo-root -t "CT,C,C" -i "$ROOT_PEM"
}

sha() {
    sha256sum "$1" | cut -d' ' -f1
}

# The schema version this sealsvc makes (what `db status` reports once the store is open).
schema_known() {
    "$SEALSVC" --data "$1" db status | sed -n 's/.*schema version \([0-9]*\).*/\1/p'
}

# sqlite_save DB COPY / sqlite_restore COPY DB: a copy of a live SQLite store and back.
# The store keeps its write-ahead log (sealsvc.db-wal) when a command exits, so the .db
# file alone may lack recent commits: copy through SQLite's backup instead of cp.
sqlite_save() { sqlite3 "$1" ".backup '$2'" || fail "cannot save $1"; }
sqlite_restore() { sqlite3 "$2" ".restore '$1'" || fail "cannot restore $2"; }
