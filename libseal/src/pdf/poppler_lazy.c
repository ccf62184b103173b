/* Loads Poppler-glib on first use (see poppler_lazy.h). The library's name is the soname
 * found at configure time (SEAL_POPPLER_GLIB_SONAME), so the version loaded is the one
 * the headers were compiled against. */
#include "poppler_lazy.h"

#include <seal/error.h>

#include <dlfcn.h>
#include <pthread.h>

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static pdf_poppler fns;
static const char *load_error; /* NULL once loaded */

#define LOAD(field, name)                                                                          \
    do {                                                                                           \
        *(void **)&fns.field = dlsym(lib, name);                                                   \
        if (!fns.field) {                                                                          \
            load_error = "a Poppler function is missing (" name ")";                               \
            return;                                                                                \
        }                                                                                          \
    } while (0)

static void load(void)
{
    load_error = "it cannot be loaded";
    /* Never unloaded: GObject types it registers must outlive every document. */
    void *lib = dlopen(SEAL_POPPLER_GLIB_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!lib)
        return;
    LOAD(error_quark, "poppler_error_quark");
    LOAD(document_new_from_bytes, "poppler_document_new_from_bytes");
    LOAD(document_get_n_pages, "poppler_document_get_n_pages");
    LOAD(document_get_page, "poppler_document_get_page");
    LOAD(page_get_size, "poppler_page_get_size");
    LOAD(page_render, "poppler_page_render");
    LOAD(page_find_text_with_options, "poppler_page_find_text_with_options");
    LOAD(rectangle_find_get_match_continued, "poppler_rectangle_find_get_match_continued");
    LOAD(rectangle_free, "poppler_rectangle_free");
    load_error = NULL;
}

int pdf_poppler_get(const pdf_poppler **out)
{
    pthread_once(&load_once, load);
    *out = load_error ? NULL : &fns;
    if (load_error)
        return seal_error_set(SEAL_EUNSUPPORTED,
                              "Poppler (%s) is needed to lay out or draw a PDF page, and %s; "
                              "install Poppler-glib",
                              SEAL_POPPLER_GLIB_SONAME, load_error);
    return 0;
}
