/* Batch stamping jobs in the store (seal/job.h): the HTTP service's submit route writes a
 * job and its documents here, its workers claim jobs, take their documents one by one,
 * record each outcome and end the job, and any instance reads a job's state and results or
 * delivers its callback, all through the database, so that instances share nothing else.
 *
 * Claims follow pending.c's pattern: one UPDATE whose WHERE checks again that the row is
 * still free, inside a transaction; on PostgreSQL the candidate is picked with FOR UPDATE
 * SKIP LOCKED, so concurrent workers skip each other's job instead of queueing behind it
 * (SQLite serialises writers: BEGIN IMMEDIATE). A holder proves it is alive with its
 * heartbeat; a job whose heartbeat is stale is claimable again.
 *
 * Secrets (the seal PIN, a document's password, the callback's key) are sealed with
 * AES-256-GCM under store_kek_derive(JOB_SECRET_LABEL), the job id and the secret's name as
 * associated data, and set to NULL as soon as they are no longer needed.
 *
 * The tables are version 10 of the store's schema (schema.c). */
#include "store/store_internal.h"

#include <seal/error.h>
#include <seal/job.h>

#include <glib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <string.h>

#define JOB_SECRET_LABEL   "sealsvc job secrets v1"
#define SECRET_MAX_PLAIN   4096
#define CALLBACK_KEY_BYTES 32

#define JOB_COLUMNS                                                                                \
    "id, state, institution, actor, seal_id, params, worker, created, started, finished, "         \
    "heartbeat, claims, cancel_requested, error, callback_url, callback_state, callback_next"
#define DOC_COLUMNS                                                                                \
    "n, name, placements, state, format, error_code, error, input_size, output_size, finished"
/* A job a worker may take: queued, or running with a holder that stopped (released it) or
 * whose heartbeat is older than ?1. */
#define CLAIMABLE "(state = 'queued' OR (state = 'running' AND (worker IS NULL OR heartbeat < ?1)))"

static const char *const state_names[] = {"submitting", "queued", "running",
                                          "done",       "failed", "cancelled"};
static const char *const callback_names[] = {"none", "pending", "delivered", "failed"};

const char *seal_job_state_name(seal_job_state s)
{
    return (size_t)s < G_N_ELEMENTS(state_names) ? state_names[s] : "?";
}

const char *seal_job_callback_state_name(seal_job_callback_state s)
{
    return (size_t)s < G_N_ELEMENTS(callback_names) ? callback_names[s] : "?";
}

static int index_of(const char *const *names, size_t n, const char *text)
{
    for (size_t i = 0; text && i < n; i++)
        if (strcmp(names[i], text) == 0)
            return (int)i;
    return 0;
}

/* ---- secrets ---- */

/* Sealed (sealed.c) with associated data "job:ID:WHAT", so a value copied to another job or
 * another column does not open. */
static int secret_seal(seal_store *st, const char *job_id, const char *what, const char *plain,
                       seal_buf *out)
{
    uint8_t key[STORE_KEK_DERIVED_BYTES];
    char *aad = g_strdup_printf("job:%s:%s", job_id, what);
    char *name = g_strdup_printf("a job's %s", what);
    int rc = store_kek_derive(st, JOB_SECRET_LABEL, key);
    if (rc == 0)
        rc = store_sealed_put(out, key, aad, plain, SECRET_MAX_PLAIN, name);
    OPENSSL_cleanse(key, sizeof key);
    g_free(name);
    g_free(aad);
    return rc;
}

static int secret_open(seal_store *st, const char *job_id, const char *what, const uint8_t *data,
                       size_t len, char **plain_out)
{
    uint8_t key[STORE_KEK_DERIVED_BYTES];
    char *aad = g_strdup_printf("job:%s:%s", job_id, what);
    char *name = g_strdup_printf("%s of job %s", what, job_id);
    int rc = store_kek_derive(st, JOB_SECRET_LABEL, key);
    if (rc == 0)
        rc = store_sealed_open(plain_out, key, aad, data, len, SECRET_MAX_PLAIN, name);
    OPENSSL_cleanse(key, sizeof key);
    g_free(name);
    g_free(aad);
    return rc;
}

/* ---- records ---- */

void seal_job_record_clear(seal_job_record *r)
{
    if (!r)
        return;
    g_free(r->institution);
    g_free(r->actor);
    g_free(r->seal_id);
    g_free(r->params);
    g_free(r->worker);
    g_free(r->error);
    g_free(r->callback_url);
    memset(r, 0, sizeof *r);
}

void seal_job_document_clear(seal_job_document *d)
{
    if (!d)
        return;
    g_free(d->name);
    g_free(d->placements);
    g_free(d->format);
    g_free(d->error_code);
    g_free(d->error);
    memset(d, 0, sizeof *d);
}

void seal_job_documents_free(seal_job_document *d, size_t n)
{
    for (size_t i = 0; d && i < n; i++)
        seal_job_document_clear(&d[i]);
    g_free(d);
}

void seal_job_attempts_free(seal_job_attempt *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++)
        g_free(a[i].error);
    g_free(a);
}

void seal_job_callback_clear(seal_job_callback *c)
{
    if (!c)
        return;
    seal_job_record_clear(&c->job);
    if (c->key) {
        OPENSSL_cleanse(c->key, strlen(c->key));
        g_free(c->key);
    }
    memset(c, 0, sizeof *c);
}

