/* Seal images: the drawn PNG has the size the millimetres and dpi ask for, a transparent
 * background, a red ring, star and text where an official seal has them, long names kept
 * inside the ring; uploaded PNGs are checked and decoded to un-premultiplied samples. */
#include "testutil.h"

#include "seal/image_internal.h"

#include <seal/buf.h>
#include <seal/error.h>
#include <seal/image.h>

#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define COMPANY "北京市海淀区星河信息技术有限公司"
#define PURPOSE "合同专用章"
#define CODE    "1101080012345"

typedef struct picture {
    seal_buf png;
    seal_buf rgb;
    seal_buf alpha;
    int width;
    int height;
} picture;

static int mm_px(double mm, int dpi)
{
    return (int)lround(mm / 25.4 * dpi);
}

static void draw_and_decode(picture *p, const seal_drawing *d)
{
    memset(p, 0, sizeof *p);
    int rc = seal_image_draw(&p->png, d);
    if (rc < 0)
        fail_msg("seal_image_draw: %s", seal_error_last());
    rc = seal_image_decode_rgba(p->png.data, p->png.len, &p->rgb, &p->alpha, &p->width, &p->height);
    if (rc < 0)
        fail_msg("seal_image_decode_rgba: %s", seal_error_last());
    assert_int_equal(p->rgb.len, (size_t)p->width * p->height * 3);
    assert_int_equal(p->alpha.len, (size_t)p->width * p->height);
}

static void picture_free(picture *p)
{
    seal_buf_clear(&p->png);
    seal_buf_clear(&p->rgb);
    seal_buf_clear(&p->alpha);
}

static uint8_t alpha_at(const picture *p, int x, int y)
{
    return p->alpha.data[(size_t)y * p->width + x];
}

static const uint8_t *rgb_at(const picture *p, int x, int y)
{
    return p->rgb.data + ((size_t)y * p->width + x) * 3;
}

/* Seal red: strong red, little green and blue, nearly opaque. */
static void assert_red(const picture *p, int x, int y)
{
    const uint8_t *c = rgb_at(p, x, y);
    if (!(alpha_at(p, x, y) > 200 && c[0] > 180 && c[1] < 90 && c[2] < 90))
        fail_msg("pixel (%d, %d) is not seal red: rgb %u %u %u alpha %u", x, y, c[0], c[1], c[2],
                 alpha_at(p, x, y));
}

static void assert_corners_clear(const picture *p)
{
    assert_int_equal(alpha_at(p, 0, 0), 0);
    assert_int_equal(alpha_at(p, p->width - 1, 0), 0);
    assert_int_equal(alpha_at(p, 0, p->height - 1), 0);
    assert_int_equal(alpha_at(p, p->width - 1, p->height - 1), 0);
}

/* The resolution the PNG records (pHYs, in pixels per metre) as dots per inch, or 0 when
 * the file has no pHYs chunk before its image data. */
static double png_dpi(const seal_buf *png)
{
    size_t pos = 8;
    while (pos + 12 <= png->len) {
        const uint8_t *c = png->data + pos;
        size_t len = (size_t)c[0] << 24 | (size_t)c[1] << 16 | (size_t)c[2] << 8 | c[3];
        if (memcmp(c + 4, "IDAT", 4) == 0)
            return 0;
        if (memcmp(c + 4, "pHYs", 4) == 0 && len == 9 && c[16] == 1) {
            uint32_t x = (uint32_t)c[8] << 24 | (uint32_t)c[9] << 16 | (uint32_t)c[10] << 8 | c[11];
            uint32_t y =
                (uint32_t)c[12] << 24 | (uint32_t)c[13] << 16 | (uint32_t)c[14] << 8 | c[15];
            assert_int_equal(x, y);
            return x * 0.0254;
        }
        pos += 12 + len;
    }
    return 0;
}

