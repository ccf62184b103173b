/* The SQLite engine of the database layer (db.h): one database file, the embedded
 * default. Writers are serialised by the file's one write lock, taken at BEGIN IMMEDIATE
 * and waited for up to SEAL_DB_WAIT_MS (the busy timeout); the write-ahead log lets
 * readers run beside a writer. db.c has checked and copied everything that arrives here. */
#include "db/db_internal.h"

#include <seal/error.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct sq_stmt {
    sqlite3_stmt *stmt;
    sqlite3_int64 changes_before; /* the connection's total changes when the run began */
} sq_stmt;

static sqlite3 *conn(const seal_db *db)
{
    return db->conn;
}

static seal_db_failure failure_of(int code)
{
    switch (code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        return SEAL_DB_UNIQUE;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
        return SEAL_DB_FOREIGN_KEY;
    case SQLITE_CONSTRAINT_CHECK:
        return SEAL_DB_CHECK;
    case SQLITE_CONSTRAINT_NOTNULL:
        return SEAL_DB_NOT_NULL;
    }
    /* SQLITE_BUSY and its extended codes: the write lock was held past the busy timeout,
     * or a snapshot went stale under another writer. */
    return (code & 0xff) == SQLITE_BUSY ? SEAL_DB_CONFLICT : SEAL_DB_OTHER;
}

static int fail(seal_db *db, const char *what)
{
    return db_engine_fail(db, failure_of(sqlite3_extended_errcode(conn(db))), what,
                          sqlite3_errmsg(conn(db)));
}

static int sq_exec(seal_db *db, const char *what, const char *sql)
{
    if (sqlite3_exec(conn(db), sql, NULL, NULL, NULL) != SQLITE_OK)
        return fail(db, what);
    return 0;
}

/* Makes the file 0600 before SQLite first opens it: SQLite gives its -wal and -shm files
 * the database file's mode, so what the store keeps never rests world-readable. */
static int create_file(const seal_db *db, const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST)
        return seal_error_set(SEAL_EIO, "cannot create the database %s: %s", db->url,
                              strerror(errno));
    if (fd >= 0)
        close(fd);
    return 0;
}

