/* The batch jobs' routes (docs/api.md "Batch jobs"): POST /api/v1/jobs submits many
 * documents with one placement rule (or one per document), the seal and its PIN; GET
 * /api/v1/jobs/{id} reports the job's state and each document's; GET .../documents/{n} and
 * .../result.zip hand out the sealed documents; POST .../cancel stops it. A submit refuses
 * up front what the synchronous stamp refuses (the seal, its institution, the placements,
 * the PIN, tried once here and counted as every try is), then keeps the job in the store,
 * where the workers of any instance (jobs_worker.c) find it. A job another institution
 * submitted is answered as no job at all. */
#include "jobs.h"
#include "stamp_input.h"

#include <seal/error.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#define CALLBACK_URL_MAX 2048
#define NAME_MAX_CHARS   200

/* The parameters that say where the seal goes: a document's own placements replace them. */
static bool is_placement_param(const char *name)
{
    static const char *const names[] = {"page",       "pages",  "at",   "keyword",
                                        "occurrence", "offset", "seam", "invisible"};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

const char *job_param(void *ctx, const char *name)
{
    const job_params *p = ctx;
    if (p->placements) {
        if (strcmp(name, "placements") == 0)
            return p->placements;
        if (is_placement_param(name))
            return NULL;
    }
    return json_string_value(json_object_get(p->params, name));
}

char *job_time_text(time_t t)
{
    GDateTime *d = g_date_time_new_from_unix_utc((gint64)t);
    char *text = d ? g_date_time_format(d, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("?");
    if (d)
        g_date_time_unref(d);
    return text;
}

static void set_time(json_t *obj, const char *key, time_t t)
{
    if (!t)
        return;
    char *text = job_time_text(t);
    json_object_set_new(obj, key, json_string(text));
    g_free(text);
}

json_t *job_json(const seal_job_record *r, const seal_job_document *docs, size_t n_docs,
                 const seal_job_attempt *attempts, size_t n_attempts, bool summary)
{
    char *status_url = g_strdup_printf("/api/v1/jobs/%s", r->id);
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:{s:I, s:I, s:I, s:I, s:I}}", "id", r->id, "state",
                          seal_job_state_name(r->state), "seal", r->seal_id, "status_url",
                          status_url, "progress", "total", (json_int_t)r->total, "done",
                          (json_int_t)r->done, "failed", (json_int_t)r->failed, "cancelled",
                          (json_int_t)r->cancelled, "queued", (json_int_t)r->queued);
    if (!j) {
        g_free(status_url);
        return NULL;
    }
    set_time(j, "created", r->created);
    set_time(j, "started", r->started);
    set_time(j, "finished", r->finished);
    if (r->error)
        json_object_set_new(j, "error", json_string(r->error));
    bool ended =
        r->state == SEAL_JOB_DONE || r->state == SEAL_JOB_FAILED || r->state == SEAL_JOB_CANCELLED;
    if (ended && r->done > 0) {
        char *zip = g_strdup_printf("%s/result.zip", status_url);
        json_object_set_new(j, "result_url", json_string(zip));
        g_free(zip);
    }
    json_t *failures = json_array(), *list = json_array();
    for (size_t i = 0; i < n_docs; i++) {
        const seal_job_document *d = &docs[i];
        if (d->state == SEAL_JOB_FAILED)
            json_array_append_new(failures, json_pack("{s:I, s:s, s:s, s:s}", "document",
                                                      (json_int_t)d->n, "name", d->name, "code",
                                                      d->error_code ? d->error_code : "failed",
                                                      "reason", d->error ? d->error : ""));
        if (summary)
            continue;
        json_t *item =
            json_pack("{s:I, s:s, s:s, s:I}", "n", (json_int_t)d->n, "name", d->name, "state",
                      seal_job_state_name(d->state), "size", (json_int_t)d->input_size);
        if (d->state == SEAL_JOB_DONE) {
            char *url = g_strdup_printf("%s/documents/%" G_GINT64_FORMAT, status_url, d->n);
            json_object_set_new(item, "format", json_string(d->format ? d->format : ""));
            json_object_set_new(item, "sealed_size", json_integer((json_int_t)d->output_size));
            json_object_set_new(item, "url", json_string(url));
            g_free(url);
        }
        if (d->state == SEAL_JOB_FAILED) {
            json_object_set_new(item, "code",
                                json_string(d->error_code ? d->error_code : "failed"));
            json_object_set_new(item, "reason", json_string(d->error ? d->error : ""));
        }
        set_time(item, "finished", d->finished);
        json_array_append_new(list, item);
    }
    json_object_set_new(j, "failures", failures);
    if (summary) {
        json_decref(list);
    } else {
        json_object_set_new(j, "documents", list);
        json_object_set_new(j, "cancel_requested", json_boolean(r->cancel_requested));
        json_object_set_new(j, "taken_over", json_integer(r->claims > 1 ? r->claims - 1 : 0));
    }
    if (r->callback_url && !summary) {
        json_t *tries = json_array();
        for (size_t i = 0; i < n_attempts; i++) {
            json_t *a = json_pack("{s:I}", "attempt", (json_int_t)attempts[i].attempt);
            set_time(a, "at", attempts[i].at);
            if (attempts[i].status)
                json_object_set_new(a, "status", json_integer(attempts[i].status));
            if (attempts[i].error)
                json_object_set_new(a, "error", json_string(attempts[i].error));
            json_array_append_new(tries, a);
        }
        json_object_set_new(j, "callback",
                            json_pack("{s:s, s:s, s:o}", "url", r->callback_url, "state",
                                      seal_job_callback_state_name(r->callback_state), "attempts",
                                      tries));
    }
    g_free(status_url);
    return j;
}

