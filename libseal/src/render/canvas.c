/* Page rendering's shared half (render/canvas.h): the pixel limits every rendered page is
 * held to, a white canvas of the page's size, and the PNG encoder. The PDF and OFD
 * adapters draw onto the canvas, each in its own way; neither reaches into the other. */
#include "render/canvas.h"

#include <seal/error.h>

#include <math.h>

int seal_render_pixel_size(int *width_px, int *height_px, double width_mm, double height_mm,
                           double dpi)
{
    if (!(dpi >= SEAL_RENDER_DPI_MIN && dpi <= SEAL_RENDER_DPI_MAX))
        return seal_error_set(SEAL_EINVAL, "dpi %g is out of range (%d to %d)", dpi,
                              SEAL_RENDER_DPI_MIN, SEAL_RENDER_DPI_MAX);
    double w = ceil(width_mm / SEAL_MM_PER_INCH * dpi - 1e-6);
    double h = ceil(height_mm / SEAL_MM_PER_INCH * dpi - 1e-6);
    if (!(w >= 1 && h >= 1))
        return seal_error_set(SEAL_EFORMAT, "the page is %g x %g mm, which has no pixels", width_mm,
                              height_mm);
    if (w > SEAL_RENDER_MAX_SIDE || h > SEAL_RENDER_MAX_SIDE ||
        w * h > (double)SEAL_RENDER_MAX_PIXELS)
        return seal_error_set(SEAL_EPOLICY,
                              "a %g x %g mm page at %g dpi is %.0f x %.0f pixels, more than the "
                              "limit of %u million pixels (%d a side); use a lower dpi",
                              width_mm, height_mm, dpi, w, h, SEAL_RENDER_MAX_PIXELS / 1000000,
                              SEAL_RENDER_MAX_SIDE);
    *width_px = (int)w;
    *height_px = (int)h;
    return 0;
}

cairo_status_t seal_render_write_buf(void *closure, const unsigned char *data, unsigned int length)
{
    return seal_buf_append(closure, data, length) < 0 ? CAIRO_STATUS_WRITE_ERROR
                                                      : CAIRO_STATUS_SUCCESS;
}

int seal_render_canvas_new(seal_render_canvas *out, double width_mm, double height_mm, double dpi,
                           double units_per_inch)
{
    int rc = 0;
    *out = (seal_render_canvas){0};
    if (dpi == 0)
        dpi = SEAL_RENDER_DPI_DEFAULT;
    SEAL_TRY(seal_render_pixel_size(&out->width_px, &out->height_px, width_mm, height_mm, dpi));
    SEAL_TRY(render_cairo_load());
    /* Opaque RGB: a page is shown on white paper, and PNGs without alpha are smaller. */
    out->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, out->width_px, out->height_px);
    out->cr = cairo_create(out->surface);
    SEAL_ENSURE(cairo_status(out->cr) == CAIRO_STATUS_SUCCESS, SEAL_ENOMEM,
                "no memory for a %d x %d image", out->width_px, out->height_px);
    cairo_set_source_rgb(out->cr, 1, 1, 1);
    cairo_paint(out->cr);
    cairo_scale(out->cr, dpi / units_per_inch, dpi / units_per_inch);
out:
    if (rc < 0)
        seal_render_canvas_free(out);
    return rc;
}

int seal_render_canvas_png(seal_render_canvas *canvas, int page, seal_buf *png)
{
    int rc = 0;
    seal_buf out = SEAL_BUF_INIT;
    SEAL_ENSURE(cairo_status(canvas->cr) == CAIRO_STATUS_SUCCESS, SEAL_ENOMEM,
                "drawing page %d failed: %s", page,
                cairo_status_to_string(cairo_status(canvas->cr)));
    cairo_surface_flush(canvas->surface);
    cairo_status_t status =
        cairo_surface_write_to_png_stream(canvas->surface, seal_render_write_buf, &out);
    SEAL_ENSURE(status == CAIRO_STATUS_SUCCESS, SEAL_ENOMEM, "could not encode the page as PNG: %s",
                cairo_status_to_string(status));
    seal_buf_clear(png);
    *png = out;
    out = (seal_buf)SEAL_BUF_INIT;
out:
    seal_buf_clear(&out);
    return rc;
}

void seal_render_canvas_free(seal_render_canvas *canvas)
{
    if (canvas->cr)
        cairo_destroy(canvas->cr);
    if (canvas->surface)
        cairo_surface_destroy(canvas->surface);
    *canvas = (seal_render_canvas){0};
}
