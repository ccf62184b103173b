/* Reads seal images uploaded as PNG: their size, and their pixels as the separate colour
 * and alpha samples that a PDF image XObject and its /SMask take (ISO 32000-1 8.9.5 and
 * 11.6.5.3). The stamp flow uses these for seals whose picture was uploaded, not drawn. */
#include "seal/image_internal.h"
#include <seal/error.h>
#include <seal/image.h>

#include <string.h>

#define SIDE_MAX_PX 8000

/* PNG (ISO/IEC 15948) 5.2 and 11.2.2: the 8-byte signature, then IHDR first, whose data
 * starts with the width and height as 4-byte big-endian numbers. */
static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

static uint32_t be32(seal_slice s)
{
    return (uint32_t)s.data[0] << 24 | (uint32_t)s.data[1] << 16 | (uint32_t)s.data[2] << 8 |
           s.data[3];
}

/* Reads the size from the header, so that an oversized image is refused before Cairo
 * allocates memory for its pixels. */
static int png_header_size(const uint8_t *png, size_t len, uint32_t *width, uint32_t *height)
{
    seal_slice s = seal_slice_of(png, len);
    seal_slice signature, length, type, w, h;
    if (!png || !seal_slice_take(&s, 8, &signature) ||
        !seal_slice_eq(signature, seal_slice_of(png_signature, 8)) ||
        !seal_slice_take(&s, 4, &length) || !seal_slice_take(&s, 4, &type) || be32(length) != 13 ||
        memcmp(type.data, "IHDR", 4) != 0 || !seal_slice_take(&s, 4, &w) ||
        !seal_slice_take(&s, 4, &h))
        return seal_error_set(SEAL_EFORMAT, "not a PNG image Cairo can read");
    *width = be32(w);
    *height = be32(h);
    if (*width == 0 || *height == 0)
        return seal_error_set(SEAL_EFORMAT, "not a PNG image Cairo can read (its size is 0)");
    if (*width > SIDE_MAX_PX || *height > SIDE_MAX_PX)
        return seal_error_set(SEAL_EINVAL, "the seal image is %u x %u px; the limit is %d x %d px",
                              (unsigned)*width, (unsigned)*height, SIDE_MAX_PX, SIDE_MAX_PX);
    return 0;
}

static cairo_status_t read_slice(void *closure, unsigned char *data, unsigned int length)
{
    seal_slice part;
    if (!seal_slice_take(closure, length, &part))
        return CAIRO_STATUS_READ_ERROR;
    memcpy(data, part.data, length);
    return CAIRO_STATUS_SUCCESS;
}

/* Decodes to an ARGB32 surface whatever pixel format Cairo chose for the file. */
int seal_image_png_surface(cairo_surface_t **out, const uint8_t *png, size_t len)
{
    int rc = 0;
    cairo_surface_t *decoded = NULL;
    cairo_surface_t *argb = NULL;
    cairo_t *cr = NULL;
    uint32_t width, height;

    *out = NULL;
    SEAL_TRY(png_header_size(png, len, &width, &height));
    SEAL_TRY(render_cairo_load());
    seal_slice input = seal_slice_of(png, len);
    decoded = cairo_image_surface_create_from_png_stream(read_slice, &input);
    SEAL_ENSURE(cairo_surface_status(decoded) == CAIRO_STATUS_SUCCESS, SEAL_EFORMAT,
                "not a PNG image Cairo can read (%s)",
                cairo_status_to_string(cairo_surface_status(decoded)));
    if (cairo_image_surface_get_format(decoded) == CAIRO_FORMAT_ARGB32) {
        *out = decoded;
        decoded = NULL;
        goto out;
    }
    argb = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, cairo_image_surface_get_width(decoded),
                                      cairo_image_surface_get_height(decoded));
    cr = cairo_create(argb);
    cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
    cairo_set_source_surface(cr, decoded, 0.0, 0.0);
    cairo_paint(cr);
    cairo_surface_flush(argb);
    SEAL_ENSURE(cairo_status(cr) == CAIRO_STATUS_SUCCESS, SEAL_ENOMEM,
                "could not convert the PNG image: %s", cairo_status_to_string(cairo_status(cr)));
    *out = argb;
    argb = NULL;

out:
    cairo_destroy(cr);
    cairo_surface_destroy(argb);
    cairo_surface_destroy(decoded);
    return rc;
}

int seal_image_png_info(const uint8_t *png, size_t len, int *width_px, int *height_px)
{
    cairo_surface_t *surface;
    int rc = seal_image_png_surface(&surface, png, len);
    if (rc < 0)
        return rc;
    if (width_px)
        *width_px = cairo_image_surface_get_width(surface);
    if (height_px)
        *height_px = cairo_image_surface_get_height(surface);
    cairo_surface_destroy(surface);
    return 0;
}

/* Cairo keeps ARGB32 premultiplied (colour scaled by alpha); PDF wants the colour itself,
 * with the alpha apart in the soft mask. */
static uint8_t unpremultiply(uint32_t value, uint32_t alpha)
{
    uint32_t v = (value * 255 + alpha / 2) / alpha;
    return v > 255 ? 255 : (uint8_t)v;
}

int seal_image_decode_rgba(const uint8_t *png, size_t len, seal_buf *rgb, seal_buf *alpha,
                           int *width_px, int *height_px)
{
    int rc = 0;
    cairo_surface_t *surface = NULL;
    seal_buf colour = SEAL_BUF_INIT;
    seal_buf mask = SEAL_BUF_INIT;

    SEAL_TRY(seal_image_png_surface(&surface, png, len));
    int width = cairo_image_surface_get_width(surface);
    int height = cairo_image_surface_get_height(surface);
    int stride = cairo_image_surface_get_stride(surface);
    const uint8_t *pixels = cairo_image_surface_get_data(surface);
    size_t count = (size_t)width * (size_t)height; /* both at most 8000: no overflow */
    SEAL_TRY(seal_buf_reserve(&colour, count * 3 + 1));
    SEAL_TRY(seal_buf_reserve(&mask, count + 1));
    for (int y = 0; y < height; y++) {
        const uint32_t *row = (const uint32_t *)(const void *)(pixels + (size_t)y * stride);
        for (int x = 0; x < width; x++) {
            uint32_t argb = row[x];
            uint32_t a = argb >> 24;
            uint8_t *c = colour.data + colour.len;
            if (a == 0) {
                c[0] = c[1] = c[2] = 0;
            } else {
                c[0] = unpremultiply((argb >> 16) & 0xFF, a);
                c[1] = unpremultiply((argb >> 8) & 0xFF, a);
                c[2] = unpremultiply(argb & 0xFF, a);
            }
            colour.len += 3;
            mask.data[mask.len++] = (uint8_t)a;
        }
    }

    seal_buf_clear(rgb);
    seal_buf_clear(alpha);
    *rgb = colour;
    *alpha = mask;
    colour = (seal_buf)SEAL_BUF_INIT;
    mask = (seal_buf)SEAL_BUF_INIT;
    if (width_px)
        *width_px = width;
    if (height_px)
        *height_px = height;

out:
    seal_buf_clear(&colour);
    seal_buf_clear(&mask);
    cairo_surface_destroy(surface);
    return rc;
}