static void read_job_row(seal_db_stmt *stmt, seal_job_record *r)
{
    memset(r, 0, sizeof *r);
    char *id = store_column_text(stmt, 0), *state = store_column_text(stmt, 1);
    g_strlcpy(r->id, id ? id : "", sizeof r->id);
    r->state = (seal_job_state)index_of(state_names, G_N_ELEMENTS(state_names), state);
    g_free(id);
    g_free(state);
    r->institution = store_column_text(stmt, 2);
    r->actor = store_column_text(stmt, 3);
    r->seal_id = store_column_text(stmt, 4);
    r->params = store_column_text(stmt, 5);
    r->worker = store_column_text(stmt, 6);
    r->created = (time_t)store_column_int64(stmt, 7);
    r->started = (time_t)store_column_int64(stmt, 8);
    r->finished = (time_t)store_column_int64(stmt, 9);
    r->heartbeat = (time_t)store_column_int64(stmt, 10);
    r->claims = store_column_int64(stmt, 11);
    r->cancel_requested = store_column_int64(stmt, 12) != 0;
    r->error = store_column_text(stmt, 13);
    r->callback_url = store_column_text(stmt, 14);
    char *cb = store_column_text(stmt, 15);
    r->callback_state =
        (seal_job_callback_state)index_of(callback_names, G_N_ELEMENTS(callback_names), cb);
    g_free(cb);
    r->callback_next = (time_t)store_column_int64(stmt, 16);
}

static int read_doc_row(seal_db_stmt *stmt, void *record)
{
    seal_job_document *d = record;
    memset(d, 0, sizeof *d);
    d->n = store_column_int64(stmt, 0);
    d->name = store_column_text(stmt, 1);
    d->placements = store_column_text(stmt, 2);
    char *state = store_column_text(stmt, 3);
    d->state = (seal_job_state)index_of(state_names, G_N_ELEMENTS(state_names), state);
    g_free(state);
    d->format = store_column_text(stmt, 4);
    d->error_code = store_column_text(stmt, 5);
    d->error = store_column_text(stmt, 6);
    d->input_size = (uint64_t)store_column_int64(stmt, 7);
    d->output_size = (uint64_t)store_column_int64(stmt, 8);
    d->finished = (time_t)store_column_int64(stmt, 9);
    return 0;
}

static void free_docs(void *records, size_t n)
{
    seal_job_documents_free(records, n);
}

/* The counts of a job's documents by state. */
static int read_counts(seal_store *st, seal_job_record *r)
{
    int rc = 0, step;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "counting a job's documents",
                           "SELECT state, count(*) FROM stamp_job_document WHERE job_id = ?1 "
                           "GROUP BY state"));
    seal_db_bind_text(stmt, 1, r->id);
    while ((step = seal_db_step(stmt)) == SEAL_DB_ROW) {
        char *state = store_column_text(stmt, 0);
        size_t count = (size_t)store_column_int64(stmt, 1);
        switch (index_of(state_names, G_N_ELEMENTS(state_names), state)) {
        case SEAL_JOB_QUEUED:
            r->queued = count;
            break;
        case SEAL_JOB_DONE:
            r->done = count;
            break;
        case SEAL_JOB_FAILED:
            r->failed = count;
            break;
        case SEAL_JOB_CANCELLED:
            r->cancelled = count;
            break;
        default:
            break;
        }
        r->total += count;
        g_free(state);
    }
    SEAL_TRY(step);
out:
    seal_db_finalize(stmt);
    return rc;
}

/* Job `id` as it is (a job being submitted reads as no job). */
static int read_job(seal_store *st, const char *id, seal_job_record *out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    memset(out, 0, sizeof *out);
    SEAL_TRY(store_prepare(st, &stmt, "reading a job",
                           "SELECT " JOB_COLUMNS " FROM stamp_job WHERE id = ?1 AND "
                           "state <> 'submitting'"));
    seal_db_bind_text(stmt, 1, id);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ENOTFOUND, "there is no job %s", id);
    read_job_row(stmt, out);
    seal_db_finalize(stmt);
    stmt = NULL;
    SEAL_TRY(read_counts(st, out));
out:
    seal_db_finalize(stmt);
    if (rc < 0)
        seal_job_record_clear(out);
    return rc;
}

/* Runs `sql` (text ?1, then text, integer or blob arguments as `types` says: 't', 'i',
 * 'b' with a following length, 'n' for NULL) and reports the rows changed. */
static int run(seal_store *st, const char *what, const char *sql, int64_t *changed,
               const char *types, ...)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    va_list ap;
    va_start(ap, types);
    rc = store_prepare(st, &stmt, what, sql);
    for (int i = 0; rc == 0 && types[i]; i++) {
        switch (types[i]) {
        case 't':
            seal_db_bind_text(stmt, i + 1, va_arg(ap, const char *));
            break;
        case 'i':
            seal_db_bind_int64(stmt, i + 1, va_arg(ap, int64_t));
            break;
        case 'b': {
            const seal_buf *b = va_arg(ap, const seal_buf *);
            if (b)
                seal_db_bind_blob(stmt, i + 1, b->data, b->len);
            else
                seal_db_bind_null(stmt, i + 1);
            break;
        }
        default:
            seal_db_bind_null(stmt, i + 1);
            break;
        }
    }
    va_end(ap);
    if (rc == 0)
        rc = seal_db_step(stmt);
    if (rc >= 0 && changed)
        *changed = seal_db_changes(stmt);
    seal_db_finalize(stmt);
    return rc < 0 ? rc : 0;
}

/* ---- submitting ---- */

