/* Problem documents (see problem.h) and the one table from libseal's error codes to HTTP
 * statuses and our codes. */
#include "problem.h"

#include <seal/error.h>

#include <glib.h>
#include <stdarg.h>
#include <string.h>

static const struct {
    int err;
    unsigned status;
    const char *code;
} error_map[] = {
    {SEAL_EINVAL, 400, "invalid-request"},
    {SEAL_ENOMEM, 500, "internal-error"},
    {SEAL_EIO, 500, "internal-error"},
    {SEAL_EFORMAT, 422, "document-refused"},
    {SEAL_ECRYPTO, 422, "signature-refused"},
    {SEAL_EPKI, 422, "certificate-refused"},
    {SEAL_EPOLICY, 409, "policy-refused"},
    {SEAL_EAUTH, 403, "pin-refused"},
    {SEAL_ESTORE, 503, "store-unavailable"},
    {SEAL_ENOTFOUND, 404, "not-found"},
    {SEAL_EEXISTS, 409, "exists"},
    {SEAL_EUNSUPPORTED, 422, "unsupported"},
};

/* RFC 9110 15's reason phrases for the statuses we send. */
static const char *title_for(unsigned status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Content Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 423:
        return "Locked";
    case 429:
        return "Too Many Requests";
    case 503:
        return "Service Unavailable";
    default:
        return status >= 500 ? "Internal Server Error" : "Error";
    }
}

void http_problem_for_error(int err, unsigned *status, const char **code)
{
    *status = 500;
    *code = "internal-error";
    for (size_t i = 0; i < G_N_ELEMENTS(error_map); i++)
        if (error_map[i].err == err) {
            *status = error_map[i].status;
            *code = error_map[i].code;
        }
}

int http_problem(http_response *resp, const http_request *req, unsigned status, const char *code,
                 json_t *extra, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *raw = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* A message may quote bytes of the request (a file name); JSON wants UTF-8. */
    char *detail = g_utf8_make_valid(raw, -1);
    g_free(raw);
    char *type = g_strdup_printf("urn:sealsvc:problem:%s", code);
    json_t *j = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", type, "title", title_for(status),
                          "status", (int)status, "detail", detail, "code", code);
    if (j && req && req->request_id)
        json_object_set_new(j, "request_id", json_string(req->request_id));
    if (j && req && (req->path_shown || req->path))
        json_object_set_new(j, "instance",
                            json_string(req->path_shown ? req->path_shown : req->path));
    if (j && extra)
        json_object_update(j, extra);
    json_decref(extra);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    g_free(detail);
    g_free(type);
    if (!text)
        return seal_error_set(SEAL_ENOMEM, "out of memory for a problem document");
    seal_buf_clear(&resp->body);
    int rc = http_response_set(resp, status, HTTP_PROBLEM_TYPE, text, strlen(text));
    free(text);
    resp->outcome = code;
    return rc;
}

int http_problem_from_error(http_response *resp, const http_request *req, int err)
{
    unsigned status;
    const char *code;
    http_problem_for_error(err, &status, &code);
    if (status >= 500) {
        http_log("error", req ? req->request_id : NULL, "%s error: %s",
                 seal_error_class_name(seal_error_last_class()), seal_error_last());
        return http_problem(resp, req, status, code, NULL,
                            "the server could not complete the request (request id %s in its log)",
                            req && req->request_id ? req->request_id : "?");
    }
    return http_problem(resp, req, status, code, NULL, "%s", seal_error_last());
}
