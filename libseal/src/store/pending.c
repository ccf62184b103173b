/* Pending stamps in the store: two-phase stamps prepared and waiting for a signature made
 * elsewhere (a clerk's USB key, an HSM, a remote-signing client). The stamp driver
 * (src/stamp/driver.c) puts one here at prepare and claims it at finish; because the
 * claim is one UPDATE guarded by the row's state, two processes finishing the same id
 * cannot both win, and a finish that died is taken over once its claim is stale.
 *
 * The table is version 4 of the store's schema (schema.c). */
#include "store/store_internal.h"

#include <seal/error.h>

#include <glib.h>
#include <openssl/rand.h>
#include <string.h>

#define COLUMNS                                                                                    \
    "id, seal_id, actor, format, input, output, how, places, level, tsa_url, tsa_hash, "           \
    "tsa_policy, alg, created, expires, claimed_at, grant_id"

/* One row of COLUMNS (and the stamp at column 17 when `with_stamp`). */
static int read_row(seal_db_stmt *stmt, seal_pending_record *r, bool with_stamp)
{
    memset(r, 0, sizeof *r);
    char *id = store_column_text(stmt, 0);
    g_strlcpy(r->id, id ? id : "", sizeof r->id);
    g_free(id);
    r->seal_id = store_column_text(stmt, 1);
    r->actor = store_column_text(stmt, 2);
    r->format = store_column_text(stmt, 3);
    r->input = store_column_text(stmt, 4);
    r->output = store_column_text(stmt, 5);
    r->how = store_column_text(stmt, 6);
    r->places = (size_t)store_column_int64(stmt, 7);
    r->level = (int)store_column_int64(stmt, 8);
    r->tsa_url = store_column_text(stmt, 9);
    r->tsa_hash = store_column_text(stmt, 10);
    r->tsa_policy = store_column_text(stmt, 11);
    r->alg = store_column_text(stmt, 12);
    r->created = (time_t)store_column_int64(stmt, 13);
    r->expires = (time_t)store_column_int64(stmt, 14);
    r->finishing = !seal_db_column_is_null(stmt, 15);
    r->grant_id = store_column_int64(stmt, 16);
    if (with_stamp && store_column_buf(stmt, 17, &r->stamp) < 0)
        return -1;
    return 0;
}

void seal_pending_record_clear(seal_pending_record *r)
{
    if (!r)
        return;
    g_free(r->seal_id);
    g_free(r->actor);
    g_free(r->format);
    g_free(r->input);
    g_free(r->output);
    g_free(r->how);
    g_free(r->tsa_url);
    g_free(r->tsa_hash);
    g_free(r->tsa_policy);
    g_free(r->alg);
    seal_buf_clear(&r->stamp);
    memset(r, 0, sizeof *r);
}

void seal_pending_records_free(seal_pending_record *r, size_t n)
{
    for (size_t i = 0; r && i < n; i++)
        seal_pending_record_clear(&r[i]);
    g_free(r);
}