static void round_seal_has_ring_star_and_size(void **state)
{
    (void)state;
    seal_drawing d = {.shape = SEAL_SHAPE_ROUND, .name = COMPANY, .purpose = PURPOSE, .code = CODE};
    picture p;
    draw_and_decode(&p, &d);
    assert_int_equal(p.width, mm_px(42, 600));
    assert_int_equal(p.height, mm_px(42, 600));
    assert_true(fabs(png_dpi(&p.png) - 600) < 0.5);
    assert_corners_clear(&p);
    /* The ring (about 1.2 mm wide, just inside the edge), left, right, top and bottom. */
    int ring = mm_px(0.9, 600);
    assert_red(&p, ring, p.height / 2);
    assert_red(&p, p.width - 1 - ring, p.height / 2);
    assert_red(&p, p.width / 2, ring);
    assert_red(&p, p.width / 2, p.height - 1 - ring);
    /* The star in the middle, in exactly the default colour 0xE0201A. */
    assert_red(&p, p.width / 2, p.height / 2);
    const uint8_t *c = rgb_at(&p, p.width / 2, p.height / 2);
    assert_int_equal(alpha_at(&p, p.width / 2, p.height / 2), 255);
    assert_int_equal(c[0], 0xE0);
    assert_int_equal(c[1], 0x20);
    assert_int_equal(c[2], 0x1A);
    /* Inside the ring between star and ring on the horizontal axis nothing but text: the
     * point halfway between the star's side and the ring, just below the name, is clear. */
    assert_int_equal(alpha_at(&p, p.width / 2, p.height / 2 - mm_px(9, 600)), 0);
    picture_free(&p);
}

static void size_follows_dpi_and_mm(void **state)
{
    (void)state;
    seal_drawing d = {.shape = SEAL_SHAPE_ROUND, .name = "星河公司", .width_mm = 38, .dpi = 300};
    picture p;
    draw_and_decode(&p, &d);
    assert_int_equal(p.width, mm_px(38, 300));
    assert_int_equal(p.height, mm_px(38, 300));
    /* and the file says so, for image tools and printers */
    assert_true(fabs(png_dpi(&p.png) - 300) < 0.5);
    int w, h;
    assert_int_equal(seal_image_png_info(p.png.data, p.png.len, &w, &h), 0);
    assert_int_equal(w, p.width);
    assert_int_equal(h, p.height);
    picture_free(&p);
}

/* 30 characters: condensed onto the arc, never outside the ring and never touching it. */
static void long_name_stays_inside_ring(void **state)
{
    (void)state;
    const char *name = "北京市海淀区星河信息技术有限公司北京市海淀区星河信息技术有";
    seal_drawing d = {.shape = SEAL_SHAPE_ROUND, .name = name, .purpose = PURPOSE, .code = CODE};
    picture p;
    draw_and_decode(&p, &d);
    double cx = p.width / 2.0, cy = p.height / 2.0, radius = p.width / 2.0;
    double gap_outer = radius - mm_px(1.75, 600); /* inside the ring's inner edge */
    double gap_inner = radius - mm_px(2.2, 600);  /* above the tops of the characters */
    double text_outer = radius - mm_px(2.4, 600);
    double text_inner = radius - mm_px(9.0, 600);
    size_t outside = 0, touching = 0, text = 0;
    for (int y = 0; y < p.height; y++) {
        for (int x = 0; x < p.width; x++) {
            uint8_t a = alpha_at(&p, x, y);
            double r = hypot(x + 0.5 - cx, y + 0.5 - cy);
            if (a > 0 && r > radius + 0.5)
                outside++;
            if (y < cy && r > gap_inner && r < gap_outer && a > 64)
                touching++;
            if (y < cy - p.height * 0.15 && r > text_inner && r < text_outer && a > 128)
                text++;
        }
    }
    assert_int_equal(outside, 0);
    assert_int_equal(touching, 0);
    assert_true(text > 5000);
    picture_free(&p);
}

/* The name of `d` split into two drawings, one with the characters at even positions and
 * one with those at odd positions (the others replaced by an ideographic space, U+3000),
 * plus a drawing with no character at all. Neighbouring characters touch exactly where
 * the two halves both have ink; the name touches the ring, star, purpose or code where a
 * half has ink close to the bare drawing's. Both must never happen, however long the
 * name (within 0.2 mm for the bare parts, 1 px between characters). */
