/* Makes a one-page A4 PDF with lines of text where a test wants them, for keyword tests
 * that need Chinese text at known places (keyword_lines.sh). Cairo writes the text with
 * the font embedded and a ToUnicode map, as office suites do, so Poppler reads it back.
 *
 * usage: textpdf FONT.otf OUT.pdf < LINES
 * where each line of LINES is "X Y SIZE TEXT": the text's start on its baseline in mm
 * from the page's top-left corner, its size in points, and the text (UTF-8). */
#include <cairo-ft.h>
#include <cairo-pdf.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include <stdio.h>
#include <string.h>

#define PT_PER_MM (72.0 / 25.4)

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: textpdf FONT.otf OUT.pdf < LINES\n");
        return 64;
    }
    FT_Library ft;
    FT_Face face;
    if (FT_Init_FreeType(&ft) || FT_New_Face(ft, argv[1], 0, &face)) {
        fprintf(stderr, "%s: cannot load the font\n", argv[1]);
        return 1;
    }
    cairo_surface_t *surface = cairo_pdf_surface_create(argv[2], 210 * PT_PER_MM, 297 * PT_PER_MM);
    cairo_t *cr = cairo_create(surface);
    cairo_font_face_t *cface = cairo_ft_font_face_create_for_ft_face(face, 0);
    cairo_set_font_face(cr, cface);
    cairo_set_source_rgb(cr, 0, 0, 0);
    char line[4096];
    int rc = 0;
    while (fgets(line, sizeof line, stdin)) {
        double x, y, size;
        int used = 0;
        line[strcspn(line, "\n")] = 0;
        if (!*line)
            continue;
        if (sscanf(line, "%lf %lf %lf %n", &x, &y, &size, &used) != 3 || !line[used]) {
            fprintf(stderr, "not X Y SIZE TEXT: %s\n", line);
            rc = 1;
            break;
        }
        cairo_set_font_size(cr, size);
        cairo_move_to(cr, x * PT_PER_MM, y * PT_PER_MM);
        cairo_show_text(cr, line + used);
    }
    cairo_show_page(cr);
    cairo_destroy(cr);
    cairo_surface_finish(surface);
    if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
        fprintf(stderr, "%s: %s\n", argv[2], cairo_status_to_string(cairo_surface_status(surface)));
        rc = 1;
    }
    cairo_surface_destroy(surface);
    cairo_font_face_destroy(cface);
    FT_Done_Face(face);
    FT_Done_FreeType(ft);
    return rc;
}
