/* The store's schema as numbered migrations (db.h seal_db_migrate), one list for SQLite and
 * PostgreSQL, applied when a store opens. Versions 1-3 are the schema the SQLite-only
 * store had (its databases open as they are: their schema_version rows say 1-3); version 4
 * makes the tables that store used to create on first use (the holders of personal seals,
 * CA certificates, CRL numbers, the audit trail, pending stamps), with IF NOT EXISTS
 * because an older database may hold them already.
 *
 * Every integer column is BIGINT (PostgreSQL's INTEGER is 32-bit: times would end in
 * 2038), row ids are {id} and blobs {blob} (docs/database.md). The audit table numbers its
 * records itself (each record's hash covers its id), so its id is a plain BIGINT key. */
#include "store/store_internal.h"

static const char v1_sql[] =
    "CREATE TABLE IF NOT EXISTS institution ("
    "  id {id},"
    "  name TEXT NOT NULL,"
    "  credit_code TEXT NOT NULL UNIQUE,"
    "  created BIGINT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS seal ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  shape TEXT NOT NULL,"
    "  institution_id BIGINT NOT NULL REFERENCES institution(id),"
    "  alg TEXT NOT NULL,"
    "  cert_pem TEXT NOT NULL,"
    "  chain_pem TEXT NOT NULL,"
    "  key_pem TEXT NOT NULL,"
    "  image_png {blob} NOT NULL,"
    "  width_mm {real} NOT NULL,"
    "  height_mm {real} NOT NULL,"
    "  esl {blob} NOT NULL,"
    "  valid_start BIGINT NOT NULL,"
    "  valid_end BIGINT NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'locked', 'revoked')),"
    "  pin_failures BIGINT NOT NULL DEFAULT 0,"
    "  created BIGINT NOT NULL);"
    /* The holder of a personal seal (holder.c): the resident ID only as ciphertext. */
    "CREATE TABLE IF NOT EXISTS seal_holder ("
    "  seal_id TEXT PRIMARY KEY REFERENCES seal(id),"
    "  name TEXT NOT NULL,"
    "  id_sealed {blob} NOT NULL);";

/* A seal's key may live on a PKCS#11 token: the key's RFC 7512 URI (never with a PIN) and
 * an empty key_pem. Seals of version 1 all have their key in key_pem. */
static const char v2_sql[] = "ALTER TABLE seal ADD COLUMN key_uri TEXT;";

/* The seal pictures as PDF image and /SMask streams, by the PNG's SHA-256 (picture.c).
 * Seals made before have none yet: each gets its streams the first time it is read. */
static const char v3_sql[] = "CREATE TABLE IF NOT EXISTS pdf_picture ("
                             "  png_sha256 {blob} PRIMARY KEY,"
                             "  width BIGINT NOT NULL,"
                             "  height BIGINT NOT NULL,"
                             "  rgb_z {blob} NOT NULL,"
                             "  alpha_z {blob} NOT NULL);";

