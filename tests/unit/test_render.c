/* OFD rendering, piece by piece: AbbreviatedData paths (every operator, arcs by their
 * geometry, hostile numbers), image decoding (PNG, JPEG made here with libjpeg, the
 * corpus invoice's JBIG2, oversized and broken pictures), and small OFD packages built
 * here with libzip whose pixels show colours and colour spaces, alpha, Boundary and Clips,
 * CTM, dashes, templates under the page, text, and the errors a broken page gives. */
#include "testutil.h"

#include "ofd/render_internal.h"

#include <seal/error.h>
#include <seal/image.h>
#include <seal/ofd.h>
#include <seal/pdf.h>

#include <dlfcn.h>
#include <jpeglib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

/* The tests drive the renderer's pieces directly, on surfaces of their own made through
 * libseal's Cairo table (render/cairo_lazy.h), so Cairo is loaded first, as rendering a
 * page would. */
static int load_cairo(void **state)
{
    (void)state;
    return render_cairo_load();
}

/* Characters outside the shipped font have fontconfig load its configuration, which it
 * keeps for the process's life; it is given back at the end so that LeakSanitizer sees
 * only what libseal itself leaks (as test_doc.c does). FcFini is looked up: fontconfig
 * comes with Cairo, libseal loads it on first use. */
static int release_fontconfig(void **state)
{
    (void)state;
    void (*fc_fini)(void) = NULL;
    *(void **)&fc_fini = dlsym(RTLD_DEFAULT, "FcFini");
    if (fc_fini)
        fc_fini();
    return 0;
}

/* ---- paths ---- */

static cairo_t *scratch(void)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 10, 10);
    cairo_t *cr = cairo_create(s);
    cairo_surface_destroy(s);
    return cr;
}

static void path_extents(const char *data, double e[4])
{
    cairo_t *cr = scratch();
    if (render_path_append(cr, data) != 0)
        fail_msg("%s: %s", data, seal_error_last());
    cairo_path_extents(cr, &e[0], &e[1], &e[2], &e[3]);
    cairo_destroy(cr);
}

static void assert_near(double got, double want, double tol)
{
    if (fabs(got - want) > tol)
        fail_msg("got %g, want %g (within %g)", got, want, tol);
}

static void test_path_operators(void **state)
{
    (void)state;
    double e[4];
    path_extents("M 0 0 L 70 0 L 70 30 L 0 30 C", e);
    assert_near(e[0], 0, 1e-9);
    assert_near(e[2], 70, 1e-9);
    assert_near(e[3], 30, 1e-9);
    /* S starts a subpath like M; several subpaths, commas and newlines as separators */
    path_extents("S 1 2 L 3 4\nM 10,10 L 20 20 Z", e);
    assert_near(e[0], 1, 1e-9);
    assert_near(e[3], 20, 1e-9);
    /* a quadratic curve's control point pulls it halfway: from (0,0) via (5,10) to
     * (10,0) the highest point is y = 5 */
    path_extents("M 0 0 Q 5 10 10 0", e);
    assert_near(e[3], 5, 1e-6);
    /* cubic: (0,0) (0,10) (10,10) (10,0) peaks at y = 7.5 */
    path_extents("M 0 0 B 0 10 10 10 10 0", e);
    assert_near(e[3], 7.5, 1e-6);
    /* numbers after a complete operand list repeat the operator */
    path_extents("M 0 0 L 5 0 5 5 0 9", e);
    assert_near(e[3], 9, 1e-9);
}

/* GB/T 33190 table 36, A rx ry angle large sweep x y; the page's y axis points down. */
static void test_path_arcs(void **state)
{
    (void)state;
    double e[4];
    /* from (0,5) to (10,5) on a circle of radius 5: sweep 1 (clockwise on the page) goes
     * over the top, y down to 0; sweep 0 under, y up to 10 */
    path_extents("M 0 5 A 5 5 0 0 1 10 5", e);
    assert_near(e[1], 0, 1e-3);
    assert_near(e[3], 5, 1e-6);
    path_extents("M 0 5 A 5 5 0 0 0 10 5", e);
    assert_near(e[1], 5, 1e-6);
    assert_near(e[3], 10, 1e-3);
    /* large arc of a radius-10 circle between two points 10 apart: more than half the
     * circle, so it reaches 20 - 8.66 = 11.34 below the chord's other side */
    path_extents("M 0 0 A 10 10 0 1 0 10 0", e);
    assert_near(e[3], 10 + sqrt(75), 1e-3);
    /* radii too small grow until they reach: a half circle of radius 5 */
    path_extents("M 0 0 A 1 1 0 0 1 10 0", e);
    assert_near(e[1], -5, 1e-3);
    /* an ellipse turned by 90 degrees: rx along y */
    path_extents("M 0 0 A 10 2 90 0 1 0 20", e);
    assert_near(e[2], 2, 1e-3);
    /* zero radius is a line, an arc to the current point nothing */
    path_extents("M 0 0 A 0 5 0 0 1 10 10", e);
    assert_near(e[2], 10, 1e-9);
    path_extents("M 3 3 A 5 5 0 0 1 3 3 L 4 4", e);
    assert_near(e[0], 3, 1e-9);
}

static void expect_path_error(const char *data, const char *words)
{
    cairo_t *cr = scratch();
    int rc = render_path_append(cr, data);
    cairo_destroy(cr);
    if (rc != SEAL_EFORMAT)
        fail_msg("'%.40s' gave %d, not SEAL_EFORMAT", data, rc);
    if (!strstr(seal_error_last(), words))
        fail_msg("'%.40s': message '%s' lacks '%s'", data, seal_error_last(), words);
}