int seal_store_pending_put(seal_store *st, seal_pending_record *r, const char *what)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    bool in_tx = false;
    char target[300];
    uint8_t raw[16];
    SEAL_ENSURE(r && r->seal_id && r->actor && r->format && r->input && r->output && r->how &&
                    r->alg && r->stamp.len > 0,
                SEAL_EINVAL, "an incomplete pending stamp cannot be kept");
    SEAL_ENSURE(RAND_bytes(raw, sizeof raw) == 1, SEAL_ECRYPTO,
                "no randomness for a pending stamp's id");
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(r->id + 2 * i, 3, "%02x", raw[i]);
    SEAL_TRY(
        store_prepare(st, &stmt, "keeping a pending stamp",
                      "INSERT INTO pending_stamp (id, seal_id, actor, format, input, output, how, "
                      "places, level, tsa_url, tsa_hash, tsa_policy, alg, created, expires, stamp, "
                      "grant_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                      "?14, ?15, ?16, ?17)"));
    seal_db_bind_text(stmt, 1, r->id);
    seal_db_bind_text(stmt, 2, r->seal_id);
    seal_db_bind_text(stmt, 3, r->actor);
    seal_db_bind_text(stmt, 4, r->format);
    seal_db_bind_text(stmt, 5, r->input);
    seal_db_bind_text(stmt, 6, r->output);
    seal_db_bind_text(stmt, 7, r->how);
    seal_db_bind_int64(stmt, 8, (int64_t)r->places);
    seal_db_bind_int64(stmt, 9, r->level);
    seal_db_bind_text(stmt, 10, r->tsa_url);
    seal_db_bind_text(stmt, 11, r->tsa_hash);
    seal_db_bind_text(stmt, 12, r->tsa_policy);
    seal_db_bind_text(stmt, 13, r->alg);
    seal_db_bind_int64(stmt, 14, (int64_t)r->created);
    seal_db_bind_int64(stmt, 15, (int64_t)r->expires);
    seal_db_bind_blob(stmt, 16, r->stamp.data, r->stamp.len);
    if (r->grant_id > 0)
        seal_db_bind_int64(stmt, 17, r->grant_id);
    else
        seal_db_bind_null(stmt, 17);
    /* The stamp and its record in one transaction: one commit (one sync) for both, and
     * never a pending stamp the trail does not know. */
    SEAL_TRY(store_begin(st));
    in_tx = true;
    SEAL_TRY(seal_db_step(stmt));
    snprintf(target, sizeof target, "seal:%s", r->seal_id);
    SEAL_TRY(store_audit_in_tx(st, r->actor, "stamp-prepared", target,
                               "%s, pending %s for an external signature (%s), expires in %lld s",
                               what ? what : "", r->id, r->alg,
                               (long long)(r->expires - r->created)));
    rc = store_commit(st);
    in_tx = false;
out:
    if (in_tx)
        store_rollback(st);
    seal_db_finalize(stmt);
    return rc;
}

/* Runs `sql` with ?1 = id (and ?2 = now, when given) and reports how many rows changed. */
static int change(seal_store *st, const char *sql, const char *id, const time_t *now, int *changed)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "changing a pending stamp", sql));
    seal_db_bind_text(stmt, 1, id);
    if (now)
        seal_db_bind_int64(stmt, 2, (int64_t)*now);
    SEAL_TRY(seal_db_step(stmt));
    if (changed)
        *changed = (int)seal_db_changes(stmt);
out:
    seal_db_finalize(stmt);
    return rc;
}

static int read_one(seal_store *st, const char *id, bool with_stamp, seal_pending_record *out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "reading a pending stamp",
                           with_stamp ? "SELECT " COLUMNS ", stamp FROM pending_stamp WHERE id = ?1"
                                      : "SELECT " COLUMNS " FROM pending_stamp WHERE id = ?1"));
    seal_db_bind_text(stmt, 1, id);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ENOTFOUND,
                "there is no pending stamp %s (finished, expired, or never prepared)", id);
    SEAL_ENSURE(read_row(stmt, out, with_stamp) == 0, SEAL_ENOMEM, "out of memory");
out:
    seal_db_finalize(stmt);
    return rc;
}

