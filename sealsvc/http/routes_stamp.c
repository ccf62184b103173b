/* The stamp routes: POST /api/v1/stamp (the sealed document back), POST
 * /api/v1/stamp/prepare (two-phase: what an external signer signs, as JSON) and POST
 * /api/v1/stamp/{id}/finish (the signature in, the sealed document back). The parameters
 * come from the query or from multipart fields and mean what `sealsvc stamp`'s flags mean
 * (stamp_args.h, shared with the command line); the library's stamp driver does the rest
 * (seal/stamp.h), so the document is the one the command line makes. The output is written
 * in the service's work folder, opened, unlinked and streamed from its descriptor, so no
 * file stays behind whatever the client does. */
#include "service.h"

#include "stamp_args.h"
#include "stamp_input.h"

#include <seal/error.h>
#include <seal/stamp.h>
#include <seal/verify.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define FINISH_BODY_LIMIT (64u * 1024u)

const char *call_param(const call *c, const char *name)
{
    const char *v = http_request_field(c->req, name);
    return v ? v : http_request_query(c->req, name);
}

int call_json(call *c, unsigned status, json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text)
        return seal_error_set(SEAL_ENOMEM, "out of memory for an answer");
    int rc = http_response_set(c->resp, status, "application/json", text, strlen(text));
    free(text);
    return rc;
}

const char *serve_media_type(const char *format)
{
    static const struct {
        const char *format, *type;
    } types[] = {{"PDF", "application/pdf"}, {"OFD", "application/ofd"}};
    for (size_t i = 0; format && i < G_N_ELEMENTS(types); i++)
        if (strcmp(format, types[i].format) == 0)
            return types[i].type;
    return "application/octet-stream";
}

bool call_type_is(const char *header, const char *type)
{
    size_t n = strlen(type);
    return header && strncasecmp(header, type, n) == 0 &&
           (header[n] == '\0' || header[n] == ';' || header[n] == ' ');
}

int call_document(call *c, int *fd_out, const char **name_out)
{
    const http_request *req = c->req;
    if (call_type_is(req->content_type, "multipart/form-data")) {
        const http_file *f = http_request_file(req, "file");
        if (!f || f->size == 0) {
            http_problem(c->resp, req, 400, "document-missing", NULL,
                         "the multipart body has no document: send it as the file part 'file' "
                         "(with a filename)");
            return 1;
        }
        *name_out = f->filename && *f->filename ? f->filename : "upload";
        return http_file_open(f, fd_out);
    }
    if (!call_type_is(req->content_type, "application/pdf") &&
        !call_type_is(req->content_type, "application/ofd") &&
        !call_type_is(req->content_type, "application/octet-stream")) {
        http_problem(c->resp, req, 415, "unsupported-media-type", NULL,
                     "send the document as the body with Content-Type application/pdf, "
                     "application/ofd or application/octet-stream, or as multipart/form-data "
                     "(not %s)",
                     req->content_type ? req->content_type : "no Content-Type");
        return 1;
    }
    if (req->body_size == 0) {
        http_problem(c->resp, req, 400, "document-missing", NULL, "the request body is empty");
        return 1;
    }
    *name_out = "upload";
    return http_request_body_fd(req, fd_out);
}

/* service.h */
seal_input_policy call_input_policy(call *c)
{
    seal_input_policy p = c->has_session ? SEAL_INPUT_WARN : SEAL_INPUT_STRICT;
    const char *text = c->has_key && !c->has_session && c->key.input_policy
                           ? c->key.input_policy
                           : c->svc->cfg->stamp_input_policy;
    if (text && seal_input_policy_parse(&p, text) < 0)
        seal_error_clear(); /* checked at start-up and when the key was made */
    return p;
}

/* strict > warn > off. */
static int policy_rank(seal_input_policy p)
{
    return p == SEAL_INPUT_STRICT ? 2 : p == SEAL_INPUT_WARN ? 1 : 0;
}

/* 403 input-policy-refused when `asked` (NULL: nothing asked) is looser than `base`; 1 when
 * it answered, 0 when the request may have it, or an error. */
