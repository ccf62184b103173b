/* The PostgreSQL engine of the database layer (db.h), through libpq loaded on first use
 * (pq_lazy.c): the database several sealsvc instances share.
 *
 * A statement is sent at its first step with its parameters (PQexecParams: one round trip,
 * nothing left on the server to deallocate, since the store prepares a statement for one
 * use); the whole result comes back at once, in binary format, and the steps walk its rows.
 * Parameters go as text but for blobs, typed bigint, double precision or bytea as they
 * were bound, text left for the server to infer from the statement. Results are decoded
 * here from PostgreSQL's binary send formats (src/backend/utils/adt/ *send functions):
 * big-endian integers, IEEE 754 floats, numeric as base-10000 digits, text and bytea as
 * their bytes. */
#include "db/db_internal.h"
#include "db/pq_lazy.h"

#include <seal/error.h>

#include <glib.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Type OIDs, fixed in PostgreSQL's catalog (src/include/catalog/pg_type.dat). */
enum {
    OID_BOOL = 16,
    OID_BYTEA = 17,
    OID_NAME = 19,
    OID_INT8 = 20,
    OID_INT2 = 21,
    OID_INT4 = 23,
    OID_TEXT = 25,
    OID_OID = 26,
    OID_FLOAT4 = 700,
    OID_FLOAT8 = 701,
    OID_UNKNOWN = 705,
    OID_BPCHAR = 1042,
    OID_VARCHAR = 1043,
    OID_NUMERIC = 1700,
};

typedef struct pg_stmt {
    PGresult *result;
    int row; /* the current row; -1 before the first */
    int rows;
} pg_stmt;

static const db_pq *const pq = &db_pq_fns;

static PGconn *conn(const seal_db *db)
{
    return db->conn;
}

static seal_db_failure failure_of(const char *sqlstate)
{
    static const struct {
        const char *state;
        seal_db_failure failure;
    } known[] = {
        {"40001", SEAL_DB_CONFLICT},    /* serialization_failure */
        {"40P01", SEAL_DB_CONFLICT},    /* deadlock_detected */
        {"55P03", SEAL_DB_CONFLICT},    /* lock_not_available: lock_timeout passed */
        {"23505", SEAL_DB_UNIQUE},      /* unique_violation */
        {"23503", SEAL_DB_FOREIGN_KEY}, /* foreign_key_violation */
        {"23514", SEAL_DB_CHECK},       /* check_violation */
        {"23502", SEAL_DB_NOT_NULL},    /* not_null_violation */
    };
    for (size_t i = 0; sqlstate && i < G_N_ELEMENTS(known); i++)
        if (strcmp(sqlstate, known[i].state) == 0)
            return known[i].failure;
    return SEAL_DB_OTHER;
}

/* A data exception's message (SQLSTATE class 22) quotes the value it could not take
 * ("invalid input syntax for type bigint: "..."", "value "..." is out of range"), and
 * a bound value may be an identity number: each quoted part becomes "...", and what
 * follows a last ": " unquoted (bytes of a bad encoding) is left out. Only the primary
 * message is ever shown: its DETAIL would repeat a violating row's values. */
static char *without_values(const char *message)
{
    GString *out = g_string_new(NULL);
    for (const char *p = message; *p; p++) {
        if (*p == '"') {
            const char *close = strchr(p + 1, '"');
            g_string_append(out, "\"...\"");
            if (!close)
                break;
            p = close;
        } else if (p[0] == ':' && p[1] == ' ' && p[2] != '"') {
            break;
        } else {
            g_string_append_c(out, *p);
        }
    }
    return g_string_free(out, FALSE);
}

