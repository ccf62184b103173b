/* The store: institutions, certificates, seals and their keys (SQLite in the data
 * directory, the embedded default).
 *
 * Stamp flow: resolve a seal by id, check its state and validity, unlock its key with the
 * seal PIN. A key rests encrypted (PKCS#8, AES-256, PBKDF2) under a passphrase made from
 * its seal's PIN and the key-encryption key in DATA/secrets/kek (made with the store,
 * never in the database), or lives on a PKCS#11 token, the store keeping only its URI and
 * the token PIN being the seal PIN; five wrong PINs in a row lock the seal. The holder of a
 * personal seal is kept with it, the resident ID encrypted under a key derived from the same KEK.
 *
 * Threads: a seal_store handle (one SQLite connection) belongs to one thread at a time.
 * Threads that work at once each open their own handle on the same data directory; the
 * database serialises their writes (several processes may share it the same way). The
 * rest of libseal may be called from any thread (seal/stamp.h).
 */
#ifndef SEAL_STORE_H
#define SEAL_STORE_H

#include <seal/crypto.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SEAL_STORE_MAX_PIN_FAILURES 5

typedef struct seal_store seal_store;

/* Opens the platform's store: the database at `db_url` (`sqlite:PATH`, or
 * `postgresql://...`, docs/database.md), or with `db_url` NULL the embedded default,
 * DATA_DIR/sealsvc.db. The data directory keeps what stays outside the database (the
 * key-encryption key, DATA_DIR/secrets/kek). The schema is brought up to this sealsvc's
 * on open. `create` makes the directory, the key-encryption key and, for the embedded
 * default, the database file when missing. */
int seal_store_open_db(seal_store **out, const char *db_url, const char *data_dir, bool create);
/* seal_store_open_db(out, NULL, data_dir, create). */
int seal_store_open(seal_store **out, const char *data_dir, bool create);
void seal_store_close(seal_store *st);
/* Open stores kept for reuse, for a process that serves many requests (sealsvc serve):
 * opening one per request costs a connection (a PostgreSQL backend, a SQLite file opened
 * and its schema read) each time. Safe to use from many threads; a store taken is the
 * taker's alone until it gives it back. */
typedef struct seal_store_pool seal_store_pool;
/* Keeps at most `max_idle` stores waiting; opens none until the first take. */
int seal_store_pool_new(seal_store_pool **out, const char *db_url, const char *data_dir,
                        unsigned max_idle);
/* A waiting store, or a new one (seal_store_open_db without create). One that waited
 * longer than 5 seconds on PostgreSQL is asked a trivial query first and replaced when
 * the server has dropped it. */
int seal_store_pool_take(seal_store_pool *pool, seal_store **out);
/* Back to the pool, or closed: when the pool is full, or when the store is in a
 * transaction or its connection has failed. Accepts NULL. */
void seal_store_pool_give(seal_store_pool *pool, seal_store *st);
/* Closes every waiting store. Accepts NULL. */
void seal_store_pool_free(seal_store_pool *pool);

/* The schema version the database had when it was opened, the one it has now (this
 * sealsvc's: opening migrates), and the database's URL without any password. */
void seal_store_schema(const seal_store *st, int *found, int *current, const char **db_url);
const char *seal_store_data_dir(const seal_store *st);

/* Institutions. The credit code is checked (GB 32100). */
int seal_store_add_institution(seal_store *st, const char *name, const char *credit_code,
                               int64_t *id_out);
/* Finds an institution by credit code: SEAL_ENOTFOUND when there is none. `name_out`
 * (may be NULL) receives its name (caller frees with g_free). */
int seal_store_find_institution(seal_store *st, const char *credit_code, int64_t *id_out,
                                char **name_out);

