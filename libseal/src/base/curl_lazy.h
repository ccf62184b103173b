/* libcurl, loaded on first use. Only fetching CRLs, OCSP responses and CA certificates
 * (pki/fetch.c) and asking a TSA (crypto/tsp_client.c) speak HTTP; linking libcurl made
 * every sealsvc command load it and the 16 libraries it pulls in (GnuTLS, LDAP,
 * Kerberos...) at start-up, about 2 ms of CPU and up to 5 ms of wall time each time. So
 * libseal is not linked with it: the first request opens it with dlopen and starts it
 * (curl_global_init) once per process. */
#ifndef SEAL_BASE_CURL_LAZY_H
#define SEAL_BASE_CURL_LAZY_H

#include <seal/net.h>

#include <curl/curl.h>

typedef struct seal_curl {
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
    CURLcode (*easy_perform)(CURL *curl);
    CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
    void (*easy_cleanup)(CURL *curl);
    const char *(*easy_strerror)(CURLcode code);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *text);
    void (*slist_free_all)(struct curl_slist *list);
    CURLU *(*url)(void);
    CURLUcode (*url_set)(CURLU *url, CURLUPart part, const char *content, unsigned int flags);
    CURLUcode (*url_get)(const CURLU *url, CURLUPart part, char **content, unsigned int flags);
    void (*url_cleanup)(CURLU *url);
    void (*free)(void *p);
} seal_curl;

/* The functions, loaded and started on the first call (safe from any thread); SEAL_EIO
 * naming the library when it cannot be loaded or started. */
int seal_curl_get(const seal_curl **out);

/* A transfer whose sockets are opened only to addresses an outbound guard allows
 * (seal/net.h): the URL's host is resolved first, so the check sees the real address. */
typedef struct seal_curl_guard {
    const seal_net_guard *guard; /* NULL: any address */
    char refused[48];            /* the address refused, "" while none was */
} seal_curl_guard;

/* Makes `curl` open its sockets through `g` (nothing to do when g->guard is NULL). */
void seal_curl_guard_install(const seal_curl *cu, CURL *curl, seal_curl_guard *g);
/* After the transfer: SEAL_EPOLICY naming the refused address, `where` (the URL as it may
 * be shown) and the setting that allows it; 0 when nothing was refused. */
int seal_curl_guard_check(const seal_curl_guard *g, const char *where);

#endif
