/* What the store's files share beyond store.h: the connection and small helpers over the
 * database layer (db/db.h), the PIN-failure bookkeeping unlock.c needs, and small PEM
 * helpers. Not part of the public API. */
#ifndef SEAL_STORE_INTERNAL_H
#define SEAL_STORE_INTERNAL_H

#include "audit/audit_internal.h"
#include "db/db.h"
#include <seal/ca.h>
#include <seal/store.h>

/* Counts one wrong PIN for seal `id` (setting its lock flag at
 * SEAL_STORE_MAX_PIN_FAILURES) in one statement, so concurrent stampers cannot lose a
 * count; *failures_out is the new count. */
int store_count_pin_failure(seal_store *st, const char *id, int *failures_out);

/* Resets the count after a right PIN. SEAL_EPOLICY when the seal stopped being active or
 * was locked since it was read (by another process). */
int store_reset_pin_failures(seal_store *st, const char *id);

/* ---- the seal lifecycle (seal_state.c) ---- */

/* Whether `state` is one of the lifecycle's states. */
bool store_seal_state_known(const char *state);
/* Inside create's transaction, before the seal is stored: a seal applied for is `made`
 * (its application must be open and of the same institution and kind); one without an
 * application is made, filed and activated at once. Sets r->state and records the events. */
int store_seal_birth_in_tx(seal_store *st, seal_record *r, const char *actor);
/* A seal id names files (DATA_DIR/seals/ID.esl) and appears in URLs: SEAL_EINVAL unless it
 * is letters, digits, '-', '_' and '.', not starting with '.'. */
int store_seal_id_check(const char *id);

/* ---- a seal's key at rest (seal_key.c) ---- */

/* Makes DATA_DIR/secrets/kek (0600, in a 0700 folder) with a random key-encryption key
 * unless it exists or SEALSVC_KEK gives the key. */
int store_kek_ensure(const char *data_dir);
/* The KEK's text (SEALSVC_KEK, or else the file), surrounding white space stripped
 * (kek_out->len counts what is left; the buffer stays NUL-terminated). Wipe it with
 * seal_buf_clear_secret. */
int store_kek_read(const char *data_dir, seal_buf *kek_out);
/* A key for one use: HMAC-SHA256 keyed with the KEK's text over `label`. Wipe it. */
#define STORE_KEK_DERIVED_BYTES 32
int store_kek_derive(seal_store *st, const char *label, uint8_t out[STORE_KEK_DERIVED_BYTES]);
/* The same as lower-case hex: the passphrase a PKCS#8 key rests under. Wipe it. */
#define STORE_KEK_PASSPHRASE_SIZE (2 * STORE_KEK_DERIVED_BYTES + 1)
int store_kek_passphrase(seal_store *st, const char *label, char out[STORE_KEK_PASSPHRASE_SIZE]);
/* ---- short secrets at rest (sealed.c): AES-256-GCM, 0x01 || nonce || ciphertext || tag,
 * bound to `aad` (where the value belongs); `what` names it in errors ("an identity
 * number", "PIN of job ID"). The key is the caller's, derived for that one use. */
#define STORE_SEALED_KEY_BYTES 32
int store_sealed_put(seal_buf *out, const uint8_t key[STORE_SEALED_KEY_BYTES], const char *aad,
                     const char *plain, size_t max_plain, const char *what);
/* *plain_out: g_malloc'd text; wipe it. SEAL_EFORMAT damaged, SEAL_EUNSUPPORTED another
 * format, SEAL_ECRYPTO altered, misplaced or under another KEK. */
int store_sealed_open(char **plain_out, const uint8_t key[STORE_SEALED_KEY_BYTES], const char *aad,
                      const uint8_t *data, size_t len, size_t max_plain, const char *what);

/* The key as PKCS#8 PEM encrypted under a passphrase made from `pin` and the platform's
 * key-encryption key. */
int store_seal_key_wrap(seal_store *st, seal_buf *pem_out, EVP_PKEY *key, const char *pin);
/* A seal bound to a new certificate (the CA's renew and re-key): its certificate, SESeal,
 * validity and, with `with_key`, its wrapped key replaced. SEAL_ENOTFOUND when the seal is
 * gone. Inside the caller's transaction. */
