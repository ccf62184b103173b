/* Loads libcurl on first use (see curl_lazy.h) through the lazy loader (lazy.h). The
 * library's name is the soname found at configure time (SEAL_CURL_SONAME), so the version
 * loaded is the one the headers were compiled against. */
#include "base/curl_lazy.h"

#include "base/lazy.h"

#include <seal/error.h>

#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* What callers get, and curl_global_init, which only the start hook calls. */
static struct {
    seal_curl fns;
    __typeof__(curl_global_init) *global_init;
} curl;

/* seal_curl's fields, each the name of a libcurl function without its curl_ prefix. */
#define CURL_FUNCTIONS(X)                                                                          \
    X(easy_init)                                                                                   \
    X(easy_setopt)                                                                                 \
    X(easy_perform)                                                                                \
    X(easy_getinfo)                                                                                \
    X(easy_cleanup)                                                                                \
    X(easy_strerror)                                                                               \
    X(slist_append)                                                                                \
    X(slist_free_all)                                                                              \
    X(url)                                                                                         \
    X(url_set)                                                                                     \
    X(url_get)                                                                                     \
    X(url_cleanup)                                                                                 \
    X(free)
#define CURL_SYMBOL(name) {"curl_" #name, &curl.fns.name},
static const seal_lazy_symbol symbols[] = {
    CURL_FUNCTIONS(CURL_SYMBOL)
    /* and the start hook's */
    {"curl_global_init", &curl.global_init},
};
SEAL_LAZY_COVERS(symbols, curl);

/* Once per process: curl_global_init's state lives as long as the process (the library is
 * never unloaded). */
static const char *start(void)
{
    return curl.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? NULL : "curl_global_init failed";
}

static seal_lazy library =
    SEAL_LAZY_LIBRARY(SEAL_CURL_SONAME, "libcurl", "fetching over HTTP", SEAL_EIO, symbols, start);

int seal_curl_get(const seal_curl **out)
{
    int rc = seal_lazy_load(&library);
    *out = rc < 0 ? NULL : &curl.fns;
    return rc;
}

static curl_socket_t open_checked(void *ctx, curlsocktype purpose, struct curl_sockaddr *a)
{
    seal_curl_guard *g = ctx;
    char addr[INET6_ADDRSTRLEN] = "";
    (void)purpose;
    if (a->family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)&a->addr)->sin_addr, addr, sizeof addr);
    else if (a->family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&a->addr)->sin6_addr, addr, sizeof addr);
    if (!seal_net_guard_allows(g->guard, addr)) {
        g_strlcpy(g->refused, *addr ? addr : "(not an IP address)", sizeof g->refused);
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype, a->protocol);
}

void seal_curl_guard_install(const seal_curl *cu, CURL *easy, seal_curl_guard *g)
{
    g->refused[0] = '\0';
    if (!g->guard)
        return;
    cu->easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, open_checked);
    cu->easy_setopt(easy, CURLOPT_OPENSOCKETDATA, g);
}

int seal_curl_guard_check(const seal_curl_guard *g, const char *where)
{
    if (!g->refused[0])
        return 0;
    return seal_error_set(SEAL_EPOLICY,
                          "%s: not connected: its host is at %s, an internal address (%s names "
                          "the internal networks that may be reached)",
                          where, g->refused, seal_net_guard_setting(g->guard));
}
