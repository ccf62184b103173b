/* Draws OFD text objects (GB/T 33190 11): each TextCode's characters at X/Y and the
 * DeltaX/DeltaY offsets (with the "g N v" repetition of 11.3), in the object's font at
 * Size millimetres, with HScale, ReadDirection, CharDirection, Fill/Stroke and the
 * CGTransform glyph mapping of embedded fonts. Glyphs go out with their characters
 * (cairo_show_text_glyphs), so a PDF made from the page keeps the text searchable. */
#include "ofd/render_internal.h"

#include <seal/error.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX_CHARS 100000 /* characters in one TextCode */
#define SIZE_MAX_MM    10000.0

typedef enum text_mode { TEXT_SHOW, TEXT_PATH } text_mode;

/* A CGTransform (11.4 table 48): characters [pos, pos + codes) drawn as `glyphs`. */
typedef struct cg_map {
    long pos, codes;
    GArray *glyphs; /* unsigned long */
} cg_map;

typedef struct text_layout {
    render_ctx *r;
    text_mode mode;
    render_font *font;     /* the object's font */
    render_font *fallback; /* for characters the object's font lacks */
    cairo_matrix_t font_matrix, fallback_matrix;
    int read_direction; /* 0, 90, 180, 270 */
    GArray *maps;       /* cg_map */
    long char_index;    /* across the object's TextCodes, for CodePosition */
    /* the run being collected: glyphs of one font with their characters */
    render_font *run_font;
    GArray *glyphs;   /* cairo_glyph_t */
    GArray *clusters; /* cairo_text_cluster_t */
    GString *utf8;
} text_layout;

int render_font_fallback(render_ctx *r, render_font **out)
{
    if (!r->fallback) {
        int rc = render_font_open_fallback(&r->fallback);
        if (rc < 0)
            return rc;
    }
    *out = r->fallback;
    return 0;
}

int render_font_for(render_ctx *r, const char *id, render_font **out)
{
    render_font *font;
    if (g_hash_table_lookup_extended(r->fonts, id, NULL, (void **)&font)) {
        if (font) {
            *out = font;
            return 0;
        }
        return render_font_fallback(r, out);
    }
    const seal_ofd_resource *res;
    int rc = render_resource(r, id, SEAL_OFD_RES_FONT, &res);
    if (rc < 0)
        return rc;
    font = NULL;
    seal_slice bytes;
    /* A FontFile that is missing or does not load is drawn in the shipped font, as a
     * font that is not embedded is: the text still reads, in another face. */
    if (res->file_path && seal_ofd_entry_read(r->doc, res->file_path, &bytes) == 0)
        render_font_open_embedded(&font, bytes.data, bytes.len, res->file_path);
    seal_error_clear();
    g_hash_table_insert(r->fonts, g_strdup(id), font);
    if (font) {
        *out = font;
        return 0;
    }
    return render_font_fallback(r, out);
}

/* DeltaX/DeltaY (11.3): numbers, where "g N v" stands for N times v. Fills at most `n`
 * values and leaves the rest NAN (there the glyph's advance counts). A list that cannot be
 * read counts as absent, as the text walker (text.c) reads it, so that search hits and
 * drawn glyphs agree. */
static void read_deltas(double *out, size_t n, const char *text)
{
    size_t k = 0;
    const char *p = text;
    for (size_t i = 0; i < n; i++)
        out[i] = NAN;
    while (p && k < n) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        if (!*p)
            return;
        char *end;
        long repeat = 1;
        if (*p == 'g') {
            errno = 0;
            repeat = strtol(p + 1, &end, 10);
            if (end == p + 1 || errno || repeat < 1)
                break;
            p = end;
        }
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno == ERANGE || !isfinite(v) || fabs(v) > 1e6)
            break;
        p = end;
        for (long j = 0; j < repeat && k < n; j++)
            out[k++] = v;
    }
    if (p && *p && k < n)
        for (size_t i = 0; i < n; i++)
            out[i] = NAN;
}

