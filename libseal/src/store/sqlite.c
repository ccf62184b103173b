/* The embedded store engine: one SQLite database, DATA_DIR/sealsvc.db, holding the
 * institutions and their seals (certificate, chain, PIN-encrypted key or the PKCS#11 URI
 * of a key on a token, picture, SESeal) and the holders of personal seals (written by holder.c).
 *
 * The stamp flow reads a seal here before unlocking it (unlock.c); `sealsvc demo` and
 * `sealsvc seal make` write seals here (create.c). Every statement is prepared with bound
 * parameters; no SQL text is ever built from input. */
#include "store/store_internal.h"

#include <seal/error.h>
#include <seal/idnum.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCHEMA_VERSION  3
#define BUSY_TIMEOUT_MS 5000
#define SEAL_ID_MAX     64

struct seal_store {
    sqlite3 *db;
    char *data_dir;
};

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS institution ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  credit_code TEXT NOT NULL UNIQUE,"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS seal ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  shape TEXT NOT NULL,"
    "  institution_id INTEGER NOT NULL REFERENCES institution(id),"
    "  alg TEXT NOT NULL,"
    "  cert_pem TEXT NOT NULL,"
    "  chain_pem TEXT NOT NULL,"
    "  key_pem TEXT NOT NULL,"
    "  key_uri TEXT,"
    "  image_png BLOB NOT NULL,"
    "  width_mm REAL NOT NULL,"
    "  height_mm REAL NOT NULL,"
    "  esl BLOB NOT NULL,"
    "  valid_start INTEGER NOT NULL,"
    "  valid_end INTEGER NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'locked', 'revoked')),"
    "  pin_failures INTEGER NOT NULL DEFAULT 0,"
    "  created INTEGER NOT NULL);"
    /* The holder of a personal seal (holder.c): the resident ID only as ciphertext. */
    "CREATE TABLE IF NOT EXISTS seal_holder ("
    "  seal_id TEXT PRIMARY KEY REFERENCES seal(id),"
    "  name TEXT NOT NULL,"
    "  id_sealed BLOB NOT NULL);"
    /* The seal pictures as PDF image and /SMask streams, by the PNG's SHA-256 (picture.c). */
    "CREATE TABLE IF NOT EXISTS pdf_picture ("
    "  png_sha256 BLOB PRIMARY KEY,"
    "  width INTEGER NOT NULL,"
    "  height INTEGER NOT NULL,"
    "  rgb_z BLOB NOT NULL,"
    "  alpha_z BLOB NOT NULL);";

static int store_fail(seal_store *st, const char *what)
{
    return seal_error_set(SEAL_ESTORE, "database error while %s: %s", what, sqlite3_errmsg(st->db));
}

static int prepare(seal_store *st, sqlite3_stmt **stmt, const char *sql)
{
    if (sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL) != SQLITE_OK)
        return store_fail(st, "preparing a statement");
    return 0;
}

/* Version 2: a seal's key may live on a PKCS#11 token; the seal then keeps the key's
 * RFC 7512 URI (key_uri, never with a PIN) and an empty key_pem. Seals of version 1
 * all have their key in key_pem and no URI. */
static const char migrate_to_2_sql[] = "ALTER TABLE seal ADD COLUMN key_uri TEXT;";

static int record_version(seal_store *st, int version)
{
    sqlite3_stmt *stmt = NULL;
    int rc = prepare(st, &stmt, "INSERT INTO schema_version (version) VALUES (?1)");
    if (rc == 0) {
        sqlite3_bind_int(stmt, 1, version);
        if (sqlite3_step(stmt) != SQLITE_DONE)
            rc = seal_error_set(SEAL_ESTORE, "cannot record the schema version: %s",
                                sqlite3_errmsg(st->db));
    }
    sqlite3_finalize(stmt);
    return rc;
}

/* Creates the tables and records the schema version, or checks the recorded one and
 * brings an older database up to this one, in the same transaction. */
