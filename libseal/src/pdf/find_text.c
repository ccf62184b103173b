/* Finding text in a PDF for keyword placement, and the planner's view of a PDF (page
 * count, page sizes as shown). Poppler lays the text out as a reader shows it: characters
 * in reading order whatever the content stream's text runs, CJK, the page's /Rotate and
 * CropBox applied; qpdf has already refused damaged files when the document was opened.
 * Hits go to the place module in mm from the displayed top-left, like --at positions.
 * Keywords that a line break splits are found when the next line follows in reading order
 * (broken_hit); the hit is then the keyword's first part (docs/cli.md, stamp). */
#include "pdf_internal.h"
#include "place/textflow.h"
#include "poppler_lazy.h"

#include <seal/error.h>
#include <seal/place.h>

#include <glib.h>
#include <math.h>
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

/* A hit and where it starts in the page's text (poppler_page_get_text), to keep hits in
 * reading order when those found across a line break join Poppler's own. */
typedef struct page_hit {
    size_t offset;
    double box[4];
} page_hit;

/* A line of the page's text: its first and last characters that are not white space
 * (offsets in the page's text, which are also indices in its layout). */
typedef struct text_line {
    size_t first, last;
} text_line;

typedef struct page_text {
    gunichar *chars;
    PopplerRectangle *rects; /* one per character, points from the page's top-left */
    size_t count;
    text_line *lines;   /* the lines holding more than white space, in reading order */
    double (*boxes)[4]; /* per line: the box around it, mm from the page's top-left */
    size_t n_lines;
} page_text;

static bool is_space(gunichar c)
{
    return g_unichar_isspace(c) || c == 0x3000;
}

/* Ideographs, kana, Hangul, full-width forms and CJK punctuation (East Asian Wide and
 * Fullwidth): text in which a line break stands for no space. */
static bool is_wide(gunichar c)
{
    return g_unichar_iswide(c);
}

static void layout_box(double out[4], const PopplerRectangle *r)
{
    out[0] = seal_pt_to_mm(fmin(r->x1, r->x2));
    out[1] = seal_pt_to_mm(fmin(r->y1, r->y2));
    out[2] = seal_pt_to_mm(fmax(r->x1, r->x2));
    out[3] = seal_pt_to_mm(fmax(r->y1, r->y2));
}

static void span_box(double out[4], const page_text *t, size_t from, size_t to)
{
    layout_box(out, &t->rects[from]);
    for (size_t i = from + 1; i <= to; i++) {
        double part[4];
        layout_box(part, &t->rects[i]);
        out[0] = fmin(out[0], part[0]);
        out[1] = fmin(out[1], part[1]);
        out[2] = fmax(out[2], part[2]);
        out[3] = fmax(out[3], part[3]);
    }
}

static void page_text_clear(page_text *t)
{
    g_free(t->chars);
    g_free(t->rects);
    g_free(t->lines);
    g_free(t->boxes);
    memset(t, 0, sizeof *t);
}

/* The page's text and layout, cut into lines at the '\n' Poppler puts between them. */
static void page_text_read(const pdf_poppler *pp, page_text *t, PopplerPage *page)
{
    char *text = pp->page_get_text(page);
    guint n_rects = 0;
    glong n_chars = 0;
    if (text && g_utf8_validate(text, -1, NULL) &&
        pp->page_get_text_layout(page, &t->rects, &n_rects))
        t->chars = g_utf8_to_ucs4_fast(text, -1, &n_chars);
    g_free(text);
    /* The layout has a rectangle per character of the text; trust neither beyond the
     * other's end. */
    t->count = t->chars ? ((size_t)n_chars < n_rects ? (size_t)n_chars : n_rects) : 0;
    t->lines = g_new(text_line, t->count + 1);
    t->boxes = g_malloc_n(t->count + 1, sizeof *t->boxes);
    size_t begin = 0;
    for (size_t i = 0; i <= t->count; i++) {
        if (i < t->count && t->chars[i] != '\n')
            continue;
        size_t first = begin, last = i;
        while (first < i && is_space(t->chars[first]))
            first++;
        while (last > first && is_space(t->chars[last - 1]))
            last--;
        if (first < last) {
            t->lines[t->n_lines] = (text_line){first, last - 1};
            span_box(t->boxes[t->n_lines], t, first, last - 1);
            t->n_lines++;
        }
        begin = i + 1;
    }
}

