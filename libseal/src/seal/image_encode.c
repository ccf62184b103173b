/* Writes seal pictures as small PNGs. A seal is one colour on a transparent background:
 * every pixel is the seal's red at some opacity (full inside the strokes, partial on their
 * anti-aliased edges). Cairo writes such a picture as 8-bit RGBA (ISO/IEC 15948 colour
 * type 6), four bytes a pixel of which three repeat; a 42 mm round seal at 600 dpi came to
 * about 150 KB, and an OFD carries its seal picture twice (Seal.esl and SignedValue.dat).
 * Here it is written as an indexed-colour image (colour type 3, 11.2.2) whose palette holds
 * the seal's colour at 16 opacities, with a tRNS chunk (11.3.2.1) giving each entry's
 * alpha: 4 bits a pixel, the edges' anti-aliasing kept in 16 steps, about a sixth of the
 * size (docs/cli.md, seal make). A picture that is not one colour (an uploaded one redrawn) is
 * written by Cairo as before. */
#include "seal/image_internal.h"

#include <seal/error.h>

#include <glib.h>
#include <string.h>
#include <zlib.h>

#define LEVELS 16 /* opacities in the palette: 4-bit indices */

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* One chunk (5.3): length, type, data, CRC-32 over type and data. */
static int chunk(seal_buf *out, const char type[4], const uint8_t *data, size_t len)
{
    uint8_t head[8], tail[4];
    put32(head, (uint32_t)len);
    memcpy(head + 4, type, 4);
    uLong crc = crc32(0, Z_NULL, 0);
    crc = crc32(crc, (const Bytef *)type, 4);
    if (len)
        crc = crc32(crc, data, (uInt)len);
    put32(tail, (uint32_t)crc);
    int rc = seal_buf_append(out, head, sizeof head);
    if (rc == 0 && len)
        rc = seal_buf_append(out, data, len);
    if (rc == 0)
        rc = seal_buf_append(out, tail, sizeof tail);
    return rc;
}

/* Whether every pixel is `rgb` at some opacity: Cairo's pixels are premultiplied, so a
 * pixel of alpha a holds rgb * a / 255 per channel, rounded (allow one step either way). */
static bool one_colour(const uint8_t *pixels, int width, int height, int stride, uint32_t rgb)
{
    for (int y = 0; y < height; y++) {
        const uint32_t *row = (const uint32_t *)(const void *)(pixels + (size_t)y * stride);
        for (int x = 0; x < width; x++) {
            uint32_t p = row[x], a = p >> 24;
            for (int shift = 0; shift <= 16; shift += 8) {
                int want = (int)(((rgb >> shift) & 0xFF) * a + 127) / 255;
                int got = (int)((p >> shift) & 0xFF);
                if (got < want - 1 || got > want + 1)
                    return false;
            }
        }
    }
    return true;
}

/* The colour of the most opaque pixel, unpremultiplied: the seal's colour when it has one. */
static uint32_t main_colour(const uint8_t *pixels, int width, int height, int stride)
{
    uint32_t best = 0;
    for (int y = 0; y < height && best >> 24 != 0xFF; y++) {
        const uint32_t *row = (const uint32_t *)(const void *)(pixels + (size_t)y * stride);
        for (int x = 0; x < width && best >> 24 != 0xFF; x++)
            if (row[x] >> 24 > best >> 24)
                best = row[x];
    }
    uint32_t a = best >> 24, rgb = 0;
    for (int shift = 0; a && shift <= 16; shift += 8)
        rgb |= (uint32_t)MIN(255u, (((best >> shift) & 0xFF) * 255 + a / 2) / a) << shift;
    return rgb;
}

static cairo_status_t append(void *closure, const unsigned char *data, unsigned int length)
{
    return seal_buf_append(closure, data, length) < 0 ? CAIRO_STATUS_WRITE_ERROR
                                                      : CAIRO_STATUS_SUCCESS;
}

int seal_image_encode_png(seal_buf *out, cairo_surface_t *surface)
{
    int rc = 0;
    uint8_t *raw = NULL, *packed = NULL;
    cairo_surface_flush(surface);
    int width = cairo_image_surface_get_width(surface);
    int height = cairo_image_surface_get_height(surface);
    int stride = cairo_image_surface_get_stride(surface);
    const uint8_t *pixels = cairo_image_surface_get_data(surface);
    SEAL_ENSURE(pixels && width > 0 && height > 0 &&
                    cairo_image_surface_get_format(surface) == CAIRO_FORMAT_ARGB32,
                SEAL_EINVAL, "no seal picture to encode");
    uint32_t rgb = main_colour(pixels, width, height, stride);
    if (!one_colour(pixels, width, height, stride, rgb)) {
        cairo_status_t status = cairo_surface_write_to_png_stream(surface, append, out);
        SEAL_ENSURE(status == CAIRO_STATUS_SUCCESS, SEAL_ENOMEM,
                    "could not encode the seal image as PNG: %s", cairo_status_to_string(status));
        goto out;
    }

    /* Each scanline: filter type 0 (none, the choice 12.8 recommends for indexed images)
     * and two 4-bit indices a byte, the left one in the high half (7.2). */
    size_t line = 1 + ((size_t)width + 1) / 2, raw_len = line * (size_t)height;
    raw = g_malloc0(raw_len);
    for (int y = 0; y < height; y++) {
        const uint32_t *row = (const uint32_t *)(const void *)(pixels + (size_t)y * stride);
        uint8_t *dst = raw + (size_t)y * line + 1;
        for (int x = 0; x < width; x++) {
            unsigned level = ((row[x] >> 24) * (LEVELS - 1) + 127) / 255;
            dst[x / 2] |= (uint8_t)(x % 2 ? level : level << 4);
        }
    }
    uLongf packed_len = compressBound((uLong)raw_len);
    packed = g_malloc(packed_len);
    SEAL_ENSURE(compress2(packed, &packed_len, raw, (uLong)raw_len, Z_BEST_COMPRESSION) == Z_OK,
                SEAL_ENOMEM, "could not compress the seal image");

    static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    uint8_t ihdr[13] = {0};
    put32(ihdr, (uint32_t)width);
    put32(ihdr + 4, (uint32_t)height);
    ihdr[8] = 4; /* bit depth */
    ihdr[9] = 3; /* indexed colour; compression, filter and interlace methods 0 */
    uint8_t plte[3 * LEVELS], trns[LEVELS];
    for (int i = 0; i < LEVELS; i++) {
        plte[3 * i] = (uint8_t)(rgb >> 16);
        plte[3 * i + 1] = (uint8_t)(rgb >> 8);
        plte[3 * i + 2] = (uint8_t)rgb;
        trns[i] = (uint8_t)((i * 255 + (LEVELS - 1) / 2) / (LEVELS - 1));
    }
    SEAL_TRY(seal_buf_append(out, signature, sizeof signature));
    SEAL_TRY(chunk(out, "IHDR", ihdr, sizeof ihdr));
    SEAL_TRY(chunk(out, "PLTE", plte, sizeof plte));
    SEAL_TRY(chunk(out, "tRNS", trns, sizeof trns));
    SEAL_TRY(chunk(out, "IDAT", packed, packed_len));
    SEAL_TRY(chunk(out, "IEND", NULL, 0));
out:
    g_free(raw);
    g_free(packed);
    return rc;
}