typedef struct seal_record {
    char *id;    /* "demo-official-1", chosen at creation, unique */
    char *name;  /* the seal's name, e.g. "北京某某有限公司" */
    char *kind;  /* "official", "contract", "finance", "personal"... */
    char *shape; /* "round", "oval", "square" */
    int64_t institution_id;
    char *owner;      /* institution name (joined) */
    char *owner_code; /* institution credit code (joined) */
    seal_key_alg alg;
    seal_buf cert_pem;  /* the signing certificate */
    seal_buf chain_pem; /* its issuing CA certificates */
    seal_buf key_pem;   /* the private key, encrypted under the seal PIN and the KEK; empty
                           when the key lives on a PKCS#11 token */
    char *key_uri;      /* the RFC 7512 URI of the key on its token (no PIN), or NULL */
    seal_buf image_png;
    double width_mm, height_mm;
    seal_buf esl; /* the GB/T 38540 SESeal, DER */
    time_t valid_start, valid_end;
    char *state; /* the lifecycle's: "made", "filed", "active", "frozen", "lost",
                    "cancelled" (docs/lifecycle.md); a stamp needs "active" */
    bool locked; /* after SEAL_STORE_MAX_PIN_FAILURES wrong PINs, or by an administrator:
                    no stamp until unlocked, whatever the state */
    int pin_failures;
    /* The holder of a personal seal, given to seal_store_create_seal: a name and a
     * resident identity number (GB 11643-1999), kept encrypted under the KEK. Other kinds
     * have none. seal_store_get_seal leaves both NULL (seal_store_get_holder reads them,
     * the number masked); seal_record_clear wipes the number. */
    char *holder_name;
    char *holder_id;
} seal_record;

void seal_record_clear(seal_record *r);

int seal_store_add_seal(seal_store *st, const seal_record *r);
/* A new 13-digit seal code for an institution (its division code, then random digits),
 * used as the SESeal esID and drawn on the lower arc of round seals. */
int seal_store_seal_code(char out[14], const char *credit_code);
/* Makes and keeps a new seal. The caller fills in r's id, name, kind, shape,
 * institution_id, cert_pem, chain_pem, image_png, size and validity window; this
 * encrypts `key` under `pin` into r->key_pem, has `maker` sign a v4 SESeal (GB/T 38540)
 * with esID `es_id` (NULL: a new seal code) binding r's certificate, picture, size and
 * validity into r->esl, and stores the record: "made" when an application for r->id is
 * open (seal_store_seal_apply; same institution and kind), else "active" (made, filed and
 * activated at once, each recorded as a lifecycle event). r->owner and r->owner_code
 * are filled in. With institution_id 0, r->owner and r->owner_code name a new
 * institution, registered (credit code checked) in the same transaction as the seal:
 * a seal that is refused registers nothing. A personal seal needs r->holder_name and a
 * valid r->holder_id (SEAL_EINVAL naming the problem, never the number); another kind
 * must have neither. The new seal is recorded in the audit trail as made by `actor`, in
 * the same transaction. With `key` NULL and r->key_uri set, the key lives on a PKCS#11
 * token: nothing of it is stored but the URI (checked by seal_pkcs11_uri_check), and
 * `pin`, the token's PIN, must open the token and the key must be the certificate's
 * (seal_signer_new_pkcs11 is tried with them). */
int seal_store_create_seal(seal_store *st, seal_record *r, const char *es_id, EVP_PKEY *key,
                           const char *pin, const seal_signer *maker, const char *actor);
/* SEAL_ENOTFOUND naming the id when there is no such seal. */
int seal_store_get_seal(seal_store *st, const char *id, seal_record *out);
/* Readies seal r's picture for drawing into a document: the streams made from it when the
 * seal was made (picture.c) go into the process's picture cache, so that a stamp copies
 * them instead of decoding and compressing the picture again. A stamp calls it before it
 * prepares the appearance; reading a seal for anything else does not pay for it. Whatever
 * fails only costs the stamp the time to make the streams itself. */
void seal_store_picture_ready(seal_store *st, const seal_record *r);
/* Every seal id, in creation order (caller frees with g_strfreev). */
int seal_store_list_seals(seal_store *st, char ***ids_out);

