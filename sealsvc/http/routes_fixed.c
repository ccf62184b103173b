/* The paths an operator counts on: GET /healthz (the process answers), GET /readyz (the
 * store opens, its schema is one this sealsvc knows, and it can be read: else 503), GET
 * /metrics (Prometheus text, with the pending stamps and the batch jobs counted from the
 * database) and GET /api/v1/openapi.json (docs/openapi.json, built into the program so
 * that what is served is what was tested). */
#include "service.h"

#include <seal/error.h>
#include <seal/job.h>
#include <seal/stamp.h>

#include <string.h>

/* docs/openapi.json, made into a C array at configure time (sealsvc/CMakeLists.txt). */
extern const unsigned char serve_openapi_json[];
extern const size_t serve_openapi_json_len;

int route_healthz(call *c)
{
    return call_json(c, 200, json_pack("{s:s}", "status", "ok"));
}

/* A store of its own, not one from the pool: ready means a new connection can be made and
 * the schema is current. */
int route_readyz(call *c)
{
    seal_store *st = NULL;
    char **ids = NULL;
    int rc = seal_store_open_db(&st, c->svc->cfg->db_url, c->svc->cfg->data_dir, false);
    if (rc == 0)
        rc = seal_store_list_seals(st, &ids);
    g_strfreev(ids);
    seal_store_close(st);
    if (rc < 0)
        return http_problem(c->resp, c->req, 503, "not-ready", NULL, "the store is not usable: %s",
                            seal_error_last());
    return call_json(c, 200, json_pack("{s:s}", "status", "ready"));
}

int route_metrics(call *c)
{
    seal_store *st = NULL;
    seal_pending_record *pending = NULL;
    size_t n = 0;
    long count = -1, jobs[2] = {-1, -1};
    int64_t queued = 0, running = 0;
    if (seal_store_pool_take(c->svc->stores, &st) == 0 &&
        seal_store_pending_list(st, &pending, &n) == 0)
        count = (long)n;
    if (st && seal_store_job_counts(st, &queued, &running) == 0) {
        jobs[0] = (long)queued;
        jobs[1] = (long)running;
    }
    seal_pending_records_free(pending, n);
    seal_store_pool_give(c->svc->stores, st);
    seal_error_clear();
    seal_buf text = SEAL_BUF_INIT;
    int rc = metrics_render(c->svc->metrics, count, jobs, &text);
    if (rc == 0)
        rc = http_response_set(c->resp, 200, "text/plain; version=0.0.4; charset=utf-8", text.data,
                               text.len);
    seal_buf_clear(&text);
    return rc;
}

int route_openapi(call *c)
{
    return http_response_set(c->resp, 200, "application/json", serve_openapi_json,
                             serve_openapi_json_len);
}