static void test_path_refuses_bad_data(void **state)
{
    (void)state;
    expect_path_error("M 0 0 X 1 1", "unknown operator 'X'");
    expect_path_error("M 0 0 L 5", "lacks a number");
    expect_path_error("M 0 0 B 1 2 3 4 5", "lacks a number");
    expect_path_error("7 8", "without an operator");
    expect_path_error("M 0 0 C 5 5", "without an operator");
    expect_path_error("M 0 0 L 1e400 0", "bad number");
    expect_path_error("M 0 0 L 5000000 0", "bad number");
    expect_path_error("M 0 0 L nan 0", "lacks a number");
    expect_path_error("M 0 0 L - 0", "bad number");
    /* a path of more numbers than any drawing has */
    size_t n = 2000002;
    char *big = malloc(n * 2 + 8);
    assert_non_null(big);
    strcpy(big, "M");
    for (size_t i = 0; i < n; i++)
        memcpy(big + 1 + 2 * i, " 1", 3);
    expect_path_error(big, "more than");
    free(big);
}

/* ---- images ---- */

static cairo_status_t append(void *closure, const unsigned char *data, unsigned int length)
{
    return seal_buf_append(closure, data, length) < 0 ? CAIRO_STATUS_WRITE_ERROR
                                                      : CAIRO_STATUS_SUCCESS;
}

static void make_png(seal_buf *png, int w, int h, double r, double g, double b)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, r, g, b);
    cairo_paint(cr);
    cairo_destroy(cr);
    assert_int_equal(cairo_surface_write_to_png_stream(s, append, png), CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(s);
}

static void make_jpeg(seal_buf *out, int w, int h, const uint8_t *rgb, bool grey)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    unsigned char *mem = NULL;
    unsigned long len = 0;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &mem, &len);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = grey ? 1 : 3;
    c.in_color_space = grey ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 95, TRUE);
    jpeg_start_compress(&c, TRUE);
    uint8_t *row = malloc((size_t)w * 3);
    for (int x = 0; x < w; x++)
        for (int k = 0; k < (grey ? 1 : 3); k++)
            row[x * (grey ? 1 : 3) + k] = rgb[k];
    while (c.next_scanline < c.image_height) {
        JSAMPROW rows[1] = {row};
        jpeg_write_scanlines(&c, rows, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);
    seal_buf_set(out, mem, len);
    free(mem);
}

static uint32_t pixel(cairo_surface_t *s, int x, int y)
{
    cairo_surface_flush(s);
    const uint8_t *row =
        cairo_image_surface_get_data(s) + (size_t)y * cairo_image_surface_get_stride(s);
    return ((const uint32_t *)row)[x];
}

static void assert_rgb(uint32_t px, int r, int g, int b, int tol)
{
    int pr = (px >> 16) & 0xFF, pg = (px >> 8) & 0xFF, pb = px & 0xFF;
    if (abs(pr - r) > tol || abs(pg - g) > tol || abs(pb - b) > tol)
        fail_msg("pixel is %d %d %d, want %d %d %d (within %d)", pr, pg, pb, r, g, b, tol);
}

static void test_image_formats(void **state)
{
    (void)state;
    seal_buf png = SEAL_BUF_INIT, jpg = SEAL_BUF_INIT;
    cairo_surface_t *s = NULL;

    make_png(&png, 7, 5, 0, 0, 1);
    assert_int_equal(render_image_decode(&s, png.data, png.len, "JPG", "test png"), 0);
    assert_int_equal(cairo_image_surface_get_width(s), 7);
    assert_rgb(pixel(s, 3, 3), 0, 0, 255, 0);
    cairo_surface_destroy(s);

    const uint8_t red[3] = {220, 30, 20};
    make_jpeg(&jpg, 16, 9, red, false);
    assert_int_equal(render_image_decode(&s, jpg.data, jpg.len, NULL, "test jpeg"), 0);
    assert_int_equal(cairo_image_surface_get_height(s), 9);
    assert_rgb(pixel(s, 8, 4), 220, 30, 20, 6);
    cairo_surface_destroy(s);
    const uint8_t grey[1] = {128};
    make_jpeg(&jpg, 4, 4, grey, true);
    assert_int_equal(render_image_decode(&s, jpg.data, jpg.len, NULL, "test jpeg"), 0);
    assert_rgb(pixel(s, 1, 1), 128, 128, 128, 3);
    cairo_surface_destroy(s);

    /* a truncated JPEG and a PNG whose data was cut are errors, not crashes */
    assert_int_equal(render_image_decode(&s, jpg.data, 40, NULL, "cut jpeg"), SEAL_EFORMAT);
    assert_non_null(strstr(seal_error_last(), "cut jpeg"));
    assert_int_equal(render_image_decode(&s, png.data, png.len - 20, NULL, "cut png"),
                     SEAL_EFORMAT);
    assert_null(s);
    seal_buf_clear(&png);
    seal_buf_clear(&jpg);
}