/* The holder of personal seal `seal_id`: *name_out (caller frees with g_free) and the
 * resident ID masked for display ("110105********002X"); the full number never leaves
 * the store. SEAL_ENOTFOUND when the seal records no holder. When the number cannot be
 * decrypted (the key-encryption key missing or another one, the value altered) the code
 * says why, *name_out is still set and id_masked_out is "?". */
int seal_store_get_holder(seal_store *st, const char *seal_id, char **name_out,
                          char id_masked_out[19]);

/* Resolves a seal for stamping: it must be active, not locked, and within its validity
 * window now (another state is SEAL_EPOLICY naming it);
 * the PIN must decrypt its key (a wrong PIN is SEAL_EAUTH and counts towards the lock,
 * a right one resets the count). On success *signer_out signs with the seal's
 * certificate and chain, and *record_out (may be NULL) receives the record. For a seal
 * whose key is on a PKCS#11 token the PIN is the token's and *signer_out is a PKCS#11
 * signer: a PIN the token refuses counts the same way, a locked token PIN is
 * SEAL_EPOLICY saying so (and counts nothing). */
int seal_store_unlock_seal(seal_store *st, const char *id, const char *pin,
                           seal_signer **signer_out, seal_record *record_out);
/* The same for a seal record already read (by seal_store_get_seal; the key rewrapped for
 * a key stored by an earlier sealsvc is updated in `r`). With `pin` NULL the signature is
 * made elsewhere: the seal must be usable, and *signer_out is an external signer
 * (seal_signer_new_external) that knows the certificate and chain. */
int seal_store_seal_signer(seal_store *st, seal_record *r, const char *pin,
                           seal_signer **signer_out);

/* ---- the seal lifecycle (store/seal_state.c, docs/lifecycle.md) ----
 * applied -> made -> filed -> active <-> frozen; lost; cancelled. Each change is one
 * transaction with an event (from, to, when, who, why) and an audit record ("seal:ID", by
 * `actor`, `why` in the detail; never put a PIN there). */

/* An administrator's change of a seal: a lifecycle event ("file": made -> filed,
 * "activate": filed -> active, "freeze": active -> frozen, "unfreeze": frozen -> active,
 * "report-lost": made, filed, active or frozen -> lost, "cancel": any but cancelled ->
 * cancelled, for good; "revoke" is cancel's older name) or the lock flag ("lock": no stamp
 * until unlocked; "unlock": the wrong-PIN count back to 0). A change the seal's state does
 * not allow is refused (SEAL_EPOLICY) naming its state; an unknown id is SEAL_ENOTFOUND. */
int seal_store_seal_action(seal_store *st, const char *id, const char *action, const char *actor,
                           const char *why);
/* The state lifecycle event `event` (file, activate, freeze, unfreeze, report-lost, cancel;
 * revoke, cancel's older name) leads to, a string that lives for good: what a refusal
 * names beside the seal's state. SEAL_EINVAL naming the events for another word (the lock
 * is no lifecycle event). */
int seal_lifecycle_target(const char *event, const char **state_out);
/* An application for seal `id` (the state `applied`): the institution (by credit code,
 * registered), the seal's name and kind. `seal_store_create_seal` with this id then makes
 * it (`made`; it must be filed and activated before it stamps). SEAL_EEXISTS when the id
 * is taken by a seal or an application. */
int seal_store_seal_apply(seal_store *st, const char *id, const char *credit_code, const char *name,
                          const char *kind, const char *actor, const char *why);
/* The state seal (or application) `id` had at time `at` (caller frees with g_free):
 * SEAL_ENOTFOUND when it did not exist yet then. */
int seal_store_seal_state_at(seal_store *st, const char *id, time_t at, char **state_out);

typedef struct seal_state_event {
    time_t at;
    char *event;     /* "apply", "make", "file", "activate", "freeze"... */
    char *from, *to; /* from is NULL for the first event */
    char *actor, *why;
} seal_state_event;

/* Every lifecycle event of `id`, oldest first (empty for a seal stored by
 * seal_store_add_seal alone). */