/* The offset of the character whose box starts where Poppler's hit does. */
static size_t hit_offset(const page_text *t, const double box[4])
{
    size_t best = t->count;
    double best_d = INFINITY;
    for (size_t i = 0; i < t->count; i++) {
        double b[4];
        layout_box(b, &t->rects[i]);
        double d = fabs(b[0] - box[0]) + fabs(b[1] - box[1]);
        if (d < best_d) {
            best_d = d;
            best = i;
        }
    }
    return best;
}

/* The keyword broken between line k and the next. Poppler's MULTILINE search joins two
 * lines with a space (or drops a hyphen ending the first), as Western text breaks; Chinese
 * and Japanese text breaks anywhere with no space, so where a wide character ends the
 * line or starts the next (CSS Text 3, 4.1.3: a break between such characters is
 * removed), the lines are joined without one, and only when the next line follows in
 * reading order (place/textflow.h). The hit is the keyword's first part, on line k; when
 * several splits fit, the one starting earliest. */
static bool broken_hit(page_hit *out, const page_text *t, size_t k, const gunichar *want,
                       size_t n_want)
{
    const text_line *a = &t->lines[k], *b = &t->lines[k + 1];
    if (!is_wide(t->chars[a->last]) && !is_wide(t->chars[b->first]))
        return false;
    if (!seal_text_line_follows((const double(*)[4])t->boxes, t->n_lines, k, k + 1))
        return false;
    for (size_t head = n_want - 1; head >= 1; head--) {
        size_t tail = n_want - head;
        if (a->last - a->first + 1 < head || b->last - b->first + 1 < tail)
            continue;
        size_t from = a->last + 1 - head;
        if (memcmp(&t->chars[from], want, head * sizeof *want) != 0 ||
            memcmp(&t->chars[b->first], want + head, tail * sizeof *want) != 0)
            continue;
        out->offset = from;
        span_box(out->box, t, from, a->last);
        return true;
    }
    return false;
}

static gint by_offset(gconstpointer x, gconstpointer y)
{
    const page_hit *a = x, *b = y;
    return a->offset < b->offset ? -1 : a->offset > b->offset;
}

static int find_on_page(const pdf_poppler *pp, seal_text_hits *hits, PopplerPage *page, int number,
                        const char *text)
{
    int rc = 0;
    page_text t = {0};
    GArray *found_here = g_array_new(FALSE, FALSE, sizeof(page_hit));
    gunichar *want = NULL;
    glong n_want = 0;
    double width_pt, height_pt;
    pp->page_get_size(page, &width_pt, &height_pt);
    page_text_read(pp, &t, page);
    /* MULTILINE (Poppler 21.05): a keyword broken at the end of a line where a space or a
     * hyphen joins the lines matches as two rectangles, the first marked as continued.
     * The hit is the first part, as for keywords broken in Chinese text (broken_hit). */
    GList *found = pp->page_find_text_with_options(
        page, text, POPPLER_FIND_CASE_SENSITIVE | POPPLER_FIND_MULTILINE);
    bool continued = false;
    for (GList *it = found; it; it = it->next) {
        const PopplerRectangle *r = it->data;
        if (!continued) {
            page_hit h;
            hit_box(h.box, r, height_pt);
            h.offset = hit_offset(&t, h.box);
            g_array_append_val(found_here, h);
        }
        continued = pp->rectangle_find_get_match_continued(r);
    }
    want = g_utf8_to_ucs4_fast(text, -1, &n_want);
    for (size_t k = 0; n_want >= 2 && k + 1 < t.n_lines; k++) {
        page_hit h;
        if (broken_hit(&h, &t, k, want, (size_t)n_want))
            g_array_append_val(found_here, h);
    }
    g_array_sort(found_here, by_offset);
    for (guint i = 0; i < found_here->len; i++)
        SEAL_TRY(seal_text_hits_add(hits, number, g_array_index(found_here, page_hit, i).box));
out:
    g_free(want);
    g_array_free(found_here, TRUE);
    page_text_clear(&t);
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
