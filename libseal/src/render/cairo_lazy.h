/* Cairo and FreeType, loaded on first use (base/lazy.h). Only drawing needs them: a seal's
 * picture (seal/image.c, font.c), decoding a PNG or cutting seam strips (image_png.c,
 * image_slice.c), rendering a page (render/canvas.c, ofd/render_*.c). Linking Cairo made
 * every process load and relocate it at start-up with pixman, fontconfig, FreeType,
 * libpng, X11, xcb and Xrender (18 libraries, 1,256 symbol relocations:
 * docs/performance.md), while a PDF stamp copies the seal's picture streams the store
 * keeps and draws nothing. So libseal is linked with neither.
 *
 * Files that draw include this header instead of Cairo's and FreeType's and call both by
 * their own names: each name below is defined onto its table's field of the same name
 * without the cairo_ or FT_ prefix (`cairo_paint(cr)` becomes `(render_cairo.paint)(cr)`).
 * render_cairo_load, which loads both, is called where drawing begins: a canvas made
 * (seal_render_canvas_new), an OFD page rendered (seal_ofd_render_page, _pdf), a seal drawn
 * (seal_image_draw), a PNG decoded (seal_image_png_surface); every other call draws on a
 * surface or with a face one of those made. A function used without being listed here fails
 * libseal's link (--no-undefined): add it to RENDER_CAIRO_FUNCTIONS or
 * RENDER_FREETYPE_FUNCTIONS and define its name below. A Cairo or FreeType header this one
 * does not include must not come after it (the names defined below would rename its
 * declarations): include it here instead. */
#ifndef SEAL_RENDER_CAIRO_LAZY_H
#define SEAL_RENDER_CAIRO_LAZY_H

#include <cairo-ft.h>
#include <cairo-pdf.h>
#include <cairo.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_TRUETYPE_TABLES_H

/* Every Cairo function libseal calls, without the cairo_ prefix. */
#define RENDER_CAIRO_FUNCTIONS(X)                                                                  \
    X(append_path)                                                                                 \
    X(arc)                                                                                         \
    X(arc_negative)                                                                                \
    X(clip)                                                                                        \
    X(close_path)                                                                                  \
    X(copy_path)                                                                                   \
    X(create)                                                                                      \
    X(curve_to)                                                                                    \
    X(destroy)                                                                                     \
    X(fill)                                                                                        \
    X(fill_preserve)                                                                               \
    X(font_face_destroy)                                                                           \
    X(font_face_set_user_data)                                                                     \
    X(font_face_status)                                                                            \
    X(font_options_create)                                                                         \
    X(font_options_destroy)                                                                        \
    X(font_options_set_hint_metrics)                                                               \
    X(font_options_set_hint_style)                                                                 \
    X(ft_font_face_create_for_ft_face)                                                             \
    X(get_current_point)                                                                           \
    X(get_matrix)                                                                                  \
    X(get_source)                                                                                  \
    X(glyph_extents)                                                                               \
    X(glyph_path)                                                                                  \
    X(has_current_point)                                                                           \
    X(identity_matrix)                                                                             \
    X(image_surface_create)                                                                        \
    X(image_surface_create_from_png_stream)                                                        \
    X(image_surface_get_data)                                                                      \
    X(image_surface_get_format)                                                                    \
    X(image_surface_get_height)                                                                    \
    X(image_surface_get_stride)                                                                    \
    X(image_surface_get_width)                                                                     \
    X(line_to)                                                                                     \
    X(matrix_init)                                                                                 \
    X(matrix_init_scale)                                                                           \
    X(matrix_rotate)                                                                               \
    X(move_to)                                                                                     \
    X(new_path)                                                                                    \
    X(paint)                                                                                       \
    X(paint_with_alpha)                                                                            \
    X(path_destroy)                                                                                \
    X(pattern_add_color_stop_rgba)                                                                 \
    X(pattern_create_linear)                                                                       \
    X(pattern_create_radial)                                                                       \
    X(pattern_destroy)                                                                             \
    X(pattern_set_extend)                                                                          \
    X(pdf_surface_create_for_stream)                                                               \
    X(pdf_surface_set_metadata)                                                                    \
    X(pdf_surface_set_size)                                                                        \
    X(rectangle)                                                                                   \
    X(restore)                                                                                     \
    X(rotate)                                                                                      \
    X(save)                                                                                        \
    X(scale)                                                                                       \
    X(set_dash)                                                                                    \
    X(set_fill_rule)                                                                               \
    X(set_font_face)                                                                               \
    X(set_font_matrix)                                                                             \
    X(set_font_options)                                                                            \
    X(set_font_size)                                                                               \
    X(set_line_cap)                                                                                \
    X(set_line_join)                                                                               \
    X(set_line_width)                                                                              \
    X(set_matrix)                                                                                  \
    X(set_miter_limit)                                                                             \
    X(set_operator)                                                                                \
    X(set_source)                                                                                  \
    X(set_source_rgb)                                                                              \
    X(set_source_rgba)                                                                             \
    X(set_source_surface)                                                                          \
    X(show_page)                                                                                   \
    X(show_text)                                                                                   \
    X(show_text_glyphs)                                                                            \
    X(status)                                                                                      \
    X(status_to_string)                                                                            \
    X(stroke)                                                                                      \
    X(stroke_preserve)                                                                             \
    X(surface_destroy)                                                                             \
    X(surface_finish)                                                                              \
    X(surface_flush)                                                                               \
    X(surface_mark_dirty)                                                                          \
    X(surface_status)                                                                              \
    X(surface_write_to_png_stream)                                                                 \
    X(text_extents)                                                                                \
    X(text_path)                                                                                   \
    X(transform)                                                                                   \
    X(translate)

