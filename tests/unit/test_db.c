/* The database layer (libseal/src/db/db.h) on both engines: one suite of cases, run on a
 * fresh SQLite file per case, and on PostgreSQL when SEAL_TEST_POSTGRES_URL names a
 * database (tests/integration/db_postgres.sh starts a private cluster and sets it), each
 * case there in a schema of its own. What the store relies on: every type back exactly,
 * placeholders, changes and RETURNING, constraint failures told apart, transactions kept
 * whole, the migration runner, messages without passwords or bound values, and a writer
 * lock that keeps a counter and a hash-chain-like list exact under racing processes. */
#include "testutil.h"

#include "db/db.h"
#include "db/db_internal.h"

#include <seal/error.h>

#include <float.h>
#include <glib.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SECRET "Secr3t-PW-xyzzy"
/* A resident ID (GB 11643 check digit right): a value that must never reach a message. */
#define ID_NUMBER "11010519491231002X"

static const char *pg_base; /* SEAL_TEST_POSTGRES_URL */
static seal_db_engine engine;
static char case_url[2048];
static char case_schema[64]; /* PostgreSQL: the case's schema */
static int case_number;

/* ---------------------------------------------------------------- helpers */

static seal_db *open_case(void)
{
    seal_db *db = NULL;
    int rc = seal_db_open(&db, case_url, SEAL_DB_CREATE);
    if (rc < 0)
        fail_msg("cannot open %s: %s", case_url, seal_error_last());
    return db;
}

/* Runs SQL on the PostgreSQL database as a whole (making and dropping the cases'
 * schemas). */
static int on_pg_base(const char *sql)
{
    seal_db *admin = NULL;
    int rc = seal_db_open(&admin, pg_base, 0);
    if (rc == 0)
        rc = seal_db_exec(admin, "managing the test schemas", sql);
    if (rc < 0)
        fprintf(stderr, "%s: %s\n", pg_base, seal_error_last());
    seal_db_close(admin);
    return rc;
}

/* Each case gets its own database: a new SQLite file, or a new PostgreSQL schema that the
 * case's connections find first on their search_path, dropped after the case. */
static int setup_case(void **state)
{
    (void)state;
    case_number++;
    if (engine == SEAL_DB_SQLITE) {
        snprintf(case_url, sizeof case_url, "sqlite:%s/case-%d.db", test_tmpdir(), case_number);
        return 0;
    }
    char sql[256];
    snprintf(case_schema, sizeof case_schema, "case_%d_%d", (int)getpid(), case_number);
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", case_schema,
             case_schema);
    if (on_pg_base(sql) < 0)
        return -1;
    snprintf(case_url, sizeof case_url, "%s%coptions=-csearch_path%%3D%s", pg_base,
             strchr(pg_base, '?') ? '&' : '?', case_schema);
    return 0;
}

static int teardown_case(void **state)
{
    (void)state;
    if (engine == SEAL_DB_SQLITE || !case_schema[0])
        return 0;
    char sql[128];
    snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE", case_schema);
    case_schema[0] = '\0';
    return on_pg_base(sql) < 0 ? -1 : 0;
}

static void make_tables(seal_db *db, const char *ddl)
{
    const seal_db_migration m[] = {{1, "the test's tables", ddl, NULL}};
    if (seal_db_migrate(db, m, 1, NULL) < 0)
        fail_msg("cannot make the tables: %s", seal_error_last());
}

static void must(int rc)
{
    if (rc < 0)
        fail_msg("%s", seal_error_last());
}

static void exec_ok(seal_db *db, const char *sql)
{
    if (seal_db_exec(db, "running the test's SQL", sql) < 0)
        fail_msg("%s: %s", sql, seal_error_last());
}

static seal_db_stmt *prepare_ok(seal_db *db, const char *sql)
{
    seal_db_stmt *stmt = NULL;
    if (seal_db_prepare(db, &stmt, "running the test's SQL", sql) < 0)
        fail_msg("%s: %s", sql, seal_error_last());
    return stmt;
}

/* The one integer a query gives. */
static int64_t query_int(seal_db *db, const char *sql)
{
    seal_db_stmt *stmt = prepare_ok(db, sql);
    int64_t v = -1;
    assert_int_equal(seal_db_step(stmt), SEAL_DB_ROW);
    must(seal_db_column_int64(stmt, 0, &v));
    assert_int_equal(seal_db_step(stmt), SEAL_DB_DONE);
    seal_db_finalize(stmt);
    return v;
}

static void assert_message_has(const char *part)
{
    if (!strstr(seal_error_last(), part))
        fail_msg("message '%s' lacks '%s'", seal_error_last(), part);
}

static void assert_message_lacks(const char *part)
{
    if (strstr(seal_error_last(), part))
        fail_msg("message '%s' shows '%s'", seal_error_last(), part);
}

/* ---------------------------------------------------------------- types */

typedef struct row {
    bool null;
    int64_t s, i, l, f;
    double d;
    const char *t, *c;
    const uint8_t *b;
    size_t b_len;
} row;

static void insert_row(seal_db *db, const row *r, int64_t *id)
{
    seal_db_stmt *stmt = prepare_ok(db, "INSERT INTO v (s, i, l, f, d, t, c, b) VALUES (?1, ?2, "
                                        "?3, ?4 = 1, ?5, ?6, ?7, ?8) RETURNING id");
    if (r->null) {
        for (int k = 1; k <= 8; k++)
            must(seal_db_bind_null(stmt, k));
    } else {
        must(seal_db_bind_int64(stmt, 1, r->s));
        must(seal_db_bind_int64(stmt, 2, r->i));
        must(seal_db_bind_int64(stmt, 3, r->l));
        must(seal_db_bind_int64(stmt, 4, r->f));
        must(seal_db_bind_double(stmt, 5, r->d));
        must(seal_db_bind_text(stmt, 6, r->t));
        must(seal_db_bind_text_len(stmt, 7, r->c, strlen(r->c)));
        must(seal_db_bind_blob(stmt, 8, r->b, r->b_len));
    }
    assert_int_equal(seal_db_step(stmt), SEAL_DB_ROW);
    must(seal_db_column_int64(stmt, 0, id));
    assert_int_equal(seal_db_step(stmt), SEAL_DB_DONE);
    assert_int_equal(seal_db_changes(stmt), 1);
    seal_db_finalize(stmt);
}