static void assert_name_keeps_apart(const seal_drawing *d, size_t chars)
{
    enum { HALVES = 3 };
    const char *space = "\xe3\x80\x80";
    GString *names[HALVES];
    for (int h = 0; h < HALVES; h++)
        names[h] = g_string_new(NULL);
    size_t i = 0;
    for (const char *c = d->name; *c; c = g_utf8_next_char(c), i++) {
        for (int h = 0; h < HALVES; h++) {
            if (h < 2 && (int)(i % 2) == h)
                g_string_append_len(names[h], c, g_utf8_next_char(c) - c);
            else
                g_string_append(names[h], space);
        }
    }
    assert_int_equal(i, chars);
    picture p[HALVES];
    for (int h = 0; h < HALVES; h++) {
        seal_drawing half = *d;
        half.name = names[h]->str;
        draw_and_decode(&p[h], &half);
        g_string_free(names[h], TRUE);
    }
    const picture *even = &p[0], *odd = &p[1], *bare = &p[2];
    int w = bare->width, h = bare->height;
    int near = mm_px(0.2, d->dpi ? d->dpi : 600);
    size_t touching = 0, crowding = 0, ink = 0;
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            if (alpha_at(bare, x, y) > 0)
                continue;
            bool in_even = alpha_at(even, x, y) > 16, in_odd = alpha_at(odd, x, y) > 16;
            if (in_even && in_odd)
                touching++;
            if (!in_even && !in_odd)
                continue;
            ink++;
            for (int dy = -near; dy <= near && !crowding; dy++)
                for (int dx = -near; dx <= near; dx++) {
                    int nx = x + dx, ny = y + dy;
                    if (nx >= 0 && ny >= 0 && nx < w && ny < h &&
                        dx * dx + dy * dy <= near * near && alpha_at(bare, nx, ny) > 16) {
                        crowding++;
                        break;
                    }
                }
        }
    }
    if (touching || crowding)
        fail_msg("a %zu-character name: %zu pixels where neighbouring characters touch, %zu "
                 "name pixels within 0.2 mm of the ring, star, purpose or code",
                 chars, touching, crowding);
    assert_true(ink > 50 * chars); /* the name was drawn */
    for (int k = 0; k < HALVES; k++)
        picture_free(&p[k]);
}

/* Names as long as real ones get (branch offices, project departments) and longer: the
 * characters get smaller and narrower, never into each other or the ring. */
static void long_names_never_touch(void **state)
{
    (void)state;
    seal_drawing round = {.shape = SEAL_SHAPE_ROUND, .purpose = PURPOSE, .code = CODE, .dpi = 300};
    round.name = "北京市星河信息技术有限公司";
    assert_name_keeps_apart(&round, 13);
    round.name = "中国建筑第八工程局有限公司华东分公司第三项目经理部";
    assert_name_keeps_apart(&round, 25);
    round.name = "中华人民共和国北京市海淀区中关村科技园区星河信息技术研究院有限责任公司";
    assert_name_keeps_apart(&round, 35);
    seal_drawing oval = {.shape = SEAL_SHAPE_OVAL, .code = CODE, .dpi = 300};
    oval.name = "上海浦江建设工程有限公司";
    assert_name_keeps_apart(&oval, 12);
    oval.name = "上海浦江建设工程有限公司北京分公司";
    assert_name_keeps_apart(&oval, 17);
    oval.name = "上海浦江建设工程有限公司北京分公司第三项目部";
    assert_name_keeps_apart(&oval, 22);
}

static void oval_seal_keeps_its_proportions(void **state)
{
    (void)state;
    seal_drawing d = {
        .shape = SEAL_SHAPE_OVAL, .name = COMPANY, .purpose = "财务专用章", .code = CODE};
    picture p;
    draw_and_decode(&p, &d);
    assert_int_equal(p.width, mm_px(45, 600));
    assert_int_equal(p.height, mm_px(30, 600));
    assert_true(fabs((double)p.width / p.height - 1.5) < 0.01);
    assert_corners_clear(&p);
    int ring = mm_px(0.8, 600);
    assert_red(&p, ring, p.height / 2);
    assert_red(&p, p.width / 2, ring);
    assert_red(&p, p.width / 2, p.height / 2); /* the star */
    picture_free(&p);
}

static void square_seal_has_border_and_name(void **state)
{
    (void)state;
    seal_drawing d = {.shape = SEAL_SHAPE_SQUARE, .name = "张三丰"};
    picture p;
    draw_and_decode(&p, &d);
    assert_int_equal(p.width, mm_px(20, 600));
    assert_int_equal(p.height, mm_px(20, 600));
    assert_corners_clear(&p);
    int border = mm_px(0.8, 600);
    assert_red(&p, border, p.height / 2);
    assert_red(&p, p.width - 1 - border, p.height / 2);
    assert_red(&p, p.width / 2, border);
    assert_red(&p, p.width / 2, p.height - 1 - border);
    /* Both columns carry ink: the name on the right, its third character and 印 left. */
    size_t left = 0, right = 0;
    for (int y = mm_px(2, 600); y < p.height - mm_px(2, 600); y++) {
        for (int x = mm_px(2, 600); x < p.width - mm_px(2, 600); x++) {
            if (alpha_at(&p, x, y) > 128)
                *(x < p.width / 2 ? &left : &right) += 1;
        }
    }
    assert_true(left > 2000);
    assert_true(right > 2000);
    picture_free(&p);
}

