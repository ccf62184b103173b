/* The engine-neutral half of the database layer (db.h): connections by URL, statements
 * and their bound values, the type rules both engines follow, transactions, writer locks
 * and the retry of conflicts, and every message. The engines (sqlite.c, postgres.c) only
 * run what this file has checked. The store calls these; nothing above the store does. */
#include "db/db_internal.h"

#include <seal/buf.h>
#include <seal/error.h>

#include <glib.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* seal_db_transaction: how many times a conflict is tried again, and the longest pause
 * before the last try (the pause doubles from about 1 ms, at random within its bounds so
 * that writers that collided do not collide again). */
#define TX_ATTEMPTS     10
#define TX_PAUSE_MAX_US 64000

/* ---------------------------------------------------------------- messages */

char *db_scrub(const seal_db *db, const char *text)
{
    GString *out = g_string_new(text);
    for (char **s = db->secrets; s && *s; s++) {
        size_t len = strlen(*s);
        /* A password of one or two characters would garble every message it occurs in;
         * libpq never repeats a password anyway, this only guards against a URI it echoes. */
        if (len < 3)
            continue;
        char *at;
        while ((at = strstr(out->str, *s)) != NULL) {
            gssize pos = at - out->str;
            g_string_erase(out, pos, (gssize)len);
            g_string_insert(out, pos, "***");
        }
    }
    return g_string_free(out, FALSE);
}

int db_engine_fail(seal_db *db, seal_db_failure kind, const char *what, const char *message)
{
    char *scrubbed = db_scrub(db, message && *message ? message : "unknown error");
    /* Engine messages may span lines (libpq's do): one line, as every libseal message. */
    char **words = g_strsplit_set(scrubbed, " \t\r\n", -1);
    GString *line = g_string_new(NULL);
    for (char **w = words; *w; w++)
        if (**w)
            g_string_append_printf(line, "%s%s", line->len ? " " : "", *w);
    g_strfreev(words);
    g_free(scrubbed);
    char *clean = g_string_free(line, FALSE);
    db->failure = kind;
    if (db->in_tx) {
        db->tx_failed = true;
        if (kind == SEAL_DB_CONFLICT)
            db->tx_conflict = true;
    }
    int rc = seal_error_set(SEAL_ESTORE, "database error while %s: %s", what, clean);
    g_free(clean);
    return rc;
}

static int misuse(const seal_db_stmt *stmt, const char *problem)
{
    return seal_error_set(SEAL_EINVAL, "database statement for %s: %s", stmt->what, problem);
}

/* ---------------------------------------------------------------- connections */

int seal_db_open(seal_db **out, const char *url, unsigned flags)
{
    int rc = 0;
    seal_db *db = NULL;
    *out = NULL;
    SEAL_ENSURE(url && *url, SEAL_EINVAL,
                "no database URL was given; use sqlite:PATH or postgresql://...");
    db = g_new0(seal_db, 1);
    db->url = db_url_redact(url);
    db->secrets = db_url_passwords(url);
    const char *target = url;
    if (g_str_has_prefix(url, "sqlite:")) {
        db->ops = &db_sqlite_ops;
        db->engine = SEAL_DB_SQLITE;
        target = url + strlen("sqlite:");
        SEAL_ENSURE(*target, SEAL_EINVAL,
                    "the database URL sqlite: names no file; use sqlite:PATH");
        SEAL_ENSURE(!g_str_has_prefix(target, "//"), SEAL_EINVAL,
                    "the database URL %s is not a file path; use sqlite:/absolute/path or "
                    "sqlite:relative/path",
                    db->url);
    } else if (g_str_has_prefix(url, "postgresql://") || g_str_has_prefix(url, "postgres://")) {
        db->ops = &db_postgres_ops;
        db->engine = SEAL_DB_POSTGRESQL;
    } else if (strcmp(db->url, DB_URL_HIDDEN) == 0) {
        SEAL_FAIL(SEAL_EINVAL,
                  "the database URL is not one sealsvc knows (it is not shown: it may hold a "
                  "password); use sqlite:PATH or postgresql://user@host/database");
    } else {
        SEAL_FAIL(SEAL_EINVAL,
                  "'%s' is not a database URL sealsvc knows; use sqlite:PATH or "
                  "postgresql://user@host/database",
                  db->url);
    }
    SEAL_TRY(db->ops->open(db, target, flags));
    *out = db;
    db = NULL;
out:
    seal_db_close(db);
    return rc;
}

