/* Libraries loaded on first use. A few of our dependencies serve a few commands only
 * (libqpdf reads a PDF's structure, Poppler lays out and draws pages, libcurl fetches,
 * libmicrohttpd serves, libxml2 reads and writes OFD's XML, Cairo and FreeType draw);
 * linked, each would be loaded and relocated by every process at start-up, with
 * everything it pulls in (docs/performance.md). Instead the first call that needs one
 * opens it with dlopen, once per process, and fills a table of pointers to the functions
 * we call; a library that cannot be loaded is one libseal error, never a crash.
 *
 * To load a library this way (libpq, say):
 *   1. CMakeLists.txt: seal_soname(SEAL_PQ_SONAME libpq pq), pass SEAL_PQ_SONAME as a
 *      compile definition and keep SEAL_PQ_SONAME_INCLUDE_DIRS; do not link the library
 *      (libseal links with --no-undefined, so a call that misses the table fails the
 *      build).
 *   2. A table of the functions called, each field typed from the library's own header
 *      (`__typeof__(PQconnectdb) *connectdb;`), an array with one seal_lazy_symbol per
 *      field, and a static seal_lazy (SEAL_LAZY_LIBRARY) naming the library.
 *   3. One function that calls seal_lazy_load where the library's work starts, before any
 *      other of its functions, and hands its error on.
 * The callers reach the functions through the table: see base/curl_lazy.c (a pointer to
 * the table, `cu->easy_init()`), or pdf/qpdf_lazy.h (the library's names defined onto the
 * table, so that call sites read as with the library linked). */
#ifndef SEAL_BASE_LAZY_H
#define SEAL_BASE_LAZY_H

#include <stdatomic.h>
#include <stddef.h>

/* One function to resolve: its name in the library, and the function pointer it goes to
 * (`&table.field`). A variable of the library's (libxml2's xmlFree) resolves the same way,
 * into a pointer to it. */
typedef struct seal_lazy_symbol {
    const char *name;
    void *slot;
} seal_lazy_symbol;

/* One library, a static object made with SEAL_LAZY_LIBRARY: the fields up to `start`
 * describe it; the last two are seal_lazy_load's and start zeroed. */
typedef struct seal_lazy {
    const char *soname;     /* what dlopen opens: the configure-time SEAL_*_SONAME */
    const char *library;    /* its name for people: "libqpdf" */
    const char *needed_for; /* what needs it, the start of the message: "PDF support" */
    int code;               /* the SEAL_E* code returned when it cannot be had */
    const seal_lazy_symbol *symbols;
    size_t n_symbols;
    /* Optional: run once, after every symbol is resolved, to start the library
     * (curl_global_init); returns NULL when started, else what failed, for the message.
     * It must not load another library through seal_lazy_load. */
    const char *(*start)(void);

    atomic_int state;
    char failure[256];
} seal_lazy;

/* A seal_lazy for a static array of symbols: `static seal_lazy library =
 * SEAL_LAZY_LIBRARY(SEAL_PQ_SONAME, "libpq", "the PostgreSQL store", SEAL_ESTORE, symbols,
 * NULL);` */
#define SEAL_LAZY_LIBRARY(soname_, library_, needed_for_, code_, symbols_, start_)                 \
    {                                                                                              \
        .soname = (soname_), .library = (library_), .needed_for = (needed_for_), .code = (code_),  \
        .symbols = (symbols_), .n_symbols = sizeof(symbols_) / sizeof((symbols_)[0]),              \
        .start = (start_)                                                                          \
    }

/* A check for a table filled from a symbol array: one symbol per field, no slot left NULL. */
#define SEAL_LAZY_COVERS(symbols, table)                                                           \
    _Static_assert(sizeof(symbols) / sizeof((symbols)[0]) * sizeof(void (*)(void)) ==              \
                       sizeof(table),                                                              \
                   "one symbol for every field of " #table)

/* Opens LIB and fills its slots on the first call in the process (safe from any thread;
 * later calls return at once). 0 once loaded; else LIB->code with the message "NEEDED_FOR
 * needs LIBRARY (SONAME), and it cannot be loaded (dlerror's words)", "... and it has no
 * FUNCTION (another version?)" or "... and it could not be started (what failed)", every
 * time it is asked again: it is opened once and never unloaded (RTLD_NODELETE), since a
 * library's global state (GObject types, curl_global_init) must outlive every use. */
int seal_lazy_load(seal_lazy *lib);

#endif
