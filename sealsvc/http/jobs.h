/* Batch stamping jobs in `sealsvc serve` (docs/api.md "Batch jobs"): what the routes
 * (routes_jobs.c: submit, status, results, cancel), the workers (jobs_worker.c: claim a job
 * from the database, stamp its documents one by one, keep its heartbeat) and the callback
 * (jobs_callback.c: the signed summary POSTed when a job ends, retried with back-off) share.
 * The job itself lives in the store (seal/job.h), so any instance works on any job. */
#ifndef SEALSVC_HTTP_JOBS_H
#define SEALSVC_HTTP_JOBS_H

#include "service.h"

#include <seal/job.h>

#include <jansson.h>

/* A job's parameters for stamp_input_read (stamp_input.h): the job's kept parameters, and a
 * document's own placements, which replace the job's placement parameters. */
typedef struct job_params {
    json_t *params;         /* the job's: a JSON object of texts */
    const char *placements; /* the document's own (JSON text), or NULL */
} job_params;

/* A stamp_param_fn over a job_params. */
const char *job_param(void *ctx, const char *name);

/* The job as the API shows it (GET /api/v1/jobs/{id}); also the callback's summary when
 * `summary` is set (no per-document list, no attempts: they are what the status adds). */
json_t *job_json(const seal_job_record *r, const seal_job_document *docs, size_t n_docs,
                 const seal_job_attempt *attempts, size_t n_attempts, bool summary);

/* A time as RFC 3339 text in UTC (g_free). */
char *job_time_text(time_t t);

/* ---- the workers (jobs_worker.c) ---- */

/* Starts svc->cfg->job_workers worker threads and their heartbeat (none when 0: *out
 * NULL). The threads never take SIGINT or SIGTERM: the server's thread waits for those. */
int job_runner_start(job_runner **out, service *svc);
/* A job was queued: a waiting worker of this instance looks at once. Accepts NULL. */
void job_runner_wake(job_runner *r);
/* The server is stopping: each worker finishes the document it is stamping, then leaves
 * its job for another worker or instance to take over at once. Returns at once. Accepts
 * NULL. */
void job_runner_stop(job_runner *r);
/* Stops (as job_runner_stop), waits for the workers, and frees. Accepts NULL. */
void job_runner_free(job_runner *r);

/* ---- the callbacks (jobs_callback.c) ---- */

/* Delivers one callback that is due, if any: one attempt, recorded; the next one scheduled
 * with back-off, or the callback given up after cfg->job_callback_attempts. 1 when one was
 * attempted, 0 when none was due, or an error. `worker` names the caller in log lines. */
int job_callback_deliver(service *svc, seal_store *st, const char *worker);

#endif
