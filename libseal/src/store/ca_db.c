/* The CA's certificate database and the audit trail, in the store's SQLite database.
 *
 * ca_cert holds every certificate the platform's CAs issued with its current state
 * (good, revoked, hold) and revocation time, reason and invalidity date; the OCSP
 * responder answers from it and CRLs are made from it (ca_ops.c). audit holds one record
 * per operation, each with the SHA-256 of the previous record chained in, so the history
 * of a certificate (issued, frozen, unfrozen, revoked, renewed) can be read and shown to
 * be complete. The tables are created on first use. */
#include "store/store_internal.h"

#include <seal/ca.h>
#include <seal/error.h>

#include <glib.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <string.h>

#define SERIAL_MAX 80

static const char ca_schema_sql[] =
    "CREATE TABLE IF NOT EXISTS ca_cert ("
    "  serial TEXT NOT NULL,"
    "  issuer_key_id TEXT NOT NULL,"
    "  issuer TEXT NOT NULL,"
    "  subject TEXT NOT NULL,"
    "  role TEXT NOT NULL,"
    "  not_before INTEGER NOT NULL,"
    "  not_after INTEGER NOT NULL,"
    "  cert_der BLOB NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'good' CHECK (state IN ('good', 'revoked', 'hold')),"
    "  revoked_at INTEGER,"
    "  reason INTEGER,"
    "  invalidity_date INTEGER,"
    "  replaced_by TEXT,"
    "  issued_at INTEGER NOT NULL,"
    "  PRIMARY KEY (issuer_key_id, serial));"
    "CREATE INDEX IF NOT EXISTS ca_cert_serial ON ca_cert (serial);"
    "CREATE TABLE IF NOT EXISTS ca_crl_number ("
    "  issuer_key_id TEXT PRIMARY KEY,"
    "  last INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS audit ("
    "  id INTEGER PRIMARY KEY,"
    "  at INTEGER NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  target TEXT NOT NULL,"
    "  detail TEXT NOT NULL,"
    "  prev_hash TEXT NOT NULL,"
    "  hash TEXT NOT NULL);";

static int db_fail(sqlite3 *db, const char *what)
{
    return seal_error_set(SEAL_ESTORE, "database error while %s: %s", what, sqlite3_errmsg(db));
}

static int prepare(sqlite3 *db, sqlite3_stmt **stmt, const char *sql)
{
    if (sqlite3_prepare_v2(db, sql, -1, stmt, NULL) != SQLITE_OK)
        return db_fail(db, "preparing a statement");
    return 0;
}

