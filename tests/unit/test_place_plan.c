/* The placement planner over a made-up document (page sizes and text hits given by the
 * test): the same point on several pages, keyword hits with occurrence and offset, seam
 * strips flush with each edge and joining along it, and errors naming what was asked. */
#include "testutil.h"

#include <seal/error.h>
#include <seal/image.h>
#include <seal/place.h>

#include <math.h>
#include <string.h>

typedef struct fake_doc {
    int pages;
    double sizes[8][2]; /* width, height in mm as shown */
    const seal_text_hit *hits;
    size_t n_hits;
    int searches;
} fake_doc;

static int fake_size(void *ctx, int page, double *w, double *h)
{
    fake_doc *d = ctx;
    if (page < 1 || page > d->pages)
        return seal_error_set(SEAL_ENOTFOUND, "no page %d", page);
    *w = d->sizes[page - 1][0];
    *h = d->sizes[page - 1][1];
    return 0;
}

static int fake_find(void *ctx, const char *text, seal_text_hits *hits)
{
    fake_doc *d = ctx;
    d->searches++;
    if (strcmp(text, "甲方（盖章）") != 0)
        return 0;
    for (size_t i = 0; i < d->n_hits; i++)
        if (seal_text_hits_add(hits, d->hits[i].page, d->hits[i].box) < 0)
            return -1;
    return 0;
}

/* Four A4 pages, the third in landscape (as shown). */
static fake_doc a4_doc(void)
{
    fake_doc d = {.pages = 4};
    for (int i = 0; i < 4; i++) {
        d.sizes[i][0] = 210;
        d.sizes[i][1] = 297;
    }
    d.sizes[2][0] = 297;
    d.sizes[2][1] = 210;
    return d;
}

static seal_place_doc face(fake_doc *d)
{
    seal_place_doc doc = {d, d->pages, fake_size, fake_find};
    return doc;
}

static void assert_near(double got, double want, const char *what)
{
    if (fabs(got - want) > 1e-6)
        fail_msg("%s: %.6f, expected %.6f", what, got, want);
}

static void plan_ok(seal_place_plan *plan, const seal_place_request *req, fake_doc *d)
{
    seal_place_doc doc = face(d);
    if (seal_place_plan_make(plan, req, &doc) < 0)
        fail_msg("plan: %s", seal_error_last());
}

static void plan_refused(const seal_place_request *req, fake_doc *d, int code, const char *msg)
{
    seal_place_plan plan;
    seal_place_doc doc = face(d);
    int rc = seal_place_plan_make(&plan, req, &doc);
    if (rc != code || !strstr(seal_error_last(), msg))
        fail_msg("rc %d (expected %d), message \"%s\" (expected \"%s\")", rc, code,
                 seal_error_last(), msg);
    assert_null(plan.items);
    assert_int_equal(plan.count, 0);
    assert_null(plan.strips.strips);
}

static void at_point_on_listed_pages(void **state)
{
    (void)state;
    fake_doc d = a4_doc();
    seal_place_request req = {.mode = SEAL_PLACE_AT,
                              .pages = "1,3-last",
                              .x_mm = 150,
                              .y_mm = 200,
                              .width_mm = 42,
                              .height_mm = 42};
    seal_place_plan plan;
    plan_ok(&plan, &req, &d);
    assert_int_equal(plan.count, 3);
    const int pages[] = {1, 3, 4};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(plan.items[i].page, pages[i]);
        assert_near(plan.items[i].x_mm, 150, "x");
        assert_near(plan.items[i].y_mm, 200, "y");
        assert_near(plan.items[i].width_mm, 42, "width");
        assert_int_equal(plan.items[i].strip, -1);
    }
    seal_place_plan_clear(&plan);

    req.pages = NULL; /* default: page 1 */
    plan_ok(&plan, &req, &d);
    assert_int_equal(plan.count, 1);
    assert_int_equal(plan.items[0].page, 1);
    seal_place_plan_clear(&plan);

    /* 250 mm down is on the A4 pages but below the landscape page 3 (210 mm high) */
    req.pages = "all";
    req.y_mm = 250;
    plan_refused(&req, &d, SEAL_EINVAL,
                 "page 3: position 150.0,250.0 mm is outside the page (297.0 x 210.0 mm as shown)");
    req.pages = "5";
    plan_refused(&req, &d, SEAL_ENOTFOUND, "page 5 does not exist (document has 4 pages)");
}