static int read_maps(text_layout *t, const xmlNode *text)
{
    for (const xmlNode *cg = seal_ofd_xml_child(text, "CGTransform"); cg;
         cg = seal_ofd_xml_next(cg, "CGTransform")) {
        double pos, codes, count;
        int rc;
        if ((rc = render_number(cg, "CodePosition", -1, &pos)) < 0 ||
            (rc = render_number(cg, "CodeCount", 1, &codes)) < 0 ||
            (rc = render_number(cg, "GlyphCount", 1, &count)) < 0)
            return rc;
        const xmlNode *glyphs = seal_ofd_xml_child(cg, "Glyphs");
        if (pos < 0 || codes < 1 || codes > TEXT_MAX_CHARS || count < 1 || !glyphs)
            continue;
        cg_map map = {(long)pos, (long)codes, g_array_new(false, false, sizeof(unsigned long))};
        g_array_append_val(t->maps, map);
        char *list = seal_ofd_xml_text(glyphs);
        if (!list)
            return seal_error_set(SEAL_ENOMEM, "out of memory");
        const char *p = list;
        for (long i = 0; i < (long)count && i < TEXT_MAX_CHARS; i++) {
            char *end;
            errno = 0;
            unsigned long g = strtoul(p, &end, 10);
            if (end == p || errno)
                break;
            g_array_append_val(map.glyphs, g);
            p = end;
        }
        free(list);
    }
    return 0;
}

static const cg_map *map_at(const text_layout *t, long index)
{
    for (guint i = 0; i < t->maps->len; i++) {
        const cg_map *m = &g_array_index(t->maps, cg_map, i);
        if (m->pos == index && m->glyphs->len > 0)
            return m;
    }
    return NULL;
}

static void use_font(text_layout *t, render_font *font)
{
    /* The fallback's complete font (render_font_more) stands where the fallback does. */
    bool object = font == t->font || (font != t->fallback && t->font == t->fallback);
    cairo_set_font_face(t->r->cr, render_font_face(font));
    cairo_set_font_matrix(t->r->cr, object ? &t->font_matrix : &t->fallback_matrix);
}

static int flush_run(text_layout *t)
{
    cairo_t *cr = t->r->cr;
    if (t->glyphs->len == 0)
        return 0;
    use_font(t, t->run_font);
    if (t->mode == TEXT_PATH)
        cairo_glyph_path(cr, (cairo_glyph_t *)t->glyphs->data, (int)t->glyphs->len);
    else
        cairo_show_text_glyphs(cr, t->utf8->str, (int)t->utf8->len,
                               (cairo_glyph_t *)t->glyphs->data, (int)t->glyphs->len,
                               (cairo_text_cluster_t *)t->clusters->data, (int)t->clusters->len, 0);
    g_array_set_size(t->glyphs, 0);
    g_array_set_size(t->clusters, 0);
    g_string_truncate(t->utf8, 0);
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS)
        return seal_error_set(SEAL_ENOMEM, "drawing text failed: %s",
                              cairo_status_to_string(cairo_status(cr)));
    return 0;
}

/* Adds glyphs for the characters starting at `chars[0]` (one character, or the whole
 * CGTransform group) at (x, y); returns the advance of the last glyph in user space. */
static int add_glyphs(text_layout *t, const uint32_t *chars, long n_chars,
                      const unsigned long *glyphs, long n_glyphs, render_font *font, double x,
                      double y, double *advance)
{
    int rc;
    if (font != t->run_font && (rc = flush_run(t)) < 0)
        return rc;
    t->run_font = font;
    cairo_text_cluster_t cluster = {0, (int)n_glyphs};
    for (long i = 0; i < n_chars; i++) {
        char utf8[8];
        int len = g_unichar_to_utf8(chars[i], utf8);
        g_string_append_len(t->utf8, utf8, len);
        cluster.num_bytes += len;
    }
    use_font(t, font);
    *advance = 0;
    for (long i = 0; i < n_glyphs; i++) {
        cairo_glyph_t g = {glyphs[i], x, y};
        cairo_text_extents_t ext;
        cairo_glyph_extents(t->r->cr, &g, 1, &ext);
        g_array_append_val(t->glyphs, g);
        /* Several glyphs for one group follow one another by their advance. */
        x += ext.x_advance;
        y += ext.y_advance;
        *advance = hypot(ext.x_advance, ext.y_advance);
    }
    g_array_append_val(t->clusters, cluster);
    return 0;
}

