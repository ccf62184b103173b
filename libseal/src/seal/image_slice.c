/* Cutting pictures: a verify report's seal out of its rendered page (seal_image_crop_png),
 * and seam (cross-page) seals: cuts the seal picture into one strip per page. The stamp flow
 * places strip i at the edge of the seam's i-th page, so that the fanned-out pages show
 * the whole seal (image.h says which strip goes first for each side). Cuts fall on whole
 * pixels and the strips are exact copies of the picture's pixels, so they join without a
 * seam line or a gap. */
#include "seal/image_internal.h"
#include <seal/error.h>
#include <seal/image.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char *const side_names[] = {"right", "left", "top", "bottom"};

const char *seal_seam_side_name(seal_seam_side side)
{
    return (unsigned)side < 4 ? side_names[side] : "?";
}

int seal_seam_side_parse(seal_seam_side *out, const char *name)
{
    for (int i = 0; i < 4; i++)
        if (name && strcmp(name, side_names[i]) == 0) {
            *out = (seal_seam_side)i;
            return 0;
        }
    return seal_error_set(SEAL_EINVAL, "seam side \"%s\" is not right, left, top or bottom",
                          name ? name : "");
}

/* Copies a rectangle of the picture into a PNG of its own (integer offsets and the
 * SOURCE operator: the pixels are copied, not resampled or blended). */
static int cut(seal_buf *png, cairo_surface_t *picture, int x, int y, int width, int height)
{
    int rc = 0;
    cairo_surface_t *strip = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
    cairo_t *cr = cairo_create(strip);
    cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
    cairo_set_source_surface(cr, picture, -x, -y);
    cairo_paint(cr);
    cairo_surface_flush(strip);
    SEAL_ENSURE(cairo_status(cr) == CAIRO_STATUS_SUCCESS, SEAL_ENOMEM,
                "could not cut the seal picture: %s", cairo_status_to_string(cairo_status(cr)));
    SEAL_TRY(seal_image_encode_png(png, strip));
out:
    cairo_destroy(cr);
    cairo_surface_destroy(strip);
    return rc;
}

int seal_image_crop_png(seal_buf *out, const uint8_t *png, size_t len, int x, int y, int width,
                        int height)
{
    int rc = 0;
    cairo_surface_t *picture = NULL;
    SEAL_TRY(seal_image_png_surface(&picture, png, len));
    int pw = cairo_image_surface_get_width(picture), ph = cairo_image_surface_get_height(picture);
    int x0 = x < 0 ? 0 : x, y0 = y < 0 ? 0 : y;
    int x1 = x + width > pw ? pw : x + width, y1 = y + height > ph ? ph : y + height;
    SEAL_ENSURE(x1 > x0 && y1 > y0, SEAL_EINVAL,
                "the box %d,%d %dx%d px lies outside the %dx%d px picture", x, y, width, height, pw,
                ph);
    SEAL_TRY(cut(out, picture, x0, y0, x1 - x0, y1 - y0));
out:
    cairo_surface_destroy(picture);
    return rc;
}

int seal_image_slice_seam(seal_seam_strips *out, const uint8_t *png, size_t len, double width_mm,
                          double height_mm, size_t count, seal_seam_side side)
{
    int rc = 0;
    cairo_surface_t *picture = NULL;
    seal_seam_strips strips = {NULL, 0};

    out->strips = NULL;
    out->count = 0;
    SEAL_ENSURE((unsigned)side < 4, SEAL_EINVAL, "unknown seam side %d", (int)side);
    SEAL_ENSURE(count >= 2, SEAL_EINVAL, "a seam seal needs at least 2 pages (got %zu)", count);
    SEAL_ENSURE(width_mm > 0 && height_mm > 0, SEAL_EINVAL,
                "seal size %.1f x %.1f mm is not positive", width_mm, height_mm);
    SEAL_TRY(seal_image_png_surface(&picture, png, len));

    int width = cairo_image_surface_get_width(picture);
    int height = cairo_image_surface_get_height(picture);
    bool vertical_cuts = side == SEAL_SEAM_RIGHT || side == SEAL_SEAM_LEFT;
    int across = vertical_cuts ? width : height; /* pixels the cuts share out */
    double across_mm = vertical_cuts ? width_mm : height_mm;
    SEAL_ENSURE(count <= (size_t)across, SEAL_EINVAL,
                "a seam over %zu pages needs a seal picture at least %zu px %s (it is %d px)",
                count, count, vertical_cuts ? "wide" : "high", across);

    strips.strips = calloc(count, sizeof *strips.strips);
    SEAL_ENSURE(strips.strips, SEAL_ENOMEM, "out of memory for %zu seam strips", count);
    strips.count = count;
    for (size_t piece = 0; piece < count; piece++) {
        /* piece counts in picture order (left to right, top to bottom); the cuts are at
         * round(k * across / count), so pieces differ by at most one pixel */
        int start = (int)((piece * (size_t)across + count / 2) / count);
        int stop = (int)(((piece + 1) * (size_t)across + count / 2) / count);
        /* the page that shows this piece when the pages are fanned out (image.h) */
        size_t page =
            side == SEAL_SEAM_RIGHT || side == SEAL_SEAM_BOTTOM ? piece : count - 1 - piece;
        seal_seam_strip *s = &strips.strips[page];
        s->start_px = start;
        s->start_mm = across_mm * start / across;
        if (vertical_cuts) {
            s->width_px = stop - start;
            s->height_px = height;
            s->width_mm = width_mm * s->width_px / width;
            s->height_mm = height_mm;
            SEAL_TRY(cut(&s->png, picture, start, 0, s->width_px, height));
        } else {
            s->width_px = width;
            s->height_px = stop - start;
            s->width_mm = width_mm;
            s->height_mm = height_mm * s->height_px / height;
            SEAL_TRY(cut(&s->png, picture, 0, start, width, s->height_px));
        }
    }
    *out = strips;
    strips.strips = NULL;
    strips.count = 0;

out:
    seal_image_strips_clear(&strips);
    cairo_surface_destroy(picture);
    return rc;
}

void seal_image_strips_clear(seal_seam_strips *strips)
{
    if (!strips)
        return;
    for (size_t i = 0; i < strips->count; i++)
        seal_buf_clear(&strips->strips[i].png);
    free(strips->strips);
    strips->strips = NULL;
    strips->count = 0;
}