/* Every FreeType function libseal calls, without the FT_ prefix. */
#define RENDER_FREETYPE_FUNCTIONS(X)                                                               \
    X(Done_Face)                                                                                   \
    X(Get_Char_Index)                                                                              \
    X(Get_Sfnt_Table)                                                                              \
    X(Init_FreeType)                                                                               \
    X(New_Face)                                                                                    \
    X(New_Memory_Face)

/* The tables, each field typed from the library's own declaration. */
typedef struct render_cairo_table {
#define RENDER_CAIRO_FIELD(name) __typeof__(cairo_##name) *name;
    RENDER_CAIRO_FUNCTIONS(RENDER_CAIRO_FIELD)
#undef RENDER_CAIRO_FIELD
} render_cairo_table;

typedef struct render_freetype_table {
#define RENDER_FREETYPE_FIELD(name) __typeof__(FT_##name) *name;
    RENDER_FREETYPE_FUNCTIONS(RENDER_FREETYPE_FIELD)
#undef RENDER_FREETYPE_FIELD
} render_freetype_table;

/* Filled by render_cairo_load; read only after it succeeded. */
extern render_cairo_table render_cairo;
extern render_freetype_table render_freetype;

/* Loads Cairo and FreeType on the first call (safe from any thread); SEAL_EUNSUPPORTED
 * "drawing seals and pages needs Cairo (SONAME), and ..." (or FreeType) when one cannot be
 * loaded. */
int render_cairo_load(void);

/* cairo_destroy and cairo_surface_destroy accept NULL, and cleanup paths call them on
 * objects never made, which may be before Cairo was loaded (or when it could not be): so
 * NULL never reaches the table. */
static inline void render_cairo_destroy(cairo_t *cr)
{
    if (cr)
        render_cairo.destroy(cr);
}

static inline void render_cairo_surface_destroy(cairo_surface_t *surface)
{
    if (surface)
        render_cairo.surface_destroy(surface);
}

#define cairo_append_path                     (render_cairo.append_path)
#define cairo_arc                             (render_cairo.arc)
#define cairo_arc_negative                    (render_cairo.arc_negative)
#define cairo_clip                            (render_cairo.clip)
#define cairo_close_path                      (render_cairo.close_path)
#define cairo_copy_path                       (render_cairo.copy_path)
#define cairo_create                          (render_cairo.create)
#define cairo_curve_to                        (render_cairo.curve_to)
#define cairo_destroy                         render_cairo_destroy
#define cairo_fill                            (render_cairo.fill)
#define cairo_fill_preserve                   (render_cairo.fill_preserve)
#define cairo_font_face_destroy               (render_cairo.font_face_destroy)
#define cairo_font_face_set_user_data         (render_cairo.font_face_set_user_data)
#define cairo_font_face_status                (render_cairo.font_face_status)
#define cairo_font_options_create             (render_cairo.font_options_create)
#define cairo_font_options_destroy            (render_cairo.font_options_destroy)
#define cairo_font_options_set_hint_metrics   (render_cairo.font_options_set_hint_metrics)
#define cairo_font_options_set_hint_style     (render_cairo.font_options_set_hint_style)
#define cairo_ft_font_face_create_for_ft_face (render_cairo.ft_font_face_create_for_ft_face)
#define cairo_get_current_point               (render_cairo.get_current_point)
#define cairo_get_matrix                      (render_cairo.get_matrix)
#define cairo_get_source                      (render_cairo.get_source)
#define cairo_glyph_extents                   (render_cairo.glyph_extents)
#define cairo_glyph_path                      (render_cairo.glyph_path)
#define cairo_has_current_point               (render_cairo.has_current_point)
#define cairo_identity_matrix                 (render_cairo.identity_matrix)
#define cairo_image_surface_create            (render_cairo.image_surface_create)
#define cairo_image_surface_create_from_png_stream                                                 \
    (render_cairo.image_surface_create_from_png_stream)