static int refuse_looser(call *c, seal_input_policy base, seal_input_policy asked)
{
    if (policy_rank(asked) >= policy_rank(base))
        return 0;
    int rc = http_problem(c->resp, c->req, 403, "input-policy-refused", NULL,
                          "your input policy is %s: a request may make it stricter, not %s",
                          seal_input_policy_name(base), seal_input_policy_name(asked));
    return rc < 0 ? rc : 1;
}

int call_input_policy_fix(call *c, json_t *params)
{
    seal_input_policy base = call_input_policy(c), asked = base;
    json_t *given = json_object_get(params, "input-policy");
    if (json_is_string(given) && seal_input_policy_parse(&asked, json_string_value(given)) < 0) {
        int rc =
            http_problem(c->resp, c->req, 400, "invalid-request", NULL, "%s", seal_error_last());
        return rc < 0 ? rc : 1;
    }
    int rc = refuse_looser(c, base, asked);
    if (rc == 0)
        json_object_set_new(params, "input-policy", json_string(seal_input_policy_name(asked)));
    return rc;
}

/* call_param as a stamp_param_fn. */
static const char *request_param(void *ctx, const char *name)
{
    return call_param(ctx, name);
}

/* Everything of a stamp request but the document, the output and the PIN: 0, or 1 when it
 * answered (400; 403 for a request that loosens its caller's input policy), or an error. */
static int read_stamp_input(call *c, stamp_input *in, seal_stamp_request *rq, bool external)
{
    seal_input_policy base = call_input_policy(c);
    rq->input_policy = base;
    int rc = stamp_input_read(in, rq, request_param, c, c->store, c->svc->cfg->tsa_url,
                              c->svc->outbound, external);
    if (rc == STAMP_INPUT_REFUSED) {
        rc = http_problem(c->resp, c->req, 400, "invalid-request", NULL, "%s", seal_error_last());
        return rc < 0 ? rc : 1;
    }
    return rc == 0 ? refuse_looser(c, base, rq->input_policy) : rc;
}

/* What the examination of the input found, for an answer: [{kind, page, detail}]. */
static json_t *findings_json(const seal_stamp_result *res)
{
    json_t *list = json_array();
    for (size_t i = 0; i < res->n_findings; i++)
        json_array_append_new(list,
                              json_pack("{s:s, s:i, s:s}", "kind", res->findings[i].kind, "page",
                                        res->findings[i].page, "detail", res->findings[i].detail));
    return list;
}

int call_stamp_refused(call *c, bool usage, const char *seal_id, int err)
{
    if (usage)
        return http_problem(c->resp, c->req, 400, "invalid-request", NULL, "%s", seal_error_last());
    if (err == SEAL_EAUTH) {
        char *why = g_strdup(seal_error_last());
        seal_record r = {0};
        int left = -1;
        bool locked = false;
        if (seal_store_get_seal(c->store, seal_id, &r) == 0) {
            left = SEAL_STORE_MAX_PIN_FAILURES - r.pin_failures;
            left = left < 0 ? 0 : left;
            locked = r.locked;
        }
        seal_record_clear(&r);
        json_t *extra = left >= 0 ? json_pack("{s:i}", "tries_left", left) : NULL;
        int rc = http_problem(c->resp, c->req, locked ? 423 : 403,
                              locked ? "seal-locked" : "pin-refused", extra, "%s%s", why,
                              locked ? "; the seal is now locked until an administrator unlocks it"
                                     : "");
        g_free(why);
        return rc;
    }
    return http_problem_from_error(c->resp, c->req, err);
}

/* A finished stamp's document, streamed from its file (unlinked first: it is the
 * answer's now), with what the stamp did in headers (JSON, non-ASCII escaped, since header
 * values are not UTF-8: RFC 9110 5.5). */
