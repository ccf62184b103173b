/* The batch jobs' workers of one `sealsvc serve` instance (jobs.h): [jobs] workers threads,
 * each with its own store handle, that deliver callbacks that are due (jobs_callback.c),
 * claim a job from the database (seal_store_job_claim: any instance may hold any job) and
 * stamp its documents one by one through seal_stamp, the synchronous route's library call,
 * as the submitting key ("apikey:ID"), recording each outcome in the job; and a heartbeat
 * thread that renews the held jobs' heartbeats every third of the stale limit, so that a
 * job is taken over by another worker only when its holder stopped beating (its process
 * died), however long one document takes. A worker checks before each document whether
 * the job was cancelled; when the server stops it finishes the document in hand and
 * leaves the job for another worker to take at once. Jobs kept past [jobs] keep_days are
 * removed here too. */
#include "jobs.h"
#include "stamp_input.h"

#include <seal/error.h>
#include <seal/stamp.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define IDLE_POLL_SECONDS 1     /* how often an idle worker looks for work in the database */
#define EXPIRE_EVERY      600   /* seconds between two removals of old jobs */
#define ABANDONED_AFTER   86400 /* a submission not finished after this long was abandoned */
#define WORKER_NAME_MAX   96
#define JOB_PEER_TRIES    4 /* tries of a document whose TSA or responder is unreachable */

/* What one worker holds, for the heartbeat. */
typedef struct held {
    char job[33]; /* empty: no job */
    char worker[WORKER_NAME_MAX];
    bool lost; /* the heartbeat found the job taken over */
} held;

struct job_runner {
    service *svc;
    unsigned n;
    GThread **threads;
    GThread *beat;
    pthread_mutex_t lock; /* pthread's, not GLib's: ThreadSanitizer sees these */
    pthread_cond_t cond;  /* on CLOCK_MONOTONIC */
    bool stopping;
    unsigned wakes; /* bumped by each job_runner_wake */
    held *held;     /* one per worker */
    time_t next_expire;
};

typedef struct worker {
    job_runner *r;
    unsigned index;
} worker;

/* Waits on r->cond (r->lock held) until woken or `until` (g_get_monotonic_time's clock,
 * CLOCK_MONOTONIC, in microseconds): false once the time has come. */
static bool wait_until(job_runner *r, gint64 until)
{
    struct timespec ts = {.tv_sec = (time_t)(until / G_USEC_PER_SEC),
                          .tv_nsec = (long)(until % G_USEC_PER_SEC) * 1000};
    return pthread_cond_timedwait(&r->cond, &r->lock, &ts) != ETIMEDOUT;
}

static bool stopping(job_runner *r)
{
    pthread_mutex_lock(&r->lock);
    bool s = r->stopping;
    pthread_mutex_unlock(&r->lock);
    return s;
}

/* Sleeps up to `seconds`, or until stopped or woken. */
static void pause_for(job_runner *r, unsigned seconds)
{
    pthread_mutex_lock(&r->lock);
    unsigned wakes = r->wakes;
    gint64 until = g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC;
    while (!r->stopping && r->wakes == wakes)
        if (!wait_until(r, until))
            break;
    pthread_mutex_unlock(&r->lock);
}

static void set_held(job_runner *r, unsigned index, const char *job)
{
    pthread_mutex_lock(&r->lock);
    g_strlcpy(r->held[index].job, job ? job : "", sizeof r->held[index].job);
    r->held[index].lost = false;
    pthread_mutex_unlock(&r->lock);
}

static bool held_lost(job_runner *r, unsigned index)
{
    pthread_mutex_lock(&r->lock);
    bool lost = r->held[index].lost;
    pthread_mutex_unlock(&r->lock);
    return lost;
}

/* A failure as a job records it: the problem code of its class and its message; for the
 * server's own faults the message goes to the log and the job says where to look. */
static void failure_of(int err, bool usage, const char *job, int64_t n, const char **code,
                       char **reason)
{
    unsigned status;
    http_problem_for_error(err, &status, code);
    if (usage) {
        *code = "invalid-request";
        status = 400;
    }
    if (status >= 500) {
        http_log("error", NULL, "job %s document %" G_GINT64_FORMAT ": %s error: %s", job, n,
                 seal_error_class_name(seal_error_last_class()), seal_error_last());
        *reason = g_strdup_printf("the server could not stamp this document (job %s, document "
                                  "%" G_GINT64_FORMAT " in its log)",
                                  job, n);
        return;
    }
    *reason = g_strdup(seal_error_last());
}

