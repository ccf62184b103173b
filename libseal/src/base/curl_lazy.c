/* Loads libcurl on first use (see curl_lazy.h). The library's name is the soname found at
 * configure time (SEAL_CURL_SONAME), so the version loaded is the one the headers were
 * compiled against. */
#include "base/curl_lazy.h"

#include <seal/error.h>

#include <dlfcn.h>
#include <pthread.h>

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static seal_curl fns;
static const char *load_error; /* NULL once loaded and started */

#define LOAD(field, name)                                                                          \
    do {                                                                                           \
        *(void **)&fns.field = dlsym(lib, name);                                                   \
        if (!fns.field) {                                                                          \
            load_error = "a libcurl function is missing (" name ")";                               \
            return;                                                                                \
        }                                                                                          \
    } while (0)

static void load(void)
{
    load_error = "it cannot be loaded";
    /* Never unloaded: curl_global_init's state lives as long as the process. */
    void *lib = dlopen(SEAL_CURL_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!lib)
        return;
    CURLcode (*global_init)(long flags);
    *(void **)&global_init = dlsym(lib, "curl_global_init");
    if (!global_init) {
        load_error = "a libcurl function is missing (curl_global_init)";
        return;
    }
    LOAD(easy_init, "curl_easy_init");
    LOAD(easy_setopt, "curl_easy_setopt");
    LOAD(easy_perform, "curl_easy_perform");
    LOAD(easy_getinfo, "curl_easy_getinfo");
    LOAD(easy_cleanup, "curl_easy_cleanup");
    LOAD(easy_strerror, "curl_easy_strerror");
    LOAD(slist_append, "curl_slist_append");
    LOAD(slist_free_all, "curl_slist_free_all");
    LOAD(url, "curl_url");
    LOAD(url_set, "curl_url_set");
    LOAD(url_get, "curl_url_get");
    LOAD(url_cleanup, "curl_url_cleanup");
    LOAD(free, "curl_free");
    load_error = global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? NULL : "it could not start";
}

int seal_curl_get(const seal_curl **out)
{
    pthread_once(&load_once, load);
    *out = load_error ? NULL : &fns;
    if (load_error)
        return seal_error_set(SEAL_EIO, "the HTTP client (%s) is needed here, and %s",
                              SEAL_CURL_SONAME, load_error);
    return 0;
}