static const char v4_sql[] =
    /* Databases of version 1 or 2 made before the holders' table existed got it on open. */
    "CREATE TABLE IF NOT EXISTS seal_holder ("
    "  seal_id TEXT PRIMARY KEY REFERENCES seal(id),"
    "  name TEXT NOT NULL,"
    "  id_sealed {blob} NOT NULL);"
    /* Every certificate the platform's CAs issued, with its state (ca_db.c). */
    "CREATE TABLE IF NOT EXISTS ca_cert ("
    "  serial TEXT NOT NULL,"
    "  issuer_key_id TEXT NOT NULL,"
    "  issuer TEXT NOT NULL,"
    "  subject TEXT NOT NULL,"
    "  role TEXT NOT NULL,"
    "  not_before BIGINT NOT NULL,"
    "  not_after BIGINT NOT NULL,"
    "  cert_der {blob} NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'good' CHECK (state IN ('good', 'revoked', 'hold')),"
    "  revoked_at BIGINT,"
    "  reason BIGINT,"
    "  invalidity_date BIGINT,"
    "  replaced_by TEXT,"
    "  issued_at BIGINT NOT NULL,"
    "  PRIMARY KEY (issuer_key_id, serial));"
    "CREATE INDEX IF NOT EXISTS ca_cert_serial ON ca_cert (serial);"
    "CREATE TABLE IF NOT EXISTS ca_crl_number ("
    "  issuer_key_id TEXT PRIMARY KEY,"
    "  last BIGINT NOT NULL);"
    /* One record per operation, each hash chained to the one before (ca_db.c). */
    "CREATE TABLE IF NOT EXISTS audit ("
    "  id BIGINT PRIMARY KEY,"
    "  at BIGINT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  target TEXT NOT NULL,"
    "  detail TEXT NOT NULL,"
    "  prev_hash TEXT NOT NULL,"
    "  hash TEXT NOT NULL);"
    /* Two-phase stamps waiting for their signature (pending.c). */
    "CREATE TABLE IF NOT EXISTS pending_stamp ("
    "  id TEXT PRIMARY KEY,"
    "  seal_id TEXT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  format TEXT NOT NULL,"
    "  input TEXT NOT NULL,"
    "  output TEXT NOT NULL,"
    "  how TEXT NOT NULL,"
    "  places BIGINT NOT NULL,"
    "  level BIGINT NOT NULL,"
    "  tsa_url TEXT,"
    "  tsa_hash TEXT,"
    "  tsa_policy TEXT,"
    "  alg TEXT NOT NULL,"
    "  created BIGINT NOT NULL,"
    "  expires BIGINT NOT NULL,"
    "  claimed_at BIGINT,"
    "  stamp {blob} NOT NULL);";

/* The HTTP API's keys (apikey.c): only a MAC of each key is kept. */
static const char v5_sql[] = "CREATE TABLE IF NOT EXISTS api_key ("
                             "  id TEXT PRIMARY KEY,"
                             "  mac TEXT NOT NULL UNIQUE,"
                             "  role TEXT NOT NULL,"
                             "  institution TEXT,"
                             "  label TEXT,"
                             "  created BIGINT NOT NULL,"
                             "  expires BIGINT,"
                             "  revoked BIGINT);";

/* Version 6: what several instances sharing the database used to share as files in one
 * data directory (docs/database.md, "What lives where"). The platform's own certificates
 * and keys (CA, seal maker, TSA, OCSP signer), each key PKCS#8 under a passphrase derived
 * from the KEK (platform.c); the CRLs as published; the revocation cache (one entry per
 * issuer and name, replaced) and the evidence archive (every CRL and OCSP response fetched,
 * kept for good); the TSA's serial counter. */
static const char v6_sql[] = "CREATE TABLE IF NOT EXISTS platform_party ("
                             "  name TEXT PRIMARY KEY,"
                             "  cert_pem TEXT NOT NULL,"
                             "  key_pem TEXT,"
                             "  created BIGINT NOT NULL);"
                             "CREATE TABLE IF NOT EXISTS crl_published ("
                             "  ca_name TEXT PRIMARY KEY,"
                             "  issuer_key_id TEXT NOT NULL,"
                             "  number BIGINT NOT NULL,"
                             "  this_update BIGINT NOT NULL,"
                             "  next_update BIGINT NOT NULL,"
                             "  der {blob} NOT NULL);"
                             "CREATE TABLE IF NOT EXISTS revocation_cache ("
                             "  issuer_key_id TEXT NOT NULL,"
                             "  name TEXT NOT NULL,"
                             "  kind TEXT NOT NULL,"
                             "  url TEXT NOT NULL,"
                             "  fetched_at BIGINT NOT NULL,"
                             "  der {blob} NOT NULL,"
                             "  PRIMARY KEY (issuer_key_id, name));"
                             "CREATE TABLE IF NOT EXISTS revocation_evidence ("
                             "  id {id},"
                             "  kind TEXT NOT NULL,"
                             "  url TEXT NOT NULL,"
                             "  fetched_at BIGINT NOT NULL,"
                             "  this_update BIGINT NOT NULL,"
                             "  next_update BIGINT NOT NULL,"
                             "  sha256 TEXT NOT NULL,"
                             "  der {blob} NOT NULL);"
                             "CREATE INDEX IF NOT EXISTS revocation_evidence_fetched"
                             "  ON revocation_evidence (fetched_at);"
                             "CREATE TABLE IF NOT EXISTS counter ("
                             "  name TEXT PRIMARY KEY,"
                             "  next BIGINT NOT NULL);";

