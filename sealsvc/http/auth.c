/* Who is calling (DESIGN.md "The service", Auth): `Authorization: Bearer KEY` (RFC 6750)
 * on every route but the public ones, the key checked against the store (seal/store.h:
 * only its MAC is kept), its role against the route's, and a key that acts for an
 * institution kept to that institution's seals. Refusals are 401 (no key, not a key, a
 * revoked or expired key: WWW-Authenticate says so) and 403 (a role or an institution that
 * may not). */
#include "service.h"

#include <seal/error.h>

#include <string.h>
#include <strings.h>
#include <time.h>

static unsigned role_bit(const char *role)
{
    static const struct {
        const char *name;
        unsigned bit;
    } map[] = {{"admin", ROLE_ADMIN},
               {"portal", ROLE_PORTAL},
               {"clerk", ROLE_CLERK},
               {"auditor", ROLE_AUDITOR}};
    for (size_t i = 0; role && i < G_N_ELEMENTS(map); i++)
        if (strcmp(role, map[i].name) == 0)
            return map[i].bit;
    return 0;
}

static int unauthorized(call *c, const char *code, const char *why)
{
    http_response_header(c->resp, "WWW-Authenticate", "Bearer realm=\"sealsvc\"%s",
                         strcmp(code, "no-api-key") == 0 ? "" : ", error=\"invalid_token\"");
    http_problem(c->resp, c->req, 401, code, NULL, "%s", why);
    return 1;
}

int auth_check(call *c, unsigned roles)
{
    const char *header = http_request_header(c->req, "Authorization");
    if (!header || !*header)
        return unauthorized(c, "no-api-key",
                            "this resource needs an API key: Authorization: Bearer KEY");
    if (strncasecmp(header, "Bearer ", 7) != 0)
        return unauthorized(c, "bad-api-key",
                            "the Authorization header must be 'Bearer KEY' (RFC 6750)");
    const char *key = header + 7;
    while (*key == ' ')
        key++;
    int rc = seal_store_apikey_check(c->store, key, time(NULL), &c->key);
    if (rc == SEAL_EAUTH) {
        /* a revoked or expired key is still named in the log */
        if (c->key.id[0])
            c->resp->caller = g_strdup(c->key.id);
        char *why = g_strdup(seal_error_last());
        seal_apikey_record_clear(&c->key);
        unauthorized(c, "bad-api-key", why);
        g_free(why);
        return 1;
    }
    if (rc < 0)
        return rc;
    c->has_key = true;
    if (!(role_bit(c->key.role) & roles)) {
        http_problem(c->resp, c->req, 403, "role-forbidden", NULL,
                     "an API key with the role %s may not call %s %s", c->key.role, c->req->method,
                     c->req->path_shown);
        return 1;
    }
    return 0;
}

bool auth_may_use_seal(const call *c, const seal_record *r)
{
    if (!c->has_key)
        return false;
    if (!c->key.institution || strcmp(c->key.role, "admin") == 0)
        return true;
    return r->owner_code && strcmp(r->owner_code, c->key.institution) == 0;
}

int auth_seal(call *c, const char *id, seal_record *r)
{
    int rc = seal_store_get_seal(c->store, id, r);
    if (rc == SEAL_ENOTFOUND) {
        http_problem(c->resp, c->req, 404, "seal-not-found", NULL, "there is no seal %s", id);
        return 1;
    }
    if (rc < 0)
        return rc;
    if (!auth_may_use_seal(c, r)) {
        http_problem(c->resp, c->req, 403, "seal-forbidden", NULL,
                     "API key %s acts for institution %s; seal %s is another institution's",
                     c->key.id, c->key.institution, id);
        seal_record_clear(r);
        return 1;
    }
    return 0;
}

char *auth_actor(const call *c)
{
    return g_strdup_printf("apikey:%s", c->has_key ? c->key.id : "none");
}