static void test_image_refusals(void **state)
{
    (void)state;
    cairo_surface_t *s = NULL;
    /* a PNG header that claims 60000 x 60000 pixels: refused before any pixel memory */
    uint8_t huge[33] = {0x89, 'P', 'N', 'G',  '\r', '\n', 0x1A, '\n', 0,    0, 0, 13, 'I', 'H', 'D',
                        'R',  0,   0,   0xEA, 0x60, 0,    0,    0xEA, 0x60, 8, 6, 0,  0,   0};
    assert_int_equal(render_image_decode(&s, huge, sizeof huge, NULL, "huge"), SEAL_EPOLICY);
    assert_non_null(strstr(seal_error_last(), "60000 x 60000"));
    const char gif[] = "GIF89a\1\0\1\0";
    assert_int_equal(render_image_decode(&s, (const uint8_t *)gif, sizeof gif, NULL, "g"),
                     SEAL_EUNSUPPORTED);
    assert_non_null(strstr(seal_error_last(), "GIF"));
    assert_int_equal(render_image_decode(&s, (const uint8_t *)"hello", 5, NULL, "text"),
                     SEAL_EFORMAT);
    assert_int_equal(render_image_decode(&s, (const uint8_t *)"", 0, NULL, "empty"), SEAL_EFORMAT);
    /* JBIG2 declared, garbage inside */
    assert_int_equal(
        render_image_decode(&s, (const uint8_t *)"\0\0\0\0\0\0\0\0\0\0", 10, "GBIG2", "jb2"),
        SEAL_EFORMAT);
    assert_null(s);
}

static seal_ofd *open_corpus(const char *name)
{
    const char *dir = test_corpus_dir();
    char path[1024];
    seal_ofd *doc = NULL;
    if (!dir)
        return NULL;
    snprintf(path, sizeof path, "%s/ofd/%s", dir, name);
    if (seal_ofd_open(&doc, path, NULL) != 0)
        fail_msg("%s: %s", name, seal_error_last());
    return doc;
}

/* The invoice's QR code is a 100 x 100 JBIG2 image (GB/T 33190 MultiMedia "GBIG2"). */
static void test_image_jbig2_from_invoice(void **state)
{
    (void)state;
    seal_ofd *doc = open_corpus("invoice-signed.ofd");
    if (!doc)
        skip();
    seal_slice bytes;
    cairo_surface_t *s = NULL;
    assert_int_equal(seal_ofd_entry_read(doc, "Doc_0/Res/image_80.jb2", &bytes), 0);
    assert_int_equal(render_image_decode(&s, bytes.data, bytes.len, "GBIG2", "qr"), 0);
    assert_int_equal(cairo_image_surface_get_width(s), 100);
    assert_int_equal(cairo_image_surface_get_height(s), 100);
    int black = 0;
    for (int y = 0; y < 100; y++)
        for (int x = 0; x < 100; x++)
            black += (pixel(s, x, y) & 0xFFFFFF) == 0;
    /* a QR code is roughly half dark modules */
    assert_true(black > 2000 && black < 8000);
    cairo_surface_destroy(s);
    seal_ofd_free(doc);
}

/* ---- small documents ---- */

typedef struct mini_file {
    const char *name;
    const void *data;
    size_t len; /* 0: strlen(data) */
} mini_file;

#define NS "xmlns:ofd=\"http://www.ofdspec.org/2016\""

/* A one-page OFD, 20 x 20 mm, with the given page content and resources. */
static seal_ofd *mini_ofd(const char *content, const char *res, const mini_file *extra,
                          size_t n_extra, const char *common_extra, const char *page_head)
{
    static int serial;
    char path[512], doc_xml[4096], page_xml[65536], res_xml[8192];
    snprintf(path, sizeof path, "%s/mini%d.ofd", test_tmpdir(), serial++);
    snprintf(doc_xml, sizeof doc_xml,
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ofd:Document " NS
             "><ofd:CommonData><ofd:PageArea><ofd:PhysicalBox>0 0 20 20</ofd:PhysicalBox>"
             "</ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes>%s"
             "<ofd:MaxUnitID>99</ofd:MaxUnitID></ofd:CommonData><ofd:Pages>"
             "<ofd:Page ID=\"1\" BaseLoc=\"Pages/Page_0/Content.xml\"/></ofd:Pages>"
             "</ofd:Document>",
             common_extra ? common_extra : "");
    snprintf(page_xml, sizeof page_xml,
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ofd:Page " NS ">%s<ofd:Content>"
             "<ofd:Layer ID=\"2\">%s</ofd:Layer></ofd:Content></ofd:Page>",
             page_head ? page_head : "", content);
    snprintf(res_xml, sizeof res_xml,
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ofd:Res " NS
             " BaseLoc=\"Res\">%s</ofd:Res>",
             res ? res : "");
    const char *ofd_xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ofd:OFD " NS
                          " Version=\"1.0\" DocType=\"OFD\"><ofd:DocBody><ofd:DocInfo>"
                          "<ofd:DocID>0</ofd:DocID></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml"
                          "</ofd:DocRoot></ofd:DocBody></ofd:OFD>";
    mini_file files[16] = {
        {"OFD.xml", ofd_xml, 0},
        {"Doc_0/Document.xml", doc_xml, 0},
        {"Doc_0/Pages/Page_0/Content.xml", page_xml, 0},
        {"Doc_0/PublicRes.xml", res_xml, 0},
    };
    size_t n = 4;
    for (size_t i = 0; i < n_extra && n < 16; i++)
        files[n++] = extra[i];
    int err;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
    assert_non_null(z);
    for (size_t i = 0; i < n; i++) {
        size_t len = files[i].len ? files[i].len : strlen(files[i].data);
        zip_source_t *src = zip_source_buffer(z, files[i].data, len, 0);
        assert_true(zip_file_add(z, files[i].name, src, ZIP_FL_OVERWRITE) >= 0);
    }
    assert_int_equal(zip_close(z), 0);
    seal_ofd *doc = NULL;
    if (seal_ofd_open(&doc, path, NULL) != 0)
        fail_msg("mini OFD: %s", seal_error_last());
    return doc;
}