static int ensure_schema(seal_store *st)
{
    int rc = 0;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(st, "starting the schema transaction");
    if (sqlite3_exec(st->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK)
        SEAL_FAIL(SEAL_ESTORE, "cannot create the tables: %s", sqlite3_errmsg(st->db));
    SEAL_TRY(prepare(st, &stmt, "SELECT max(version) FROM schema_version"));
    if (sqlite3_step(stmt) != SQLITE_ROW)
        SEAL_FAIL(SEAL_ESTORE, "cannot read the schema version: %s", sqlite3_errmsg(st->db));
    if (sqlite3_column_type(stmt, 0) == SQLITE_NULL) {
        SEAL_TRY(record_version(st, SCHEMA_VERSION));
    } else {
        int version = sqlite3_column_int(stmt, 0);
        SEAL_ENSURE(version <= SCHEMA_VERSION, SEAL_EUNSUPPORTED,
                    "the database has schema version %d, newer than this sealsvc knows (%d); "
                    "use a newer sealsvc",
                    version, SCHEMA_VERSION);
        if (version < 2) {
            if (sqlite3_exec(st->db, migrate_to_2_sql, NULL, NULL, NULL) != SQLITE_OK)
                SEAL_FAIL(SEAL_ESTORE,
                          "cannot bring the database from schema version %d to 2 (seal keys on "
                          "PKCS#11 tokens): %s",
                          version, sqlite3_errmsg(st->db));
            SEAL_TRY(record_version(st, 2));
        }
        /* Version 3: the seal pictures' PDF streams (table pdf_picture, created above with
         * the other tables). The seals of an older store have none yet; each gets its
         * streams the first time it is read (picture.c), not all here at once. */
        if (version < 3)
            SEAL_TRY(record_version(st, 3));
    }
    if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        SEAL_FAIL(SEAL_ESTORE, "cannot commit the schema: %s", sqlite3_errmsg(st->db));
out:
    sqlite3_finalize(stmt);
    if (rc < 0)
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* Makes the database file 0600 before SQLite first opens it: SQLite gives its -wal and
 * -shm files the database file's mode, so keys never rest in a world-readable file. */
static int create_db_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST)
        return seal_error_set(SEAL_EIO, "cannot create %s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    return 0;
}

int seal_store_open(seal_store **out, const char *data_dir, bool create)
{
    int rc = 0;
    char *path = NULL;
    seal_store *st = NULL;
    *out = NULL;
    SEAL_ENSURE(data_dir && *data_dir, SEAL_EINVAL, "no data directory was given");
    path = g_build_filename(data_dir, "sealsvc.db", NULL);
    if (create) {
        SEAL_ENSURE(g_mkdir_with_parents(data_dir, 0700) == 0, SEAL_EIO,
                    "cannot create the data directory %s: %s", data_dir, strerror(errno));
        SEAL_TRY(create_db_file(path));
        SEAL_TRY(store_kek_ensure(data_dir));
    } else {
        SEAL_ENSURE(g_file_test(path, G_FILE_TEST_EXISTS), SEAL_ENOTFOUND,
                    "%s holds no platform (sealsvc.db is missing); create one with "
                    "'sealsvc demo init --dir %s'",
                    data_dir, data_dir);
    }
    st = g_new0(seal_store, 1);
    st->data_dir = g_strdup(data_dir);
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) !=
        SQLITE_OK)
        SEAL_FAIL(SEAL_ESTORE, "cannot open %s: %s", path,
                  st->db ? sqlite3_errmsg(st->db) : "out of memory");
    sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(st->db, 1);
    /* WAL lets readers (verify, list) run beside a stamping writer; foreign keys keep a
     * seal from pointing at a missing institution. */
    if (sqlite3_exec(st->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(st->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK)
        SEAL_FAIL(SEAL_ESTORE, "cannot configure %s: %s", path, sqlite3_errmsg(st->db));
    SEAL_TRY(ensure_schema(st));
    *out = st;
    st = NULL;
out:
    seal_store_close(st);
    g_free(path);
    return rc;
}

void seal_store_close(seal_store *st)
{
    if (!st)
        return;
    sqlite3_close_v2(st->db);
    g_free(st->data_dir);
    g_free(st);
}

const char *seal_store_data_dir(const seal_store *st)
{
    return st->data_dir;
}

sqlite3 *store_sqlite(seal_store *st)
{
    return st->db;
}

/* ---------------------------------------------------------------- institutions */

int seal_store_add_institution(seal_store *st, const char *name, const char *credit_code,
                               int64_t *id_out)
{
    int rc = 0;
    sqlite3_stmt *stmt = NULL;
    SEAL_ENSURE(name && *name && g_utf8_validate(name, -1, NULL), SEAL_EINVAL,
                "an institution needs a name in UTF-8");
    SEAL_TRY(seal_credit_code_check(credit_code));
    SEAL_TRY(prepare(st, &stmt,
                     "INSERT INTO institution (name, credit_code, created) VALUES (?1, ?2, ?3)"));
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, credit_code, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, (sqlite3_int64)time(NULL));
    int step = sqlite3_step(stmt);
    SEAL_ENSURE(step != SQLITE_CONSTRAINT_UNIQUE, SEAL_EEXISTS,
                "an institution with this credit code is already registered");
    if (step != SQLITE_DONE)
        SEAL_FAIL(SEAL_ESTORE, "cannot add institution %s: %s", name, sqlite3_errmsg(st->db));
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(st->db);
out:
    sqlite3_finalize(stmt);
    return rc;
}