int seal_store_seal_history(seal_store *st, const char *id, seal_state_event **out, size_t *n);
void seal_state_events_free(seal_state_event *e, size_t n);

/* ---- pending stamps (store/pending.c) ----
 * A two-phase stamp waiting for its signature (DESIGN.md "Two-phase stamping"): prepared by
 * one process, finished by the same or another one sharing the store. The store keeps the
 * prepared stamp (seal_pending_stamp_save's bytes) and what the driver must know to
 * finish it; the prepared file it names stays on disk beside the output until the stamp
 * is finished, abandoned or expired. */
typedef struct seal_pending_record {
    char id[33]; /* 32 hex digits, chosen by seal_store_pending_put */
    char *seal_id, *actor;
    char *format, *input, *output;         /* "PDF" / "OFD", the paths as given */
    char *how;                             /* the audit record's "how" ("PAdES B-T, certifying") */
    size_t places;                         /* 0: invisible */
    int level;                             /* seal_stamp_level */
    char *tsa_url, *tsa_hash, *tsa_policy; /* with a timestamp; NULL otherwise */
    char *alg;                             /* the signature algorithm the signer must use */
    time_t created, expires;
    bool finishing;   /* claimed by a finish that is running (or died, see _claim) */
    int64_t grant_id; /* the grant the stamp uses (checked at prepare, counted at finish); 0 */
    seal_buf stamp;   /* seal_pending_stamp_save() */
} seal_pending_record;

void seal_pending_record_clear(seal_pending_record *r);
void seal_pending_records_free(seal_pending_record *r, size_t n);

/* Keeps `r` (its id is chosen here, written into r->id) and, in the same transaction, its
 * audit record: "stamp-prepared" about "seal:ID" by r->actor, `what` followed by ", pending
 * ID for an external signature (ALG), expires in N s". */
int seal_store_pending_put(seal_store *st, seal_pending_record *r, const char *what);
/* Takes pending stamp `id` for finishing at `now`, so that no other process finishes it at
 * the same time, and reads it into *out. SEAL_ENOTFOUND when there is none (finished,
 * expired and removed, or never prepared); SEAL_EPOLICY when it expired (it is then
 * removed: *out still receives it, so the caller can abandon its prepared file) or another
 * finish holds it. A claim older than SEAL_PENDING_CLAIM_STALE seconds is taken over: its
 * process died. */
#define SEAL_PENDING_CLAIM_STALE 600
int seal_store_pending_claim(seal_store *st, const char *id, time_t now, seal_pending_record *out);
/* Gives a claimed stamp back (its finish failed; it may be finished again). */
int seal_store_pending_release(seal_store *st, const char *id);
/* Removes it (finished or abandoned). */
int seal_store_pending_remove(seal_store *st, const char *id);
/* Pending stamp `id` as it is, without its prepared data (out->stamp empty) and without
 * claiming it: what a finish will need (its level) before it starts. SEAL_ENOTFOUND when
 * there is none. */
int seal_store_pending_get(seal_store *st, const char *id, seal_pending_record *out);
/* Every pending stamp, oldest first, without their prepared data (r->stamp empty). */
int seal_store_pending_list(seal_store *st, seal_pending_record **out, size_t *n);
/* Removes every stamp that expired before `now` and hands them to the caller (with their
 * data), to abandon what they left on disk; not one a finish holds (unless its claim is
 * stale): that finish is using its prepared file. */
int seal_store_pending_take_expired(seal_store *st, time_t now, seal_pending_record **out,
                                    size_t *n);

/* ---- API keys (store/apikey.c) ----
 * Who may call the HTTP service. A key is shown once when made; the store keeps only a
 * MAC of it (HMAC-SHA256 under a key derived from the key-encryption key). Roles: "admin"
 * (everything), "portal" and "clerk" (stamp with their institution's seals), "auditor"
 * (reads only). A key with an institution (its credit code) acts for that institution
 * only. */
