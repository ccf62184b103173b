/* The widgets of one signature: each placement (a page, a centre in mm, the whole seal or
 * a seam strip) checked against the document and turned into a /Rect and an appearance
 * /Matrix in the page's user space (place.c), and each picture the widgets show prepared
 * once as image XObjects, however many widgets show it. stamp.c writes them. */
#include "qr.h"
#include "stamp_internal.h"

#include <seal/error.h>
#include <seal/place.h>

#include <stdlib.h>
#include <string.h>

/* A seal larger than this is a unit mistake (cm for mm), not a seal. */
#define SEAL_SIDE_MAX_MM 500.0

static int resolve_one(pdf_widget *w, pdf_widgets *out, const seal_pdf *pdf,
                       const seal_stamp_plan *plan, const seal_placement *p)
{
    size_t n_strips = plan->strips ? plan->strips->count : 0;
    if (p->page < 1 || p->page > pdf->page_count)
        return seal_error_set(SEAL_ENOTFOUND, "page %d does not exist (document has %d page%s)",
                              p->page, pdf->page_count, pdf->page_count == 1 ? "" : "s");
    if (p->strip < -1 || (p->strip >= 0 && (size_t)p->strip >= n_strips))
        return seal_error_set(SEAL_EINVAL, "placement on page %d shows strip %d of %zu", p->page,
                              p->strip, n_strips);
    if (!(p->width_mm > 0 && p->height_mm > 0 && p->width_mm <= SEAL_SIDE_MAX_MM &&
          p->height_mm <= SEAL_SIDE_MAX_MM))
        return seal_error_set(SEAL_EINVAL, "seal size %.1f x %.1f mm on page %d is not sensible",
                              p->width_mm, p->height_mm, p->page);

    seal_pdf_page_geom geom;
    int rc = seal_pdf_page_geometry(pdf, p->page, &geom);
    if (rc < 0)
        return rc;
    seal_place_page page = {{geom.crop[0], geom.crop[1], geom.crop[2], geom.crop[3]}, geom.rotate};
    /* A QR code goes beside each whole seal (not beside seam strips): the appearance is
     * wider, and the seal keeps its centre at x, y. */
    w->qr = plan->qr_url && p->strip < 0;
    double extra_mm = w->qr ? PDF_QR_GAP_MM + p->height_mm * PDF_QR_SIDE_OF_SEAL : 0;
    rc = seal_place_pdf(&w->place, &page, p->x_mm + extra_mm / 2, p->y_mm, p->width_mm + extra_mm,
                        p->height_mm);
    if (rc < 0)
        return seal_error_wrap(rc, "page %d", p->page);
    w->page = p->page;
    w->width_pt = seal_mm_to_pt(p->width_mm);
    w->height_pt = seal_mm_to_pt(p->height_mm);
    w->box_width_pt = seal_mm_to_pt(p->width_mm + extra_mm);
    w->picture = (size_t)(p->strip + 1);

    pdf_seal_image *picture = &out->pictures[w->picture];
    if (picture->width != 0)
        return 0; /* another widget shows the same picture */
    if (p->strip < 0)
        return pdf_seal_image_prepare(picture, plan->image_png, plan->image_png_len);
    const seal_buf *png = &plan->strips->strips[p->strip].png;
    rc = pdf_seal_image_prepare_once(picture, png->data, png->len);
    return rc < 0 ? seal_error_wrap(rc, "seam strip %d", p->strip + 1) : 0;
}

int pdf_widgets_resolve(pdf_widgets *out, const seal_pdf *pdf, const seal_stamp_plan *plan)
{
    int rc = 0;
    pdf_widgets widgets = {NULL, 0, NULL, 0};
    memset(out, 0, sizeof *out);
    if (plan->invisible)
        return 0;

    const seal_placement *list = plan->placements;
    size_t n = plan->placements ? plan->n_placements : 0;
    SEAL_ENSURE(n > 0, SEAL_EINVAL, "a visible seal needs at least one placement");
    SEAL_ENSURE(n <= SEAL_PLACEMENTS_MAX, SEAL_EINVAL,
                "one signature can show the seal at most %d times (asked: %zu)",
                SEAL_PLACEMENTS_MAX, n);

    widgets.n_pictures = 1 + (plan->strips ? plan->strips->count : 0);
    widgets.pictures = calloc(widgets.n_pictures, sizeof *widgets.pictures);
    widgets.items = calloc(n, sizeof *widgets.items);
    SEAL_ENSURE(widgets.pictures && widgets.items, SEAL_ENOMEM,
                "out of memory for %zu seal placements", n);
    for (size_t i = 0; i < n; i++) {
        SEAL_TRY(resolve_one(&widgets.items[i], &widgets, pdf, plan, &list[i]));
        widgets.count++;
    }
    *out = widgets;
    memset(&widgets, 0, sizeof widgets);
out:
    pdf_widgets_clear(&widgets);
    return rc;
}

void pdf_widgets_clear(pdf_widgets *widgets)
{
    if (!widgets)
        return;
    for (size_t i = 0; i < widgets->n_pictures; i++)
        pdf_seal_image_clear(&widgets->pictures[i]);
    free(widgets->pictures);
    free(widgets->items);
    memset(widgets, 0, sizeof *widgets);
}
