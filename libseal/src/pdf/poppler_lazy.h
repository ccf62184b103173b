/* Poppler-glib, loaded on first use. Only laying out a page's text (find_text.c, keyword
 * placement) and drawing a page (render.c) need Poppler; loading it and the libraries it
 * pulls in (NSS, lcms2, libtiff, GIO...: 50 libraries) at start-up cost every sealsvc
 * command about 5 ms of relocation, a third of `sealsvc --version`. So libseal is not
 * linked with it: the first call that needs it opens it with dlopen, once per process. */
#ifndef SEAL_PDF_POPPLER_LAZY_H
#define SEAL_PDF_POPPLER_LAZY_H

#include <poppler.h>

typedef struct pdf_poppler {
    GQuark (*error_quark)(void); /* POPPLER_ERROR */
    PopplerDocument *(*document_new_from_bytes)(GBytes *bytes, const char *password,
                                                GError **error);
    int (*document_get_n_pages)(PopplerDocument *document);
    PopplerPage *(*document_get_page)(PopplerDocument *document, int index);
    void (*page_get_size)(PopplerPage *page, double *width, double *height);
    void (*page_render)(PopplerPage *page, cairo_t *cairo);
    GList *(*page_find_text_with_options)(PopplerPage *page, const char *text,
                                          PopplerFindFlags options);
    char *(*page_get_text)(PopplerPage *page);
    gboolean (*page_get_text_layout)(PopplerPage *page, PopplerRectangle **rectangles,
                                     guint *n_rectangles);
    gboolean (*rectangle_find_get_match_continued)(const PopplerRectangle *rectangle);
    void (*rectangle_free)(PopplerRectangle *rectangle);
} pdf_poppler;

/* The functions, loaded on the first call (safe from any thread); SEAL_EUNSUPPORTED naming
 * the library when it cannot be loaded. */
int pdf_poppler_get(const pdf_poppler **out);

#endif
