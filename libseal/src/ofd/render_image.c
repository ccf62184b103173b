/* Decodes the pictures an OFD page or seal carries into Cairo surfaces: PNG (Cairo),
 * JPEG (libjpeg), and JBIG2 (jbig2dec; tax e-invoices keep their QR code as JBIG2,
 * MultiMedia Format "GBIG2"). The bytes come from the document, so the format is told by
 * the file's own signature, sizes are checked before any pixel memory is taken, and
 * decoder messages become our errors instead of going to stderr. */
#include "ofd/render_internal.h"

#include <seal/error.h>

#include <jbig2.h>
#include <jpeglib.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One page image may be a full-page scan: A3 at 600 dpi is 7016 x 9921 pixels. */
#define IMAGE_MAX_SIDE   20000
#define IMAGE_MAX_PIXELS (80u * 1000u * 1000u)
/* jbig2dec's working memory for one image (the page bitmap plus symbol dictionaries). */
#define JBIG2_MAX_MEMORY ((size_t)256 * 1024 * 1024)

static int check_size(uint64_t width, uint64_t height, const char *format, const char *what)
{
    if (width == 0 || height == 0)
        return seal_error_set(SEAL_EFORMAT, "%s: the %s image has no pixels", what, format);
    if (width > IMAGE_MAX_SIDE || height > IMAGE_MAX_SIDE || width * height > IMAGE_MAX_PIXELS)
        return seal_error_set(SEAL_EPOLICY,
                              "%s: the %s image is %llu x %llu pixels, more than the %u million "
                              "pixels (and %d per side) a page image may have",
                              what, format, (unsigned long long)width, (unsigned long long)height,
                              IMAGE_MAX_PIXELS / 1000000, IMAGE_MAX_SIDE);
    return 0;
}

static int new_surface(cairo_surface_t **out, int width, int height, const char *what)
{
    *out = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
    if (cairo_surface_status(*out) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(*out);
        *out = NULL;
        return seal_error_set(SEAL_ENOMEM, "%s: no memory for a %d x %d image", what, width,
                              height);
    }
    return 0;
}

/* ---- PNG (ISO/IEC 15948) ---- */

static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static cairo_status_t read_slice(void *closure, unsigned char *data, unsigned int length)
{
    seal_slice part;
    if (!seal_slice_take(closure, length, &part))
        return CAIRO_STATUS_READ_ERROR;
    memcpy(data, part.data, length);
    return CAIRO_STATUS_SUCCESS;
}

/* ISO/IEC 15948 5.2 and 11.2.2: the signature, then IHDR with width and height first. The
 * size is checked from the header before Cairo allocates the pixels. */
static int decode_png(cairo_surface_t **out, const uint8_t *data, size_t len, const char *what)
{
    if (len < 8 + 8 + 8 || be32(data + 8) != 13 || memcmp(data + 12, "IHDR", 4) != 0)
        return seal_error_set(SEAL_EFORMAT, "%s: the PNG image has no valid header", what);
    int rc = check_size(be32(data + 16), be32(data + 20), "PNG", what);
    if (rc < 0)
        return rc;
    seal_slice s = seal_slice_of(data, len);
    cairo_surface_t *surface = cairo_image_surface_create_from_png_stream(read_slice, &s);
    if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
        cairo_status_t status = cairo_surface_status(surface);
        cairo_surface_destroy(surface);
        return seal_error_set(status == CAIRO_STATUS_NO_MEMORY ? SEAL_ENOMEM : SEAL_EFORMAT,
                              "%s: the PNG image cannot be decoded (%s)", what,
                              cairo_status_to_string(status));
    }
    *out = surface;
    return 0;
}

/* ---- JPEG (ITU-T T.81 through libjpeg) ---- */

typedef struct jpeg_failure {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
} jpeg_failure;

static void jpeg_fail(j_common_ptr cinfo)
{
    jpeg_failure *f = (jpeg_failure *)cinfo->err;
    f->mgr.format_message(cinfo, f->message);
    longjmp(f->jump, 1);
}

/* Warnings (a corrupt tail, extra bytes) leave a picture that still shows; keep quiet. */
static void jpeg_quiet(j_common_ptr cinfo)
{
    (void)cinfo;
}

static uint32_t argb(unsigned r, unsigned g, unsigned b)
{
    return 0xFF000000u | r << 16 | g << 8 | b;
}

