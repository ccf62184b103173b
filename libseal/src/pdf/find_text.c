/* Finding text in a PDF for keyword placement, and the planner's view of a PDF (page
 * count, page sizes as shown). Poppler lays the text out as a reader shows it: characters
 * in reading order whatever the content stream's text runs, CJK, the page's /Rotate and
 * CropBox applied; qpdf has already refused damaged files when the document was opened.
 * Hits go to the place module in mm from the displayed top-left, like --at positions. */
#include "pdf_internal.h"
#include "poppler_lazy.h"

#include <seal/error.h>
#include <seal/place.h>

#include <glib.h>
#include <stdbool.h>
#include <string.h>

/* Poppler gives a hit as (x1, y1)-(x2, y2) in points from the lower-left corner of the
 * displayed page (its CropBox, turned by /Rotate); the place module wants mm from the
 * displayed top-left corner. */
static void hit_box(double out[4], const PopplerRectangle *r, double page_height_pt)
{
    out[0] = seal_pt_to_mm(r->x1 < r->x2 ? r->x1 : r->x2);
    out[2] = seal_pt_to_mm(r->x1 < r->x2 ? r->x2 : r->x1);
    double top = page_height_pt - (r->y1 > r->y2 ? r->y1 : r->y2);
    double bottom = page_height_pt - (r->y1 > r->y2 ? r->y2 : r->y1);
    out[1] = seal_pt_to_mm(top);
    out[3] = seal_pt_to_mm(bottom);
}

static void grow_box(double box[4], const double part[4])
{
    box[0] = part[0] < box[0] ? part[0] : box[0];
    box[1] = part[1] < box[1] ? part[1] : box[1];
    box[2] = part[2] > box[2] ? part[2] : box[2];
    box[3] = part[3] > box[3] ? part[3] : box[3];
}

static int find_on_page(const pdf_poppler *pp, seal_text_hits *hits, PopplerPage *page, int number,
                        const char *text)
{
    int rc = 0;
    double width_pt, height_pt;
    pp->page_get_size(page, &width_pt, &height_pt);
    /* MULTILINE (Poppler 21.05): a keyword broken at the end of a line still matches, as
     * two rectangles, the first marked as continued. */
    GList *found = pp->page_find_text_with_options(
        page, text, POPPLER_FIND_CASE_SENSITIVE | POPPLER_FIND_MULTILINE);
    double box[4];
    bool open = false;
    for (GList *it = found; it; it = it->next) {
        const PopplerRectangle *r = it->data;
        double part[4];
        hit_box(part, r, height_pt);
        if (open) {
            grow_box(box, part);
        } else {
            memcpy(box, part, sizeof box);
            open = true;
        }
        if (!pp->rectangle_find_get_match_continued(r)) {
            SEAL_TRY(seal_text_hits_add(hits, number, box));
            open = false;
        }
    }
    if (open)
        SEAL_TRY(seal_text_hits_add(hits, number, box));
out:
    g_list_free_full(found, (GDestroyNotify)pp->rectangle_free);
    return rc;
}

int seal_pdf_find_text(seal_text_hits *hits, const seal_pdf *pdf, const char *text)
{
    int rc = 0;
    GError *error = NULL;
    GBytes *bytes = NULL;
    PopplerDocument *doc = NULL;
    seal_text_hits found = {NULL, 0};
    const pdf_poppler *pp = NULL;

    hits->hits = NULL;
    hits->count = 0;
    SEAL_ENSURE(text && *text, SEAL_EINVAL, "the text to find is empty");
    SEAL_ENSURE(g_utf8_validate(text, -1, NULL), SEAL_EINVAL, "the text to find is not UTF-8");
    SEAL_TRY(pdf_poppler_get(&pp));
    bytes = g_bytes_new_static(pdf->map, pdf->map_len);
    doc = pp->document_new_from_bytes(bytes, pdf->password, &error);
    SEAL_ENSURE(doc, SEAL_EFORMAT, "%s: Poppler cannot lay out its text: %s", pdf->path,
                error ? error->message : "unknown error");
    int pages = pp->document_get_n_pages(doc);
    SEAL_ENSURE(pages == pdf->page_count, SEAL_EFORMAT,
                "%s: Poppler sees %d pages where the page tree has %d; refusing to guess "
                "where the text is",
                pdf->path, pages, pdf->page_count);
    for (int i = 0; i < pages; i++) {
        PopplerPage *page = pp->document_get_page(doc, i);
        SEAL_ENSURE(page, SEAL_EFORMAT, "%s: Poppler cannot read page %d", pdf->path, i + 1);
        rc = find_on_page(pp, &found, page, i + 1, text);
        g_object_unref(page);
        SEAL_TRY(rc);
    }
    *hits = found;
    found.hits = NULL;
    found.count = 0;
out:
    seal_text_hits_clear(&found);
    if (doc)
        g_object_unref(doc);
    if (bytes)
        g_bytes_unref(bytes);
    g_clear_error(&error);
    return rc;
}

static int page_size_mm(void *ctx, int page, double *width_mm, double *height_mm)
{
    seal_pdf_page_geom geom;
    int rc = seal_pdf_page_geometry(ctx, page, &geom);
    if (rc < 0)
        return rc;
    *width_mm = seal_pt_to_mm(geom.view_width_pt);
    *height_mm = seal_pt_to_mm(geom.view_height_pt);
    return 0;
}

static int find_text(void *ctx, const char *text, seal_text_hits *hits)
{
    return seal_pdf_find_text(hits, ctx, text);
}

void seal_pdf_place_doc(seal_place_doc *out, const seal_pdf *pdf)
{
    out->ctx = (void *)pdf;
    out->page_count = pdf->page_count;
    out->page_size = page_size_mm;
    out->find_text = find_text;
}