/* People, their roles in institutions, seals that need a grant, and grants (person.c,
 * grant.c). Identity numbers rest only as ciphertext (holder.c's sealing) beside their
 * masked forms; id_lookup is a MAC of the resident ID under a KEK-derived key, so a
 * person is found by number, and registered once, without the number in the database.
 * One legal representative per institution is also a unique index; the limit of seal
 * administrators is counted under a writer lock. A grant's state is computed from its
 * columns (revoked, uses against max_uses, the window), never stored apart from them. */
static const char v7_sql[] =
    "CREATE TABLE IF NOT EXISTS person ("
    "  id {id},"
    "  name TEXT NOT NULL,"
    "  id_lookup TEXT NOT NULL UNIQUE,"
    "  id_sealed {blob},"
    "  id_masked TEXT NOT NULL,"
    "  mobile_sealed {blob},"
    "  mobile_masked TEXT,"
    "  created BIGINT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS person_role ("
    "  institution_id BIGINT NOT NULL REFERENCES institution(id),"
    "  person_id BIGINT NOT NULL REFERENCES person(id),"
    "  role TEXT NOT NULL CHECK (role IN ('legal-representative', 'seal-administrator', "
    "'handler')),"
    "  since BIGINT NOT NULL,"
    "  PRIMARY KEY (institution_id, person_id, role));"
    "CREATE UNIQUE INDEX IF NOT EXISTS person_role_one_legal ON person_role (institution_id) "
    "  WHERE role = 'legal-representative';"
    "CREATE TABLE IF NOT EXISTS seal_grant_rule ("
    "  seal_id TEXT PRIMARY KEY REFERENCES seal(id),"
    "  required BIGINT NOT NULL,"
    "  changed BIGINT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS seal_grant ("
    "  id {id},"
    "  seal_id TEXT NOT NULL REFERENCES seal(id),"
    "  grantor_id BIGINT NOT NULL REFERENCES person(id),"
    "  grantee_id BIGINT NOT NULL REFERENCES person(id),"
    "  project TEXT,"
    "  not_before BIGINT NOT NULL,"
    "  not_after BIGINT NOT NULL,"
    "  max_uses BIGINT,"
    "  uses BIGINT NOT NULL DEFAULT 0,"
    "  exclusive BIGINT NOT NULL DEFAULT 0,"
    "  claimed BIGINT,"
    "  revoked BIGINT,"
    "  revoke_reason TEXT,"
    "  created BIGINT NOT NULL,"
    "  created_by TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS seal_grant_seal ON seal_grant (seal_id);";

/* Version 6's data: an older platform's files (import.c). `arg` is the store. */
static int import_older_files(seal_db *db, void *arg)
{
    (void)db;
    return store_import_files(arg);
}