int store_seal_set_certificate(seal_store *st, const seal_record *r, bool with_key);
/* Opens a stored key with `pin` (and the key-encryption key). *pin_only is set when the
 * key was stored, by an earlier sealsvc, under the PIN alone. SEAL_EAUTH when the PIN
 * does not open it; another code when the key-encryption key cannot be read. */
int store_seal_key_unwrap(seal_store *st, const seal_buf *pem, const char *pin, EVP_PKEY **key_out,
                          bool *pin_only);
/* Replaces the stored key of seal `id`. */
int store_seal_key_update(seal_store *st, const char *id, const seal_buf *pem);

/* ---- the seal pictures' PDF streams (picture.c) ---- */

/* Makes the PDF image and mask streams of a new seal's picture and keeps them (inside
 * create's transaction) and in the process-wide cache. */
int store_pdf_picture_keep(seal_store *st, const seal_buf *png);
/* Hands the stored streams of a seal's picture to the process-wide cache; for a seal made
 * before the store kept them, makes and stores them first. Never fails: without them the
 * stamper makes the streams itself. */
void store_pdf_picture_load(seal_store *st, const seal_buf *png);

/* ---- a personal seal's holder (holder.c) ---- */

/* `plain` (an identity number) sealed for seal `seal_id`: AES-256-GCM under a key derived
 * with HKDF-SHA256 from `kek`, a fresh random nonce, the seal id as associated data.
 * out = 0x01 (format) || nonce (12) || ciphertext || tag (16). */
int store_id_encrypt(seal_buf *out, const uint8_t *kek, size_t kek_len, const char *seal_id,
                     const char *plain);
/* The identity number back (caller wipes and frees it with g_free); SEAL_ECRYPTO when the
 * value was altered, was sealed for another seal or under another KEK; SEAL_EFORMAT or
 * SEAL_EUNSUPPORTED when it is not a value store_id_encrypt made. */
int store_id_decrypt(char **plain_out, const uint8_t *kek, size_t kek_len, const char *seal_id,
                     const uint8_t *sealed, size_t len);
/* A personal seal needs a holder's name and a valid resident ID (GB 11643-1999); another
 * kind has no holder. SEAL_EINVAL naming the problem, never the number. */
int store_holder_check(const char *seal_id, const char *kind, const char *name,
                       const char *resident_id);
/* Inside create's transaction: records the holder of seal `seal_id`, the number encrypted
 * under the platform's key-encryption key. */
int store_holder_add_in_tx(seal_store *st, const char *seal_id, const char *name,
                           const char *resident_id);
/* The MAC (store_person_lookup_mac) and masked form of the resident ID sealed for seal
 * `seal_id` (`sealed`, as stored). SEAL_ECRYPTO when it does not open under this KEK. */
int store_holder_identify(seal_store *st, const char *seal_id, const uint8_t *sealed, size_t len,
                          char mac[65], char masked[19]);
/* Fills the MAC and masked form of every holder that has none yet (those of seals made
 * before schema version 9), as far as their numbers open under the KEK: the others are
 * left unmatched, and so is everyone when the KEK cannot be read. */
int store_holder_link(seal_store *st);

/* ---- people (person.c) ---- */

/* Lower-case hex of the MAC a person is found by: HMAC-SHA256 of the resident ID (check
 * character X in capitals) under a key derived from the KEK. Personal seals' holders keep
 * the same MAC (holder.c), which is how a holder is known to be a person. */
int store_person_lookup_mac(seal_store *st, const char *resident_id, char out[65]);

/* Whether person `person_id` has `role` (NULL: any role) in institution `institution_id`. */
int store_person_has_role(seal_store *st, int64_t institution_id, int64_t person_id,
                          const char *role, bool *out);
/* A person's numbers decrypted (caller wipes and frees them; *mobile_out NULL when none
 * is recorded; mobile_out may be NULL): for the store's tests and a later export, never
 * for display. */
int store_person_numbers(seal_store *st, int64_t id, char **resident_id_out, char **mobile_out);

