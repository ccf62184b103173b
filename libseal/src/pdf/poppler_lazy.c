/* Loads Poppler-glib on first use (see poppler_lazy.h) through the lazy loader
 * (base/lazy.h). The library's name is the soname found at configure time
 * (SEAL_POPPLER_GLIB_SONAME), so the version loaded is the one the headers were compiled
 * against. It is never unloaded: GObject types it registers must outlive every document. */
#include "poppler_lazy.h"

#include "base/lazy.h"

#include <seal/error.h>

static pdf_poppler fns;

/* pdf_poppler's fields, each the name of a Poppler function without its poppler_ prefix. */
#define POPPLER_FUNCTIONS(X)                                                                       \
    X(error_quark)                                                                                 \
    X(document_new_from_bytes)                                                                     \
    X(document_get_n_pages)                                                                        \
    X(document_get_page)                                                                           \
    X(page_get_size)                                                                               \
    X(page_render)                                                                                 \
    X(page_find_text_with_options)                                                                 \
    X(page_get_text)                                                                               \
    X(page_get_text_layout)                                                                        \
    X(rectangle_find_get_match_continued)                                                          \
    X(rectangle_free)
#define POPPLER_SYMBOL(name) {"poppler_" #name, &fns.name},
static const seal_lazy_symbol symbols[] = {POPPLER_FUNCTIONS(POPPLER_SYMBOL)};
SEAL_LAZY_COVERS(symbols, fns);

static seal_lazy library =
    SEAL_LAZY_LIBRARY(SEAL_POPPLER_GLIB_SONAME, "Poppler-glib", "laying out or drawing a PDF page",
                      SEAL_EUNSUPPORTED, symbols, NULL);

int pdf_poppler_get(const pdf_poppler **out)
{
    int rc = seal_lazy_load(&library);
    *out = rc < 0 ? NULL : &fns;
    return rc;
}