/* The seal lifecycle (seal_state.c) and the keyed audit trail (audit/audit.c).
 *
 * A seal's state becomes one of the lifecycle's (applied, made, filed, active, frozen,
 * lost, cancelled), and the wrong-PIN lock a flag beside it: 'locked' becomes active and
 * locked, 'revoked' cancelled. The CHECK constraint on the old column named the old states;
 * SQLite cannot alter a CHECK, so the state moves to a new column and the old one is
 * dropped with its constraint (SQLite 3.35 and PostgreSQL drop a column's own CHECK with
 * it) and the new one renamed. The allowed states and transitions are seal_state.c's
 * table, the one place they are written down, not a second list in SQL. seal_event keeps
 * every transition (the state at a time is the last one at or before it); seals made
 * before get one 'make' event at their creation and, when revoked, a 'cancel' at the
 * time the audit trail recorded it. An application (a seal applied for, with no key or
 * certificate yet) waits in seal_application until `seal make` makes it.
 *
 * The audit trail: each record says whether its link is keyed, and audit_keyed_from (one
 * row, written by this migration's hook under the key) pins the last unkeyed record. */
static const char v8_sql[] =
    "ALTER TABLE seal ADD COLUMN lifecycle TEXT NOT NULL DEFAULT 'active';"
    "ALTER TABLE seal ADD COLUMN locked BIGINT NOT NULL DEFAULT 0;"
    "UPDATE seal SET lifecycle = CASE state WHEN 'revoked' THEN 'cancelled' ELSE 'active' END,"
    "  locked = CASE state WHEN 'locked' THEN 1 ELSE 0 END;"
    "CREATE TABLE seal_event ("
    "  id {id},"
    "  seal_id TEXT NOT NULL,"
    "  at BIGINT NOT NULL,"
    "  event TEXT NOT NULL,"
    "  from_state TEXT,"
    "  to_state TEXT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  why TEXT NOT NULL);"
    "CREATE INDEX seal_event_seal ON seal_event (seal_id, at);"
    "INSERT INTO seal_event (seal_id, at, event, from_state, to_state, actor, why)"
    "  SELECT id, created, 'make', NULL, 'active', 'sealsvc', 'made before the lifecycle was "
    "kept' FROM seal;"
    "INSERT INTO seal_event (seal_id, at, event, from_state, to_state, actor, why)"
    "  SELECT s.id, COALESCE((SELECT MAX(a.at) FROM audit a WHERE a.target = 'seal:' || s.id"
    "  AND a.action = 'revoke'), s.created), 'cancel', 'active', 'cancelled', 'sealsvc',"
    "  'revoked before the lifecycle was kept' FROM seal s WHERE s.state = 'revoked';"
    "ALTER TABLE seal DROP COLUMN state;"
    "ALTER TABLE seal RENAME COLUMN lifecycle TO state;"
    "CREATE TABLE seal_application ("
    "  id TEXT PRIMARY KEY,"
    "  institution_id BIGINT NOT NULL REFERENCES institution(id),"
    "  name TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  applied BIGINT NOT NULL);"
    "ALTER TABLE audit ADD COLUMN keyed BIGINT NOT NULL DEFAULT 0;"
    "CREATE TABLE audit_keyed_from ("
    "  one BIGINT PRIMARY KEY,"
    "  last_unkeyed BIGINT NOT NULL,"
    "  last_hash TEXT NOT NULL,"
    "  mac TEXT NOT NULL);";

static int v8_apply(seal_db *db, void *st)
{
    (void)db;
    return audit_pin_in_migration(st);
}

/* Identity data's retention (retention.c, docs/retention.md). A personal seal's holder is
 * matched to a person by the MAC of the resident ID that person.c keeps in person.id_lookup:
 * seal_holder gets the same MAC (id_lookup, indexed: one person may hold several seals)
 * and the masked number, which stay when the number is deleted. id_sealed must become
 * NULL when the number is deleted, and SQLite cannot drop a NOT NULL, so the table is made
 * anew, copied, dropped and renamed (nothing refers to it). person.erased and
 * institution.erased say when their identity data was deleted (NULL: kept). The hook
 * fills the new columns from each holder's sealed number under the KEK. */
