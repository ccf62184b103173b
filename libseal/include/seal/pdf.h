/* PDF: stamp a visible seal with a PAdES signature as an incremental update, and verify
 * the signatures of a PDF.
 *
 * Stamp flow: open (qpdf reads the structure; damaged, repaired-only or encrypted input is
 * refused), place (page geometry: MediaBox, CropBox, Rotate), write the update (field,
 * widget, appearance, signature dictionary with placeholders) to a temporary file beside
 * the output, hash the ByteRange, sign, fill /Contents, rename. The input is never
 * modified. Byte-level rules: ../shared/formats/PDF-SIGN.md. */
#ifndef SEAL_PDF_H
#define SEAL_PDF_H

#include <seal/crypto.h>
#include <seal/pki.h>
#include <seal/place.h>
#include <seal/report.h>
#include <stdbool.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct seal_pdf seal_pdf;

/* Opens a PDF for reading its structure. */
int seal_pdf_open(seal_pdf **out, const char *path);
void seal_pdf_free(seal_pdf *pdf);
int seal_pdf_page_count(const seal_pdf *pdf);

/* The page as a person sees it: the CropBox (clipped to the MediaBox), its rotation, and
 * the size after rotation, in points. */
typedef struct seal_pdf_page_geom {
    double media[4]; /* llx lly urx ury */
    double crop[4];
    int rotate; /* 0, 90, 180, 270 */
    double view_width_pt, view_height_pt;
} seal_pdf_page_geom;

int seal_pdf_page_geometry(const seal_pdf *pdf, int page, seal_pdf_page_geom *out);

/* Every occurrence of `text` on the pages as they are shown, found in Poppler's text
 * layout (characters in reading order whatever the text runs, CJK, rotated pages and
 * CropBoxes; case-sensitive). A hit broken across two lines at a space or hyphen counts
 * once, its box around both parts; CJK text broken across lines is not found. None found
 * is not an error (hits->count is 0). */
int seal_pdf_find_text(seal_text_hits *hits, const seal_pdf *pdf, const char *text);

/* The placement planner's view of an open PDF: page count, page sizes as shown, text
 * search. Valid while `pdf` is open. */
void seal_pdf_place_doc(seal_place_doc *out, const seal_pdf *pdf);

typedef struct seal_pdf_stamp_opts {
    int page;          /* 1-based */
    double x_mm, y_mm; /* seal centre, from the top-left of the page as shown */
    /* A visible seal shown several times (pages, keyword hits, seam strips): one widget
     * per placement, all of one signature field. NULL: one at page, x_mm, y_mm. */
    const seal_placement *placements;
    size_t n_placements;
    const seal_seam_strips *strips; /* the pictures of placements whose strip >= 0 */
    bool invisible;
    const uint8_t *image_png; /* the seal picture (NULL when invisible) */
    size_t image_png_len;
    double width_mm, height_mm; /* printed size of the seal */
    const char *seal_name;      /* goes to /Name... and the report */
    const char *reason;         /* /Reason, may be NULL */
    const char *location;       /* /Location, may be NULL */
    time_t signing_time;        /* /M; 0: now */
} seal_pdf_stamp_opts;

/* Stamps `in` into `out` (atomically; `out` must differ from `in`). */
int seal_pdf_stamp(const char *in, const char *out, const seal_signer *signer,
                   const seal_pdf_stamp_opts *opts);

/* Verifies every signature of a PDF into a report. `trust` may be empty (then chains are
 * INDETERMINATE). Returns 0 when the file could be examined (even if signatures are
 * invalid); an error when it is not a readable PDF. */
int seal_pdf_verify(seal_report **out, const char *path, const seal_trust *trust);

#ifdef __cplusplus
}
#endif
#endif
