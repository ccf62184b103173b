/* The audit trail: one record per operation on the platform (a seal made, used, frozen;
 * a certificate issued, revoked; an API key made), each linked to the one before, so that
 * an edited, inserted or deleted record shows. Written in the same transaction as the
 * change it records (the store's and the CA's operations, the stamp driver); read by
 * `sealsvc audit` and the HTTP API.
 *
 * The link: records written since schema version 8 are keyed (HMAC-SHA256 under a key
 * derived from the KEK, store_kek_derive), so that someone who can write the database but
 * lacks the KEK cannot rewrite the trail consistently; older records keep their plain
 * SHA-256 link and stay verifiable. The row of audit_keyed_from, written by the migration
 * and MACed under the key, pins the last unkeyed record (its id and hash): a record after
 * it that is not keyed is a downgrade, and the old records cannot be rewritten either. */
#include "store/store_internal.h"

#include <seal/audit.h>
#include <seal/error.h>

#include <glib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The label of the audit key: it MACs the trail and nothing else. */
#define AUDIT_KEY_LABEL "sealsvc audit chain v1"
#define LINK_HEX        65

typedef struct audit_link {
    EVP_MAC_CTX *mac; /* NULL: the plain SHA-256 of records before the key */
    EVP_MD_CTX *md;
} audit_link;

/* Starts a link: HMAC-SHA256 under `key`, or SHA-256 with `key` NULL. */
static int link_start(audit_link *l, const uint8_t *key)
{
    int rc = 0;
    EVP_MAC *hmac = NULL;
    memset(l, 0, sizeof *l);
    if (key) {
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
            OSSL_PARAM_construct_end(),
        };
        hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        l->mac = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
        SEAL_ENSURE(l->mac && EVP_MAC_init(l->mac, key, STORE_KEK_DERIVED_BYTES, params) == 1,
                    SEAL_ECRYPTO, "cannot start the audit trail's HMAC");
    } else {
        l->md = EVP_MD_CTX_new();
        SEAL_ENSURE(l->md && EVP_DigestInit_ex(l->md, EVP_sha256(), NULL) == 1, SEAL_ECRYPTO,
                    "cannot start the audit trail's hash");
    }
out:
    EVP_MAC_free(hmac);
    return rc;
}

static void link_add(audit_link *l, const char *text)
{
    size_t len = strlen(text);
    if (l->mac)
        EVP_MAC_update(l->mac, (const uint8_t *)text, len);
    else
        EVP_DigestUpdate(l->md, text, len);
}

static int link_end(audit_link *l, char out[LINK_HEX])
{
    uint8_t v[EVP_MAX_MD_SIZE];
    size_t len = 0;
    unsigned md_len = 0;
    int ok = l->mac ? EVP_MAC_final(l->mac, v, &len, sizeof v) == 1
                    : EVP_DigestFinal_ex(l->md, v, &md_len) == 1;
    if (!l->mac)
        len = md_len;
    EVP_MAC_CTX_free(l->mac);
    EVP_MD_CTX_free(l->md);
    memset(l, 0, sizeof *l);
    if (!ok || len != 32)
        return seal_error_set(SEAL_ECRYPTO, "cannot compute an audit record's link");
    for (size_t i = 0; i < len; i++)
        snprintf(out + 2 * i, 3, "%02x", v[i]);
    return 0;
}

/* The link of a record: over the previous record's link and each field, length-prefixed
 * so that no two different records link alike; keyed with `key`, or plain SHA-256 (the
 * records before schema version 8) with `key` NULL. */
static int audit_link_of(char out[LINK_HEX], const uint8_t *key, const char *prev, int64_t id,
                         time_t at, const char *actor, const char *action, const char *target,
                         const char *detail)
{
    audit_link l;
    char head[64];
    int rc = link_start(&l, key);
    if (rc < 0)
        return rc;
    snprintf(head, sizeof head, "%lld|%lld|", (long long)id, (long long)at);
    link_add(&l, prev);
    link_add(&l, head);
    const char *fields[] = {actor, action, target, detail};
    for (size_t i = 0; i < 4; i++) {
        char len[24];
        snprintf(len, sizeof len, "%zu:", strlen(fields[i]));
        link_add(&l, len);
        link_add(&l, fields[i]);
    }
    return link_end(&l, out);
}