typedef struct seal_apikey_record {
    char id[17];       /* "key-" and 12 hex digits, chosen by seal_store_apikey_create */
    char *role;        /* "admin", "portal", "clerk", "auditor" */
    char *institution; /* a credit code, or NULL: the whole platform */
    char *label;       /* what it is for ("portal of the X bureau"), or NULL */
    time_t created;
    time_t expires; /* 0: never */
    time_t revoked; /* 0: not revoked */
    /* What the key's stamps do with the findings of the input's examination: "strict",
     * "warn", "off"; NULL: the platform's default (docs/stamping.md). */
    char *input_policy;
} seal_apikey_record;

void seal_apikey_record_clear(seal_apikey_record *r);
void seal_apikey_records_free(seal_apikey_record *r, size_t n);

/* SEAL_EINVAL naming the role unless it is one of the four. */
int seal_apikey_role_check(const char *role);
/* Makes a key with r's role, institution (must exist; not for admin), label and expiry
 * (0: never; else in the future);
 * fills r->id and r->created, and hands the key's text (the only time it exists; wipe and
 * g_free it) in *key_out. Audited ("apikey-create") as by `actor`. */
int seal_store_apikey_create(seal_store *st, seal_apikey_record *r, char **key_out,
                             const char *actor);
/* The key whose text is `key`, when it may be used at `now`: SEAL_EAUTH for a text that
 * is no key of this platform, a revoked or an expired key (the message says which, and
 * for these two *out is still filled); never names the text. */
int seal_store_apikey_check(seal_store *st, const char *key, time_t now, seal_apikey_record *out);
/* Every key (revoked ones too), oldest first. */
int seal_store_apikey_list(seal_store *st, seal_apikey_record **out, size_t *n);
/* Revokes key `id` for good, audited ("apikey-revoke") as by `actor`. SEAL_ENOTFOUND when
 * there is no such key or it is revoked already. */
int seal_store_apikey_revoke(seal_store *st, const char *id, const char *actor);

/* ---- people, institutions and roles (store/person.c) ----
 * A person: a name, a resident ID (GB 11643-1999, checked) and optionally a mainland
 * mobile number (checked), both kept encrypted under a key derived from the KEK; the store
 * hands out only their masked forms ("110105********002X", "138****5678"), and no message
 * or audit record carries more. Roles in an institution: "legal-representative" (one),
 * "seal-administrator" (at most SEAL_MAX_SEAL_ADMINISTRATORS), "handler". Every change is
 * audited as by `actor` in the same transaction. */
#define SEAL_MAX_SEAL_ADMINISTRATORS 5

typedef struct seal_person_record {
    int64_t id;
    char *name;
    char id_masked[19];     /* "110105********002X" */
    char mobile_masked[12]; /* "138****5678"; empty when none is recorded */
    time_t created;
    /* When the numbers were deleted, their retention time past (seal/retention.h); 0 while
     * they are kept. The name and masked resident ID stay. */
    time_t erased;
} seal_person_record;

void seal_person_record_clear(seal_person_record *p);
void seal_person_records_free(seal_person_record *p, size_t n);

/* Registers a person (`mobile` may be NULL). SEAL_EINVAL naming what is wrong with the
 * name, the ID or the mobile number, never the number; SEAL_EEXISTS when a person with
 * this resident ID is registered (the message shows it masked). */
int seal_store_person_add(seal_store *st, const char *name, const char *resident_id,
                          const char *mobile, const char *actor, int64_t *id_out);
/* SEAL_ENOTFOUND when there is no such person. */
int seal_store_person_get(seal_store *st, int64_t id, seal_person_record *out);
/* The person with this resident ID (found by a MAC of it, never by the number). */
int seal_store_person_find(seal_store *st, const char *resident_id, seal_person_record *out);
/* Every person, in registration order (those whose numbers were deleted too). */
int seal_store_person_list(seal_store *st, seal_person_record **out, size_t *n);

typedef struct seal_institution_record {
    int64_t id;
    char *name, *credit_code; /* once erased: "" and "erased:ID" */
    time_t created;
    time_t erased; /* when its name and credit code were deleted (seal/retention.h); 0: kept */
} seal_institution_record;