static int layout_code(text_layout *t, const xmlNode *code, double *last_x, double *last_y)
{
    int rc = 0;
    char *text = seal_ofd_xml_text(code);
    uint32_t *chars = NULL;
    double *dx = NULL, *dy = NULL;
    long n = 0;

    SEAL_ENSURE(text, SEAL_ENOMEM, "out of memory");
    /* X and Y (11.3): absent, the previous TextCode's X or Y. */
    SEAL_TRY(render_number(code, "X", *last_x, last_x));
    SEAL_TRY(render_number(code, "Y", *last_y, last_y));
    SEAL_ENSURE(fabs(*last_x) < 1e6 && fabs(*last_y) < 1e6, SEAL_EFORMAT,
                "a TextCode's X or Y is out of range");
    double pos_x = *last_x, pos_y = *last_y;
    double *x = &pos_x, *y = &pos_y;
    SEAL_ENSURE(g_utf8_validate(text, -1, NULL), SEAL_EFORMAT, "a TextCode is not UTF-8");
    long count = g_utf8_strlen(text, -1);
    SEAL_ENSURE(count <= TEXT_MAX_CHARS, SEAL_EPOLICY, "a TextCode has %ld characters (at most %d)",
                count, TEXT_MAX_CHARS);
    chars = malloc(sizeof *chars * (size_t)(count + 1));
    dx = malloc(sizeof *dx * (size_t)(count + 1));
    dy = malloc(sizeof *dy * (size_t)(count + 1));
    SEAL_ENSURE(chars && dx && dy, SEAL_ENOMEM, "out of memory");
    for (const char *p = text; *p; p = g_utf8_next_char(p))
        chars[n++] = g_utf8_get_char(p);
    read_deltas(dx, (size_t)n, render_attr(code, "DeltaX"));
    read_deltas(dy, (size_t)n, render_attr(code, "DeltaY"));

    for (long i = 0; i < n;) {
        const cg_map *map = map_at(t, t->char_index);
        render_font *font = t->font;
        unsigned long glyph;
        const unsigned long *glyphs = &glyph;
        long n_glyphs = 1, used = 1;
        if (map) {
            used = map->codes < n - i ? map->codes : n - i;
            glyphs = (const unsigned long *)map->glyphs->data;
            n_glyphs = (long)map->glyphs->len;
            for (long k = 0; k < n_glyphs; k++)
                if (!render_font_has_glyph_index(font, glyphs[k]))
                    n_glyphs = k;
        } else {
            glyph = render_font_glyph(font, chars[i]);
            if (glyph == 0 && font != t->fallback) {
                font = t->fallback;
                glyph = render_font_glyph(font, chars[i]);
            }
            render_font *more = glyph == 0 ? render_font_more(t->fallback) : NULL;
            if (more && render_font_glyph(more, chars[i]) != 0) {
                font = more;
                glyph = render_font_glyph(more, chars[i]);
            }
        }
        double advance = 0;
        if (n_glyphs > 0)
            SEAL_TRY(add_glyphs(t, &chars[i], used, glyphs, n_glyphs, font, *x, *y, &advance));
        /* The offsets between characters (11.3): DeltaX/DeltaY entry i leads from
         * character i to i + 1. Where neither list has an entry, the glyph's advance along
         * the reading direction; where only one has, the other offset is 0 (vertical
         * text gives DeltaY alone). */
        for (long k = 0; k < used; k++, i++) {
            bool none = isnan(dx[i]) && isnan(dy[i]);
            double ax = t->read_direction == 0 ? advance : t->read_direction == 180 ? -advance : 0;
            double ay = t->read_direction == 90 ? advance : t->read_direction == 270 ? -advance : 0;
            *x += isnan(dx[i]) ? (none ? ax : 0) : dx[i];
            *y += isnan(dy[i]) ? (none ? ay : 0) : dy[i];
            advance = 0; /* the group's advance counts once */
        }
        t->char_index += used;
    }
out:
    free(text);
    free(chars);
    free(dx);
    free(dy);
    return rc;
}

