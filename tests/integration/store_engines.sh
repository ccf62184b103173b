#!/usr/bin/env bash
# The store on both engines, as several processes share it: the embedded SQLite file and a
# private PostgreSQL (lib/postgres.sh, `--db URL`). On each: a demo platform, PDF and OFD
# stamps checked by `sealsvc verify`, many processes stamping at once (every stamp in the
# audit trail exactly once, the chain intact: `audit verify`), a two-phase stamp prepared
# by one process and finished by another, and wrong PINs racing from five processes that
# lock the seal after exactly five (the sixth attempt, with the right PIN, is refused).
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/postgres.sh"
pg_start
cp "$SEAL_SOURCE_DIR/samples/contract-zh.pdf" "$WORK/in.pdf"
cp "$SEAL_SOURCE_DIR/samples/notice-zh.ofd" "$WORK/in.ofd"

# run_engine NAME PROCESSES STAMPS [--db URL]
run_engine() {
    local name=$1 procs=$2 each=$3
    shift 3
    local dir="$WORK/$name" data="$WORK/$name/data"
    mkdir -p "$dir"
    local S=("$SEALSVC" "$@" --data "$data")
    "$SEALSVC" "$@" demo init --dir "$data" >"$dir/manifest.json" 2>"$dir/demo.log" ||
        fail "$name: demo init: $(cat "$dir/demo.log")"
    local rsa pin ec ec_pin
    rsa=$(python3 -c 'import json,sys; print([s["id"] for s in json.load(open(sys.argv[1]))["seals"] if s["algorithm"] == "rsa"][0])' "$dir/manifest.json")
    pin=$(python3 -c 'import json,sys; print([s["pin"] for s in json.load(open(sys.argv[1]))["seals"] if s["id"] == sys.argv[2]][0])' "$dir/manifest.json" "$rsa")
    ec=$(python3 -c 'import json,sys; print([s["id"] for s in json.load(open(sys.argv[1]))["seals"] if s["algorithm"] == "ecdsa"][0])' "$dir/manifest.json")
    ec_pin=$(python3 -c 'import json,sys; print([s["pin"] for s in json.load(open(sys.argv[1]))["seals"] if s["id"] == sys.argv[2]][0])' "$dir/manifest.json" "$ec")

    # --- the schema: up to date after demo init; a newer database is refused by name
    "${S[@]}" db migrate >"$dir/migrate.txt" 2>&1 || fail "$name: db migrate: $(cat "$dir/migrate.txt")"
    grep -q "up to date" "$dir/migrate.txt" || fail "$name: db migrate says: $(cat "$dir/migrate.txt")"
    grep -q "password\|:secret@" "$dir/migrate.txt" && fail "$name: the URL shown carries a password"
    local sql_newer="INSERT INTO schema_version (version) VALUES (999)"
    local sql_back="DELETE FROM schema_version WHERE version = 999"
    if [ $# -gt 0 ]; then psql -X -q -d "$PG_URL" -c "$sql_newer"; else sqlite3 "$data/sealsvc.db" "$sql_newer"; fi
    expect_exit 3 "${S[@]}" db status
    grep -q "schema version 999; this sealsvc knows up to" "$WORK/err" || fail "$name: a newer database: $(cat "$WORK/err")"
    if [ $# -gt 0 ]; then psql -X -q -d "$PG_URL" -c "$sql_back"; else sqlite3 "$data/sealsvc.db" "$sql_back"; fi

    # --- one stamp of each format, verified
    "${S[@]}" stamp "$WORK/in.pdf" "$dir/one.pdf" --seal "$rsa" --pin "$pin" --page 1 --at 100,100 \
        >/dev/null 2>"$dir/err" || fail "$name: PDF stamp: $(cat "$dir/err")"
    "${S[@]}" stamp "$WORK/in.ofd" "$dir/one.ofd" --seal "$rsa" --pin "$pin" --page 1 --at 100,100 \
        >/dev/null 2>"$dir/err" || fail "$name: OFD stamp: $(cat "$dir/err")"
    for f in one.pdf one.ofd; do
        "${S[@]}" verify --json "$dir/$f" >"$dir/$f.json" 2>"$dir/err" || fail "$name: verify $f: $(cat "$dir/err")"
        python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(r["verdict"] != "VALID")' "$dir/$f.json" ||
            fail "$name: $f is not VALID: $(cat "$dir/$f.json")"
    done
    local before
    before=$("${S[@]}" audit list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')

    # --- PROCS processes x EACH stamps at once
    local p i pids=()
    for p in $(seq "$procs"); do
        (
            for i in $(seq "$each"); do
                "${S[@]}" stamp "$WORK/in.pdf" "$dir/c-$p-$i.pdf" --seal "$rsa" --pin "$pin" \
                    --page 1 --at 100,100 >/dev/null 2>"$dir/c-$p-$i.err" ||
                    { echo "stamp $p-$i exited $?" >>"$dir/c-$p-$i.err"; exit 1; }
            done
        ) &
        pids+=($!)
    done
    local failed=0
    for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
    [ "$failed" = 0 ] || fail "$name: $failed stamping processes failed: $(cat "$dir"/c-*.err | sort | uniq -c | head -5)"
    local after stamps
    after=$("${S[@]}" audit list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
    stamps=$((procs * each))
    [ "$((after - before))" = "$stamps" ] ||
        fail "$name: $stamps stamps made $((after - before)) audit records"
    "${S[@]}" audit verify >"$dir/verify.txt" 2>&1 || fail "$name: audit verify: $(cat "$dir/verify.txt")"
    grep -q "^audit trail: intact, .* keyed from record 1, " "$dir/verify.txt" || fail "$name: audit verify says: $(cat "$dir/verify.txt")"
    "${S[@]}" verify "$dir/c-$procs-$each.pdf" >/dev/null 2>&1 || fail "$name: a concurrent stamp does not verify"

    # --- two-phase: prepared by one process, finished by another
    "${S[@]}" stamp "$WORK/in.pdf" "$dir/two.pdf" --seal "$rsa" --page 1 --at 100,100 --external \
        >"$dir/pending.json" 2>"$dir/err" || fail "$name: prepare: $(cat "$dir/err")"
    python3 -c 'import json,sys,base64; open(sys.argv[2],"wb").write(base64.b64decode(json.load(open(sys.argv[1]))["digest"]))' \
        "$dir/pending.json" "$dir/digest.bin"
    # the external signer holds the seal's key: the stored one, opened as stamp_external.sh
    # does (encrypted under HMAC-SHA256(kek, PIN)), read with the engine's own client
    local pass sql="SELECT key_pem FROM seal WHERE id = '$rsa'"
    pass=$(printf %s "$pin" | openssl dgst -sha256 -hmac "$(tr -d ' \n' <"$data/secrets/kek")" -r | cut -d' ' -f1)
    if [ $# -gt 0 ]; then psql -X -q -A -t -d "$PG_URL" -c "$sql"; else sqlite3 "$data/sealsvc.db" "$sql"; fi |
        openssl pkey -passin "pass:$pass" -out "$dir/key.pem" || fail "$name: cannot open the seal's key"
    openssl pkeyutl -sign -inkey "$dir/key.pem" -pkeyopt digest:sha256 -in "$dir/digest.bin" \
        -out "$dir/sig.bin" || fail "$name: openssl could not sign the digest"
    local id
    id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$dir/pending.json")
    "${S[@]}" stamp finish "$id" --signature "$dir/sig.bin" >/dev/null 2>"$dir/err" ||
        fail "$name: finish: $(cat "$dir/err")"
    "${S[@]}" verify "$dir/two.pdf" >/dev/null 2>&1 || fail "$name: the two-phase stamp does not verify"

    # --- five wrong PINs at once lock the seal; the right PIN is then refused
    for p in 1 2 3 4 5; do
        "${S[@]}" stamp "$WORK/in.pdf" "$dir/w$p.pdf" --seal "$ec" --pin "wrong-$p" --page 1 \
            --at 100,100 >/dev/null 2>"$dir/w$p.err" &
    done
    wait || true
    for p in 1 2 3 4 5; do
        [ ! -e "$dir/w$p.pdf" ] || fail "$name: a wrong PIN made an output"
    done
    expect_exit 3 "${S[@]}" stamp "$WORK/in.pdf" "$dir/w6.pdf" --seal "$ec" --pin "$ec_pin" --page 1 --at 100,100
    grep -qi "locked" "$WORK/err" || fail "$name: the sixth attempt says: $(cat "$WORK/err")"
    [ ! -e "$dir/w6.pdf" ] || fail "$name: a locked seal stamped"
    echo "$name: $stamps concurrent stamps, audit intact; two-phase across processes; PIN lock exact"
}

run_engine sqlite 4 10
run_engine postgresql 8 50 --db "$PG_URL"
echo "PASS"