void seal_institution_records_free(seal_institution_record *r, size_t n);
/* seal_store_add_institution, audited ("institution-add") in the same transaction. */
int seal_store_institution_register(seal_store *st, const char *name, const char *credit_code,
                                    const char *actor, int64_t *id_out);
/* Every institution, in registration order. */
int seal_store_institution_list(seal_store *st, seal_institution_record **out, size_t *n);

/* SEAL_EINVAL naming the role unless it is one of the three. */
int seal_role_check(const char *role);

typedef struct seal_role_record {
    int64_t person_id;
    char *person_name;
    int64_t institution_id;
    char *institution_name, *credit_code;
    char *role;
    time_t since;
} seal_role_record;

void seal_role_records_free(seal_role_record *r, size_t n);
/* Gives person `person_id` `role` in the institution with `credit_code`. SEAL_EPOLICY for
 * a second legal representative or a sixth seal administrator; SEAL_EEXISTS when the
 * person has the role already. */
int seal_store_role_grant(seal_store *st, const char *credit_code, int64_t person_id,
                          const char *role, const char *actor);
/* Takes it back; SEAL_ENOTFOUND when the person does not have it. Grants the person made
 * or holds are not touched (revoke them apart: seal_store_grant_revoke). */
int seal_store_role_revoke(seal_store *st, const char *credit_code, int64_t person_id,
                           const char *role, const char *actor);
/* The roles of one institution (credit_code, or NULL: all) and one person (person_id, or
 * 0: all), by institution, role and person. */
int seal_store_role_list(seal_store *st, const char *credit_code, int64_t person_id,
                         seal_role_record **out, size_t *n);

/* ---- grants: who may use which seal, for what, how long, how often (store/grant.c) ----
 * A seal administrator of the seal's institution (the grantor) grants a person of that
 * institution (the grantee) the use of a seal, optionally for one project or tender
 * number, from not_before to not_after, up to max_uses times (0: no limit). An exclusive
 * grant takes the seal on its first use: from then until the grant ends (used up, expired
 * or revoked) no one else may use the seal, with another grant or without one. A seal
 * needs a grant to stamp when an administrator said so (seal_store_seal_require_grant);
 * otherwise a grant is optional, and a stamp with one is held to it all the same. */
typedef enum seal_grant_state {
    SEAL_GRANT_ACTIVE = 0,
    SEAL_GRANT_NOT_YET_VALID,
    SEAL_GRANT_USED_UP,
    SEAL_GRANT_EXPIRED,
    SEAL_GRANT_REVOKED,
} seal_grant_state;

/* "active", "not-yet-valid", "used-up", "expired", "revoked". */
const char *seal_grant_state_name(seal_grant_state s);

typedef struct seal_grant_record {
    int64_t id; /* chosen by seal_store_grant_add */
    char *seal_id;
    int64_t grantor_id, grantee_id;
    char *grantor_name, *grantee_name; /* read back; not needed to add */
    char *project;                     /* a project or tender number, or NULL */
    time_t not_before, not_after;
    int64_t max_uses; /* 0: no limit */
    int64_t uses;
    bool exclusive;
    time_t claimed; /* exclusive: the first use; 0 before it */
    time_t revoked; /* 0: not revoked */
    char *revoke_reason;
    time_t created;
    char *created_by;
} seal_grant_record;

void seal_grant_record_clear(seal_grant_record *g);
void seal_grant_records_free(seal_grant_record *g, size_t n);
/* The state of `g` at `now`: revoked, else used up, else not yet valid or expired by its
 * window, else active. */
seal_grant_state seal_grant_state_at(const seal_grant_record *g, time_t now);

/* Adds grant `g` (seal_id, grantor_id, grantee_id, project, window, max_uses, exclusive),
 * filling g->id and g->created; audited ("grant-add", target "seal:ID"). SEAL_EPOLICY when
 * the grantor is not a seal administrator of the seal's institution or the grantee has
 * no role in it; SEAL_EINVAL for an empty window or a negative use count. */