/* The MAC of the keyed-from pin: the last unkeyed record's id and link. */
static int pin_mac(char out[LINK_HEX], const uint8_t *key, int64_t last_unkeyed,
                   const char *last_hash)
{
    audit_link l;
    char text[64];
    int rc = link_start(&l, key);
    if (rc < 0)
        return rc;
    snprintf(text, sizeof text, "audit keyed from|%lld|", (long long)last_unkeyed);
    link_add(&l, text);
    link_add(&l, last_hash);
    return link_end(&l, out);
}

static int audit_key(seal_store *st, uint8_t key[STORE_KEK_DERIVED_BYTES])
{
    int rc = store_kek_derive(st, AUDIT_KEY_LABEL, key);
    if (rc < 0)
        seal_error_wrap(rc, "the audit trail is keyed with the key-encryption key");
    return rc;
}

/* The trail's head under its lock: the last record's id (0: none) and link. One chain with
 * many writers: the head is read and extended under the lock, so two instances never both
 * link to the same record. */
static int read_head(seal_db *db, int64_t *last, char link[LINK_HEX])
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    *last = 0;
    link[0] = '\0';
    SEAL_TRY(seal_db_lock(db, "audit"));
    SEAL_TRY(seal_db_prepare(db, &stmt, "reading the audit trail's head",
                             "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1"));
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    if (step == SEAL_DB_ROW) {
        const char *h = NULL;
        SEAL_TRY(seal_db_column_int64(stmt, 0, last));
        SEAL_TRY(seal_db_column_text(stmt, 1, &h));
        g_strlcpy(link, h ? h : "", LINK_HEX);
    }
out:
    seal_db_finalize(stmt);
    return rc;
}

int audit_pin_in_migration(seal_store *st)
{
    seal_db *db = store_db(st);
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    uint8_t key[STORE_KEK_DERIVED_BYTES];
    char last_hash[LINK_HEX], mac[LINK_HEX];
    int64_t last = 0;
    SEAL_TRY(audit_key(st, key));
    SEAL_TRY(read_head(db, &last, last_hash));
    SEAL_TRY(pin_mac(mac, key, last, last_hash));
    SEAL_TRY(seal_db_prepare(db, &stmt, "pinning where the keyed audit trail begins",
                             "INSERT INTO audit_keyed_from (one, last_unkeyed, last_hash, mac) "
                             "VALUES (1, ?1, ?2, ?3)"));
    seal_db_bind_int64(stmt, 1, last);
    seal_db_bind_text(stmt, 2, last_hash);
    seal_db_bind_text(stmt, 3, mac);
    SEAL_TRY(seal_db_step(stmt));
out:
    OPENSSL_cleanse(key, sizeof key);
    seal_db_finalize(stmt);
    return rc;
}

/* One record at the head of the trail: keyed, or (`keyed` false, only for a migration that
 * runs before the trail was keyed, whose table has no `keyed` column yet) with the plain
 * link of the records before schema version 8. */
static int audit_insert(seal_store *st, bool keyed, const char *actor, const char *action,
                        const char *target, const char *detail)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    uint8_t key[STORE_KEK_DERIVED_BYTES];
    char prev[LINK_HEX], hash[LINK_HEX];
    int64_t last = 0;
    time_t at = time(NULL);
    if (keyed)
        SEAL_TRY(audit_key(st, key));
    SEAL_TRY(read_head(store_db(st), &last, prev));
    SEAL_TRY(
        audit_link_of(hash, keyed ? key : NULL, prev, last + 1, at, actor, action, target, detail));
    SEAL_TRY(store_prepare(st, &stmt, "writing an audit record",
                           keyed ? "INSERT INTO audit (id, at, actor, action, target, detail, "
                                   "prev_hash, hash, keyed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                                   "?8, 1)"
                                 : "INSERT INTO audit (id, at, actor, action, target, detail, "
                                   "prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
    seal_db_bind_int64(stmt, 1, last + 1);
    seal_db_bind_int64(stmt, 2, (int64_t)at);
    seal_db_bind_text(stmt, 3, actor);
    seal_db_bind_text(stmt, 4, action);
    seal_db_bind_text(stmt, 5, target);
    seal_db_bind_text(stmt, 6, detail);
    seal_db_bind_text(stmt, 7, prev);
    seal_db_bind_text(stmt, 8, hash);
    SEAL_TRY(seal_db_step(stmt));
out:
    OPENSSL_cleanse(key, sizeof key);
    seal_db_finalize(stmt);
    return rc;
}