int seal_store_find_institution(seal_store *st, const char *credit_code, int64_t *id_out,
                                char **name_out)
{
    int rc = 0;
    sqlite3_stmt *stmt = NULL;
    SEAL_TRY(prepare(st, &stmt, "SELECT id, name FROM institution WHERE credit_code = ?1"));
    sqlite3_bind_text(stmt, 1, credit_code ? credit_code : "", -1, SQLITE_STATIC);
    int step = sqlite3_step(stmt);
    SEAL_ENSURE(step != SQLITE_DONE, SEAL_ENOTFOUND,
                "no institution with this credit code is registered");
    if (step != SQLITE_ROW)
        SEAL_FAIL(SEAL_ESTORE, "cannot look up an institution: %s", sqlite3_errmsg(st->db));
    if (id_out)
        *id_out = sqlite3_column_int64(stmt, 0);
    if (name_out)
        *name_out = g_strdup((const char *)sqlite3_column_text(stmt, 1));
out:
    sqlite3_finalize(stmt);
    return rc;
}

int store_institution_by_id(seal_store *st, int64_t id, char **name_out, char **code_out)
{
    int rc = 0;
    sqlite3_stmt *stmt = NULL;
    SEAL_TRY(prepare(st, &stmt, "SELECT name, credit_code FROM institution WHERE id = ?1"));
    sqlite3_bind_int64(stmt, 1, id);
    int step = sqlite3_step(stmt);
    SEAL_ENSURE(step != SQLITE_DONE, SEAL_ENOTFOUND, "institution %lld does not exist",
                (long long)id);
    if (step != SQLITE_ROW)
        SEAL_FAIL(SEAL_ESTORE, "cannot look up an institution: %s", sqlite3_errmsg(st->db));
    *name_out = g_strdup((const char *)sqlite3_column_text(stmt, 0));
    *code_out = g_strdup((const char *)sqlite3_column_text(stmt, 1));
out:
    sqlite3_finalize(stmt);
    return rc;
}

/* ---------------------------------------------------------------- seals */

void seal_record_clear(seal_record *r)
{
    if (!r)
        return;
    g_free(r->id);
    g_free(r->name);
    g_free(r->kind);
    g_free(r->shape);
    g_free(r->owner);
    g_free(r->owner_code);
    g_free(r->state);
    g_free(r->holder_name);
    g_free(r->key_uri);
    if (r->holder_id)
        seal_secure_zero(r->holder_id, strlen(r->holder_id));
    g_free(r->holder_id);
    seal_buf_clear(&r->cert_pem);
    seal_buf_clear(&r->chain_pem);
    seal_buf_clear_secret(&r->key_pem);
    seal_buf_clear(&r->image_png);
    seal_buf_clear(&r->esl);
    memset(r, 0, sizeof *r);
}

/* A seal id names files (DATA_DIR/seals/ID.esl) and appears in URLs, so it is kept to
 * letters, digits, '-', '_' and '.', and does not start with '.'. */
static int check_seal_id(const char *id)
{
    if (!id || !*id)
        return seal_error_set(SEAL_EINVAL, "a seal needs an id");
    size_t len = strlen(id);
    if (len > SEAL_ID_MAX)
        return seal_error_set(SEAL_EINVAL, "seal id is %zu characters long; at most %d allowed",
                              len, SEAL_ID_MAX);
    if (id[0] == '.')
        return seal_error_set(SEAL_EINVAL, "seal id must not start with '.'");
    for (size_t i = 0; i < len; i++)
        if (!g_ascii_isalnum(id[i]) && !strchr("-_.", id[i]))
            return seal_error_set(SEAL_EINVAL,
                                  "seal id has a character at position %zu that is not a "
                                  "letter, digit, '-', '_' or '.'",
                                  i + 1);
    return 0;
}

