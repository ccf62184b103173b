/* Batch stamping jobs in the store (store/job.c): many documents stamped with one seal,
 * submitted at once and worked on later by whichever `sealsvc serve` instance claims the
 * job. Everything a job needs lives in the database (its parameters, every document's
 * input and output as blobs, the outcome of each, the callback's attempts), so that any
 * instance sharing the database can run, take over, report and deliver any job, and no
 * instance needs a shared file system.
 *
 * The seal PIN (and an encrypted document's password) a job needs at run time rest only
 * sealed (AES-256-GCM under a key derived from the platform's key-encryption key, with the
 * job id as associated data) and are wiped when the job ends; the key that signs the job's
 * callback rests sealed the same way until the callback is delivered or given up.
 *
 * A job is `submitting` while its documents are added (no worker sees it), `queued` once
 * complete, `running` while a worker holds it (its heartbeat renewed); a job whose
 * holder's heartbeat is older than the stale limit is taken over by another worker, which
 * goes on with the documents not yet done. A document's outcome is recorded only while the
 * recording worker holds the job and only once, so every document is sealed once in the
 * results whatever the takeovers. Ended jobs are `done` (every document tried, at least one
 * sealed), `failed` (none sealed, or the job stopped on a fault of the job itself such as a
 * PIN the seal no longer takes) or `cancelled`.
 *
 * Threads: as for the rest of the store, a handle belongs to one thread at a time. */
#ifndef SEAL_JOB_H
#define SEAL_JOB_H

#include <seal/buf.h>
#include <seal/store.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum seal_job_state {
    SEAL_JOB_SUBMITTING = 0, /* being submitted: documents still being added (jobs only) */
    SEAL_JOB_QUEUED,         /* waiting for a worker (a job), or for its turn (a document) */
    SEAL_JOB_RUNNING,        /* a worker holds it (jobs only) */
    SEAL_JOB_DONE,           /* a job: every document tried, at least one sealed; a document:
                                sealed */
    SEAL_JOB_FAILED,         /* a job: none sealed or stopped early; a document: not sealed */
    SEAL_JOB_CANCELLED,
} seal_job_state;

/* "submitting", "queued", "running", "done", "failed", "cancelled". */
const char *seal_job_state_name(seal_job_state s);

typedef enum seal_job_callback_state {
    SEAL_JOB_CALLBACK_NONE = 0, /* no callback URL, or the job has not ended */
    SEAL_JOB_CALLBACK_PENDING,  /* the job ended; being delivered (and retried) */
    SEAL_JOB_CALLBACK_DELIVERED,
    SEAL_JOB_CALLBACK_FAILED, /* every attempt failed */
} seal_job_callback_state;

/* "none", "pending", "delivered", "failed". */
const char *seal_job_callback_state_name(seal_job_callback_state s);

/* A new job. */
typedef struct seal_job_submit {
    const char *institution; /* the credit code of the seal's institution, or NULL */
    const char *actor;       /* who submits, for the audit trail: "apikey:ID" */
    const char *seal_id;
    const char *params;   /* the stamp's parameters as JSON text, never the PIN nor a password */
    const char *pin;      /* the seal's PIN: kept sealed until the job ends */
    const char *password; /* an encrypted document's password, or NULL; kept like the PIN */
    const char *callback_url; /* where the summary goes when the job ends, or NULL */
    size_t documents;         /* how many seal_store_job_add_document will add */
} seal_job_submit;

typedef struct seal_job_record {
    char id[33]; /* 32 hex digits */
    seal_job_state state;
    char *institution, *actor, *seal_id, *params;
    char *worker;                                 /* the worker that holds it, or NULL */
    time_t created, started, finished, heartbeat; /* 0: not yet */
    int64_t claims; /* times a worker took it (2 and more: taken over) */
    bool cancel_requested;
    char *error; /* why the job stopped before its documents were all tried, or NULL */
    char *callback_url;
    seal_job_callback_state callback_state;
    time_t callback_next; /* when the next delivery attempt is due */
    /* its documents, by state */
    size_t total, queued, done, failed, cancelled;
} seal_job_record;