/* Renders page 1 at 10 pixels per mm (200 x 200) on white; rc is what rendering gave. */
static cairo_surface_t *draw(seal_ofd *doc, int *rc)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 200, 200);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_scale(cr, 10, 10);
    *rc = seal_ofd_render_page(cr, doc, 1, NULL);
    /* whatever happened, the caller's context is as it was: no error, same matrix */
    cairo_matrix_t m;
    cairo_get_matrix(cr, &m);
    assert_int_equal(cairo_status(cr), CAIRO_STATUS_SUCCESS);
    assert_true(m.xx == 10 && m.yy == 10 && m.x0 == 0 && m.y0 == 0);
    cairo_destroy(cr);
    return s;
}

static cairo_surface_t *draw_ok(const char *content, const char *res)
{
    seal_ofd *doc = mini_ofd(content, res, NULL, 0, NULL, NULL);
    int rc;
    cairo_surface_t *s = draw(doc, &rc);
    if (rc != 0)
        fail_msg("render: %s", seal_error_last());
    seal_ofd_free(doc);
    return s;
}

/* The pixel at (x mm, y mm). */
static uint32_t at(cairo_surface_t *s, double x, double y)
{
    return pixel(s, (int)(x * 10), (int)(y * 10));
}

#define SQUARE(extra, colour)                                                                      \
    "<ofd:PathObject ID=\"3\" Boundary=\"0 0 20 20\" Fill=\"true\" Stroke=\"false\" " extra        \
    ">" colour "<ofd:AbbreviatedData>M 5 5 L 15 5 L 15 15 L 5 15 C</ofd:AbbreviatedData>"          \
    "</ofd:PathObject>"

static void test_colours(void **state)
{
    (void)state;
    cairo_surface_t *s;
    /* decimal and "#" hex values (8.3.2); outside the square stays white */
    s = draw_ok(SQUARE("", "<ofd:FillColor Value=\"#FF 0 #80\"/>"), NULL);
    assert_rgb(at(s, 10, 10), 255, 0, 128, 0);
    assert_rgb(at(s, 2, 2), 255, 255, 255, 0);
    cairo_surface_destroy(s);
    /* CMYK: 0 100% 100% 0 is red */
    s = draw_ok(SQUARE("", "<ofd:FillColor ColorSpace=\"7\" Value=\"0 255 255 0\"/>"),
                "<ofd:ColorSpaces><ofd:ColorSpace ID=\"7\" Type=\"CMYK\"/></ofd:ColorSpaces>");
    assert_rgb(at(s, 10, 10), 255, 0, 0, 0);
    cairo_surface_destroy(s);
    /* Gray with 1 bit per component, through a palette: index 1 is "1", white; index 0
     * black */
    s = draw_ok(SQUARE("", "<ofd:FillColor ColorSpace=\"7\" Index=\"0\"/>"),
                "<ofd:ColorSpaces><ofd:ColorSpace ID=\"7\" Type=\"GRAY\" BitsPerComponent=\"1\">"
                "<ofd:Palette><ofd:CV>0</ofd:CV><ofd:CV>1</ofd:CV></ofd:Palette>"
                "</ofd:ColorSpace></ofd:ColorSpaces>");
    assert_rgb(at(s, 10, 10), 0, 0, 0, 0);
    cairo_surface_destroy(s);
    /* a value out of range is the default colour (all components 0: black) */
    s = draw_ok(SQUARE("", "<ofd:FillColor Value=\"300 0 0\"/>"), NULL);
    assert_rgb(at(s, 10, 10), 0, 0, 0, 0);
    cairo_surface_destroy(s);
    /* the object's Alpha (128 of 255) over white */
    s = draw_ok(SQUARE("Alpha=\"128\"", "<ofd:FillColor Value=\"0 0 0\"/>"), NULL);
    assert_rgb(at(s, 10, 10), 127, 127, 127, 2);
    cairo_surface_destroy(s);
    /* an axial shading from black at x=5 to white at x=15 */
    s = draw_ok(SQUARE("", "<ofd:FillColor><ofd:AxialShd StartPoint=\"5 0\" EndPoint=\"15 0\">"
                           "<ofd:Segment Position=\"0\"><ofd:Color Value=\"0 0 0\"/></ofd:Segment>"
                           "<ofd:Segment Position=\"1\"><ofd:Color Value=\"255 255 255\"/>"
                           "</ofd:Segment></ofd:AxialShd></ofd:FillColor>"),
                NULL);
    assert_rgb(at(s, 5.1, 10), 0, 0, 0, 8);
    assert_rgb(at(s, 10, 10), 128, 128, 128, 8);
    cairo_surface_destroy(s);
}

