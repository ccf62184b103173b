/* The placement plan of one signature: from what the user asked (a point on some pages,
 * a keyword, a seam) to the list of pictures and where each goes, in mm on the pages as
 * shown. The stamp flow runs it between opening the document and writing the update; the
 * document's adapter answers page sizes and text search, so this file knows no format. */
#include <seal/error.h>
#include <seal/place.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Hits beyond this many are a sign of a keyword too common to stamp on ("的"). */
#define HITS_MAX 100000

int seal_text_hits_add(seal_text_hits *hits, int page, const double box[4])
{
    if (hits->count >= HITS_MAX)
        return seal_error_set(SEAL_EINVAL, "the text occurs more than %d times", HITS_MAX);
    if ((hits->count & (hits->count - 1)) == 0) { /* 0, 1, 2, 4...: grow to double */
        size_t cap = hits->count ? hits->count * 2 : 8;
        seal_text_hit *grown = realloc(hits->hits, cap * sizeof *grown);
        if (!grown)
            return seal_error_set(SEAL_ENOMEM, "out of memory for text hits");
        hits->hits = grown;
    }
    seal_text_hit *h = &hits->hits[hits->count++];
    h->page = page;
    memcpy(h->box, box, sizeof h->box);
    return 0;
}

void seal_text_hits_clear(seal_text_hits *hits)
{
    if (!hits)
        return;
    free(hits->hits);
    hits->hits = NULL;
    hits->count = 0;
}

static int add_placement(seal_place_plan *plan, int page, double x_mm, double y_mm, double w_mm,
                         double h_mm, int strip)
{
    if (plan->count >= SEAL_PLACEMENTS_MAX)
        return seal_error_set(SEAL_EINVAL,
                              "one signature can show the seal at most %d times; narrow the "
                              "pages or the occurrence",
                              SEAL_PLACEMENTS_MAX);
    if (plan->count == 0) {
        plan->items = calloc(SEAL_PLACEMENTS_MAX, sizeof *plan->items);
        if (!plan->items)
            return seal_error_set(SEAL_ENOMEM, "out of memory planning the seal's places");
    }
    plan->items[plan->count++] = (seal_placement){page, x_mm, y_mm, w_mm, h_mm, strip};
    return 0;
}

static int page_size(const seal_place_doc *doc, int page, double *w_mm, double *h_mm)
{
    int rc = doc->page_size(doc->ctx, page, w_mm, h_mm);
    if (rc < 0)
        return rc;
    if (!(*w_mm > 0 && *h_mm > 0))
        return seal_error_set(SEAL_EFORMAT, "page %d has no size", page);
    return 0;
}

/* The centre must lie on the page (as seal_place_pdf requires); said in the user's terms
 * before any format-specific conversion. `what` names the keyword hit, or is "". */
static int check_centre(const seal_place_doc *doc, int page, double x_mm, double y_mm,
                        const char *what)
{
    double w, h;
    int rc = page_size(doc, page, &w, &h);
    if (rc < 0)
        return rc;
    if (x_mm < 0 || y_mm < 0 || x_mm > w || y_mm > h)
        return seal_error_set(SEAL_EINVAL,
                              "%spage %d: position %.1f,%.1f mm is outside the page (%.1f x "
                              "%.1f mm as shown)",
                              what, page, x_mm, y_mm, w, h);
    return 0;
}