static void check_row(seal_db *db, int64_t id, const row *r)
{
    seal_db_stmt *stmt = prepare_ok(db, "SELECT s, i, l, f, d, t, c, b FROM v WHERE id = ?1");
    must(seal_db_bind_int64(stmt, 1, id));
    assert_int_equal(seal_db_step(stmt), SEAL_DB_ROW);
    int64_t n;
    double d;
    const char *text;
    const uint8_t *blob;
    size_t len;
    for (int col = 0; col < 8; col++)
        assert_int_equal(seal_db_column_is_null(stmt, col), r->null);
    if (r->null) {
        must(seal_db_column_int64(stmt, 0, &n));
        assert_int_equal(n, 0);
        must(seal_db_column_double(stmt, 4, &d));
        assert_true(d == 0.0);
        must(seal_db_column_text(stmt, 5, &text));
        assert_null(text);
        must(seal_db_column_blob(stmt, 7, &blob, &len));
        assert_null(blob);
        assert_int_equal(len, 0);
    } else {
        must(seal_db_column_int64(stmt, 0, &n));
        assert_int_equal(n, r->s);
        must(seal_db_column_int64(stmt, 1, &n));
        assert_int_equal(n, r->i);
        must(seal_db_column_int64(stmt, 2, &n));
        assert_true(n == r->l);
        must(seal_db_column_int64(stmt, 3, &n));
        assert_int_equal(n, r->f);
        must(seal_db_column_double(stmt, 4, &d));
        assert_memory_equal(&d, &r->d, sizeof d); /* bit for bit */
        must(seal_db_column_text(stmt, 5, &text));
        assert_non_null(text);
        assert_string_equal(text, r->t); /* and NUL-terminated where it ends */
        must(seal_db_column_blob(stmt, 5, &blob, &len));
        assert_int_equal(len, strlen(r->t));
        must(seal_db_column_text(stmt, 6, &text));
        assert_string_equal(text, r->c);
        must(seal_db_column_blob(stmt, 7, &blob, &len));
        assert_non_null(blob); /* empty, not NULL */
        assert_int_equal(len, r->b_len);
        if (len)
            assert_memory_equal(blob, r->b, len);
    }
    assert_int_equal(seal_db_step(stmt), SEAL_DB_DONE);
    seal_db_finalize(stmt);
}

static void test_types(void **state)
{
    (void)state;
    seal_db *db = open_case();
    make_tables(db, "CREATE TABLE v (id {id}, s SMALLINT, i INTEGER, l BIGINT, f BOOLEAN, "
                    "d {real}, t TEXT, c VARCHAR(40), b {blob})");
    static const uint8_t with_nuls[] = {0, 1, 0, 255, 0};
    size_t big_len = 1 << 20;
    uint8_t *big = g_malloc(big_len);
    for (size_t k = 0; k < big_len; k++)
        big[k] = (uint8_t)(k * 7919 >> 3);
    char *long_text = g_strnfill(100000, 'z');
    const row rows[] = {
        {false, INT16_MIN, INT32_MIN, INT64_MIN, 1, 5e-324, "", "电子印章", (const uint8_t *)"", 0},
        {false, INT16_MAX, INT32_MAX, INT64_MAX, 0, 0.1, "电子印章 seal ✓ 'quoted' \"too\"", "x",
         with_nuls, sizeof with_nuls},
        {true, 0, 0, 0, 0, 0, NULL, NULL, NULL, 0},
        {false, 0, -1, 0, 1, DBL_MAX, long_text, "", big, big_len},
        {false, -1, 1, -1, 0, INFINITY, "?1 $1 ? {blob}", "'", (const uint8_t *)"?", 1},
        {false, 1, 0, 1, 0, -1.0 / 3, "\t\n", "\\", (const uint8_t *)"\\x00", 4},
    };
    int64_t ids[G_N_ELEMENTS(rows)];
    for (size_t k = 0; k < G_N_ELEMENTS(rows); k++)
        insert_row(db, &rows[k], &ids[k]);
    for (size_t k = 0; k < G_N_ELEMENTS(rows); k++) {
        if (k > 0)
            assert_true(ids[k] > ids[k - 1]);
        check_row(db, ids[k], &rows[k]);
    }

    /* Aggregates come back as integers: count (bigint), sum of integers (bigint), sum of
     * bigints (PostgreSQL: numeric), max of a smallint. */
    seal_db_stmt *stmt = prepare_ok(db, "SELECT count(*), count(l), sum(i), sum(l), max(s), "
                                        "min(l) FROM v WHERE l IS NULL OR l > ?1");
    must(seal_db_bind_int64(stmt, 1, INT64_MIN));
    assert_int_equal(seal_db_step(stmt), SEAL_DB_ROW);
    int64_t n[6];
    for (int col = 0; col < 6; col++)
        must(seal_db_column_int64(stmt, col, &n[col]));
    assert_int_equal(n[0], 5);
    assert_int_equal(n[1], 4);
    assert_int_equal(n[2], (int64_t)INT32_MAX - 1 + 1);
    assert_true(n[3] == INT64_MAX - 1 + 1);
    assert_int_equal(n[4], INT16_MAX);
    assert_int_equal(n[5], -1);
    double as_double;
    must(seal_db_column_double(stmt, 0, &as_double));
    assert_true(as_double == 5.0);
    /* What no rule reads is refused with a way out, not converted. */
    const char *text;
    assert_int_equal(seal_db_column_text(stmt, 0, &text), SEAL_ESTORE);
    assert_message_has("CAST");
    assert_int_equal(seal_db_column_int64(stmt, 6, &n[0]), SEAL_EINVAL);
    assert_message_has("no column 6");
    seal_db_finalize(stmt);

    /* avg() is no whole number: a floating-point value (SQLite) or a numeric one
     * (PostgreSQL), refused as an integer either way; cast, it is read. */
    stmt = prepare_ok(db, "SELECT avg(i), CAST(avg(i) AS DOUBLE PRECISION) FROM v WHERE i IN "
                          "(-1, 0)");
    assert_int_equal(seal_db_step(stmt), SEAL_DB_ROW);
    assert_int_equal(seal_db_column_int64(stmt, 0, &n[0]), SEAL_ESTORE);
    assert_message_has("CAST");
    must(seal_db_column_double(stmt, 1, &as_double));
    assert_true(as_double == -0.5);
    seal_db_finalize(stmt);

    /* Values a column cannot keep on both engines are refused before either sees them. */
    stmt = prepare_ok(db, "INSERT INTO v (d, t) VALUES (?1, ?2)");
    assert_int_equal(seal_db_bind_double(stmt, 1, NAN), SEAL_EINVAL);
    assert_message_has("NaN");
    assert_int_equal(seal_db_step(stmt), SEAL_EINVAL);
    seal_db_reset(stmt);
    assert_int_equal(seal_db_bind_text(stmt, 2, "\xff\xfe"), SEAL_EINVAL);
    assert_message_has("not valid UTF-8");
    assert_int_equal(seal_db_bind_text_len(stmt, 2, "a\0b", 3), SEAL_EINVAL);
    assert_message_has("NUL");
    seal_db_finalize(stmt);
    assert_int_equal(query_int(db, "SELECT count(*) FROM v"), G_N_ELEMENTS(rows));

    g_free(big);
    g_free(long_text);
    seal_db_close(db);
}

/* ---------------------------------------------------------------- placeholders */