/* ---- submit ---- */

/* Only http and https, with a host; a host given as an internal address (seal/net.h) that
 * [jobs] callback_allow does not name is refused here too, before anything is kept (one
 * given as a name is checked when the callback connects). 0, or 1 when it answered (400). */
static int check_callback_url(call *c, const char *url)
{
    GError *err = NULL;
    GUri *u = strlen(url) <= CALLBACK_URL_MAX ? g_uri_parse(url, G_URI_FLAGS_NONE, &err) : NULL;
    const char *host = u ? g_uri_get_host(u) : NULL;
    bool ok = u &&
              (g_ascii_strcasecmp(g_uri_get_scheme(u), "http") == 0 ||
               g_ascii_strcasecmp(g_uri_get_scheme(u), "https") == 0) &&
              host && *host;
    bool internal = ok && g_hostname_is_ip_address(host) &&
                    !seal_net_guard_allows(c->svc->callback_guard, host);
    if (!ok)
        http_problem(c->resp, c->req, 400, "invalid-request", NULL,
                     "callback_url must be an http:// or https:// URL with a host, at most %d "
                     "characters%s%s",
                     CALLBACK_URL_MAX, err ? ": " : "", err ? err->message : "");
    else if (internal)
        http_problem(c->resp, c->req, 400, "invalid-request", NULL,
                     "callback_url names %s, an internal address: callbacks reach only the "
                     "addresses the service's [jobs] callback_allow names there",
                     host);
    if (err)
        g_error_free(err);
    if (u)
        g_uri_unref(u);
    return ok && !internal ? 0 : 1;
}

/* A document's name as it is kept and shown: the file name's last component, valid UTF-8,
 * without control characters, at most NAME_MAX_CHARS characters (g_free). */
