/* Pending stamps in the store: two-phase stamps prepared and waiting for a signature made
 * elsewhere (a clerk's USB key, an HSM, a remote-signing client). The stamp driver
 * (src/stamp/driver.c) puts one here at prepare and claims it at finish; because the
 * claim is one UPDATE guarded by the row's state, two processes finishing the same id
 * cannot both win, and a finish that died is taken over once its claim is stale.
 *
 * The table is made on first use, as the CA tables are (ca_db.c). */
#include "store/store_internal.h"

#include <seal/error.h>

#include <glib.h>
#include <openssl/rand.h>
#include <string.h>

static const char pending_schema_sql[] = "CREATE TABLE IF NOT EXISTS pending_stamp ("
                                         "  id TEXT PRIMARY KEY,"
                                         "  seal_id TEXT NOT NULL,"
                                         "  actor TEXT NOT NULL,"
                                         "  format TEXT NOT NULL,"
                                         "  input TEXT NOT NULL,"
                                         "  output TEXT NOT NULL,"
                                         "  how TEXT NOT NULL,"
                                         "  places INTEGER NOT NULL,"
                                         "  level INTEGER NOT NULL,"
                                         "  tsa_url TEXT,"
                                         "  tsa_hash TEXT,"
                                         "  tsa_policy TEXT,"
                                         "  alg TEXT NOT NULL,"
                                         "  created INTEGER NOT NULL,"
                                         "  expires INTEGER NOT NULL,"
                                         "  claimed_at INTEGER,"
                                         "  stamp BLOB NOT NULL);";

#define COLUMNS                                                                                    \
    "id, seal_id, actor, format, input, output, how, places, level, tsa_url, tsa_hash, "           \
    "tsa_policy, alg, created, expires, claimed_at"

static int db_fail(sqlite3 *db, const char *what)
{
    return seal_error_set(SEAL_ESTORE, "database error while %s: %s", what, sqlite3_errmsg(db));
}