static void test_placeholders(void **state)
{
    (void)state;
    seal_db *db = open_case();
    make_tables(db, "CREATE TABLE p (a BIGINT, b TEXT, c TEXT)");
    seal_db_stmt *stmt = prepare_ok(db, "INSERT INTO p (a, b, c) VALUES (?2, ?1, ?1)");
    must(seal_db_bind_text(stmt, 1, "x"));
    must(seal_db_bind_int64(stmt, 2, 7));
    assert_int_equal(seal_db_step(stmt), SEAL_DB_DONE);
    /* Run again with one binding changed, the other kept. */
    seal_db_reset(stmt);
    must(seal_db_bind_int64(stmt, 2, 8));
    assert_int_equal(seal_db_step(stmt), SEAL_DB_DONE);
    seal_db_finalize(stmt);

    /* '?' in literals, quoted identifiers and comments is not a placeholder. */
    stmt = prepare_ok(db, "SELECT '?', 'it''s ?1', \"a\", ?1, c AS \"what?\" /* ?2 */ FROM p -- ?\n"
                          "WHERE a = ?2 AND b = ?1 ORDER BY a;");
    must(seal_db_bind_text(stmt, 1, "x"));
    must(seal_db_bind_int64(stmt, 2, 8));
    assert_int_equal(seal_db_step(stmt), SEAL_DB_ROW);
    const char *text;
    int64_t a;
    must(seal_db_column_text(stmt, 0, &text));
    assert_string_equal(text, "?");
    must(seal_db_column_text(stmt, 1, &text));
    assert_string_equal(text, "it's ?1");
    must(seal_db_column_int64(stmt, 2, &a));
    assert_int_equal(a, 8);
    must(seal_db_column_text(stmt, 3, &text));
    assert_string_equal(text, "x");
    assert_int_equal(seal_db_step(stmt), SEAL_DB_DONE);
    assert_int_equal(seal_db_changes(stmt), 0);
    assert_int_equal(seal_db_step(stmt), SEAL_EINVAL); /* finished: reset first */
    assert_message_has("reset it first");
    seal_db_reset(stmt);
    assert_int_equal(seal_db_step(stmt), SEAL_DB_ROW);
    assert_int_equal(seal_db_bind_int64(stmt, 2, 7), SEAL_EINVAL); /* running */
    seal_db_finalize(stmt);

    /* A bound integer reads back as one on both engines (PostgreSQL: a bigint parameter). */
    stmt = prepare_ok(db, "SELECT ?1");
    assert_int_equal(seal_db_step(stmt), SEAL_EINVAL);
    assert_message_has("?1 was not bound");
    must(seal_db_bind_int64(stmt, 1, -42));
    assert_int_equal(seal_db_step(stmt), SEAL_DB_ROW);
    must(seal_db_column_int64(stmt, 0, &a));
    assert_int_equal(a, -42);
    seal_db_finalize(stmt);

    /* A bad index fails the bind and the next step, with the same message. */
    stmt = prepare_ok(db, "SELECT a FROM p WHERE a = ?1");
    assert_int_equal(seal_db_bind_int64(stmt, 2, 1), SEAL_EINVAL);
    assert_message_has("no parameter ?2 (the statement has 1)");
    must(seal_db_bind_int64(stmt, 1, 7));
    seal_error_clear();
    assert_int_equal(seal_db_step(stmt), SEAL_EINVAL);
    assert_message_has("no parameter ?2");
    seal_db_finalize(stmt);

    static const struct {
        const char *sql, *message;
    } refused[] = {
        {"SELECT a FROM p WHERE a = ?", "a bare '?'"},
        {"SELECT a FROM p WHERE a = ?1 OR a = ?3", "?2 is never used"},
        {"SELECT a FROM p WHERE a = $1", "'$' at character 27;"},
        {"SELECT ?0", "?0"},
        {"SELECT 1; SELECT 2", "a second statement"},
        {"SELECT 'open", "not closed"},
        {"SELECT \"open", "not closed"},
        {"SELECT 1 /* open", "not closed"},
        {"", "empty"},
    };
    for (size_t k = 0; k < G_N_ELEMENTS(refused); k++) {
        stmt = NULL;
        assert_int_equal(seal_db_prepare(db, &stmt, "testing", refused[k].sql), SEAL_EINVAL);
        assert_null(stmt);
        assert_message_has(refused[k].message);
    }
    /* Parameters in parameterless SQL are refused too. */
    assert_int_equal(seal_db_exec(db, "testing", "DELETE FROM p WHERE a = ?1"), SEAL_EINVAL);
    assert_int_equal(query_int(db, "SELECT count(*) FROM p"), 2);
    seal_db_close(db);
}

/* The scanner alone: what each engine is given. */
static void test_sql_text(void **state)
{
    (void)state;
    char *out = NULL;
    int n = 0;
    must(db_sql_translate("SELECT E'\\'?1', 'a''?', \"?\" -- ?9\n, ?2, ?1, ?2", DB_SQL_STATEMENT,
                          &db_postgres_ops, &out, &n));
    assert_string_equal(out, "SELECT E'\\'?1', 'a''?', \"?\" -- ?9\n, $2, $1, $2");
    assert_int_equal(n, 2);
    g_free(out);
    must(db_sql_translate("SELECT ?10, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9", DB_SQL_STATEMENT,
                          &db_postgres_ops, &out, &n));
    assert_string_equal(out, "SELECT $10, $1, $2, $3, $4, $5, $6, $7, $8, $9");
    assert_int_equal(n, 10);
    g_free(out);
    must(db_sql_translate("SELECT ?1", DB_SQL_STATEMENT, &db_sqlite_ops, &out, &n));
    assert_string_equal(out, "SELECT ?1");
    g_free(out);
    const char *ddl = "CREATE TABLE t (id {id}, b {blob}, r {real}, c TEXT CHECK (c <> '{id}'));"
                      "CREATE INDEX t_b ON t (b);";
    must(db_sql_translate(ddl, DB_SQL_DDL, &db_postgres_ops, &out, NULL));
    assert_string_equal(out, "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY "
                             "KEY, b BYTEA, r DOUBLE PRECISION, c TEXT CHECK (c <> '{id}'));"
                             "CREATE INDEX t_b ON t (b);");
    g_free(out);
    must(db_sql_translate(ddl, DB_SQL_DDL, &db_sqlite_ops, &out, NULL));
    assert_string_equal(out, "CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB, r REAL, c TEXT "
                             "CHECK (c <> '{id}'));CREATE INDEX t_b ON t (b);");
    g_free(out);
    assert_int_equal(
        db_sql_translate("CREATE TABLE t (x {text})", DB_SQL_DDL, &db_sqlite_ops, &out, NULL),
        SEAL_EINVAL);
    assert_message_has("unknown DDL token");
    assert_null(out);
}

/* ---------------------------------------------------------------- changes, RETURNING */

