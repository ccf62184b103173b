#!/usr/bin/env bash
# The keyed audit chain, on both engines, as someone who can write the database but lacks
# the key-encryption key would attack it: a record's detail rewritten and the chain
# recomputed with plain SHA-256 links, or with HMAC under a wrong key, the tail rewritten
# as unkeyed records (a downgrade), the pin of where keyed records begin moved or deleted:
# each is reported naming the record, exit 1. An older database's unkeyed records and the
# keyed ones written after its migration verify together ("keyed from record N"), and the
# old records can no longer be rewritten either once they are pinned.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/postgres.sh"
. "$(dirname "$0")/lib/old_store.sh"
pg_start
cp "$SEAL_SOURCE_DIR/samples/contract-zh.pdf" "$WORK/in.pdf"
CHAIN="$SEAL_SOURCE_DIR/tests/integration/lib/audit_chain.py"
WRONG_KEY=$(openssl rand -hex 32)

run_engine() { # NAME ENGINE TARGET [--db URL]
    local name=$1 engine=$2 target=$3
    shift 3
    local dir="$WORK/$name" data="$WORK/$name/data"
    mkdir -p "$dir"
    local S=("$SEALSVC" "$@" --data "$data")
    sql() { if [ "$engine" = sqlite ]; then sqlite3 "$target" "$1"; else psql -X -q -A -t -d "$target" -c "$1"; fi; }
    snapshot() { if [ "$engine" = sqlite ]; then sqlite_save "$target" "$dir/saved.db"; else pg_dump -Fc -d "$target" -f "$dir/saved.dump"; fi; }
    restore() {
        if [ "$engine" = sqlite ]; then sqlite_restore "$dir/saved.db" "$target"
        else pg_restore --clean --if-exists -d "$target" "$dir/saved.dump" 2>/dev/null || true; fi
    }
    broken() { # MESSAGE
        expect_exit 1 "${S[@]}" audit verify
        grep -qF "BROKEN - $1" "$WORK/out" || fail "$name: audit verify says '$(cat "$WORK/out")', not '$1'"
        restore
        "${S[@]}" audit verify >/dev/null || fail "$name: the restored trail is not intact"
    }
    "$SEALSVC" "$@" demo init --dir "$data" >"$dir/m.json" 2>"$dir/log" || fail "$name: demo init: $(cat "$dir/log")"
    local seal pin
    seal=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seals"][0]["id"])' "$dir/m.json")
    pin=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seals"][0]["pin"])' "$dir/m.json")

    # an older database: its unkeyed trail, then keyed records after the migration
    old_store "$engine" "$target"
    local old
    old=$(sql "SELECT max(id) FROM audit")
    "${S[@]}" audit verify >"$dir/v0" || fail "$name: the migrated trail: $(cat "$dir/v0")"
    grep -q "^audit trail: intact, $old records, keyed from record $((old + 1)) (none keyed yet)" "$dir/v0" ||
        fail "$name: $(cat "$dir/v0")"
    for i in 1 2 3; do
        "${S[@]}" stamp "$WORK/in.pdf" "$dir/s$i.pdf" --seal "$seal" --pin "$pin" --at 50,50 >/dev/null 2>"$dir/err" ||
            fail "$name: stamp: $(cat "$dir/err")"
    done
    "${S[@]}" audit verify >"$dir/v1" || fail "$name: old and keyed records: $(cat "$dir/v1")"
    grep -q "^audit trail: intact, $((old + 3)) records, keyed from record $((old + 1)), the last #$((old + 3))" "$dir/v1" ||
        fail "$name: $(cat "$dir/v1")"
    [ "$(sql "SELECT count(*) FROM audit WHERE keyed = 1")" = 3 ] || fail "$name: not three keyed records"
    snapshot
    local k=$((old + 2)) # a keyed record in the middle

    # a keyed record's detail rewritten, the chain recomputed with plain SHA-256 (marked keyed)
    python3 "$CHAIN" "$engine" "$target" --detail "$k" "nothing happened" --from "$k"
    broken "audit record $k was changed after it was written"
    # ... with HMAC under a key that is not the platform's
    python3 "$CHAIN" "$engine" "$target" --detail "$k" "nothing happened" --from "$k" --hmac "$WRONG_KEY"
    broken "audit record $k was changed after it was written"
    # ... as unkeyed records: a downgrade
    python3 "$CHAIN" "$engine" "$target" --detail "$k" "nothing happened" --from "$k" --keyed 0
    broken "audit record $k is not keyed, though every record after #$old must be"
    # ... and the pin moved past them too
    python3 "$CHAIN" "$engine" "$target" --detail "$k" "nothing happened" --from "$((old + 1))" --keyed 0
    sql "UPDATE audit_keyed_from SET last_unkeyed = $((old + 3)), last_hash = (SELECT hash FROM audit WHERE id = $((old + 3)))"
    broken "the record of where the keyed audit trail begins was changed"
    sql "DELETE FROM audit_keyed_from"
    broken "the record of where the keyed audit trail begins is missing"
    # an old, unkeyed record rewritten with its plain chain: the pin and the first keyed
    # record still hold the old link
    python3 "$CHAIN" "$engine" "$target" --detail 2 "nothing happened" --from 2 --keyed 0
    broken "audit record $old was changed after it was written"
    # unkeyed records cut from the end of the old trail, the keyed ones removed with them
    sql "DELETE FROM audit WHERE id >= $((old - 1))"
    broken "audit records #$((old - 1)) to #$old are missing"
    # without the KEK the keyed trail cannot be checked: said, not passed
    mv "$data/secrets/kek" "$dir/kek"
    expect_exit 3 "${S[@]}" audit verify
    grep -q "key-encryption key" "$WORK/err" || fail "$name: without the KEK: $(cat "$WORK/err")"
    mv "$dir/kek" "$data/secrets/kek"
    echo "$name: keyed chain checks OK"
}

run_engine sqlite sqlite "$WORK/sqlite/data/sealsvc.db"
run_engine postgresql postgresql "$PG_URL" --db "$PG_URL"
echo "audit_keyed: OK"