/* Edges are antialiased: the decoded colour there must still be the seal colour, not the
 * colour darkened by the alpha (un-premultiplied). */
static void decoded_colour_is_not_premultiplied(void **state)
{
    (void)state;
    seal_drawing d = {.shape = SEAL_SHAPE_ROUND, .name = "星河公司", .rgb = 0x336699, .dpi = 300};
    picture p;
    draw_and_decode(&p, &d);
    size_t checked = 0;
    for (size_t i = 0; i < p.alpha.len; i++) {
        uint8_t a = p.alpha.data[i];
        if (a < 40 || a > 220)
            continue;
        const uint8_t *c = p.rgb.data + i * 3;
        if (abs(c[0] - 0x33) > 4 || abs(c[1] - 0x66) > 4 || abs(c[2] - 0x99) > 4)
            fail_msg("edge pixel %zu (alpha %u) decodes to %u %u %u", i, a, c[0], c[1], c[2]);
        checked++;
    }
    assert_true(checked > 100);
    picture_free(&p);
}

static void bad_drawings_are_refused(void **state)
{
    (void)state;
    seal_buf png = SEAL_BUF_INIT;
    seal_drawing d = {.shape = SEAL_SHAPE_ROUND, .name = COMPANY, .dpi = 299};
    assert_int_equal(seal_image_draw(&png, &d), SEAL_EINVAL);
    assert_non_null(strstr(seal_error_last(), "299 dpi"));
    d.dpi = 1201;
    assert_int_equal(seal_image_draw(&png, &d), SEAL_EINVAL);
    d.dpi = 0;
    d.name = "";
    assert_int_equal(seal_image_draw(&png, &d), SEAL_EINVAL);
    assert_non_null(strstr(seal_error_last(), "name is empty"));
    d.name = NULL;
    assert_int_equal(seal_image_draw(&png, &d), SEAL_EINVAL);
    d.name = "\xe5\x8c"; /* cut in the middle of 北 */
    assert_int_equal(seal_image_draw(&png, &d), SEAL_EINVAL);
    d.name = "星河\xf0\x9f\x98\x80"; /* an emoji the seal font does not have */
    assert_int_equal(seal_image_draw(&png, &d), SEAL_EUNSUPPORTED);
    d.shape = SEAL_SHAPE_SQUARE; /* a company name does not fit a personal seal */
    d.name = COMPANY;
    assert_int_equal(seal_image_draw(&png, &d), SEAL_EINVAL);
    d.shape = SEAL_SHAPE_ROUND;
    d.height_mm = 40; /* a round seal with two diameters */
    assert_int_equal(seal_image_draw(&png, &d), SEAL_EINVAL);
    d.height_mm = 0;
    d.width_mm = 200; /* 9449 px at 1200 dpi */
    d.dpi = 1200;
    assert_int_equal(seal_image_draw(&png, &d), SEAL_EINVAL);
    d.width_mm = 0;
    d.dpi = 0;
    d.font_path = "/nonexistent/font.otf";
    assert_int_equal(seal_image_draw(&png, &d), SEAL_EIO);
    assert_null(png.data); /* nothing written on failure */
}

static void png_info_refuses_what_is_not_a_png(void **state)
{
    (void)state;
    const uint8_t garbage[] = "this is not a PNG image at all, just some text";
    int w = -1, h = -1;
    assert_int_equal(seal_image_png_info(garbage, sizeof garbage, &w, &h), SEAL_EFORMAT);
    assert_non_null(strstr(seal_error_last(), "not a PNG image Cairo can read"));
    assert_int_equal(seal_image_png_info(NULL, 0, &w, &h), SEAL_EFORMAT);

    seal_buf png = SEAL_BUF_INIT, rgb = SEAL_BUF_INIT, alpha = SEAL_BUF_INIT;
    seal_drawing d = {.shape = SEAL_SHAPE_SQUARE, .name = "李白", .dpi = 300};
    assert_int_equal(seal_image_draw(&png, &d), 0);
    /* Cut short: the header is fine, the pixels are missing. */
    assert_int_equal(seal_image_png_info(png.data, png.len / 2, &w, &h), SEAL_EFORMAT);
    assert_int_equal(seal_image_decode_rgba(png.data, png.len / 2, &rgb, &alpha, &w, &h),
                     SEAL_EFORMAT);
    assert_null(rgb.data);
    /* A header claiming 9000 x 10 px is refused before anything is decoded. */
    png.data[16] = 0;
    png.data[17] = 0;
    png.data[18] = 0x23;
    png.data[19] = 0x28;
    assert_int_equal(seal_image_png_info(png.data, png.len, &w, &h), SEAL_EINVAL);
    seal_buf_clear(&png);
}