static void test_changes_returning(void **state)
{
    (void)state;
    seal_db *db = open_case();
    make_tables(db, "CREATE TABLE k (id {id}, name TEXT NOT NULL UNIQUE, n BIGINT NOT NULL "
                    "DEFAULT 0);"
                    "CREATE TABLE crl_number (issuer TEXT PRIMARY KEY, last BIGINT NOT NULL)");
    const char *names[] = {"a", "b", "c"};
    int64_t ids[3];
    for (int k = 0; k < 3; k++) {
        seal_db_stmt *stmt = prepare_ok(db, "INSERT INTO k (name) VALUES (?1) RETURNING id");
        must(seal_db_bind_text(stmt, 1, names[k]));
        assert_int_equal(seal_db_step(stmt), SEAL_DB_ROW);
        must(seal_db_column_int64(stmt, 0, &ids[k]));
        assert_int_equal(seal_db_step(stmt), SEAL_DB_DONE);
        assert_int_equal(seal_db_changes(stmt), 1);
        seal_db_finalize(stmt);
    }
    assert_true(ids[0] < ids[1] && ids[1] < ids[2]);

    seal_db_stmt *stmt = prepare_ok(db, "UPDATE k SET n = n + 1 WHERE id >= ?1");
    must(seal_db_bind_int64(stmt, 1, ids[1]));
    assert_int_equal(seal_db_changes(stmt), 0); /* not run yet */
    assert_int_equal(seal_db_step(stmt), SEAL_DB_DONE);
    assert_int_equal(seal_db_changes(stmt), 2);
    seal_db_finalize(stmt);

    stmt = prepare_ok(db, "UPDATE k SET n = n + 10 WHERE n = ?1 RETURNING name, n");
    must(seal_db_bind_int64(stmt, 1, 0));
    assert_int_equal(seal_db_step(stmt), SEAL_DB_ROW);
    const char *text;
    int64_t v;
    must(seal_db_column_text(stmt, 0, &text));
    assert_string_equal(text, "a");
    must(seal_db_column_int64(stmt, 1, &v));
    assert_int_equal(v, 10);
    assert_int_equal(seal_db_step(stmt), SEAL_DB_DONE);
    assert_int_equal(seal_db_changes(stmt), 1);
    seal_db_finalize(stmt);

    /* ON CONFLICT DO NOTHING: no change, no row returned. */
    stmt = prepare_ok(db, "INSERT INTO k (name) VALUES (?1) ON CONFLICT (name) DO NOTHING "
                          "RETURNING id");
    must(seal_db_bind_text(stmt, 1, "b"));
    assert_int_equal(seal_db_step(stmt), SEAL_DB_DONE);
    assert_int_equal(seal_db_changes(stmt), 0);
    seal_db_reset(stmt);
    must(seal_db_bind_text(stmt, 1, "d"));
    assert_int_equal(seal_db_step(stmt), SEAL_DB_ROW);
    assert_int_equal(seal_db_step(stmt), SEAL_DB_DONE);
    assert_int_equal(seal_db_changes(stmt), 1);
    seal_db_finalize(stmt);

    /* The store's CRL-number upsert (store/ca_db.c), the column named bare after SET. */
    for (int64_t want = 1; want <= 3; want++) {
        stmt = prepare_ok(db, "INSERT INTO crl_number (issuer, last) VALUES (?1, 1) "
                              "ON CONFLICT (issuer) DO UPDATE SET last = crl_number.last + 1 "
                              "RETURNING last");
        must(seal_db_bind_text(stmt, 1, "issuing-ca"));
        assert_int_equal(seal_db_step(stmt), SEAL_DB_ROW);
        must(seal_db_column_int64(stmt, 0, &v));
        assert_int_equal(v, want);
        seal_db_finalize(stmt);
    }

    stmt = prepare_ok(db, "DELETE FROM k WHERE n > ?1");
    must(seal_db_bind_int64(stmt, 1, 0));
    assert_int_equal(seal_db_step(stmt), SEAL_DB_DONE);
    assert_int_equal(seal_db_changes(stmt), 3);
    seal_db_reset(stmt);
    assert_int_equal(seal_db_step(stmt), SEAL_DB_DONE);
    assert_int_equal(seal_db_changes(stmt), 0);
    seal_db_finalize(stmt);
    assert_int_equal(query_int(db, "SELECT count(*) FROM k"), 1);
    seal_db_close(db);
}

/* ---------------------------------------------------------------- constraints */

static void expect_refusal(seal_db *db, const char *sql, const char *text, int64_t number,
                           seal_db_failure failure)
{
    seal_db_stmt *stmt = NULL;
    must(seal_db_prepare(db, &stmt, "adding a person", sql));
    must(seal_db_bind_text(stmt, 1, text));
    must(seal_db_bind_int64(stmt, 2, number));
    assert_int_equal(seal_db_step(stmt), SEAL_ESTORE);
    assert_int_equal(seal_db_last_failure(db), failure);
    assert_message_has("database error while adding a person: ");
    assert_message_lacks(ID_NUMBER);
    seal_db_finalize(stmt);
}

static void test_constraints(void **state)
{
    (void)state;
    seal_db *db = open_case();
    make_tables(db, "CREATE TABLE institution (id BIGINT PRIMARY KEY);"
                    "CREATE TABLE person (id_number TEXT NOT NULL UNIQUE, "
                    "institution_id BIGINT REFERENCES institution(id), "
                    "age BIGINT CHECK (age >= 0))");
    exec_ok(db, "INSERT INTO institution (id) VALUES (1)");
    const char *insert = "INSERT INTO person (id_number, institution_id, age) VALUES (?1, ?2, 30)";
    seal_db_stmt *stmt = prepare_ok(db, insert);
    must(seal_db_bind_text(stmt, 1, ID_NUMBER));
    must(seal_db_bind_int64(stmt, 2, 1));
    assert_int_equal(seal_db_step(stmt), SEAL_DB_DONE);
    seal_db_finalize(stmt);

    expect_refusal(db, insert, ID_NUMBER, 1, SEAL_DB_UNIQUE);
    expect_refusal(db, insert, "other", 2, SEAL_DB_FOREIGN_KEY);
    expect_refusal(db,
                   "INSERT INTO person (id_number, institution_id, age) VALUES (?1, 1, ?2 - 100)",
                   "third", 1, SEAL_DB_CHECK);
    expect_refusal(db,
                   "INSERT INTO person (id_number, institution_id, age) VALUES (NULLIF(?1, ?1), "
                   "1, ?2)",
                   ID_NUMBER, 1, SEAL_DB_NOT_NULL);
    /* A failure of another kind is told apart from these (SQLite finds it at prepare,
     * PostgreSQL at the first step). */
    stmt = NULL;
    int rc = seal_db_prepare(db, &stmt, "reading", "SELECT nothing FROM person");
    if (rc == 0)
        rc = seal_db_step(stmt);
    assert_int_equal(rc, SEAL_ESTORE);
    assert_int_equal(seal_db_last_failure(db), SEAL_DB_OTHER);
    seal_db_finalize(stmt);

    if (engine == SEAL_DB_POSTGRESQL) {
        /* A value PostgreSQL cannot read as the column's type: its message would quote
         * it. (SQLite keeps text in any column.) */
        expect_refusal(db,
                       "INSERT INTO person (id_number, institution_id, age) VALUES ('p', 1, "
                       "CAST(?1 AS BIGINT) + ?2)",
                       ID_NUMBER, 1, SEAL_DB_OTHER);
        assert_message_has("invalid input syntax");
    }
    assert_int_equal(query_int(db, "SELECT count(*) FROM person"), 1);
    seal_db_close(db);
}

/* ---------------------------------------------------------------- transactions */

static int insert_then_fail(seal_db *db, void *arg)
{
    int *calls = arg;
    (*calls)++;
    int rc = seal_db_exec(db, "adding", "INSERT INTO t (x) VALUES (1)");
    return rc < 0 ? rc : seal_error_set(SEAL_EPOLICY, "the function refused");
}

