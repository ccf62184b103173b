/* The store's core: the connection (SQLite by default, or PostgreSQL; db/db.h hides
 * which), the institutions and their seals (certificate, chain, PIN-encrypted key or the
 * PKCS#11 URI of a key on a token, picture, SESeal), and the PIN-failure count.
 *
 * The stamp flow reads a seal here before unlocking it (unlock.c); `sealsvc demo` and
 * `sealsvc seal make` write seals here (create.c). Every statement is prepared with bound
 * parameters; no SQL text is ever built from input. */
#include "store/store_internal.h"

#include <seal/error.h>
#include <seal/idnum.h>

#include <errno.h>
#include <glib.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <string.h>

#define SEAL_ID_MAX 64

struct seal_store {
    seal_db *db;
    char *data_dir;
    int schema_found, schema_current; /* at open, before and after migrating */
};

int seal_store_open_db(seal_store **out, const char *db_url, const char *data_dir, bool create)
{
    int rc = 0;
    char *url = NULL;
    seal_store *st = NULL;
    *out = NULL;
    SEAL_ENSURE(data_dir && *data_dir, SEAL_EINVAL, "no data directory was given");
    if (create) {
        SEAL_ENSURE(g_mkdir_with_parents(data_dir, 0700) == 0, SEAL_EIO,
                    "cannot create the data directory %s: %s", data_dir, strerror(errno));
        SEAL_TRY(store_kek_ensure(data_dir));
    }
    if (!db_url) {
        char *path = g_build_filename(data_dir, "sealsvc.db", NULL);
        bool exists = g_file_test(path, G_FILE_TEST_EXISTS);
        url = g_strconcat("sqlite:", path, NULL);
        g_free(path);
        SEAL_ENSURE(create || exists, SEAL_ENOTFOUND,
                    "%s holds no platform (sealsvc.db is missing); create one with "
                    "'sealsvc demo init --dir %s'",
                    data_dir, data_dir);
    }
    st = g_new0(seal_store, 1);
    st->data_dir = g_strdup(data_dir);
    SEAL_TRY(seal_db_open(&st->db, db_url ? db_url : url, create ? SEAL_DB_CREATE : 0));
    SEAL_TRY(store_migrate(st, &st->schema_found, &st->schema_current));
    *out = st;
    st = NULL;
out:
    seal_store_close(st);
    g_free(url);
    return rc;
}

int seal_store_open(seal_store **out, const char *data_dir, bool create)
{
    return seal_store_open_db(out, NULL, data_dir, create);
}

void seal_store_close(seal_store *st)
{
    if (!st)
        return;
    seal_db_close(st->db);
    g_free(st->data_dir);
    g_free(st);
}

const char *seal_store_data_dir(const seal_store *st)
{
    return st->data_dir;
}

void seal_store_schema(const seal_store *st, int *found, int *current, const char **db_url)
{
    *found = st->schema_found;
    *current = st->schema_current;
    *db_url = seal_db_url(st->db);
}

seal_db *store_db(seal_store *st)
{
    return st->db;
}

int store_prepare(seal_store *st, seal_db_stmt **stmt, const char *what, const char *sql)
{
    return seal_db_prepare(st->db, stmt, what, sql);
}

char *store_column_text(seal_db_stmt *stmt, int col)
{
    const char *text = NULL;
    if (seal_db_column_text(stmt, col, &text) < 0) {
        seal_error_clear();
        return NULL;
    }
    return g_strdup(text);
}

int64_t store_column_int64(seal_db_stmt *stmt, int col)
{
    int64_t v = 0;
    if (seal_db_column_int64(stmt, col, &v) < 0) {
        seal_error_clear();
        return 0;
    }
    return v;
}

double store_column_double(seal_db_stmt *stmt, int col)
{
    double v = 0;
    if (seal_db_column_double(stmt, col, &v) < 0) {
        seal_error_clear();
        return 0;
    }
    return v;
}

int store_column_buf(seal_db_stmt *stmt, int col, seal_buf *out)
{
    const uint8_t *data = NULL;
    size_t len = 0;
    if (seal_db_column_blob(stmt, col, &data, &len) < 0) {
        seal_error_clear();
        len = 0;
    }
    return seal_buf_set(out, data, data ? len : 0);
}