static void shapes_have_names(void **state)
{
    (void)state;
    seal_shape s;
    const seal_shape all[] = {SEAL_SHAPE_ROUND, SEAL_SHAPE_OVAL, SEAL_SHAPE_SQUARE};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(seal_shape_parse(&s, seal_shape_name(all[i])), 0);
        assert_int_equal(s, all[i]);
    }
    assert_string_equal(seal_shape_name(SEAL_SHAPE_OVAL), "oval");
    assert_int_equal(seal_shape_parse(&s, "triangle"), SEAL_EINVAL);
    assert_int_equal(seal_shape_parse(&s, "Round"), SEAL_EINVAL);
    assert_int_equal(seal_shape_parse(&s, NULL), SEAL_EINVAL);
}

static void *draw_in_thread(void *data)
{
    seal_buf *png = data;
    seal_drawing d = {
        .shape = SEAL_SHAPE_ROUND, .name = COMPANY, .purpose = PURPOSE, .code = CODE, .dpi = 300};
    return GINT_TO_POINTER(seal_image_draw(png, &d));
}

/* The service draws seals from several request threads at once with one FreeType library;
 * each drawing must come out whole and the same. */
static void threads_draw_the_same_seal(void **state)
{
    (void)state;
    enum { THREADS = 4 };
    seal_buf pngs[THREADS] = {SEAL_BUF_INIT, SEAL_BUF_INIT, SEAL_BUF_INIT, SEAL_BUF_INIT};
    GThread *threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        threads[i] = g_thread_new("draw", draw_in_thread, &pngs[i]);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(GPOINTER_TO_INT(g_thread_join(threads[i])), 0);
    for (int i = 1; i < THREADS; i++) {
        assert_int_equal(pngs[i].len, pngs[0].len);
        assert_memory_equal(pngs[i].data, pngs[0].data, pngs[0].len);
    }
    for (int i = 0; i < THREADS; i++)
        seal_buf_clear(&pngs[i]);
}

static void shipped_font_is_found(void **state)
{
    (void)state;
    const char *path = seal_font_path();
    assert_non_null(path);
    assert_non_null(strstr(path, "SealSerifSC-Bold.otf"));
}

/* PNG (ISO/IEC 15948 11.2.2): IHDR's bit depth and colour type follow the width and height. */
static void assert_indexed_4bit(const seal_buf *png)
{
    assert_true(png->len > 26);
    assert_memory_equal(png->data + 12, "IHDR", 4);
    assert_int_equal(png->data[24], 4); /* bit depth */
    assert_int_equal(png->data[25], 3); /* indexed colour */
}

/* Drawn seals are one colour, written as 4-bit indexed PNGs: a 42 mm round seal with a long
 * name, purpose and code at 600 dpi in at most 48 KB (it was about 150 KB as RGBA), and the
 * other shapes likewise; all within the limit seal make enforces. */