static void test_draw_params_and_geometry(void **state)
{
    (void)state;
    cairo_surface_t *s;
    /* Boundary clips: the square drawn in a 8 x 20 box shows only its left part */
    s = draw_ok("<ofd:PathObject ID=\"3\" Boundary=\"0 0 8 20\" Fill=\"true\" Stroke=\"false\">"
                "<ofd:FillColor Value=\"0 0 255\"/><ofd:AbbreviatedData>M 5 5 L 15 5 L 15 15 "
                "L 5 15 C</ofd:AbbreviatedData></ofd:PathObject>",
                NULL);
    assert_rgb(at(s, 6, 10), 0, 0, 255, 0);
    assert_rgb(at(s, 12, 10), 255, 255, 255, 0);
    cairo_surface_destroy(s);
    /* Clips: an Area keeps the top half only; the Boundary moves the object */
    s = draw_ok("<ofd:PathObject ID=\"3\" Boundary=\"2 2 18 18\" Fill=\"true\" Stroke=\"false\">"
                "<ofd:Clips><ofd:Clip><ofd:Area><ofd:Path Boundary=\"0 0 20 20\">"
                "<ofd:AbbreviatedData>M 0 0 L 20 0 L 20 8 L 0 8 C</ofd:AbbreviatedData>"
                "</ofd:Path></ofd:Area></ofd:Clip></ofd:Clips>"
                "<ofd:FillColor Value=\"0 128 0\"/><ofd:AbbreviatedData>M 0 0 L 16 0 L 16 16 "
                "L 0 16 C</ofd:AbbreviatedData></ofd:PathObject>",
                NULL);
    assert_rgb(at(s, 10, 5), 0, 128, 0, 0);
    assert_rgb(at(s, 10, 12), 255, 255, 255, 0);
    assert_rgb(at(s, 1, 5), 255, 255, 255, 0);
    cairo_surface_destroy(s);
    /* CTM scales the 5 mm square to 10 mm */
    s = draw_ok("<ofd:PathObject ID=\"3\" Boundary=\"0 0 20 20\" CTM=\"2 0 0 2 0 0\" "
                "Fill=\"true\" Stroke=\"false\"><ofd:FillColor Value=\"0 0 0\"/>"
                "<ofd:AbbreviatedData>M 0 0 L 5 0 L 5 5 L 0 5 C</ofd:AbbreviatedData>"
                "</ofd:PathObject>",
                NULL);
    assert_rgb(at(s, 9, 9), 0, 0, 0, 0);
    assert_rgb(at(s, 11, 11), 255, 255, 255, 0);
    cairo_surface_destroy(s);
    /* a stroke 2 mm wide in the stroke colour of a DrawParam, dashed 2 on 2 off */
    s = draw_ok("<ofd:PathObject ID=\"3\" Boundary=\"0 0 20 20\" DrawParam=\"8\" "
                "DashPattern=\"2 2\"><ofd:AbbreviatedData>M 0 10 L 20 10</ofd:AbbreviatedData>"
                "</ofd:PathObject>",
                "<ofd:DrawParams><ofd:DrawParam ID=\"8\" LineWidth=\"2\"><ofd:StrokeColor "
                "Value=\"255 0 0\"/></ofd:DrawParam></ofd:DrawParams>");
    assert_rgb(at(s, 1, 10.5), 255, 0, 0, 0);
    assert_rgb(at(s, 3, 10.5), 255, 255, 255, 0);
    assert_rgb(at(s, 5, 9.5), 255, 0, 0, 0);
    assert_rgb(at(s, 1, 12), 255, 255, 255, 0);
    cairo_surface_destroy(s);
    /* a singular CTM draws nothing (and is no error) */
    s = draw_ok(SQUARE("CTM=\"0 0 0 0 0 0\"", "<ofd:FillColor Value=\"0 0 0\"/>"), NULL);
    assert_rgb(at(s, 10, 10), 255, 255, 255, 0);
    cairo_surface_destroy(s);
}

/* A background template the page names is drawn under its own content (GB/T 33190 7.7). */
static void test_template_under_page(void **state)
{
    (void)state;
    const char *tpl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ofd:Page " NS "><ofd:Content>"
                      "<ofd:Layer ID=\"5\"><ofd:PathObject ID=\"6\" Boundary=\"0 0 20 20\" "
                      "Fill=\"true\" Stroke=\"false\"><ofd:FillColor Value=\"0 0 255\"/>"
                      "<ofd:AbbreviatedData>M 0 0 L 20 0 L 20 20 L 0 20 C</ofd:AbbreviatedData>"
                      "</ofd:PathObject></ofd:Layer></ofd:Content></ofd:Page>";
    mini_file extra[] = {{"Doc_0/Tpls/Tpl_0/Content.xml", tpl, 0}};
    seal_ofd *doc = mini_ofd(SQUARE("", "<ofd:FillColor Value=\"255 0 0\"/>"), NULL, extra, 1,
                             "<ofd:TemplatePage ID=\"4\" BaseLoc=\"Tpls/Tpl_0/Content.xml\" "
                             "ZOrder=\"Background\"/>",
                             "<ofd:Template TemplateID=\"4\"/>");
    int rc;
    cairo_surface_t *s = draw(doc, &rc);
    assert_int_equal(rc, 0);
    assert_rgb(at(s, 10, 10), 255, 0, 0, 0);
    assert_rgb(at(s, 2, 2), 0, 0, 255, 0);
    cairo_surface_destroy(s);
    seal_ofd_free(doc);
}

static int dark_pixels(cairo_surface_t *s, double x0, double y0, double x1, double y1)
{
    int n = 0;
    for (int y = (int)(y0 * 10); y < (int)(y1 * 10); y++)
        for (int x = (int)(x0 * 10); x < (int)(x1 * 10); x++)
            n += ((pixel(s, x, y) >> 8) & 0xFF) < 100;
    return n;
}