int seal_store_pending_claim(seal_store *st, const char *id, time_t now, seal_pending_record *out)
{
    int rc = 0, changed = 0;
    bool in_tx = false;
    memset(out, 0, sizeof *out);
    SEAL_ENSURE(id && strlen(id) == 32 && strspn(id, "0123456789abcdef") == 32, SEAL_ENOTFOUND,
                "there is no pending stamp '%s' (an id is 32 hexadecimal digits)", id ? id : "");
    SEAL_TRY(store_begin(st));
    in_tx = true;
    SEAL_TRY(read_one(st, id, true, out));
    if (out->expires < now) {
        SEAL_TRY(change(st, "DELETE FROM pending_stamp WHERE id = ?1", id, NULL, NULL));
        SEAL_TRY(store_commit(st));
        in_tx = false;
        char when[32];
        struct tm tm;
        if (!gmtime_r(&out->expires, &tm) ||
            strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
            strcpy(when, "?");
        return seal_error_set(SEAL_EPOLICY,
                              "pending stamp %s expired at %s; prepare the stamp again", id, when);
    }
    SEAL_TRY(change(
        st,
        "UPDATE pending_stamp SET claimed_at = ?2 WHERE id = ?1 AND "
        "(claimed_at IS NULL OR claimed_at < ?2 - " G_STRINGIFY(SEAL_PENDING_CLAIM_STALE) ")",
        id, &now, &changed));
    SEAL_ENSURE(changed == 1, SEAL_EPOLICY,
                "pending stamp %s is being finished by another request; wait for it", id);
    SEAL_TRY(store_commit(st));
    in_tx = false;
    out->finishing = true;
out:
    if (in_tx)
        store_rollback(st);
    if (rc < 0 && rc != SEAL_EPOLICY)
        seal_pending_record_clear(out);
    return rc;
}

int seal_store_pending_release(seal_store *st, const char *id)
{
    return change(st, "UPDATE pending_stamp SET claimed_at = NULL WHERE id = ?1", id, NULL, NULL);
}

int seal_store_pending_remove(seal_store *st, const char *id)
{
    return change(st, "DELETE FROM pending_stamp WHERE id = ?1", id, NULL, NULL);
}

int store_pending_remove_in_tx(seal_store *st, const char *id)
{
    int changed = 0;
    int rc = change(st, "DELETE FROM pending_stamp WHERE id = ?1", id, NULL, &changed);
    if (rc == 0 && changed != 1)
        rc = seal_error_set(SEAL_ESTORE, "pending stamp %s was removed while it was finished", id);
    return rc;
}

/* The rows `sql` selects (?1 = now when `now` is given) into a new array. */
static int read_rows(seal_store *st, const char *sql, const time_t *now, bool with_stamp,
                     seal_pending_record **out, size_t *n)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    GArray *rows = g_array_new(FALSE, TRUE, sizeof(seal_pending_record));
    *out = NULL;
    *n = 0;
    SEAL_TRY(store_prepare(st, &stmt, "reading the pending stamps", sql));
    if (now)
        seal_db_bind_int64(stmt, 1, (int64_t)*now);
    int step;
    while ((step = seal_db_step(stmt)) == SEAL_DB_ROW) {
        seal_pending_record r;
        int read = read_row(stmt, &r, with_stamp);
        g_array_append_val(rows, r);
        SEAL_ENSURE(read == 0, SEAL_ENOMEM, "out of memory");
    }
    SEAL_TRY(step);
out:
    seal_db_finalize(stmt);
    if (rc < 0) {
        seal_pending_records_free((seal_pending_record *)(void *)rows->data, rows->len);
        g_array_free(rows, FALSE);
        return rc;
    }
    *n = rows->len;
    *out = (seal_pending_record *)(void *)g_array_free(rows, FALSE);
    return 0;
}

int seal_store_pending_get(seal_store *st, const char *id, seal_pending_record *out)
{
    memset(out, 0, sizeof *out);
    int rc = read_one(st, id ? id : "", false, out);
    if (rc < 0)
        seal_pending_record_clear(out);
    return rc;
}

int seal_store_pending_list(seal_store *st, seal_pending_record **out, size_t *n)
{
    return read_rows(st, "SELECT " COLUMNS " FROM pending_stamp ORDER BY created, id", NULL, false,
                     out, n);
}

int seal_store_pending_take_expired(seal_store *st, time_t now, seal_pending_record **out,
                                    size_t *n)
{
    int rc = 0;
    seal_db_stmt *any = NULL;
    *out = NULL;
    *n = 0;
    /* Every stamp calls this: a read without a lock first, so that the common case (nothing
     * expired) takes no write lock from the other instances. */
    SEAL_TRY(store_prepare(st, &any, "looking for expired pending stamps",
                           "SELECT 1 FROM pending_stamp WHERE expires < ?1 LIMIT 1"));
    seal_db_bind_int64(any, 1, (int64_t)now);
    int step = seal_db_step(any);
    seal_db_finalize(any);
    SEAL_TRY(step);
    if (step == SEAL_DB_DONE)
        return 0;
    SEAL_TRY(store_begin(st));
    /* A stamp being finished is left to its finisher (it may have claimed it a moment
     * before its expiry, and is writing from its prepared file), unless the claim is stale. */
    rc = read_rows(
        st,
        "SELECT " COLUMNS ", stamp FROM pending_stamp WHERE expires < ?1 AND "
        "(claimed_at IS NULL OR claimed_at < ?1 - " G_STRINGIFY(SEAL_PENDING_CLAIM_STALE) ")",
        &now, true, out, n);
    for (size_t i = 0; rc == 0 && i < *n; i++)
        rc = seal_store_pending_remove(st, (*out)[i].id);
    if (rc == 0)
        rc = store_commit(st);
    else
        store_rollback(st);
    if (rc < 0) {
        seal_pending_records_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
out:
    return rc;
}