int store_read_all(seal_db_stmt *stmt, size_t size, int (*read)(seal_db_stmt *stmt, void *record),
                   void (*free_all)(void *records, size_t n), void **out, size_t *n)
{
    int rc = 0, step;
    GArray *list = g_array_new(FALSE, TRUE, (guint)size);
    *out = NULL;
    *n = 0;
    while ((step = seal_db_step(stmt)) == SEAL_DB_ROW) {
        g_array_set_size(list, list->len + 1);
        rc = read(stmt, list->data + (size_t)(list->len - 1) * size);
        if (rc < 0)
            break;
    }
    if (rc == 0 && step < 0)
        rc = step;
    size_t len = list->len;
    void *records = g_array_free(list, FALSE);
    if (rc < 0) {
        free_all(records, len);
        return rc;
    }
    *out = records;
    *n = len;
    return 0;
}

int store_bind_buf_text(seal_db_stmt *stmt, int index, const seal_buf *b)
{
    return seal_db_bind_text_len(stmt, index, b->data ? (const char *)b->data : "", b->len);
}

/* ---------------------------------------------------------------- institutions */

int seal_store_add_institution(seal_store *st, const char *name, const char *credit_code,
                               int64_t *id_out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_ENSURE(name && *name && g_utf8_validate(name, -1, NULL), SEAL_EINVAL,
                "an institution needs a name in UTF-8");
    SEAL_TRY(seal_credit_code_check(credit_code));
    SEAL_TRY(store_prepare(st, &stmt, "adding an institution",
                           "INSERT INTO institution (name, credit_code, created) VALUES (?1, ?2, "
                           "?3) RETURNING id"));
    seal_db_bind_text(stmt, 1, name);
    seal_db_bind_text(stmt, 2, credit_code);
    seal_db_bind_int64(stmt, 3, (int64_t)time(NULL));
    int step = seal_db_step(stmt);
    SEAL_ENSURE(!(step < 0 && seal_db_last_failure(st->db) == SEAL_DB_UNIQUE), SEAL_EEXISTS,
                "an institution with this credit code is already registered");
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ESTORE, "adding institution %s gave no id", name);
    if (id_out)
        *id_out = store_column_int64(stmt, 0);
    SEAL_TRY(seal_db_step(stmt));
out:
    seal_db_finalize(stmt);
    return rc;
}

int seal_store_find_institution(seal_store *st, const char *credit_code, int64_t *id_out,
                                char **name_out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "looking up an institution",
                           "SELECT id, name FROM institution WHERE credit_code = ?1"));
    seal_db_bind_text(stmt, 1, credit_code ? credit_code : "");
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ENOTFOUND,
                "no institution with this credit code is registered");
    if (id_out)
        *id_out = store_column_int64(stmt, 0);
    if (name_out)
        *name_out = store_column_text(stmt, 1);
out:
    seal_db_finalize(stmt);
    return rc;
}

int store_institution_by_id(seal_store *st, int64_t id, char **name_out, char **code_out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "looking up an institution",
                           "SELECT name, credit_code FROM institution WHERE id = ?1"));
    seal_db_bind_int64(stmt, 1, id);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ENOTFOUND, "institution %lld does not exist",
                (long long)id);
    *name_out = store_column_text(stmt, 0);
    *code_out = store_column_text(stmt, 1);
out:
    seal_db_finalize(stmt);
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

int store_seal_id_check(const char *id)
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
    int rc = store_seal_id_check(r->id);
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
    if (r->state && !store_seal_state_known(r->state))
        return seal_error_set(SEAL_EINVAL,
                              "seal %s has state '%s', which is none of the lifecycle's "
                              "(docs/lifecycle.md)",
                              r->id, r->state);
    if (r->valid_end <= r->valid_start)
        return seal_error_set(SEAL_EINVAL,
                              "seal %s has a validity window that ends before it "
                              "starts",
                              r->id);
    return 0;
}

int store_seal_set_certificate(seal_store *st, const seal_record *r, bool with_key)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "updating a seal",
                           with_key ? "UPDATE seal SET cert_pem = ?2, esl = ?3, valid_start = ?4, "
                                      "valid_end = ?5, key_pem = ?6 WHERE id = ?1"
                                    : "UPDATE seal SET cert_pem = ?2, esl = ?3, valid_start = ?4, "
                                      "valid_end = ?5 WHERE id = ?1"));
    seal_db_bind_text(stmt, 1, r->id);
    store_bind_buf_text(stmt, 2, &r->cert_pem);
    seal_db_bind_blob(stmt, 3, r->esl.data, r->esl.len);
    seal_db_bind_int64(stmt, 4, (int64_t)r->valid_start);
    seal_db_bind_int64(stmt, 5, (int64_t)r->valid_end);
    if (with_key)
        store_bind_buf_text(stmt, 6, &r->key_pem);
    SEAL_TRY(seal_db_step(stmt));
    SEAL_ENSURE(seal_db_changes(stmt) == 1, SEAL_ENOTFOUND, "seal %s is no longer in the store",
                r->id);