static int answer_document(call *c, const seal_stamp_result *res)
{
    int fd = open(res->output, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return seal_error_set(SEAL_EIO, "cannot open the sealed document: %s", strerror(errno));
    unlink(res->output);
    http_response_file(c->resp, 200, serve_media_type(res->format), fd);
    seal_buf before = SEAL_BUF_INIT, after = SEAL_BUF_INIT;
    seal_hex_encode(&before, res->digests.before, res->digests.len, false);
    seal_hex_encode(&after, res->digests.after, res->digests.len, false);
    json_t *places = json_array();
    for (size_t i = 0; i < res->n_placements; i++)
        json_array_append_new(places,
                              json_pack("{s:i, s:f, s:f}", "page", res->placements[i].page, "x_mm",
                                        res->placements[i].x_mm, "y_mm", res->placements[i].y_mm));
    json_t *summary = json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s}", "seal", res->seal_id, "format", res->format,
        "how", res->how ? res->how : "", "signer", res->signer ? res->signer : "", "placements",
        places, "digest_algorithm", res->digests.md ? seal_digest_name(res->digests.md) : "",
        "input_digest", before.len ? (const char *)before.data : "", "output_digest",
        after.len ? (const char *)after.data : "");
    if (summary && (res->n_findings || res->normalised)) {
        json_object_set_new(summary, "findings", findings_json(res));
        json_object_set_new(summary, "normalised", json_boolean(res->normalised));
    }
    char *text = summary ? json_dumps(summary, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    if (text)
        http_response_header(c->resp, "X-Seal-Stamp", "%s", text);
    free(text);
    json_decref(summary);
    if (res->warnings && res->warnings[0]) {
        json_t *w = json_array();
        for (size_t i = 0; res->warnings[i]; i++)
            json_array_append_new(w, json_string(res->warnings[i]));
        char *wtext = json_dumps(w, JSON_COMPACT | JSON_ENSURE_ASCII);
        if (wtext)
            http_response_header(c->resp, "X-Seal-Warnings", "%s", wtext);
        free(wtext);
        json_decref(w);
    }
    seal_buf_clear(&before);
    seal_buf_clear(&after);
    c->resp->outcome = "stamped";
    return 0;
}

/* The grant a stamp uses (docs/authorisations.md): the `grant` parameter; for a desk
 * session without one, its person's grant on the seal that is active now (the oldest, so
 * that the grant made first is used up first). A session stamps only under its person's
 * own grants (the desk shows a clerk the seals granted to them): another's grant, or none
 * that is active, is refused. 0 with rq->grant_id set (or 0: no grant, which the driver
 * refuses when the seal needs one), 1 when it answered, or an error. */
static int read_grant(call *c, seal_stamp_request *rq, const char *seal_id)
{
    const char *text = call_param(c, "grant");
    if (text) {
        gint64 id = 0;
        if (!g_ascii_string_to_signed(text, 10, 1, G_MAXINT64, &id, NULL)) {
            http_problem(c->resp, c->req, 400, "invalid-request", NULL,
                         "grant must be a grant's id, a positive number");
            return 1;
        }
        rq->grant_id = id;
    }
    if (!c->has_session)
        return 0;
    seal_grant_record *grants = NULL;
    size_t n = 0;
    int rc = seal_store_grant_list_for(c->store, c->session.person_id, &grants, &n);
    if (rc < 0)
        return rc;
    bool own = false;
    int64_t pick = 0;
    time_t now = time(NULL);
    for (size_t i = 0; i < n; i++) {
        if (text)
            own |= grants[i].id == rq->grant_id;
        else if (strcmp(grants[i].seal_id, seal_id) == 0 &&
                 seal_grant_state_at(&grants[i], now) == SEAL_GRANT_ACTIVE &&
                 (!pick || grants[i].id < pick))
            pick = grants[i].id;
    }
    seal_grant_records_free(grants, n);
    if (text && !own) {
        http_problem(c->resp, c->req, 403, "grant-forbidden", NULL, "grant %s is not one of yours",
                     text);
        return 1;
    }
    if (!text && !pick) {
        http_problem(c->resp, c->req, 403, "grant-required", NULL,
                     "you hold no grant to use seal %s now; ask its seal administrator for one",
                     seal_id);
        return 1;
    }
    if (!text)
        rq->grant_id = pick;
    return 0;
}

