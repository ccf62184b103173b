#!/usr/bin/env bash
# A platform made before schema version 6 kept its certificates and keys (pki/), published
# CRLs (crl/) and the TSA's next serial (tsa/serial) as files. Opening it with this sealsvc
# brings them into the database once (libseal/src/store/import.c): the CA works from the
# database (revoke, publish), the published CRL is the one the file held until a newer one
# comes, the TSA's counter continues where the file left it, the import is one audit
# record, and opening again imports nothing more.
#
# The old platform is made from a new one: its database taken back to version 5 (version
# 8's lifecycle and keyed audit trail undone by lib/old_store.sh, the tables of versions 6
# and 7 dropped) and its files laid out as the old sealsvc wrote them (the demo still
# exports pki/ in that form; the CRLs and the serial file are written here). The import's
# audit record is written before the trail is keyed: the migration to version 8 pins it
# with the older records, and the trail verifies.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/old_store.sh"
make_demo
DB="$DATA/sealsvc.db"
mkdir -p "$DATA/crl" "$DATA/tsa"
for ca in root-ca issuing-ca; do
    "$SEALSVC" --data "$DATA" ca crl --ca "$ca" --current -o "$DATA/crl/$ca.crl" >/dev/null 2>"$WORK/err" ||
        fail "ca crl --current: $(cat "$WORK/err")"
done
old_number=$(( $(openssl crl -inform DER -in "$DATA/crl/issuing-ca.crl" -noout -crlnumber | sed 's/.*=//') ))
echo 1000 >"$DATA/tsa/serial"
old_store sqlite "$DB"
sqlite3 "$DB" "DROP TABLE seal_grant; DROP TABLE seal_grant_rule; DROP TABLE person_role; DROP TABLE person;
    DROP TABLE platform_party; DROP TABLE crl_published; DROP TABLE revocation_cache;
    DROP TABLE revocation_evidence; DROP TABLE counter; DELETE FROM schema_version WHERE version >= 6;"
[ "$(sqlite3 "$DB" "SELECT max(version) FROM schema_version")" = 5 ] || fail "the database is not at version 5"

"$SEALSVC" --data "$DATA" db migrate >"$WORK/migrate.txt" 2>&1 || fail "db migrate: $(cat "$WORK/migrate.txt")"
grep -q "schema version 5 -> " "$WORK/migrate.txt" || fail "db migrate says: $(cat "$WORK/migrate.txt")"
[ "$(sqlite3 "$DB" "SELECT group_concat(name, ' ') FROM (SELECT name FROM platform_party ORDER BY name)")" = \
    "issuing-ca ocsp root-ca seal-maker tsa" ] || fail "the platform's certificates were not imported: $(sqlite3 "$DB" "SELECT name FROM platform_party")"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM platform_party WHERE key_pem LIKE '%ENCRYPTED PRIVATE KEY%'")" = 5 ] ||
    fail "the imported keys are not kept encrypted"
[ "$(sqlite3 "$DB" "SELECT number FROM crl_published WHERE ca_name = 'issuing-ca'")" = "$old_number" ] ||
    fail "the published CRL was not imported with its number $old_number"
[ "$(sqlite3 "$DB" "SELECT next FROM counter WHERE name = 'tsa-serial'")" = 1000 ] ||
    fail "the TSA's serial counter does not continue from the file"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'import'")" = 1 ] || fail "no single import record"
sqlite3 "$DB" "SELECT detail FROM audit WHERE action = 'import'" | grep -q "5 certificate(s) with their keys, 2 CRL(s), the TSA's serial counter" ||
    fail "the import record says: $(sqlite3 "$DB" "SELECT detail FROM audit WHERE action = 'import'")"

# the CA works from the database: revoke a seal's certificate, publish a newer CRL
RSA=$(seal_of rsa id official)
sqlite3 "$DB" "SELECT cert_pem FROM seal WHERE id = '$RSA'" >"$WORK/seal.pem"
"$SEALSVC" --data "$DATA" ca revoke "$WORK/seal.pem" --reason keyCompromise >/dev/null 2>"$WORK/err" ||
    fail "ca revoke after the import: $(cat "$WORK/err")"
new_number=$(sqlite3 "$DB" "SELECT number FROM crl_published WHERE ca_name = 'issuing-ca'")
[ "$new_number" -gt "$old_number" ] || fail "the CRL number went from $old_number to $new_number"
"$SEALSVC" --data "$DATA" ca crl --ca issuing-ca --current -o "$WORK/now.crl" >/dev/null
openssl crl -inform DER -in "$WORK/now.crl" -noout -text | grep -q "Serial Number: $(openssl x509 -in "$WORK/seal.pem" -noout -serial | sed 's/serial=//')" ||
    fail "the revoked certificate is not on the CRL published after the import"

# opening again imports nothing more (the files are still there; the import is part of the
# migration to version 6)
"$SEALSVC" --data "$DATA" db status >/dev/null
[ "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'import'")" = 1 ] || fail "a second open imported again"
"$SEALSVC" --data "$DATA" audit verify >"$WORK/verify.txt" 2>&1 || fail "the audit trail does not verify after the import: $(cat "$WORK/verify.txt")"
# the import's record is one of the plain ones the key pinned; the revocation after it is keyed
[ "$(sqlite3 "$DB" "SELECT keyed FROM audit WHERE action = 'import'")" = 0 ] || fail "the import's record is keyed before the trail was"
[ "$(sqlite3 "$DB" "SELECT last_unkeyed >= (SELECT id FROM audit WHERE action = 'import') FROM audit_keyed_from")" = 1 ] ||
    fail "the key's pin does not cover the import's record"
[ "$(sqlite3 "$DB" "SELECT keyed FROM audit WHERE action = 'revoke' ORDER BY id DESC LIMIT 1")" = 1 ] || fail "the revocation after the migration is not keyed"
echo "PASS"
