/* The clerk desk's session (docs/desk.md): POST /api/v1/session logs a person in with their
 * desk password (store/desk.c counts, slows, locks and audits) and sets the session cookie;
 * GET says who is logged in (and hands the page its CSRF token again after a reload);
 * DELETE logs out. The cookie is HttpOnly (no script reads it), SameSite=Strict (no other
 * site's page sends it) and Secure when the request reached a trusted proxy over HTTPS.
 * The password, the token and the cookie never reach a log line or a message. */
#include "service.h"

#include "cli.h"

#include <seal/error.h>

#include <openssl/crypto.h>
#include <string.h>

static json_t *session_json(const seal_desk_session *s, unsigned idle)
{
    return json_pack("{s:{s:I, s:s}, s:{s:s, s:s}, s:s, s:s, s:o, s:o, s:I}", "person", "id",
                     (json_int_t)s->person_id, "name", s->person_name, "institution", "code",
                     s->institution_code, "name", s->institution_name, "role", "clerk",
                     "csrf_token", s->csrf, "created", json_time(s->created), "expires",
                     json_time(s->expires), "idle_timeout", (json_int_t)idle);
}

/* Whether the browser reached us over HTTPS: only a trusted proxy's word counts. */
static bool over_tls(const call *c)
{
    const char *proto = http_request_header(c->req, "X-Forwarded-Proto");
    return c->req->proxy && proto && g_ascii_strcasecmp(proto, "https") == 0;
}

static void set_cookie(call *c, const char *value, bool clear)
{
    http_response_header(c->resp, "Set-Cookie", "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s",
                         DESK_COOKIE, value, clear ? "; Max-Age=0" : "",
                         over_tls(c) ? "; Secure" : "");
}

/* The body's password, wiped in place once used (jansson owns the text). */
static void wipe_member(json_t *body, const char *name)
{
    json_t *v = json_object_get(body, name);
    const char *text = json_string_value(v);
    if (text)
        OPENSSL_cleanse((char *)text, strlen(text));
}

int route_session_create(call *c)
{
    static const body_member members[] = {
        {"login", BODY_STRING, true},
        {"password", BODY_STRING, true},
    };
    json_t *body = NULL;
    seal_desk_session s = {0};
    char *token = NULL;
    unsigned wait = 0;
    int rc = call_json_body(c, members, G_N_ELEMENTS(members), &body);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    const char *login = body_text(body, "login");
    char *end = NULL;
    long long person = g_ascii_strtoll(login, &end, 10);
    if (!*login || *end || person <= 0) {
        rc = call_bad_field(c, "login", "the login is the person's number ('sealsvc person list')");
        goto out;
    }
    c->resp->caller = g_strdup_printf("person:%lld", person);
    seal_desk_policy policy = auth_desk_policy(c);
    rc = seal_store_desk_login(c->store, person, body_text(body, "password"), time(NULL), &policy,
                               c->req->peer, &s, &token, &wait);
    wipe_member(body, "password");
    if (rc == SEAL_EAUTH) {
        /* After 3 wrong passwords each answer waits longer: guessing slows down before the
         * lock stops it. */
        if (wait)
            g_usleep((gulong)wait * G_USEC_PER_SEC);
        http_problem(c->resp, c->req, 401, "bad-login", NULL, "%s", seal_error_last());
        rc = 0;
        goto out;
    }
    if (rc == SEAL_EPOLICY && wait) {
        http_response_header(c->resp, "Retry-After", "%u", wait);
        http_problem(c->resp, c->req, 423, "account-locked", NULL, "%s", seal_error_last());
        rc = 0;
        goto out;
    }
    if (rc == SEAL_EPOLICY) {
        http_problem(c->resp, c->req, 403, "no-institution", NULL, "%s", seal_error_last());
        rc = 0;
        goto out;
    }
    if (rc < 0)
        goto out;
    set_cookie(c, token, false);
    rc = call_json(c, 201, session_json(&s, policy.idle));
out:
    if (token)
        OPENSSL_cleanse(token, strlen(token));
    g_free(token);
    seal_desk_session_clear(&s);
    json_decref(body);
    return rc;
}

/* 401 for a caller that is an API key, not a desk session. */
static int not_a_session(call *c)
{
    http_problem(c->resp, c->req, 401, "no-session", NULL,
                 "%s %s is the desk's: log in with POST /api/v1/session", c->req->method,
                 c->req->path_shown);
    return 0;
}

int route_session(call *c)
{
    if (!c->has_session)
        return not_a_session(c);
    return call_json(c, 200, session_json(&c->session, auth_desk_policy(c).idle));
}

int route_session_delete(call *c)
{
    if (!c->has_session)
        return not_a_session(c);
    char *token = auth_session_token(c);
    int rc = seal_store_desk_logout(c->store, token);
    if (token)
        OPENSSL_cleanse(token, strlen(token));
    g_free(token);
    if (rc == SEAL_EAUTH)
        return not_a_session(c);
    if (rc < 0)
        return rc;
    set_cookie(c, "", true);
    return http_response_set(c->resp, 204, NULL, NULL, 0) < 0 ? SEAL_ENOMEM : 0;
}
