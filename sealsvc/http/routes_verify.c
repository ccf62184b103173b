/* POST /api/v1/verify: a document in (raw body or the multipart part "file"), the verify
 * driver's report out as JSON, the same report `sealsvc verify --json` prints
 * (seal_report_to_json); with ?pictures=1 also each seal as its page shows it and a
 * thumbnail of that page (base64 PNG), for the verification page (web/verify/). Public,
 * so limited per client address (429 with Retry-After). */
#include "service.h"

#include <seal/error.h>
#include <seal/report.h>
#include <seal/verify.h>

#include <unistd.h>

int route_verify(call *c)
{
    int rc = 0, fd = -1;
    const char *name = NULL;
    seal_report *report = NULL;
    seal_buf json = SEAL_BUF_INIT;
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
    if ((rc = call_document(c, &fd, &name)) != 0)
        goto out;
    seal_verify_file_opts opts = {
        .pictures = pictures == 1,
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
    if ((rc = seal_report_to_json(report, &json)) < 0)
        goto out;
    rc = http_response_set(c->resp, 200, "application/json", json.data, json.len);
    c->resp->outcome = seal_verdict_name(report->verdict);
out:
    if (fd >= 0)
        close(fd);
    seal_buf_clear(&json);
    seal_report_free(report);
    return rc < 0 ? rc : 0;
}
