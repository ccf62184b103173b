/* Every character of a real name draws on a seal: the shipped font is a GB 2312 cut, and the
 * characters it lacks come from the complete Noto Serif CJK SC Bold the set-up installs
 * (fonts-noto-cjk), found through fontconfig (seal/font_system.c). Every code point of GB
 * 18030's basic CJK block (U+4E00..U+9FA5) and the rare name characters 喆堃珺琍昇玥䶮 are
 * drawn, in batches of 4096 cells, with the face the seal code picks, and each cell is held
 * against the same character drawn by glyph index from the complete font opened here with
 * FreeType (the same outline: the same typeface), and against that font's .notdef box (not
 * it). A hanzi no installed font has is refused, naming it, and so is a character of
 * another script the seal font lacks (no Latin or emoji from another typeface). */
#include "testutil.h"

#include "seal/image_internal.h"

#include <seal/buf.h>
#include <seal/error.h>
#include <seal/image.h>

#include <dlfcn.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Debian fonts-noto-cjk: the collection's third face is the Simplified Chinese one. */
#define NOTO_SERIF_BOLD "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"
#define NOTO_SC_FACE    2

#define CELL      40 /* px */
#define EM        32.0
#define COLS      128
#define ROWS      32
#define BATCH     (COLS * ROWS)
#define RARE_NAME "喆堃珺琍昇玥䶮"

typedef struct reference {
    FT_Face ft_face;
    cairo_font_face_t *face;
} reference;

/* One FreeType library for the process, as libseal's (FT_Done_FreeType is not in its
 * table); the face goes when Cairo lets go of it. */
static FT_Library library;
static const cairo_user_data_key_t face_key;

static void done_face(void *face)
{
    FT_Done_Face(face);
}

static void reference_open(reference *ref)
{
    memset(ref, 0, sizeof *ref);
    if (!library)
        assert_int_equal(FT_Init_FreeType(&library), 0);
    assert_int_equal(FT_New_Face(library, NOTO_SERIF_BOLD, NOTO_SC_FACE, &ref->ft_face), 0);
    assert_string_equal(ref->ft_face->family_name, "Noto Serif CJK SC");
    ref->face = cairo_ft_font_face_create_for_ft_face(ref->ft_face, 0);
    assert_int_equal(cairo_font_face_status(ref->face), CAIRO_STATUS_SUCCESS);
    assert_int_equal(cairo_font_face_set_user_data(ref->face, &face_key, ref->ft_face, done_face),
                     CAIRO_STATUS_SUCCESS);
}

static void reference_close(reference *ref)
{
    cairo_font_face_destroy(ref->face);
}

static cairo_t *canvas(cairo_surface_t **surface, int cols, int rows)
{
    *surface = cairo_image_surface_create(CAIRO_FORMAT_A8, cols * CELL, rows * CELL);
    cairo_t *cr = cairo_create(*surface);
    assert_int_equal(cairo_status(cr), CAIRO_STATUS_SUCCESS);
    /* as seal_image_draw: the outlines as designed, no hinting */
    cairo_font_options_t *options = cairo_font_options_create();
    cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
    cairo_set_font_options(cr, options);
    cairo_font_options_destroy(options);
    cairo_set_source_rgb(cr, 0, 0, 0);
    return cr;
}

/* The sum of |a - b| over cell (col, row) of two A8 surfaces, and the ink of `a` there. */
static void cell_diff(cairo_surface_t *a, cairo_surface_t *b, int col, int row, long *diff,
                      long *ink)
{
    cairo_surface_flush(a);
    cairo_surface_flush(b);
    const unsigned char *pa = cairo_image_surface_get_data(a);
    const unsigned char *pb = cairo_image_surface_get_data(b);
    int sa = cairo_image_surface_get_stride(a), sb = cairo_image_surface_get_stride(b);
    *diff = 0;
    *ink = 0;
    for (int y = 0; y < CELL; y++) {
        const unsigned char *ra = pa + (size_t)(row * CELL + y) * (size_t)sa + col * CELL;
        const unsigned char *rb = pb + (size_t)(row * CELL + y) * (size_t)sb + col * CELL;
        for (int x = 0; x < CELL; x++) {
            *diff += labs((long)ra[x] - (long)rb[x]);
            *ink += ra[x];
        }
    }
}

/* Draws `n` code points with the faces `font` picks and with the reference font, and holds
 * each cell against the reference's (at most 2% of its ink differs: the same outline) and
 * against the .notdef box (more than a quarter differs). Counts the faces used. */
