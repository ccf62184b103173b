# A store as an older sealsvc left it, made from a current one: the SQL below undoes schema
# versions 14 (an API key's input policy), 13 (remote signing's spent SAD hashes), 12 (a pending stamp's grant), 11 (the clerk desk's passwords and sessions), 10 (the batch jobs' tables), 9 (holders' MACs and masked numbers, the erased
# columns; id_sealed stays nullable, which the copy in version 9 takes as it is) and 8 (the
# lifecycle's states back to active/locked/revoked under their CHECK, no lock flag, no
# lifecycle events or applications, the audit trail unkeyed), on both engines; old_store
# then rechains the trail with plain SHA-256 links (lib/audit_chain.py).
#
# Sourced after common.sh:  old_store sqlite DB.sqlite | old_store postgresql URL

old_store_sql() {
    cat <<'SQL'
ALTER TABLE api_key DROP COLUMN input_policy;
DROP TABLE csc_sad_use;
ALTER TABLE pending_stamp DROP COLUMN grant_id;
DROP TABLE desk_session;
DROP TABLE person_password;
DROP TABLE stamp_job_callback;
DROP TABLE stamp_job_document;
DROP TABLE stamp_job;
DROP INDEX seal_holder_lookup;
ALTER TABLE seal_holder DROP COLUMN id_lookup;
ALTER TABLE seal_holder DROP COLUMN id_masked;
ALTER TABLE seal_holder DROP COLUMN erased;
ALTER TABLE person DROP COLUMN erased;
ALTER TABLE institution DROP COLUMN erased;
ALTER TABLE seal RENAME COLUMN state TO lifecycle;
ALTER TABLE seal ADD COLUMN state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'locked', 'revoked'));
UPDATE seal SET state = CASE WHEN lifecycle = 'cancelled' THEN 'revoked' WHEN locked = 1 THEN 'locked' ELSE 'active' END;
ALTER TABLE seal DROP COLUMN lifecycle;
ALTER TABLE seal DROP COLUMN locked;
DROP TABLE seal_event;
DROP TABLE seal_application;
DROP TABLE audit_keyed_from;
ALTER TABLE audit DROP COLUMN keyed;
DELETE FROM schema_version WHERE version >= 8;
SQL
}

old_store() {
    local engine=$1 target=$2
    if [ "$engine" = sqlite ]; then
        old_store_sql | sqlite3 -bail "$target" || fail "cannot make an old store of $target"
    else
        old_store_sql | psql -X -q -v ON_ERROR_STOP=1 -d "$target" || fail "cannot make an old store"
    fi
    python3 "$SEAL_SOURCE_DIR/tests/integration/lib/audit_chain.py" "$engine" "$target" ||
        fail "cannot rechain the old store's audit trail"
}