out:
    seal_db_finalize(stmt);
    return rc;
}

int seal_store_add_seal(seal_store *st, const seal_record *r)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(check_record(r));
    SEAL_TRY(store_prepare(
        st, &stmt, "storing a seal",
        "INSERT INTO seal (id, name, kind, shape, institution_id, alg, cert_pem, "
        "chain_pem, key_pem, image_png, width_mm, height_mm, esl, valid_start, "
        "valid_end, state, pin_failures, created, key_uri, locked) VALUES (?1, ?2, ?3, ?4, "
        "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)"));
    seal_db_bind_text(stmt, 1, r->id);
    seal_db_bind_text(stmt, 2, r->name);
    seal_db_bind_text(stmt, 3, r->kind);
    seal_db_bind_text(stmt, 4, r->shape);
    seal_db_bind_int64(stmt, 5, r->institution_id);
    seal_db_bind_text(stmt, 6, seal_key_alg_name(r->alg));
    store_bind_buf_text(stmt, 7, &r->cert_pem);
    store_bind_buf_text(stmt, 8, &r->chain_pem);
    store_bind_buf_text(stmt, 9, &r->key_pem);
    seal_db_bind_blob(stmt, 10, r->image_png.data, r->image_png.len);
    seal_db_bind_double(stmt, 11, r->width_mm);
    seal_db_bind_double(stmt, 12, r->height_mm);
    seal_db_bind_blob(stmt, 13, r->esl.data, r->esl.len);
    seal_db_bind_int64(stmt, 14, (int64_t)r->valid_start);
    seal_db_bind_int64(stmt, 15, (int64_t)r->valid_end);
    seal_db_bind_text(stmt, 16, r->state ? r->state : "active");
    seal_db_bind_int64(stmt, 17, r->pin_failures);
    seal_db_bind_int64(stmt, 18, (int64_t)time(NULL));
    seal_db_bind_text(stmt, 19, r->key_uri);
    seal_db_bind_int64(stmt, 20, r->locked ? 1 : 0);
    int step = seal_db_step(stmt);
    if (step < 0) {
        seal_db_failure why = seal_db_last_failure(st->db);
        SEAL_ENSURE(why != SEAL_DB_UNIQUE, SEAL_EEXISTS, "a seal with id %s already exists", r->id);
        SEAL_ENSURE(why != SEAL_DB_FOREIGN_KEY, SEAL_ENOTFOUND,
                    "seal %s names institution %lld, which does not exist", r->id,
                    (long long)r->institution_id);
        SEAL_TRY(seal_error_wrap(step, "cannot store seal %s", r->id));
    }
out:
    seal_db_finalize(stmt);
    return rc;
}

int seal_store_get_seal(seal_store *st, const char *id, seal_record *out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    seal_record r = {0};
    SEAL_TRY(store_prepare(st, &stmt, "reading a seal",
                           "SELECT s.id, s.name, s.kind, s.shape, s.institution_id, i.name, "
                           "i.credit_code, s.alg, s.cert_pem, s.chain_pem, s.key_pem, s.image_png, "
                           "s.width_mm, s.height_mm, s.esl, s.valid_start, s.valid_end, s.state, "
                           "s.pin_failures, s.key_uri, s.locked FROM seal s JOIN institution i ON "
                           "i.id = s.institution_id "
                           "WHERE s.id = ?1"));
    seal_db_bind_text(stmt, 1, id ? id : "");
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ENOTFOUND,
                "there is no seal with id %s ('sealsvc seal list' shows the seals)",
                id ? id : "(none)");
    r.id = store_column_text(stmt, 0);
    r.name = store_column_text(stmt, 1);
    r.kind = store_column_text(stmt, 2);
    r.shape = store_column_text(stmt, 3);
    r.institution_id = store_column_int64(stmt, 4);
    r.owner = store_column_text(stmt, 5);
    r.owner_code = store_column_text(stmt, 6);
    char *alg = store_column_text(stmt, 7);
    if (seal_key_alg_parse(&r.alg, alg) < 0) {
        r.alg = SEAL_ALG_UNKNOWN;
        seal_error_clear();
    }
    g_free(alg);
    SEAL_TRY(store_column_buf(stmt, 8, &r.cert_pem));
    SEAL_TRY(store_column_buf(stmt, 9, &r.chain_pem));
    SEAL_TRY(store_column_buf(stmt, 10, &r.key_pem));
    SEAL_TRY(store_column_buf(stmt, 11, &r.image_png));
    r.width_mm = store_column_double(stmt, 12);
    r.height_mm = store_column_double(stmt, 13);
    SEAL_TRY(store_column_buf(stmt, 14, &r.esl));
    r.valid_start = (time_t)store_column_int64(stmt, 15);
    r.valid_end = (time_t)store_column_int64(stmt, 16);
    r.state = store_column_text(stmt, 17);
    r.pin_failures = (int)store_column_int64(stmt, 18);
    r.key_uri = store_column_text(stmt, 19);
    r.locked = store_column_int64(stmt, 20) != 0;
    *out = r;
    memset(&r, 0, sizeof r);