static char *document_name(const http_file *f, size_t n)
{
    const char *given = f->filename && *f->filename ? f->filename : NULL;
    if (!given)
        return g_strdup_printf("document-%zu", n);
    const char *base = given;
    for (const char *p = given; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    char *valid = g_utf8_make_valid(base, -1);
    for (char *p = valid; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '_';
    char *name = g_utf8_substring(valid, 0, MIN(g_utf8_strlen(valid, -1), NAME_MAX_CHARS));
    g_free(valid);
    if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        g_free(name);
        return g_strdup_printf("document-%zu", n);
    }
    return name;
}

static int read_part(const http_file *f, seal_buf *out)
{
    int rc = seal_buf_reserve(out, (size_t)f->size);
    for (uint64_t at = 0; rc == 0 && at < f->size;) {
        ssize_t got = pread(f->fd, out->data + at, (size_t)(f->size - at), (off_t)at);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return seal_error_set(SEAL_EIO, "cannot read an uploaded document: %s",
                                  got < 0 ? strerror(errno) : "it is shorter than received");
        at += (uint64_t)got;
        out->len = (size_t)at;
    }
    return rc;
}

/* The submit's checks of one placement rule (the job's, or a document's own `placements`),
 * exactly as the worker will read it. 0; 1 when it answered (400); or an error. The level
 * found goes to *level. */
static int check_rule(call *c, json_t *params, const char *placements, const char *which,
                      seal_stamp_level *level)
{
    job_params p = {.params = params, .placements = placements};
    stamp_input in = {0};
    seal_stamp_request rq = {0};
    int rc = stamp_input_read(&in, &rq, job_param, &p, c->store, c->svc->cfg->tsa_url,
                              c->svc->outbound, false);
    if (rc == STAMP_INPUT_REFUSED)
        http_problem(c->resp, c->req, 400, "invalid-request", NULL, "%s%s", which,
                     seal_error_last());
    *level = in.level;
    stamp_input_clear(&in);
    return rc;
}

/* The documents' own placement rules: NULL, or the JSON array placements_by_document (one
 * entry per document: null, the job's rule, or a placements array), checked. 0, or 1 when
 * it answered (400). */
static int read_rules(call *c, size_t n_docs, json_t **out)
{
    const char *text = call_param(c, "placements_by_document");
    json_error_t err;
    *out = NULL;
    if (!text)
        return 0;
    json_t *rules = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    if (!rules || !json_is_array(rules) || json_array_size(rules) != n_docs) {
        http_problem(c->resp, c->req, 400, "invalid-request", NULL,
                     "placements_by_document must be a JSON array with one entry for each of "
                     "the %zu documents (null: the job's placements; or a placements array)%s%s",
                     n_docs, rules ? "" : ": ", rules ? "" : err.text);
        json_decref(rules);
        return 1;
    }
    for (size_t i = 0; i < n_docs; i++) {
        json_t *rule = json_array_get(rules, i);
        if (!json_is_null(rule) && !json_is_array(rule)) {
            http_problem(c->resp, c->req, 400, "invalid-request", NULL,
                         "placements_by_document[%zu] must be null or a placements array", i);
            json_decref(rules);
            return 1;
        }
    }
    *out = rules;
    return 0;
}

int route_job_submit(call *c)
{
    int rc = 0;
    const http_request *req = c->req;
    const serve_config *cfg = c->svc->cfg;
    seal_record seal = {0};
    seal_signer *signer = NULL;
    json_t *params = NULL, *rules = NULL;
    char *actor = NULL, *params_text = NULL, *callback_key = NULL, **names = NULL;
    char **own = NULL;
    const http_file **docs = NULL;
    size_t n_docs = 0;
    char id[33] = "";
    bool created = false;
    seal_buf bytes = SEAL_BUF_INIT;

    if (!call_type_is(req->content_type, "multipart/form-data")) {
        rc = http_problem(c->resp, req, 415, "unsupported-media-type", NULL,
                          "a job is submitted as multipart/form-data: one file part 'document' "
                          "per document, the parameters as fields (not %s)",
                          req->content_type ? req->content_type : "no Content-Type");
        goto out;
    }
    docs = g_new0(const http_file *, req->n_files + 1);
    for (size_t i = 0; i < req->n_files; i++) {
        const http_file *f = &req->files[i];
        if (!f->name || strcmp(f->name, "document") != 0) {
            rc = http_problem(c->resp, req, 400, "invalid-request", NULL,
                              "unexpected file part '%s': a job's documents are file parts "
                              "named 'document'",
                              f->name ? f->name : "");
            goto out;
        }
        if (f->size == 0) {
            rc = http_problem(c->resp, req, 400, "document-missing", NULL,
                              "document %zu (%s) is empty", n_docs + 1,
                              f->filename ? f->filename : "no file name");
            goto out;
        }
        /* Each document is held whole in memory by the worker that stamps it, and its
         * input and output rest in the database as blobs: the limit bounds both. */
        if (f->size > cfg->job_document_max) {
            rc = http_problem(c->resp, req, 413, "body-too-large", NULL,
                              "document %zu (%s) has %" G_GUINT64_FORMAT
                              " bytes; a job's document may have at most %" G_GUINT64_FORMAT
                              " (the service's [jobs] document_max); stamp it with POST "
                              "/api/v1/stamp",
                              n_docs + 1, f->filename ? f->filename : "no file name", f->size,
                              cfg->job_document_max);
            goto out;
        }
        docs[n_docs++] = f;
    }
    if (n_docs == 0) {
        rc = http_problem(c->resp, req, 400, "document-missing", NULL,
                          "the job has no documents: send each as a file part named 'document' "
                          "(with its file name)");
        goto out;
    }
    const char *seal_id = call_param(c, "seal");
    if (!seal_id || !*seal_id) {
        rc = http_problem(c->resp, req, 400, "invalid-request", NULL,
                          "which seal? give the seal field (GET /api/v1/seals lists yours)");
        goto out;
    }
    if ((rc = auth_seal(c, seal_id, &seal)) != 0)
        goto out;
    if (seal.locked) {
        rc = http_problem(c->resp, req, 423, "seal-locked", NULL,
                          "seal %s is locked (too many wrong PINs, or by an administrator); an "
                          "administrator must unlock it",
                          seal_id);
        goto out;
    }
    const char *pin = call_param(c, "pin");
    if (!pin || !*pin) {
        rc = http_problem(c->resp, req, 400, "pin-required", NULL,
                          "the seal's PIN is required (the pin field): the job's stamps are made "
                          "with it");
        goto out;
    }
    const char *callback_url = call_param(c, "callback_url");
    if (callback_url && (rc = check_callback_url(c, callback_url)) != 0)
        goto out;

    /* The parameters the worker will read, checked now as it will read them. */
    params = json_object();
    for (size_t i = 0; stamp_input_names[i]; i++) {
        const char *v = call_param(c, stamp_input_names[i]);
        if (v)
            json_object_set_new(params, stamp_input_names[i], json_string(v));
    }
    if ((rc = read_rules(c, n_docs, &rules)) != 0)
        goto out;
    own = g_new0(char *, n_docs + 1);
    bool job_rule_used = false;
    seal_stamp_level level = SEAL_LEVEL_B_B;
    for (size_t i = 0; i < n_docs; i++) {
        json_t *rule = rules ? json_array_get(rules, i) : NULL;
        if (!rule || json_is_null(rule)) {
            job_rule_used = true;
            continue;
        }
        own[i] = json_dumps(rule, JSON_COMPACT);
        char *which = g_strdup_printf("placements_by_document[%zu]: ", i);
        rc = check_rule(c, params, own[i], which, &level);
        g_free(which);
        if (rc != 0)
            goto out;
    }
    if (job_rule_used && (rc = check_rule(c, params, NULL, "", &level)) != 0)
        goto out;
    /* The TSA is fixed at submit: the instance that runs the job may be set up otherwise. */
    if (level >= SEAL_LEVEL_B_T && !call_param(c, "tsa") && cfg->tsa_url)
        json_object_set_new(params, "tsa", json_string(cfg->tsa_url));
    if ((rc = call_input_policy_fix(c, params)) != 0)
        goto out;

    /* The PIN, tried once now (counted as every try is), so that a wrong one is refused
     * here and not by every document later. */
    rc = seal_store_seal_signer(c->store, &seal, pin, &signer);
    if (rc < 0) {
        rc = call_stamp_refused(c, false, seal_id, rc);
        goto out;
    }

    actor = auth_actor(c);
    params_text = json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS);
    seal_job_submit in = {
        .institution = seal.owner_code,
        .actor = actor,
        .seal_id = seal_id,
        .params = params_text,
        .pin = pin,
        .password = call_param(c, "password"),
        .callback_url = callback_url,
        .documents = n_docs,
    };
    if ((rc = seal_store_job_create(c->store, &in, time(NULL), id, &callback_key)) < 0)
        goto out;
    created = true;
    names = g_new0(char *, n_docs + 1);
    for (size_t i = 0; i < n_docs; i++) {
        names[i] = document_name(docs[i], i + 1);
        seal_buf_clear(&bytes);
        if ((rc = read_part(docs[i], &bytes)) < 0 ||
            (rc = seal_store_job_add_document(c->store, id, (int64_t)(i + 1), names[i], own[i],
                                              bytes.data, bytes.len)) < 0)
            goto out;
    }
    if ((rc = seal_store_job_queue(c->store, id)) < 0)
        goto out;
    created = false; /* queued: it is the workers' now */
    job_runner_wake(c->svc->jobs);

    char *status_url = g_strdup_printf("/api/v1/jobs/%s", id);
    json_t *answer = json_pack("{s:s, s:s, s:I, s:s}", "id", id, "state", "queued", "documents",
                               (json_int_t)n_docs, "status_url", status_url);
    if (answer && callback_key)
        json_object_set_new(answer, "callback_key", json_string(callback_key));
    http_response_header(c->resp, "Location", "%s", status_url);
    g_free(status_url);
    rc = call_json(c, 202, answer);
    c->resp->outcome = "job-submitted";
out:
    if (created)
        seal_store_job_discard(c->store, id);
    if (callback_key) {
        seal_secure_zero(callback_key, strlen(callback_key));
        g_free(callback_key);
    }
    seal_signer_free(signer);
    seal_record_clear(&seal);
    json_decref(params);
    json_decref(rules);
    for (size_t i = 0; own && i < n_docs; i++)
        free(own[i]);
    g_free(own);
    g_strfreev(names);
    g_free(docs);
    g_free(actor);
    free(params_text);
    seal_buf_clear(&bytes);
    return rc < 0 ? rc : 0;
}