void seal_job_record_clear(seal_job_record *r);

typedef struct seal_job_document {
    int64_t n;            /* 1, 2, ... in the order submitted */
    char *name;           /* the file name it was submitted with */
    char *placements;     /* its own placements (JSON text), or NULL: the job's */
    seal_job_state state; /* queued, done, failed or cancelled */
    char *format;         /* "PDF", "OFD" once stamped */
    char *error_code;     /* a failure's class ("document-refused"...), or NULL */
    char *error;          /* a failure's message, or NULL */
    uint64_t input_size, output_size;
    time_t finished;
} seal_job_document;

void seal_job_document_clear(seal_job_document *d);
void seal_job_documents_free(seal_job_document *d, size_t n);

typedef struct seal_job_attempt {
    int64_t attempt; /* 1, 2, ... */
    time_t at;
    int status;  /* the HTTP status answered, 0 when there was no answer */
    char *error; /* what went wrong (no answer, or a status that is not 2xx), or NULL */
} seal_job_attempt;

void seal_job_attempts_free(seal_job_attempt *a, size_t n);

/* ---- submitting (the HTTP route) ---- */

/* Starts job `in` (state submitting) at `now`; its id goes to id_out. With a callback URL,
 * *callback_key_out (may be NULL otherwise) receives the key the callbacks are signed
 * with, as 64 hex digits: shown once, kept only sealed (wipe and g_free it). */
int seal_store_job_create(seal_store *st, const seal_job_submit *in, time_t now, char id_out[33],
                          char **callback_key_out);
/* Adds document `n` (1, 2, ... in order) of a job being submitted: its file name, its own
 * placements (JSON text, NULL: the job's) and its bytes. */
int seal_store_job_add_document(seal_store *st, const char *job_id, int64_t n, const char *name,
                                const char *placements, const uint8_t *data, size_t len);
/* The job is complete: queued for the workers, and recorded in the audit trail
 * ("job-submit", target "job:ID", by the job's actor) in the same transaction. */
int seal_store_job_queue(seal_store *st, const char *job_id);
/* Removes a job whose submission failed before it was queued. */
int seal_store_job_discard(seal_store *st, const char *job_id);

/* ---- reading ---- */

/* SEAL_ENOTFOUND when there is no such job (a job being submitted included). */
int seal_store_job_get(seal_store *st, const char *id, seal_job_record *out);
/* The jobs of `institution` (a credit code; NULL: every institution's) in `state` (its
 * name; NULL: any), newest first, at most `limit`, each with its document counts.
 * SEAL_EINVAL for a state that is not one a listed job can be in. */
int seal_store_job_list(seal_store *st, const char *institution, const char *state, size_t limit,
                        seal_job_record **out, size_t *n);
void seal_job_records_free(seal_job_record *r, size_t n);
/* Its documents in order, without their bytes. */
int seal_store_job_documents(seal_store *st, const char *id, seal_job_document **out, size_t *n);
/* Document `n`'s sealed bytes into *out and what it is into *doc (may be NULL).
 * SEAL_ENOTFOUND when there is no such document; SEAL_EPOLICY when it is not sealed (the
 * message says its state and why). */
int seal_store_job_output(seal_store *st, const char *id, int64_t n, seal_job_document *doc,
                          seal_buf *out);
/* The delivery attempts of its callback, oldest first. */
int seal_store_job_attempts(seal_store *st, const char *id, seal_job_attempt **out, size_t *n);
/* How many jobs are queued and running (for the metrics). */
int seal_store_job_counts(seal_store *st, int64_t *queued, int64_t *running);

/* Cancels job `id` for `actor` (audited, "job-cancel"): a queued job at once; a running
 * one is asked to stop, which its worker does before its next document. *state_out (may be
 * NULL) receives the job's state after the call. SEAL_ENOTFOUND for no such job,
 * SEAL_EPOLICY for a job that has ended. */
int seal_store_job_cancel(seal_store *st, const char *id, const char *actor, time_t now,
                          seal_job_state *state_out);

