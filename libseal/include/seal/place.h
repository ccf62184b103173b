/* Where a seal goes, format-neutral: positions are given as a person sees the page (mm
 * from the top-left corner of the page as displayed) and converted here to the format's
 * own coordinates. PDF pages may be rotated (/Rotate) and cropped (CropBox). */
#ifndef SEAL_PLACE_H
#define SEAL_PLACE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SEAL_MM_PER_INCH 25.4
#define SEAL_PT_PER_INCH 72.0

double seal_mm_to_pt(double mm);
double seal_pt_to_mm(double pt);

/* A page as PDF describes it: the visible box (CropBox, in default user space) and the
 * clockwise rotation applied when it is shown (0, 90, 180, 270). */
typedef struct seal_place_page {
    double box[4]; /* llx lly urx ury */
    int rotate;
} seal_place_page;

/* The placed seal in user space: its rectangle (/Rect) and the matrix that turns the
 * upright seal drawing (0 0 w h) so that it appears upright on the rotated page. */
typedef struct seal_place_rect {
    double rect[4];
    double matrix[6];
} seal_place_rect;

/* Places a w x h mm seal centred at (x, y) mm from the displayed top-left corner.
 * SEAL_EINVAL when the centre lies outside the page. */
int seal_place_pdf(seal_place_rect *out, const seal_place_page *page, double x_mm, double y_mm,
                   double w_mm, double h_mm);

/* A set of pages, 1-based, ascending, each once. */
typedef struct seal_page_set {
    int *pages;
    size_t count;
} seal_page_set;

/* Parses a page range for a document of page_count pages: comma-separated items, each
 * "N", "N-M", "all", "odd" or "even", where a page number may also be "last"
 * ("1-3,5,last", "2-last"). Spaces around items are allowed; case does not matter.
 * SEAL_EINVAL for a malformed range, a backwards range or a page listed twice;
 * SEAL_ENOTFOUND for a page beyond the document ("page 7 does not exist (document has
 * 5 pages)") or a range that names no page ("even" in a 1-page document). */
int seal_place_pages_parse(seal_page_set *out, const char *spec, int page_count);
/* Frees the pages; the set can be used again afterwards. */
void seal_place_pages_clear(seal_page_set *set);

#ifdef __cplusplus
}
#endif
#endif