static int insert_one(seal_db *db, void *arg)
{
    (void)arg;
    int rc = seal_db_lock(db, "t");
    return rc < 0 ? rc : seal_db_exec(db, "adding", "INSERT INTO t (x) VALUES (2)");
}

static void test_transactions(void **state)
{
    (void)state;
    seal_db *db = open_case();
    make_tables(db, "CREATE TABLE t (x BIGINT UNIQUE)");
    assert_int_equal(seal_db_lock(db, "t"), SEAL_EINVAL); /* outside a transaction */
    assert_int_equal(seal_db_commit(db), SEAL_EINVAL);

    must(seal_db_begin(db));
    assert_int_equal(seal_db_begin(db), SEAL_EINVAL);
    assert_int_equal(seal_db_lock(db, ""), SEAL_EINVAL);
    exec_ok(db, "INSERT INTO t (x) VALUES (1)");
    assert_int_equal(query_int(db, "SELECT count(*) FROM t"), 1);
    seal_db_rollback(db);
    assert_int_equal(query_int(db, "SELECT count(*) FROM t"), 0);

    /* A rollback after a failure keeps that failure's message. */
    must(seal_db_begin(db));
    seal_error_set(SEAL_EPOLICY, "the reason");
    seal_db_rollback(db);
    assert_string_equal(seal_error_last(), "the reason");

    /* A transaction with a failed statement does not commit, on either engine. */
    must(seal_db_begin(db));
    exec_ok(db, "INSERT INTO t (x) VALUES (1)");
    assert_int_equal(seal_db_exec(db, "adding", "INSERT INTO t (x) VALUES (1)"), SEAL_ESTORE);
    assert_int_equal(seal_db_commit(db), SEAL_ESTORE);
    assert_message_has("rolled back");
    assert_int_equal(query_int(db, "SELECT count(*) FROM t"), 0);

    /* The function's own failure: rolled back, returned as it is, not tried again. */
    int calls = 0;
    assert_int_equal(seal_db_transaction(db, insert_then_fail, &calls), SEAL_EPOLICY);
    assert_string_equal(seal_error_last(), "the function refused");
    assert_int_equal(calls, 1);
    assert_int_equal(query_int(db, "SELECT count(*) FROM t"), 0);

    must(seal_db_transaction(db, insert_one, NULL));
    assert_int_equal(query_int(db, "SELECT x FROM t"), 2);
    seal_db_close(db);
}

/* ---------------------------------------------------------------- migrations */

static int apply_calls;

static int count_apply(seal_db *db, void *arg)
{
    apply_calls++;
    const char *tag = arg;
    seal_db_stmt *stmt = NULL;
    int rc = seal_db_prepare(db, &stmt, "moving data", "INSERT INTO applied (tag) VALUES (?1)");
    if (rc == 0)
        rc = seal_db_bind_text(stmt, 1, tag);
    if (rc == 0)
        rc = seal_db_step(stmt);
    seal_db_finalize(stmt);
    return rc;
}

/* Versions 1 to 3 would fail run twice (no IF NOT EXISTS): each must run once. */
static const seal_db_migration schema[] = {
    {1, "the first tables",
     "CREATE TABLE seal (id TEXT PRIMARY KEY, picture {blob} NOT NULL, width {real});"
     "CREATE TABLE audit (id {id}, what TEXT NOT NULL)",
     NULL},
    {2, "the applied table", "CREATE TABLE applied (tag TEXT NOT NULL)", count_apply},
    {3, "seal keys on tokens", "ALTER TABLE seal ADD COLUMN key_uri TEXT", NULL},
    {4, "pictures", "CREATE TABLE picture (sha {blob} PRIMARY KEY)", count_apply},
};

static void test_migrate(void **state)
{
    (void)state;
    seal_db *db = open_case();
    int version = -1;
    must(seal_db_schema_version(db, &version));
    assert_int_equal(version, 0);
    apply_calls = 0;
    must(seal_db_migrate(db, schema, 3, "x"));
    must(seal_db_schema_version(db, &version));
    assert_int_equal(version, 3);
    assert_int_equal(apply_calls, 1);
    seal_db_stmt *stmt = prepare_ok(db, "INSERT INTO seal (id, picture, width, key_uri) VALUES "
                                        "('s', ?1, 1.5, NULL)");
    must(seal_db_bind_blob(stmt, 1, "\0", 1));
    assert_int_equal(seal_db_step(stmt), SEAL_DB_DONE);
    seal_db_finalize(stmt);
    exec_ok(db, "INSERT INTO audit (what) VALUES ('made')");

    /* Again, and again with one more version: only the new one runs. */
    must(seal_db_migrate(db, schema, 3, "x"));
    assert_int_equal(apply_calls, 1);
    must(seal_db_migrate(db, schema, 4, "y"));
    assert_int_equal(apply_calls, 2);
    assert_int_equal(query_int(db, "SELECT count(*) FROM schema_version"), 4);
    assert_int_equal(query_int(db, "SELECT count(*) FROM applied"), 2);

    /* A program that knows less refuses the database, which stays as it is. */
    assert_int_equal(seal_db_migrate(db, schema, 2, "z"), SEAL_EUNSUPPORTED);
    assert_string_equal(seal_error_last(),
                        "the database is at schema version 4; this sealsvc knows up to 2: "
                        "upgrade sealsvc");
    exec_ok(db, "INSERT INTO schema_version (version) VALUES (7)");
    static seal_db_migration five[5];
    for (int k = 0; k < 5; k++)
        five[k] = (seal_db_migration){k + 1, "step", "SELECT 1", NULL};
    assert_int_equal(seal_db_migrate(db, five, 5, NULL), SEAL_EUNSUPPORTED);
    assert_string_equal(seal_error_last(),
                        "the database is at schema version 7; this sealsvc knows up to 5: "
                        "upgrade sealsvc");
    assert_int_equal(query_int(db, "SELECT max(version) FROM schema_version"), 7);

    /* A list that is not 1..n in order is the program's mistake. */
    five[2].version = 4;
    assert_int_equal(seal_db_migrate(db, five, 5, NULL), SEAL_EINVAL);
    seal_db_close(db);
}

static int refuse(seal_db *db, void *arg)
{
    (void)db;
    (void)arg;
    return seal_error_set(SEAL_EPOLICY, "the data cannot be moved");
}

/* A failing step leaves the database at the version before, nothing of it applied. */
static void test_migrate_failure(void **state)
{
    (void)state;
    seal_db *db = open_case();
    const seal_db_migration broken[] = {
        schema[0],
        {2, "two tables", "CREATE TABLE half (x BIGINT); CREATE TABLE other (y BIGINT,)", NULL},
    };
    must(seal_db_migrate(db, broken, 1, NULL));
    assert_int_equal(seal_db_migrate(db, broken, 2, NULL), SEAL_ESTORE);
    assert_message_has("to schema version 2 (two tables): database error while changing the "
                       "schema: ");
    int version = 0;
    must(seal_db_schema_version(db, &version));
    assert_int_equal(version, 1);
    assert_int_equal(
        query_int(db, engine == SEAL_DB_SQLITE
                          ? "SELECT count(*) FROM sqlite_master WHERE name = 'half'"
                          : "SELECT CASE WHEN to_regclass('half') IS NULL THEN 0 ELSE 1 END"),
        0);
    /* The same with the step's function failing after its DDL ran. */
    const seal_db_migration refusing[] = {
        schema[0], {2, "moving data", "CREATE TABLE half (x BIGINT)", refuse}};
    assert_int_equal(seal_db_migrate(db, refusing, 2, NULL), SEAL_EPOLICY);
    assert_message_has("(moving data): ");
    must(seal_db_schema_version(db, &version));
    assert_int_equal(version, 1);
    seal_db_close(db);
}

