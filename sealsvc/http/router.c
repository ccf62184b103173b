/* The service's routes, in one table: the router matches a request's method and path
 * against it, the table is what `sealsvc serve --routes` prints and what the tests hold
 * docs/openapi.json against (every route documented, nothing documented that is not
 * served). Dispatch: refuse a path with a dot segment, find the route (404, or 405 with
 * Allow), check the key and role, open the request's store handle, run the handler. */
#include "service.h"

#include <seal/error.h>

#include <string.h>

const serve_route serve_routes[] = {
    {"GET", "/healthz", ROUTE_PUBLIC, false, route_healthz},
    {"GET", "/readyz", ROUTE_PUBLIC, false, route_readyz},
    {"GET", "/metrics", ROUTE_PUBLIC, false, route_metrics},
    {"GET", "/api/v1/openapi.json", ROUTE_PUBLIC, false, route_openapi},
    {"POST", "/api/v1/stamp", ROLES_STAMP, true, route_stamp},
    {"POST", "/api/v1/stamp/prepare", ROLES_STAMP, true, route_stamp_prepare},
    {"POST", "/api/v1/stamp/{id}/finish", ROLES_STAMP, true, route_stamp_finish},
    {"POST", "/api/v1/verify", ROUTE_PUBLIC, true, route_verify},
    /* uploaded documents: previews, text search, stamping (routes_documents.c) */
    {"POST", "/api/v1/documents", ROLES_STAMP, true, route_document_upload},
    {"GET", "/api/v1/documents/{id}", ROLES_STAMP, true, route_document},
    {"GET", "/api/v1/documents/{id}/pages/{n}", ROLES_STAMP, true, route_document_page},
    {"GET", "/api/v1/documents/{id}/find", ROLES_STAMP, true, route_document_find},
    {"POST", "/api/v1/documents/{id}/stamp", ROLES_STAMP, true, route_document_stamp},
    /* the clerk desk's session (routes_session.c) */
    {"POST", "/api/v1/session", ROUTE_PUBLIC, true, route_session_create},
    {"GET", "/api/v1/session", ROLE_CLERK, true, route_session},
    {"DELETE", "/api/v1/session", ROLE_CLERK, true, route_session_delete},
    {"GET", "/api/v1/seals", ROLES_ANY, true, route_seals},
    {"GET", "/api/v1/seals/{id}", ROLES_ANY, true, route_seal},
    {"GET", "/api/v1/seals/{id}/picture", ROLES_ANY, true, route_seal_picture},
    /* institutions, people and their roles, API keys (routes_admin.c) */
    {"GET", "/api/v1/institutions", ROLE_ADMIN, true, route_institutions},
    {"POST", "/api/v1/institutions", ROLE_ADMIN, true, route_institution_create},
    {"GET", "/api/v1/institutions/{code}", ROLE_ADMIN, true, route_institution},
    {"GET", "/api/v1/people", ROLE_ADMIN, true, route_people},
    {"POST", "/api/v1/people", ROLE_ADMIN, true, route_person_create},
    {"GET", "/api/v1/people/{id}", ROLE_ADMIN, true, route_person},
    {"POST", "/api/v1/people/{id}/roles", ROLE_ADMIN, true, route_person_role_add},
    {"DELETE", "/api/v1/people/{id}/roles/{role}", ROLE_ADMIN, true, route_person_role_remove},
    {"GET", "/api/v1/apikeys", ROLE_ADMIN, true, route_apikeys},
    {"POST", "/api/v1/apikeys", ROLE_ADMIN, true, route_apikey_create},
    {"POST", "/api/v1/apikeys/{id}/revoke", ROLE_ADMIN, true, route_apikey_revoke},
    /* grants and the seals that need one (routes_grants.c) */
    {"GET", "/api/v1/grants", ROLE_ADMIN, true, route_grants},
    {"POST", "/api/v1/grants", ROLE_ADMIN, true, route_grant_create},
    {"GET", "/api/v1/grants/{id}", ROLE_ADMIN, true, route_grant},
    {"POST", "/api/v1/grants/{id}/revoke", ROLE_ADMIN, true, route_grant_revoke},
    {"GET", "/api/v1/seals/{id}/grant-rule", ROLE_ADMIN, true, route_grant_rule},
    {"PUT", "/api/v1/seals/{id}/grant-rule", ROLE_ADMIN, true, route_grant_rule_set},
    /* a seal's lifecycle and its lock (routes_lifecycle.c) */
    {"GET", "/api/v1/seals/{id}/events", ROLES_READ, true, route_seal_events},
    {"POST", "/api/v1/seals/{id}/events", ROLE_ADMIN, true, route_seal_event_add},
    {"GET", "/api/v1/seals/{id}/state", ROLES_READ, true, route_seal_state},
    {"POST", "/api/v1/seals/{id}/lock", ROLE_ADMIN, true, route_seal_lock},
    {"POST", "/api/v1/seals/{id}/unlock", ROLE_ADMIN, true, route_seal_unlock},
    /* certificates: status, the CA's operations (routes_certs.c) */
    {"GET", "/api/v1/certificates/{serial}/status", ROLES_ANY, true, route_cert_status},
    {"POST", "/api/v1/certificates/{serial}/revoke", ROLE_ADMIN, true, route_cert_revoke},
    {"POST", "/api/v1/certificates/{serial}/freeze", ROLE_ADMIN, true, route_cert_freeze},
    {"POST", "/api/v1/certificates/{serial}/unfreeze", ROLE_ADMIN, true, route_cert_unfreeze},
    /* the audit trail (routes_audit.c) */
    {"GET", "/api/v1/audit", ROLES_READ, true, route_audit},
    {"GET", "/api/v1/audit/verify", ROLES_READ, true, route_audit_verify},
    /* batch jobs (routes_jobs.c) */
    {"GET", "/api/v1/jobs", ROLES_STAMP, true, route_jobs},
    {"POST", "/api/v1/jobs", ROLES_STAMP, true, route_job_submit},
    {"GET", "/api/v1/jobs/{id}", ROLES_STAMP, true, route_job},
    {"GET", "/api/v1/jobs/{id}/documents/{n}", ROLES_STAMP, true, route_job_document},
    {"GET", "/api/v1/jobs/{id}/result.zip", ROLES_STAMP, true, route_job_zip},
    {"POST", "/api/v1/jobs/{id}/cancel", ROLES_STAMP, true, route_job_cancel},
    /* remote signing, CSC API v2 (routes_csc.c): public to the router, since the routes
     * check the access token themselves and answer in the specification's own errors */
    {"POST", "/csc/v2/info", ROUTE_PUBLIC, false, route_csc_info},
    {"POST", "/csc/v2/credentials/list", ROUTE_PUBLIC, true, route_csc_credentials_list},
    {"POST", "/csc/v2/credentials/info", ROUTE_PUBLIC, true, route_csc_credentials_info},
    {"POST", "/csc/v2/credentials/authorize", ROUTE_PUBLIC, true, route_csc_credentials_authorize},
    {"POST", "/csc/v2/signatures/signHash", ROUTE_PUBLIC, true, route_csc_sign_hash},
    {"POST", "/csc/v2/signatures/signDoc", ROUTE_PUBLIC, true, route_csc_sign_doc},
    {"POST", "/tsa", ROUTE_PUBLIC, false, route_tsa},
    {"POST", "/ocsp", ROUTE_PUBLIC, false, route_ocsp},
    {"GET", "/ocsp/{rest}", ROUTE_PUBLIC, false, route_ocsp},
    {"GET", "/crl/{id}", ROUTE_PUBLIC, false, route_crl},
    /* the web pages and their files (routes_static.c) */
    {"GET", "/verify/", ROUTE_PUBLIC, false, route_page},
    {"GET", "/desk/", ROUTE_PUBLIC, false, route_page},
    {"GET", "/web/{rest}", ROUTE_PUBLIC, false, route_web_file},
};
const size_t serve_route_count = sizeof serve_routes / sizeof serve_routes[0];

