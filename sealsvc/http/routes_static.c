/* The web pages (docs/serve.md "Web pages"): GET /verify/ answers the page's
 * index.html, GET /web/{rest} any other file of the web folder (sealsvc/web/, installed
 * with the program; cmd_serve.c finds it). Only regular files of a known kind inside the
 * folder are served: no directory listing, no dot segment or hidden name, nothing a
 * symbolic link leads to outside the folder. Every answer says its type and forbids
 * sniffing; every HTML answer carries the Content-Security-Policy the pages are written
 * for (no inline script, nothing from elsewhere). */
#include "service.h"

#include <seal/error.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The pages load scripts, styles and pictures from here only; the seal pictures and page
 * thumbnails of a verify report are data: URLs or blobs the page makes. */
static const char page_csp[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'";

static const struct {
    const char *suffix, *type;
} kinds[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".woff2", "font/woff2"},
};

static const char *kind_of(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++)
        if (g_str_has_suffix(name, kinds[i].suffix))
            return kinds[i].type;
    return NULL;
}

/* A relative name whose every segment is a plain name: not empty, not starting with a
 * dot (".", "..", hidden files), no control character. */
static bool name_plain(const char *rel)
{
    if (!*rel)
        return false;
    for (const char *s = rel; s; s = strchr(s, '/')) {
        if (*s == '/')
            s++;
        if (*s == '\0' || *s == '/' || *s == '.')
            return false;
    }
    for (const char *p = rel; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\')
            return false;
    return true;
}

static int not_found(call *c)
{
    return http_problem(c->resp, c->req, 404, "no-such-resource", NULL, "there is no page at %s",
                        c->req->path_shown);
}

/* Answers the file `rel` of the web folder, or 404. */
static int serve_file(call *c, const char *rel)
{
    const char *root = c->svc->web_root;
    const char *type = kind_of(rel);
    char *joined = NULL, *real = NULL;
    int fd = -1, rc = 0;
    struct stat st;
    if (!root || !type || !name_plain(rel)) {
        rc = not_found(c);
        goto out;
    }
    joined = g_build_filename(root, rel, NULL);
    real = realpath(joined, NULL);
    /* A symbolic link may stay inside the folder; where it leads must. */
    size_t n = strlen(root);
    if (!real || strncmp(real, root, n) != 0 || real[n] != '/') {
        rc = not_found(c);
        goto out;
    }
    fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = not_found(c);
        goto out;
    }
    http_response_header(c->resp, "X-Content-Type-Options", "nosniff");
    http_response_header(c->resp, "Referrer-Policy", "no-referrer");
    /* Revalidated on every load: a new sealsvc's pages are never mixed with old ones. */
    http_response_header(c->resp, "Cache-Control", "no-cache");
    if (g_str_has_suffix(rel, ".html"))
        http_response_header(c->resp, "Content-Security-Policy", "%s", page_csp);
    rc = http_response_file(c->resp, 200, type, fd);
    fd = -1;
out:
    if (fd >= 0)
        close(fd);
    free(real);
    g_free(joined);
    return rc;
}

int route_page(call *c)
{
    /* The route's pattern is the page's folder: "/verify/" is web/verify/index.html. */
    const char *route = c->resp->route;
    char *rel = g_strdup_printf("%.*sindex.html", (int)strlen(route) - 1, route + 1);
    int rc = serve_file(c, rel);
    g_free(rel);
    return rc;
}

int route_web_file(call *c)
{
    return serve_file(c, c->id);
}

int serve_web_root(char **out, const char *configured, const char *const *candidates)
{
    *out = NULL;
    if (configured) {
        char *real = realpath(configured, NULL);
        struct stat st;
        if (!real || stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
            free(real);
            return seal_error_set(SEAL_EIO, "the web folder %s is not a folder that can be read",
                                  configured);
        }
        *out = g_strdup(real);
        free(real);
        return 0;
    }
    for (size_t i = 0; candidates[i]; i++) {
        char *index = g_build_filename(candidates[i], "verify", "index.html", NULL);
        bool found = g_file_test(index, G_FILE_TEST_IS_REGULAR);
        g_free(index);
        char *real = found ? realpath(candidates[i], NULL) : NULL;
        if (real) {
            *out = g_strdup(real);
            free(real);
            return 0;
        }
    }
    return 0;
}
