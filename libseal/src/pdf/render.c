/* Renders PDF pages through Poppler-glib onto a Cairo image surface, as a person sees them
 * (rotation, crop box, annotations with the seals' appearances), for `sealsvc render` and
 * for pictures of sealed pages. Also the pixel limits every page rendering shares. */
#include <seal/error.h>
#include <seal/pdf.h>

#include <cairo.h>
#include <math.h>
#include <poppler.h>

#define MM_PER_INCH 25.4
#define PT_PER_INCH 72.0

int seal_render_pixel_size(int *width_px, int *height_px, double width_mm, double height_mm,
                           double dpi)
{
    if (!(dpi >= SEAL_RENDER_DPI_MIN && dpi <= SEAL_RENDER_DPI_MAX))
        return seal_error_set(SEAL_EINVAL, "dpi %g is out of range (%d to %d)", dpi,
                              SEAL_RENDER_DPI_MIN, SEAL_RENDER_DPI_MAX);
    double w = ceil(width_mm / MM_PER_INCH * dpi - 1e-6);
    double h = ceil(height_mm / MM_PER_INCH * dpi - 1e-6);
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

static cairo_status_t append_png(void *closure, const unsigned char *data, unsigned int length)
{
    return seal_buf_append(closure, data, length) < 0 ? CAIRO_STATUS_WRITE_ERROR
                                                      : CAIRO_STATUS_SUCCESS;
}

static int open_document(PopplerDocument **out, const char *path)
{
    GError *error = NULL;
    GFile *file = g_file_new_for_path(path);
    *out = poppler_document_new_from_gfile(file, NULL, NULL, &error);
    g_object_unref(file);
    if (*out)
        return 0;
    int rc;
    if (error && error->domain == POPPLER_ERROR && error->code == POPPLER_ERROR_ENCRYPTED)
        rc = seal_error_set(SEAL_EUNSUPPORTED, "%s is encrypted and needs a password", path);
    else if (error && error->domain == G_IO_ERROR)
        rc = seal_error_set(SEAL_EIO, "cannot read %s: %s", path, error->message);
    else
        rc = seal_error_set(SEAL_EFORMAT, "%s is not a PDF Poppler can read (%s)", path,
                            error ? error->message : "no reason given");
    g_clear_error(&error);
    return rc;
}

int seal_pdf_render_page(seal_buf *png, const char *path, int page, double dpi)
{
    int rc = 0;
    PopplerDocument *doc = NULL;
    PopplerPage *p = NULL;
    cairo_surface_t *surface = NULL;
    cairo_t *cr = NULL;
    seal_buf out = SEAL_BUF_INIT;
    double width_pt, height_pt;
    int w, h;

    SEAL_ENSURE(png && path, SEAL_EINVAL, "nothing to render");
    if (dpi == 0)
        dpi = SEAL_RENDER_DPI_DEFAULT;
    SEAL_TRY(open_document(&doc, path));
    int pages = poppler_document_get_n_pages(doc);
    SEAL_ENSURE(page >= 1 && page <= pages, SEAL_ENOTFOUND,
                "page %d does not exist (document has %d page%s)", page, pages,
                pages == 1 ? "" : "s");
    p = poppler_document_get_page(doc, page - 1);
    SEAL_ENSURE(p, SEAL_EFORMAT, "page %d of %s cannot be read", page, path);
    /* The size as shown: the crop box, turned by /Rotate. */
    poppler_page_get_size(p, &width_pt, &height_pt);
    SEAL_TRY(seal_render_pixel_size(&w, &h, width_pt / PT_PER_INCH * MM_PER_INCH,
                                    height_pt / PT_PER_INCH * MM_PER_INCH, dpi));
    surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cr = cairo_create(surface);
    SEAL_ENSURE(cairo_status(cr) == CAIRO_STATUS_SUCCESS, SEAL_ENOMEM,
                "no memory for a %d x %d image", w, h);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_scale(cr, dpi / PT_PER_INCH, dpi / PT_PER_INCH);
    poppler_page_render(p, cr);
    SEAL_ENSURE(cairo_status(cr) == CAIRO_STATUS_SUCCESS, SEAL_ENOMEM, "drawing page %d failed: %s",
                page, cairo_status_to_string(cairo_status(cr)));
    cairo_surface_flush(surface);
    cairo_status_t status = cairo_surface_write_to_png_stream(surface, append_png, &out);
    SEAL_ENSURE(status == CAIRO_STATUS_SUCCESS, SEAL_ENOMEM, "could not encode the page as PNG: %s",
                cairo_status_to_string(status));
    seal_buf_clear(png);
    *png = out;
    out = (seal_buf)SEAL_BUF_INIT;
out:
    seal_buf_clear(&out);
    if (cr)
        cairo_destroy(cr);
    if (surface)
        cairo_surface_destroy(surface);
    if (p)
        g_object_unref(p);
    if (doc)
        g_object_unref(doc);
    return rc;
}