static int new_id(char out[33])
{
    uint8_t raw[16];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return seal_error_set(SEAL_ECRYPTO, "no randomness for a job's id");
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

int seal_store_job_create(seal_store *st, const seal_job_submit *in, time_t now, char id_out[33],
                          char **callback_key_out)
{
    int rc = 0;
    seal_buf pin = SEAL_BUF_INIT, password = SEAL_BUF_INIT, cb_sealed = SEAL_BUF_INIT;
    uint8_t raw[CALLBACK_KEY_BYTES];
    char key[2 * CALLBACK_KEY_BYTES + 1] = "";
    if (callback_key_out)
        *callback_key_out = NULL;
    SEAL_ENSURE(in && in->actor && in->seal_id && in->params && in->pin && *in->pin &&
                    in->documents > 0 && (!in->callback_url || callback_key_out),
                SEAL_EINVAL, "an incomplete job cannot be kept");
    SEAL_TRY(new_id(id_out));
    SEAL_TRY(secret_seal(st, id_out, "pin", in->pin, &pin));
    if (in->password && *in->password)
        SEAL_TRY(secret_seal(st, id_out, "password", in->password, &password));
    if (in->callback_url) {
        SEAL_ENSURE(RAND_bytes(raw, sizeof raw) == 1, SEAL_ECRYPTO,
                    "no randomness for a callback key");
        for (size_t i = 0; i < sizeof raw; i++)
            snprintf(key + 2 * i, 3, "%02x", raw[i]);
        SEAL_TRY(secret_seal(st, id_out, "callback key", key, &cb_sealed));
    }
    SEAL_TRY(run(st, "keeping a job",
                 "INSERT INTO stamp_job (id, state, institution, actor, seal_id, params, "
                 "pin_sealed, password_sealed, documents, created, callback_url, "
                 "callback_key_sealed) VALUES (?1, 'submitting', ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                 "?9, ?10, ?11)",
                 NULL, "tttttbbiitb", id_out, in->institution, in->actor, in->seal_id, in->params,
                 &pin, password.len ? &password : NULL, (int64_t)in->documents, (int64_t)now,
                 in->callback_url, in->callback_url ? &cb_sealed : NULL));
    if (in->callback_url)
        *callback_key_out = g_strdup(key);
out:
    OPENSSL_cleanse(raw, sizeof raw);
    OPENSSL_cleanse(key, sizeof key);
    seal_buf_clear(&pin);
    seal_buf_clear(&password);
    seal_buf_clear(&cb_sealed);
    return rc;
}

int seal_store_job_add_document(seal_store *st, const char *job_id, int64_t n, const char *name,
                                const char *placements, const uint8_t *data, size_t len)
{
    seal_buf bytes = {.data = (uint8_t *)data, .len = len};
    return run(st, "keeping a job's document",
               "INSERT INTO stamp_job_document (job_id, n, name, placements, state, input, "
               "input_size) VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?6)",
               NULL, "tittbi", job_id, n, name, placements, &bytes, (int64_t)len);
}

typedef struct queue_run {
    seal_store *st;
    const char *id;
} queue_run;

static int queue_in_tx(seal_db *db, void *arg)
{
    (void)db;
    const queue_run *q = arg;
    int rc = 0;
    int64_t changed = 0, documents = 0;
    char *actor = NULL, *seal_id = NULL, *callback = NULL;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(store_prepare(q->st, &stmt, "queueing a job",
                           "SELECT actor, seal_id, callback_url, documents FROM stamp_job WHERE "
                           "id = ?1 AND state = 'submitting'"));
    seal_db_bind_text(stmt, 1, q->id);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ENOTFOUND, "there is no job %s being submitted", q->id);
    actor = store_column_text(stmt, 0);
    seal_id = store_column_text(stmt, 1);
    callback = store_column_text(stmt, 2);
    documents = store_column_int64(stmt, 3);
    SEAL_TRY(run(q->st, "queueing a job",
                 "UPDATE stamp_job SET state = 'queued' WHERE id = ?1 AND state = 'submitting' AND "
                 "documents = (SELECT count(*) FROM stamp_job_document WHERE job_id = ?1)",
                 &changed, "t", q->id));
    SEAL_ENSURE(changed == 1, SEAL_EINVAL,
                "job %s does not have its %" G_GINT64_FORMAT " documents", q->id, documents);
    char target[48];
    snprintf(target, sizeof target, "job:%s", q->id);
    SEAL_TRY(store_audit_in_tx(q->st, actor ? actor : "unknown", "job-submit", target,
                               "seal %s, %" G_GINT64_FORMAT " documents%s", seal_id, documents,
                               callback ? ", with a callback" : ""));
out:
    seal_db_finalize(stmt);
    g_free(actor);
    g_free(seal_id);
    g_free(callback);
    return rc;
}

int seal_store_job_queue(seal_store *st, const char *job_id)
{
    queue_run q = {.st = st, .id = job_id};
    return seal_db_transaction(store_db(st), queue_in_tx, &q);
}

static int discard_in_tx(seal_db *db, void *arg)
{
    (void)db;
    const queue_run *q = arg;
    int rc = 0;
    SEAL_TRY(run(q->st, "removing a job", "DELETE FROM stamp_job_document WHERE job_id = ?1", NULL,
                 "t", q->id));
    SEAL_TRY(run(q->st, "removing a job",
                 "DELETE FROM stamp_job WHERE id = ?1 AND state = 'submitting'", NULL, "t", q->id));
out:
    return rc;
}

