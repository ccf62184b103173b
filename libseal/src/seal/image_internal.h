/* Internal to the seal image module: the seal font as Cairo draws it (font.c), shared by
 * the drawing code (image.c), and PNG decoding (image_png.c) shared with the seam slicer
 * (image_slice.c). Not part of the public API. */
#ifndef SEAL_IMAGE_INTERNAL_H
#define SEAL_IMAGE_INTERNAL_H

#include "render/cairo_lazy.h"

#include <seal/buf.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The file name of the shipped font (fonts/README.md says how it is made). */
#define SEAL_FONT_FILE "SealSerifSC-Bold.otf"

typedef struct seal_font seal_font;

/* Opens a font file (OpenType/TrueType, face 0) for drawing with Cairo. */
int seal_font_open(seal_font **out, const char *path);
/* Drops the caller's reference; the FreeType face goes when Cairo lets go of it too. */
void seal_font_free(seal_font *font);

cairo_font_face_t *seal_font_face(const seal_font *font);

/* The ideographic em box as fractions of the em: the top above the baseline and the bottom
 * below it (both positive), so CJK glyphs of any font can be centred in a cell. */
double seal_font_em_top(const seal_font *font);
double seal_font_em_bottom(const seal_font *font);

/* Whether the font has a glyph for a Unicode code point (drawing a .notdef box on a seal
 * would misstate the name, so callers refuse such text). */
bool seal_font_has_char(const seal_font *font, uint32_t code_point);

/* The face to draw `code_point` with: the font's own when it has the glyph, else a font of
 * this system that has it (font_system.c), opened once and kept with `font` (preferring
 * the font's own family: the complete font of the shipped cut). *face NULL (and 0
 * returned) when no font has it; the face lives as long as `font`. */
int seal_font_face_for(seal_font *font, uint32_t code_point, cairo_font_face_t **face);

/* ---- font_system.c: fonts of this system, through fontconfig ---- */

/* The font fontconfig ranks best for drawing `code_point` in `family` (bold: its bold
 * face): a face of the family when one has the character, else another font that has it.
 * *path (g_free) and *index (the face in a collection). SEAL_ENOTFOUND when no font on
 * this system has the character. */
int seal_font_system_for_char(char **path, int *index, const char *family, bool bold,
                              uint32_t code_point);
/* The installed face of `family` (bold: its bold face); SEAL_ENOTFOUND when no font of
 * the family is installed. */
int seal_font_system_family(char **path, int *index, const char *family, bool bold);

/* Decodes a PNG (size-checked before Cairo allocates its pixels) to an ARGB32 surface,
 * whatever pixel format the file had (image_png.c). */
int seal_image_png_surface(cairo_surface_t **out, const uint8_t *png, size_t len);

/* Appends `surface` (ARGB32) as PNG to *out: as an indexed-colour image of one colour at
 * 16 opacities when every pixel is that colour at some opacity (a drawn seal, a strip of
 * one), otherwise as Cairo writes it (image_encode.c). */
int seal_image_encode_png(seal_buf *out, cairo_surface_t *surface);

#endif
