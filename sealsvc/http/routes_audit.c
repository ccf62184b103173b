/* The audit trail for auditors and administrators: GET /api/v1/audit lists its records
 * (seal_store_audit_query: by target, action, actor and time, a page at a time after a
 * record id) and GET /api/v1/audit/verify recomputes its keyed chain
 * (seal_store_audit_verify), what `sealsvc audit list` and `audit verify` print. A key
 * that acts for one institution reads only the records of its own seals. */
#include "service.h"

#include <seal/audit.h>
#include <seal/error.h>

#include <string.h>

#define PAGE_DEFAULT 100
#define PAGE_MAX     1000

/* An institution's key must name one of its seals as the target: 0, or 1 when it
 * answered (403, 404). */
static int scope(call *c, const char *target)
{
    if (!call_institution(c))
        return 0;
    if (!target || strncmp(target, "seal:", 5) != 0) {
        http_problem(c->resp, c->req, 403, "institution-forbidden", NULL,
                     "API key %s acts for institution %s: it reads the records of its own "
                     "seals, target=seal:ID",
                     c->key.id, c->key.institution);
        return 1;
    }
    seal_record r = {0};
    int rc = auth_seal(c, target + 5, &r);
    seal_record_clear(&r);
    return rc;
}

int route_audit(call *c)
{
    seal_audit_record *records = NULL;
    size_t n = 0;
    int64_t after = 0, limit = PAGE_DEFAULT;
    seal_audit_query q = {
        .target = http_request_query(c->req, "target"),
        .action = http_request_query(c->req, "action"),
        .actor = http_request_query(c->req, "actor"),
    };
    char *target = NULL;
    int rc = 0;
    if (call_query_time(c, "from", &q.from) || call_query_time(c, "to", &q.to) ||
        call_query_int(c, "after", 0, INT64_MAX, &after) ||
        call_query_int(c, "limit", 1, PAGE_MAX, &limit))
        return 0;
    /* Serials are kept in lower-case hex; `openssl x509 -serial` prints upper case. */
    if (q.target && strncmp(q.target, "cert:", 5) == 0)
        q.target = target = g_ascii_strdown(q.target, -1);
    if ((rc = scope(c, q.target)) != 0)
        goto out;
    q.after = after;
    q.limit = (size_t)limit + 1; /* one more: is there a next page? */
    SEAL_TRY(seal_store_audit_query(c->store, &q, &records, &n));
    bool more = n > (size_t)limit;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n && i < (size_t)limit; i++)
        json_array_append_new(
            arr, json_pack("{s:I, s:o, s:s, s:s, s:s, s:s}", "id", (json_int_t)records[i].id, "at",
                           json_time(records[i].at), "actor", records[i].actor, "action",
                           records[i].action, "target", records[i].target, "detail",
                           records[i].detail ? records[i].detail : ""));
    rc = call_json(c, 200,
                   json_pack("{s:o, s:o}", "records", arr, "next_after",
                             more ? json_integer(records[limit - 1].id) : json_null()));
out:
    g_free(target);
    seal_audit_records_free(records, n);
    return rc < 0 ? rc : 0;
}

int route_audit_verify(call *c)
{
    const char *anchor = http_request_query(c->req, "anchor");
    if (anchor && (strlen(anchor) != 64 || strspn(anchor, "0123456789abcdefABCDEF") != 64)) {
        call_bad_field(c, "anchor",
                       "anchor takes a head the verify answered earlier: 64 hex "
                       "digits");
        return 0;
    }
    seal_audit_summary sum;
    int rc = seal_store_audit_verify(c->store, anchor, &sum);
    if (rc < 0)
        return rc;
    json_t *j = json_pack("{s:b, s:I, s:I}", "intact", (int)sum.intact, "records",
                          (json_int_t)sum.records, "keyed_from", (json_int_t)sum.keyed_from);
    if (!sum.intact) {
        json_object_set_new(j, "problem", json_string(sum.problem));
    } else {
        json_object_set_new(j, "head", json_string(sum.head));
        if (sum.records)
            json_object_set_new(j, "last",
                                json_pack("{s:I, s:o}", "id", (json_int_t)sum.last_id, "at",
                                          json_time(sum.last_at)));
        if (anchor)
            json_object_set_new(j, "anchor_id", json_integer(sum.anchor_id));
    }
    rc = call_json(c, 200, j);
    c->resp->outcome = sum.intact ? "intact" : "broken";
    return rc;
}