/* ---- reading ---- */

/* Job c->id, when the caller may see it: an administrator or a key for the whole platform
 * any job, a key with an institution only that institution's. 0 with *r filled; 1 when it
 * answered (404, the same for another institution's job as for no job); or an error. */
/* The institution whose jobs the caller sees, or NULL for every institution's (an admin). */
static const char *job_scope(const call *c)
{
    return c->key.institution && strcmp(c->key.role, "admin") != 0 ? c->key.institution : NULL;
}

static int visible_job(call *c, seal_job_record *r)
{
    const char *id = c->id ? c->id : "";
    const char *scope = job_scope(c);
    int rc = strlen(id) == 32 && strspn(id, "0123456789abcdef") == 32
                 ? seal_store_job_get(c->store, id, r)
                 : SEAL_ENOTFOUND;
    if (rc == 0 && scope && (!r->institution || strcmp(r->institution, scope) != 0)) {
        seal_job_record_clear(r);
        rc = SEAL_ENOTFOUND;
    }
    if (rc == SEAL_ENOTFOUND) {
        http_problem(c->resp, c->req, 404, "job-not-found", NULL, "there is no job %s", id);
        return 1;
    }
    return rc;
}

/* Answers with job `r` as JSON. */
static int answer_job(call *c, unsigned status, const seal_job_record *r)
{
    seal_job_document *docs = NULL;
    seal_job_attempt *attempts = NULL;
    size_t n_docs = 0, n_attempts = 0;
    int rc = seal_store_job_documents(c->store, r->id, &docs, &n_docs);
    if (rc == 0)
        rc = seal_store_job_attempts(c->store, r->id, &attempts, &n_attempts);
    if (rc == 0)
        rc = call_json(c, status, job_json(r, docs, n_docs, attempts, n_attempts, false));
    seal_job_documents_free(docs, n_docs);
    seal_job_attempts_free(attempts, n_attempts);
    return rc;
}