static int fail(seal_db *db, const char *what, const PGresult *result)
{
    const char *state = result ? pq->resultErrorField(result, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = result ? pq->resultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char *message = NULL;
    if (!primary) /* no answer from the server: the connection's own message */
        message = g_strdup(pq->errorMessage(conn(db)));
    else if (state && strncmp(state, "22", 2) == 0)
        message = without_values(primary);
    else
        message = g_strdup(primary);
    int rc = db_engine_fail(db, failure_of(state), what, message);
    g_free(message);
    return rc;
}

static bool result_ok(const PGresult *result)
{
    ExecStatusType status = result ? pq->resultStatus(result) : PGRES_FATAL_ERROR;
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

static int pg_exec(seal_db *db, const char *what, const char *sql)
{
    int rc = 0;
    PGresult *result = pq->exec(conn(db), sql);
    if (!result_ok(result))
        rc = fail(db, what, result);
    else if (strcmp(sql, "COMMIT") == 0 && strcmp(pq->cmdStatus(result), "ROLLBACK") == 0)
        /* The server ends a transaction it had aborted this way instead of committing. */
        rc = db_engine_fail(db, SEAL_DB_OTHER, what,
                            "the server rolled the transaction back after an earlier failure");
    pq->clear(result);
    return rc;
}

static void quiet(void *arg, const char *message)
{
    /* NOTICEs ("relation already exists, skipping") are not for sealsvc's users; libpq
     * would print them on stderr. */
    (void)arg;
    (void)message;
}

static int pg_open(seal_db *db, const char *url, unsigned flags)
{
    (void)flags; /* the database must exist: making one is its administrator's work */
    int rc = db_pq_load();
    if (rc < 0)
        return rc;
    /* Keywords before dbname are defaults the URL may override; those after it are
     * forced (libpq reads them in order, the URL expanded where dbname stands). */
    const char *const keys[] = {"connect_timeout", "fallback_application_name", "dbname",
                                "client_encoding", NULL};
    const char *const values[] = {"10", "sealsvc", url, "UTF8", NULL};
    PGconn *c = pq->connectdbParams(keys, values, 1);
    db->conn = c;
    if (!c)
        return seal_error_set(SEAL_ENOMEM, "out of memory");
    char *what = g_strdup_printf("connecting to %s", db->url);
    if (pq->status(c) != CONNECTION_OK) {
        rc = db_engine_fail(db, SEAL_DB_OTHER, what, pq->errorMessage(c));
    } else {
        pq->setNoticeProcessor(c, quiet, NULL);
        char set[64];
        snprintf(set, sizeof set, "SET lock_timeout = %d", SEAL_DB_WAIT_MS);
        rc = pg_exec(db, what, set);
    }
    g_free(what);
    return rc;
}

static void pg_close(seal_db *db)
{
    pq->finish(conn(db));
    db->conn = NULL;
}

static bool pg_idle(const seal_db *db)
{
    return pq->status(conn(db)) == CONNECTION_OK && pq->transactionStatus(conn(db)) == PQTRANS_IDLE;
}

static void pg_rollback(seal_db *db)
{
    pq->clear(pq->exec(conn(db), "ROLLBACK"));
}

static int pg_prepare(seal_db_stmt *stmt)
{
    pg_stmt *s = g_new0(pg_stmt, 1);
    s->row = -1;
    stmt->engine = s;
    return 0;
}

static int64_t changes_of(const PGresult *result)
{
    static const char *const writes[] = {"INSERT ", "UPDATE ", "DELETE ", "MERGE "};
    const char *status = pq->cmdStatus((PGresult *)result);
    for (size_t i = 0; i < G_N_ELEMENTS(writes); i++)
        if (g_str_has_prefix(status, writes[i]))
            return g_ascii_strtoll(pq->cmdTuples((PGresult *)result), NULL, 10);
    return 0;
}

static int run(seal_db_stmt *stmt, pg_stmt *s)
{
    int n = stmt->n_params;
    Oid *types = g_new0(Oid, n > 0 ? n : 1);
    const char **values = g_new0(const char *, n > 0 ? n : 1);
    int *lengths = g_new0(int, n > 0 ? n : 1);
    int *formats = g_new0(int, n > 0 ? n : 1);
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const db_param *p = &stmt->params[i];
        values[i] = p->kind == DB_PARAM_NULL ? NULL : p->bytes;
        switch (p->kind) {
        case DB_PARAM_INT:
            types[i] = OID_INT8;
            break;
        case DB_PARAM_REAL:
            types[i] = OID_FLOAT8;
            break;
        case DB_PARAM_BLOB:
            /* bytea's binary format is its bytes as they are. */
            if (p->len > INT_MAX) {
                rc = seal_error_set(SEAL_EINVAL, "database statement for %s: ?%d is too large",
                                    stmt->what, i + 1);
                goto out;
            }
            types[i] = OID_BYTEA;
            formats[i] = 1;
            lengths[i] = (int)p->len;
            break;
        default: /* text and NULL: the type the statement gives the parameter */
            break;
        }
    }
    s->result = pq->execParams(conn(stmt->db), stmt->sql, n, types, values, lengths, formats, 1);
    if (!result_ok(s->result)) {
        rc = fail(stmt->db, stmt->what, s->result);
        goto out;
    }
    s->row = -1;
    s->rows = pq->ntuples(s->result);
    stmt->changes = changes_of(s->result);
out:
    g_free(types);
    g_free(values);
    g_free(lengths);
    g_free(formats);
    return rc;
}

static int pg_step(seal_db_stmt *stmt)
{
    pg_stmt *s = stmt->engine;
    if (stmt->state == DB_STMT_READY) {
        int rc = run(stmt, s);
        if (rc < 0)
            return rc;
    }
    s->row++;
    return s->row < s->rows ? SEAL_DB_ROW : SEAL_DB_DONE;
}

static int pg_column_count(seal_db_stmt *stmt)
{
    pg_stmt *s = stmt->engine;
    return s->result ? pq->nfields(s->result) : 0;
}

static uint64_t big_endian(const uint8_t *p, int len)
{
    uint64_t v = 0;
    for (int i = 0; i < len; i++)
        v = v << 8 | p[i];
    return v;
}

/* numeric's binary form (numeric_send): ndigits, weight, sign, dscale as 16-bit words,
 * then ndigits base-10000 digits, the first worth 10000^weight. A whole number within
 * 64 bits becomes an integer; anything else is refused (read it CAST). */
static bool numeric_to_int64(const uint8_t *v, int len, int64_t *out)
{
    if (len < 8)
        return false;
    int ndigits = (int)big_endian(v, 2);
    int weight = (int16_t)big_endian(v + 2, 2);
    unsigned sign = (unsigned)big_endian(v + 4, 2);
    if (len != 8 + 2 * ndigits || (sign != 0x0000 && sign != 0x4000))
        return false; /* NaN, infinities */
    for (int i = 0; i < ndigits; i++)
        if (weight - i < 0 && big_endian(v + 8 + 2 * i, 2) != 0)
            return false; /* a fraction */
    uint64_t magnitude = 0;
    for (int k = 0; k <= weight; k++) {
        uint64_t digit = k < ndigits ? big_endian(v + 8 + 2 * k, 2) : 0;
        if (digit > 9999 || __builtin_mul_overflow(magnitude, 10000, &magnitude) ||
            __builtin_add_overflow(magnitude, digit, &magnitude))
            return false;
    }
    if (sign == 0x4000) {
        if (magnitude > (uint64_t)INT64_MAX + 1)
            return false;
        *out = magnitude == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)magnitude;
    } else {
        if (magnitude > (uint64_t)INT64_MAX)
            return false;
        *out = (int64_t)magnitude;
    }
    return true;
}