/* fmt is checked at the callers, which are printf-like themselves (format attribute,
 * archetype printf with no variadic arguments here). */
static int audit_v(seal_store *st, const char *actor, const char *action, const char *target,
                   const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static int audit_v(seal_store *st, const char *actor, const char *action, const char *target,
                   const char *fmt, va_list ap)
{
    char *detail = g_strdup_vprintf(fmt, ap);
    int rc = audit_insert(st, true, actor ? actor : "?", action, target, detail);
    g_free(detail);
    return rc;
}

int store_audit_in_tx(seal_store *st, const char *actor, const char *action, const char *target,
                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = audit_v(st, actor, action, target, fmt, ap);
    va_end(ap);
    return rc;
}

int audit_plain_in_migration(seal_store *st, const char *actor, const char *action,
                             const char *target, const char *detail)
{
    return audit_insert(st, false, actor, action, target, detail);
}

int seal_store_audit(seal_store *st, const char *actor, const char *action, const char *target,
                     const char *fmt, ...)
{
    int rc = store_begin(st);
    if (rc < 0)
        return rc;
    va_list ap;
    va_start(ap, fmt);
    rc = audit_v(st, actor, action, target, fmt, ap);
    va_end(ap);
    if (rc < 0) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st);
}

void seal_audit_records_free(seal_audit_record *records, size_t n)
{
    for (size_t i = 0; records && i < n; i++) {
        g_free(records[i].actor);
        g_free(records[i].action);
        g_free(records[i].target);
        g_free(records[i].detail);
    }
    g_free(records);
}

int seal_store_audit_list(seal_store *st, const char *target, seal_audit_record **out, size_t *n)
{
    return seal_store_audit_find(st, target, NULL, out, n);
}

int seal_store_audit_find(seal_store *st, const char *target, const char *text,
                          seal_audit_record **out, size_t *n)
{
    seal_audit_query q = {.target = target, .text = text};
    return seal_store_audit_query(st, &q, out, n);
}

static void record_clear(seal_audit_record *r)
{
    g_free(r->actor);
    g_free(r->action);
    g_free(r->target);
    g_free(r->detail);
}