static const seal_text_hit contract_hits[] = {
    {1, {20, 100, 60, 106}},
    {3, {30, 50, 50, 56}},
    {3, {150, 50, 170, 56}},
    {4, {10, 280, 30, 286}},
};

static void keyword_hits_occurrence_and_offset(void **state)
{
    (void)state;
    fake_doc d = a4_doc();
    d.hits = contract_hits;
    d.n_hits = 4;
    seal_place_request req = {
        .mode = SEAL_PLACE_KEYWORD, .keyword = "甲方（盖章）", .width_mm = 40, .height_mm = 40};
    seal_place_plan plan;
    plan_ok(&plan, &req, &d);
    assert_int_equal(plan.count, 4);
    assert_int_equal(plan.items[0].page, 1);
    assert_near(plan.items[0].x_mm, 40, "hit 1 x");
    assert_near(plan.items[0].y_mm, 103, "hit 1 y");
    assert_int_equal(plan.items[2].page, 3);
    assert_near(plan.items[2].x_mm, 160, "hit 3 x");
    seal_place_plan_clear(&plan);

    /* the 2nd hit, moved 10 mm right and 5 mm up */
    req.occurrence = 2;
    req.dx_mm = 10;
    req.dy_mm = -5;
    plan_ok(&plan, &req, &d);
    assert_int_equal(plan.count, 1);
    assert_int_equal(plan.items[0].page, 3);
    assert_near(plan.items[0].x_mm, 50, "x");
    assert_near(plan.items[0].y_mm, 48, "y");
    seal_place_plan_clear(&plan);

    /* occurrences counted on the pages asked for */
    req.pages = "3-4";
    req.occurrence = 3;
    req.dx_mm = req.dy_mm = 0;
    plan_ok(&plan, &req, &d);
    assert_int_equal(plan.count, 1);
    assert_int_equal(plan.items[0].page, 4);
    seal_place_plan_clear(&plan);

    req.occurrence = 4;
    plan_refused(&req, &d, SEAL_ENOTFOUND,
                 "keyword \"甲方（盖章）\" occurs 3 times on the pages asked for; there is no "
                 "occurrence 4");
    req.pages = "2";
    req.occurrence = 0;
    plan_refused(&req, &d, SEAL_ENOTFOUND,
                 "keyword \"甲方（盖章）\" does not occur on the pages asked for");
    req.pages = NULL;
    req.keyword = "乙方（盖章）";
    plan_refused(&req, &d, SEAL_ENOTFOUND,
                 "keyword \"乙方（盖章）\" does not occur in the document");
    req.keyword = "";
    plan_refused(&req, &d, SEAL_EINVAL, "the keyword is empty");

    /* a hit whose shifted centre leaves the page */
    req.keyword = "甲方（盖章）";
    req.dy_mm = 20;
    req.occurrence = 4;
    plan_refused(&req, &d, SEAL_EINVAL,
                 "occurrence 4 of the keyword on page 4: position 20.0,303.0 mm is outside the "
                 "page");
}

static void keyword_needs_text_search(void **state)
{
    (void)state;
    fake_doc d = a4_doc();
    seal_place_doc doc = face(&d);
    doc.find_text = NULL;
    seal_place_request req = {
        .mode = SEAL_PLACE_KEYWORD, .keyword = "x", .width_mm = 40, .height_mm = 40};
    seal_place_plan plan;
    assert_int_equal(seal_place_plan_make(&plan, &req, &doc), SEAL_EUNSUPPORTED);
}

static void draw_seal(seal_buf *png)
{
    seal_drawing drawing = {.shape = SEAL_SHAPE_ROUND, .name = "星河信息技术有限公司", .dpi = 300};
    if (seal_image_draw(png, &drawing) < 0)
        fail_msg("draw: %s", seal_error_last());
}

/* Strips flush with the edge, each centred along the edge at the page's middle plus the
 * offset, their widths adding up to the seal's. */