/* Text in a font the document does not embed is drawn in the shipped font; DeltaY alone
 * makes a column (11.3). */
static void test_text(void **state)
{
    (void)state;
    const char *font = "<ofd:Fonts><ofd:Font ID=\"9\" FontName=\"宋体\"/></ofd:Fonts>";
    cairo_surface_t *s = draw_ok("<ofd:TextObject ID=\"3\" Boundary=\"1 1 18 5\" Font=\"9\" "
                                 "Size=\"4\"><ofd:TextCode X=\"0\" Y=\"4\" DeltaX=\"g 3 4\">"
                                 "印章文字</ofd:TextCode></ofd:TextObject>"
                                 "<ofd:TextObject ID=\"4\" Boundary=\"2 8 5 12\" Font=\"9\" "
                                 "Size=\"3\"><ofd:TextCode X=\"0.5\" Y=\"3\" DeltaY=\"4 4\">"
                                 "购买方</ofd:TextCode></ofd:TextObject>",
                                 font);
    /* four glyphs of 4 mm across 16 mm: ink in each cell */
    for (int i = 0; i < 4; i++)
        assert_true(dark_pixels(s, 1 + 4 * i, 1, 1 + 4 * i + 4, 6) > 60);
    /* the column: ink in each of the three cells below one another */
    for (int i = 0; i < 3; i++)
        assert_true(dark_pixels(s, 2, 8 + 4 * i, 6, 8 + 4 * i + 4) > 30);
    cairo_surface_destroy(s);
}

static int ink(cairo_surface_t *s)
{
    return dark_pixels(s, 0, 0, 20, 20);
}

/* An embedded font (FontFile) draws the text; CGTransform (11.4) replaces characters by
 * the glyphs it lists: "A" drawn as the glyph of 印 inks exactly as 印 does. */
static void test_embedded_font_and_cgtransform(void **state)
{
    (void)state;
    seal_buf font = SEAL_BUF_INIT;
    render_font *f = NULL;
    const char *path = seal_font_path();
    if (!path)
        skip();
    assert_int_equal(seal_buf_read_file(&font, path, 64u << 20), 0);
    assert_int_equal(render_font_open_embedded(&f, font.data, font.len, "font"), 0);
    unsigned long yin = render_font_glyph(f, 0x5370);
    assert_true(yin > 0);
    render_font_free(f);

    const char *res = "<ofd:Fonts><ofd:Font ID=\"9\" FontName=\"Embedded\"><ofd:FontFile>f.otf"
                      "</ofd:FontFile></ofd:Font></ofd:Fonts>";
    mini_file extra[] = {{"Doc_0/Res/f.otf", font.data, font.len}};
    char mapped[512];
    snprintf(mapped, sizeof mapped,
             "<ofd:TextObject ID=\"3\" Boundary=\"0 0 20 20\" Font=\"9\" Size=\"12\">"
             "<ofd:CGTransform CodePosition=\"0\" CodeCount=\"1\" GlyphCount=\"1\">"
             "<ofd:Glyphs>%lu</ofd:Glyphs></ofd:CGTransform>"
             "<ofd:TextCode X=\"2\" Y=\"14\">A</ofd:TextCode></ofd:TextObject>",
             yin);
    const char *direct = "<ofd:TextObject ID=\"3\" Boundary=\"0 0 20 20\" Font=\"9\" "
                         "Size=\"12\"><ofd:TextCode X=\"2\" Y=\"14\">印</ofd:TextCode>"
                         "</ofd:TextObject>";
    const char *plain = "<ofd:TextObject ID=\"3\" Boundary=\"0 0 20 20\" Font=\"9\" "
                        "Size=\"12\"><ofd:TextCode X=\"2\" Y=\"14\">A</ofd:TextCode>"
                        "</ofd:TextObject>";
    int counts[3];
    const char *contents[3] = {mapped, direct, plain};
    for (int i = 0; i < 3; i++) {
        seal_ofd *doc = mini_ofd(contents[i], res, extra, 1, NULL, NULL);
        int rc;
        cairo_surface_t *s = draw(doc, &rc);
        if (rc != 0)
            fail_msg("%s", seal_error_last());
        counts[i] = ink(s);
        cairo_surface_destroy(s);
        seal_ofd_free(doc);
    }
    assert_true(counts[1] > 500);
    assert_int_equal(counts[0], counts[1]);
    assert_true(abs(counts[2] - counts[1]) > 100);
    seal_buf_clear(&font);
}

/* A character the shipped GB 2312 cut lacks (the invoice's ¥, a rare hanzi) comes from the
 * complete font of its typeface when fonts-noto-cjk is installed, which has every hanzi of
 * U+4E00..U+9FA5 and 䶮; ¥ and 喆 are drawn as themselves, not as the .notdef box (glyph
 * 0, drawn here through CGTransform). */