int seal_store_audit_query(seal_store *st, const seal_audit_query *q, seal_audit_record **out,
                           size_t *n)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    GArray *list = g_array_new(FALSE, TRUE, sizeof(seal_audit_record));
    GString *sql = g_string_new("SELECT id, at, actor, action, target, detail FROM audit");
    int params = 0;
    *out = NULL;
    *n = 0;
    /* Only the conditions asked for, their placeholders numbered in order (?1, ?2...). */
    const struct {
        bool given;
        const char *condition;
    } where[] = {
        {q->target != NULL, "target ="}, {q->action != NULL, "action ="},
        {q->actor != NULL, "actor ="},   {q->from != 0, "at >="},
        {q->to != 0, "at <="},           {q->after > 0, "id >"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(where); i++) {
        if (!where[i].given)
            continue;
        params++;
        g_string_append_printf(sql, " %s %s ?%d", params > 1 ? "AND" : "WHERE", where[i].condition,
                               params);
    }
    g_string_append(sql, " ORDER BY id");
    /* With a text to match, the rows to skip are not known before they are read. */
    bool sql_limit = q->limit > 0 && !q->text;
    if (sql_limit)
        g_string_append_printf(sql, " LIMIT ?%d", params + 1);
    SEAL_TRY(store_prepare(st, &stmt, "reading the audit trail", sql->str));
    int k = 1;
    if (q->target)
        seal_db_bind_text(stmt, k++, q->target);
    if (q->action)
        seal_db_bind_text(stmt, k++, q->action);
    if (q->actor)
        seal_db_bind_text(stmt, k++, q->actor);
    if (q->from)
        seal_db_bind_int64(stmt, k++, (int64_t)q->from);
    if (q->to)
        seal_db_bind_int64(stmt, k++, (int64_t)q->to);
    if (q->after > 0)
        seal_db_bind_int64(stmt, k++, q->after);
    if (sql_limit)
        seal_db_bind_int64(stmt, k++, (int64_t)q->limit);
    int step = SEAL_DB_DONE;
    while ((q->limit == 0 || list->len < q->limit) && (step = seal_db_step(stmt)) == SEAL_DB_ROW) {
        seal_audit_record r = {
            .id = store_column_int64(stmt, 0),
            .at = (time_t)store_column_int64(stmt, 1),
            .actor = store_column_text(stmt, 2),
            .action = store_column_text(stmt, 3),
            .target = store_column_text(stmt, 4),
            .detail = store_column_text(stmt, 5),
        };
        /* The text is matched here, not in SQL: the engines' LIKE differ in case and want
         * wildcards escaped; a substring is a substring. */
        if (q->text && (!r.detail || !strstr(r.detail, q->text))) {
            record_clear(&r);
            continue;
        }
        g_array_append_val(list, r);
    }
    if (q->limit == 0 || list->len < q->limit)
        SEAL_TRY(step);
    *n = list->len;
    *out = (seal_audit_record *)g_array_free(list, FALSE);
    list = NULL;
out:
    if (list) {
        size_t len = list->len;
        seal_audit_records_free((seal_audit_record *)g_array_free(list, FALSE), len);
    }
    seal_db_finalize(stmt);
    g_string_free(sql, TRUE);
    return rc;
}

/* The pin: where keyed records begin, checked under the key. */
static int read_pin(seal_store *st, const uint8_t *key, int64_t *last_unkeyed,
                    char last_hash[LINK_HEX], seal_audit_summary *out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    char mac[LINK_HEX];
    SEAL_TRY(
        store_prepare(st, &stmt, "reading where the keyed audit trail begins",
                      "SELECT last_unkeyed, last_hash, mac FROM audit_keyed_from WHERE one = 1"));
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    if (step != SEAL_DB_ROW) {
        snprintf(out->problem, sizeof out->problem,
                 "the record of where the keyed audit trail begins is missing: the trail was "
                 "tampered with");
        out->intact = false;
        goto out;
    }
    *last_unkeyed = store_column_int64(stmt, 0);
    const char *h = NULL, *m = NULL;
    if (seal_db_column_text(stmt, 1, &h) < 0 || seal_db_column_text(stmt, 2, &m) < 0) {
        seal_error_clear();
        h = m = NULL;
    }
    g_strlcpy(last_hash, h ? h : "", LINK_HEX);
    SEAL_TRY(pin_mac(mac, key, *last_unkeyed, last_hash));
    if (!m || CRYPTO_memcmp(mac, m, sizeof mac - 1) != 0 || strlen(m) != sizeof mac - 1) {
        snprintf(out->problem, sizeof out->problem,
                 "the record of where the keyed audit trail begins was changed: the trail was "
                 "rewritten without the key");
        out->intact = false;
    }
out:
    seal_db_finalize(stmt);
    return rc;
}

/* Checks one record against the one before (its link in `prev`): false with out->problem
 * set when it does not fit. */