static int check_record(const seal_record *r)
{
    int rc = check_seal_id(r->id);
    if (rc < 0)
        return rc;
    if (!r->name || !*r->name || !g_utf8_validate(r->name, -1, NULL))
        return seal_error_set(SEAL_EINVAL, "seal %s needs a name in UTF-8", r->id);
    if (!r->kind || !*r->kind || !r->shape || !*r->shape)
        return seal_error_set(SEAL_EINVAL, "seal %s needs a kind and a shape", r->id);
    if (r->alg == SEAL_ALG_UNKNOWN)
        return seal_error_set(SEAL_EINVAL, "seal %s has no key algorithm", r->id);
    if (r->cert_pem.len == 0 || r->esl.len == 0 || r->image_png.len == 0)
        return seal_error_set(SEAL_EINVAL,
                              "seal %s needs a certificate, a key, a picture and a SESeal", r->id);
    /* The key is here (encrypted) or on a token (its URI), never both, never neither. */
    if ((r->key_pem.len > 0) == (r->key_uri != NULL))
        return seal_error_set(SEAL_EINVAL,
                              "seal %s needs either its key (encrypted) or the PKCS#11 URI of its "
                              "key on a token",
                              r->id);
    if (!(r->width_mm > 0 && r->height_mm > 0))
        return seal_error_set(SEAL_EINVAL, "seal %s needs a positive size in millimetres", r->id);
    if (r->valid_end <= r->valid_start)
        return seal_error_set(SEAL_EINVAL,
                              "seal %s has a validity window that ends before it "
                              "starts",
                              r->id);
    return 0;
}

static void bind_buf_text(sqlite3_stmt *stmt, int col, const seal_buf *b)
{
    sqlite3_bind_text(stmt, col, b->data ? (const char *)b->data : "", (int)b->len, SQLITE_STATIC);
}

static void bind_buf_blob(sqlite3_stmt *stmt, int col, const seal_buf *b)
{
    sqlite3_bind_blob(stmt, col, b->data, (int)b->len, SQLITE_STATIC);
}