/* The table the store's first schema made (store/sqlite.c): one row per version applied,
 * or, made fresh by it, one row for the version it was at. */
static void test_migrate_old_table(void **state)
{
    (void)state;
    for (int fresh = 0; fresh < 2; fresh++) {
        if (fresh) {
            assert_int_equal(teardown_case(NULL), 0);
            assert_int_equal(setup_case(NULL), 0);
        }
        seal_db *db = open_case();
        exec_ok(db, "CREATE TABLE schema_version (version INTEGER NOT NULL);"
                    "CREATE TABLE applied (tag TEXT NOT NULL)");
        exec_ok(db, fresh ? "INSERT INTO schema_version (version) VALUES (3)"
                          : "INSERT INTO schema_version (version) VALUES (1); INSERT INTO "
                            "schema_version (version) VALUES (2); INSERT INTO schema_version "
                            "(version) VALUES (3)");
        apply_calls = 0;
        must(seal_db_migrate(db, schema, 4, "old"));
        assert_int_equal(apply_calls, 1); /* version 4 alone */
        assert_int_equal(query_int(db, "SELECT max(version) FROM schema_version"), 4);
        assert_int_equal(query_int(db, "SELECT count(*) FROM schema_version"), fresh ? 2 : 4);
        seal_db_close(db);
    }
}

