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
    {"GET", "/api/v1/seals", ROLES_ANY, true, route_seals},
    {"GET", "/api/v1/seals/{id}", ROLES_ANY, true, route_seal},
    {"GET", "/api/v1/seals/{id}/picture", ROLES_ANY, true, route_seal_picture},
    {"POST", "/api/v1/jobs", ROLES_STAMP, true, route_job_submit},
    {"GET", "/api/v1/jobs/{id}", ROLES_STAMP, true, route_job},
    {"GET", "/api/v1/jobs/{id}/documents/{n}", ROLES_STAMP, true, route_job_document},
    {"GET", "/api/v1/jobs/{id}/result.zip", ROLES_STAMP, true, route_job_zip},
    {"POST", "/api/v1/jobs/{id}/cancel", ROLES_STAMP, true, route_job_cancel},
    {"POST", "/tsa", ROUTE_PUBLIC, false, route_tsa},
    {"POST", "/ocsp", ROUTE_PUBLIC, false, route_ocsp},
    {"GET", "/ocsp/{rest}", ROUTE_PUBLIC, false, route_ocsp},
    {"GET", "/crl/{id}", ROUTE_PUBLIC, false, route_crl},
};
const size_t serve_route_count = sizeof serve_routes / sizeof serve_routes[0];

/* Whether `path` fits `pattern`; the text of its {NAME} segments goes to ids[0] and
 * ids[1], in order (into `buf`). A last segment {rest} takes the remainder of the path as
 * it is, slashes and empty segments included: RFC 6960 A.1's GET /ocsp/{base64 of the
 * request}, whose alphabet has '/'. */
static bool match(const char *pattern, const char *path, char *buf, size_t size, const char *ids[2])
{
    size_t used = 0, n_ids = 0;
    ids[0] = ids[1] = NULL;
    while (*pattern && *path) {
        if (*pattern != '/' || *path != '/')
            return false;
        pattern++;
        path++;
        if (strcmp(pattern, "{rest}") == 0) {
            size_t len = strlen(path);
            if (len == 0 || len >= size)
                return false;
            memcpy(buf, path, len + 1);
            ids[0] = buf;
            return true;
        }
        size_t seg = strcspn(path, "/"), pseg = strcspn(pattern, "/");
        if (pattern[0] == '{' && pattern[pseg - 1] == '}' && n_ids < 2) {
            if (seg == 0 || seg >= size - used)
                return false;
            memcpy(buf + used, path, seg);
            buf[used + seg] = '\0';
            ids[n_ids++] = buf + used;
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
    char id_buf[256];
    const char *ids[2] = {NULL, NULL};
    const serve_route *found = NULL;
    GString *allow = g_string_new(NULL);
    call c = {.svc = svc, .req = req, .resp = resp};
    bool clean = !path_has_controls(req->path) && path_segments_clean(req->path);
    for (size_t i = 0; i < serve_route_count; i++) {
        const serve_route *r = &serve_routes[i];
        const char *got[2];
        /* Only a {rest} route may take a path with odd segments (its remainder names no
         * resource, it is data), and none one with control characters. */
        if ((!clean &&
             (path_has_controls(req->path) || !g_str_has_suffix(r->pattern, "/{rest}"))) ||
            !match(r->pattern, req->path, id_buf, sizeof id_buf, got))
            continue;
        bool head = strcmp(req->method, "HEAD") == 0 && strcmp(r->method, "GET") == 0;
        if (strcmp(r->method, req->method) == 0 || head) {
            found = r;
            ids[0] = got[0];
            ids[1] = got[1];
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
                          req->path, allow->str, req->method);
        goto out;
    }
    if (!found) {
        resp->route = "(no route)";
        rc = http_problem(resp, req, 404, "no-such-resource", NULL,
                          "there is no resource at %s (the API is described at "
                          "/api/v1/openapi.json)",
                          req->path);
        goto out;
    }
    /* The route's name is the table's string: a literal that outlives the request. */
    resp->route = found->pattern;
    c.id = ids[0];
    c.sub = ids[1];
    if (found->roles != ROUTE_PUBLIC || found->store) {
        rc = seal_store_open_db(&c.store, svc->cfg->db_url, svc->cfg->data_dir, false);
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
    seal_store_close(c.store);
    g_string_free(allow, TRUE);
    return rc < 0 ? rc : 0;
}