static int write_all(int fd, const uint8_t *data, size_t len)
{
    for (size_t at = 0; at < len;) {
        ssize_t put = pwrite(fd, data + at, len - at, (off_t)at);
        if (put < 0 && errno == EINTR)
            continue;
        if (put < 0)
            return seal_error_set(SEAL_EIO, "cannot write a temporary file: %s", strerror(errno));
        at += (size_t)put;
    }
    return 0;
}

/* What stamping one document came to. */
typedef enum outcome { STAMPED, FAILED, PIN_REFUSED, LOST } outcome;

/* seal_stamp, tried again when a peer could not be reached (SEAL_EIO: the TSA, an OCSP
 * responder for B-LT): a TSA restarting or a network hiccup would otherwise fail every
 * document of a batch for good. JOB_PEER_TRIES tries, 1, 2, 4... s apart; not past a
 * stop (the caller leaves the document queued then). */
static int stamp_retrying(worker *w, seal_stamp_result *res, seal_store *st,
                          const seal_stamp_request *rq, const char *job, int64_t n)
{
    for (unsigned attempt = 1;; attempt++) {
        int rc = seal_stamp(res, st, rq);
        if (rc != SEAL_EIO || attempt >= JOB_PEER_TRIES || stopping(w->r))
            return rc;
        unsigned delay = 1u << (attempt - 1);
        http_log("warning", NULL,
                 "job %s document %" G_GINT64_FORMAT ": %s; trying again in %u s (try %u of %u)",
                 job, n, seal_error_last(), delay, attempt + 1, JOB_PEER_TRIES);
        seal_stamp_result_clear(res);
        gint64 until = g_get_monotonic_time() + (gint64)delay * G_USEC_PER_SEC;
        while (!stopping(w->r) && g_get_monotonic_time() < until)
            pause_for(w->r, 1);
        if (stopping(w->r))
            return rc;
    }
}

