/* libFuzzer target: what OFD rendering reads from documents nobody vouches for, below the
 * XML: AbbreviatedData path text (render_path.c) and page or seal pictures (render_image.c:
 * PNG through Cairo, JPEG through libjpeg, JBIG2 through jbig2dec, in file and embedded
 * form). The first byte picks which; the rest is the input, behind the format's signature
 * so that the decoders get past their first check. Nothing may crash, leak or hang. */
#include "ofd/render_internal.h"

#include <seal/error.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void draw_path(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return;
    if (size)
        memcpy(text, data, size);
    text[size] = '\0';
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 16, 16);
    cairo_t *cr = cairo_create(s);
    cairo_scale(cr, 0.1, 0.1);
    if (render_path_append(cr, text) == 0) {
        cairo_fill_preserve(cr);
        cairo_stroke(cr);
    }
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    free(text);
}

static void decode(const uint8_t *head, size_t head_len, const uint8_t *data, size_t size,
                   const char *hint)
{
    uint8_t *bytes = malloc(head_len + size + 1);
    if (!bytes)
        return;
    if (head_len)
        memcpy(bytes, head, head_len);
    if (size)
        memcpy(bytes + head_len, data, size);
    cairo_surface_t *s = NULL;
    if (render_image_decode(&s, bytes, head_len + size, hint, "fuzz") == 0)
        cairo_surface_destroy(s);
    free(bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    static const uint8_t jpeg[3] = {0xFF, 0xD8, 0xFF};
    static const uint8_t jbig2[8] = {0x97, 'J', 'B', '2', '\r', '\n', 0x1A, '\n'};
    if (size == 0)
        return 0;
    /* The renderer's pieces are driven directly, with surfaces made through libseal's
     * Cairo table: Cairo is loaded first, as rendering a page would. */
    if (render_cairo_load() < 0)
        abort();
    uint8_t mode = data[0] % 5;
    data++;
    size--;
    switch (mode) {
    case 0:
        draw_path(data, size);
        break;
    case 1:
        decode(png, sizeof png, data, size, NULL);
        break;
    case 2:
        decode(jpeg, sizeof jpeg, data, size, NULL);
        break;
    case 3:
        decode(NULL, 0, data, size, "GBIG2");
        break;
    default:
        decode(jbig2, sizeof jbig2, data, size, NULL);
        break;
    }
    seal_error_clear();
    return 0;
}
