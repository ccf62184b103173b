/* Seam strips: a seal picture cut into one strip per page for each side; the strips have
 * the expected sizes in pixels and millimetres, come in the order the fanned-out pages
 * show them, and put side by side give back the picture's pixels exactly. */
#include "testutil.h"

#include <seal/buf.h>
#include <seal/error.h>
#include <seal/image.h>

#include <cairo.h>
#include <math.h>
#include <string.h>

typedef struct pixels {
    seal_buf rgb;
    seal_buf alpha;
    int width;
    int height;
} pixels;

static void decode(pixels *p, const seal_buf *png)
{
    memset(p, 0, sizeof *p);
    if (seal_image_decode_rgba(png->data, png->len, &p->rgb, &p->alpha, &p->width, &p->height) < 0)
        fail_msg("decode: %s", seal_error_last());
}

static void pixels_free(pixels *p)
{
    seal_buf_clear(&p->rgb);
    seal_buf_clear(&p->alpha);
}

static cairo_status_t append_png(void *closure, const unsigned char *data, unsigned int length)
{
    return seal_buf_append(closure, data, length) < 0 ? CAIRO_STATUS_WRITE_ERROR
                                                      : CAIRO_STATUS_SUCCESS;
}

/* A picture whose every pixel says where it is: red = column, green = row, opaque. */
static void coordinate_picture(seal_buf *png, int width, int height)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
    uint8_t *data = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    cairo_surface_flush(s);
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
            *(uint32_t *)(void *)(data + (size_t)y * stride + (size_t)x * 4) =
                0xFF000000u | (uint32_t)x << 16 | (uint32_t)y << 8 | 0x80;
    cairo_surface_mark_dirty(s);
    assert_int_equal(cairo_surface_write_to_png_stream(s, append_png, png), CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(s);
}

static void slice(seal_seam_strips *strips, const seal_buf *png, double w_mm, double h_mm,
                  size_t count, seal_seam_side side)
{
    if (seal_image_slice_seam(strips, png->data, png->len, w_mm, h_mm, count, side) < 0)
        fail_msg("slice %s x%zu: %s", seal_seam_side_name(side), count, seal_error_last());
    assert_int_equal(strips->count, count);
}

/* Each strip's first pixel tells where it was cut from. */
static void assert_strip_origin(const seal_seam_strip *s, int x, int y)
{
    pixels p;
    decode(&p, &s->png);
    assert_int_equal(p.width, s->width_px);
    assert_int_equal(p.height, s->height_px);
    if (p.rgb.data[0] != x || p.rgb.data[1] != y)
        fail_msg("strip starts at picture pixel (%u, %u), expected (%d, %d)", p.rgb.data[0],
                 p.rgb.data[1], x, y);
    pixels_free(&p);
}

static void order_follows_the_fanned_pages(void **state)
{
    (void)state;
    seal_buf png = SEAL_BUF_INIT;
    seal_seam_strips strips;
    coordinate_picture(&png, 9, 6);

    /* right: the first page shows the leftmost strip */
    slice(&strips, &png, 9, 6, 3, SEAL_SEAM_RIGHT);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(strips.strips[i].start_px, 3 * i);
        assert_strip_origin(&strips.strips[i], 3 * i, 0);
    }
    seal_image_strips_clear(&strips);

    /* left: the first page shows the rightmost strip */
    slice(&strips, &png, 9, 6, 3, SEAL_SEAM_LEFT);
    for (int i = 0; i < 3; i++)
        assert_strip_origin(&strips.strips[i], 3 * (2 - i), 0);
    seal_image_strips_clear(&strips);

    /* top: the first page shows the bottom strip */
    slice(&strips, &png, 9, 6, 3, SEAL_SEAM_TOP);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(strips.strips[i].width_px, 9);
        assert_int_equal(strips.strips[i].height_px, 2);
        assert_strip_origin(&strips.strips[i], 0, 2 * (2 - i));
    }
    seal_image_strips_clear(&strips);

    /* bottom: the first page shows the top strip */
    slice(&strips, &png, 9, 6, 3, SEAL_SEAM_BOTTOM);
    for (int i = 0; i < 3; i++)
        assert_strip_origin(&strips.strips[i], 0, 2 * i);
    seal_image_strips_clear(&strips);
    seal_buf_clear(&png);
}

static void uneven_cuts_differ_by_one_pixel_and_sum_up(void **state)
{
    (void)state;
    seal_buf png = SEAL_BUF_INIT;
    seal_seam_strips strips;
    coordinate_picture(&png, 10, 4);
    slice(&strips, &png, 40.0, 16.0, 4, SEAL_SEAM_RIGHT);
    int total_px = 0;
    double total_mm = 0;
    for (size_t i = 0; i < strips.count; i++) {
        const seal_seam_strip *s = &strips.strips[i];
        assert_true(s->width_px == 2 || s->width_px == 3);
        assert_int_equal(s->start_px, total_px);
        assert_true(fabs(s->start_mm - total_mm) < 1e-9);
        assert_true(fabs(s->width_mm - 4.0 * s->width_px) < 1e-9);
        assert_true(fabs(s->height_mm - 16.0) < 1e-9);
        assert_int_equal(s->height_px, 4);
        total_px += s->width_px;
        total_mm += s->width_mm;
    }
    assert_int_equal(total_px, 10);
    assert_true(fabs(total_mm - 40.0) < 1e-9);
    seal_image_strips_clear(&strips);
    seal_buf_clear(&png);
}