/* Stamps document `doc` (its bytes `input`) of job `job` and records the outcome. */
static int stamp_document(worker *w, seal_store *st, const seal_job_record *job, json_t *params,
                          const char *pin, const char *password, const seal_job_document *doc,
                          const seal_buf *input, outcome *result)
{
    int rc = 0, fd = -1, stamped = 0;
    service *svc = w->r->svc;
    const char *name = w->r->held[w->index].worker;
    stamp_input in = {0};
    seal_stamp_request rq = {0};
    seal_stamp_result res = {0};
    seal_buf out = SEAL_BUF_INIT;
    char *output = NULL, *reason = NULL;
    const char *code = NULL;
    job_params p = {.params = params, .placements = doc->placements};
    bool usage = false;
    *result = FAILED;

    SEAL_TRY(http_tmpfile(svc->cfg->tmp_dir ? svc->cfg->tmp_dir : g_get_tmp_dir(), &fd));
    SEAL_TRY(write_all(fd, input->data, input->len));
    stamped =
        stamp_input_read(&in, &rq, job_param, &p, st, svc->cfg->tsa_url, svc->outbound, false);
    if (stamped == 0) {
        /* "out-": a crash's leftovers are swept at the next start (cmd_serve.c). */
        output = g_strdup_printf("%s/out-job-%s-%" G_GINT64_FORMAT "-%u", svc->work_dir, job->id,
                                 doc->n, w->index);
        rq.input = doc->name;
        rq.input_is_fd = true;
        rq.input_fd = fd;
        rq.output = output;
        rq.password = password;
        rq.seal_id = job->seal_id;
        rq.pin = pin;
        rq.actor = job->actor;
        stamped = stamp_retrying(w, &res, st, &rq, job->id, doc->n);
        usage = res.usage;
        metrics_stamp(svc->metrics, res.format, seal_key_alg_name(res.alg),
                      stamped < 0 ? "refused" : "stamped");
    }
    /* The database failed (gone away, or busy past the wait), or the server stops while
     * a peer is being waited for: the document is not at fault, so it stays queued; the
     * worker leaves the job and tries again later (or another instance does). */
    if (stamped == SEAL_ESTORE || (stamped == SEAL_EIO && stopping(w->r))) {
        rc = seal_error_wrap(SEAL_ESTORE, "document %" G_GINT64_FORMAT, doc->n);
        goto out;
    }
    if (stamped == 0) {
        rc = seal_buf_read_file(&out, output, SIZE_MAX);
        unlink(output);
        SEAL_TRY(rc);
    } else {
        failure_of(stamped == STAMP_INPUT_REFUSED ? SEAL_EINVAL : stamped,
                   usage || stamped == STAMP_INPUT_REFUSED, job->id, doc->n, &code, &reason);
    }
    rc = seal_store_job_document_done(st, job->id, name, doc->n, time(NULL), res.format,
                                      stamped == 0 ? &out : NULL, code, reason);
    if (rc == SEAL_EPOLICY) {
        http_log("warning", NULL, "job %s: %s; %s leaves it", job->id, seal_error_last(), name);
        *result = LOST;
        rc = 0;
        goto out;
    }
    if (rc == SEAL_EEXISTS) {
        /* Its outcome came from the previous holder: that one stands, this stamp is not
         * kept (it is in the audit trail, as every stamp). */
        http_log("warning", NULL, "job %s: %s; %s goes on", job->id, seal_error_last(), name);
        rc = 0;
        goto out;
    }
    SEAL_TRY(rc);
    *result = stamped == 0 ? STAMPED : stamped == SEAL_EAUTH ? PIN_REFUSED : FAILED;
    http_log("info", NULL, "job %s document %" G_GINT64_FORMAT " (%s): %s%s%s", job->id, doc->n,
             doc->name, stamped == 0 ? "sealed" : "failed", reason ? ": " : "",
             reason ? reason : "");
out:
    if (fd >= 0)
        close(fd);
    if (output && rc < 0)
        unlink(output);
    stamp_input_clear(&in);
    seal_stamp_result_clear(&res);
    seal_buf_clear(&out);
    g_free(output);
    g_free(reason);
    return rc;
}

/* Works on claimed job `job` until it ends, is cancelled, is lost, or the server stops. */
static int run_job(worker *w, seal_store *st, seal_job_record *job)
{
    int rc = 0;
    job_runner *r = w->r;
    const char *name = r->held[w->index].worker;
    char *pin = NULL, *password = NULL, *stop_code = NULL, *stop_reason = NULL;
    json_t *params = NULL;
    seal_job_document doc = {0};
    seal_buf input = SEAL_BUF_INIT;
    json_error_t err;
    seal_job_state final;
    bool ended = false;

    set_held(r, w->index, job->id);
    http_log("info", NULL, "job %s: %s %s it (%zu of %zu documents left)", job->id, name,
             job->claims > 1 ? "takes over" : "starts", job->queued, job->total);
    rc = seal_store_job_secrets(st, job->id, &pin, &password);
    if (rc == SEAL_ECRYPTO || rc == SEAL_EFORMAT) {
        stop_code = g_strdup("internal-error");
        stop_reason = g_strdup_printf("the job's PIN cannot be read here: %s", seal_error_last());
    } else {
        SEAL_TRY(rc);
        params = json_loads(job->params ? job->params : "", 0, &err);
        if (!params) {
            stop_code = g_strdup("internal-error");
            stop_reason = g_strdup_printf("the job's parameters cannot be read: %s", err.text);
        }
    }
    while (!stop_reason) {
        if (stopping(r)) {
            seal_store_job_release(st, job->id, name);
            http_log("info", NULL, "job %s: %s stops and leaves it to another worker", job->id,
                     name);
            goto out;
        }
        if (held_lost(r, w->index)) {
            http_log("warning", NULL, "job %s was taken over; %s leaves it", job->id, name);
            goto out;
        }
        seal_job_record now = {0};
        SEAL_TRY(seal_store_job_get(st, job->id, &now));
        bool cancel = now.cancel_requested;
        seal_job_record_clear(&now);
        if (cancel)
            break;
        rc = seal_store_job_next_document(st, job->id, &doc, &input);
        if (rc == SEAL_ENOTFOUND) {
            rc = 0;
            break;
        }
        SEAL_TRY(rc);
        outcome result;
        SEAL_TRY(stamp_document(w, st, job, params, pin, password, &doc, &input, &result));
        if (result == LOST)
            goto out;
        /* A PIN the seal no longer takes would be refused for every document, each try
         * counted towards the seal's lock: the job stops at the first. */
        if (result == PIN_REFUSED) {
            stop_code = g_strdup("pin-refused");
            stop_reason = g_strdup_printf("not stamped: the seal refused the job's PIN at "
                                          "document %" G_GINT64_FORMAT " (%s)",
                                          doc.n, doc.name);
        }
        seal_job_document_clear(&doc);
        seal_buf_clear(&input);
    }
    rc = seal_store_job_end(st, job->id, name, time(NULL), stop_code, stop_reason, &final);
    if (rc == SEAL_EPOLICY) {
        http_log("warning", NULL, "job %s: %s; %s leaves it", job->id, seal_error_last(), name);
        rc = 0;
        goto out;
    }
    SEAL_TRY(rc);
    ended = true;
    http_log("info", NULL, "job %s: %s (%s)", job->id, seal_job_state_name(final), name);
out:
    if (rc < 0 && !ended) {
        http_log("error", NULL, "job %s: %s leaves it after an error: %s", job->id, name,
                 seal_error_last());
        seal_store_job_release(st, job->id, name);
    }
    set_held(r, w->index, NULL);
    if (pin) {
        seal_secure_zero(pin, strlen(pin));
        g_free(pin);
    }
    if (password) {
        seal_secure_zero(password, strlen(password));
        g_free(password);
    }
    json_decref(params);
    seal_job_document_clear(&doc);
    seal_buf_clear(&input);
    g_free(stop_code);
    g_free(stop_reason);
    return rc;
}