int seal_store_grant_add(seal_store *st, seal_grant_record *g, const char *actor);
/* SEAL_ENOTFOUND when there is no such grant. */
int seal_store_grant_get(seal_store *st, int64_t id, seal_grant_record *out);
/* The grants of seal `seal_id` (NULL: every seal), oldest first. */
int seal_store_grant_list(seal_store *st, const char *seal_id, seal_grant_record **out, size_t *n);
/* The grants made to person `grantee_id` (every state), by seal and age: what the clerk
 * desk shows its clerk. */
int seal_store_grant_list_for(seal_store *st, int64_t grantee_id, seal_grant_record **out,
                              size_t *n);
/* Revokes grant `id` for good, `why` in the audit record ("grant-revoke"). SEAL_ENOTFOUND
 * when there is no such grant, SEAL_EPOLICY when it is revoked already. */
int seal_store_grant_revoke(seal_store *st, int64_t id, const char *why, const char *actor);

/* Whether seal `seal_id` stamps only with a grant; set by an administrator, audited
 * ("seal-grant-rule"). Seals start without the rule. */
int seal_store_seal_require_grant(seal_store *st, const char *seal_id, bool required,
                                  const char *actor);
int seal_store_seal_requires_grant(seal_store *st, const char *seal_id, bool *required);

/* May seal `seal_id` be used at `now` with grant `grant_id` (0: none)? Read only: what the
 * stamp driver asks before it starts. SEAL_EPOLICY with the reason when not: the seal
 * needs a grant, the grant is for another seal, not yet valid, expired, revoked or used
 * up, or another grantee's exclusive grant holds the seal. *grant_out (may be NULL)
 * receives the grant when one is given. */
int seal_store_use_check(seal_store *st, const char *seal_id, int64_t grant_id, time_t now,
                         seal_grant_record *grant_out);
/* Records one use of seal `seal_id` at `now`: in one transaction, under the seal's writer
 * lock, the same check as seal_store_use_check, the grant's use counted (and an exclusive
 * grant claimed), the pending stamp `pending_id` this use finishes removed (NULL: none),
 * and the audit record (`action`, "seal:ID", the detail, ", grant N use K of M" appended)
 * written: all or nothing. A refusal writes nothing. */
int seal_store_use_record(seal_store *st, const char *seal_id, int64_t grant_id,
                          const char *pending_id, time_t now, const char *actor, const char *action,
                          const char *fmt, ...) __attribute__((format(printf, 8, 9)));

/* ---- the clerk desk's passwords and sessions (store/password.c, store/desk.c) ----
 * A person may have a desk password (an Argon2id hash is kept). A login with it opens a
 * session: a random token the browser keeps in a cookie (the store keeps its SHA-256), a
 * CSRF token, the person and the institution they act for (their role's: a handler's
 * first). Wrong passwords are counted and audited: after `slow_after` of them the caller
 * is told to answer slower, after `lock_after` the account locks for `lock_for` seconds;
 * a success resets the count. */
typedef struct seal_desk_policy {
    unsigned idle;       /* seconds a session lives without a request */
    unsigned lifetime;   /* seconds a session lives at most */
    unsigned slow_after; /* wrong passwords after which answers are delayed */
    unsigned lock_after; /* wrong passwords that lock the account */
    unsigned lock_for;   /* seconds the lock lasts */
} seal_desk_policy;

typedef struct seal_desk_session {
    int64_t person_id;
    char *person_name;
    char *institution_code, *institution_name;
    char csrf[44]; /* base64url of 32 random bytes */
    time_t created, last_seen, expires;
} seal_desk_session;

void seal_desk_session_clear(seal_desk_session *s);

/* SEAL_EINVAL unless `password` is acceptable: UTF-8, 8 characters to 1024 bytes. */
int seal_password_check(const char *password);
/* The Argon2id encoded hash of `password` (t=3, m=64 MiB, p=1, a 16-byte random salt) in
 * *out (g_free). */
