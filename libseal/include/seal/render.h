/* What every page rendering shares, whatever the format (the PDF adapter through Poppler,
 * the OFD adapter with its own Cairo renderer): the resolution a page is drawn at and the
 * limits on the image it makes, so that a hostile page size cannot ask for gigabytes.
 * seal_doc_render_png (seal/doc.h) renders within these. */
#ifndef SEAL_RENDER_H
#define SEAL_RENDER_H

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
}
#endif
#endif
