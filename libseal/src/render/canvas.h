/* The Cairo side of page rendering that both format adapters use (pdf/render.c through
 * Poppler, ofd/render_page.c with its own drawing): a white canvas of a page's pixel size
 * scaled to the caller's units, and the PNG encoder. Cairo types stay out of the public
 * headers, so this is not part of the public API. */
#ifndef SEAL_RENDER_CANVAS_H
#define SEAL_RENDER_CANVAS_H

#include "render/cairo_lazy.h"

#include <seal/buf.h>
#include <seal/render.h>

#define SEAL_MM_PER_INCH 25.4

/* A canvas for a page of width_mm x height_mm at `dpi` (0: SEAL_RENDER_DPI_DEFAULT),
 * within the limits of seal/render.h, painted white, its user space scaled by
 * `units_per_inch` (25.4 to draw in millimetres, 72 in points). Free both with
 * seal_render_canvas_free. */
typedef struct seal_render_canvas {
    cairo_surface_t *surface;
    cairo_t *cr;
    int width_px, height_px;
} seal_render_canvas;

int seal_render_canvas_new(seal_render_canvas *out, double width_mm, double height_mm, double dpi,
                           double units_per_inch);
/* The canvas as a PNG (replacing *png's content on success); `page` names it in messages. */
int seal_render_canvas_png(seal_render_canvas *canvas, int page, seal_buf *png);
void seal_render_canvas_free(seal_render_canvas *canvas);

/* A cairo_write_func_t appending to the seal_buf given as closure (PNG and PDF streams). */
cairo_status_t seal_render_write_buf(void *closure, const unsigned char *data, unsigned int length);

#endif