static void seam_strips_at_each_edge(void **state)
{
    (void)state;
    fake_doc d = a4_doc();
    seal_buf png = SEAL_BUF_INIT;
    draw_seal(&png);
    seal_place_request req = {.mode = SEAL_PLACE_SEAM,
                              .pages = "1-3",
                              .image_png = png.data,
                              .image_png_len = png.len,
                              .width_mm = 42,
                              .height_mm = 42};

    for (int side = SEAL_SEAM_RIGHT; side <= SEAL_SEAM_BOTTOM; side++) {
        req.side = (seal_seam_side)side;
        req.offset_mm = side == SEAL_SEAM_TOP ? -30 : 40;
        seal_place_plan plan;
        plan_ok(&plan, &req, &d);
        assert_int_equal(plan.count, 3);
        assert_int_equal(plan.strips.count, 3);
        double along = 0;
        for (size_t i = 0; i < 3; i++) {
            const seal_placement *p = &plan.items[i];
            const seal_seam_strip *s = &plan.strips.strips[i];
            double w = d.sizes[p->page - 1][0], h = d.sizes[p->page - 1][1];
            assert_int_equal(p->page, (int)i + 1);
            assert_int_equal(p->strip, (int)i);
            assert_near(p->width_mm, s->width_mm, "strip width");
            assert_near(p->height_mm, s->height_mm, "strip height");
            switch (side) {
            case SEAL_SEAM_RIGHT:
                assert_near(p->x_mm + p->width_mm / 2, w, "flush right");
                assert_near(p->y_mm, h / 2 + 40, "along the right edge");
                along += p->width_mm;
                break;
            case SEAL_SEAM_LEFT:
                assert_near(p->x_mm - p->width_mm / 2, 0, "flush left");
                assert_near(p->y_mm, h / 2 + 40, "along the left edge");
                along += p->width_mm;
                break;
            case SEAL_SEAM_TOP:
                assert_near(p->y_mm - p->height_mm / 2, 0, "flush top");
                assert_near(p->x_mm, w / 2 - 30, "along the top edge");
                along += p->height_mm;
                break;
            default:
                assert_near(p->y_mm + p->height_mm / 2, h, "flush bottom");
                assert_near(p->x_mm, w / 2 + 40, "along the bottom edge");
                along += p->height_mm;
                break;
            }
        }
        assert_near(along, 42, "strips add up to the seal");
        seal_place_plan_clear(&plan);
    }
    seal_buf_clear(&png);
}

static void seam_refusals(void **state)
{
    (void)state;
    fake_doc d = a4_doc();
    seal_buf png = SEAL_BUF_INIT;
    draw_seal(&png);
    seal_place_request req = {.mode = SEAL_PLACE_SEAM,
                              .image_png = png.data,
                              .image_png_len = png.len,
                              .width_mm = 42,
                              .height_mm = 42};

    fake_doc one = a4_doc();
    one.pages = 1;
    plan_refused(&req, &one, SEAL_EINVAL, "a seam seal needs at least 2 pages; the document has 1");
    req.pages = "2";
    plan_refused(&req, &d, SEAL_EINVAL, "a seam seal needs at least 2 pages; the page range has 1");

    /* 130 mm below the middle of a 297 mm edge: the seal's lower half leaves the page */
    req.pages = "1-2";
    req.offset_mm = 130;
    plan_refused(&req, &d, SEAL_EINVAL,
                 "the seam seal (42.0 mm along the edge) at offset 130.0 mm does not fit along "
                 "the right edge of page 1 (297.0 mm)");
    /* along the top edge of the landscape page 3 (297 mm) it fits, along A4's 210 not */
    req.pages = "3-4";
    req.side = SEAL_SEAM_TOP;
    req.offset_mm = 100;
    plan_refused(&req, &d, SEAL_EINVAL, "the top edge of page 4 (210.0 mm)");
    seal_buf_clear(&png);
}

static void bad_requests(void **state)
{
    (void)state;
    fake_doc d = a4_doc();
    seal_place_request req = {.mode = SEAL_PLACE_AT, .x_mm = 10, .y_mm = 10};
    plan_refused(&req, &d, SEAL_EINVAL, "seal size 0.0 x 0.0 mm is not positive");
    req.width_mm = req.height_mm = 40;
    req.pages = "1-x";
    plan_refused(&req, &d, SEAL_EINVAL, "\"1-x\" is not a page number");
    req.pages = NULL;
    req.mode = (seal_place_mode)9;
    plan_refused(&req, &d, SEAL_EINVAL, "unknown placement mode 9");
    seal_place_plan_clear(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(at_point_on_listed_pages),
        cmocka_unit_test(keyword_hits_occurrence_and_offset),
        cmocka_unit_test(keyword_needs_text_search),
        cmocka_unit_test(seam_strips_at_each_edge),
        cmocka_unit_test(seam_refusals),
        cmocka_unit_test(bad_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
