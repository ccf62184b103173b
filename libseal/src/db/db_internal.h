/* What db.c shares with the two engines (sqlite.c, postgres.c) and the SQL scanner
 * (sql_text.c): the connection and statement records, the bound values, the table of
 * engine operations, and one cell of a result in engine-neutral form. db.c owns
 * everything the engines agree on (checking arguments, bindings, type rules, messages);
 * an engine only talks to its library. */
#ifndef SEAL_DB_INTERNAL_H
#define SEAL_DB_INTERNAL_H

#include "db/db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The highest placeholder number a statement may use. */
#define DB_MAX_PARAMS 999

typedef enum db_param_kind {
    DB_PARAM_UNSET = 0,
    DB_PARAM_NULL,
    DB_PARAM_INT,
    DB_PARAM_REAL,
    DB_PARAM_TEXT,
    DB_PARAM_BLOB,
} db_param_kind;

/* A bound value, copied. `bytes` holds text (NUL-terminated), a blob, or the decimal text
 * of a number as PostgreSQL's text format wants it. */
typedef struct db_param {
    db_param_kind kind;
    int64_t i;
    double d;
    char *bytes;
    size_t len;
} db_param;

/* One cell of the current row as an engine gives it. */
typedef enum db_cell_kind {
    DB_CELL_NULL,
    DB_CELL_INT,
    DB_CELL_REAL,
    DB_CELL_TEXT, /* bytes NUL-terminated */
    DB_CELL_BLOB,
} db_cell_kind;

typedef struct db_cell {
    db_cell_kind kind;
    int64_t i;
    double d;
    const uint8_t *bytes; /* never NULL for TEXT and BLOB, empty ones included */
    size_t len;
} db_cell;

typedef enum db_stmt_state {
    DB_STMT_READY,   /* bindings may change; the next step runs it */
    DB_STMT_RUNNING, /* stepped; rows may follow */
    DB_STMT_DONE,
    DB_STMT_FAILED,
} db_stmt_state;

typedef struct db_engine_ops db_engine_ops;

struct seal_db {
    const db_engine_ops *ops;
    seal_db_engine engine;
    char *url;      /* without a password */
    char **secrets; /* the URL's password spellings, to scrub from engine messages */
    void *conn;     /* sqlite3 * or PGconn * */
    bool in_tx;
    bool tx_failed;   /* a statement of this transaction failed: it cannot commit */
    bool tx_conflict; /* ... because of a conflict: trying it again may succeed */
    seal_db_failure failure;
    unsigned long next_stmt_id;
};

struct seal_db_stmt {
    seal_db *db;
    char *what;
    char *sql; /* as the engine takes it ($N for PostgreSQL) */
    int n_params;
    db_param *params; /* [n_params], index 0 is ?1 */
    char *bind_error; /* a failed bind's message, repeated by the next step */
    db_stmt_state state;
    bool on_row;
    int64_t changes;
    void *engine; /* the engine's own statement record */
};

struct db_engine_ops {
    /* `target`: SQLite's path (the URL after "sqlite:"), PostgreSQL's whole URL. Sets
     * db->conn; on failure, the message. */
    int (*open)(seal_db *db, const char *target, unsigned flags);
    void (*close)(seal_db *db);
    int (*exec)(seal_db *db, const char *what, const char *sql);
    /* Ends the transaction, reporting nothing: it runs after another failure, whose
     * message stays. */
    void (*rollback)(seal_db *db);
    /* True when the connection is up and inside no transaction (no statement running). */
    bool (*idle)(const seal_db *db);
    int (*prepare)(seal_db_stmt *stmt);
    /* Runs the statement at its first call after a reset, then moves row by row:
     * SEAL_DB_ROW, SEAL_DB_DONE (stmt->changes set) or an error. */
    int (*step)(seal_db_stmt *stmt);
    /* The number of columns of the current row (of any row of the statement). */
    int (*column_count)(seal_db_stmt *stmt);
    /* The cell at col, 0 <= col < column_count; an error for a type no rule reads. */
    int (*column)(seal_db_stmt *stmt, int col, db_cell *out);
    void (*reset)(seal_db_stmt *stmt);
    void (*finalize)(seal_db_stmt *stmt);
    /* SQL fragments of this engine's dialect. */
    const char *begin_sql;
    const char *id_type, *blob_type, *real_type;
    const char *schema_table_exists_sql; /* one row, one count: is schema_version there? */
};

extern const db_engine_ops db_sqlite_ops;
extern const db_engine_ops db_postgres_ops;

/* Records a failure of the engine: "database error while WHAT: MESSAGE" (the message with
 * the password scrubbed), remembers its kind (a conflict also for the rest of the
 * transaction) and returns SEAL_ESTORE. */
int db_engine_fail(seal_db *db, seal_db_failure kind, const char *what, const char *message);
/* `text` with every occurrence of the connection's password replaced: a new string. */
char *db_scrub(const seal_db *db, const char *text);

/* ---- SQL text (sql_text.c) ---- */

typedef enum db_sql_mode {
    DB_SQL_STATEMENT, /* one statement with numbered placeholders */
    DB_SQL_SCRIPT,    /* statements without placeholders */
    DB_SQL_DDL,       /* a script whose {tokens} are replaced */
} db_sql_mode;

/* Checks `sql` for `mode` and writes it as `engine` takes it into *out (g_free):
 * placeholders ?N become $N for PostgreSQL, tokens become the engine's types. Everything
 * inside string literals, quoted identifiers and comments is copied unchanged.
 * *n_params (STATEMENT) is the highest placeholder number. SEAL_EINVAL naming the
 * problem and where it is. */
int db_sql_translate(const char *sql, db_sql_mode mode, const db_engine_ops *engine, char **out,
                     int *n_params);

/* ---- URLs (url.c) ---- */

/* The URL without a password (userinfo's password, a password= query parameter) for
 * messages: a new string. Text that is no URL at all is shown only when it carries
 * nothing that looks like a password, else replaced by DB_URL_HIDDEN. */
#define DB_URL_HIDDEN "(not shown: it may hold a password)"
char *db_url_redact(const char *url);
/* The passwords a URL carries (userinfo, password= parameters), each as written and
 * percent-decoded, to scrub from messages: a NULL-terminated list (g_strfreev). */
char **db_url_passwords(const char *url);

#endif