void seal_db_close(seal_db *db)
{
    if (!db)
        return;
    if (db->in_tx)
        seal_db_rollback(db);
    if (db->conn) /* not when open failed before the engine had one */
        db->ops->close(db);
    g_free(db->url);
    for (char **s = db->secrets; s && *s; s++)
        seal_secure_zero(*s, strlen(*s));
    g_strfreev(db->secrets);
    g_free(db);
}

seal_db_engine seal_db_engine_of(const seal_db *db)
{
    return db->engine;
}

const char *seal_db_url(const seal_db *db)
{
    return db->url;
}

bool seal_db_idle(const seal_db *db)
{
    return db && db->conn && !db->in_tx && db->ops->idle(db);
}

seal_db_failure seal_db_last_failure(const seal_db *db)
{
    return db->failure;
}

int seal_db_exec(seal_db *db, const char *what, const char *sql)
{
    char *text = NULL;
    db->failure = SEAL_DB_NO_FAILURE;
    int rc = db_sql_translate(sql, DB_SQL_SCRIPT, db->ops, &text, NULL);
    if (rc == 0)
        rc = db->ops->exec(db, what, text);
    g_free(text);
    return rc;
}

/* ---------------------------------------------------------------- statements */

int seal_db_prepare(seal_db *db, seal_db_stmt **out, const char *what, const char *sql)
{
    int rc = 0;
    seal_db_stmt *stmt = g_new0(seal_db_stmt, 1);
    *out = NULL;
    db->failure = SEAL_DB_NO_FAILURE;
    stmt->db = db;
    stmt->what = g_strdup(what);
    SEAL_TRY(db_sql_translate(sql, DB_SQL_STATEMENT, db->ops, &stmt->sql, &stmt->n_params));
    stmt->params = g_new0(db_param, stmt->n_params > 0 ? stmt->n_params : 1);
    SEAL_TRY(db->ops->prepare(stmt));
    *out = stmt;
    stmt = NULL;
out:
    seal_db_finalize(stmt);
    return rc;
}

static void param_clear(db_param *p)
{
    g_free(p->bytes);
    memset(p, 0, sizeof *p);
}

/* The parameter ?index, cleared, ready to take a value; NULL (and the message kept for
 * the next step) when it cannot be bound now. */
static db_param *param_for(seal_db_stmt *stmt, int index)
{
    const char *problem = NULL;
    char buf[128];
    if (stmt->state != DB_STMT_READY)
        problem = "a parameter was bound after the statement ran; reset it first";
    else if (index < 1 || index > stmt->n_params) {
        snprintf(buf, sizeof buf, "there is no parameter ?%d (the statement has %d)", index,
                 stmt->n_params);
        problem = buf;
    }
    if (problem) {
        misuse(stmt, problem);
        g_free(stmt->bind_error);
        stmt->bind_error = g_strdup(seal_error_last());
        return NULL;
    }
    db_param *p = &stmt->params[index - 1];
    param_clear(p);
    return p;
}

/* Like param_for, for a value that is itself wrong ("not valid UTF-8"). */
static int bad_value(seal_db_stmt *stmt, int index, const char *problem)
{
    int rc = seal_error_set(SEAL_EINVAL, "database statement for %s: the value for ?%d %s",
                            stmt->what, index, problem);
    g_free(stmt->bind_error);
    stmt->bind_error = g_strdup(seal_error_last());
    return rc;
}

int seal_db_bind_int64(seal_db_stmt *stmt, int index, int64_t value)
{
    db_param *p = param_for(stmt, index);
    if (!p)
        return SEAL_EINVAL;
    p->kind = DB_PARAM_INT;
    p->i = value;
    p->bytes = g_strdup_printf("%" PRId64, value);
    p->len = strlen(p->bytes);
    return 0;
}

