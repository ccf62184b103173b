/* Text on OFD pages against the corpus: keyword positions are checked against values
 * worked out by hand from the files' XML (Boundary origin + X/Y + the sum of the DeltaX
 * values before the glyph, "g N v" expanded), not against our own earlier output.
 * Glyph cells are the em square (Size), half of it for narrow characters, baseline at
 * 0.88 em from the top (text.c). */
#include "testutil.h"

#include <seal/error.h>
#include <seal/ofd.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EPS 1e-3

static seal_ofd *open_corpus(const char *name)
{
    const char *dir = test_corpus_dir();
    if (!dir)
        return NULL;
    char path[1024];
    snprintf(path, sizeof path, "%s/ofd/%s", dir, name);
    seal_ofd *doc = NULL;
    if (seal_ofd_open(&doc, path, NULL) != 0)
        fail_msg("%s: %s", name, seal_error_last());
    return doc;
}

#define OPEN_OR_SKIP(var, name)                                                                    \
    seal_ofd *var = open_corpus(name);                                                             \
    if (!var) {                                                                                    \
        print_message("corpus not found (SEAL_CORPUS); skipping\n");                               \
        skip();                                                                                    \
    }

/* A hit whose left edge, right edge and baseline are as computed by hand. */
static void assert_hit(const seal_ofd_text_hit *hit, int page, double left, double right,
                       double baseline, double size)
{
    assert_int_equal(hit->page, page);
    assert_float_equal(hit->box.x, left, EPS);
    assert_float_equal(hit->box.x + hit->box.w, right, EPS);
    assert_float_equal(hit->box.y, baseline - 0.88 * size, EPS);
    assert_float_equal(hit->box.h, size, EPS);
}

/* keyword.ofd TextObject 15: Boundary 191.7523 57.6626, X 0 Y 3.6364, Size 4.2333,
 * DeltaX 4.2333: 李 at 191.7523, 伟 at 195.9856, right edge 195.9856 + 4.2333. */
static void test_keyword_simple(void **state)
{
    (void)state;
    OPEN_OR_SKIP(doc, "keyword.ofd");
    seal_ofd_text_hit *hits = NULL;
    size_t n = 0;
    assert_int_equal(seal_ofd_find_text(doc, "李伟", &hits, &n), 0);
    assert_int_equal(n, 1);
    assert_hit(&hits[0], 1, 191.7523, 200.2189, 57.6626 + 3.6364, 4.2333);
    free(hits);
    seal_ofd_free(doc);
}

/* keyword.ofd TextObject 16 (Boundary 191.2234 70.6235): DeltaX "g 14 4.2333 g 2 2.1166
 * -63.4995 4.2333 2.1167 g 2 4.2333 2.1167 g 2 2.1166", DeltaY "g 16 0 4.2333 g 7 0":
 * the 17th glyph wraps to the next line (x back by 63.4995, y down by 4.2333). 单 is
 * glyph 19: x = 14*4.2333 + 2*2.1166 - 63.4995 + 4.2333 + 2.1167 = 6.3499,室 glyph 24 at
 * 6.3499 + 2*4.2333 + 2.1167 + 2*2.1166 = 21.1664, wide (4.2333); baseline 3.6364 +
 * 4.2333. */
static void test_keyword_g_syntax_and_wrap(void **state)
{
    (void)state;
    OPEN_OR_SKIP(doc, "keyword.ofd");
    seal_ofd_text_hit *hits = NULL;
    size_t n = 0;
    assert_int_equal(seal_ofd_find_text(doc, "单元601室", &hits, &n), 0);
    assert_int_equal(n, 1);
    assert_hit(&hits[0], 1, 191.2234 + 6.3499, 191.2234 + 21.1664 + 4.2333,
               70.6235 + 3.6364 + 4.2333, 4.2333);
    free(hits);
    /* "号楼" spans the wrap: the next line is right below, so it is found, and its box is
     * the first part, 号 (glyph 16, at 14*4.2333 + 2*2.1166 = 63.4994, wide) at the end of
     * the first line. */
    assert_int_equal(seal_ofd_find_text(doc, "号楼", &hits, &n), 0);
    assert_int_equal(n, 1);
    assert_hit(&hits[0], 1, 191.2234 + 63.4994, 191.2234 + 63.4994 + 4.2333, 70.6235 + 3.6364,
               4.2333);
    free(hits);
    assert_int_equal(seal_ofd_find_text(doc, "不在文档里", &hits, &n), 0);
    assert_int_equal(n, 0);
    assert_null(hits);
    seal_ofd_free(doc);
}

/* keyword.ofd TextObject 22: CTM 0.7071 -0.7071 0.7071 0.7071 (45 degrees), Boundary origin
 * 97.76 141.74, X 6.36 Y 6.36, Size 11.17. The first glyph's origin maps to
 * (97.76 + 0.7071*6.36 + 0.7071*6.36, 141.74 - 0.7071*6.36 + 0.7071*6.36). */