/* Whether `path` fits `pattern`; the text of each {name} segment goes to params[] (into
 * `buf`), in order, at most SERVE_PATH_PARAMS. A last segment {rest} takes the remainder
 * of the path as it is, slashes and empty segments included: RFC 6960 A.1's GET
 * /ocsp/{base64 of the request}, whose alphabet has '/'. */
static bool match(const char *pattern, const char *path, char *buf, size_t size,
                  const char *params[SERVE_PATH_PARAMS])
{
    size_t used = 0, n = 0;
    memset(params, 0, SERVE_PATH_PARAMS * sizeof *params);
    while (*pattern && *path) {
        if (*pattern != '/' || *path != '/')
            return false;
        pattern++;
        path++;
        size_t seg = strcspn(path, "/"), pseg = strcspn(pattern, "/");
        bool param = pseg > 2 && pattern[0] == '{' && pattern[pseg - 1] == '}';
        bool rest = param && strcmp(pattern, "{rest}") == 0;
        if (rest)
            seg = strlen(path);
        if (param) {
            if (seg == 0 || used + seg + 1 > size || n == SERVE_PATH_PARAMS)
                return false;
            memcpy(buf + used, path, seg);
            buf[used + seg] = '\0';
            params[n++] = buf + used;
            used += seg + 1;
        } else if (pseg != seg || strncmp(pattern, path, seg) != 0) {
            return false;
        }
        pattern += pseg;
        path += seg;
    }
    return !*pattern && !*path;
}