int store_ca_schema(seal_store *st)
{
    sqlite3 *db = store_sqlite(st);
    if (sqlite3_exec(db, ca_schema_sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(db, "creating the CA and audit tables");
    return 0;
}

int store_begin(seal_store *st)
{
    int rc = store_ca_schema(st);
    if (rc < 0)
        return rc;
    if (sqlite3_exec(store_sqlite(st), "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(store_sqlite(st), "starting a transaction");
    return 0;
}

int store_commit(seal_store *st)
{
    if (sqlite3_exec(store_sqlite(st), "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        int rc = db_fail(store_sqlite(st), "committing");
        store_rollback(st);
        return rc;
    }
    return 0;
}

void store_rollback(seal_store *st)
{
    sqlite3_exec(store_sqlite(st), "ROLLBACK", NULL, NULL, NULL);
}

const char *seal_ca_state_name(seal_ca_state s)
{
    switch (s) {
    case SEAL_CA_GOOD:
        return "good";
    case SEAL_CA_REVOKED:
        return "revoked";
    case SEAL_CA_HOLD:
        return "hold";
    }
    return "good";
}

static seal_ca_state state_of(const char *text)
{
    if (text && strcmp(text, "revoked") == 0)
        return SEAL_CA_REVOKED;
    if (text && strcmp(text, "hold") == 0)
        return SEAL_CA_HOLD;
    return SEAL_CA_GOOD;
}

void seal_ca_record_clear(seal_ca_record *c)
{
    if (!c)
        return;
    g_free(c->serial);
    g_free(c->issuer_key_id);
    g_free(c->issuer);
    g_free(c->subject);
    g_free(c->role);
    g_free(c->replaced_by);
    seal_buf_clear(&c->der);
    memset(c, 0, sizeof *c);
    c->reason = -1;
}

/* ---------------------------------------------------------------- certificates */

static char *name_oneline(const X509_NAME *name)
{
    char *text = seal_x509_name_text(name);
    char *line = g_strdup(text ? text : "?");
    free(text);
    return line;
}

static time_t cert_time(const ASN1_TIME *t)
{
    struct tm tm;
    return t && ASN1_TIME_to_tm(t, &tm) ? timegm(&tm) : 0;
}

int store_ca_add_in_tx(seal_store *st, X509 *cert, X509 *issuer, const char *role,
                       const char *actor)
{
    int rc = 0;
    sqlite3 *db = store_sqlite(st);
    sqlite3_stmt *stmt = NULL;
    char key_id[65];
    char *serial = seal_cert_serial_hex(cert);
    char *subject = name_oneline(X509_get_subject_name(cert));
    char *issuer_name = name_oneline(X509_get_subject_name(issuer));
    char *target = NULL;
    unsigned char *der = NULL;
    int der_len = i2d_X509(cert, &der);
    SEAL_ENSURE(der_len > 0, SEAL_ECRYPTO, "cannot encode the certificate");
    SEAL_TRY(seal_cert_key_id(key_id, issuer));
    SEAL_TRY(prepare(db, &stmt,
                     "INSERT INTO ca_cert (serial, issuer_key_id, issuer, subject, role, "
                     "not_before, not_after, cert_der, issued_at) VALUES (?1, ?2, ?3, ?4, ?5, "
                     "?6, ?7, ?8, ?9)"));
    sqlite3_bind_text(stmt, 1, serial, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, key_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, issuer_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, subject, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, role, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 6, cert_time(X509_get0_notBefore(cert)));
    sqlite3_bind_int64(stmt, 7, cert_time(X509_get0_notAfter(cert)));
    sqlite3_bind_blob(stmt, 8, der, der_len, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 9, (sqlite3_int64)time(NULL));
    int step = sqlite3_step(stmt);
    SEAL_ENSURE(step != SQLITE_CONSTRAINT_PRIMARYKEY, SEAL_EEXISTS,
                "certificate %s is already in the CA database", serial);
    if (step != SQLITE_DONE)
        SEAL_FAIL(SEAL_ESTORE, "cannot record certificate %s: %s", serial, sqlite3_errmsg(db));
    target = g_strdup_printf("cert:%s", serial);
    SEAL_TRY(store_audit_in_tx(st, actor, "issue", target, "%s certificate for %s issued by %s",
                               role, subject, issuer_name));
out:
    sqlite3_finalize(stmt);
    OPENSSL_free(der);
    g_free(serial);
    g_free(subject);
    g_free(issuer_name);
    g_free(target);
    return rc;
}

int seal_store_ca_add(seal_store *st, X509 *cert, X509 *issuer, const char *role, const char *actor)
{
    int rc = 0;
    SEAL_ENSURE(st && cert && issuer && role, SEAL_EINVAL, "no certificate to record");
    SEAL_TRY(store_begin(st));
    rc = store_ca_add_in_tx(st, cert, issuer, role, actor);
    if (rc < 0)
        store_rollback(st);
    else
        rc = store_commit(st);
out:
    return rc;
}

char *store_column_text(sqlite3_stmt *stmt, int col)
{
    const unsigned char *t = sqlite3_column_text(stmt, col);
    return t ? g_strdup((const char *)t) : NULL;
}

#define RECORD_COLUMNS                                                                             \
    "serial, issuer_key_id, issuer, subject, role, not_before, not_after, issued_at, state, "      \
    "revoked_at, reason, invalidity_date, replaced_by, cert_der"

static int read_record(sqlite3_stmt *stmt, seal_ca_record *c)
{
    memset(c, 0, sizeof *c);
    c->serial = store_column_text(stmt, 0);
    c->issuer_key_id = store_column_text(stmt, 1);
    c->issuer = store_column_text(stmt, 2);
    c->subject = store_column_text(stmt, 3);
    c->role = store_column_text(stmt, 4);
    c->not_before = (time_t)sqlite3_column_int64(stmt, 5);
    c->not_after = (time_t)sqlite3_column_int64(stmt, 6);
    c->issued_at = (time_t)sqlite3_column_int64(stmt, 7);
    c->state = state_of((const char *)sqlite3_column_text(stmt, 8));
    c->revoked_at = (time_t)sqlite3_column_int64(stmt, 9);
    c->reason = sqlite3_column_type(stmt, 10) == SQLITE_NULL ? -1 : sqlite3_column_int(stmt, 10);
    c->invalidity_date = (time_t)sqlite3_column_int64(stmt, 11);
    c->replaced_by = store_column_text(stmt, 12);
    const void *der = sqlite3_column_blob(stmt, 13);
    return seal_buf_set(&c->der, der, der ? (size_t)sqlite3_column_bytes(stmt, 13) : 0);
}

int seal_store_ca_find(seal_store *st, const char *serial_text, const char *issuer_key_id,
                       seal_ca_record *out)
{
    int rc = 0;
    sqlite3 *db = store_sqlite(st);
    sqlite3_stmt *stmt = NULL;
    char serial[SERIAL_MAX];
    seal_ca_record found = {0};
    SEAL_TRY(seal_serial_normalize(serial, sizeof serial, serial_text));
    SEAL_TRY(store_ca_schema(st));
    SEAL_TRY(prepare(db, &stmt,
                     "SELECT " RECORD_COLUMNS " FROM ca_cert WHERE serial = ?1 AND "
                     "(?2 IS NULL OR issuer_key_id = ?2) LIMIT 2"));
    sqlite3_bind_text(stmt, 1, serial, -1, SQLITE_STATIC);
    if (issuer_key_id)
        sqlite3_bind_text(stmt, 2, issuer_key_id, -1, SQLITE_STATIC);
    int step = sqlite3_step(stmt);
    SEAL_ENSURE(step != SQLITE_DONE, SEAL_ENOTFOUND,
                "the platform's CA never issued a certificate with serial %s", serial);
    if (step != SQLITE_ROW)
        SEAL_FAIL(SEAL_ESTORE, "cannot look up certificate %s: %s", serial, sqlite3_errmsg(db));
    SEAL_TRY(read_record(stmt, &found));
    SEAL_ENSURE(sqlite3_step(stmt) == SQLITE_DONE, SEAL_EINVAL,
                "two CAs issued a certificate with serial %s; name the certificate file instead",
                serial);
    *out = found;
    memset(&found, 0, sizeof found);
out:
    seal_ca_record_clear(&found);
    sqlite3_finalize(stmt);
    return rc;
}

int seal_store_ca_listed(seal_store *st, const char *issuer_key_id, seal_ca_record **out, size_t *n)
{
    int rc = 0;
    sqlite3 *db = store_sqlite(st);
    sqlite3_stmt *stmt = NULL;
    GArray *list = g_array_new(FALSE, TRUE, sizeof(seal_ca_record));
    *out = NULL;
    *n = 0;
    SEAL_TRY(store_ca_schema(st));
    SEAL_TRY(prepare(db, &stmt,
                     "SELECT " RECORD_COLUMNS " FROM ca_cert WHERE issuer_key_id = ?1 AND "
                     "state IN ('revoked', 'hold') ORDER BY revoked_at, serial"));
    sqlite3_bind_text(stmt, 1, issuer_key_id, -1, SQLITE_STATIC);
    int step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        seal_ca_record c;
        rc = read_record(stmt, &c);
        g_array_append_val(list, c);
        if (rc < 0)
            goto out;
    }
    if (step != SQLITE_DONE)
        SEAL_FAIL(SEAL_ESTORE, "cannot list revoked certificates: %s", sqlite3_errmsg(db));
    *n = list->len;
    *out = (seal_ca_record *)g_array_free(list, FALSE);
    list = NULL;
out:
    if (list) {
        for (guint i = 0; i < list->len; i++)
            seal_ca_record_clear(&g_array_index(list, seal_ca_record, i));
        g_array_free(list, TRUE);
    }
    sqlite3_finalize(stmt);
    return rc;
}

int store_ca_set_state(seal_store *st, const seal_ca_record *c, seal_ca_state state,
                       time_t revoked_at, int reason, time_t invalidity_date)
{
    int rc = 0;
    sqlite3 *db = store_sqlite(st);
    sqlite3_stmt *stmt = NULL;
    SEAL_TRY(prepare(db, &stmt,
                     "UPDATE ca_cert SET state = ?3, revoked_at = ?4, reason = ?5, "
                     "invalidity_date = ?6 WHERE issuer_key_id = ?1 AND serial = ?2"));
    sqlite3_bind_text(stmt, 1, c->issuer_key_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, c->serial, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, seal_ca_state_name(state), -1, SQLITE_STATIC);
    if (state == SEAL_CA_GOOD) {
        sqlite3_bind_null(stmt, 4);
        sqlite3_bind_null(stmt, 5);
        sqlite3_bind_null(stmt, 6);
    } else {
        sqlite3_bind_int64(stmt, 4, (sqlite3_int64)revoked_at);
        if (reason >= 0)
            sqlite3_bind_int(stmt, 5, reason);
        if (invalidity_date)
            sqlite3_bind_int64(stmt, 6, (sqlite3_int64)invalidity_date);
    }
    if (sqlite3_step(stmt) != SQLITE_DONE || sqlite3_changes(db) != 1)
        SEAL_FAIL(SEAL_ESTORE, "cannot change the state of certificate %s: %s", c->serial,
                  sqlite3_errmsg(db));
out:
    sqlite3_finalize(stmt);
    return rc;
}

int store_ca_set_replaced(seal_store *st, const seal_ca_record *c, const char *by)
{
    int rc = 0;
    sqlite3 *db = store_sqlite(st);
    sqlite3_stmt *stmt = NULL;
    SEAL_TRY(prepare(db, &stmt,
                     "UPDATE ca_cert SET replaced_by = ?3 WHERE issuer_key_id = ?1 AND "
                     "serial = ?2"));
    sqlite3_bind_text(stmt, 1, c->issuer_key_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, c->serial, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, by, -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        SEAL_FAIL(SEAL_ESTORE, "cannot record the successor of certificate %s: %s", c->serial,
                  sqlite3_errmsg(db));
out:
    sqlite3_finalize(stmt);
    return rc;
}

int store_ca_next_crl_number(seal_store *st, const char *issuer_key_id, uint64_t *out)
{
    int rc = 0;
    sqlite3 *db = store_sqlite(st);
    sqlite3_stmt *stmt = NULL;
    /* One statement: two publishers never hand out the same number (RFC 5280 5.2.3). */
    SEAL_TRY(prepare(db, &stmt,
                     "INSERT INTO ca_crl_number (issuer_key_id, last) VALUES (?1, 1) "
                     "ON CONFLICT (issuer_key_id) DO UPDATE SET last = last + 1 RETURNING last"));
    sqlite3_bind_text(stmt, 1, issuer_key_id, -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_ROW)
        SEAL_FAIL(SEAL_ESTORE, "cannot number the CRL: %s", sqlite3_errmsg(db));
    *out = (uint64_t)sqlite3_column_int64(stmt, 0);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        SEAL_FAIL(SEAL_ESTORE, "cannot number the CRL: %s", sqlite3_errmsg(db));
out:
    sqlite3_finalize(stmt);
    return rc;
}

/* ---------------------------------------------------------------- audit */

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
    sqlite3 *db = store_sqlite(st);
    sqlite3_stmt *stmt = NULL;
    char prev[65] = "", hash[65];
    int64_t id = 1;
    time_t at = time(NULL);
    SEAL_TRY(prepare(db, &stmt, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1"));
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        id = sqlite3_column_int64(stmt, 0) + 1;
        g_strlcpy(prev, (const char *)sqlite3_column_text(stmt, 1), sizeof prev);
    } else if (step != SQLITE_DONE) {
        SEAL_FAIL(SEAL_ESTORE, "cannot read the audit trail: %s", sqlite3_errmsg(db));
    }
    sqlite3_finalize(stmt);
    stmt = NULL;
    audit_hash(hash, prev, id, at, actor, action, target, detail);
    SEAL_TRY(prepare(db, &stmt,
                     "INSERT INTO audit (id, at, actor, action, target, detail, prev_hash, hash) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_int64(stmt, 2, (sqlite3_int64)at);
    sqlite3_bind_text(stmt, 3, actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, action, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, target, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 6, detail, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 7, prev, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 8, hash, -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        SEAL_FAIL(SEAL_ESTORE, "cannot write the audit record: %s", sqlite3_errmsg(db));
out:
    sqlite3_finalize(stmt);
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
    sqlite3 *db = store_sqlite(st);
    sqlite3_stmt *stmt = NULL;
    GArray *list = g_array_new(FALSE, TRUE, sizeof(seal_audit_record));
    *out = NULL;
    *n = 0;
    SEAL_TRY(store_ca_schema(st));
    SEAL_TRY(prepare(db, &stmt,
                     "SELECT id, at, actor, action, target, detail FROM audit WHERE (?1 IS NULL "
                     "OR target = ?1) AND (?2 IS NULL OR instr(detail, ?2) > 0) ORDER BY id"));
    if (target)
        sqlite3_bind_text(stmt, 1, target, -1, SQLITE_STATIC);
    if (text)
        sqlite3_bind_text(stmt, 2, text, -1, SQLITE_STATIC);
    int step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        seal_audit_record r = {
            .id = sqlite3_column_int64(stmt, 0),
            .at = (time_t)sqlite3_column_int64(stmt, 1),
            .actor = store_column_text(stmt, 2),
            .action = store_column_text(stmt, 3),
            .target = store_column_text(stmt, 4),
            .detail = store_column_text(stmt, 5),
        };
        g_array_append_val(list, r);
    }
    if (step != SQLITE_DONE)
        SEAL_FAIL(SEAL_ESTORE, "cannot read the audit trail: %s", sqlite3_errmsg(db));
    *n = list->len;
    *out = (seal_audit_record *)g_array_free(list, FALSE);
    list = NULL;
out:
    if (list) {
        size_t len = list->len;
        seal_audit_records_free((seal_audit_record *)g_array_free(list, FALSE), len);
    }
    sqlite3_finalize(stmt);
    return rc;
}

int seal_store_audit_verify(seal_store *st, const char *anchor, seal_audit_summary *out)
{
    int rc = 0;
    sqlite3 *db = store_sqlite(st);
    sqlite3_stmt *stmt = NULL;
    char prev[65] = "", hash[65];
    int64_t expect_id = 1;
    memset(out, 0, sizeof *out);
    out->intact = true;
    SEAL_TRY(store_ca_schema(st));
    SEAL_TRY(prepare(db, &stmt,
                     "SELECT id, at, actor, action, target, detail, prev_hash, hash FROM audit "
                     "ORDER BY id"));
    int step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(stmt, 0);
        time_t at = (time_t)sqlite3_column_int64(stmt, 1);
        const char *stored_prev = (const char *)sqlite3_column_text(stmt, 6);
        const char *stored = (const char *)sqlite3_column_text(stmt, 7);
        if (id != expect_id) {
            snprintf(out->problem, sizeof out->problem, "audit record %lld is missing",
                     (long long)expect_id);
            out->intact = false;
            break;
        }
        audit_hash(hash, prev, id, at, (const char *)sqlite3_column_text(stmt, 2),
                   (const char *)sqlite3_column_text(stmt, 3),
                   (const char *)sqlite3_column_text(stmt, 4),
                   (const char *)sqlite3_column_text(stmt, 5));
        if (!stored_prev || strcmp(stored_prev, prev) != 0 || !stored ||
            strcmp(stored, hash) != 0) {
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
    if (out->intact && step != SQLITE_DONE)
        SEAL_FAIL(SEAL_ESTORE, "cannot read the audit trail: %s", sqlite3_errmsg(db));
    g_strlcpy(out->head, prev, sizeof out->head);
    if (out->intact && anchor && !out->anchor_id) {
        snprintf(out->problem, sizeof out->problem,
                 "the record with hash %.16s... is no longer in the audit trail: records were "
                 "cut from its end or the trail was rewritten",
                 anchor);
        out->intact = false;
    }
out:
    sqlite3_finalize(stmt);
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
