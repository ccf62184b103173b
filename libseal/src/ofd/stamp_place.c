/* The OFD adapter of the placement planner (place.h): page count, page sizes and keyword
 * hits, in mm from the top-left corner of each page's PhysicalBox, which is how OFD pages
 * are shown (a GB/T 33190 page has no rotation attribute). Stamp flow: the CLI plans
 * `--at`, `--keyword`, `--pages` and `--seam` through this, then stamp.c places the
 * StampAnnots where the plan says. */
#include "stamp_internal.h"

#include <seal/error.h>

#include <stdlib.h>

static int page_size(void *ctx, int page, double *width_mm, double *height_mm)
{
    return seal_ofd_page_size_mm(ctx, page, width_mm, height_mm);
}

static int find_text(void *ctx, const char *text, seal_text_hits *hits)
{
    int rc = 0;
    seal_ofd *doc = ctx;
    seal_ofd_text_hit *found = NULL;
    size_t n = 0;
    SEAL_TRY(seal_ofd_find_text(doc, text, &found, &n));
    for (size_t i = 0; i < n; i++) {
        const seal_ofd_page *page = NULL;
        SEAL_TRY(seal_ofd_page_get(doc, found[i].page, &page));
        /* Text boxes are in page coordinates; the planner counts from the PhysicalBox. */
        const seal_ofd_box *b = &found[i].box, *p = &page->physical_box;
        double box[4] = {b->x - p->x, b->y - p->y, b->x + b->w - p->x, b->y + b->h - p->y};
        SEAL_TRY(seal_text_hits_add(hits, found[i].page, box));
    }
out:
    free(found);
    return rc;
}

void seal_ofd_place_doc(seal_place_doc *out, seal_ofd *doc)
{
    out->ctx = doc;
    out->page_count = seal_ofd_page_count(doc);
    out->page_size = page_size;
    out->find_text = find_text;
}