static void test_keyword_ctm(void **state)
{
    (void)state;
    OPEN_OR_SKIP(doc, "keyword.ofd");
    seal_ofd_glyph *glyphs = NULL;
    size_t n = 0;
    assert_int_equal(seal_ofd_page_glyphs(doc, 1, &glyphs, &n), 0);
    const seal_ofd_glyph *first = NULL;
    for (size_t i = 0; i < n; i++)
        if (glyphs[i].codepoint == 0x4e8b /* 事 */) {
            first = &glyphs[i];
            break;
        }
    assert_non_null(first);
    assert_float_equal(first->x, 97.76 + 2 * 0.7071 * 6.36, EPS);
    assert_float_equal(first->y, 141.74, EPS);
    /* The em cell turned by 45 degrees: its bounding box is sqrt(2) times the em. */
    assert_float_equal(first->box.w, 11.17 * 2 * 0.7071, 0.01);
    free(glyphs);
    seal_ofd_text_hit *hits = NULL;
    assert_int_equal(seal_ofd_find_text(doc, "房产证明", &hits, &n), 0);
    assert_int_equal(n, 1);
    free(hits);
    seal_ofd_free(doc);
}

/* keyword2.ofd: the name is split over four TextObjects (448-451 on page 1, 1033-1036 on
 * page 2) after four spaces of DeltaX 1.0585: 重 at 57.16 + 4*1.0585 = 61.394, 司 at 112.20,
 * right edge 112.20 + 4.234; baseline 170.84 + 4.23. */
static void test_keyword_split_over_objects(void **state)
{
    (void)state;
    OPEN_OR_SKIP(doc, "keyword2.ofd");
    seal_ofd_text_hit *hits = NULL;
    size_t n = 0;
    assert_int_equal(seal_ofd_find_text(doc, "重庆市马上融资担保有限公司", &hits, &n), 0);
    assert_int_equal(n, 2);
    const double size = 4.234035968780518;
    assert_hit(&hits[0], 1, 57.16 + 4 * 1.0585090489150204, 112.20 + size, 170.84 + 4.23, size);
    assert_hit(&hits[1], 2, 57.16 + 4 * 1.0585090489150204, 112.20 + size, 170.84 + 4.23, size);
    free(hits);
    /* White space in the keyword is ignored, "&amp;" is the character '&'. */
    assert_int_equal(seal_ofd_find_text(doc, "Reader&Writer", &hits, &n), 0);
    assert_int_equal(n, 2);
    free(hits);
    seal_ofd_free(doc);
}

/* multiKeywordInTextCode.ofd: one TextCode, X 0.553 Y 3.175, Boundary 31.197 26.2888, Size
 * 3.6865; DeltaX gives 9 values (3.6829 3.7251 alternating) for 25 glyphs; later glyphs
 * advance by the em. "打发" occurs at glyphs 0, 2, 4, 6, 8, 12 and 23. */
static void test_several_hits_in_one_text_code(void **state)
{
    (void)state;
    OPEN_OR_SKIP(doc, "multiKeywordInTextCode.ofd");
    seal_ofd_text_hit *hits = NULL;
    size_t n = 0;
    assert_int_equal(seal_ofd_find_text(doc, "打发", &hits, &n), 0);
    assert_int_equal(n, 7);
    const double x0 = 31.197 + 0.553, base = 26.2888 + 3.175, em = 3.6865;
    const double pair = 3.6829 + 3.7251, nine = 5 * 3.6829 + 4 * 3.7251;
    assert_hit(&hits[0], 1, x0, x0 + 3.6829 + em, base, em);
    assert_hit(&hits[1], 1, x0 + pair, x0 + pair + 3.6829 + em, base, em);
    assert_hit(&hits[4], 1, x0 + 4 * pair, x0 + 4 * pair + 3.6829 + em, base, em);
    assert_hit(&hits[5], 1, x0 + nine + 3 * em, x0 + nine + 5 * em, base, em);
    assert_hit(&hits[6], 1, x0 + nine + 14 * em, x0 + nine + 16 * em, base, em);
    free(hits);
    assert_int_equal(seal_ofd_find_text(doc, "哈哈哈", &hits, &n), 0);
    assert_int_equal(n, 3); /* 9 in a row, non-overlapping */
    free(hits);
    assert_int_equal(seal_ofd_find_text(doc, " ", &hits, &n), SEAL_EINVAL);
    seal_ofd_free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keyword_simple),
        cmocka_unit_test(test_keyword_g_syntax_and_wrap),
        cmocka_unit_test(test_keyword_ctm),
        cmocka_unit_test(test_keyword_split_over_objects),
        cmocka_unit_test(test_several_hits_in_one_text_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
