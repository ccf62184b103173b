/* Who is calling (DESIGN.md "The service", Auth): `Authorization: Bearer KEY` (RFC 6750)
 * on every route but the public ones, the key checked against the store (seal/store.h:
 * only its MAC is kept), its role against the route's, and a key that acts for an
 * institution kept to that institution's seals. Refusals are 401 (no key, not a key, a
 * revoked or expired key: WWW-Authenticate says so) and 403 (a role or an institution that
 * may not).
 *
 * The clerk desk's browsers come without a key, with the `sealsvc_session` cookie of a
 * login (routes_session.c): the session acts as a clerk key of the person's institution,
 * named "person:ID" in the log and the audit trail. A cookie goes with every request the
 * browser makes to this site, whoever's page asks, so every mutating request made with it
 * must also carry the session's CSRF token in X-CSRF-Token, which only the desk's own page
 * can read (the synchronizer token pattern; SameSite=Strict is the second line). */
#include "service.h"

#include <seal/error.h>

#include <openssl/crypto.h>
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

char *auth_session_token(const call *c)
{
    const char *header = http_request_header(c->req, "Cookie");
    char *token = NULL;
    /* RFC 6265 5.4: "name=value" pairs separated by "; " */
    gchar **pairs = header ? g_strsplit(header, ";", 0) : NULL;
    for (gchar **p = pairs; p && *p && !token; p++) {
        const char *pair = *p + strspn(*p, " \t");
        if (g_str_has_prefix(pair, DESK_COOKIE "="))
            token = g_strdup(pair + strlen(DESK_COOKIE "="));
    }
    g_strfreev(pairs);
    return token;
}

seal_desk_policy auth_desk_policy(const call *c)
{
    const serve_config *cfg = c->svc->cfg;
    return (seal_desk_policy){.idle = cfg->desk_idle,
                              .lifetime = cfg->desk_lifetime,
                              .slow_after = 3,
                              .lock_after = 5,
                              .lock_for = cfg->desk_lock_for};
}

static bool method_reads(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

/* The caller by its desk session: 0 with c->session and c->key (a clerk of its
 * institution), 1 when it answered (401 no or an ended session, 403 a missing or wrong
 * CSRF token), or an error. */
static int session_check(call *c, const char *token)
{
    seal_desk_policy policy = auth_desk_policy(c);
    int rc = seal_store_desk_session_check(c->store, token, time(NULL), &policy, &c->session);
    if (rc == SEAL_EAUTH) {
        http_problem(c->resp, c->req, 401, "no-session", NULL, "%s", seal_error_last());
        return 1;
    }
    if (rc < 0)
        return rc;
    c->has_session = c->has_key = true;
    snprintf(c->key.id, sizeof c->key.id, "person:%lld", (long long)c->session.person_id);
    c->key.role = g_strdup("clerk");
    c->key.institution = g_strdup(c->session.institution_code);
    if (!method_reads(c->req->method)) {
        const char *csrf = http_request_header(c->req, "X-CSRF-Token");
        size_t len = strlen(c->session.csrf);
        if (!csrf || strlen(csrf) != len || CRYPTO_memcmp(csrf, c->session.csrf, len) != 0) {
            http_problem(c->resp, c->req, 403, "csrf", NULL,
                         "%s %s with a desk session needs the session's X-CSRF-Token header",
                         c->req->method, c->req->path_shown);
            return 1;
        }
    }
    return 0;
}

int auth_bearer(call *c, const char *header)
{
    if (strncasecmp(header, "Bearer ", 7) != 0)
        return seal_error_set(SEAL_EAUTH,
                              "the Authorization header must be 'Bearer KEY' (RFC 6750)");
    const char *key = header + 7;
    while (*key == ' ')
        key++;
    int rc = seal_store_apikey_check(c->store, key, time(NULL), &c->key);
    if (rc == SEAL_EAUTH) {
        /* a revoked or expired key is still named in the log */
        if (c->key.id[0])
            c->resp->caller = g_strdup(c->key.id);
        seal_apikey_record_clear(&c->key);
        return rc;
    }
    c->has_key = rc == 0;
    return rc;
}

int auth_check(call *c, unsigned roles)
{
    const char *header = http_request_header(c->req, "Authorization");
    if (!header || !*header) {
        char *token = auth_session_token(c);
        int rc = token ? session_check(c, token) : 0;
        if (token)
            OPENSSL_cleanse(token, strlen(token));
        g_free(token);
        if (!c->has_session && rc == 0)
            return unauthorized(c, "no-api-key",
                                "this resource needs an API key (Authorization: Bearer KEY) or a "
                                "desk session");
        if (rc != 0)
            return rc;
    } else {
        int rc = auth_bearer(c, header);
        if (rc == SEAL_EAUTH) {
            char *why = g_strdup(seal_error_last());
            unauthorized(c, "bad-api-key", why);
            g_free(why);
            return 1;
        }
        if (rc < 0)
            return rc;
    }
    if (!(role_bit(c->key.role) & roles)) {
        http_problem(c->resp, c->req, 403, "role-forbidden", NULL,
                     "%s with the role %s may not call %s %s",
                     c->has_session ? "a desk session" : "an API key", c->key.role, c->req->method,
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
                     "%s%s acts for institution %s; seal %s is another institution's",
                     c->has_session ? "" : "API key ", c->key.id, c->key.institution, id);
        seal_record_clear(r);
        return 1;
    }
    return 0;
}

char *auth_actor(const call *c)
{
    if (c->has_session)
        return g_strdup(c->key.id);
    return g_strdup_printf("apikey:%s", c->has_key ? c->key.id : "none");
}