int call_stamp(call *c, bool external, int document_fd, const char *document_name)
{
    int rc = 0, fd = document_fd;
    const char *name = document_name;
    seal_record seal = {0};
    stamp_input in = {0};
    seal_stamp_request rq = {0};
    seal_stamp_result res = {0};
    char *pin = NULL, *actor = NULL, *output = NULL;
    const char *seal_id = call_param(c, "seal");
    if (!seal_id || !*seal_id) {
        rc = http_problem(c->resp, c->req, 400, "invalid-request", NULL,
                          "which seal? give the seal parameter (GET /api/v1/seals lists yours)");
        goto out;
    }
    if ((rc = auth_seal(c, seal_id, &seal)) != 0)
        goto out;
    if (seal.locked) {
        rc = http_problem(c->resp, c->req, 423, "seal-locked", NULL,
                          "seal %s is locked (too many wrong PINs, or by an administrator); an "
                          "administrator must unlock it",
                          seal_id);
        goto out;
    }
    const char *pin_param = call_param(c, "pin");
    if (!external && (!pin_param || !*pin_param)) {
        rc = http_problem(c->resp, c->req, 400, "pin-required", NULL,
                          "the seal's PIN is required (the pin field); or prepare the stamp for "
                          "an external signer at /api/v1/stamp/prepare");
        goto out;
    }
    if (external && pin_param) {
        rc = http_problem(c->resp, c->req, 400, "invalid-request", NULL,
                          "a prepared stamp is signed elsewhere: send no PIN");
        goto out;
    }
    if ((rc = read_stamp_input(c, &in, &rq, external)) != 0 ||
        (rc = read_grant(c, &rq, seal_id)) != 0)
        goto out;
    if (fd < 0 && (rc = call_document(c, &fd, &name)) != 0)
        goto out;
    pin = external ? NULL : g_strdup(pin_param);
    actor = auth_actor(c);
    output = g_strdup_printf("%s/%s-%s", c->svc->work_dir, external ? "prepared" : "out",
                             c->req->request_id);
    rq.input = name;
    rq.input_is_fd = true;
    rq.input_fd = fd;
    rq.output = output;
    rq.password = call_param(c, "password");
    rq.seal_id = seal_id;
    rq.pin = pin;
    rq.actor = actor;
    int stamped = seal_stamp(&res, c->store, &rq);
    if (pin)
        seal_secure_zero(pin, strlen(pin));
    metrics_stamp(c->svc->metrics, res.format, seal_key_alg_name(seal.alg),
                  stamped < 0 ? "refused"
                  : external  ? "prepared"
                              : "stamped");
    if (stamped == SEAL_EPOLICY && res.n_findings) {
        /* Refused by the input policy: the findings, each with its kind, for a program. */
        rc = http_problem(c->resp, c->req, 422, "input-refused",
                          json_pack("{s:o}", "findings", findings_json(&res)), "%s",
                          seal_error_last());
        unlink(output);
        goto out;
    }
    if (stamped < 0) {
        rc = call_stamp_refused(c, res.usage, seal_id, stamped);
        unlink(output); /* a refused stamp writes nothing; this is only in case */
        goto out;
    }
    if (external) {
        rc = call_json(c, 200, stamp_prepared_json(&res, NULL));
        c->resp->outcome = "prepared";
    } else {
        rc = answer_document(c, &res);
    }
out:
    if (fd >= 0)
        close(fd);
    g_free(pin);
    g_free(actor);
    g_free(output);
    seal_record_clear(&seal);
    stamp_input_clear(&in);
    seal_stamp_result_clear(&res);
    return rc < 0 ? rc : 0;
}

int route_stamp(call *c)
{
    return call_stamp(c, false, -1, NULL);
}

int route_stamp_prepare(call *c)
{
    return call_stamp(c, true, -1, NULL);
}