static void check_batch(seal_font *font, const reference *ref, const uint32_t *cps, int n,
                        GHashTable *faces)
{
    cairo_surface_t *ours_s, *theirs_s, *notdef_s;
    cairo_t *ours = canvas(&ours_s, COLS, ROWS);
    cairo_t *theirs = canvas(&theirs_s, COLS, ROWS);
    cairo_t *notdef = canvas(&notdef_s, 1, 1);
    cairo_set_font_face(notdef, ref->face);
    cairo_set_font_size(notdef, EM);
    cairo_glyph_t box = {0, 4, EM};
    cairo_glyph_path(notdef, &box, 1);
    cairo_fill(notdef);
    cairo_set_font_face(theirs, ref->face);
    cairo_set_font_size(theirs, EM);

    for (int i = 0; i < n; i++) {
        double x = (i % COLS) * CELL + 4, y = (i / COLS) * CELL + EM;
        cairo_font_face_t *face = NULL;
        assert_int_equal(seal_font_face_for(font, cps[i], &face), 0);
        if (!face)
            fail_msg("no face for U+%04X", (unsigned)cps[i]);
        g_hash_table_add(faces, face);
        char utf8[8] = {0};
        g_unichar_to_utf8(cps[i], utf8);
        cairo_set_font_face(ours, face);
        cairo_set_font_size(ours, EM);
        cairo_move_to(ours, x, y);
        cairo_text_path(ours, utf8);
        cairo_fill(ours);

        unsigned long index = FT_Get_Char_Index(ref->ft_face, cps[i]);
        if (index == 0)
            fail_msg("the reference font has no U+%04X", (unsigned)cps[i]);
        cairo_glyph_t g = {index, x, y};
        cairo_glyph_path(theirs, &g, 1);
        cairo_fill(theirs);
    }
    assert_int_equal(cairo_status(ours), CAIRO_STATUS_SUCCESS);
    assert_int_equal(cairo_status(theirs), CAIRO_STATUS_SUCCESS);

    for (int i = 0; i < n; i++) {
        long diff, ink, box_diff, box_ink;
        cell_diff(ours_s, theirs_s, i % COLS, i / COLS, &diff, &ink);
        if (ink == 0 || diff * 50 > ink)
            fail_msg("U+%04X is not drawn as the font draws it (ink %ld, %ld differs)",
                     (unsigned)cps[i], ink, diff);
        /* the .notdef box's cell against this one: the box sits at (4, EM) in both */
        cairo_surface_flush(notdef_s);
        const unsigned char *pn = cairo_image_surface_get_data(notdef_s);
        const unsigned char *po = cairo_image_surface_get_data(ours_s);
        int sn = cairo_image_surface_get_stride(notdef_s),
            so = cairo_image_surface_get_stride(ours_s);
        box_diff = box_ink = 0;
        for (int y = 0; y < CELL; y++)
            for (int x = 0; x < CELL; x++) {
                long a = po[(size_t)((i / COLS) * CELL + y) * (size_t)so + (i % COLS) * CELL + x];
                long b = pn[(size_t)y * (size_t)sn + x];
                box_diff += labs(a - b);
                box_ink += b;
            }
        if (box_diff * 4 < box_ink)
            fail_msg("U+%04X is drawn as the .notdef box", (unsigned)cps[i]);
    }
    cairo_destroy(ours);
    cairo_destroy(theirs);
    cairo_destroy(notdef);
    cairo_surface_destroy(ours_s);
    cairo_surface_destroy(theirs_s);
    cairo_surface_destroy(notdef_s);
}

static int have_reference(void)
{
    return access(NOTO_SERIF_BOLD, R_OK) == 0;
}