static const char v9_sql[] = "CREATE TABLE seal_holder_v9 ("
                             "  seal_id TEXT PRIMARY KEY REFERENCES seal(id),"
                             "  name TEXT NOT NULL,"
                             "  id_sealed {blob},"
                             "  id_masked TEXT,"
                             "  id_lookup TEXT,"
                             "  erased BIGINT);"
                             "INSERT INTO seal_holder_v9 (seal_id, name, id_sealed)"
                             "  SELECT seal_id, name, id_sealed FROM seal_holder;"
                             "DROP TABLE seal_holder;"
                             "ALTER TABLE seal_holder_v9 RENAME TO seal_holder;"
                             "CREATE INDEX seal_holder_lookup ON seal_holder (id_lookup);"
                             "ALTER TABLE person ADD COLUMN erased BIGINT;"
                             "ALTER TABLE institution ADD COLUMN erased BIGINT;";

static int v9_apply(seal_db *db, void *st)
{
    (void)db;
    return store_holder_link(st);
}

/* Batch stamping jobs (job.c, seal/job.h): a job, its documents (input and output as
 * blobs, so that every instance sharing the database can run, take over and answer for
 * any job without a shared file system) and its callback's delivery attempts. The seal
 * PIN, a document's password and the callback's key rest only sealed under the KEK and
 * are set to NULL when no longer needed. `worker` and `heartbeat` say who holds a running
 * job and since when it was last seen alive: the claim takes a queued job, or a running one
 * whose heartbeat is stale. A job is numbered by a random id (it appears in URLs). */
static const char v10_sql[] =
    "CREATE TABLE stamp_job ("
    "  id TEXT PRIMARY KEY,"
    "  state TEXT NOT NULL CHECK (state IN ('submitting', 'queued', 'running', 'done', "
    "'failed', 'cancelled')),"
    "  institution TEXT,"
    "  actor TEXT NOT NULL,"
    "  seal_id TEXT NOT NULL,"
    "  params TEXT NOT NULL,"
    "  pin_sealed {blob},"
    "  password_sealed {blob},"
    "  documents BIGINT NOT NULL,"
    "  created BIGINT NOT NULL,"
    "  started BIGINT,"
    "  finished BIGINT,"
    "  worker TEXT,"
    "  heartbeat BIGINT,"
    "  claims BIGINT NOT NULL DEFAULT 0,"
    "  cancel_requested BIGINT NOT NULL DEFAULT 0,"
    "  error TEXT,"
    "  callback_url TEXT,"
    "  callback_key_sealed {blob},"
    "  callback_state TEXT CHECK (callback_state IN ('pending', 'delivered', 'failed')),"
    "  callback_next BIGINT);"
    "CREATE INDEX stamp_job_claim ON stamp_job (state, created);"
    "CREATE INDEX stamp_job_callback_due ON stamp_job (callback_state, callback_next);"
    "CREATE TABLE stamp_job_document ("
    "  job_id TEXT NOT NULL REFERENCES stamp_job(id),"
    "  n BIGINT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  placements TEXT,"
    "  state TEXT NOT NULL CHECK (state IN ('queued', 'done', 'failed', 'cancelled')),"
    "  input {blob},"
    "  input_size BIGINT NOT NULL,"
    "  format TEXT,"
    "  output {blob},"
    "  output_size BIGINT,"
    "  error_code TEXT,"
    "  error TEXT,"
    "  finished BIGINT,"
    "  PRIMARY KEY (job_id, n));"
    "CREATE TABLE stamp_job_callback ("
    "  job_id TEXT NOT NULL REFERENCES stamp_job(id),"
    "  attempt BIGINT NOT NULL,"
    "  at BIGINT NOT NULL,"
    "  status BIGINT NOT NULL,"
    "  error TEXT,"
    "  PRIMARY KEY (job_id, attempt));";

/* The clerk desk's logins (desk.c): a person's password as an Argon2id encoded hash (its
 * parameters and salt inside the text, RFC 9106), the wrong passwords counted since the
 * last success and the lock they led to; and the desk's sessions, each known by SHA-256 of
 * its random token (the token itself lives only in the browser's cookie), for one person
 * acting for one institution, with the CSRF token its mutating requests must carry. */