int seal_store_add_seal(seal_store *st, const seal_record *r)
{
    int rc = 0;
    sqlite3_stmt *stmt = NULL;
    SEAL_TRY(check_record(r));
    SEAL_TRY(
        prepare(st, &stmt,
                "INSERT INTO seal (id, name, kind, shape, institution_id, alg, cert_pem, "
                "chain_pem, key_pem, image_png, width_mm, height_mm, esl, valid_start, "
                "valid_end, state, pin_failures, created, key_uri) VALUES (?1, ?2, ?3, ?4, ?5, "
                "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"));
    sqlite3_bind_text(stmt, 1, r->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, r->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, r->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, r->shape, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 5, r->institution_id);
    sqlite3_bind_text(stmt, 6, seal_key_alg_name(r->alg), -1, SQLITE_STATIC);
    bind_buf_text(stmt, 7, &r->cert_pem);
    bind_buf_text(stmt, 8, &r->chain_pem);
    bind_buf_text(stmt, 9, &r->key_pem);
    bind_buf_blob(stmt, 10, &r->image_png);
    sqlite3_bind_double(stmt, 11, r->width_mm);
    sqlite3_bind_double(stmt, 12, r->height_mm);
    bind_buf_blob(stmt, 13, &r->esl);
    sqlite3_bind_int64(stmt, 14, (sqlite3_int64)r->valid_start);
    sqlite3_bind_int64(stmt, 15, (sqlite3_int64)r->valid_end);
    sqlite3_bind_text(stmt, 16, r->state ? r->state : "active", -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 17, r->pin_failures);
    sqlite3_bind_int64(stmt, 18, (sqlite3_int64)time(NULL));
    if (r->key_uri)
        sqlite3_bind_text(stmt, 19, r->key_uri, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(stmt, 19);
    int step = sqlite3_step(stmt);
    SEAL_ENSURE(step != SQLITE_CONSTRAINT_PRIMARYKEY, SEAL_EEXISTS,
                "a seal with id %s already exists", r->id);
    SEAL_ENSURE(step != SQLITE_CONSTRAINT_FOREIGNKEY, SEAL_ENOTFOUND,
                "seal %s names institution %lld, which does not exist", r->id,
                (long long)r->institution_id);
    SEAL_ENSURE(step != SQLITE_CONSTRAINT_CHECK, SEAL_EINVAL,
                "seal %s has state '%s'; it must be active, locked or revoked", r->id, r->state);
    if (step != SQLITE_DONE)
        SEAL_FAIL(SEAL_ESTORE, "cannot store seal %s: %s", r->id, sqlite3_errmsg(st->db));
out:
    sqlite3_finalize(stmt);
    return rc;
}

static int column_buf(sqlite3_stmt *stmt, int col, seal_buf *out)
{
    const void *data = sqlite3_column_blob(stmt, col);
    size_t len = (size_t)sqlite3_column_bytes(stmt, col);
    return seal_buf_set(out, data, data ? len : 0);
}

static char *column_str(sqlite3_stmt *stmt, int col)
{
    return g_strdup((const char *)sqlite3_column_text(stmt, col));
}

int seal_store_get_seal(seal_store *st, const char *id, seal_record *out)
{
    int rc = 0;
    sqlite3_stmt *stmt = NULL;
    seal_record r = {0};
    SEAL_TRY(prepare(
        st, &stmt,
        "SELECT s.id, s.name, s.kind, s.shape, s.institution_id, i.name, "
        "i.credit_code, s.alg, s.cert_pem, s.chain_pem, s.key_pem, s.image_png, "
        "s.width_mm, s.height_mm, s.esl, s.valid_start, s.valid_end, s.state, "
        "s.pin_failures, s.key_uri FROM seal s JOIN institution i ON i.id = s.institution_id "
        "WHERE s.id = ?1"));
    sqlite3_bind_text(stmt, 1, id ? id : "", -1, SQLITE_STATIC);
    int step = sqlite3_step(stmt);
    SEAL_ENSURE(step != SQLITE_DONE, SEAL_ENOTFOUND,
                "there is no seal with id %s ('sealsvc seal list' shows the seals)",
                id ? id : "(none)");
    if (step != SQLITE_ROW)
        SEAL_FAIL(SEAL_ESTORE, "cannot read seal %s: %s", id, sqlite3_errmsg(st->db));
    r.id = column_str(stmt, 0);
    r.name = column_str(stmt, 1);
    r.kind = column_str(stmt, 2);
    r.shape = column_str(stmt, 3);
    r.institution_id = sqlite3_column_int64(stmt, 4);
    r.owner = column_str(stmt, 5);
    r.owner_code = column_str(stmt, 6);
    if (seal_key_alg_parse(&r.alg, (const char *)sqlite3_column_text(stmt, 7)) < 0)
        r.alg = SEAL_ALG_UNKNOWN;
    SEAL_TRY(column_buf(stmt, 8, &r.cert_pem));
    SEAL_TRY(column_buf(stmt, 9, &r.chain_pem));
    SEAL_TRY(column_buf(stmt, 10, &r.key_pem));
    SEAL_TRY(column_buf(stmt, 11, &r.image_png));
    r.width_mm = sqlite3_column_double(stmt, 12);
    r.height_mm = sqlite3_column_double(stmt, 13);
    SEAL_TRY(column_buf(stmt, 14, &r.esl));
    r.valid_start = (time_t)sqlite3_column_int64(stmt, 15);
    r.valid_end = (time_t)sqlite3_column_int64(stmt, 16);
    r.state = column_str(stmt, 17);
    r.pin_failures = sqlite3_column_int(stmt, 18);
    if (sqlite3_column_type(stmt, 19) != SQLITE_NULL)
        r.key_uri = column_str(stmt, 19);
    store_pdf_picture_load(st, &r.image_png);
    *out = r;
    memset(&r, 0, sizeof r);
out:
    sqlite3_finalize(stmt);
    seal_record_clear(&r);
    return rc;
}

int seal_store_list_seals(seal_store *st, char ***ids_out)
{
    int rc = 0;
    sqlite3_stmt *stmt = NULL;
    GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
    *ids_out = NULL;
    SEAL_TRY(prepare(st, &stmt, "SELECT id FROM seal ORDER BY rowid"));
    int step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW)
        g_ptr_array_add(ids, column_str(stmt, 0));
    if (step != SQLITE_DONE)
        SEAL_FAIL(SEAL_ESTORE, "cannot list the seals: %s", sqlite3_errmsg(st->db));
    g_ptr_array_add(ids, NULL);
    *ids_out = (char **)g_ptr_array_free(ids, FALSE);
    ids = NULL;
out:
    sqlite3_finalize(stmt);
    if (ids)
        g_ptr_array_free(ids, TRUE);
    return rc;
}