int seal_store_job_discard(seal_store *st, const char *job_id)
{
    queue_run q = {.st = st, .id = job_id};
    return seal_db_transaction(store_db(st), discard_in_tx, &q);
}

/* ---- reading ---- */

int seal_store_job_get(seal_store *st, const char *id, seal_job_record *out)
{
    return read_job(st, id ? id : "", out);
}

int seal_store_job_list(seal_store *st, const char *institution, const char *state, size_t limit,
                        seal_job_record **out, size_t *n)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    GArray *jobs = g_array_new(FALSE, TRUE, sizeof(seal_job_record));
    *out = NULL;
    *n = 0;
    /* index_of gives 0 for "submitting" and for a name that is none of them */
    SEAL_ENSURE(!state || index_of(state_names, G_N_ELEMENTS(state_names), state) > 0, SEAL_EINVAL,
                "state must be queued, running, done, failed or cancelled");
    SEAL_TRY(store_prepare(st, &stmt, "listing jobs",
                           "SELECT " JOB_COLUMNS " FROM stamp_job WHERE state <> 'submitting' "
                           "AND (CAST(?1 AS TEXT) IS NULL OR institution = ?1) "
                           "AND (CAST(?2 AS TEXT) IS NULL OR state = ?2) "
                           "ORDER BY created DESC, id LIMIT ?3"));
    seal_db_bind_text(stmt, 1, institution);
    seal_db_bind_text(stmt, 2, state);
    seal_db_bind_int64(stmt, 3, (int64_t)MIN(limit, (size_t)INT64_MAX));
    int step;
    while ((step = seal_db_step(stmt)) == SEAL_DB_ROW) {
        seal_job_record r = {0};
        read_job_row(stmt, &r);
        g_array_append_val(jobs, r);
    }
    SEAL_TRY(step);
    seal_db_finalize(stmt);
    stmt = NULL;
    for (guint i = 0; i < jobs->len; i++)
        SEAL_TRY(read_counts(st, &g_array_index(jobs, seal_job_record, i)));
    *n = jobs->len;
    *out = (seal_job_record *)(void *)g_array_free(jobs, FALSE);
    jobs = NULL;
out:
    seal_db_finalize(stmt);
    if (jobs) {
        for (guint i = 0; i < jobs->len; i++)
            seal_job_record_clear(&g_array_index(jobs, seal_job_record, i));
        g_array_free(jobs, TRUE);
    }
    return rc;
}

void seal_job_records_free(seal_job_record *r, size_t n)
{
    for (size_t i = 0; r && i < n; i++)
        seal_job_record_clear(&r[i]);
    g_free(r);
}

int seal_store_job_documents(seal_store *st, const char *id, seal_job_document **out, size_t *n)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "reading a job's documents",
                           "SELECT " DOC_COLUMNS " FROM stamp_job_document WHERE job_id = ?1 "
                           "ORDER BY n"));
    seal_db_bind_text(stmt, 1, id);
    rc = store_read_all(stmt, sizeof(seal_job_document), read_doc_row, free_docs, (void **)out, n);
out:
    seal_db_finalize(stmt);
    return rc;
}

int seal_store_job_output(seal_store *st, const char *id, int64_t n, seal_job_document *doc,
                          seal_buf *out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    seal_job_document d = {0};
    SEAL_TRY(store_prepare(st, &stmt, "reading a job's sealed document",
                           "SELECT " DOC_COLUMNS ", output FROM stamp_job_document WHERE "
                           "job_id = ?1 AND n = ?2"));
    seal_db_bind_text(stmt, 1, id);
    seal_db_bind_int64(stmt, 2, n);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ENOTFOUND, "job %s has no document %" G_GINT64_FORMAT, id,
                n);
    read_doc_row(stmt, &d);
    if (d.state != SEAL_JOB_DONE) {
        if (d.error)
            SEAL_FAIL(SEAL_EPOLICY, "document %" G_GINT64_FORMAT " (%s) of job %s is %s: %s", n,
                      d.name, id, seal_job_state_name(d.state), d.error);
        SEAL_FAIL(SEAL_EPOLICY, "document %" G_GINT64_FORMAT " (%s) of job %s is %s, not sealed", n,
                  d.name, id, seal_job_state_name(d.state));
    }
    SEAL_ENSURE(store_column_buf(stmt, 10, out) == 0, SEAL_ENOMEM, "out of memory");
    if (doc) {
        *doc = d;
        memset(&d, 0, sizeof d);
    }
out:
    seal_db_finalize(stmt);
    seal_job_document_clear(&d);
    return rc;
}

static int read_attempt(seal_db_stmt *stmt, void *record)
{
    seal_job_attempt *a = record;
    a->attempt = store_column_int64(stmt, 0);
    a->at = (time_t)store_column_int64(stmt, 1);
    a->status = (int)store_column_int64(stmt, 2);
    a->error = store_column_text(stmt, 3);
    return 0;
}

static void free_attempts(void *records, size_t n)
{
    seal_job_attempts_free(records, n);
}

int seal_store_job_attempts(seal_store *st, const char *id, seal_job_attempt **out, size_t *n)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "reading a job's callback attempts",
                           "SELECT attempt, at, status, error FROM stamp_job_callback WHERE "
                           "job_id = ?1 ORDER BY attempt"));
    seal_db_bind_text(stmt, 1, id);
    rc = store_read_all(stmt, sizeof(seal_job_attempt), read_attempt, free_attempts, (void **)out,
                        n);
