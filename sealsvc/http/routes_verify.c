/* POST /api/v1/verify: a document in (raw body or the multipart part "file"), the verify
 * driver's report out, as `sealsvc verify --format F` writes it: JSON by default
 * (seal_report_to_json), or the one-page HTML report (text/html) or the text (text/plain),
 * chosen by ?format= or else the Accept header; with ?pictures=1 the JSON also holds each
 * seal as its page shows it and a thumbnail of that page (base64 PNG), for the
 * verification page (web/verify/). Public, so limited per client address (429 with
 * Retry-After). */
#include "service.h"

#include <seal/error.h>
#include <seal/report.h>
#include <seal/verify.h>

#include <string.h>
#include <strings.h>
#include <unistd.h>

typedef struct report_type {
    const char *format;       /* ?format= */
    const char *media_type;   /* what Accept may ask for */
    const char *content_type; /* the answer's */
    int (*render)(const seal_report *r, seal_buf *out);
} report_type;

/* The PDF report (application/pdf) is sealed with the platform's verification seal, which
 * the service does not hold a PIN for: it is made on the platform's command line (`sealsvc
 * verify --format pdf`); asking the service for it is 406. */
static const report_type types[] = {
    {"json", "application/json", "application/json", seal_report_to_json},
    {"html", "text/html", "text/html; charset=utf-8", seal_report_to_html},
    {"text", "text/plain", "text/plain; charset=utf-8", seal_report_to_text},
};

/* ?format= when given; else the first type of the Accept header we make (RFC 9110 12.5.1,
 * q-values aside: a client lists what it prefers first); else JSON. NULL when what was
 * asked for is nothing we make (the caller answers 406). */
static const report_type *choose_type(call *c, bool *asked_pdf)
{
    const char *format = call_param(c, "format");
    *asked_pdf = false;
    if (format) {
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcmp(format, types[i].format) == 0)
                return &types[i];
        *asked_pdf = strcmp(format, "pdf") == 0;
        return NULL;
    }
    const char *accept = http_request_header(c->req, "Accept");
    const report_type *best = NULL;
    size_t best_at = SIZE_MAX;
    for (size_t i = 0; accept && i < sizeof types / sizeof types[0]; i++) {
        const char *at = strcasestr(accept, types[i].media_type);
        if (at && (size_t)(at - accept) < best_at) {
            best = &types[i];
            best_at = (size_t)(at - accept);
        }
    }
    if (best)
        return best;
    if (accept && strcasestr(accept, "application/pdf") && !strstr(accept, "*/*")) {
        *asked_pdf = true;
        return NULL;
    }
    return &types[0];
}

int route_verify(call *c)
{
    int rc = 0, fd = -1;
    const char *name = NULL;
    seal_report *report = NULL;
    seal_buf body = SEAL_BUF_INIT;
    unsigned wait = rate_limit_take(c->svc->verify_limit, c->req->peer);
    if (wait) {
        http_response_header(c->resp, "Retry-After", "%u", wait);
        rc = http_problem(c->resp, c->req, 429, "rate-limited",
                          json_pack("{s:i}", "retry_after", (int)wait),
                          "too many verifications from %s; try again in %u s", c->req->peer, wait);
        goto out;
    }
    int64_t pictures = 0;
    if ((rc = call_query_int(c, "pictures", 0, 1, &pictures)) != 0)
        goto out;
    bool asked_pdf = false;
    const report_type *type = choose_type(c, &asked_pdf);
    if (!type) {
        rc = asked_pdf ? http_problem(c->resp, c->req, 406, "format-unavailable", NULL,
                                      "the sealed PDF report is made on the platform "
                                      "(sealsvc verify --format pdf); ask for "
                                      "format=html and print it")
                       : call_bad_field(c, "format", "format is json, html, text or pdf");
        goto out;
    }
    if ((rc = call_document(c, &fd, &name)) != 0)
        goto out;
    seal_verify_file_opts opts = {
        /* The HTML report shows each seal as printed and where it sits on its page. */
        .pictures = pictures == 1 || type->render == seal_report_to_html,
        .store = c->store,
        .offline = c->svc->cfg->verify_offline,
        .guard = c->svc->outbound,
        .password = call_param(c, "password"),
    };
    rc = seal_verify_fd(&report, fd, name, &opts);
    if (rc < 0) {
        rc = http_problem_from_error(c->resp, c->req, rc);
        goto out;
    }
    if ((rc = type->render(report, &body)) < 0)
        goto out;
    /* The HTML report names nothing outside itself; the policy holds it to that, should a
     * name from the document ever slip through its escaping. */
    if (type->render == seal_report_to_html)
        http_response_header(c->resp, "Content-Security-Policy", "%s",
                             "default-src 'none'; img-src data:; style-src 'unsafe-inline'");
    rc = http_response_set(c->resp, 200, type->content_type, body.data, body.len);
    c->resp->outcome = seal_verdict_name(report->verdict);
out:
    if (fd >= 0)
        close(fd);
    seal_buf_clear(&body);
    seal_report_free(report);
    return rc < 0 ? rc : 0;
}