int seal_password_hash(char **out, const char *password);
/* 0 when `password` matches `encoded`; SEAL_EAUTH when not; SEAL_EFORMAT when `encoded` is
 * not a well-formed Argon2id hash. */
int seal_password_verify(const char *encoded, const char *password);

/* Sets person `person_id`'s desk password (seal_password_check), clears the failure count
 * and any lock, ends their open sessions; audited ("person-password") as by `actor`. */
int seal_store_person_password_set(seal_store *st, int64_t person_id, const char *password,
                                   const char *actor);
/* A login at `now` from `from` (the client's address, for the audit): 0 with the session in
 * *out and its token in *token_out (wipe and g_free; shown only to the browser); audited
 * ("desk-login"). SEAL_EAUTH for a wrong password, an unknown person or one without a
 * password (the same message for all three), counted and audited ("desk-login-failed");
 * *wait_out is then the seconds to hold the answer back (0 before `slow_after`).
 * SEAL_EPOLICY when the account is locked (*wait_out: the seconds until it unlocks;
 * audited "desk-login-locked" when this failure locks it, "desk-login-refused" after) or,
 * with *wait_out 0, when the person has no role in any institution. */
int seal_store_desk_login(seal_store *st, int64_t person_id, const char *password, time_t now,
                          const seal_desk_policy *policy, const char *from, seal_desk_session *out,
                          char **token_out, unsigned *wait_out);
/* The session whose token is `token`, at `now`: 0 with *out, its last use moved to now.
 * SEAL_EAUTH for a token of no session (logged out, never made) or of one that expired
 * (idle for policy->idle seconds or past its lifetime: it is removed) or whose person lost
 * their role in its institution. */
int seal_store_desk_session_check(seal_store *st, const char *token, time_t now,
                                  const seal_desk_policy *policy, seal_desk_session *out);
/* Ends the session whose token is `token`; audited ("desk-logout"). SEAL_EAUTH when there
 * is none. */
int seal_store_desk_logout(seal_store *st, const char *token);

/* ---- remote signing's signature activation data (store/sad.c, docs/csc.md) ----
 * The SAD the CSC API's credentials/authorize issues once the seal's PIN was right, and
 * signatures/signHash presents: a token MAC'd with a key derived from the key-encryption
 * key (any instance sharing the database checks it), with the PIN sealed inside it. */
#define SEAL_SAD_MAX_HASHES 64

typedef struct seal_sad {
    char id[33];            /* random, lower-case hex; chosen by seal_store_sad_issue */
    char *seal_id;          /* the credential */
    char *caller;           /* the API key it was issued to */
    int64_t grant_id;       /* the grant its signatures use; 0: none */
    char **hashes;          /* the hashes it authorises, lower-case hex (NULL-terminated) */
    size_t n_hashes;        /* up to SEAL_SAD_MAX_HASHES; 0: documents (signDoc), not hashes */
    int64_t num_signatures; /* how many of them may be signed */
    time_t expires;
    char *pin; /* the seal's PIN; seal_sad_clear wipes it */
} seal_sad;

void seal_sad_clear(seal_sad *s);
/* A SAD for `s` (its id filled in) in *token_out (g_free). */
int seal_store_sad_issue(seal_store *st, seal_sad *s, char **token_out);
/* The claims of SAD `token` in *out: SEAL_EAUTH when it is not one this platform issued
 * (altered, another key-encryption key). Its expiry is the caller's to judge. */
int seal_store_sad_open(seal_store *st, const char *token, seal_sad *out);
/* Spends `n` of SAD s's hashes (lower-case hex; for signDoc, the documents' SHA-256) at `now`, for
 * every instance at once: SEAL_EPOLICY when that is more signatures than it authorises,
 * SEAL_EEXISTS when one of them was signed with it already; nothing is spent then. */
int seal_store_sad_spend(seal_store *st, const seal_sad *s, const char *const *hashes, size_t n,
                         time_t now);

#ifdef __cplusplus
}
#endif
#endif