int route_job(call *c)
{
    seal_job_record r = {0};
    int rc = visible_job(c, &r);
    if (rc == 0)
        rc = answer_job(c, 200, &r);
    seal_job_record_clear(&r);
    return rc < 0 ? rc : 0;
}

/* The caller's jobs, newest first: ?state= one state, ?limit= how many (default 50, at most
 * 500). Each as the callback's summary shows it, without the failures (the job's status
 * has them). */
int route_jobs(call *c)
{
    const char *state = call_param(c, "state"), *limit_text = call_param(c, "limit");
    guint64 limit = 50;
    seal_job_record *jobs = NULL;
    size_t n = 0;
    if (limit_text && (!g_ascii_string_to_unsigned(limit_text, 10, 1, 500, &limit, NULL)))
        return http_problem(c->resp, c->req, 400, "invalid-request", NULL,
                            "limit must be a whole number from 1 to 500, not '%s'", limit_text);
    int rc = seal_store_job_list(c->store, job_scope(c), state, (size_t)limit, &jobs, &n);
    if (rc == SEAL_EINVAL)
        return http_problem(c->resp, c->req, 400, "invalid-request", NULL, "%s", seal_error_last());
    if (rc < 0)
        return rc;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *j = job_json(&jobs[i], NULL, 0, NULL, 0, true);
        json_object_del(j, "failures");
        json_array_append_new(list, j);
    }
    seal_job_records_free(jobs, n);
    return call_json(c, 200, json_pack("{s:o}", "jobs", list));
}

