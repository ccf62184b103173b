/* The audit trail: one record per operation on the platform (a seal made, used, frozen;
 * a certificate issued, revoked; an API key made), each linked to the one before by a MAC
 * so that an edited, inserted or deleted record shows. Written in the same transaction as
 * the change it records (the store's and the CA's operations, the stamp driver); read by
 * `sealsvc audit` and the HTTP API. */
#include "store/store_internal.h"

#include <seal/audit.h>
#include <seal/error.h>

#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* SHA-256 over the previous hash and each field, length-prefixed so that no two
 * different records hash alike. */
static void audit_hash(char out[65], const char *prev, int64_t id, time_t at, const char *actor,
                       const char *action, const char *target, const char *detail)
{
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    char head[64];
    snprintf(head, sizeof head, "%lld|%lld|", (long long)id, (long long)at);
    g_checksum_update(sum, (const guchar *)prev, -1);
    g_checksum_update(sum, (const guchar *)head, -1);
    const char *fields[] = {actor, action, target, detail};
    for (size_t i = 0; i < 4; i++) {
        char len[24];
        snprintf(len, sizeof len, "%zu:", strlen(fields[i]));
        g_checksum_update(sum, (const guchar *)len, -1);
        g_checksum_update(sum, (const guchar *)fields[i], -1);
    }
    g_strlcpy(out, g_checksum_get_string(sum), 65);
    g_checksum_free(sum);
}

static int audit_insert(seal_store *st, const char *actor, const char *action, const char *target,
                        const char *detail)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    char prev[65] = "", hash[65];
    int64_t id = 1;
    time_t at = time(NULL);
    /* One chain with many writers: the head is read and extended under its lock, so two
     * instances never both link to the same record. */
    SEAL_TRY(seal_db_lock(store_db(st), "audit"));
    SEAL_TRY(store_prepare(st, &stmt, "reading the audit trail's head",
                           "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1"));
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    if (step == SEAL_DB_ROW) {
        id = store_column_int64(stmt, 0) + 1;
        char *head = store_column_text(stmt, 1);
        g_strlcpy(prev, head ? head : "", sizeof prev);
        g_free(head);
    }
    seal_db_finalize(stmt);
    stmt = NULL;
    audit_hash(hash, prev, id, at, actor, action, target, detail);
    SEAL_TRY(store_prepare(st, &stmt, "writing an audit record",
                           "INSERT INTO audit (id, at, actor, action, target, detail, prev_hash, "
                           "hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
    seal_db_bind_int64(stmt, 1, id);
    seal_db_bind_int64(stmt, 2, (int64_t)at);
    seal_db_bind_text(stmt, 3, actor);
    seal_db_bind_text(stmt, 4, action);
    seal_db_bind_text(stmt, 5, target);
    seal_db_bind_text(stmt, 6, detail);
    seal_db_bind_text(stmt, 7, prev);
    seal_db_bind_text(stmt, 8, hash);
    SEAL_TRY(seal_db_step(stmt));
out:
    seal_db_finalize(stmt);
    return rc;
}

static int audit_v(seal_store *st, const char *actor, const char *action, const char *target,
                   const char *fmt, va_list ap)
{
    char *detail = g_strdup_vprintf(fmt, ap);
    int rc = audit_insert(st, actor ? actor : "?", action, target, detail);
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
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    GArray *list = g_array_new(FALSE, TRUE, sizeof(seal_audit_record));
    *out = NULL;
    *n = 0;
    SEAL_TRY(store_prepare(st, &stmt, "reading the audit trail",
                           target ? "SELECT id, at, actor, action, target, detail FROM audit "
                                    "WHERE target = ?1 ORDER BY id"
                                  : "SELECT id, at, actor, action, target, detail FROM audit "
                                    "ORDER BY id"));
    if (target)
        seal_db_bind_text(stmt, 1, target);
    int step;
    while ((step = seal_db_step(stmt)) == SEAL_DB_ROW) {
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
        if (text && (!r.detail || !strstr(r.detail, text))) {
            g_free(r.actor);
            g_free(r.action);
            g_free(r.target);
            g_free(r.detail);
            continue;
        }
        g_array_append_val(list, r);
    }
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
    return rc;
}

int seal_store_audit_verify(seal_store *st, const char *anchor, seal_audit_summary *out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    char prev[65] = "", hash[65];
    int64_t expect_id = 1;
    memset(out, 0, sizeof *out);
    out->intact = true;
    SEAL_TRY(store_prepare(st, &stmt, "reading the audit trail",
                           "SELECT id, at, actor, action, target, detail, prev_hash, hash FROM "
                           "audit ORDER BY id"));
    int step;
    while ((step = seal_db_step(stmt)) == SEAL_DB_ROW) {
        int64_t id = store_column_int64(stmt, 0);
        time_t at = (time_t)store_column_int64(stmt, 1);
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
        audit_hash(hash, prev, id, at, f[0], f[1], f[2], f[3]);
        if (strcmp(f[4], prev) != 0 || strcmp(f[5], hash) != 0) {
            snprintf(out->problem, sizeof out->problem,
                     "audit record %lld was changed after it was written", (long long)id);
            out->intact = false;
            break;
        }
        if (anchor && g_ascii_strcasecmp(anchor, hash) == 0)
            out->anchor_id = id;
        g_strlcpy(prev, hash, sizeof prev);
        expect_id++;
        out->records++;
        out->last_id = id;
        out->last_at = at;
    }
    if (out->intact)
        SEAL_TRY(step);
    g_strlcpy(out->head, prev, sizeof out->head);
    if (out->intact && anchor && !out->anchor_id) {
        snprintf(out->problem, sizeof out->problem,
                 "the record with hash %.16s... is no longer in the audit trail: records were "
                 "cut from its end or the trail was rewritten",
                 anchor);
        out->intact = false;
    }
out:
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