out:
    seal_db_finalize(stmt);
    return rc;
}

int seal_store_job_counts(seal_store *st, int64_t *queued, int64_t *running)
{
    int rc = 0, step;
    seal_db_stmt *stmt = NULL;
    *queued = *running = 0;
    SEAL_TRY(store_prepare(st, &stmt, "counting the jobs",
                           "SELECT state, count(*) FROM stamp_job WHERE state IN ('queued', "
                           "'running') GROUP BY state"));
    while ((step = seal_db_step(stmt)) == SEAL_DB_ROW) {
        char *state = store_column_text(stmt, 0);
        int64_t count = store_column_int64(stmt, 1);
        if (state && strcmp(state, "queued") == 0)
            *queued = count;
        else
            *running = count;
        g_free(state);
    }
    SEAL_TRY(step);
out:
    seal_db_finalize(stmt);
    return rc;
}

/* ---- ending and cancelling ---- */

/* Inside a transaction: the job ends in `state` at `now`, its secrets wiped, its callback
 * (when it has a URL) due at once. */
static int close_in_tx(seal_store *st, const char *id, seal_job_state state, time_t now,
                       const char *error)
{
    return run(st, "ending a job",
               "UPDATE stamp_job SET state = ?2, finished = ?3, worker = NULL, heartbeat = NULL, "
               "pin_sealed = NULL, password_sealed = NULL, error = ?4, "
               "callback_state = CASE WHEN callback_url IS NULL THEN NULL ELSE 'pending' END, "
               "callback_next = ?3 WHERE id = ?1",
               NULL, "ttit", id, seal_job_state_name(state), (int64_t)now, error);
}

/* Inside a transaction: every queued document of the job becomes `state`. */
static int settle_queued_in_tx(seal_store *st, const char *id, seal_job_state state, time_t now,
                               const char *code, const char *error)
{
    return run(st, "settling a job's documents",
               "UPDATE stamp_job_document SET state = ?2, finished = ?3, error_code = ?4, "
               "error = ?5, input = NULL WHERE job_id = ?1 AND state = 'queued'",
               NULL, "ttitt", id, seal_job_state_name(state), (int64_t)now, code, error);
}

typedef struct cancel_run {
    seal_store *st;
    const char *id, *actor;
    time_t now;
    seal_job_state state;
} cancel_run;

static int cancel_in_tx(seal_db *db, void *arg)
{
    (void)db;
    cancel_run *c = arg;
    int rc = 0;
    seal_job_record r = {0};
    SEAL_TRY(read_job(c->st, c->id, &r));
    char target[48];
    snprintf(target, sizeof target, "job:%s", c->id);
    if (r.state == SEAL_JOB_QUEUED) {
        SEAL_TRY(settle_queued_in_tx(c->st, c->id, SEAL_JOB_CANCELLED, c->now, NULL, NULL));
        SEAL_TRY(close_in_tx(c->st, c->id, SEAL_JOB_CANCELLED, c->now, NULL));
        c->state = SEAL_JOB_CANCELLED;
        SEAL_TRY(store_audit_in_tx(c->st, c->actor, "job-cancel", target,
                                   "cancelled before it started (%zu documents)", r.total));
    } else if (r.state == SEAL_JOB_RUNNING) {
        SEAL_TRY(run(c->st, "cancelling a job",
                     "UPDATE stamp_job SET cancel_requested = 1 WHERE id = ?1", NULL, "t", c->id));
        c->state = SEAL_JOB_RUNNING;
        SEAL_TRY(store_audit_in_tx(c->st, c->actor, "job-cancel", target,
                                   "asked to stop after %zu of %zu documents", r.total - r.queued,
                                   r.total));
    } else {
        SEAL_FAIL(SEAL_EPOLICY, "job %s has ended (%s): there is nothing to cancel", c->id,
                  seal_job_state_name(r.state));
    }
out:
    seal_job_record_clear(&r);
    return rc;
}

int seal_store_job_cancel(seal_store *st, const char *id, const char *actor, time_t now,
                          seal_job_state *state_out)
{
    cancel_run c = {.st = st, .id = id ? id : "", .actor = actor ? actor : "unknown", .now = now};
    int rc = seal_db_transaction(store_db(st), cancel_in_tx, &c);
    if (rc == 0 && state_out)
        *state_out = c.state;
    return rc;
}

/* ---- the workers ---- */

typedef struct claim_run {
    seal_store *st;
    const char *worker;
    time_t now, stale_before;
    char id[33];
} claim_run;

static int claim_in_tx(seal_db *db, void *arg)
{
    claim_run *c = arg;
    int rc = 0;
    int64_t changed = 0;
    seal_db_stmt *stmt = NULL;
    /* PostgreSQL: a job another worker's transaction is claiming is skipped, not waited for;
     * SQLite has one writer at a time, so there is nothing to skip (and no such clause). */
    const char *sql = seal_db_engine_of(db) == SEAL_DB_POSTGRESQL
                          ? "SELECT id FROM stamp_job WHERE " CLAIMABLE
                            " ORDER BY created, id LIMIT 1 FOR UPDATE SKIP LOCKED"
                          : "SELECT id FROM stamp_job WHERE " CLAIMABLE
                            " ORDER BY created, id LIMIT 1";
    c->id[0] = '\0';
    SEAL_TRY(store_prepare(c->st, &stmt, "looking for a job", sql));
    seal_db_bind_int64(stmt, 1, (int64_t)c->stale_before);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ENOTFOUND, "no job is waiting");
    char *id = store_column_text(stmt, 0);
    g_strlcpy(c->id, id ? id : "", sizeof c->id);
    g_free(id);
    /* The WHERE checks again, so a claim that raced another one changes nothing. */
    SEAL_TRY(
        run(c->st, "claiming a job",
            "UPDATE stamp_job SET state = 'running', worker = ?3, heartbeat = ?4, "
            "claims = claims + 1, started = COALESCE(started, ?4) WHERE id = ?2 AND " CLAIMABLE,
            &changed, "itti", (int64_t)c->stale_before, c->id, c->worker, (int64_t)c->now));
    SEAL_ENSURE(changed == 1, SEAL_ENOTFOUND, "job %s was taken by another worker", c->id);