static void test_substitute_font_has_what_the_cut_lacks(void **state)
{
    (void)state;
    if (access("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc", R_OK) != 0) {
        print_message("skipped: fonts-noto-cjk is not installed\n");
        skip();
    }
    render_font *shipped = NULL;
    assert_int_equal(render_font_open_fallback(&shipped), 0);
    assert_int_equal(render_font_glyph(shipped, 0xA5), 0); /* what boxes were drawn for */
    assert_int_equal(render_font_glyph(shipped, 0x5586), 0);
    render_font *f = render_font_more(shipped);
    assert_non_null(f);
    assert_ptr_equal(render_font_more(shipped), f); /* opened once */
    assert_true(render_font_glyph(f, 0xA5) > 0);
    assert_true(render_font_glyph(f, 0x4DAE) > 0);
    for (uint32_t cp = 0x4E00; cp <= 0x9FA5; cp++)
        if (render_font_glyph(f, cp) == 0)
            fail_msg("the complete font has no U+%04X", (unsigned)cp);
    render_font_free(shipped);

    const char *res = "<ofd:Fonts><ofd:Font ID=\"9\" FontName=\"宋体\"/></ofd:Fonts>";
    const char *contents[] = {
        "<ofd:TextObject ID=\"3\" Boundary=\"0 0 20 20\" Font=\"9\" Size=\"12\">"
        "<ofd:TextCode X=\"2\" Y=\"14\">¥</ofd:TextCode></ofd:TextObject>",
        "<ofd:TextObject ID=\"3\" Boundary=\"0 0 20 20\" Font=\"9\" Size=\"12\">"
        "<ofd:TextCode X=\"2\" Y=\"14\">喆</ofd:TextCode></ofd:TextObject>",
        "<ofd:TextObject ID=\"3\" Boundary=\"0 0 20 20\" Font=\"9\" Size=\"12\">"
        "<ofd:CGTransform CodePosition=\"0\" CodeCount=\"1\" GlyphCount=\"1\">"
        "<ofd:Glyphs>0</ofd:Glyphs></ofd:CGTransform>"
        "<ofd:TextCode X=\"2\" Y=\"14\">A</ofd:TextCode></ofd:TextObject>",
    };
    int counts[3];
    for (int i = 0; i < 3; i++) {
        seal_ofd *doc = mini_ofd(contents[i], res, NULL, 0, NULL, NULL);
        int rc;
        cairo_surface_t *s = draw(doc, &rc);
        if (rc != 0)
            fail_msg("%s", seal_error_last());
        counts[i] = ink(s);
        cairo_surface_destroy(s);
        seal_ofd_free(doc);
    }
    print_message("ink: yen %d, zhe %d, .notdef %d\n", counts[0], counts[1], counts[2]);
    assert_true(counts[2] > 100); /* the box is drawn where asked */
    assert_true(counts[0] > 100 && abs(counts[0] - counts[2]) > 100);
    assert_true(counts[1] > 500 && abs(counts[1] - counts[2]) > 100);
}

/* A TextCode without X or Y takes the previous TextCode's (11.3), not where it ended. */
static void test_text_code_inherits_position(void **state)
{
    (void)state;
    const char *font = "<ofd:Fonts><ofd:Font ID=\"9\" FontName=\"宋体\"/></ofd:Fonts>";
    cairo_surface_t *s = draw_ok("<ofd:TextObject ID=\"3\" Boundary=\"0 0 20 20\" Font=\"9\" "
                                 "Size=\"4\"><ofd:TextCode X=\"1\" Y=\"5\">一二三</ofd:TextCode>"
                                 "<ofd:TextCode Y=\"15\">印</ofd:TextCode></ofd:TextObject>",
                                 font);
    /* the second code starts at x = 1 again, under the first character */
    assert_true(dark_pixels(s, 1, 11, 5, 16) > 30);
    assert_int_equal(dark_pixels(s, 12, 11, 20, 16), 0);
    cairo_surface_destroy(s);
}

static void expect_page_error(const char *content, const char *res, const char *words)
{
    seal_ofd *doc = mini_ofd(content, res, NULL, 0, NULL, NULL);
    int rc;
    cairo_surface_t *s = draw(doc, &rc);
    if (rc >= 0)
        fail_msg("rendering did not fail (want '%s')", words);
    if (!strstr(seal_error_last(), words))
        fail_msg("message '%s' lacks '%s'", seal_error_last(), words);
    cairo_surface_destroy(s);
    seal_ofd_free(doc);
}

static void test_page_errors(void **state)
{
    (void)state;
    /* the message names the file and the object */
    expect_page_error("<ofd:PathObject ID=\"33\" Boundary=\"0 0 9 9\"><ofd:AbbreviatedData>"
                      "M 0 0 K 3 3</ofd:AbbreviatedData></ofd:PathObject>",
                      NULL, "Doc_0/Pages/Page_0/Content.xml, PathObject 33: AbbreviatedData");
    expect_page_error("<ofd:ImageObject ID=\"34\" Boundary=\"0 0 9 9\" ResourceID=\"77\"/>", NULL,
                      "ImageObject 34: no resource has ID 77");
    expect_page_error("<ofd:ImageObject ID=\"35\" Boundary=\"0 0 9 9\" ResourceID=\"77\"/>",
                      "<ofd:MultiMedias><ofd:MultiMedia ID=\"77\" Type=\"Image\"><ofd:MediaFile>"
                      "gone.png</ofd:MediaFile></ofd:MultiMedia></ofd:MultiMedias>",
                      "gone.png");
    expect_page_error("<ofd:PathObject ID=\"36\" Boundary=\"0 0 nine 9\"><ofd:AbbreviatedData>"
                      "M 0 0</ofd:AbbreviatedData></ofd:PathObject>",
                      NULL, "PathObject 36: Boundary");
    /* page blocks nested 60 deep */
    char nested[8192] = "";
    for (int i = 0; i < 60; i++)
        strcat(nested, "<ofd:PageBlock ID=\"9\">");
    for (int i = 0; i < 60; i++)
        strcat(nested, "</ofd:PageBlock>");
    expect_page_error(nested, NULL, "nest deeper");
}