/* {"signature": BASE64, "certificate": PEM (optional)} */
int route_stamp_finish(call *c)
{
    int rc = 0;
    json_t *body = NULL;
    json_error_t err;
    seal_pending_record pending = {0};
    seal_record seal = {0};
    seal_stamp_result res = {0};
    seal_trust *trust = NULL;
    seal_revocation *revocation = NULL;
    guchar *signature = NULL;
    gsize signature_len = 0;
    char *actor = NULL, *prefix = NULL;
    if (!call_type_is(c->req->content_type, "application/json")) {
        rc = http_problem(c->resp, c->req, 415, "unsupported-media-type", NULL,
                          "finish takes application/json: {\"signature\": BASE64, "
                          "\"certificate\": PEM}");
        goto out;
    }
    if (c->req->body_fd >= 0 || c->req->body_len > FINISH_BODY_LIMIT) {
        rc = http_problem(c->resp, c->req, 413, "body-too-large", NULL,
                          "a finish request is at most 64 KiB");
        goto out;
    }
    body = json_loadb((const char *)c->req->body, c->req->body_len, JSON_REJECT_DUPLICATES, &err);
    if (!body) {
        rc = http_problem(c->resp, c->req, 400, "malformed-json", NULL,
                          "the body is not JSON: %s (line %d, column %d)", err.text, err.line,
                          err.column);
        goto out;
    }
    json_t *sig = json_object_get(body, "signature"), *cert = json_object_get(body, "certificate");
    if (!json_is_object(body) || !json_is_string(sig) || (cert && !json_is_string(cert))) {
        rc = http_problem(c->resp, c->req, 400, "invalid-request", NULL,
                          "the body must be an object with signature (a base64 string) and "
                          "optionally certificate (a PEM string)");
        goto out;
    }
    const char *sig_text = json_string_value(sig);
    if (!*sig_text ||
        strspn(sig_text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                         "0123456789+/=") != strlen(sig_text) ||
        !(signature = g_base64_decode(sig_text, &signature_len)) || signature_len == 0) {
        rc = http_problem(c->resp, c->req, 400, "invalid-request", NULL,
                          "signature must be the signature's bytes in base64");
        goto out;
    }
    rc = seal_store_pending_get(c->store, c->id, &pending);
    if (rc == SEAL_ENOTFOUND) {
        rc = http_problem(c->resp, c->req, 404, "pending-not-found", NULL,
                          "there is no pending stamp %s (finished, expired or never prepared)",
                          c->id);
        goto out;
    }
    if (rc < 0)
        goto out;
    if ((rc = auth_seal(c, pending.seal_id, &seal)) != 0)
        goto out;
    /* Only stamps this service prepared: their output is its to stream and remove. */
    prefix = g_strdup_printf("%s/prepared-", c->svc->work_dir);
    if (!g_str_has_prefix(pending.output, prefix)) {
        rc = http_problem(c->resp, c->req, 409, "pending-not-ours", NULL,
                          "pending stamp %s was prepared on the command line; finish it there",
                          c->id);
        goto out;
    }
    if (pending.level >= SEAL_LEVEL_B_T) {
        seal_verify_file_opts opts = {.store = c->store};
        if ((rc = seal_verify_trust_load(&trust, &opts)) < 0)
            goto out;
    }
    if (pending.level >= SEAL_LEVEL_B_LT &&
        (rc = seal_verify_revocation_new(&revocation, c->store, NULL, false, NULL, 0)) < 0)
        goto out;
    /* A TSA the requester named: the revocation sources its certificates name are guarded
     * as the TSA itself is. */
    if (revocation && g_strcmp0(pending.tsa_url, c->svc->cfg->tsa_url) != 0)
        seal_revocation_set_guard(revocation, c->svc->outbound);
    actor = auth_actor(c);
    seal_stamp_finish_request rq = {
        .pending_id = c->id,
        .signature = signature,
        .signature_len = signature_len,
        .certificate_pem = cert ? (const uint8_t *)json_string_value(cert) : NULL,
        .certificate_pem_len = cert ? strlen(json_string_value(cert)) : 0,
        .actor = actor,
        .trust = trust,
        .revocation = revocation,
        .tsa_guard = c->svc->outbound,
        .tsa_url_trusted = c->svc->cfg->tsa_url,
    };
    int finished = seal_stamp_finish(&res, c->store, &rq);
    metrics_stamp(c->svc->metrics, pending.format, seal_key_alg_name(seal.alg),
                  finished < 0 ? "refused" : "stamped");
    if (finished < 0) {
        rc = http_problem_from_error(c->resp, c->req, finished);
        goto out;
    }
    rc = answer_document(c, &res);
out:
    json_decref(body);
    g_free(signature);
    g_free(actor);
    g_free(prefix);
    seal_trust_free(trust);
    seal_revocation_free(revocation);
    seal_pending_record_clear(&pending);
    seal_record_clear(&seal);
    seal_stamp_result_clear(&res);
    return rc < 0 ? rc : 0;
}