/* ---- the workers ---- */

/* Takes the oldest job that is queued, or running with a holder whose heartbeat is older
 * than `stale_before` (its worker died or was stopped), for `worker` at `now`, and reads it
 * into *out. SEAL_ENOTFOUND when there is none. Two workers, in this process or another,
 * never get the same job: PostgreSQL picks with FOR UPDATE SKIP LOCKED, and on both engines
 * the claim is an UPDATE that checks again in its WHERE that the job is still free. */
int seal_store_job_claim(seal_store *st, const char *worker, time_t now, time_t stale_before,
                         seal_job_record *out);
/* `worker` is still at job `id`: SEAL_EPOLICY when it no longer holds it (taken over). */
int seal_store_job_heartbeat(seal_store *st, const char *id, const char *worker, time_t now);
/* Leaves a running job for another worker to take at once (a worker that stops). */
int seal_store_job_release(seal_store *st, const char *id, const char *worker);
/* The PIN and the password (NULL when none) of a job: wipe and g_free them. SEAL_EPOLICY
 * when the job has ended (they are gone); SEAL_ECRYPTO when they do not decrypt (another
 * key-encryption key). */
int seal_store_job_secrets(seal_store *st, const char *id, char **pin_out, char **password_out);
/* The next document of job `id` to stamp (the first queued one) and its bytes.
 * SEAL_ENOTFOUND when none is left. */
int seal_store_job_next_document(seal_store *st, const char *id, seal_job_document *doc,
                                 seal_buf *input);
/* Records the outcome of document `n`: sealed (`output`, its format) or, with `output`
 * NULL, failed (`error_code`, `error`). Only while `worker` holds the job: SEAL_EPOLICY
 * otherwise (the job was taken over; the worker must leave it). Only once: SEAL_EEXISTS
 * when the document has an outcome already (recorded by the worker the job was taken from,
 * late); the holder goes on with the next one. */
int seal_store_job_document_done(seal_store *st, const char *id, const char *worker, int64_t n,
                                 time_t now, const char *format, const seal_buf *output,
                                 const char *error_code, const char *error);
/* Ends job `id` held by `worker`: cancelled when a cancel was asked (its queued documents
 * cancelled), else failed with `error` for every document not yet tried when `error` is
 * given, else done or failed by its documents. The PIN and password are wiped; a callback,
 * when the job has one, becomes due. *state_out (may be NULL) receives the final state.
 * SEAL_EPOLICY when `worker` no longer holds it. */
int seal_store_job_end(seal_store *st, const char *id, const char *worker, time_t now,
                       const char *error_code, const char *error, seal_job_state *state_out);

/* A callback to deliver: the job, the key (64 hex digits; wipe and g_free it) and how many
 * attempts were made. */
typedef struct seal_job_callback {
    seal_job_record job;
    char *key;
    int64_t attempts;
} seal_job_callback;

void seal_job_callback_clear(seal_job_callback *c);
/* Takes the callback of an ended job that is due at `now`, for `lease` seconds (another
 * worker takes it again after that, should this one die). SEAL_ENOTFOUND when none is due. */
int seal_store_job_callback_claim(seal_store *st, time_t now, unsigned lease,
                                  seal_job_callback *out);
/* Records attempt `attempt` of job `id`'s callback: `status` (0: no answer) and `error`.
 * `delivered`: done, the key wiped. Otherwise the next attempt is due at `retry_at`, or with
 * `retry_at` 0 the callback failed for good (the key wiped). */
int seal_store_job_callback_record(seal_store *st, const char *id, int64_t attempt, time_t now,
                                   int status, const char *error, bool delivered, time_t retry_at);

/* Removes the jobs that ended before `ended_before` (their documents and attempts with
 * them; not one whose callback is still pending) and the submissions left unfinished
 * since before `abandoned_before`; *removed (may be NULL) counts them. */
int seal_store_job_expire(seal_store *st, time_t ended_before, time_t abandoned_before,
                          size_t *removed);

#ifdef __cplusplus
}
#endif
#endif
