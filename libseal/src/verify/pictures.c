/* The pictures of a verify report (seal_report_add_pictures, seal/verify.h): what a
 * verification page shows a person beside the verdict. For each signature shown on a
 * page: the page rendered through the document face (seals included, so the seal as it
 * is printed, whatever the format), cropped to the signature's box, and a thumbnail of
 * the page with the box in mm for the page to draw. Asked for by the HTTP verify route's
 * ?pictures=1; nothing here changes a verdict. */
#include <seal/doc.h>
#include <seal/error.h>
#include <seal/image.h>
#include <seal/render.h>
#include <seal/verify.h>

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#define MM_PER_INCH 25.4

/* The page's rendering at `dpi` cropped to `box_mm`. */
static int crop_page(seal_buf *out, seal_doc *doc, int page, const double box_mm[4], double dpi)
{
    int rc = 0;
    seal_buf page_png = SEAL_BUF_INIT;
    const double px_per_mm = dpi / MM_PER_INCH;
    seal_doc_render_opts at = {.dpi = dpi};
    SEAL_TRY(seal_doc_render_png(doc, page, &at, &page_png));
    SEAL_TRY(
        seal_image_crop_png(out, page_png.data, page_png.len, (int)floor(box_mm[0] * px_per_mm),
                            (int)floor(box_mm[1] * px_per_mm), (int)ceil(box_mm[2] * px_per_mm),
                            (int)ceil(box_mm[3] * px_per_mm)));
out:
    seal_buf_clear(&page_png);
    return rc;
}

/* One signature's picture; 0 with *out NULL when it cannot be made (the page does not
 * render, the box lies off the page): the report says so by having none. */
static int make_picture(seal_sig_picture **out, seal_doc *doc, const seal_sig_report *s)
{
    int rc = 0;
    seal_sig_picture *p = calloc(1, sizeof *p);
    *out = NULL;
    SEAL_ENSURE(p, SEAL_ENOMEM, "out of memory for a seal's picture");
    p->page = s->page;
    bool made = seal_doc_page_size(doc, s->page, &p->page_mm[0], &p->page_mm[1]) == 0 &&
                seal_doc_box_mm(doc, s->page, s->rect, p->box_mm) == 0 &&
                crop_page(&p->seal_png, doc, s->page, p->box_mm, SEAL_PICTURE_SEAL_DPI) == 0;
    if (made) {
        /* The thumbnail's width fixed, its resolution what that takes (within limits). */
        double dpi = SEAL_PICTURE_THUMBNAIL_PX / (p->page_mm[0] / MM_PER_INCH);
        seal_doc_render_opts at = {.dpi =
                                       fmax(SEAL_RENDER_DPI_MIN, fmin(dpi, SEAL_PICTURE_SEAL_DPI))};
        made = seal_doc_render_png(doc, s->page, &at, &p->thumbnail_png) == 0;
    }
    if (!made) {
        seal_error_clear();
        goto out;
    }
    *out = p;
    p = NULL;
out:
    if (p) {
        seal_buf_clear(&p->seal_png);
        seal_buf_clear(&p->thumbnail_png);
        free(p);
    }
    return rc;
}

int seal_report_add_pictures(seal_report *r, seal_doc *doc, int document)
{
    int rc = 0;
    SEAL_ENSURE(r && doc, SEAL_EINVAL, "no report or document for the pictures");
    for (size_t i = 0; i < r->n_sigs; i++) {
        seal_sig_report *s = &r->sigs[i];
        if (s->picture || !s->visible || s->page <= 0 || (s->document && s->document != document))
            continue;
        SEAL_TRY(make_picture(&s->picture, doc, s));
    }
out:
    return rc;
}