static int check_record(const uint8_t *key, int64_t last_unkeyed, const char *pinned_hash,
                        const char *prev, int64_t id, time_t at, bool keyed, const char *f[6],
                        seal_audit_summary *out, bool *fits)
{
    char hash[LINK_HEX];
    *fits = false;
    if (id > last_unkeyed && !keyed) {
        snprintf(out->problem, sizeof out->problem,
                 "audit record %lld is not keyed, though every record after #%lld must be: the "
                 "trail was rewritten without the key",
                 (long long)id, (long long)last_unkeyed);
        return 0;
    }
    if (id <= last_unkeyed && keyed) {
        snprintf(out->problem, sizeof out->problem,
                 "audit record %lld is marked keyed, though keyed records begin after #%lld",
                 (long long)id, (long long)last_unkeyed);
        return 0;
    }
    int rc = audit_link_of(hash, keyed ? key : NULL, prev, id, at, f[0], f[1], f[2], f[3]);
    if (rc < 0)
        return rc;
    if (strcmp(f[4], prev) != 0 || strcmp(f[5], hash) != 0 ||
        (id == last_unkeyed && strcmp(hash, pinned_hash) != 0)) {
        snprintf(out->problem, sizeof out->problem,
                 "audit record %lld was changed after it was written", (long long)id);
        return 0;
    }
    *fits = true;
    return 0;
}

int seal_store_audit_verify(seal_store *st, const char *anchor, seal_audit_summary *out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    uint8_t key[STORE_KEK_DERIVED_BYTES];
    char prev[LINK_HEX] = "", pinned[LINK_HEX] = "";
    int64_t expect_id = 1, last_unkeyed = 0;
    memset(out, 0, sizeof *out);
    out->intact = true;
    SEAL_TRY(audit_key(st, key));
    SEAL_TRY(read_pin(st, key, &last_unkeyed, pinned, out));
    out->keyed_from = last_unkeyed + 1;
    if (!out->intact)
        goto out;
    SEAL_TRY(store_prepare(st, &stmt, "reading the audit trail",
                           "SELECT id, at, actor, action, target, detail, prev_hash, hash, keyed "
                           "FROM audit ORDER BY id"));
    int step;
    while ((step = seal_db_step(stmt)) == SEAL_DB_ROW) {
        int64_t id = store_column_int64(stmt, 0);
        time_t at = (time_t)store_column_int64(stmt, 1);
        bool keyed = store_column_int64(stmt, 8) != 0;
        /* actor, action, target, detail, prev_hash, hash */
        const char *f[6] = {NULL};
        for (int i = 0; i < 6; i++)
            if (seal_db_column_text(stmt, 2 + i, &f[i]) < 0 || !f[i]) {
                seal_error_clear();
                f[i] = "";
            }
        if (id != expect_id) {
            snprintf(out->problem, sizeof out->problem, "audit record %lld is missing",
                     (long long)expect_id);
            out->intact = false;
            break;
        }
        bool fits = false;
        SEAL_TRY(check_record(key, last_unkeyed, pinned, prev, id, at, keyed, f, out, &fits));
        if (!fits) {
            out->intact = false;
            break;
        }
        if (anchor && g_ascii_strcasecmp(anchor, f[5]) == 0)
            out->anchor_id = id;
        g_strlcpy(prev, f[5], sizeof prev);
        expect_id++;
        out->records++;
        out->last_id = id;
        out->last_at = at;
    }
    if (out->intact)
        SEAL_TRY(step);
    g_strlcpy(out->head, prev, sizeof out->head);
    if (out->intact && out->last_id < last_unkeyed) {
        snprintf(out->problem, sizeof out->problem,
                 "audit records #%lld to #%lld are missing: they were cut from the trail",
                 (long long)out->last_id + 1, (long long)last_unkeyed);
        out->intact = false;
    }
    if (out->intact && anchor && !out->anchor_id) {
        snprintf(out->problem, sizeof out->problem,
                 "the record with hash %.16s... is no longer in the audit trail: records were "
                 "cut from its end or the trail was rewritten",
                 anchor);
        out->intact = false;
    }
out:
    OPENSSL_cleanse(key, sizeof key);
    seal_db_finalize(stmt);
    return rc;
}

int seal_store_audit_check(seal_store *st, size_t *records_out)
{
    seal_audit_summary sum;
    int rc = seal_store_audit_verify(st, NULL, &sum);
    if (rc < 0)
        return rc;
    if (!sum.intact)
        return seal_error_set(SEAL_ESTORE, "%s", sum.problem);
    if (records_out)
        *records_out = sum.records;
    return 0;
}
