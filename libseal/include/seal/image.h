/* Seal images: drawn with Cairo as official seals look, or uploaded as PNG.
 *
 * Round seals (official, contract...): the institution's name along the upper arc, a
 * five-pointed star in the middle, the purpose in a straight line below it, an optional
 * code along the lower arc. Oval seals for business seals; square seals for a person's
 * name. Red on a transparent background, in the CJK serif font shipped in fonts/. */
#ifndef SEAL_IMAGE_H
#define SEAL_IMAGE_H

#include <seal/buf.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum seal_shape { SEAL_SHAPE_ROUND = 0, SEAL_SHAPE_OVAL, SEAL_SHAPE_SQUARE } seal_shape;

const char *seal_shape_name(seal_shape shape); /* "round", "oval", "square" */
int seal_shape_parse(seal_shape *out, const char *name);

typedef struct seal_drawing {
    seal_shape shape;
    const char *name;      /* UTF-8; upper arc (round, oval) or the name grid (square) */
    const char *purpose;   /* straight line below the star, e.g. "合同专用章"; NULL: none */
    const char *code;      /* lower arc, e.g. a 13-digit seal code; NULL: none */
    double width_mm;       /* 0: 42 round, 45 oval, 20 square */
    double height_mm;      /* 0: same as width for round/square, 30 for oval */
    int dpi;               /* 0: 600; at least 300 */
    uint32_t rgb;          /* 0: seal red 0xE0201A */
    const char *font_path; /* NULL: the font shipped in fonts/ (see seal_font_path) */
} seal_drawing;

/* Draws the seal to a PNG (RGBA, transparent background). Names too long for the ring
 * are condensed so they stay inside it; an empty name is SEAL_EINVAL. */
int seal_image_draw(seal_buf *png, const seal_drawing *d);

/* Checks that bytes are a PNG Cairo can decode and gives its size in pixels. */
int seal_image_png_info(const uint8_t *png, size_t len, int *width_px, int *height_px);

/* Decodes a PNG into 8-bit RGB samples and 8-bit alpha samples (not premultiplied), as PDF
 * image XObjects and their /SMask want them. */
int seal_image_decode_rgba(const uint8_t *png, size_t len, seal_buf *rgb, seal_buf *alpha,
                           int *width_px, int *height_px);

/* The path of the shipped seal font: $SEAL_FONT_DIR, the source tree's fonts/, or the
 * installed share/sealsvc/fonts/ — the first that has it. NULL if none. */
const char *seal_font_path(void);

#ifdef __cplusplus
}
#endif
#endif