/* The name and credit code of institution `id` (caller frees both with g_free). */
int store_institution_by_id(seal_store *st, int64_t id, char **name_out, char **code_out);

/* Every certificate in PEM text (an empty text gives an empty stack). */
int store_certs_from_pem(STACK_OF(X509) * *out, const seal_buf *pem);
/* The same, kept parsed while the text stays the same (cert_memo.c): a certificate as
 * seal_cert_load_mem reads it, a chain as store_certs_from_pem. The certificates are
 * shared (reference-counted); *out is the caller's to free. */
int store_cert_parse(const seal_buf *pem, X509 **out);
int store_chain_parse(const seal_buf *pem, STACK_OF(X509) * *out);

/* ---- the platform's keys and CRLs (platform.c) ---- */

/* Publishes CRL number `number` of CA `ca_name` unless a higher one is published. */
int store_crl_put(seal_store *st, const char *ca_name, const char *issuer_key_id, uint64_t number,
                  time_t this_update, time_t next_update, const seal_buf *der);

/* ---- files of a platform older than schema version 6 (import.c) ---- */

/* Inside the migration to version 6: brings a data directory's pki/, crl/ and tsa/serial
 * into the database (nothing when pki/ holds no certificate). */
int store_import_files(seal_store *st);

/* ---- the database (store.c) ---- */

/* The store's connection. */
seal_db *store_db(seal_store *st);
/* Brings the database's schema up to this sealsvc's (schema.c): the version it had and
 * the version it has now. */
int store_migrate(seal_store *st, int *found_out, int *current_out);
/* seal_db_prepare on the store's connection. */
int store_prepare(seal_store *st, seal_db_stmt **stmt, const char *what, const char *sql);
/* Readers of the store's own columns, whose types its schema fixes: a column that does not
 * read as its type (a bug in the SQL, not in the data) reads as NULL, 0 or empty. A text
 * column as a new string (g_free), NULL for SQL NULL. */
char *store_column_text(seal_db_stmt *stmt, int col);
int64_t store_column_int64(seal_db_stmt *stmt, int col);
double store_column_double(seal_db_stmt *stmt, int col);
/* A blob or text column into `out` (emptied for NULL); SEAL_ENOMEM. */
int store_column_buf(seal_db_stmt *stmt, int col, seal_buf *out);
/* Runs `stmt` and reads every row into a new array of records of `size` bytes, each with
 * `read` (0, or a negative code that stops the reading). *out and *n are the array (g_free,
 * or the module's records_free) and its length; on failure they are NULL and 0, and the
 * records read so far go to `free_all`. */
int store_read_all(seal_db_stmt *stmt, size_t size, int (*read)(seal_db_stmt *stmt, void *record),
                   void (*free_all)(void *records, size_t n), void **out, size_t *n);
/* Text to bind from a buffer that holds it without its NUL (PEM). */
int store_bind_buf_text(seal_db_stmt *stmt, int index, const seal_buf *b);

/* ---- the CA database (ca_db.c); the audit trail is audit/audit_internal.h ---- */

/* A write transaction on the store's connection (seal_db_begin: one writer at a time on
 * SQLite), its commit (rolled back when it fails) and rollback. */
/* Inside a transaction: removes pending stamp `id`, which must be there (pending.c). */
int store_pending_remove_in_tx(seal_store *st, const char *id);
int store_begin(seal_store *st);
int store_commit(seal_store *st);
void store_rollback(seal_store *st);
/* Inside a transaction: record a certificate (and audit it), change its state, name its
 * successor, draw the next CRL number, write an audit record. */
int store_ca_add_in_tx(seal_store *st, X509 *cert, X509 *issuer, const char *role,
                       const char *actor);
int store_ca_set_state(seal_store *st, const seal_ca_record *c, seal_ca_state state,
                       time_t revoked_at, int reason, time_t invalidity_date);
int store_ca_set_replaced(seal_store *st, const seal_ca_record *c, const char *by);
int store_ca_next_crl_number(seal_store *st, const char *issuer_key_id, uint64_t *out);

#endif