/* ---------------------------------------------------------------- PIN failures */

int store_count_pin_failure(seal_store *st, const char *id, int *failures_out)
{
    int rc = 0;
    sqlite3_stmt *stmt = NULL;
    /* One UPDATE ... RETURNING: the count and the lock move together even when two
     * processes try PINs for the same seal at once. */
    SEAL_TRY(prepare(st, &stmt,
                     "UPDATE seal SET pin_failures = pin_failures + 1, state = CASE WHEN "
                     "pin_failures + 1 >= ?2 THEN 'locked' ELSE state END WHERE id = ?1 "
                     "RETURNING pin_failures"));
    sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 2, SEAL_STORE_MAX_PIN_FAILURES);
    int step = sqlite3_step(stmt);
    SEAL_ENSURE(step != SQLITE_DONE, SEAL_ENOTFOUND, "there is no seal with id %s", id);
    if (step != SQLITE_ROW)
        SEAL_FAIL(SEAL_ESTORE, "cannot count a wrong PIN for seal %s: %s", id,
                  sqlite3_errmsg(st->db));
    *failures_out = sqlite3_column_int(stmt, 0);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        SEAL_FAIL(SEAL_ESTORE, "cannot count a wrong PIN for seal %s: %s", id,
                  sqlite3_errmsg(st->db));
out:
    sqlite3_finalize(stmt);
    return rc;
}

int store_reset_pin_failures(seal_store *st, const char *id)
{
    int rc = 0;
    sqlite3_stmt *stmt = NULL;
    SEAL_TRY(prepare(st, &stmt,
                     "UPDATE seal SET pin_failures = 0 WHERE id = ?1 AND state = 'active' "
                     "RETURNING id"));
    sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
    int step = sqlite3_step(stmt);
    SEAL_ENSURE(step != SQLITE_DONE, SEAL_EPOLICY,
                "seal %s was locked while it was being unlocked; an administrator must unlock "
                "it",
                id);
    if (step != SQLITE_ROW)
        SEAL_FAIL(SEAL_ESTORE, "cannot reset the PIN count of seal %s: %s", id,
                  sqlite3_errmsg(st->db));
    if (sqlite3_step(stmt) != SQLITE_DONE)
        SEAL_FAIL(SEAL_ESTORE, "cannot reset the PIN count of seal %s: %s", id,
                  sqlite3_errmsg(st->db));
out:
    sqlite3_finalize(stmt);
    return rc;
}

/* ---------------------------------------------------------------- PEM */

int store_certs_from_pem(STACK_OF(X509) * *out, const seal_buf *pem)
{
    int rc = 0;
    STACK_OF(X509) *certs = sk_X509_new_null();
    BIO *bio = NULL;
    X509 *cert = NULL;
    SEAL_ENSURE(certs, SEAL_ENOMEM, "out of memory");
    if (pem->len > 0) {
        SEAL_ENSURE(pem->len <= INT_MAX, SEAL_EINVAL, "certificate text is too large");
        bio = BIO_new_mem_buf(pem->data, (int)pem->len);
        SEAL_ENSURE(bio, SEAL_ENOMEM, "out of memory");
        while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
            SEAL_ENSURE(sk_X509_push(certs, cert) > 0, SEAL_ENOMEM, "out of memory");
            cert = NULL;
        }
        /* The loop ends on "no more PEM blocks", which OpenSSL queues as an error. */
        ERR_clear_error();
        SEAL_ENSURE(sk_X509_num(certs) > 0, SEAL_EFORMAT,
                    "the stored certificate chain holds no PEM certificate");
    }
    *out = certs;
    certs = NULL;
out:
    X509_free(cert);
    BIO_free(bio);
    sk_X509_pop_free(certs, X509_free);
    return rc;
}
