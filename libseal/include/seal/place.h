/* Where a seal goes, format-neutral: positions are given as a person sees the page (mm
 * from the top-left corner of the page as displayed) and converted here to the format's
 * own coordinates. PDF pages may be rotated (/Rotate) and cropped (CropBox).
 *
 * The stamp flow asks the planner (seal_place_plan) for the pictures of one signature:
 * at a point on one or several pages, on the hits of a keyword, or a seam seal cut into
 * strips at the edge of several pages. A document adapter answers its questions (page
 * count, page sizes, text search) through a seal_place_doc. */
#ifndef SEAL_PLACE_H
#define SEAL_PLACE_H

#include <seal/image.h>

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

/* Text found on a page: the page and the box around the text in mm from the page's
 * displayed top-left corner: box[0], box[1] the upper-left and box[2], box[3] the
 * lower-right corner. */
typedef struct seal_text_hit {
    int page;
    double box[4];
} seal_text_hit;

typedef struct seal_text_hits {
    seal_text_hit *hits; /* in reading order: by page, then as the page's text runs */
    size_t count;
} seal_text_hits;

int seal_text_hits_add(seal_text_hits *hits, int page, const double box[4]);
void seal_text_hits_clear(seal_text_hits *hits);

/* What the planner needs to know about a document, answered by its format's adapter. */
typedef struct seal_place_doc {
    void *ctx;
    int page_count;
    /* The page's size as shown (after rotation and cropping), in mm. */
    int (*page_size)(void *ctx, int page, double *width_mm, double *height_mm);
    /* Every occurrence of `text` in the document; none is not an error. */
    int (*find_text)(void *ctx, const char *text, seal_text_hits *hits);
} seal_place_doc;

typedef enum seal_place_mode {
    SEAL_PLACE_AT = 0,  /* at (x_mm, y_mm) on each page of `pages` (default: page 1) */
    SEAL_PLACE_KEYWORD, /* centred on the keyword's hits (on `pages`, default: all) */
    SEAL_PLACE_SEAM     /* one strip at the `side` edge of each page of `pages` (default:
                           all), at least 2 pages */
} seal_place_mode;

typedef struct seal_place_request {
    seal_place_mode mode;
    const char *pages;        /* a page range (seal_place_pages_parse); NULL: the mode's default */
    double x_mm, y_mm;        /* AT: the seal's centre */
    const char *keyword;      /* KEYWORD: the text, UTF-8 */
    int occurrence;           /* KEYWORD: the n-th hit (1 = first); 0: every hit */
    double dx_mm, dy_mm;      /* KEYWORD: the centre's shift from the hit's centre, to the
                                 right and down as the page is shown */
    seal_seam_side side;      /* SEAM: the edge */
    double offset_mm;         /* SEAM: the seal centre's distance along the edge from the
                                 middle of the edge, towards the bottom (left and right
                                 edges) or the right (top and bottom edges) */
    const uint8_t *image_png; /* SEAM: the seal picture to cut */
    size_t image_png_len;
    double width_mm, height_mm; /* the seal's printed size */
} seal_place_request;

/* The most pictures one signature may have (each is a widget on a page). */
#define SEAL_PLACEMENTS_MAX 1000

/* One picture of the seal on one page. */
typedef struct seal_placement {
    int page;                   /* 1-based */
    double x_mm, y_mm;          /* its centre, from the page's displayed top-left corner */
    double width_mm, height_mm; /* its printed size */
    int strip;                  /* -1: the whole seal; else the index in the plan's strips */
} seal_placement;

typedef struct seal_place_plan {
    seal_placement *items; /* by page, then in the order found */
    size_t count;
    seal_seam_strips strips; /* SEAM: the pictures the placements show */
} seal_place_plan;

/* Plans where the pictures of one signature go. Errors name what the user asked for:
 * a page range the document does not have, a keyword that does not occur ("keyword
 * "X" does not occur in the document", SEAL_ENOTFOUND), an occurrence beyond the hits,
 * a centre outside a page, a seam on fewer than 2 pages or that does not fit along a
 * page's edge, more than SEAL_PLACEMENTS_MAX pictures. */
int seal_place_plan_make(seal_place_plan *out, const seal_place_request *req,
                         const seal_place_doc *doc);
/* Frees the plan; it can be used again afterwards. NULL is fine. */
void seal_place_plan_clear(seal_place_plan *plan);

#ifdef __cplusplus
}
#endif
#endif
