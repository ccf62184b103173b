/* What the administration routes (routes_admin.c, routes_grants.c, routes_lifecycle.c,
 * routes_certs.c, routes_audit.c) share: reading a JSON request body against a table of
 * its members, query parameters that are times or numbers, and the answer to a refusal by
 * libseal. A request that does not fit its schema is 400 naming the member; one that fits
 * but that the library refuses (an invalid credit code, an invalid resident ID) is 422.
 * No message here quotes a value the client sent: it may be an identity number. */
#include "service.h"

#include "cli.h"

#include <seal/error.h>

#include <stdarg.h>
#include <string.h>

#define JSON_BODY_LIMIT (64u * 1024u)

static const char *type_name(body_type t)
{
    switch (t) {
    case BODY_STRING:
        return "a string";
    case BODY_INTEGER:
        return "a whole number";
    case BODY_BOOLEAN:
        return "true or false";
    case BODY_TIME:
        return "a time (2026-12-31 or 2026-12-31T18:00:00Z)";
    }
    return "?";
}

static bool fits(json_t *v, body_type t)
{
    time_t ignored;
    switch (t) {
    case BODY_STRING:
        return json_is_string(v);
    case BODY_INTEGER:
        return json_is_integer(v);
    case BODY_BOOLEAN:
        return json_is_boolean(v);
    case BODY_TIME:
        if (!json_is_string(v))
            return false;
        if (cli_parse_time(json_string_value(v), &ignored) < 0) {
            seal_error_clear();
            return false;
        }
        return true;
    }
    return false;
}

int call_bad_field(call *c, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *detail = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    http_problem(c->resp, c->req, 400, "invalid-request", json_pack("{s:s}", "field", field), "%s",
                 detail);
    g_free(detail);
    return 1;
}

/* jansson's message without the text it stopped at ("invalid token near '1101...'"):
 * that text may be an identity number. */
static void parse_problem(call *c, const json_error_t *err)
{
    char *text = g_strdup(err->text);
    char *near = strstr(text, " near '");
    if (near)
        *near = '\0';
    http_problem(c->resp, c->req, 400, "malformed-json", NULL,
                 "the body is not JSON: %s (line %d, column %d)", text, err->line, err->column);
    g_free(text);
}

int call_json_body(call *c, const body_member *members, size_t n, json_t **out)
{
    const http_request *req = c->req;
    json_t *body = NULL;
    json_error_t err;
    *out = NULL;
    if (req->body_fd < 0 && req->body_len == 0 && req->n_fields == 0 && req->n_files == 0) {
        body = json_object();
    } else {
        if (!call_type_is(req->content_type, "application/json")) {
            http_problem(c->resp, req, 415, "unsupported-media-type", NULL,
                         "send the body as application/json (not %s)",
                         req->content_type ? req->content_type : "without a Content-Type");
            return 1;
        }
        if (req->body_fd >= 0 || req->body_len > JSON_BODY_LIMIT) {
            http_problem(c->resp, req, 413, "body-too-large", NULL,
                         "a JSON request body is at most 64 KiB");
            return 1;
        }
        body = json_loadb((const char *)req->body, req->body_len, JSON_REJECT_DUPLICATES, &err);
        if (!body) {
            parse_problem(c, &err);
            return 1;
        }
    }
    if (!json_is_object(body)) {
        json_decref(body);
        http_problem(c->resp, req, 400, "invalid-request", NULL, "the body must be a JSON object");
        return 1;
    }
    const char *key;
    json_t *value;
    json_object_foreach(body, key, value)
    {
        size_t i = 0;
        while (i < n && strcmp(members[i].name, key) != 0)
            i++;
        if (i == n) {
            /* the name as logs show a path: a number sent as a name is not quoted whole */
            char *shown = http_path_shown(key);
            GString *known = g_string_new(NULL);
            for (size_t k = 0; k < n; k++)
                g_string_append_printf(known, "%s%s", k ? ", " : "", members[k].name);
            call_bad_field(c, shown, "the body has an unknown member '%s' (it takes %s)", shown,
                           n ? known->str : "none");
            g_string_free(known, TRUE);
            g_free(shown);
            json_decref(body);
            return 1;
        }
        if (!fits(value, members[i].type)) {
            call_bad_field(c, key, "%s must be %s", key, type_name(members[i].type));
            json_decref(body);
            return 1;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (members[i].required && !json_object_get(body, members[i].name)) {
            call_bad_field(c, members[i].name, "the body needs %s (%s)", members[i].name,
                           type_name(members[i].type));
            json_decref(body);
            return 1;
        }
    *out = body;
    return 0;
}

const char *body_text(json_t *body, const char *name)
{
    return json_string_value(json_object_get(body, name));
}

time_t body_time(json_t *body, const char *name, time_t otherwise)
{
    const char *text = body_text(body, name);
    time_t t = otherwise;
    if (text && cli_parse_time(text, &t) < 0)
        return otherwise; /* call_json_body parsed it already */
    return t;
}

int call_query_time(call *c, const char *name, time_t *out)
{
    const char *text = http_request_query(c->req, name);
    if (!text)
        return 0;
    if (cli_parse_time(text, out) < 0)
        return call_bad_field(c, name,
                              "%s must be a time: 2026-12-31, 2026-12-31T18:00:00Z, "
                              "@SECONDS or now",
                              name);
    return 0;
}

int call_query_int(call *c, const char *name, int64_t min, int64_t max, int64_t *out)
{
    const char *text = http_request_query(c->req, name);
    if (!text)
        return 0;
    char *end = NULL;
    gint64 v = g_ascii_strtoll(text, &end, 10);
    if (!*text || !end || *end || v < min || v > max)
        return call_bad_field(c, name, "%s must be a whole number from %lld to %lld", name,
                              (long long)min, (long long)max);
    *out = v;
    return 0;
}

int call_path_number(call *c, const char *id, const char *not_found_code, int64_t *out)
{
    char *end = NULL;
    gint64 v = id && *id ? g_ascii_strtoll(id, &end, 10) : 0;
    /* Ids are counted from 1; one of 11 digits or more is no id of ours but may be an
     * identity number a client sent by mistake, which a message would quote back. */
    if (!end || *end || v <= 0 || strlen(id) > 10) {
        http_problem(c->resp, c->req, 404, not_found_code, NULL,
                     "there is nothing at this path: its id must be a positive number (the "
                     "list shows the ids)");
        return 1;
    }
    *out = v;
    return 0;
}

int call_refused(call *c, int err, const char *not_found_code)
{
    if (err == SEAL_EINVAL)
        return http_problem(c->resp, c->req, 422, "invalid-value", NULL, "%s", seal_error_last());
    if (err == SEAL_ENOTFOUND)
        return http_problem(c->resp, c->req, not_found_code ? 404 : 422,
                            not_found_code ? not_found_code : "unknown-reference", NULL, "%s",
                            seal_error_last());
    return http_problem_from_error(c->resp, c->req, err);
}

json_t *json_time(time_t t)
{
    if (!t)
        return json_null();
    char *text = cli_time_text(t);
    json_t *j = json_string(text);
    g_free(text);
    return j;
}

json_t *json_text(const char *text)
{
    return text ? json_string(text) : json_null();
}

const char *call_institution(const call *c)
{
    if (!c->has_key || strcmp(c->key.role, "admin") == 0)
        return NULL;
    return c->key.institution;
}