static const char v11_sql[] = "CREATE TABLE person_password ("
                              "  person_id BIGINT PRIMARY KEY REFERENCES person(id),"
                              "  hash TEXT NOT NULL,"
                              "  failures BIGINT NOT NULL DEFAULT 0,"
                              "  locked_until BIGINT,"
                              "  changed BIGINT NOT NULL);"
                              "CREATE TABLE desk_session ("
                              "  id TEXT PRIMARY KEY,"
                              "  person_id BIGINT NOT NULL REFERENCES person(id),"
                              "  institution_id BIGINT NOT NULL REFERENCES institution(id),"
                              "  csrf TEXT NOT NULL,"
                              "  created BIGINT NOT NULL,"
                              "  last_seen BIGINT NOT NULL,"
                              "  expires BIGINT NOT NULL);"
                              "CREATE INDEX desk_session_person ON desk_session (person_id);";

/* A two-phase stamp may use a grant: checked when it is prepared, counted when it is
 * finished (docs/authorisations.md). */
static const char v12_sql[] = "ALTER TABLE pending_stamp ADD COLUMN grant_id BIGINT;";

/* Remote signing (CSC API v2, store/sad.c): the hashes signed with each SAD, so that a
 * hash is signed once and a SAD no more often than it says, whichever instance is asked;
 * a row goes once its SAD expired. */
static const char v13_sql[] = "CREATE TABLE csc_sad_use ("
                              "  sad_id TEXT NOT NULL,"
                              "  hash TEXT NOT NULL,"
                              "  used BIGINT NOT NULL,"
                              "  expires BIGINT NOT NULL,"
                              "  PRIMARY KEY (sad_id, hash));"
                              "CREATE INDEX csc_sad_use_expires ON csc_sad_use (expires);";

/* An API key's input policy (docs/stamping.md "The input examined"): what a stamp by the
 * key does with what the examination of its input finds, "strict", "warn" or "off"; NULL:
 * the platform's ([stamp] input_policy), else strict (docs/serve.md). */
static const char v14_sql[] = "ALTER TABLE api_key ADD COLUMN input_policy TEXT;";

static const seal_db_migration migrations[] = {
    {1, "institutions, seals and their holders", v1_sql, NULL},
    {2, "seal keys on PKCS#11 tokens", v2_sql, NULL},
    {3, "the seal pictures' PDF streams", v3_sql, NULL},
    {4, "the CA's certificates, the audit trail and pending stamps in the schema", v4_sql, NULL},
    {5, "API keys", v5_sql, NULL},
    {6, "the platform's keys, CRLs and revocation evidence in the database", v6_sql,
     import_older_files},
    {7, "people, their roles in institutions, and grants to use seals", v7_sql, NULL},
    {8, "the seal lifecycle and the keyed audit trail", v8_sql, v8_apply},
    {9, "personal seals' holders matched to people, for identity data's retention", v9_sql,
     v9_apply},
    {10, "batch stamping jobs, their documents and callbacks", v10_sql, NULL},
    {11, "the clerk desk's passwords, lock-outs and sessions", v11_sql, NULL},
    {12, "the grant a pending two-phase stamp uses", v12_sql, NULL},
    {13, "remote signing's activation data: the hashes each SAD signed", v13_sql, NULL},
    {14, "an API key's input policy for the stamps it makes", v14_sql, NULL},
};

int store_migrate(seal_store *st, int *found_out, int *current_out)
{
    const int known = (int)(sizeof migrations / sizeof migrations[0]);
    seal_db *db = store_db(st);
    /* One read on every open; the migrator (which reads again, under its lock) only when
     * the database is not at this sealsvc's version, newer ones included. */
    int rc = seal_db_schema_version(db, found_out);
    if (rc == 0 && *found_out != known)
        rc = seal_db_migrate(db, migrations, (size_t)known, st);
    if (rc == 0)
        *current_out = known;
    return rc;
}