out:
    seal_db_finalize(stmt);
    return rc;
}

int seal_store_job_claim(seal_store *st, const char *worker, time_t now, time_t stale_before,
                         seal_job_record *out)
{
    int rc = 0;
    seal_db_stmt *any = NULL;
    claim_run c = {.st = st, .worker = worker, .now = now, .stale_before = stale_before};
    memset(out, 0, sizeof *out);
    /* Every idle worker asks often: a read without a lock first, so that an empty queue
     * takes no write lock from the other instances. */
    SEAL_TRY(store_prepare(st, &any, "looking for a job",
                           "SELECT 1 FROM stamp_job WHERE " CLAIMABLE " LIMIT 1"));
    seal_db_bind_int64(any, 1, (int64_t)stale_before);
    int step = seal_db_step(any);
    seal_db_finalize(any);
    any = NULL;
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ENOTFOUND, "no job is waiting");
    SEAL_TRY(seal_db_transaction(store_db(st), claim_in_tx, &c));
    SEAL_TRY(read_job(st, c.id, out));
out:
    seal_db_finalize(any);
    return rc;
}

int seal_store_job_heartbeat(seal_store *st, const char *id, const char *worker, time_t now)
{
    int64_t changed = 0;
    int rc = run(st, "renewing a job's heartbeat",
                 "UPDATE stamp_job SET heartbeat = ?3 WHERE id = ?1 AND worker = ?2 AND "
                 "state = 'running'",
                 &changed, "tti", id, worker, (int64_t)now);
    if (rc == 0 && changed != 1)
        rc = seal_error_set(SEAL_EPOLICY, "job %s was taken over by another worker", id);
    return rc;
}

int seal_store_job_release(seal_store *st, const char *id, const char *worker)
{
    return run(st, "leaving a job",
               "UPDATE stamp_job SET worker = NULL, heartbeat = NULL WHERE id = ?1 AND "
               "worker = ?2 AND state = 'running'",
               NULL, "tt", id, worker);
}

int seal_store_job_secrets(seal_store *st, const char *id, char **pin_out, char **password_out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    *pin_out = *password_out = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "reading a job's PIN",
                           "SELECT pin_sealed, password_sealed FROM stamp_job WHERE id = ?1"));
    seal_db_bind_text(stmt, 1, id);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ENOTFOUND, "there is no job %s", id);
    SEAL_ENSURE(!seal_db_column_is_null(stmt, 0), SEAL_EPOLICY,
                "job %s has ended: its PIN is no longer kept", id);
    const uint8_t *data = NULL;
    size_t len = 0;
    SEAL_TRY(seal_db_column_blob(stmt, 0, &data, &len));
    SEAL_TRY(secret_open(st, id, "pin", data, len, pin_out));
    if (!seal_db_column_is_null(stmt, 1)) {
        SEAL_TRY(seal_db_column_blob(stmt, 1, &data, &len));
        SEAL_TRY(secret_open(st, id, "password", data, len, password_out));
    }
out:
    seal_db_finalize(stmt);
    if (rc < 0 && *pin_out) {
        OPENSSL_cleanse(*pin_out, strlen(*pin_out));
        g_free(*pin_out);
        *pin_out = NULL;
    }
    return rc;
}

int seal_store_job_next_document(seal_store *st, const char *id, seal_job_document *doc,
                                 seal_buf *input)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    memset(doc, 0, sizeof *doc);
    SEAL_TRY(store_prepare(st, &stmt, "reading a job's next document",
                           "SELECT " DOC_COLUMNS ", input FROM stamp_job_document WHERE "
                           "job_id = ?1 AND state = 'queued' ORDER BY n LIMIT 1"));
    seal_db_bind_text(stmt, 1, id);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ENOTFOUND, "job %s has no document left", id);
    read_doc_row(stmt, doc);
    SEAL_ENSURE(store_column_buf(stmt, 10, input) == 0, SEAL_ENOMEM, "out of memory");
out:
    seal_db_finalize(stmt);
    if (rc < 0)
        seal_job_document_clear(doc);
    return rc;
}