/* RFC 6266 with RFC 8187's filename* for names that are not ASCII. */
static void attachment_header(call *c, const char *name)
{
    GString *ascii = g_string_new(NULL);
    for (const char *p = name; *p; p++)
        g_string_append_c(ascii, (unsigned char)*p < 0x80 && *p != '"' && *p != '\\' ? *p : '_');
    char *encoded = g_uri_escape_string(name, NULL, FALSE);
    http_response_header(c->resp, "Content-Disposition",
                         "attachment; filename=\"%s\"; filename*=UTF-8''%s", ascii->str, encoded);
    g_free(encoded);
    g_string_free(ascii, TRUE);
}

static int write_all(int fd, const uint8_t *data, size_t len)
{
    for (size_t at = 0; at < len;) {
        ssize_t put = write(fd, data + at, len - at);
        if (put < 0 && errno == EINTR)
            continue;
        if (put < 0)
            return seal_error_set(SEAL_EIO, "cannot write a temporary file: %s", strerror(errno));
        at += (size_t)put;
    }
    return 0;
}

int route_job_document(call *c)
{
    int rc = 0, fd = -1;
    seal_job_record r = {0};
    seal_job_document doc = {0};
    seal_buf out = SEAL_BUF_INIT;
    if ((rc = visible_job(c, &r)) != 0)
        goto out;
    const char *sub = c->sub ? c->sub : "";
    int64_t n = strlen(sub) <= 9 && strspn(sub, "0123456789") == strlen(sub) && *sub
                    ? g_ascii_strtoll(sub, NULL, 10)
                    : 0;
    rc = n > 0 ? seal_store_job_output(c->store, r.id, n, &doc, &out) : SEAL_ENOTFOUND;
    if (rc == SEAL_ENOTFOUND) {
        rc = http_problem(c->resp, c->req, 404, "job-document-not-found", NULL,
                          "job %s has no document %s (it has %zu, numbered from 1)", r.id, sub,
                          r.total);
        goto out;
    }
    if (rc == SEAL_EPOLICY) {
        rc = http_problem(c->resp, c->req, 409, "document-not-sealed", NULL, "%s",
                          seal_error_last());
        goto out;
    }
    if (rc < 0)
        goto out;
    if ((rc = http_tmpfile(c->svc->cfg->tmp_dir ? c->svc->cfg->tmp_dir : g_get_tmp_dir(), &fd)) <
            0 ||
        (rc = write_all(fd, out.data, out.len)) < 0)
        goto out;
    if (lseek(fd, 0, SEEK_SET) != 0) {
        rc = seal_error_set(SEAL_EIO, "cannot rewind a temporary file: %s", strerror(errno));
        goto out;
    }
    attachment_header(c, doc.name);
    http_response_file(c->resp, 200, serve_media_type(doc.format), fd);
    fd = -1;
    c->resp->outcome = "job-document";
out:
    if (fd >= 0)
        close(fd);
    seal_buf_clear(&out);
    seal_job_document_clear(&doc);
    seal_job_record_clear(&r);
    return rc < 0 ? rc : 0;
}