/* Processes opening a fresh database at once apply each version once. */
static void test_migrate_racing(void **state)
{
    (void)state;
    enum { RACERS = 6 };
    seal_db *db = open_case(); /* makes the SQLite file; the schema stays empty */
    seal_db_close(db);
    int go[2];
    assert_int_equal(pipe(go), 0);
    pid_t pids[RACERS];
    for (int k = 0; k < RACERS; k++) {
        pids[k] = fork();
        assert_true(pids[k] >= 0);
        if (pids[k] == 0) {
            char c;
            close(go[1]);
            seal_db *mine = NULL;
            if (seal_db_open(&mine, case_url, 0) < 0 || read(go[0], &c, 1) < 0)
                _exit(3);
            int rc = seal_db_migrate(mine, schema, 4, "race");
            if (rc < 0)
                fprintf(stderr, "racer %d: %s\n", k, seal_error_last());
            seal_db_close(mine);
            _exit(rc < 0 ? 1 : 0);
        }
    }
    close(go[0]);
    close(go[1]);
    for (int k = 0; k < RACERS; k++) {
        int status = 0;
        assert_int_equal(waitpid(pids[k], &status, 0), pids[k]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    db = open_case();
    assert_int_equal(query_int(db, "SELECT count(*) FROM schema_version"), 4);
    assert_int_equal(query_int(db, "SELECT count(*) FROM applied"), 2);
    seal_db_close(db);
}

/* ---------------------------------------------------------------- URLs */

static void expect_open_refused(const char *url, int code, const char *part)
{
    seal_db *db = (seal_db *)&db; /* anything but NULL: open must set it */
    seal_error_clear();
    assert_int_equal(seal_db_open(&db, url, 0), code);
    assert_null(db);
    assert_message_lacks(SECRET);
    assert_message_lacks("xyzzy");
    if (part)
        assert_message_has(part);
}

static void test_urls(void **state)
{
    (void)state;
    /* Passwords in every place libpq reads them from, with a server that is not there. */
    expect_open_refused("postgresql://sealer:" SECRET "@/sealdb?host=/nonexistent/socket",
                        SEAL_ESTORE, "postgresql://sealer@/sealdb?host=/nonexistent/socket");
    expect_open_refused("postgres://sealer@/sealdb?password=" SECRET "&host=/nonexistent/socket",
                        SEAL_ESTORE, "postgres://sealer@/sealdb?host=/nonexistent/socket");
    expect_open_refused("postgresql://sealer@/sealdb?host=/nonexistent/socket&pass%77ord=" SECRET,
                        SEAL_ESTORE, "connecting to postgresql://sealer@/sealdb?host=");
    /* Malformed: libpq repeats what it could not parse. */
    expect_open_refused("postgresql://sealer:" SECRET "@[::1/sealdb", SEAL_ESTORE, "sealer@");
    expect_open_refused("postgresql://sealer:Secr3t/PW-xyzzy@localhost/sealdb", SEAL_ESTORE, NULL);
    assert_message_lacks("Secr3t"); /* libpq took "sealer:Secr3t" for a host and port */
    expect_open_refused("postgresql://sealer:" SECRET "@localhost:notaport/sealdb", SEAL_ESTORE,
                        NULL);
    expect_open_refused("postgresql://%zz:" SECRET "@/x?host=/nonexistent", SEAL_ESTORE, NULL);
    /* Unknown schemes and garbage. */
    expect_open_refused("mysql://sealer:" SECRET "@db/sealdb", SEAL_EINVAL,
                        "'mysql://sealer@db/sealdb' is not a database URL");
    expect_open_refused("host=/tmp password=" SECRET, SEAL_EINVAL, "it is not shown");
    expect_open_refused("garbage", SEAL_EINVAL, "use sqlite:PATH or postgresql://");
    expect_open_refused("", SEAL_EINVAL, "no database URL");
    expect_open_refused(NULL, SEAL_EINVAL, "no database URL");
    expect_open_refused("sqlite:", SEAL_EINVAL, "names no file");
    expect_open_refused("sqlite://host/x.db", SEAL_EINVAL, "not a file path");
    expect_open_refused("sqlite:/nonexistent/dir/x.db", SEAL_ENOTFOUND, "does not exist");
    seal_db *db = NULL;
    assert_int_equal(seal_db_open(&db, "sqlite:/nonexistent/dir/x.db", SEAL_DB_CREATE), SEAL_EIO);
    assert_message_has("cannot create the database sqlite:/nonexistent/dir/x.db");
    char *name = g_strnfill(8000, 'd');
    char *huge = g_strdup_printf("postgresql://u:%s@/%s?host=/nonexistent", SECRET, name);
    expect_open_refused(huge, SEAL_ESTORE, NULL);
    g_free(huge);
    g_free(name);
    /* Not a database at all. */
    const char *junk = test_path(test_tmpdir(), "junk.db");
    FILE *f = fopen(junk, "w");
    assert_non_null(f);
    for (int k = 0; k < 512; k++)
        fputs("not a database ", f);
    fclose(f);
    char url[600];
    snprintf(url, sizeof url, "sqlite:%s", junk);
    expect_open_refused(url, SEAL_ESTORE, "file is not a database");

    /* The case's own database: what seal_db_url shows. */
    db = open_case();
    assert_int_equal(seal_db_engine_of(db), engine);
    assert_string_equal(seal_db_url(db), case_url);
    seal_db_close(db);
    if (engine == SEAL_DB_POSTGRESQL) {
        /* Trust authentication takes any password: a URL with one opens, and is shown
         * without it. */
        const char *at = strchr(pg_base, '@');
        assert_non_null(at); /* tests/integration/lib/postgres.sh names a user */
        char *with = g_strdup_printf("%.*s:%s%s", (int)(at - pg_base), pg_base, SECRET, at);
        must(seal_db_open(&db, with, 0));
        assert_null(strstr(seal_db_url(db), SECRET));
        assert_int_equal(seal_db_exec(db, "failing on purpose", "SELECT nothing"), SEAL_ESTORE);
        assert_message_lacks(SECRET);
        seal_db_close(db);
        g_free(with);
    }
}

/* ---------------------------------------------------------------- racing writers */

enum { LINKS_PER_WRITER = 50 };

typedef struct writer {
    int number;
    int done;
} writer;

/* One link: read the counter and the chain's head under the lock, add a link to the head,
 * count it. Without the lock two writers would read the same head. */
static int add_link(seal_db *db, void *arg)
{
    writer *w = arg;
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    int64_t count = 0, head = 0;
    SEAL_TRY(seal_db_lock(db, "chain"));
    SEAL_TRY(seal_db_prepare(db, &stmt, "reading the counter",
                             "SELECT value FROM counter WHERE name = 'links'"));
    SEAL_ENSURE(seal_db_step(stmt) == SEAL_DB_ROW, SEAL_ESTORE, "no counter");
    SEAL_TRY(seal_db_column_int64(stmt, 0, &count));
    seal_db_finalize(stmt);
    SEAL_TRY(seal_db_prepare(db, &stmt, "reading the head",
                             "SELECT id FROM chain ORDER BY id DESC LIMIT 1"));
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    if (step == SEAL_DB_ROW)
        SEAL_TRY(seal_db_column_int64(stmt, 0, &head));
    seal_db_finalize(stmt);
    SEAL_TRY(seal_db_prepare(db, &stmt, "adding a link",
                             "INSERT INTO chain (id, prev, writer) VALUES (?1, ?2, ?3)"));
    seal_db_bind_int64(stmt, 1, head + 1);
    seal_db_bind_int64(stmt, 2, head);
    seal_db_bind_int64(stmt, 3, w->number);
    SEAL_TRY(seal_db_step(stmt));
    seal_db_finalize(stmt);
    SEAL_TRY(seal_db_prepare(db, &stmt, "counting",
                             "UPDATE counter SET value = ?1 WHERE name = 'links'"));
    seal_db_bind_int64(stmt, 1, count + 1);
    SEAL_TRY(seal_db_step(stmt));
out:
    seal_db_finalize(stmt);
    return rc;
}

static void test_racing_writers(void **state)
{
    (void)state;
    /* SQLite serialises all writers on its one file lock; 4 show it holds. PostgreSQL
     * runs 8 at once: only the lock keeps them in line. */
    int writers = engine == SEAL_DB_SQLITE ? 4 : 8;
    seal_db *db = open_case();
    make_tables(db, "CREATE TABLE counter (name TEXT PRIMARY KEY, value BIGINT NOT NULL);"
                    "CREATE TABLE chain (id BIGINT PRIMARY KEY, prev BIGINT NOT NULL, "
                    "writer BIGINT NOT NULL);"
                    "INSERT INTO counter (name, value) VALUES ('links', 0)");
    seal_db_close(db);
    int go[2];
    assert_int_equal(pipe(go), 0);
    pid_t pids[8];
    for (int k = 0; k < writers; k++) {
        pids[k] = fork();
        assert_true(pids[k] >= 0);
        if (pids[k] == 0) {
            char c;
            close(go[1]);
            seal_db *mine = NULL;
            writer w = {.number = k};
            if (seal_db_open(&mine, case_url, 0) < 0 || read(go[0], &c, 1) < 0)
                _exit(3);
            int rc = 0;
            for (int n = 0; n < LINKS_PER_WRITER && rc == 0; n++)
                rc = seal_db_transaction(mine, add_link, &w);
            if (rc < 0)
                fprintf(stderr, "writer %d: %s\n", k, seal_error_last());
            seal_db_close(mine);
            _exit(rc < 0 ? 1 : 0);
        }
    }
    close(go[0]);
    close(go[1]);
    for (int k = 0; k < writers; k++) {
        int status = 0;
        assert_int_equal(waitpid(pids[k], &status, 0), pids[k]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    int64_t total = (int64_t)writers * LINKS_PER_WRITER;
    db = open_case();
    assert_int_equal(query_int(db, "SELECT value FROM counter"), total);
    assert_int_equal(query_int(db, "SELECT count(*) FROM chain"), total);
    /* One chain, no fork: every link follows the one before. */
    assert_int_equal(query_int(db, "SELECT count(DISTINCT prev) FROM chain"), total);
    assert_int_equal(query_int(db, "SELECT count(*) FROM chain WHERE prev <> id - 1"), 0);
    assert_int_equal(query_int(db, "SELECT max(id) FROM chain"), total);
    seal_db_stmt *stmt = prepare_ok(db, "SELECT writer, count(*) FROM chain GROUP BY writer");
    int groups = 0;
    while (seal_db_step(stmt) == SEAL_DB_ROW) {
        int64_t n;
        must(seal_db_column_int64(stmt, 1, &n));
        assert_int_equal(n, LINKS_PER_WRITER);
        groups++;
    }
    assert_int_equal(groups, writers);
    seal_db_finalize(stmt);
    seal_db_close(db);
}

/* A writer that holds the lock past SEAL_DB_WAIT_MS makes the next one's call fail as a
 * conflict; once it lets go, the transaction helper gets through. */
static void test_lock_timeout(void **state)
{
    (void)state;
    seal_db *db = open_case();
    make_tables(db, "CREATE TABLE t (x BIGINT)");
    seal_db_close(db);
    int held[2];
    assert_int_equal(pipe(held), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(held[0]);
        seal_db *mine = NULL;
        if (seal_db_open(&mine, case_url, 0) < 0 || seal_db_begin(mine) < 0 ||
            seal_db_lock(mine, "t") < 0 || write(held[1], "x", 1) != 1)
            _exit(3);
        g_usleep((SEAL_DB_WAIT_MS + 1500) * 1000);
        int rc = seal_db_commit(mine);
        seal_db_close(mine);
        _exit(rc < 0 ? 1 : 0);
    }
    close(held[1]);
    char c;
    assert_int_equal(read(held[0], &c, 1), 1);
    close(held[0]);
    db = open_case();
    int rc = seal_db_begin(db); /* SQLite waits here, PostgreSQL at the lock */
    if (rc == 0)
        rc = seal_db_lock(db, "t");
    assert_int_equal(rc, SEAL_ESTORE);
    assert_int_equal(seal_db_last_failure(db), SEAL_DB_CONFLICT);
    seal_db_rollback(db);
    must(seal_db_transaction(db, insert_one, NULL));
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(query_int(db, "SELECT count(*) FROM t"), 1);
    seal_db_close(db);
}

/* Two writers taking two locks in opposite orders: PostgreSQL ends the deadlock by failing
 * one of them, which seal_db_transaction runs again. (SQLite's writers never hold the
 * database at once, so they cannot deadlock.) */
typedef struct crossing {
    const char *first, *second;
    int ready[2]; /* this one holds its first lock */
    int other_ready[2];
    int calls;
} crossing;

static int take_both(seal_db *db, void *arg)
{
    crossing *x = arg;
    char c;
    x->calls++;
    int rc = seal_db_lock(db, x->first);
    if (rc < 0)
        return rc;
    if (x->calls == 1) { /* the first time only: meet the other while both hold one */
        if (write(x->ready[1], "x", 1) != 1 || read(x->other_ready[0], &c, 1) != 1)
            return seal_error_set(SEAL_EIO, "the other writer went away");
    }
    rc = seal_db_lock(db, x->second);
    return rc < 0 ? rc : seal_db_exec(db, "adding", "INSERT INTO t (x) VALUES (1)");
}

static void *crossing_thread(void *arg)
{
    crossing *x = arg;
    seal_db *db = NULL;
    intptr_t rc = seal_db_open(&db, case_url, 0);
    if (rc == 0)
        rc = seal_db_transaction(db, take_both, x);
    if (rc < 0)
        fprintf(stderr, "crossing %s: %s\n", x->first, seal_error_last());
    seal_db_close(db);
    return (void *)rc;
}

static void test_deadlock_retried(void **state)
{
    (void)state;
    if (engine != SEAL_DB_POSTGRESQL)
        skip();
    seal_db *db = open_case();
    make_tables(db, "CREATE TABLE t (x BIGINT)");
    crossing a = {.first = "a", .second = "b"}, b = {.first = "b", .second = "a"};
    assert_int_equal(pipe(a.ready), 0);
    assert_int_equal(pipe(b.ready), 0);
    memcpy(a.other_ready, b.ready, sizeof a.other_ready);
    memcpy(b.other_ready, a.ready, sizeof b.other_ready);
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, crossing_thread, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, crossing_thread, &b), 0);
    void *ra, *rb;
    pthread_join(ta, &ra);
    pthread_join(tb, &rb);
    assert_int_equal((intptr_t)ra, 0);
    assert_int_equal((intptr_t)rb, 0);
    assert_int_equal(a.calls + b.calls, 3); /* one of them ran twice */
    assert_int_equal(query_int(db, "SELECT count(*) FROM t"), 2);
    for (int k = 0; k < 2; k++) {
        close(a.ready[k]);
        close(b.ready[k]);
    }
    seal_db_close(db);
}

/* ---------------------------------------------------------------- threads */

static bool libpq_mapped(void)
{
    gchar *maps = NULL;
    if (!g_file_get_contents("/proc/self/maps", &maps, NULL, NULL))
        return false;
    bool yes = strstr(maps, "/libpq.so") != NULL;
    g_free(maps);
    return yes;
}

static const char *threads_url;

static void *open_and_query(void *arg)
{
    (void)arg;
    seal_db *db = NULL;
    intptr_t result = -1;
    seal_db_stmt *stmt = NULL;
    if (seal_db_open(&db, threads_url, 0) == 0 &&
        seal_db_prepare(db, &stmt, "counting", "SELECT ?1 + 1") == 0 &&
        seal_db_bind_int64(stmt, 1, 41) == 0 && seal_db_step(stmt) == SEAL_DB_ROW) {
        int64_t v = 0;
        if (seal_db_column_int64(stmt, 0, &v) == 0)
            result = v;
    }
    if (result < 0)
        fprintf(stderr, "thread: %s\n", seal_error_last());
    seal_db_finalize(stmt);
    seal_db_close(db);
    return (void *)result;
}

/* Connections opened by 8 threads at once; for PostgreSQL the first ones in the process, so
 * that libpq is loaded while they race (and was not loaded before: libseal does not link
 * it). */
static void test_threads_open(void **state)
{
    (void)state;
    static char url[600];
    if (engine == SEAL_DB_POSTGRESQL) {
        assert_false(libpq_mapped());
        threads_url = pg_base;
    } else {
        snprintf(url, sizeof url, "sqlite:%s", test_path(test_tmpdir(), "threads.db"));
        seal_db *db = NULL;
        must(seal_db_open(&db, url, SEAL_DB_CREATE));
        seal_db_close(db);
        threads_url = url;
    }
    pthread_t threads[8];
    for (int k = 0; k < 8; k++)
        assert_int_equal(pthread_create(&threads[k], NULL, open_and_query, NULL), 0);
    for (int k = 0; k < 8; k++) {
        void *result;
        pthread_join(threads[k], &result);
        assert_int_equal((intptr_t)result, 42);
    }
    if (engine == SEAL_DB_POSTGRESQL)
        assert_true(libpq_mapped());
}

int main(void)
{
    /* test_threads_open first: on PostgreSQL it must be the process's first connection. */
    const struct CMUnitTest cases[] = {
        cmocka_unit_test(test_threads_open),
        cmocka_unit_test_setup_teardown(test_types, setup_case, teardown_case),
        cmocka_unit_test_setup_teardown(test_placeholders, setup_case, teardown_case),
        cmocka_unit_test(test_sql_text),
        cmocka_unit_test_setup_teardown(test_changes_returning, setup_case, teardown_case),
        cmocka_unit_test_setup_teardown(test_constraints, setup_case, teardown_case),
        cmocka_unit_test_setup_teardown(test_transactions, setup_case, teardown_case),
        cmocka_unit_test_setup_teardown(test_migrate, setup_case, teardown_case),
        cmocka_unit_test_setup_teardown(test_migrate_failure, setup_case, teardown_case),
        cmocka_unit_test_setup_teardown(test_migrate_old_table, setup_case, teardown_case),
        cmocka_unit_test_setup_teardown(test_migrate_racing, setup_case, teardown_case),
        cmocka_unit_test_setup_teardown(test_urls, setup_case, teardown_case),
        cmocka_unit_test_setup_teardown(test_racing_writers, setup_case, teardown_case),
        cmocka_unit_test_setup_teardown(test_lock_timeout, setup_case, teardown_case),
        cmocka_unit_test_setup_teardown(test_deadlock_retried, setup_case, teardown_case),
    };
    int failed = 0;
    pg_base = getenv("SEAL_TEST_POSTGRES_URL");
    /* The engine's name on a line of its own before its group: db_postgres.sh checks
     * that the PostgreSQL group ran. */
    if (pg_base && *pg_base) {
        engine = SEAL_DB_POSTGRESQL;
        printf("== engine: postgresql\n");
        fflush(stdout);
        failed += cmocka_run_group_tests_name("postgresql", cases, NULL, NULL);
    }
    engine = SEAL_DB_SQLITE;
    printf("== engine: sqlite\n");
    fflush(stdout);
    failed += cmocka_run_group_tests_name("sqlite", cases, NULL, NULL);
    return failed;
}