int seal_store_job_document_done(seal_store *st, const char *id, const char *worker, int64_t n,
                                 time_t now, const char *format, const seal_buf *output,
                                 const char *error_code, const char *error)
{
    int64_t changed = 0;
    /* Once (the document must still be queued) and by the job's holder only. */
    int rc = run(st, "recording a job's document",
                 "UPDATE stamp_job_document SET state = ?4, format = ?5, output = ?6, "
                 "output_size = ?7, error_code = ?8, error = ?9, finished = ?10, input = NULL "
                 "WHERE job_id = ?1 AND n = ?2 AND state = 'queued' AND EXISTS (SELECT 1 FROM "
                 "stamp_job WHERE id = ?1 AND worker = ?3 AND state = 'running')",
                 &changed, "titttbitti", id, n, worker,
                 seal_job_state_name(output ? SEAL_JOB_DONE : SEAL_JOB_FAILED), format, output,
                 (int64_t)(output ? output->len : 0), error_code, error, (int64_t)now);
    if (rc < 0 || changed == 1)
        return rc;
    /* Which condition failed: a worker that still holds the job found the document
     * recorded by the one it took the job from (alive after all, and late). */
    seal_db_stmt *stmt = NULL;
    rc = store_prepare(st, &stmt, "recording a job's document",
                       "SELECT 1 FROM stamp_job WHERE id = ?1 AND worker = ?2 AND "
                       "state = 'running'");
    if (rc == 0) {
        seal_db_bind_text(stmt, 1, id);
        seal_db_bind_text(stmt, 2, worker);
        rc = seal_db_step(stmt);
    }
    seal_db_finalize(stmt);
    if (rc < 0)
        return rc;
    if (rc == SEAL_DB_ROW)
        return seal_error_set(
            SEAL_EEXISTS, "document %" G_GINT64_FORMAT " of job %s was recorded already", n, id);
    return seal_error_set(
        SEAL_EPOLICY,
        "job %s was taken over by another worker before document %" G_GINT64_FORMAT " was recorded",
        id, n);
}

typedef struct end_run {
    seal_store *st;
    const char *id, *worker, *code, *error;
    time_t now;
    seal_job_state state;
} end_run;

static int end_in_tx(seal_db *db, void *arg)
{
    (void)db;
    end_run *e = arg;
    int rc = 0;
    seal_job_record r = {0};
    SEAL_TRY(read_job(e->st, e->id, &r));
    SEAL_ENSURE(r.state == SEAL_JOB_RUNNING && r.worker && strcmp(r.worker, e->worker) == 0,
                SEAL_EPOLICY, "job %s was taken over by another worker", e->id);
    if (r.cancel_requested) {
        SEAL_TRY(settle_queued_in_tx(e->st, e->id, SEAL_JOB_CANCELLED, e->now, NULL, NULL));
        e->state = SEAL_JOB_CANCELLED;
    } else if (e->error) {
        SEAL_TRY(settle_queued_in_tx(e->st, e->id, SEAL_JOB_FAILED, e->now, e->code, e->error));
        e->state = SEAL_JOB_FAILED;
    } else {
        SEAL_ENSURE(r.queued == 0, SEAL_EINVAL, "job %s still has %zu documents to stamp", e->id,
                    r.queued);
        e->state = r.done > 0 ? SEAL_JOB_DONE : SEAL_JOB_FAILED;
    }
    SEAL_TRY(close_in_tx(e->st, e->id, e->state, e->now, e->error));
out:
    seal_job_record_clear(&r);
    return rc;
}

int seal_store_job_end(seal_store *st, const char *id, const char *worker, time_t now,
                       const char *error_code, const char *error, seal_job_state *state_out)
{
    end_run e = {
        .st = st, .id = id, .worker = worker, .code = error_code, .error = error, .now = now};
    int rc = seal_db_transaction(store_db(st), end_in_tx, &e);
    if (rc == 0 && state_out)
        *state_out = e.state;
    return rc;
}

/* ---- callbacks ---- */

#define CALLBACK_DUE "callback_state = 'pending' AND callback_next <= ?1"

typedef struct callback_run {
    seal_store *st;
    time_t now;
    unsigned lease;
    char id[33];
} callback_run;

static int callback_claim_in_tx(seal_db *db, void *arg)
{
    callback_run *c = arg;
    int rc = 0;
    int64_t changed = 0;
    seal_db_stmt *stmt = NULL;
    const char *sql = seal_db_engine_of(db) == SEAL_DB_POSTGRESQL
                          ? "SELECT id FROM stamp_job WHERE " CALLBACK_DUE
                            " ORDER BY callback_next, id LIMIT 1 FOR UPDATE SKIP LOCKED"
                          : "SELECT id FROM stamp_job WHERE " CALLBACK_DUE
                            " ORDER BY callback_next, id LIMIT 1";
    SEAL_TRY(store_prepare(c->st, &stmt, "looking for a callback", sql));
    seal_db_bind_int64(stmt, 1, (int64_t)c->now);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ENOTFOUND, "no callback is due");
    char *id = store_column_text(stmt, 0);
    g_strlcpy(c->id, id ? id : "", sizeof c->id);
    g_free(id);
    SEAL_TRY(run(c->st, "claiming a callback",
                 "UPDATE stamp_job SET callback_next = ?3 WHERE id = ?2 AND " CALLBACK_DUE,
                 &changed, "iti", (int64_t)c->now, c->id, (int64_t)(c->now + c->lease)));
    SEAL_ENSURE(changed == 1, SEAL_ENOTFOUND, "the callback of job %s was taken", c->id);
out:
    seal_db_finalize(stmt);
    return rc;
}