int seal_db_bind_double(seal_db_stmt *stmt, int index, double value)
{
    if (isnan(value))
        return bad_value(stmt, index, "is not a number (NaN), which SQLite cannot keep");
    db_param *p = param_for(stmt, index);
    if (!p)
        return SEAL_EINVAL;
    p->kind = DB_PARAM_REAL;
    p->d = value;
    /* 17 significant digits give back the same double (IEEE 754 binary64). */
    if (isinf(value))
        p->bytes = g_strdup(value > 0 ? "Infinity" : "-Infinity");
    else
        p->bytes = g_strdup_printf("%.17g", value);
    p->len = strlen(p->bytes);
    return 0;
}

int seal_db_bind_text_len(seal_db_stmt *stmt, int index, const char *text, size_t len)
{
    if (!text)
        return seal_db_bind_null(stmt, index);
    if (memchr(text, '\0', len))
        return bad_value(stmt, index, "holds a NUL character, which text cannot hold");
    if (!g_utf8_validate(text, (gssize)len, NULL))
        return bad_value(stmt, index, "is not valid UTF-8");
    db_param *p = param_for(stmt, index);
    if (!p)
        return SEAL_EINVAL;
    p->kind = DB_PARAM_TEXT;
    p->bytes = g_strndup(text, len);
    p->len = len;
    return 0;
}

int seal_db_bind_text(seal_db_stmt *stmt, int index, const char *text)
{
    return seal_db_bind_text_len(stmt, index, text, text ? strlen(text) : 0);
}

int seal_db_bind_blob(seal_db_stmt *stmt, int index, const void *data, size_t len)
{
    if (!data && len > 0)
        return bad_value(stmt, index, "is missing");
    db_param *p = param_for(stmt, index);
    if (!p)
        return SEAL_EINVAL;
    p->kind = DB_PARAM_BLOB;
    /* Never NULL, so that an empty blob stays a blob and does not become SQL NULL. */
    p->bytes = g_malloc(len > 0 ? len : 1);
    if (len > 0)
        memcpy(p->bytes, data, len);
    p->len = len;
    return 0;
}

int seal_db_bind_null(seal_db_stmt *stmt, int index)
{
    db_param *p = param_for(stmt, index);
    if (!p)
        return SEAL_EINVAL;
    p->kind = DB_PARAM_NULL;
    return 0;
}

int seal_db_step(seal_db_stmt *stmt)
{
    stmt->db->failure = SEAL_DB_NO_FAILURE;
    if (stmt->bind_error)
        return seal_error_set(SEAL_EINVAL, "%s", stmt->bind_error);
    if (stmt->state == DB_STMT_DONE || stmt->state == DB_STMT_FAILED)
        return misuse(stmt, "stepped again after it finished; reset it first");
    if (stmt->state == DB_STMT_READY) {
        for (int i = 0; i < stmt->n_params; i++)
            if (stmt->params[i].kind == DB_PARAM_UNSET) {
                char problem[64];
                snprintf(problem, sizeof problem, "?%d was not bound", i + 1);
                return misuse(stmt, problem);
            }
        stmt->changes = 0;
    }
    int rc = stmt->db->ops->step(stmt);
    stmt->on_row = rc == SEAL_DB_ROW;
    stmt->state = rc < 0 ? DB_STMT_FAILED : rc == SEAL_DB_DONE ? DB_STMT_DONE : DB_STMT_RUNNING;
    return rc;
}

/* The cell at `col` of the current row, or the message why there is none. */
static int cell(seal_db_stmt *stmt, int col, db_cell *out)
{
    if (!stmt->on_row)
        return misuse(stmt, "a column was read with no row at hand");
    int n = stmt->db->ops->column_count(stmt);
    if (col < 0 || col >= n) {
        char problem[96];
        snprintf(problem, sizeof problem, "there is no column %d (the row has %d, from 0)", col, n);
        return misuse(stmt, problem);
    }
    return stmt->db->ops->column(stmt, col, out);
}