out:
    seal_db_finalize(stmt);
    seal_record_clear(&r);
    return rc;
}

void seal_store_picture_ready(seal_store *st, const seal_record *r)
{
    store_pdf_picture_load(st, &r->image_png);
}

int seal_store_list_seals(seal_store *st, char ***ids_out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
    *ids_out = NULL;
    SEAL_TRY(
        store_prepare(st, &stmt, "listing the seals", "SELECT id FROM seal ORDER BY created, id"));
    int step;
    while ((step = seal_db_step(stmt)) == SEAL_DB_ROW)
        g_ptr_array_add(ids, store_column_text(stmt, 0));
    SEAL_TRY(step);
    g_ptr_array_add(ids, NULL);
    *ids_out = (char **)g_ptr_array_free(ids, FALSE);
    ids = NULL;
out:
    seal_db_finalize(stmt);
    if (ids)
        g_ptr_array_free(ids, TRUE);
    return rc;
}

/* ---------------------------------------------------------------- PIN failures */

int store_count_pin_failure(seal_store *st, const char *id, int *failures_out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    /* One UPDATE ... RETURNING: the count and the lock move together even when two
     * processes try PINs for the same seal at once. */
    SEAL_TRY(store_prepare(st, &stmt, "counting a wrong PIN",
                           "UPDATE seal SET pin_failures = pin_failures + 1, locked = CASE WHEN "
                           "pin_failures + 1 >= ?2 THEN 1 ELSE locked END WHERE id = ?1 "
                           "RETURNING pin_failures"));
    seal_db_bind_text(stmt, 1, id);
    seal_db_bind_int64(stmt, 2, SEAL_STORE_MAX_PIN_FAILURES);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ENOTFOUND, "there is no seal with id %s", id);
    *failures_out = (int)store_column_int64(stmt, 0);
    SEAL_TRY(seal_db_step(stmt));
out:
    seal_db_finalize(stmt);
    return rc;
}

int store_reset_pin_failures(seal_store *st, const char *id)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    int64_t failures = 0;
    /* Nearly every unlock finds no wrong PIN to forget, so the count is read first and
     * written only when there is one: an UPDATE is a write transaction, a synced commit on
     * either engine and, on SQLite, a turn at the one write lock, for every stamp. Either
     * statement finds no row when the seal was locked, frozen or cancelled since it was
     * read. */
    SEAL_TRY(store_prepare(st, &stmt, "reading a PIN count",
                           "SELECT pin_failures FROM seal WHERE id = ?1 AND state = 'active' "
                           "AND locked = 0"));
    seal_db_bind_text(stmt, 1, id);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    if (step == SEAL_DB_ROW)
        failures = store_column_int64(stmt, 0);
    seal_db_finalize(stmt);
    stmt = NULL;
    if (step == SEAL_DB_ROW && failures != 0) {
        SEAL_TRY(store_prepare(st, &stmt, "resetting a PIN count",
                               "UPDATE seal SET pin_failures = 0 WHERE id = ?1 AND state = "
                               "'active' AND locked = 0 RETURNING id"));
        seal_db_bind_text(stmt, 1, id);
        step = seal_db_step(stmt);
        SEAL_TRY(step);
    }
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_EPOLICY,
                "seal %s was locked, frozen or cancelled while it was being unlocked; look at "
                "'sealsvc seal show %s'",
                id, id);
    if (stmt)
        SEAL_TRY(seal_db_step(stmt));
out:
    seal_db_finalize(stmt);
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