static int decode_jpeg(cairo_surface_t **out, const uint8_t *data, size_t len, const char *what)
{
    /* volatile: these change between setjmp and a possible longjmp back to it. */
    struct jpeg_decompress_struct cinfo;
    jpeg_failure failure;
    cairo_surface_t *volatile surface = NULL;
    JSAMPLE *volatile row = NULL;
    int volatile rc = 0;

    cinfo.err = jpeg_std_error(&failure.mgr);
    failure.mgr.error_exit = jpeg_fail;
    failure.mgr.output_message = jpeg_quiet;
    failure.message[0] = '\0';
    if (setjmp(failure.jump)) {
        rc = seal_error_set(SEAL_EFORMAT, "%s: the JPEG image cannot be decoded (%s)", what,
                            failure.message);
        goto out;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)len);
    jpeg_read_header(&cinfo, TRUE);
    rc = check_size(cinfo.image_width, cinfo.image_height, "JPEG", what);
    if (rc < 0)
        goto out;
    /* CMYK and YCCK come out as CMYK; everything else as RGB (grey included). */
    bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    cairo_surface_t *s;
    rc = new_surface(&s, (int)cinfo.output_width, (int)cinfo.output_height, what);
    if (rc < 0)
        goto out;
    surface = s;
    row = malloc((size_t)cinfo.output_width * (size_t)cinfo.output_components);
    if (!row) {
        rc = seal_error_set(SEAL_ENOMEM, "out of memory");
        goto out;
    }
    cairo_surface_flush(surface);
    uint8_t *pixels = cairo_image_surface_get_data(surface);
    int stride = cairo_image_surface_get_stride(surface);
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW rows[1] = {row};
        JDIMENSION y = cinfo.output_scanline;
        jpeg_read_scanlines(&cinfo, rows, 1);
        uint32_t *dst = (uint32_t *)(pixels + (size_t)y * (size_t)stride);
        for (JDIMENSION x = 0; x < cinfo.output_width; x++) {
            const JSAMPLE *p = row + (size_t)x * (size_t)cinfo.output_components;
            if (cmyk) {
                /* Adobe writes CMYK JPEGs inverted (the APP14 marker says so); undo that,
                 * then the plain conversion, as other viewers do without a colour profile. */
                unsigned c = p[0], m = p[1], yl = p[2], k = p[3];
                if (!cinfo.saw_Adobe_marker) {
                    c = 255 - c;
                    m = 255 - m;
                    yl = 255 - yl;
                    k = 255 - k;
                }
                dst[x] = argb(c * k / 255, m * k / 255, yl * k / 255);
            } else {
                dst[x] = argb(p[0], p[1], p[2]);
            }
        }
    }
    cairo_surface_mark_dirty(surface);
    jpeg_finish_decompress(&cinfo);
    *out = surface;
    surface = NULL;
out:
    jpeg_destroy_decompress(&cinfo);
    free(row);
    if (surface)
        cairo_surface_destroy(surface);
    return rc;
}

/* ---- JBIG2 (ITU-T T.88 through jbig2dec) ---- */

typedef struct jbig2_budget {
    Jbig2Allocator base; /* first: jbig2dec hands this pointer back */
    size_t used;
} jbig2_budget;

/* Each block carries its size in front, so that free and realloc can keep the count. */
typedef union block_head {
    size_t size;
    max_align_t align;
} block_head;

static void *budget_alloc(Jbig2Allocator *a, size_t size)
{
    jbig2_budget *b = (jbig2_budget *)a;
    if (size > JBIG2_MAX_MEMORY - b->used)
        return NULL;
    block_head *h = malloc(sizeof *h + size);
    if (!h)
        return NULL;
    h->size = size;
    b->used += size;
    return h + 1;
}

static void budget_free(Jbig2Allocator *a, void *p)
{
    if (!p)
        return;
    block_head *h = (block_head *)p - 1;
    ((jbig2_budget *)a)->used -= h->size;
    free(h);
}

static void *budget_realloc(Jbig2Allocator *a, void *p, size_t size)
{
    jbig2_budget *b = (jbig2_budget *)a;
    if (!p)
        return budget_alloc(a, size);
    block_head *h = (block_head *)p - 1;
    size_t old = h->size;
    if (size > old && size - old > JBIG2_MAX_MEMORY - b->used)
        return NULL;
    block_head *n = realloc(h, sizeof *n + size);
    if (!n)
        return NULL;
    n->size = size;
    b->used = b->used - old + size;
    return n + 1;
}

typedef struct jbig2_messages {
    char fatal[256];
} jbig2_messages;

static void jbig2_message(void *data, const char *msg, Jbig2Severity severity, uint32_t seg_idx)
{
    jbig2_messages *m = data;
    (void)seg_idx;
    if (severity == JBIG2_SEVERITY_FATAL && !m->fatal[0])
        snprintf(m->fatal, sizeof m->fatal, "%s", msg);
}