static void every_basic_cjk_character_draws(void **state)
{
    (void)state;
    if (!have_reference()) {
        print_message("skipped: " NOTO_SERIF_BOLD " (fonts-noto-cjk) is not installed\n");
        skip();
    }
    assert_int_equal(render_cairo_load(), 0);
    seal_font *font = NULL;
    assert_int_equal(seal_font_open(&font, seal_font_path()), 0);
    reference ref;
    reference_open(&ref);
    GHashTable *faces = g_hash_table_new(NULL, NULL);

    GArray *cps = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    for (uint32_t cp = 0x4E00; cp <= 0x9FA5; cp++)
        g_array_append_val(cps, cp);
    for (const char *p = RARE_NAME; *p; p = g_utf8_next_char(p)) {
        uint32_t cp = g_utf8_get_char(p);
        g_array_append_val(cps, cp);
    }
    size_t missing = 0;
    for (guint i = 0; i < cps->len; i++)
        missing += !seal_font_has_char(font, g_array_index(cps, uint32_t, i));
    /* the shipped cut lacks most of them: this walks the fallback, not the cut */
    assert_true(missing > 10000);
    for (guint at = 0; at < cps->len; at += BATCH) {
        int n = cps->len - at < BATCH ? (int)(cps->len - at) : BATCH;
        check_batch(font, &ref, &g_array_index(cps, uint32_t, at), n, faces);
    }
    /* the shipped cut and one complete font of its typeface: nothing from a third font */
    assert_int_equal(g_hash_table_size(faces), 2);

    g_array_free(cps, TRUE);
    g_hash_table_destroy(faces);
    reference_close(&ref);
    seal_font_free(font);
}

/* Seals with such names are drawn (the characters above are what they are drawn with);
 * one no installed font has is refused naming it, and nothing is drawn. */
static void names_with_rare_characters(void **state)
{
    (void)state;
    if (!have_reference()) {
        print_message("skipped: " NOTO_SERIF_BOLD " (fonts-noto-cjk) is not installed\n");
        skip();
    }
    seal_buf png = SEAL_BUF_INIT;
    seal_drawing round = {
        .shape = SEAL_SHAPE_ROUND, .name = "北京喆堃科技有限公司", .purpose = "合同专用章"};
    assert_int_equal(seal_image_draw(&png, &round), 0);
    assert_true(png.len > 1000);
    static const char *const people[] = {"王喆", "李堃", "张珺", "陈琍", "刘昇", "赵玥", "龚䶮"};
    for (size_t i = 0; i < sizeof people / sizeof people[0]; i++) {
        seal_drawing square = {.shape = SEAL_SHAPE_SQUARE, .name = people[i]};
        if (seal_image_draw(&png, &square) < 0)
            fail_msg("%s: %s", people[i], seal_error_last());
    }

    seal_buf_clear(&png);
    seal_drawing private_use = {.shape = SEAL_SHAPE_ROUND, .name = "北京\xee\x80\x80科技有限公司"};
    assert_int_equal(seal_image_draw(&png, &private_use), SEAL_EUNSUPPORTED);
    assert_non_null(strstr(seal_error_last(), "character 3 (U+E000) of the seal name"));
    assert_int_equal(png.len, 0);
    seal_drawing unassigned = {.shape = SEAL_SHAPE_SQUARE, .name = "王\xcd\xb8"};
    assert_int_equal(seal_image_draw(&png, &unassigned), SEAL_EUNSUPPORTED);
    assert_non_null(strstr(seal_error_last(), "U+0378"));
    /* a hanzi of CJK Extension G (Unicode 13), which fonts-noto-cjk does not cover */
    seal_drawing ext_g = {.shape = SEAL_SHAPE_SQUARE, .name = "王\xf0\xb0\x80\x80"};
    assert_int_equal(seal_image_draw(&png, &ext_g), SEAL_EUNSUPPORTED);
    assert_non_null(strstr(seal_error_last(),
                           "character 2 (U+30000) of the seal name: neither the seal font nor "
                           "any font installed on this system"));
    /* an emoji DejaVu has: not taken from it, a seal shows no foreign typeface */
    seal_drawing emoji = {.shape = SEAL_SHAPE_SQUARE, .name = "王\xf0\x9f\x98\x80"};
    assert_int_equal(seal_image_draw(&png, &emoji), SEAL_EUNSUPPORTED);
    assert_non_null(strstr(seal_error_last(), "only hanzi are taken from other fonts"));
    assert_int_equal(png.len, 0);
}

/* Looking up fonts has fontconfig load its configuration, which it keeps for the
 * process's life; it is given back at the end so that LeakSanitizer sees only what libseal
 * itself leaks (as test_doc.c does). FcFini is looked up: fontconfig comes with Cairo,
 * libseal loads it on first use. */
static int release_fontconfig(void **state)
{
    (void)state;
    void (*fc_fini)(void) = NULL;
    *(void **)&fc_fini = dlsym(RTLD_DEFAULT, "FcFini");
    if (fc_fini)
        fc_fini();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_basic_cjk_character_draws),
        cmocka_unit_test(names_with_rare_characters),
    };
    return cmocka_run_group_tests(tests, NULL, release_fontconfig);
}