/* An image object draws its picture in the unit square its CTM scales. */
static void test_image_object(void **state)
{
    (void)state;
    seal_buf png = SEAL_BUF_INIT;
    make_png(&png, 4, 4, 0, 0.5, 0);
    mini_file extra[] = {{"Doc_0/Res/green.png", png.data, png.len}};
    seal_ofd *doc = mini_ofd("<ofd:ImageObject ID=\"3\" Boundary=\"4 4 10 10\" CTM=\"10 0 0 10 0 "
                             "0\" ResourceID=\"77\"/>",
                             "<ofd:MultiMedias><ofd:MultiMedia ID=\"77\" Type=\"Image\">"
                             "<ofd:MediaFile>green.png</ofd:MediaFile></ofd:MultiMedia>"
                             "</ofd:MultiMedias>",
                             extra, 1, NULL, NULL);
    int rc;
    cairo_surface_t *s = draw(doc, &rc);
    if (rc != 0)
        fail_msg("%s", seal_error_last());
    assert_rgb(at(s, 9, 9), 0, 128, 0, 1);
    assert_rgb(at(s, 3, 3), 255, 255, 255, 0);
    assert_rgb(at(s, 15, 15), 255, 255, 255, 0);
    cairo_surface_destroy(s);
    seal_ofd_free(doc);
    seal_buf_clear(&png);
}

static void test_pixel_limits(void **state)
{
    (void)state;
    int w, h;
    assert_int_equal(seal_render_pixel_size(&w, &h, 210, 297, 150), 0);
    assert_int_equal(w, 1241);
    assert_int_equal(h, 1754);
    assert_int_equal(seal_render_pixel_size(&w, &h, 210, 297, 5), SEAL_EINVAL);
    assert_int_equal(seal_render_pixel_size(&w, &h, 210, 297, 2400), SEAL_EPOLICY);
    assert_non_null(strstr(seal_error_last(), "million pixels"));
    assert_int_equal(seal_render_pixel_size(&w, &h, 5000, 10, 600), SEAL_EPOLICY);
}

/* Keyword boxes follow the same placement rules as the drawing (11.3): vertical text that
 * gives DeltaY alone stays in its column; without any delta a glyph advances by its width
 * along ReadDirection. Boundary 2 1, X 3 Y 4, Size 4 (wide glyphs are 4 mm), baseline at
 * 0.88 em: column x = 5..9; 文 at baseline 1 + 4 + 2 * 5 = 15, 字 at 20. */
static void test_find_text_vertical(void **state)
{
    (void)state;
    seal_ofd *doc = mini_ofd(
        "<ofd:TextObject ID=\"3\" Boundary=\"2 1 10 18\" Font=\"4\" Size=\"4\">"
        "<ofd:TextCode X=\"3\" Y=\"4\" DeltaY=\"5 5 5\">竖排文字</ofd:TextCode></ofd:TextObject>"
        "<ofd:TextObject ID=\"5\" Boundary=\"0 0 20 20\" Font=\"4\" Size=\"2\" "
        "ReadDirection=\"90\"><ofd:TextCode X=\"1\" Y=\"2\">上下</ofd:TextCode></ofd:TextObject>",
        "<ofd:Fonts><ofd:Font ID=\"4\" FontName=\"SimSun\"/></ofd:Fonts>", NULL, 0, NULL, NULL);
    seal_ofd_text_hit *hits = NULL;
    size_t n = 0;
    assert_int_equal(seal_ofd_find_text(doc, "文字", &hits, &n), 0);
    assert_int_equal(n, 1);
    assert_float_equal(hits[0].box.x, 5, 1e-6);
    assert_float_equal(hits[0].box.w, 4, 1e-6);
    assert_float_equal(hits[0].box.y, 15 - 0.88 * 4, 1e-6);
    assert_float_equal(hits[0].box.h, 20 - 15 + 4, 1e-6);
    free(hits);
    /* No deltas, ReadDirection 90: 下 sits one em (2 mm) below 上, same x. */
    assert_int_equal(seal_ofd_find_text(doc, "上下", &hits, &n), 0);
    assert_int_equal(n, 1);
    assert_float_equal(hits[0].box.x, 1, 1e-6);
    assert_float_equal(hits[0].box.w, 2, 1e-6);
    assert_float_equal(hits[0].box.h, 4, 1e-6);
    free(hits);
    seal_ofd_free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_operators),
        cmocka_unit_test(test_path_arcs),
        cmocka_unit_test(test_path_refuses_bad_data),
        cmocka_unit_test(test_image_formats),
        cmocka_unit_test(test_image_refusals),
        cmocka_unit_test(test_image_jbig2_from_invoice),
        cmocka_unit_test(test_colours),
        cmocka_unit_test(test_draw_params_and_geometry),
        cmocka_unit_test(test_template_under_page),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_embedded_font_and_cgtransform),
        cmocka_unit_test(test_substitute_font_has_what_the_cut_lacks),
        cmocka_unit_test(test_text_code_inherits_position),
        cmocka_unit_test(test_page_errors),
        cmocka_unit_test(test_image_object),
        cmocka_unit_test(test_pixel_limits),
        cmocka_unit_test(test_find_text_vertical),
    };
    return cmocka_run_group_tests(tests, load_cairo, release_fontconfig);
}
