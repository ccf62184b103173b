/* A database URL made safe to show: the password a postgresql:// URL may carry (in its
 * userinfo or as a password= parameter, the two places libpq reads it from) is left out
 * of every message and log line. db.c keeps the URL without it for seal_db_url, and the
 * password's spellings to scrub from what the engine says (libpq repeats a URI it cannot
 * parse). */
#include "db/db_internal.h"

#include <glib.h>
#include <string.h>

#define SHOWN_MAX 512

/* The percent-decoded form of a URL part, or a copy when it does not decode. */
static char *decode(const char *start, size_t len)
{
    char *raw = g_strndup(start, len);
    char *plain = g_uri_unescape_string(raw, NULL);
    if (!plain)
        return raw;
    g_free(raw);
    return plain;
}

static bool is_password_param(const char *param, size_t len)
{
    const char *eq = memchr(param, '=', len);
    char *key = decode(param, eq ? (size_t)(eq - param) : len);
    bool yes = strcmp(key, "password") == 0;
    g_free(key);
    return yes;
}

typedef struct url_parts {
    const char *userinfo; /* NULL when there is none */
    size_t userinfo_len;
    const char *host;  /* authority after the userinfo, then path, query, fragment */
    const char *query; /* after '?', to the end: libpq knows no fragment, and reads a '#'
                          as part of the last parameter */
    size_t query_len;
} url_parts;

/* Splits scheme://userinfo@host/path?query#fragment, as RFC 3986 does unless the URL is
 * malformed in a way that could hide a password: a '/', '?' or '#' not percent-encoded in
 * it (user:pa/ss@host) moves the '@' past where RFC 3986 ends the authority. So when the
 * text before the URL's last '@' holds a ':', all of it is taken as userinfo; a correct
 * URL with an '@' in its query then only shows less of itself. False when `url` has no
 * "://". */
static bool split(const char *url, url_parts *p)
{
    memset(p, 0, sizeof *p);
    const char *sep = strstr(url, "://");
    if (!sep)
        return false;
    const char *auth = sep + 3;
    size_t auth_len = strcspn(auth, "/?#");
    const char *at = NULL;
    for (size_t i = 0; i < auth_len; i++)
        if (auth[i] == '@')
            at = auth + i;
    const char *last_at = strrchr(auth, '@');
    if (last_at && memchr(auth, ':', (size_t)(last_at - auth)))
        at = last_at;
    p->host = auth;
    if (at) {
        p->userinfo = auth;
        p->userinfo_len = (size_t)(at - auth);
        p->host = at + 1;
    }
    const char *q = strchr(p->host, '?');
    if (q) {
        p->query = q + 1;
        p->query_len = strlen(p->query);
    }
    return true;
}

char *db_url_redact(const char *url)
{
    url_parts p;
    if (!split(url, &p)) {
        bool shown = g_str_has_prefix(url, "sqlite:") ||
                     (strlen(url) <= SHOWN_MAX && !strstr(url, "password") &&
                      !strstr(url, "PASSWORD") && g_utf8_validate(url, -1, NULL));
        return g_strdup(shown ? url : DB_URL_HIDDEN);
    }
    const char *colon = p.userinfo ? memchr(p.userinfo, ':', p.userinfo_len) : NULL;
    size_t user_len = colon ? (size_t)(colon - p.userinfo) : p.userinfo_len;
    /* A user name with '/', '?' or '#' is the host, path and query of a URL whose query
     * holds a ':' and an '@' (split() took all of it for userinfo): a password= parameter
     * may be in it (h/db?password=s&x=a:b@c, found by fuzz_db_text), so nothing is shown. */
    if (p.userinfo && (memchr(p.userinfo, '/', user_len) || memchr(p.userinfo, '?', user_len) ||
                       memchr(p.userinfo, '#', user_len)))
        return g_strdup(DB_URL_HIDDEN);
    GString *out = g_string_new(NULL);
    const char *auth = p.userinfo ? p.userinfo : p.host;
    g_string_append_len(out, url, (gssize)(auth - url));
    if (p.userinfo) {
        g_string_append_len(out, p.userinfo, (gssize)user_len);
        g_string_append_c(out, '@');
    }
    const char *rest = p.host;
    if (p.query) {
        /* host and path, then the query without its password parameters */
        g_string_append_len(out, rest, (gssize)(p.query - rest));
        const char *param = p.query, *end = p.query + p.query_len;
        bool first = true;
        while (param < end) {
            const char *amp = memchr(param, '&', (size_t)(end - param));
            size_t len = amp ? (size_t)(amp - param) : (size_t)(end - param);
            if (!is_password_param(param, len)) {
                if (!first)
                    g_string_append_c(out, '&');
                g_string_append_len(out, param, (gssize)len);
                first = false;
            }
            param += len + (amp ? 1 : 0);
        }
        if (first) /* nothing left after '?' */
            g_string_truncate(out, out->len - 1);
        rest = end;
    }
    g_string_append(out, rest);
    if (out->len > SHOWN_MAX) {
        g_string_truncate(out, SHOWN_MAX);
        g_string_append(out, "...");
    }
    return g_string_free(out, FALSE);
}

static void add_spelling(GPtrArray *list, char *text)
{
    for (guint i = 0; i < list->len; i++)
        if (strcmp(g_ptr_array_index(list, i), text) == 0) {
            g_free(text);
            return;
        }
    g_ptr_array_add(list, text);
}

/* The password as written and decoded, and the pieces between any '/', '?', '#' or '@'
 * in it: libpq, parsing by RFC 3986, may cut a password written with those unencoded and
 * repeat a piece ("invalid integer value "..." for connection option "port""). */
static void add_spellings(GPtrArray *list, const char *raw, size_t len)
{
    if (len == 0)
        return;
    char *written = g_strndup(raw, len);
    char **pieces = g_strsplit_set(written, "/?#@", -1);
    for (char **piece = pieces; *piece; piece++)
        if (**piece)
            add_spelling(list, g_strdup(*piece));
    g_strfreev(pieces);
    add_spelling(list, decode(raw, len));
    add_spelling(list, written);
}

/* The password= parameters of the query [param, end). */
static void add_query_passwords(GPtrArray *list, const char *param, const char *end)
{
    while (param && param < end) {
        const char *amp = memchr(param, '&', (size_t)(end - param));
        size_t len = amp ? (size_t)(amp - param) : (size_t)(end - param);
        const char *eq = memchr(param, '=', len);
        if (eq && is_password_param(param, len))
            add_spellings(list, eq + 1, len - (size_t)(eq + 1 - param));
        param += len + (amp ? 1 : 0);
    }
}

char **db_url_passwords(const char *url)
{
    url_parts p;
    GPtrArray *list = g_ptr_array_new();
    if (split(url, &p)) {
        const char *colon = p.userinfo ? memchr(p.userinfo, ':', p.userinfo_len) : NULL;
        if (colon)
            add_spellings(list, colon + 1, p.userinfo_len - (size_t)(colon + 1 - p.userinfo));
        add_query_passwords(list, p.query, p.query ? p.query + p.query_len : NULL);
        /* The query as libpq reads it (RFC 3986), when split() took it for
         * userinfo: its password= parameters too. */
        const char *q = p.userinfo ? memchr(p.userinfo, '?', p.userinfo_len) : NULL;
        if (q)
            add_query_passwords(list, q + 1, q + 1 + strlen(q + 1));
    }
    g_ptr_array_add(list, NULL);
    return (char **)g_ptr_array_free(list, FALSE);
}