static int plan_at(seal_place_plan *plan, const seal_place_request *req, const seal_place_doc *doc,
                   const seal_page_set *pages)
{
    for (size_t i = 0; i < pages->count; i++) {
        int rc = check_centre(doc, pages->pages[i], req->x_mm, req->y_mm, "");
        if (rc < 0)
            return rc;
        rc = add_placement(plan, pages->pages[i], req->x_mm, req->y_mm, req->width_mm,
                           req->height_mm, -1);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static bool in_set(const seal_page_set *pages, int page)
{
    size_t lo = 0, hi = pages->count; /* pages are ascending */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pages->pages[mid] == page)
            return true;
        if (pages->pages[mid] < page)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static int plan_keyword(seal_place_plan *plan, const seal_place_request *req,
                        const seal_place_doc *doc, const seal_page_set *pages)
{
    int rc = 0;
    seal_text_hits hits = {NULL, 0};
    const char *where = req->pages ? "on the pages asked for" : "in the document";

    SEAL_ENSURE(req->keyword && *req->keyword, SEAL_EINVAL, "the keyword is empty");
    SEAL_ENSURE(doc->find_text, SEAL_EUNSUPPORTED, "this document format cannot search text");
    SEAL_ENSURE(req->occurrence >= 0, SEAL_EINVAL, "occurrence %d: occurrences count from 1",
                req->occurrence);
    SEAL_TRY(doc->find_text(doc->ctx, req->keyword, &hits));

    size_t seen = 0;
    for (size_t i = 0; i < hits.count; i++) {
        const seal_text_hit *h = &hits.hits[i];
        SEAL_ENSURE(h->page >= 1 && h->page <= doc->page_count, SEAL_EFORMAT,
                    "text search reported page %d of a %d-page document", h->page, doc->page_count);
        if (!in_set(pages, h->page))
            continue;
        seen++;
        if (req->occurrence != 0 && seen != (size_t)req->occurrence)
            continue;
        double x = (h->box[0] + h->box[2]) / 2 + req->dx_mm;
        double y = (h->box[1] + h->box[3]) / 2 + req->dy_mm;
        char what[64];
        snprintf(what, sizeof what, "occurrence %zu of the keyword on ", seen);
        SEAL_TRY(check_centre(doc, h->page, x, y, what));
        SEAL_TRY(add_placement(plan, h->page, x, y, req->width_mm, req->height_mm, -1));
    }
    SEAL_ENSURE(seen > 0, SEAL_ENOTFOUND, "keyword \"%s\" does not occur %s", req->keyword, where);
    SEAL_ENSURE(plan->count > 0, SEAL_ENOTFOUND,
                "keyword \"%s\" occurs %zu time%s %s; there is no occurrence %d", req->keyword,
                seen, seen == 1 ? "" : "s", where, req->occurrence);
out:
    seal_text_hits_clear(&hits);
    return rc;
}

/* Each page shows its strip flush with the edge; along the edge the whole seal is centred
 * offset_mm from the middle of the edge, so the strips line up when the pages are fanned. */
static int plan_seam(seal_place_plan *plan, const seal_place_request *req,
                     const seal_place_doc *doc, const seal_page_set *pages)
{
    int rc = 0;
    bool vertical_edge = req->side == SEAL_SEAM_RIGHT || req->side == SEAL_SEAM_LEFT;
    double along = vertical_edge ? req->height_mm : req->width_mm;

    SEAL_ENSURE(pages->count >= 2, SEAL_EINVAL, "a seam seal needs at least 2 pages; %s has %zu",
                req->pages ? "the page range" : "the document", pages->count);
    SEAL_TRY(seal_image_slice_seam(&plan->strips, req->image_png, req->image_png_len, req->width_mm,
                                   req->height_mm, pages->count, req->side));
    for (size_t i = 0; i < pages->count; i++) {
        int page = pages->pages[i];
        const seal_seam_strip *s = &plan->strips.strips[i];
        double w, h;
        SEAL_TRY(page_size(doc, page, &w, &h));
        double edge = vertical_edge ? h : w;
        double middle = edge / 2 + req->offset_mm;
        SEAL_ENSURE(middle - along / 2 >= 0 && middle + along / 2 <= edge, SEAL_EINVAL,
                    "the seam seal (%.1f mm along the edge) at offset %.1f mm does not fit "
                    "along the %s edge of page %d (%.1f mm)",
                    along, req->offset_mm, seal_seam_side_name(req->side), page, edge);
        double x, y;
        switch (req->side) {
        case SEAL_SEAM_RIGHT:
            x = w - s->width_mm / 2;
            y = middle;
            break;
        case SEAL_SEAM_LEFT:
            x = s->width_mm / 2;
            y = middle;
            break;
        case SEAL_SEAM_TOP:
            x = middle;
            y = s->height_mm / 2;
            break;
        default:
            x = middle;
            y = h - s->height_mm / 2;
            break;
        }
        SEAL_TRY(add_placement(plan, page, x, y, s->width_mm, s->height_mm, (int)i));
    }
out:
    return rc;
}

int seal_place_plan_make(seal_place_plan *out, const seal_place_request *req,
                         const seal_place_doc *doc)
{
    int rc = 0;
    seal_page_set pages = {NULL, 0};
    seal_place_plan plan = {NULL, 0, {NULL, 0}};

    memset(out, 0, sizeof *out);
    SEAL_ENSURE(req && doc && doc->page_size, SEAL_EINVAL, "nothing to plan");
    SEAL_ENSURE(req->width_mm > 0 && req->height_mm > 0, SEAL_EINVAL,
                "seal size %.1f x %.1f mm is not positive", req->width_mm, req->height_mm);
    SEAL_ENSURE(doc->page_count > 0, SEAL_EFORMAT, "the document has no pages");
    const char *range = req->pages ? req->pages : req->mode == SEAL_PLACE_AT ? "1" : "all";
    SEAL_TRY(seal_place_pages_parse(&pages, range, doc->page_count));
    switch (req->mode) {
    case SEAL_PLACE_AT:
        SEAL_TRY(plan_at(&plan, req, doc, &pages));
        break;
    case SEAL_PLACE_KEYWORD:
        SEAL_TRY(plan_keyword(&plan, req, doc, &pages));
        break;
    case SEAL_PLACE_SEAM:
        SEAL_TRY(plan_seam(&plan, req, doc, &pages));
        break;
    default:
        SEAL_FAIL(SEAL_EINVAL, "unknown placement mode %d", (int)req->mode);
    }
    *out = plan;
    memset(&plan, 0, sizeof plan);
out:
    seal_place_plan_clear(&plan);
    seal_place_pages_clear(&pages);
    return rc;
}

void seal_place_plan_clear(seal_place_plan *plan)
{
    if (!plan)
        return;
    free(plan->items);
    plan->items = NULL;
    plan->count = 0;
    seal_image_strips_clear(&plan->strips);
}
