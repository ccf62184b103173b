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

/* The most bytes a seal's picture may have (seal make refuses a larger uploaded one): an
 * OFD carries the picture twice, in Seal.esl and in SignedValue.dat, and the web OFD
 * reader many portals embed fails on pictures above about 120 KB; real e-seal pictures
 * are 10 to 40 KB (docs/cli.md, seal make). A drawn 42 mm round seal is about 33 KB. */
#define SEAL_PICTURE_MAX_BYTES (64u * 1024u)

/* Draws the seal to a PNG (transparent background; indexed colour, the seal's colour at 16
 * opacities, about a sixth of the RGBA image's size). Names too long for the arc are
 * condensed, and past half their width made smaller, so that they stay inside the ring
 * and no two characters touch; an empty name is SEAL_EINVAL. */
int seal_image_draw(seal_buf *png, const seal_drawing *d);

/* Checks that bytes are a PNG Cairo can decode and gives its size in pixels. */
int seal_image_png_info(const uint8_t *png, size_t len, int *width_px, int *height_px);

/* Decodes a PNG into 8-bit RGB samples and 8-bit alpha samples (not premultiplied), as PDF
 * image XObjects and their /SMask want them. */
int seal_image_decode_rgba(const uint8_t *png, size_t len, seal_buf *rgb, seal_buf *alpha,
                           int *width_px, int *height_px);

/* The part of a PNG within x, y, width, height pixels (clipped to the picture), as a PNG of
 * its own: the pixels copied, not resampled. SEAL_EINVAL when nothing of it is inside. */
int seal_image_crop_png(seal_buf *out, const uint8_t *png, size_t len, int x, int y, int width,
                        int height);

/* Seam (cross-page) seals: the picture is cut into one strip per page, each printed at
 * that page's edge, so that the strips join into the whole seal when the pages are
 * stacked in order (first page on top) and fanned out towards that edge, each page
 * showing its edge beyond the one above it. */
typedef enum seal_seam_side {
    SEAL_SEAM_RIGHT = 0,
    SEAL_SEAM_LEFT,
    SEAL_SEAM_TOP,
    SEAL_SEAM_BOTTOM
} seal_seam_side;

const char *seal_seam_side_name(seal_seam_side side); /* "right", "left", "top", "bottom" */
int seal_seam_side_parse(seal_seam_side *out, const char *name);

typedef struct seal_seam_strip {
    seal_buf png;               /* this page's part of the picture, RGBA */
    int width_px, height_px;    /* its size in pixels */
    double width_mm, height_mm; /* its printed size, in proportion to the whole seal's */
    int start_px;               /* where it starts in the picture, from the left (right,
                                   left) or the top (top, bottom), in pixels */
    double start_mm;            /* the same in printed millimetres */
} seal_seam_strip;

typedef struct seal_seam_strips {
    seal_seam_strip *strips; /* strips[i] goes on the seam's i-th page, in document order */
    size_t count;
} seal_seam_strips;

/* Cuts a seal picture (PNG) printed at width_mm x height_mm into `count` strips for a
 * seam at `side`: right and left seams cut vertical strips, top and bottom seams
 * horizontal ones, as even as whole pixels allow. Order, so that the fanned pages show
 * the picture: right, the first page gets the leftmost strip; left, the rightmost; top,
 * the bottom strip; bottom, the top strip. Strips side by side in picture order give
 * back the picture's pixels exactly. SEAL_EINVAL for fewer than 2 strips or more strips
 * than the picture has pixels across the cut. */
int seal_image_slice_seam(seal_seam_strips *out, const uint8_t *png, size_t len, double width_mm,
                          double height_mm, size_t count, seal_seam_side side);
/* Frees the strips; `strips` can be used again afterwards. NULL is fine. */
void seal_image_strips_clear(seal_seam_strips *strips);

/* The path of the shipped seal font: $SEAL_FONT_DIR, the installed share/sealsvc/fonts/
 * beside the library's lib/ folder, the source tree's fonts/, or the share/sealsvc/fonts/
 * of the prefix the build was configured for — the first that has it. NULL if none. */
const char *seal_font_path(void);

#ifdef __cplusplus
}
#endif
#endif