int seal_store_job_callback_claim(seal_store *st, time_t now, unsigned lease,
                                  seal_job_callback *out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    callback_run c = {.st = st, .now = now, .lease = lease};
    memset(out, 0, sizeof *out);
    SEAL_TRY(store_prepare(st, &stmt, "looking for a callback",
                           "SELECT 1 FROM stamp_job WHERE " CALLBACK_DUE " LIMIT 1"));
    seal_db_bind_int64(stmt, 1, (int64_t)now);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ENOTFOUND, "no callback is due");
    seal_db_finalize(stmt);
    stmt = NULL;
    SEAL_TRY(seal_db_transaction(store_db(st), callback_claim_in_tx, &c));
    SEAL_TRY(read_job(st, c.id, &out->job));
    SEAL_TRY(store_prepare(st, &stmt, "reading a callback's key",
                           "SELECT callback_key_sealed, (SELECT count(*) FROM stamp_job_callback "
                           "WHERE job_id = ?1) FROM stamp_job WHERE id = ?1"));
    seal_db_bind_text(stmt, 1, c.id);
    step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW && !seal_db_column_is_null(stmt, 0), SEAL_ENOTFOUND,
                "the callback of job %s has no key", c.id);
    const uint8_t *data = NULL;
    size_t len = 0;
    SEAL_TRY(seal_db_column_blob(stmt, 0, &data, &len));
    SEAL_TRY(secret_open(st, c.id, "callback key", data, len, &out->key));
    out->attempts = store_column_int64(stmt, 1);
out:
    seal_db_finalize(stmt);
    if (rc < 0)
        seal_job_callback_clear(out);
    return rc;
}

typedef struct attempt_run {
    seal_store *st;
    const char *id, *error;
    int64_t attempt;
    time_t now, retry_at;
    int status;
    bool delivered;
} attempt_run;

static int attempt_in_tx(seal_db *db, void *arg)
{
    (void)db;
    const attempt_run *a = arg;
    int rc = 0;
    SEAL_TRY(run(a->st, "recording a callback attempt",
                 "INSERT INTO stamp_job_callback (job_id, attempt, at, status, error) VALUES (?1, "
                 "?2, ?3, ?4, ?5) ON CONFLICT (job_id, attempt) DO NOTHING",
                 NULL, "tiiit", a->id, a->attempt, (int64_t)a->now, (int64_t)a->status, a->error));
    if (a->delivered || a->retry_at == 0)
        SEAL_TRY(run(a->st, "recording a callback attempt",
                     "UPDATE stamp_job SET callback_state = ?2, callback_next = NULL, "
                     "callback_key_sealed = NULL WHERE id = ?1",
                     NULL, "tt", a->id, a->delivered ? "delivered" : "failed"));
    else
        SEAL_TRY(run(a->st, "recording a callback attempt",
                     "UPDATE stamp_job SET callback_next = ?2 WHERE id = ?1", NULL, "ti", a->id,
                     (int64_t)a->retry_at));
out:
    return rc;
}

int seal_store_job_callback_record(seal_store *st, const char *id, int64_t attempt, time_t now,
                                   int status, const char *error, bool delivered, time_t retry_at)
{
    attempt_run a = {.st = st,
                     .id = id,
                     .error = error,
                     .attempt = attempt,
                     .now = now,
                     .retry_at = retry_at,
                     .status = status,
                     .delivered = delivered};
    return seal_db_transaction(store_db(st), attempt_in_tx, &a);
}

/* ---- expiry ---- */

/* The jobs to remove: ended before ?1 with no callback still to deliver, or left
 * unfinished by a submission since before ?2. */
#define EXPIRED                                                                                    \
    "SELECT id FROM stamp_job WHERE (state IN ('done', 'failed', 'cancelled') AND finished < ?1 "  \
    "AND (callback_state IS NULL OR callback_state <> 'pending')) OR (state = 'submitting' AND "   \
    "created < ?2)"

typedef struct expire_run {
    seal_store *st;
    time_t ended_before, abandoned_before;
    size_t removed;
} expire_run;

static int expire_in_tx(seal_db *db, void *arg)
{
    (void)db;
    expire_run *e = arg;
    int rc = 0;
    int64_t changed = 0;
    SEAL_TRY(run(e->st, "removing old jobs",
                 "DELETE FROM stamp_job_document WHERE job_id IN (" EXPIRED ")", NULL, "ii",
                 (int64_t)e->ended_before, (int64_t)e->abandoned_before));
    SEAL_TRY(run(e->st, "removing old jobs",
                 "DELETE FROM stamp_job_callback WHERE job_id IN (" EXPIRED ")", NULL, "ii",
                 (int64_t)e->ended_before, (int64_t)e->abandoned_before));
    SEAL_TRY(run(e->st, "removing old jobs", "DELETE FROM stamp_job WHERE id IN (" EXPIRED ")",
                 &changed, "ii", (int64_t)e->ended_before, (int64_t)e->abandoned_before));
    e->removed = (size_t)changed;
out:
    return rc;
}

int seal_store_job_expire(seal_store *st, time_t ended_before, time_t abandoned_before,
                          size_t *removed)
{
    int rc = 0;
    seal_db_stmt *any = NULL;
    expire_run e = {.st = st, .ended_before = ended_before, .abandoned_before = abandoned_before};
    if (removed)
        *removed = 0;
    SEAL_TRY(store_prepare(st, &any, "looking for old jobs", EXPIRED " LIMIT 1"));
    seal_db_bind_int64(any, 1, (int64_t)ended_before);
    seal_db_bind_int64(any, 2, (int64_t)abandoned_before);
    int step = seal_db_step(any);
    seal_db_finalize(any);
    any = NULL;
    SEAL_TRY(step);
    if (step == SEAL_DB_ROW)
        SEAL_TRY(seal_db_transaction(store_db(st), expire_in_tx, &e));
    if (removed)
        *removed = e.removed;
out:
    seal_db_finalize(any);
    return rc;
}
