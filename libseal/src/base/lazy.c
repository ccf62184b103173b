/* The one loader of libraries used on first use (see lazy.h): dlopen once, every symbol
 * resolved into its slot, the start hook run, and the outcome kept so that every later
 * call answers at once, with the same error when the library could not be had. */
#include "base/lazy.h"

#include <seal/error.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* A slot is a function pointer written from dlsym's void * (POSIX dlsym: they have the
 * same representation). */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "function pointers fit in void *");

enum { NOT_TRIED = 0, LOADED, FAILED };

/* One lock for every library: loading happens a few times per process at most. */
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

static int load(seal_lazy *lib)
{
    /* RTLD_NOW: a library that lacks what it needs fails here, as an error, rather than
     * aborting the process in the middle of a stamp (our libraries are linked with
     * BIND_NOW anyway, so RTLD_LAZY would save nothing). RTLD_LOCAL: its symbols stay
     * out of the global scope. RTLD_NODELETE: never unloaded (lazy.h). */
    void *handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!handle) {
        const char *why = dlerror();
        snprintf(lib->failure, sizeof lib->failure, "it cannot be loaded (%s)",
                 why ? why : "dlopen failed");
        return FAILED;
    }
    for (size_t i = 0; i < lib->n_symbols; i++) {
        void *fn = dlsym(handle, lib->symbols[i].name);
        if (!fn) {
            snprintf(lib->failure, sizeof lib->failure,
                     "it has no %s (another version than the one it was built against?)",
                     lib->symbols[i].name);
            return FAILED;
        }
        memcpy(lib->symbols[i].slot, &fn, sizeof fn);
    }
    const char *not_started = lib->start ? lib->start() : NULL;
    if (not_started) {
        snprintf(lib->failure, sizeof lib->failure, "it could not be started (%s)", not_started);
        return FAILED;
    }
    return LOADED;
}

int seal_lazy_load(seal_lazy *lib)
{
    int state = atomic_load_explicit(&lib->state, memory_order_acquire);
    if (state == NOT_TRIED) {
        pthread_mutex_lock(&load_lock);
        state = atomic_load_explicit(&lib->state, memory_order_relaxed);
        if (state == NOT_TRIED) {
            state = load(lib);
            /* Release: whoever sees LOADED sees the slots filled. */
            atomic_store_explicit(&lib->state, state, memory_order_release);
        }
        pthread_mutex_unlock(&load_lock);
    }
    if (state == LOADED)
        return 0;
    return seal_error_set(lib->code, "%s needs %s (%s), and %s", lib->needed_for, lib->library,
                          lib->soname, lib->failure);
}