/* One sealed document of the archive, read from the store only when libzip writes it
 * (zip_close), so that one document at a time is in memory whatever the job's size. */
typedef struct zip_entry {
    seal_store *st;
    char job_id[33];
    int64_t n;
    uint64_t size;
    time_t mtime;
    seal_buf data;
    size_t pos;
    zip_error_t error;
} zip_entry;

static zip_int64_t zip_entry_cb(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
    zip_entry *e = ud;
    switch (cmd) {
    case ZIP_SOURCE_OPEN:
        if (seal_store_job_output(e->st, e->job_id, e->n, NULL, &e->data) < 0 ||
            e->data.len != e->size) {
            zip_error_set(&e->error, ZIP_ER_READ, 0);
            return -1;
        }
        e->pos = 0;
        return 0;
    case ZIP_SOURCE_READ: {
        size_t left = e->data.len - e->pos, take = len < left ? (size_t)len : left;
        memcpy(data, e->data.data + e->pos, take);
        e->pos += take;
        return (zip_int64_t)take;
    }
    case ZIP_SOURCE_CLOSE:
        seal_buf_clear(&e->data);
        return 0;
    case ZIP_SOURCE_STAT: {
        zip_stat_t *st = data;
        if (len < sizeof *st) {
            zip_error_set(&e->error, ZIP_ER_INVAL, 0);
            return -1;
        }
        zip_stat_init(st);
        st->size = e->size;
        st->mtime = e->mtime;
        st->valid = ZIP_STAT_SIZE | ZIP_STAT_MTIME;
        return sizeof *st;
    }
    case ZIP_SOURCE_ERROR:
        return zip_error_to_data(&e->error, data, len);
    case ZIP_SOURCE_FREE:
        seal_buf_clear(&e->data);
        zip_error_fini(&e->error);
        g_free(e);
        return 0;
    case ZIP_SOURCE_SUPPORTS:
        return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE,
                                              ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE,
                                              -1);
    default:
        zip_error_set(&e->error, ZIP_ER_OPNOTSUPP, 0);
        return -1;
    }
}

/* An archive entry's name for a document: its name, or "N-name" when an earlier document
 * has that name (g_free). */
static char *entry_name(GHashTable *used, const seal_job_document *d)
{
    char *name = g_strdup(d->name);
    if (g_hash_table_contains(used, name)) {
        g_free(name);
        name = g_strdup_printf("%" G_GINT64_FORMAT "-%s", d->n, d->name);
    }
    g_hash_table_add(used, g_strdup(name));
    return name;
}

/* The sealed documents as one zip, written into the work folder by libzip (which writes a
 * temporary file beside it and renames it at zip_close), then opened, unlinked and
 * streamed: nothing stays behind. Stored, not compressed: PDF and OFD are compressed
 * already. */