static void drawn_seals_are_small(void **state)
{
    (void)state;
    const seal_drawing drawings[] = {
        {.shape = SEAL_SHAPE_ROUND, .name = COMPANY, .purpose = PURPOSE, .code = CODE},
        {.shape = SEAL_SHAPE_OVAL, .name = COMPANY, .purpose = "发票专用章", .code = CODE},
        {.shape = SEAL_SHAPE_SQUARE, .name = "王小明"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(drawings); i++) {
        picture p;
        draw_and_decode(&p, &drawings[i]);
        assert_indexed_4bit(&p.png);
        print_message("%s seal: %zu bytes\n", seal_shape_name(drawings[i].shape), p.png.len);
        assert_true(p.png.len <= 48 * 1024);
        assert_true(p.png.len <= SEAL_PICTURE_MAX_BYTES);
        assert_corners_clear(&p);
        picture_free(&p);
    }
}

/* The 16 opacities keep the edges as sharp as the drawing: a ring and a star drawn with
 * anti-aliasing, written indexed and read back, differ from the drawing by at most half an
 * opacity step at any pixel; their ink (pixels at least half opaque) covers the same area,
 * and their soft edge (pixels neither clear nor opaque) is no wider than the drawing's (the
 * faintest and the nearly opaque pixels round to clear and opaque: the edge gets no
 * blurrier). A picture of two colours is written as RGBA, exactly. */
static void indexed_keeps_the_edges(void **state)
{
    (void)state;
    assert_int_equal(render_cairo_load(), 0);
    const int side = 600;
    cairo_surface_t *drawn = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, side, side);
    cairo_t *cr = cairo_create(drawn);
    cairo_set_source_rgb(cr, 0xE0 / 255.0, 0x20 / 255.0, 0x1A / 255.0);
    cairo_set_line_width(cr, 13.3);
    cairo_arc(cr, side / 2.0, side / 2.0, side / 2.0 - 20, 0, 2 * G_PI);
    cairo_stroke(cr);
    cairo_move_to(cr, 300, 180.4);
    cairo_line_to(cr, 397.3, 410.1);
    cairo_line_to(cr, 201.9, 410.7);
    cairo_close_path(cr);
    cairo_fill(cr);
    cairo_surface_flush(drawn);

    seal_buf png = SEAL_BUF_INIT;
    assert_int_equal(seal_image_encode_png(&png, drawn), 0);
    assert_indexed_4bit(&png);
    cairo_surface_t *back = NULL;
    assert_int_equal(seal_image_png_surface(&back, png.data, png.len), 0);
    const uint8_t *a = cairo_image_surface_get_data(drawn), *b = cairo_image_surface_get_data(back);
    int sa = cairo_image_surface_get_stride(drawn), sb = cairo_image_surface_get_stride(back);
    int worst = 0;
    size_t soft_drawn = 0, soft_back = 0, ink_drawn = 0, ink_back = 0;
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++) {
            uint32_t pa = ((const uint32_t *)(const void *)(a + (size_t)y * sa))[x];
            uint32_t pb = ((const uint32_t *)(const void *)(b + (size_t)y * sb))[x];
            int da = abs((int)(pa >> 24) - (int)(pb >> 24));
            worst = da > worst ? da : worst;
            soft_drawn += pa >> 24 > 0 && pa >> 24 < 255;
            soft_back += pb >> 24 > 0 && pb >> 24 < 255;
            ink_drawn += pa >> 24 >= 128;
            ink_back += pb >> 24 >= 128;
        }
    print_message("indexed: %zu bytes, worst opacity error %d, soft edge %zu px (drawn %zu), "
                  "ink %zu px (drawn %zu)\n",
                  png.len, worst, soft_back, soft_drawn, ink_back, ink_drawn);
    assert_true(worst <= 9);
    assert_true(soft_drawn > 1000 && soft_back <= soft_drawn && soft_back * 4 >= soft_drawn * 3);
    assert_true(ink_back * 1000 >= ink_drawn * 995 && ink_back * 1000 <= ink_drawn * 1005);
    cairo_surface_destroy(back);
    seal_buf_clear(&png);

    /* A second colour: not a seal's one-colour picture, written as Cairo writes it. */
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, 10, 10, 30, 30);
    cairo_fill(cr);
    cairo_surface_flush(drawn);
    assert_int_equal(seal_image_encode_png(&png, drawn), 0);
    assert_int_equal(png.data[25], 6); /* RGBA */
    seal_buf_clear(&png);
    cairo_destroy(cr);
    cairo_surface_destroy(drawn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_seal_has_ring_star_and_size),
        cmocka_unit_test(size_follows_dpi_and_mm),
        cmocka_unit_test(long_name_stays_inside_ring),
        cmocka_unit_test(long_names_never_touch),
        cmocka_unit_test(oval_seal_keeps_its_proportions),
        cmocka_unit_test(square_seal_has_border_and_name),
        cmocka_unit_test(decoded_colour_is_not_premultiplied),
        cmocka_unit_test(bad_drawings_are_refused),
        cmocka_unit_test(png_info_refuses_what_is_not_a_png),
        cmocka_unit_test(shapes_have_names),
        cmocka_unit_test(threads_draw_the_same_seal),
        cmocka_unit_test(shipped_font_is_found),
        cmocka_unit_test(drawn_seals_are_small),
        cmocka_unit_test(indexed_keeps_the_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