/* A control character or a backslash: no path has them. */
static bool path_has_controls(const char *path)
{
    for (const char *p = path; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\')
            return true;
    return false;
}

/* Not starting with '/', or with a "." or ".." segment or an empty one ("//"): no route
 * names a resource that way, and such a path is refused as such rather than as unknown
 * (but for a {rest} route, whose remainder is data, not a name). */
static bool path_segments_clean(const char *path)
{
    if (path[0] != '/')
        return false;
    for (const char *s = path; s; s = strchr(s + 1, '/')) {
        size_t n = strcspn(s + 1, "/");
        if ((n == 1 && s[1] == '.') || (n == 2 && s[1] == '.' && s[2] == '.') ||
            (n == 0 && s[1] == '/'))
            return false;
    }
    return true;
}

int serve_dispatch(void *ctx, const http_request *req, http_response *resp)
{
    service *svc = ctx;
    int rc = 0;
    char param_buf[512];
    const char *params[SERVE_PATH_PARAMS] = {0};
    const serve_route *found = NULL;
    GString *allow = g_string_new(NULL);
    call c = {.svc = svc, .req = req, .resp = resp};
    bool clean = !path_has_controls(req->path) && path_segments_clean(req->path);
    for (size_t i = 0; i < serve_route_count; i++) {
        const serve_route *r = &serve_routes[i];
        const char *got[SERVE_PATH_PARAMS];
        /* Only a {rest} route may take a path with odd segments (its remainder names no
         * resource, it is data), and none one with control characters. */
        if ((!clean &&
             (path_has_controls(req->path) || !g_str_has_suffix(r->pattern, "/{rest}"))) ||
            !match(r->pattern, req->path, param_buf, sizeof param_buf, got))
            continue;
        bool head = strcmp(req->method, "HEAD") == 0 && strcmp(r->method, "GET") == 0;
        if (strcmp(r->method, req->method) == 0 || head) {
            found = r;
            memcpy(params, got, sizeof params);
            break;
        }
        g_string_append_printf(allow, "%s%s", allow->len ? ", " : "", r->method);
    }
    if (!found && !clean) {
        resp->route = "(invalid path)";
        rc = http_problem(resp, req, 400, "invalid-path", NULL,
                          "the path has an empty, '.' or '..' segment or a control character; no "
                          "resource is named that way");
        goto out;
    }
    if (!found && allow->len) {
        resp->route = "(method not allowed)";
        http_response_header(resp, "Allow", "%s", allow->str);
        rc = http_problem(resp, req, 405, "method-not-allowed", NULL, "%s takes %s, not %s",
                          req->path_shown, allow->str, req->method);
        goto out;
    }
    /* A CSC method this service does not implement is the specification's 501 (its clients
     * read that), not a missing resource. */
    if (!found && g_str_has_prefix(req->path, "/csc/v2/")) {
        resp->route = "(CSC method not implemented)";
        rc = route_csc_not_implemented(&c);
        goto out;
    }
    if (!found) {
        resp->route = "(no route)";
        rc = http_problem(resp, req, 404, "no-such-resource", NULL,
                          "there is no resource at %s (the API is described at "
                          "/api/v1/openapi.json)",
                          req->path_shown);
        goto out;
    }
    /* The route's name is the table's string: a literal that outlives the request. */
    resp->route = found->pattern;
    c.id = params[0];
    c.sub = params[1];
    if (found->roles != ROUTE_PUBLIC || found->store) {
        rc = seal_store_pool_take(svc->stores, &c.store);
        if (rc < 0)
            goto out;
    }
    if (found->roles != ROUTE_PUBLIC) {
        rc = auth_check(&c, found->roles);
        if (rc != 0)
            goto out;
    }
    rc = found->handler(&c);
out:
    if (c.has_key && !resp->caller)
        resp->caller = g_strdup(c.key.id);
    seal_apikey_record_clear(&c.key);
    seal_desk_session_clear(&c.session);
    seal_store_pool_give(svc->stores, c.store);
    g_string_free(allow, TRUE);
    return rc < 0 ? rc : 0;
}