static int bad_cell(seal_db_stmt *stmt, int col, const char *problem)
{
    return seal_error_set(SEAL_ESTORE, "database error while %s: column %d %s", stmt->what, col,
                          problem);
}

static int pg_column(seal_db_stmt *stmt, int col, db_cell *out)
{
    pg_stmt *s = stmt->engine;
    memset(out, 0, sizeof *out);
    if (pq->getisnull(s->result, s->row, col)) {
        out->kind = DB_CELL_NULL;
        return 0;
    }
    Oid type = pq->ftype(s->result, col);
    const uint8_t *v = (const uint8_t *)pq->getvalue(s->result, s->row, col);
    int len = pq->getlength(s->result, s->row, col);
    int width = 0;
    switch (type) {
    case OID_BOOL:
        width = 1;
        break;
    case OID_INT2:
        width = 2;
        break;
    case OID_INT4:
    case OID_OID:
    case OID_FLOAT4:
        width = 4;
        break;
    case OID_INT8:
    case OID_FLOAT8:
        width = 8;
        break;
    }
    if (width && len != width)
        return bad_cell(stmt, col, "came back with a length its type does not have");
    switch (type) {
    case OID_BOOL:
        out->kind = DB_CELL_INT;
        out->i = v[0] != 0;
        return 0;
    case OID_INT2:
        out->kind = DB_CELL_INT;
        out->i = (int16_t)big_endian(v, 2);
        return 0;
    case OID_INT4:
        out->kind = DB_CELL_INT;
        out->i = (int32_t)big_endian(v, 4);
        return 0;
    case OID_OID:
        out->kind = DB_CELL_INT;
        out->i = (int64_t)big_endian(v, 4);
        return 0;
    case OID_INT8:
        out->kind = DB_CELL_INT;
        out->i = (int64_t)big_endian(v, 8);
        return 0;
    case OID_FLOAT4: {
        uint32_t bits = (uint32_t)big_endian(v, 4);
        float f;
        memcpy(&f, &bits, sizeof f);
        out->kind = DB_CELL_REAL;
        out->d = f;
        return 0;
    }
    case OID_FLOAT8: {
        uint64_t bits = big_endian(v, 8);
        memcpy(&out->d, &bits, sizeof out->d);
        out->kind = DB_CELL_REAL;
        return 0;
    }
    case OID_NUMERIC:
        if (!numeric_to_int64(v, len, &out->i))
            return bad_cell(stmt, col,
                            "is a numeric value that is not a whole number within 64 bits; "
                            "CAST it in the SQL (to BIGINT or DOUBLE PRECISION)");
        out->kind = DB_CELL_INT;
        return 0;
    case OID_TEXT:
    case OID_VARCHAR:
    case OID_BPCHAR:
    case OID_NAME:
    case OID_UNKNOWN:
        /* libpq ends every value with a NUL byte, binary ones too (libpq's PQgetvalue). */
        out->kind = DB_CELL_TEXT;
        out->bytes = v;
        out->len = (size_t)len;
        return 0;
    case OID_BYTEA:
        out->kind = DB_CELL_BLOB;
        out->bytes = v;
        out->len = (size_t)len;
        return 0;
    }
    char problem[192];
    snprintf(problem, sizeof problem,
             "has a PostgreSQL type (OID %u) the store does not read; CAST it in the SQL to "
             "BIGINT, DOUBLE PRECISION, TEXT or BYTEA",
             (unsigned)type);
    return bad_cell(stmt, col, problem);
}

static void pg_reset(seal_db_stmt *stmt)
{
    pg_stmt *s = stmt->engine;
    pq->clear(s->result);
    s->result = NULL;
    s->row = -1;
    s->rows = 0;
}

static void pg_finalize(seal_db_stmt *stmt)
{
    pg_reset(stmt);
    g_free(stmt->engine);
    stmt->engine = NULL;
}

const db_engine_ops db_postgres_ops = {
    .open = pg_open,
    .close = pg_close,
    .exec = pg_exec,
    .rollback = pg_rollback,
    .idle = pg_idle,
    .prepare = pg_prepare,
    .step = pg_step,
    .column_count = pg_column_count,
    .column = pg_column,
    .reset = pg_reset,
    .finalize = pg_finalize,
    .begin_sql = "BEGIN ISOLATION LEVEL READ COMMITTED",
    .id_type = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    .blob_type = "BYTEA",
    .real_type = "DOUBLE PRECISION",
    .schema_table_exists_sql =
        "SELECT CASE WHEN to_regclass('schema_version') IS NULL THEN 0 ELSE 1 END",
};
