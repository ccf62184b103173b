/* Schema migrations (db.h seal_db_migrate): the store's schema as a numbered list of steps,
 * the same list for both engines, applied when a store opens. Each step runs in its own
 * write transaction holding the writer lock "schema", so that two processes opening a
 * fresh database at once apply it once, and a process killed in the middle leaves the
 * database at the version before. The table schema_version keeps one row per version
 * applied, as the store's first schema did; the highest is the database's version. */
#include "db/db_internal.h"

#include <seal/error.h>

#include <glib.h>

typedef struct migration_run {
    const seal_db_migration *list;
    size_t n;
    void *arg;
    bool up_to_date;
} migration_run;

static int refuse_newer(int version, size_t known)
{
    return seal_error_set(SEAL_EUNSUPPORTED,
                          "the database is at schema version %d; this sealsvc knows up to %zu: "
                          "upgrade sealsvc",
                          version, known);
}

/* One value of a one-row query. */
static int read_int(seal_db *db, const char *what, const char *sql, int64_t *out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(seal_db_prepare(db, &stmt, what, sql));
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ESTORE, "database error while %s: no row came back",
                what);
    SEAL_TRY(seal_db_column_int64(stmt, 0, out));
out:
    seal_db_finalize(stmt);
    return rc;
}

int seal_db_schema_version(seal_db *db, int *version_out)
{
    int64_t exists = 0, version = 0;
    *version_out = 0;
    int rc =
        read_int(db, "looking for the schema version", db->ops->schema_table_exists_sql, &exists);
    if (rc == 0 && exists)
        rc = read_int(db, "reading the schema version", "SELECT max(version) FROM schema_version",
                      &version);
    if (rc == 0 && (version < 0 || version > INT32_MAX))
        rc = seal_error_set(SEAL_ESTORE, "the database's schema version (%lld) is not one",
                            (long long)version);
    if (rc == 0)
        *version_out = (int)version;
    return rc;
}

static int apply(seal_db *db, const seal_db_migration *m, void *arg)
{
    int rc = 0;
    char *ddl = NULL;
    seal_db_stmt *stmt = NULL;
    if (m->sql) {
        SEAL_TRY(db_sql_translate(m->sql, DB_SQL_DDL, db->ops, &ddl, NULL));
        SEAL_TRY(db->ops->exec(db, "changing the schema", ddl));
    }
    if (m->apply)
        SEAL_TRY(m->apply(db, arg));
    SEAL_TRY(seal_db_prepare(db, &stmt, "recording the schema version",
                             "INSERT INTO schema_version (version) VALUES (?1)"));
    SEAL_TRY(seal_db_bind_int64(stmt, 1, m->version));
    SEAL_TRY(seal_db_step(stmt));
out:
    seal_db_finalize(stmt);
    g_free(ddl);
    if (rc < 0)
        seal_error_wrap(rc, "cannot bring the database %s to schema version %d (%s)", db->url,
                        m->version, m->what ? m->what : "no description");
    return rc;
}

/* One transaction: the next missing version, or nothing when there is none. */
static int migrate_step(seal_db *db, void *arg)
{
    migration_run *run = arg;
    int version = 0;
    int rc = seal_db_lock(db, "schema");
    if (rc == 0)
        rc = seal_db_exec(db, "creating the schema_version table",
                          "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
    if (rc == 0)
        rc = seal_db_schema_version(db, &version);
    if (rc < 0)
        return rc;
    if ((size_t)version > run->n)
        return refuse_newer(version, run->n);
    run->up_to_date = (size_t)version == run->n;
    return run->up_to_date ? 0 : apply(db, &run->list[version], run->arg);
}

int seal_db_migrate(seal_db *db, const seal_db_migration *list, size_t n, void *arg)
{
    int version = 0;
    if (n == 0 || n > INT32_MAX)
        return seal_error_set(SEAL_EINVAL, "database: a schema needs at least one version");
    for (size_t i = 0; i < n; i++)
        if (list[i].version != (int)i + 1)
            return seal_error_set(SEAL_EINVAL,
                                  "database: schema step %zu has version %d; the list must hold "
                                  "versions 1 to %zu in order",
                                  i + 1, list[i].version, n);
    /* Most opens find the database up to date: a read, no write lock taken. */
    int rc = seal_db_schema_version(db, &version);
    if (rc < 0)
        return rc;
    if ((size_t)version > n)
        return refuse_newer(version, n);
    migration_run run = {.list = list, .n = n, .arg = arg, .up_to_date = (size_t)version == n};
    while (!run.up_to_date) {
        rc = seal_db_transaction(db, migrate_step, &run);
        if (rc < 0)
            return rc;
    }
    return 0;
}