static const char *cell_kind_name(db_cell_kind kind)
{
    switch (kind) {
    case DB_CELL_NULL:
        return "NULL";
    case DB_CELL_INT:
        return "an integer";
    case DB_CELL_REAL:
        return "a floating-point number";
    case DB_CELL_TEXT:
        return "text";
    case DB_CELL_BLOB:
        return "a blob";
    }
    return "?";
}

static int wrong_type(seal_db_stmt *stmt, int col, const db_cell *c, const char *wanted)
{
    return seal_error_set(SEAL_ESTORE,
                          "database error while %s: column %d holds %s, read as %s; CAST it in "
                          "the SQL",
                          stmt->what, col, cell_kind_name(c->kind), wanted);
}

int seal_db_column_int64(seal_db_stmt *stmt, int col, int64_t *out)
{
    db_cell c;
    int rc = cell(stmt, col, &c);
    *out = 0;
    if (rc < 0)
        return rc;
    if (c.kind != DB_CELL_INT && c.kind != DB_CELL_NULL)
        return wrong_type(stmt, col, &c, "an integer");
    *out = c.kind == DB_CELL_INT ? c.i : 0;
    return 0;
}

int seal_db_column_double(seal_db_stmt *stmt, int col, double *out)
{
    db_cell c;
    int rc = cell(stmt, col, &c);
    *out = 0;
    if (rc < 0)
        return rc;
    if (c.kind == DB_CELL_REAL)
        *out = c.d;
    else if (c.kind == DB_CELL_INT)
        *out = (double)c.i;
    else if (c.kind != DB_CELL_NULL)
        return wrong_type(stmt, col, &c, "a floating-point number");
    return 0;
}

int seal_db_column_text(seal_db_stmt *stmt, int col, const char **out)
{
    db_cell c;
    int rc = cell(stmt, col, &c);
    *out = NULL;
    if (rc < 0)
        return rc;
    if (c.kind != DB_CELL_TEXT && c.kind != DB_CELL_NULL)
        return wrong_type(stmt, col, &c, "text");
    *out = c.kind == DB_CELL_TEXT ? (const char *)c.bytes : NULL;
    return 0;
}

int seal_db_column_blob(seal_db_stmt *stmt, int col, const uint8_t **data, size_t *len)
{
    db_cell c;
    int rc = cell(stmt, col, &c);
    *data = NULL;
    *len = 0;
    if (rc < 0)
        return rc;
    if (c.kind != DB_CELL_BLOB && c.kind != DB_CELL_TEXT && c.kind != DB_CELL_NULL)
        return wrong_type(stmt, col, &c, "a blob");
    if (c.kind != DB_CELL_NULL) {
        *data = c.bytes;
        *len = c.len;
    }
    return 0;
}

bool seal_db_column_is_null(seal_db_stmt *stmt, int col)
{
    db_cell c;
    return stmt->on_row && col >= 0 && col < stmt->db->ops->column_count(stmt) &&
           stmt->db->ops->column(stmt, col, &c) == 0 && c.kind == DB_CELL_NULL;
}

int64_t seal_db_changes(const seal_db_stmt *stmt)
{
    return stmt->state == DB_STMT_DONE ? stmt->changes : 0;
}

void seal_db_reset(seal_db_stmt *stmt)
{
    if (!stmt)
        return;
    stmt->db->ops->reset(stmt);
    g_free(stmt->bind_error);
    stmt->bind_error = NULL;
    stmt->state = DB_STMT_READY;
    stmt->on_row = false;
    stmt->changes = 0;
}

void seal_db_finalize(seal_db_stmt *stmt)
{
    if (!stmt)
        return;
    if (stmt->engine)
        stmt->db->ops->finalize(stmt);
    for (int i = 0; i < stmt->n_params; i++)
        param_clear(&stmt->params[i]);
    g_free(stmt->params);
    g_free(stmt->bind_error);
    g_free(stmt->sql);
    g_free(stmt->what);
    g_free(stmt);
}

/* ---------------------------------------------------------------- transactions */