int route_job_zip(call *c)
{
    int rc = 0, fd = -1;
    seal_job_record r = {0};
    seal_job_document *docs = NULL;
    size_t n_docs = 0;
    zip_t *za = NULL;
    GHashTable *used = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    char *path = NULL;
    if ((rc = visible_job(c, &r)) != 0)
        goto out;
    if (r.state == SEAL_JOB_QUEUED || r.state == SEAL_JOB_RUNNING) {
        rc = http_problem(c->resp, c->req, 409, "job-not-finished", NULL,
                          "job %s is %s (%zu of %zu documents done); its archive is made once it "
                          "has ended, and each sealed document can be had now from its url",
                          r.id, seal_job_state_name(r.state), r.total - r.queued, r.total);
        goto out;
    }
    if (r.done == 0) {
        rc = http_problem(c->resp, c->req, 409, "nothing-sealed", NULL,
                          "job %s is %s with no document sealed (its status says why)", r.id,
                          seal_job_state_name(r.state));
        goto out;
    }
    if ((rc = seal_store_job_documents(c->store, r.id, &docs, &n_docs)) < 0)
        goto out;
    path = g_strdup_printf("%s/out-zip-%s", c->svc->work_dir, c->req->request_id);
    int zerr = 0;
    za = zip_open(path, ZIP_CREATE | ZIP_EXCL, &zerr);
    if (!za) {
        rc = seal_error_set(SEAL_EIO, "cannot make the archive %s (libzip error %d)", path, zerr);
        goto out;
    }
    for (size_t i = 0; i < n_docs; i++) {
        if (docs[i].state != SEAL_JOB_DONE)
            continue;
        zip_entry *e = g_new0(zip_entry, 1);
        e->st = c->store;
        g_strlcpy(e->job_id, r.id, sizeof e->job_id);
        e->n = docs[i].n;
        e->size = docs[i].output_size;
        e->mtime = docs[i].finished;
        zip_error_init(&e->error);
        zip_source_t *src = zip_source_function(za, zip_entry_cb, e);
        if (!src) {
            zip_error_fini(&e->error);
            g_free(e);
            rc = seal_error_set(SEAL_ENOMEM, "out of memory for the archive");
            goto out;
        }
        char *name = entry_name(used, &docs[i]);
        zip_int64_t index = zip_file_add(za, name, src, ZIP_FL_ENC_UTF_8);
        g_free(name);
        if (index < 0) {
            zip_source_free(src);
            rc = seal_error_set(SEAL_EIO,
                                "cannot add document %" G_GINT64_FORMAT " to the archive: %s",
                                docs[i].n, zip_strerror(za));
            goto out;
        }
        zip_set_file_compression(za, (zip_uint64_t)index, ZIP_CM_STORE, 0);
    }
    if (zip_close(za) < 0) {
        rc = seal_error_set(SEAL_EIO, "cannot write the archive of job %s: %s", r.id,
                            zip_strerror(za));
        goto out;
    }
    za = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    unlink(path);
    if (fd < 0) {
        rc = seal_error_set(SEAL_EIO, "cannot open the archive: %s", strerror(errno));
        goto out;
    }
    char *name = g_strdup_printf("job-%s.zip", r.id);
    attachment_header(c, name);
    g_free(name);
    http_response_file(c->resp, 200, "application/zip", fd);
    fd = -1;
    c->resp->outcome = "job-archive";
out:
    if (za)
        zip_discard(za);
    if (path && rc < 0)
        unlink(path);
    if (fd >= 0)
        close(fd);
    g_free(path);
    g_hash_table_destroy(used);
    seal_job_documents_free(docs, n_docs);
    seal_job_record_clear(&r);
    return rc < 0 ? rc : 0;
}

int route_job_cancel(call *c)
{
    int rc = 0;
    seal_job_record r = {0};
    seal_job_state state;
    char *actor = NULL;
    if ((rc = visible_job(c, &r)) != 0)
        goto out;
    actor = auth_actor(c);
    rc = seal_store_job_cancel(c->store, r.id, actor, time(NULL), &state);
    if (rc == SEAL_EPOLICY) {
        rc = http_problem(c->resp, c->req, 409, "job-ended", NULL, "%s", seal_error_last());
        goto out;
    }
    if (rc < 0)
        goto out;
    seal_job_record_clear(&r);
    if ((rc = seal_store_job_get(c->store, c->id, &r)) < 0)
        goto out;
    rc = answer_job(c, 200, &r);
    c->resp->outcome = state == SEAL_JOB_CANCELLED ? "job-cancelled" : "job-cancel-requested";
out:
    g_free(actor);
    seal_job_record_clear(&r);
    return rc < 0 ? rc : 0;
}