static int sq_open(seal_db *db, const char *path, unsigned flags)
{
    int rc = 0;
    sqlite3 *handle = NULL;
    char *what = g_strdup_printf("opening %s", db->url);
    SEAL_ENSURE(sqlite3_threadsafe(), SEAL_EUNSUPPORTED,
                "the SQLite library was built without thread support");
    if (flags & SEAL_DB_CREATE) {
        SEAL_TRY(create_file(db, path));
    } else {
        struct stat st;
        SEAL_ENSURE(stat(path, &st) == 0, SEAL_ENOTFOUND, "the database %s does not exist",
                    db->url);
        SEAL_ENSURE(S_ISREG(st.st_mode), SEAL_EINVAL, "the database %s is not a file", db->url);
    }
    /* NOMUTEX: a connection is used by one thread at a time (db.h). */
    int open_rc = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    db->conn = handle;
    if (open_rc != SQLITE_OK) {
        if (!handle)
            SEAL_FAIL(SEAL_ENOMEM, "out of memory");
        SEAL_TRY(fail(db, what));
    }
    sqlite3_extended_result_codes(handle, 1);
    sqlite3_busy_timeout(handle, SEAL_DB_WAIT_MS);
    /* The WAL stays when the last connection closes, its frames checkpointed by a later
     * commit (still each commit synced): a command that opens the store, commits one record
     * and exits would otherwise also checkpoint, sync the database file, delete the WAL
     * and, on the next start, create it again and sync the folder, which doubled a short
     * command's syncs. But the first connection of a process that finds the WAL without
     * another connection open rebuilds its index by reading every frame written since the
     * last checkpoint: with SQLite's default of a checkpoint every 1000 pages, a command
     * read up to 4 MB at open (908 reads, 1.5 ms, for a `stamp finish`). A checkpoint every
     * 128 pages (512 KB) bounds that read to a tenth, for one sync of the database file
     * every few dozen stamps (docs/performance.md). */
    sqlite3_db_config(handle, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    /* WAL lets readers (verify, list) run beside a stamping writer; foreign keys are
     * enforced as PostgreSQL always does. Reading the first page here also tells a file
     * that is not a database. */
    SEAL_TRY(sq_exec(db, what,
                     "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 128; "
                     "PRAGMA foreign_keys = ON"));
out:
    g_free(what);
    return rc;
}

static void sq_close(seal_db *db)
{
    sqlite3_close_v2(conn(db));
    db->conn = NULL;
}

static bool sq_idle(const seal_db *db)
{
    return sqlite3_get_autocommit(conn(db)) != 0;
}

static void sq_rollback(seal_db *db)
{
    sqlite3_exec(conn(db), "ROLLBACK", NULL, NULL, NULL);
}

static int sq_prepare(seal_db_stmt *stmt)
{
    sq_stmt *s = g_new0(sq_stmt, 1);
    stmt->engine = s;
    if (sqlite3_prepare_v2(conn(stmt->db), stmt->sql, -1, &s->stmt, NULL) != SQLITE_OK)
        return fail(stmt->db, stmt->what);
    return 0;
}

/* Hands db.c's copies to SQLite without copying again: they live until they are bound
 * anew or the statement is finalized. */
static void bind_all(seal_db_stmt *stmt, sqlite3_stmt *st)
{
    for (int i = 0; i < stmt->n_params; i++) {
        const db_param *p = &stmt->params[i];
        switch (p->kind) {
        case DB_PARAM_INT:
            sqlite3_bind_int64(st, i + 1, p->i);
            break;
        case DB_PARAM_REAL:
            sqlite3_bind_double(st, i + 1, p->d);
            break;
        case DB_PARAM_TEXT:
            sqlite3_bind_text64(st, i + 1, p->bytes, p->len, SQLITE_STATIC, SQLITE_UTF8);
            break;
        case DB_PARAM_BLOB:
            /* p->bytes is never NULL: a NULL pointer would bind SQL NULL. */
            sqlite3_bind_blob64(st, i + 1, p->bytes, p->len, SQLITE_STATIC);
            break;
        case DB_PARAM_NULL:
        case DB_PARAM_UNSET:
            sqlite3_bind_null(st, i + 1);
            break;
        }
    }
}

static int sq_step(seal_db_stmt *stmt)
{
    sq_stmt *s = stmt->engine;
    sqlite3 *c = conn(stmt->db);
    if (stmt->state == DB_STMT_READY) {
        bind_all(stmt, s->stmt);
        s->changes_before = sqlite3_total_changes64(c);
    }
    int rc = sqlite3_step(s->stmt);
    if (rc == SQLITE_ROW)
        return SEAL_DB_ROW;
    if (rc == SQLITE_DONE) {
        /* The whole run's changes: RETURNING rows were all made at the first step. */
        stmt->changes = sqlite3_total_changes64(c) - s->changes_before;
        return SEAL_DB_DONE;
    }
    return fail(stmt->db, stmt->what);
}

static int sq_column_count(seal_db_stmt *stmt)
{
    return sqlite3_column_count(((sq_stmt *)stmt->engine)->stmt);
}

static int sq_column(seal_db_stmt *stmt, int col, db_cell *out)
{
    sqlite3_stmt *st = ((sq_stmt *)stmt->engine)->stmt;
    memset(out, 0, sizeof *out);
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_INTEGER:
        out->kind = DB_CELL_INT;
        out->i = sqlite3_column_int64(st, col);
        break;
    case SQLITE_FLOAT:
        out->kind = DB_CELL_REAL;
        out->d = sqlite3_column_double(st, col);
        break;
    case SQLITE_TEXT:
        out->kind = DB_CELL_TEXT;
        out->bytes = sqlite3_column_text(st, col);
        out->len = (size_t)sqlite3_column_bytes(st, col);
        break;
    case SQLITE_BLOB:
        out->kind = DB_CELL_BLOB;
        out->bytes = sqlite3_column_blob(st, col);
        out->len = (size_t)sqlite3_column_bytes(st, col);
        break;
    default:
        out->kind = DB_CELL_NULL;
        break;
    }
    /* SQLite gives NULL for an empty text or blob (or when out of memory). */
    if ((out->kind == DB_CELL_TEXT || out->kind == DB_CELL_BLOB) && !out->bytes) {
        if (sqlite3_errcode(conn(stmt->db)) == SQLITE_NOMEM)
            return seal_error_set(SEAL_ENOMEM, "out of memory");
        out->bytes = (const uint8_t *)"";
    }
    return 0;
}

static void sq_reset(seal_db_stmt *stmt)
{
    sqlite3_reset(((sq_stmt *)stmt->engine)->stmt);
}

static void sq_finalize(seal_db_stmt *stmt)
{
    sq_stmt *s = stmt->engine;
    sqlite3_finalize(s->stmt);
    g_free(s);
    stmt->engine = NULL;
}

const db_engine_ops db_sqlite_ops = {
    .open = sq_open,
    .close = sq_close,
    .exec = sq_exec,
    .rollback = sq_rollback,
    .idle = sq_idle,
    .prepare = sq_prepare,
    .step = sq_step,
    .column_count = sq_column_count,
    .column = sq_column,
    .reset = sq_reset,
    .finalize = sq_finalize,
    .begin_sql = "BEGIN IMMEDIATE",
    .id_type = "INTEGER PRIMARY KEY",
    .blob_type = "BLOB",
    .real_type = "REAL",
    .schema_table_exists_sql =
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
};
