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

typedef struct seal_pdf_stamp_opts {
    int page;          /* 1-based */
    double x_mm, y_mm; /* seal centre, from the top-left of the page as shown */
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

/* ---- rendering pages (Poppler and Cairo; OFD rendering shares the limits) ---- */

#define SEAL_RENDER_DPI_DEFAULT 150
#define SEAL_RENDER_DPI_MIN     10
#define SEAL_RENDER_DPI_MAX     2400
/* A rendered page has at most this many pixels (200 MB of memory), and this many a side. */
#define SEAL_RENDER_MAX_PIXELS 50000000u
#define SEAL_RENDER_MAX_SIDE   30000

/* The pixel size of a page of width_mm x height_mm at `dpi`: SEAL_EINVAL for a dpi out of
 * range, SEAL_EPOLICY when the image would pass the limits above. */
int seal_render_pixel_size(int *width_px, int *height_px, double width_mm, double height_mm,
                           double dpi);

/* Renders page `page` (1-based) of the PDF at `path` as Poppler shows it (rotation, crop
 * box and annotations, seals included) on white, at `dpi` (0: the default), into a PNG.
 * SEAL_ENOTFOUND names the page count when the page does not exist. */
int seal_pdf_render_page(seal_buf *png, const char *path, int page, double dpi);

#ifdef __cplusplus
}
#endif
#endif