static const uint8_t jbig2_signature[8] = {0x97, 'J', 'B', '2', '\r', '\n', 0x1A, '\n'};

/* T.88 annex D.4 file format when the signature is there; otherwise the embedded stream
 * form that PDF and OFD writers also use (no file header, segments only). */
static int decode_jbig2(cairo_surface_t **out, const uint8_t *data, size_t len, const char *what)
{
    int rc = 0;
    jbig2_budget budget = {{budget_alloc, budget_free, budget_realloc}, 0};
    jbig2_messages messages = {{0}};
    Jbig2Image *page = NULL;
    cairo_surface_t *surface = NULL;
    bool file_form = len >= 8 && memcmp(data, jbig2_signature, 8) == 0;

    Jbig2Ctx *ctx = jbig2_ctx_new(&budget.base, file_form ? 0 : JBIG2_OPTIONS_EMBEDDED, NULL,
                                  jbig2_message, &messages);
    SEAL_ENSURE(ctx, SEAL_ENOMEM, "%s: the JBIG2 decoder could not start", what);
    if (jbig2_data_in(ctx, data, len) < 0 || jbig2_complete_page(ctx) < 0 ||
        !(page = jbig2_page_out(ctx)))
        SEAL_FAIL(budget.used >= JBIG2_MAX_MEMORY / 2 ? SEAL_EPOLICY : SEAL_EFORMAT,
                  "%s: the JBIG2 image cannot be decoded (%s)", what,
                  messages.fatal[0] ? messages.fatal : "no complete page in it");
    SEAL_TRY(check_size(page->width, page->height, "JBIG2", what));
    SEAL_ENSURE(page->stride >= (page->width + 7) / 8, SEAL_EFORMAT,
                "%s: the JBIG2 decoder gave an inconsistent bitmap", what);
    SEAL_TRY(new_surface(&surface, (int)page->width, (int)page->height, what));
    cairo_surface_flush(surface);
    uint8_t *pixels = cairo_image_surface_get_data(surface);
    int stride = cairo_image_surface_get_stride(surface);
    for (uint32_t y = 0; y < page->height; y++) {
        const uint8_t *src = page->data + (size_t)y * page->stride;
        uint32_t *dst = (uint32_t *)(pixels + (size_t)y * (size_t)stride);
        /* T.88 6.2: a 1 bit is a foreground (black) pixel. */
        for (uint32_t x = 0; x < page->width; x++)
            dst[x] = (src[x / 8] >> (7 - x % 8)) & 1 ? argb(0, 0, 0) : argb(255, 255, 255);
    }
    cairo_surface_mark_dirty(surface);
    *out = surface;
    surface = NULL;
out:
    if (page)
        jbig2_release_page(ctx, page);
    if (ctx)
        jbig2_ctx_free(ctx);
    if (surface)
        cairo_surface_destroy(surface);
    return rc;
}

/* ---- by signature ---- */

static bool hint_is(const char *hint, const char *a, const char *b)
{
    return hint && (strcasecmp(hint, a) == 0 || (b && strcasecmp(hint, b) == 0));
}

int render_image_decode(cairo_surface_t **out, const uint8_t *data, size_t len,
                        const char *format_hint, const char *what)
{
    *out = NULL;
    if (!data || len == 0)
        return seal_error_set(SEAL_EFORMAT, "%s: the image file is empty", what);
    if (len >= 8 && memcmp(data, png_signature, 8) == 0)
        return decode_png(out, data, len, what);
    if (len >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
        return decode_jpeg(out, data, len, what);
    if ((len >= 8 && memcmp(data, jbig2_signature, 8) == 0) ||
        hint_is(format_hint, "GBIG2", "JBIG2") || hint_is(format_hint, "JB2", NULL))
        return decode_jbig2(out, data, len, what);
    if (len >= 4 && (memcmp(data, "GIF8", 4) == 0 || memcmp(data, "II*", 4) == 0 ||
                     memcmp(data, "MM\0*", 4) == 0 || memcmp(data, "BM", 2) == 0))
        return seal_error_set(SEAL_EUNSUPPORTED,
                              "%s: %s images are not supported (PNG, JPEG and JBIG2 are)", what,
                              data[0] == 'G'   ? "GIF"
                              : data[0] == 'B' ? "BMP"
                                               : "TIFF");
    return seal_error_set(SEAL_EFORMAT,
                          "%s: not an image this renderer reads (PNG, JPEG or JBIG2)%s%s", what,
                          format_hint ? "; declared format " : "", format_hint ? format_hint : "");
}