int seal_db_begin(seal_db *db)
{
    db->failure = SEAL_DB_NO_FAILURE;
    if (db->in_tx)
        return seal_error_set(SEAL_EINVAL,
                              "database: a transaction was started inside another one");
    db->tx_failed = false;
    db->tx_conflict = false;
    int rc = db->ops->exec(db, "starting a transaction", db->ops->begin_sql);
    if (rc == 0)
        db->in_tx = true;
    return rc;
}

int seal_db_commit(seal_db *db)
{
    if (!db->in_tx)
        return seal_error_set(SEAL_EINVAL, "database: commit without a transaction");
    /* A statement that failed dooms its transaction on both engines, as PostgreSQL
     * does on its own: what the transaction wrote is kept whole or not at all. */
    if (db->tx_failed) {
        seal_db_rollback(db);
        db->failure = db->tx_conflict ? SEAL_DB_CONFLICT : SEAL_DB_OTHER;
        return seal_error_set(SEAL_ESTORE,
                              "database: a transaction whose statement failed was committed; "
                              "it was rolled back instead");
    }
    db->failure = SEAL_DB_NO_FAILURE;
    int rc = db->ops->exec(db, "committing", "COMMIT");
    if (rc < 0) {
        bool conflict = db->failure == SEAL_DB_CONFLICT;
        seal_db_rollback(db);
        db->failure = conflict ? SEAL_DB_CONFLICT : SEAL_DB_OTHER;
        return rc;
    }
    db->in_tx = false;
    return 0;
}

void seal_db_rollback(seal_db *db)
{
    if (!db->in_tx)
        return;
    db->ops->rollback(db);
    db->in_tx = false;
}

int seal_db_lock(seal_db *db, const char *name)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    char *what = NULL;
    SEAL_ENSURE(name && *name, SEAL_EINVAL, "database: a writer lock needs a name");
    SEAL_ENSURE(db->in_tx, SEAL_EINVAL,
                "database: the writer lock %s was asked for outside a transaction", name);
    if (db->engine != SEAL_DB_POSTGRESQL)
        goto out;
    /* The key: the first 8 bytes of SHA-256("sealsvc:" NAME). The prefix keeps our keys
     * apart from other programs' advisory locks in the same database; two names sharing
     * a key (chance 2^-64) would only wait for each other. */
    uint8_t digest[32];
    gsize digest_len = sizeof digest;
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(sum, (const guchar *)"sealsvc:", 8);
    g_checksum_update(sum, (const guchar *)name, (gssize)strlen(name));
    g_checksum_get_digest(sum, digest, &digest_len);
    g_checksum_free(sum);
    uint64_t key = 0;
    for (int i = 0; i < 8; i++)
        key = key << 8 | digest[i];
    what = g_strdup_printf("taking the writer lock %s", name);
    SEAL_TRY(seal_db_prepare(db, &stmt, what, "SELECT pg_advisory_xact_lock(?1)"));
    SEAL_TRY(seal_db_bind_int64(stmt, 1, (int64_t)key));
    int step;
    while ((step = seal_db_step(stmt)) == SEAL_DB_ROW)
        ;
    SEAL_TRY(step);
out:
    seal_db_finalize(stmt);
    g_free(what);
    return rc;
}

int seal_db_transaction(seal_db *db, int (*fn)(seal_db *db, void *arg), void *arg)
{
    int rc = 0;
    for (int attempt = 1;; attempt++) {
        rc = seal_db_begin(db);
        if (rc == 0) {
            rc = fn(db, arg);
            bool conflict = db->tx_conflict;
            if (rc < 0) {
                seal_db_rollback(db);
                if (!conflict)
                    return rc;
                db->failure = SEAL_DB_CONFLICT;
            } else {
                rc = seal_db_commit(db);
                if (rc == 0)
                    return 0;
            }
        }
        if (db->failure != SEAL_DB_CONFLICT)
            return rc;
        if (attempt == TX_ATTEMPTS)
            return seal_error_wrap(rc,
                                   "gave up after %d attempts (other writers kept the "
                                   "database busy)",
                                   TX_ATTEMPTS);
        int ceiling = MIN(TX_PAUSE_MAX_US, 1000 << MIN(attempt, 6));
        g_usleep((gulong)g_random_int_range(ceiling / 2, ceiling + 1));
    }
}