static int layout_text(render_ctx *r, const xmlNode *text, text_mode mode)
{
    int rc = 0;
    text_layout t = {.r = r, .mode = mode};
    double size, hscale, read_dir, char_dir;
    const char *font_id = render_attr(text, "Font");

    SEAL_ENSURE(font_id && *font_id, SEAL_EFORMAT, "a TextObject has no Font");
    SEAL_TRY(render_number(text, "Size", 0, &size));
    SEAL_ENSURE(size > 0 && size <= SIZE_MAX_MM, SEAL_EFORMAT,
                "a TextObject has Size %g (mm, above 0)", size);
    SEAL_TRY(render_number(text, "HScale", 1, &hscale));
    SEAL_TRY(render_number(text, "ReadDirection", 0, &read_dir));
    SEAL_TRY(render_number(text, "CharDirection", 0, &char_dir));
    if (!(hscale > 0 && hscale <= 100))
        hscale = 1;
    t.read_direction = ((int)read_dir % 360 + 360) % 360 / 90 * 90;
    SEAL_TRY(render_font_for(r, font_id, &t.font));
    SEAL_TRY(render_font_fallback(r, &t.fallback));

    /* Font space to object space: Size mm per em, HScale across the glyph, the glyph
     * turned clockwise by CharDirection (table 46). */
    cairo_matrix_init_scale(&t.font_matrix, size * hscale, size);
    int turn = ((int)char_dir % 360 + 360) % 360 / 90;
    if (turn)
        cairo_matrix_rotate(&t.font_matrix, turn * M_PI / 2);
    t.fallback_matrix = t.font_matrix;
    /* The shipped font has no italic face; slant it for Italic="true" text it stands in
     * for. */
    if (render_bool(text, "Italic", false))
        t.fallback_matrix.xy -= 0.2 * size;

    t.maps = g_array_new(false, false, sizeof(cg_map));
    t.glyphs = g_array_new(false, false, sizeof(cairo_glyph_t));
    t.clusters = g_array_new(false, false, sizeof(cairo_text_cluster_t));
    t.utf8 = g_string_new(NULL);
    SEAL_TRY(read_maps(&t, text));
    double x = 0, y = 0;
    for (const xmlNode *code = seal_ofd_xml_child(text, "TextCode"); code;
         code = seal_ofd_xml_next(code, "TextCode"))
        SEAL_TRY(layout_code(&t, code, &x, &y));
    SEAL_TRY(flush_run(&t));
out:
    if (t.maps) {
        for (guint i = 0; i < t.maps->len; i++)
            g_array_free(g_array_index(t.maps, cg_map, i).glyphs, true);
        g_array_free(t.maps, true);
    }
    if (t.glyphs)
        g_array_free(t.glyphs, true);
    if (t.clusters)
        g_array_free(t.clusters, true);
    if (t.utf8)
        g_string_free(t.utf8, true);
    return rc;
}

int render_text_path(render_ctx *r, const xmlNode *text)
{
    return layout_text(r, text, TEXT_PATH);
}

int render_text(render_ctx *r, const xmlNode *text, const render_param *param, double alpha)
{
    cairo_t *cr = r->cr;
    int rc;
    bool paints;
    /* Table 46: Fill defaults to true (black), Stroke to false (black). */
    bool fill = render_bool(text, "Fill", true), stroke = render_bool(text, "Stroke", false);
    if (fill) {
        if ((rc = render_color_source(r, param->fill_color, 0x000000, alpha, &paints)) < 0)
            return rc;
        if (paints && (rc = layout_text(r, text, TEXT_SHOW)) < 0)
            return rc;
    }
    if (stroke) {
        cairo_new_path(cr);
        if ((rc = layout_text(r, text, TEXT_PATH)) < 0)
            return rc;
        if ((rc = render_color_source(r, param->stroke_color, 0x000000, alpha, &paints)) < 0)
            return rc;
        render_param_set_line(cr, param);
        if (paints)
            cairo_stroke(cr);
        cairo_new_path(cr);
    }
    return 0;
}