/* Removes the jobs kept long enough, at most every EXPIRE_EVERY seconds per instance. */
static void expire_old(job_runner *r, seal_store *st)
{
    time_t now = time(NULL);
    pthread_mutex_lock(&r->lock);
    bool due = now >= r->next_expire;
    if (due)
        r->next_expire = now + EXPIRE_EVERY;
    pthread_mutex_unlock(&r->lock);
    if (!due)
        return;
    size_t removed = 0;
    time_t keep = (time_t)r->svc->cfg->job_keep_days * 86400;
    if (seal_store_job_expire(st, now - keep, now - ABANDONED_AFTER, &removed) < 0)
        http_log("error", NULL, "cannot remove old jobs: %s", seal_error_last());
    else if (removed)
        http_log("info", NULL, "removed %zu job(s) kept past %u days", removed,
                 r->svc->cfg->job_keep_days);
}

static gpointer work(gpointer arg)
{
    worker *w = arg;
    job_runner *r = w->r;
    const serve_config *cfg = r->svc->cfg;
    const char *name = r->held[w->index].worker;
    seal_store *st = NULL;
    while (!stopping(r)) {
        if (!st && seal_store_open_db(&st, cfg->db_url, cfg->data_dir, false) < 0) {
            http_log("error", NULL, "%s cannot open the store: %s", name, seal_error_last());
            st = NULL;
            pause_for(r, IDLE_POLL_SECONDS);
            continue;
        }
        expire_old(r, st);
        int rc = job_callback_deliver(r->svc, st, name);
        if (rc > 0)
            continue;
        if (rc == 0) {
            time_t now = time(NULL);
            seal_job_record job = {0};
            rc = seal_store_job_claim(st, name, now, now - (time_t)cfg->job_stale_after, &job);
            if (rc == 0)
                rc = run_job(w, st, &job);
            seal_job_record_clear(&job);
            if (rc == 0)
                continue;
        }
        if (rc != SEAL_ENOTFOUND) {
            /* The database may have gone away: a new connection next time. */
            http_log("error", NULL, "%s: %s", name, seal_error_last());
            seal_store_close(st);
            st = NULL;
        }
        pause_for(r, IDLE_POLL_SECONDS);
    }
    seal_store_close(st);
    g_free(w);
    return NULL;
}