/* A drawn seal (anti-aliased, half-transparent edges) cut for every side: the strips put
 * back together in picture order are the picture, pixel for pixel. */
static void strips_rebuild_a_drawn_seal(void **state)
{
    (void)state;
    seal_drawing d = {.shape = SEAL_SHAPE_ROUND, .name = "星河信息技术有限公司", .dpi = 300};
    seal_buf png = SEAL_BUF_INIT;
    if (seal_image_draw(&png, &d) < 0)
        fail_msg("draw: %s", seal_error_last());
    pixels whole;
    decode(&whole, &png);

    for (int side = SEAL_SEAM_RIGHT; side <= SEAL_SEAM_BOTTOM; side++) {
        for (size_t count = 2; count <= 7; count += 5) {
            seal_seam_strips strips;
            slice(&strips, &png, 42.0, 42.0, count, (seal_seam_side)side);
            bool vertical = side == SEAL_SEAM_RIGHT || side == SEAL_SEAM_LEFT;
            for (size_t i = 0; i < count; i++) {
                const seal_seam_strip *s = &strips.strips[i];
                pixels p;
                decode(&p, &s->png);
                for (int y = 0; y < p.height; y++)
                    for (int x = 0; x < p.width; x++) {
                        int wx = vertical ? s->start_px + x : x;
                        int wy = vertical ? y : s->start_px + y;
                        size_t at = (size_t)wy * whole.width + wx;
                        size_t here = (size_t)y * p.width + x;
                        if (p.alpha.data[here] != whole.alpha.data[at] ||
                            memcmp(p.rgb.data + here * 3, whole.rgb.data + at * 3, 3) != 0)
                            fail_msg("%s x%zu: strip %zu pixel (%d, %d) differs from the "
                                     "picture's (%d, %d)",
                                     seal_seam_side_name((seal_seam_side)side), count, i, x, y, wx,
                                     wy);
                    }
                pixels_free(&p);
            }
            seal_image_strips_clear(&strips);
        }
    }
    pixels_free(&whole);
    seal_buf_clear(&png);
}

static void refusals(void **state)
{
    (void)state;
    seal_buf png = SEAL_BUF_INIT;
    seal_seam_strips strips = {NULL, 0};
    coordinate_picture(&png, 5, 3);

    assert_int_equal(seal_image_slice_seam(&strips, png.data, png.len, 5, 3, 1, SEAL_SEAM_RIGHT),
                     SEAL_EINVAL);
    assert_non_null(strstr(seal_error_last(), "at least 2 pages"));
    assert_int_equal(seal_image_slice_seam(&strips, png.data, png.len, 5, 3, 6, SEAL_SEAM_LEFT),
                     SEAL_EINVAL);
    assert_non_null(strstr(seal_error_last(), "at least 6 px wide (it is 5 px)"));
    assert_int_equal(seal_image_slice_seam(&strips, png.data, png.len, 5, 3, 4, SEAL_SEAM_TOP),
                     SEAL_EINVAL);
    assert_non_null(strstr(seal_error_last(), "at least 4 px high (it is 3 px)"));
    assert_int_equal(seal_image_slice_seam(&strips, png.data, png.len, 0, 3, 2, SEAL_SEAM_TOP),
                     SEAL_EINVAL);
    assert_int_equal(seal_image_slice_seam(&strips, png.data, png.len - 20, 5, 3, 2, 7),
                     SEAL_EINVAL);
    assert_int_equal(
        seal_image_slice_seam(&strips, (const uint8_t *)"GIF89a", 6, 5, 3, 2, SEAL_SEAM_TOP),
        SEAL_EFORMAT);
    assert_int_equal(seal_image_slice_seam(&strips, png.data, png.len / 2, 5, 3, 2, SEAL_SEAM_TOP),
                     SEAL_EFORMAT);
    assert_null(strips.strips);
    assert_int_equal(strips.count, 0);

    seal_seam_side side;
    assert_int_equal(seal_seam_side_parse(&side, "bottom"), 0);
    assert_int_equal(side, SEAL_SEAM_BOTTOM);
    assert_string_equal(seal_seam_side_name(SEAL_SEAM_LEFT), "left");
    assert_int_equal(seal_seam_side_parse(&side, "middle"), SEAL_EINVAL);
    assert_non_null(strstr(seal_error_last(), "\"middle\" is not right, left, top or bottom"));
    seal_image_strips_clear(NULL);
    seal_buf_clear(&png);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(order_follows_the_fanned_pages),
        cmocka_unit_test(uneven_cuts_differ_by_one_pixel_and_sum_up),
        cmocka_unit_test(strips_rebuild_a_drawn_seal),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