static int prepare(seal_store *st, sqlite3_stmt **stmt, const char *sql)
{
    sqlite3 *db = store_sqlite(st);
    if (sqlite3_exec(db, pending_schema_sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(db, "creating the pending stamp table");
    if (sqlite3_prepare_v2(db, sql, -1, stmt, NULL) != SQLITE_OK)
        return db_fail(db, "preparing a statement");
    return 0;
}

static void bind_opt(sqlite3_stmt *stmt, int col, const char *text)
{
    if (text)
        sqlite3_bind_text(stmt, col, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(stmt, col);
}

/* One row of COLUMNS (and the stamp at column 16 when `with_stamp`). */
static int read_row(sqlite3_stmt *stmt, seal_pending_record *r, bool with_stamp)
{
    memset(r, 0, sizeof *r);
    const unsigned char *id = sqlite3_column_text(stmt, 0);
    g_strlcpy(r->id, id ? (const char *)id : "", sizeof r->id);
    r->seal_id = store_column_text(stmt, 1);
    r->actor = store_column_text(stmt, 2);
    r->format = store_column_text(stmt, 3);
    r->input = store_column_text(stmt, 4);
    r->output = store_column_text(stmt, 5);
    r->how = store_column_text(stmt, 6);
    r->places = (size_t)sqlite3_column_int64(stmt, 7);
    r->level = sqlite3_column_int(stmt, 8);
    r->tsa_url = store_column_text(stmt, 9);
    r->tsa_hash = store_column_text(stmt, 10);
    r->tsa_policy = store_column_text(stmt, 11);
    r->alg = store_column_text(stmt, 12);
    r->created = (time_t)sqlite3_column_int64(stmt, 13);
    r->expires = (time_t)sqlite3_column_int64(stmt, 14);
    r->finishing = sqlite3_column_type(stmt, 15) != SQLITE_NULL;
    if (with_stamp) {
        const void *blob = sqlite3_column_blob(stmt, 16);
        int len = sqlite3_column_bytes(stmt, 16);
        if (len > 0 && seal_buf_append(&r->stamp, blob, (size_t)len) < 0)
            return -1;
    }
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

int seal_store_pending_put(seal_store *st, seal_pending_record *r)
{
    int rc = 0;
    sqlite3_stmt *stmt = NULL;
    uint8_t raw[16];
    SEAL_ENSURE(r && r->seal_id && r->actor && r->format && r->input && r->output && r->how &&
                    r->alg && r->stamp.len > 0,
                SEAL_EINVAL, "an incomplete pending stamp cannot be kept");
    SEAL_ENSURE(RAND_bytes(raw, sizeof raw) == 1, SEAL_ECRYPTO,
                "no randomness for a pending stamp's id");
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(r->id + 2 * i, 3, "%02x", raw[i]);
    SEAL_TRY(prepare(st, &stmt,
                     "INSERT INTO pending_stamp (id, seal_id, actor, format, input, output, how, "
                     "places, level, tsa_url, tsa_hash, tsa_policy, alg, created, expires, stamp) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
                     "?16)"));
    sqlite3_bind_text(stmt, 1, r->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, r->seal_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, r->actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, r->format, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, r->input, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 6, r->output, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 7, r->how, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 8, (sqlite3_int64)r->places);
    sqlite3_bind_int(stmt, 9, r->level);
    bind_opt(stmt, 10, r->tsa_url);
    bind_opt(stmt, 11, r->tsa_hash);
    bind_opt(stmt, 12, r->tsa_policy);
    sqlite3_bind_text(stmt, 13, r->alg, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 14, (sqlite3_int64)r->created);
    sqlite3_bind_int64(stmt, 15, (sqlite3_int64)r->expires);
    sqlite3_bind_blob(stmt, 16, r->stamp.data, (int)r->stamp.len, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        SEAL_FAIL(SEAL_ESTORE, "cannot keep the pending stamp: %s",
                  sqlite3_errmsg(store_sqlite(st)));
out:
    sqlite3_finalize(stmt);
    return rc;
}

/* Runs `sql` with ?1 = id (and ?2 = now, when given) and reports how many rows changed. */
static int change(seal_store *st, const char *sql, const char *id, const time_t *now, int *changed)
{
    int rc = 0;
    sqlite3_stmt *stmt = NULL;
    SEAL_TRY(prepare(st, &stmt, sql));
    sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
    if (now)
        sqlite3_bind_int64(stmt, 2, (sqlite3_int64)*now);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        SEAL_FAIL(SEAL_ESTORE, "cannot update pending stamp %s: %s", id,
                  sqlite3_errmsg(store_sqlite(st)));
    if (changed)
        *changed = sqlite3_changes(store_sqlite(st));
out:
    sqlite3_finalize(stmt);
    return rc;
}

static int read_one(seal_store *st, const char *id, bool with_stamp, seal_pending_record *out)
{
    int rc = 0;
    sqlite3_stmt *stmt = NULL;
    SEAL_TRY(prepare(st, &stmt,
                     with_stamp ? "SELECT " COLUMNS ", stamp FROM pending_stamp WHERE id = ?1"
                                : "SELECT " COLUMNS " FROM pending_stamp WHERE id = ?1"));
    sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
    int step = sqlite3_step(stmt);
    SEAL_ENSURE(step == SQLITE_ROW, step == SQLITE_DONE ? SEAL_ENOTFOUND : SEAL_ESTORE,
                "there is no pending stamp %s (finished, expired, or never prepared)", id);
    SEAL_ENSURE(read_row(stmt, out, with_stamp) == 0, SEAL_ENOMEM, "out of memory");
out:
    sqlite3_finalize(stmt);
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

/* The rows `sql` selects (?1 = now when `now` is given) into a new array. */
static int read_rows(seal_store *st, const char *sql, const time_t *now, bool with_stamp,
                     seal_pending_record **out, size_t *n)
{
    int rc = 0;
    sqlite3_stmt *stmt = NULL;
    GArray *rows = g_array_new(FALSE, TRUE, sizeof(seal_pending_record));
    *out = NULL;
    *n = 0;
    SEAL_TRY(prepare(st, &stmt, sql));
    if (now)
        sqlite3_bind_int64(stmt, 1, (sqlite3_int64)*now);
    int step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        seal_pending_record r;
        int read = read_row(stmt, &r, with_stamp);
        g_array_append_val(rows, r);
        SEAL_ENSURE(read == 0, SEAL_ENOMEM, "out of memory");
    }
    SEAL_ENSURE(step == SQLITE_DONE, SEAL_ESTORE, "cannot read the pending stamps: %s",
                sqlite3_errmsg(store_sqlite(st)));
out:
    sqlite3_finalize(stmt);
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
    sqlite3_stmt *any = NULL;
    *out = NULL;
    *n = 0;
    /* Every stamp calls this: a read without a lock first, so that the common case (nothing
     * expired) takes no write lock from the other instances. */
    SEAL_TRY(prepare(st, &any, "SELECT 1 FROM pending_stamp WHERE expires < ?1 LIMIT 1"));
    sqlite3_bind_int64(any, 1, (sqlite3_int64)now);
    int step = sqlite3_step(any);
    sqlite3_finalize(any);
    SEAL_ENSURE(step == SQLITE_ROW || step == SQLITE_DONE, SEAL_ESTORE,
                "cannot read the pending stamps: %s", sqlite3_errmsg(store_sqlite(st)));
    if (step == SQLITE_DONE)
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