/* Renews the heartbeat of every job this instance's workers hold. */
static gpointer beat(gpointer arg)
{
    job_runner *r = arg;
    const serve_config *cfg = r->svc->cfg;
    unsigned every = cfg->job_stale_after / 3 ? cfg->job_stale_after / 3 : 1;
    seal_store *st = NULL;
    held *copy = g_new0(held, r->n);
    while (!stopping(r)) {
        pthread_mutex_lock(&r->lock);
        memcpy(copy, r->held, r->n * sizeof *copy);
        pthread_mutex_unlock(&r->lock);
        for (unsigned i = 0; i < r->n; i++) {
            if (!copy[i].job[0])
                continue;
            if (!st && seal_store_open_db(&st, cfg->db_url, cfg->data_dir, false) < 0) {
                http_log("error", NULL, "the jobs' heartbeat cannot open the store: %s",
                         seal_error_last());
                st = NULL;
                break;
            }
            int rc = seal_store_job_heartbeat(st, copy[i].job, copy[i].worker, time(NULL));
            if (rc == SEAL_EPOLICY) {
                pthread_mutex_lock(&r->lock);
                if (strcmp(r->held[i].job, copy[i].job) == 0)
                    r->held[i].lost = true;
                pthread_mutex_unlock(&r->lock);
            } else if (rc < 0) {
                http_log("error", NULL, "job %s: heartbeat: %s", copy[i].job, seal_error_last());
                seal_store_close(st);
                st = NULL;
            }
        }
        pthread_mutex_lock(&r->lock);
        gint64 until = g_get_monotonic_time() + (gint64)every * G_USEC_PER_SEC;
        while (!r->stopping)
            if (!wait_until(r, until))
                break;
        pthread_mutex_unlock(&r->lock);
    }
    g_free(copy);
    seal_store_close(st);
    return NULL;
}

int job_runner_start(job_runner **out, service *svc)
{
    int rc = 0;
    sigset_t stop, previous;
    *out = NULL;
    unsigned n = svc->cfg->job_workers;
    if (n == 0)
        return 0;
    job_runner *r = g_new0(job_runner, 1);
    r->svc = svc;
    r->n = n;
    r->threads = g_new0(GThread *, n);
    r->held = g_new0(held, n);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->cond, &attr);
    pthread_condattr_destroy(&attr);
    /* The name other instances see in the job (who holds it): host, process and worker,
     * with random digits in case two hosts' processes share a name and number. */
    uint32_t nonce = g_random_int();
    for (unsigned i = 0; i < n; i++)
        snprintf(r->held[i].worker, WORKER_NAME_MAX, "%.40s/%ld/%08x/%u", g_get_host_name(),
                 (long)getpid(), nonce, i);
    /* The threads inherit this mask: SIGINT and SIGTERM go to the thread that waits for them
     * (http_serve_run), never to a worker. */
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, &previous);
    for (unsigned i = 0; i < n; i++) {
        worker *w = g_new0(worker, 1);
        w->r = r;
        w->index = i;
        GError *err = NULL;
        r->threads[i] = g_thread_try_new("sealsvc-job", work, w, &err);
        if (!r->threads[i]) {
            rc = seal_error_set(SEAL_EIO, "cannot start a job worker: %s", err->message);
            g_error_free(err);
            g_free(w);
            break;
        }
    }
    if (rc == 0) {
        GError *err = NULL;
        r->beat = g_thread_try_new("sealsvc-beat", beat, r, &err);
        if (!r->beat) {
            rc = seal_error_set(SEAL_EIO, "cannot start the jobs' heartbeat: %s", err->message);
            g_error_free(err);
        }
    }
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (rc < 0) {
        job_runner_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

void job_runner_wake(job_runner *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->wakes++;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

void job_runner_stop(job_runner *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->stopping = true;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

void job_runner_free(job_runner *r)
{
    if (!r)
        return;
    job_runner_stop(r);
    for (unsigned i = 0; i < r->n; i++)
        if (r->threads[i])
            g_thread_join(r->threads[i]);
    if (r->beat)
        g_thread_join(r->beat);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->cond);
    g_free(r->threads);
    g_free(r->held);
    g_free(r);
}