#define cairo_image_surface_get_data        (render_cairo.image_surface_get_data)
#define cairo_image_surface_get_format      (render_cairo.image_surface_get_format)
#define cairo_image_surface_get_height      (render_cairo.image_surface_get_height)
#define cairo_image_surface_get_stride      (render_cairo.image_surface_get_stride)
#define cairo_image_surface_get_width       (render_cairo.image_surface_get_width)
#define cairo_line_to                       (render_cairo.line_to)
#define cairo_matrix_init                   (render_cairo.matrix_init)
#define cairo_matrix_init_scale             (render_cairo.matrix_init_scale)
#define cairo_matrix_rotate                 (render_cairo.matrix_rotate)
#define cairo_move_to                       (render_cairo.move_to)
#define cairo_new_path                      (render_cairo.new_path)
#define cairo_paint                         (render_cairo.paint)
#define cairo_paint_with_alpha              (render_cairo.paint_with_alpha)
#define cairo_path_destroy                  (render_cairo.path_destroy)
#define cairo_pattern_add_color_stop_rgba   (render_cairo.pattern_add_color_stop_rgba)
#define cairo_pattern_create_linear         (render_cairo.pattern_create_linear)
#define cairo_pattern_create_radial         (render_cairo.pattern_create_radial)
#define cairo_pattern_destroy               (render_cairo.pattern_destroy)
#define cairo_pattern_set_extend            (render_cairo.pattern_set_extend)
#define cairo_pdf_surface_create_for_stream (render_cairo.pdf_surface_create_for_stream)
#define cairo_pdf_surface_set_metadata      (render_cairo.pdf_surface_set_metadata)
#define cairo_pdf_surface_set_size          (render_cairo.pdf_surface_set_size)
#define cairo_rectangle                     (render_cairo.rectangle)
#define cairo_restore                       (render_cairo.restore)
#define cairo_rotate                        (render_cairo.rotate)
#define cairo_save                          (render_cairo.save)
#define cairo_scale                         (render_cairo.scale)
#define cairo_set_dash                      (render_cairo.set_dash)
#define cairo_set_fill_rule                 (render_cairo.set_fill_rule)
#define cairo_set_font_face                 (render_cairo.set_font_face)
#define cairo_set_font_matrix               (render_cairo.set_font_matrix)
#define cairo_set_font_options              (render_cairo.set_font_options)
#define cairo_set_font_size                 (render_cairo.set_font_size)
#define cairo_set_line_cap                  (render_cairo.set_line_cap)
#define cairo_set_line_join                 (render_cairo.set_line_join)
#define cairo_set_line_width                (render_cairo.set_line_width)
#define cairo_set_matrix                    (render_cairo.set_matrix)
#define cairo_set_miter_limit               (render_cairo.set_miter_limit)
#define cairo_set_operator                  (render_cairo.set_operator)
#define cairo_set_source                    (render_cairo.set_source)
#define cairo_set_source_rgb                (render_cairo.set_source_rgb)
#define cairo_set_source_rgba               (render_cairo.set_source_rgba)
#define cairo_set_source_surface            (render_cairo.set_source_surface)
#define cairo_show_page                     (render_cairo.show_page)
#define cairo_show_text                     (render_cairo.show_text)
#define cairo_show_text_glyphs              (render_cairo.show_text_glyphs)
#define cairo_status                        (render_cairo.status)
#define cairo_status_to_string              (render_cairo.status_to_string)
#define cairo_stroke                        (render_cairo.stroke)
#define cairo_stroke_preserve               (render_cairo.stroke_preserve)
#define cairo_surface_destroy               render_cairo_surface_destroy
#define cairo_surface_finish                (render_cairo.surface_finish)
#define cairo_surface_flush                 (render_cairo.surface_flush)
#define cairo_surface_mark_dirty            (render_cairo.surface_mark_dirty)
#define cairo_surface_status                (render_cairo.surface_status)
#define cairo_surface_write_to_png_stream   (render_cairo.surface_write_to_png_stream)
#define cairo_text_extents                  (render_cairo.text_extents)
#define cairo_text_path                     (render_cairo.text_path)
#define cairo_transform                     (render_cairo.transform)
#define cairo_translate                     (render_cairo.translate)

#define FT_Done_Face       (render_freetype.Done_Face)
#define FT_Get_Char_Index  (render_freetype.Get_Char_Index)
#define FT_Get_Sfnt_Table  (render_freetype.Get_Sfnt_Table)
#define FT_Init_FreeType   (render_freetype.Init_FreeType)
#define FT_New_Face        (render_freetype.New_Face)
#define FT_New_Memory_Face (render_freetype.New_Memory_Face)

#endif
