/* Draws seal images with Cairo: round and oval official seals (name on the upper arc, star,
 * purpose line, code on the lower arc) and square personal seals (the name in a grid).
 * The stamp flow puts the PNG in a PDF appearance or an OFD seal; the seal maker stores it
 * in the GB/T 38540 SES_ESPictrueInfo of a new seal. */
#include "seal/image_internal.h"

#include <seal/error.h>
#include <seal/image.h>

#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define DPI_DEFAULT      600
#define DPI_MIN          300 /* below this the text on the arc breaks up when printed */
#define DPI_MAX          1200
#define SIDE_MAX_PX      8000
#define SIDE_MIN_MM      5.0
#define RGB_DEFAULT      0xE0201Au
#define TEXT_MAX_CHARS   48
#define SQUARE_MAX_CHARS 9
#define MM_PER_INCH      25.4

/* Adding "印" completes short personal names the way traditional seals read ("张三印"). */
#define SEAL_CHAR_YIN "\xe5\x8d\xb0"

typedef struct text_char {
    char utf8[8];
    uint32_t code_point;
    cairo_font_face_t *face; /* the seal font's, or a system font's it lacks (font.c) */
} text_char;

typedef struct text {
    text_char chars[TEXT_MAX_CHARS + 1]; /* one spare for the added "印" */
    size_t len;
} text;

/* An ellipse by its parameter t: t = 0 is the top, t grows clockwise on the page. A circle
 * is the ellipse with a == b, so round and oval seals share the arc code. */
typedef struct ellipse {
    double cx, cy, a, b;
} ellipse;

/* Proportions of a round or oval seal, as fractions of its size (the diameter, or the
 * shorter axis of an oval). A 42 mm official seal has a ring of about 1.2 mm. */
typedef struct arc_layout {
    double ring;          /* ring line width */
    double name_gap;      /* between the ring and the top of the name */
    double name_em;       /* em of the name: the glyph height */
    double name_half_deg; /* the name's cells fill at most this on either side of the top */
    double name_depth;    /* where cells are measured: 0.5 mid-height, 1 the glyphs' feet */
    double star_radius;   /* the star's outer radius; 0: no star */
    double purpose_em;
    double purpose_gap;   /* between the star's lower points and the purpose line */
    double purpose_width; /* widest purpose line, as a fraction of the seal's width */
    double code_em;
    double code_gap; /* between the ring and the baseline of the code */
} arc_layout;

static const arc_layout round_layout = {
    .ring = 1.2 / 42.0,
    .name_gap = 0.022,
    .name_em = 0.17,
    .name_half_deg = 118.0,
    .name_depth = 0.5,
    .star_radius = 0.14,
    .purpose_em = 0.105,
    .purpose_gap = 0.045,
    .purpose_width = 0.52,
    .code_em = 0.065,
    .code_gap = 0.018,
};

static const arc_layout oval_layout = {
    .ring = 0.03,
    .name_gap = 0.025,
    .name_em = 0.18,
    .name_half_deg = 96.0,
    /* The ends of an oval curve sharply, where the feet of neighbouring characters would
     * touch if the cells were measured at mid-height. */
    .name_depth = 0.9,
    .star_radius = 0.11,
    .purpose_em = 0.12,
    .purpose_gap = 0.05,
    .purpose_width = 0.5,
    .code_em = 0.075,
    .code_gap = 0.02,
};

typedef struct canvas {
    cairo_t *cr;
    seal_font *font;
    text_char yin; /* "印", added to short personal names */
    double width_px, height_px;
    double margin; /* transparent border so the ring's antialiasing is not cut off */
} canvas;

const char *seal_shape_name(seal_shape shape)
{
    switch (shape) {
    case SEAL_SHAPE_ROUND:
        return "round";
    case SEAL_SHAPE_OVAL:
        return "oval";
    case SEAL_SHAPE_SQUARE:
        return "square";
    }
    return "unknown";
}

int seal_shape_parse(seal_shape *out, const char *name)
{
    static const seal_shape shapes[] = {SEAL_SHAPE_ROUND, SEAL_SHAPE_OVAL, SEAL_SHAPE_SQUARE};
    if (!name)
        return seal_error_set(SEAL_EINVAL, "no seal shape given (round, oval or square)");
    for (size_t i = 0; i < G_N_ELEMENTS(shapes); i++) {
        if (strcmp(name, seal_shape_name(shapes[i])) == 0) {
            *out = shapes[i];
            return 0;
        }
    }
    return seal_error_set(SEAL_EINVAL, "unknown seal shape \"%.32s\" (round, oval or square)",
                          name);
}

/* Splits UTF-8 into characters, each with the face that draws it: the seal font's, or
 * for a character it lacks a font of the system that has it; `what` names the field in
 * messages. */
static int text_split(text *out, const char *what, const char *utf8, seal_font *font)
{
    out->len = 0;
    if (!g_utf8_validate(utf8, -1, NULL))
        return seal_error_set(SEAL_EINVAL, "the seal %s is not valid UTF-8 text", what);
    for (const char *p = utf8; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (out->len == TEXT_MAX_CHARS)
            return seal_error_set(SEAL_EINVAL,
                                  "the seal %s is longer than %d characters; a seal cannot "
                                  "show it legibly",
                                  what, TEXT_MAX_CHARS);
        if (g_unichar_iscntrl(c))
            return seal_error_set(SEAL_EINVAL,
                                  "the seal %s has a control character (U+%04X) at "
                                  "character %zu",
                                  what, (unsigned)c, out->len + 1);
        /* Only hanzi are looked for beyond the seal font: names hold rare ones, while a
         * Latin letter, symbol or emoji from whatever font the system has would put a
         * foreign typeface on a seal. */
        bool han = g_unichar_get_script(c) == G_UNICODE_SCRIPT_HAN;
        cairo_font_face_t *face = seal_font_has_char(font, c) ? seal_font_face(font) : NULL;
        if (!face && han) {
            int rc = seal_font_face_for(font, c, &face);
            if (rc < 0)
                return rc;
        }
        if (!face)
            return seal_error_set(SEAL_EUNSUPPORTED,
                                  "no font has a glyph for character %zu (U+%04X) of the seal "
                                  "%s: %s; give a font that has it",
                                  out->len + 1, (unsigned)c, what,
                                  han ? "neither the seal font nor any font installed on this "
                                        "system"
                                      : "the seal font does not, and only hanzi are taken from "
                                        "other fonts");
        text_char *tc = &out->chars[out->len++];
        memset(tc->utf8, 0, sizeof tc->utf8);
        g_unichar_to_utf8(c, tc->utf8);
        tc->code_point = c;
        tc->face = face;
    }
    return 0;
}

static void text_push(text *t, const text_char *c)
{
    t->chars[t->len++] = *c;
}

static double char_advance(cairo_t *cr, const text_char *c, double em)
{
    cairo_text_extents_t ext;
    cairo_set_font_face(cr, c->face);
    cairo_set_font_size(cr, em);
    cairo_text_extents(cr, c->utf8, &ext);
    return ext.x_advance > 0 ? ext.x_advance : em;
}

/* Draws one character centred on x = 0 with its baseline on y = 0 of the current user
 * space, condensed horizontally by x_scale (1: natural width). The outline is taken
 * unrotated and then placed, so Cairo makes one scaled font per size rather than one per
 * angle on the arc, and no hinting for an upright pixel grid bends a rotated glyph. */
static void show_char(cairo_t *cr, const text_char *c, double em, double x_scale)
{
    double advance = char_advance(cr, c, em);
    cairo_save(cr);
    cairo_identity_matrix(cr);
    cairo_new_path(cr);
    cairo_move_to(cr, -advance / 2.0, 0.0);
    cairo_text_path(cr, c->utf8);
    cairo_path_t *outline = cairo_copy_path(cr);
    cairo_new_path(cr);
    cairo_restore(cr);

    cairo_save(cr);
    cairo_scale(cr, x_scale, 1.0);
    cairo_append_path(cr, outline); /* an outline Cairo failed to copy sets cr's error */
    cairo_fill(cr);
    cairo_restore(cr);
    cairo_path_destroy(outline);
}

static void ellipse_point(const ellipse *e, double t, double *x, double *y)
{
    *x = e->cx + e->a * sin(t);
    *y = e->cy - e->b * cos(t);
}

/* The rotation that turns a glyph's "up" into the outward normal of e at t. */
static double ellipse_outward_angle(const ellipse *e, double t)
{
    double nx = sin(t) / e->a;
    double ny = -cos(t) / e->b;
    return atan2(nx, -ny);
}

static void ellipse_normal(const ellipse *e, double t, double *nx, double *ny)
{
    double x = sin(t) / e->a;
    double y = -cos(t) / e->b;
    double len = hypot(x, y);
    *nx = x / len;
    *ny = y / len;
}

#define ARC_STEPS 1024

/* The point of the curve parallel to e at `inset` inside it (along the normal at t). For a
 * circle that is a smaller circle; for an ellipse it is not an ellipse, which is why text
 * is measured on this curve and not on an ellipse with shorter axes: at the ends of an
 * oval the two differ by more than a character's width. */
static void inset_point(const ellipse *e, double t, double inset, double *x, double *y)
{
    double nx, ny;
    ellipse_point(e, t, x, y);
    ellipse_normal(e, t, &nx, &ny);
    *x -= nx * inset;
    *y -= ny * inset;
}

static double inset_length(const ellipse *e, double inset, double t0, double t1)
{
    double length = 0.0;
    double px, py;
    inset_point(e, t0, inset, &px, &py);
    for (int i = 1; i <= ARC_STEPS; i++) {
        double x, y;
        inset_point(e, t0 + (t1 - t0) * i / ARC_STEPS, inset, &x, &y);
        length += hypot(x - px, y - py);
        px = x;
        py = y;
    }
    return length;
}

/* The parameter at arc length s from t0 towards t1 on the inset curve (clamped). */
static double inset_param_at(const ellipse *e, double inset, double t0, double t1, double s)
{
    double length = 0.0;
    double px, py;
    inset_point(e, t0, inset, &px, &py);
    for (int i = 1; i <= ARC_STEPS; i++) {
        double t = t0 + (t1 - t0) * i / ARC_STEPS;
        double x, y;
        inset_point(e, t, inset, &x, &y);
        double piece = hypot(x - px, y - py);
        if (length + piece >= s) {
            double before = t0 + (t1 - t0) * (i - 1) / ARC_STEPS;
            return before + (t - before) * (piece > 0 ? (s - length) / piece : 0.0);
        }
        length += piece;
        px = x;
        py = y;
    }
    return t1;
}

static ellipse ellipse_shrunk(const ellipse *e, double by)
{
    ellipse r = {e->cx, e->cy, e->a - by, e->b - by};
    return r;
}

/* Long names first get narrower characters, down to half their width, then smaller ones,
 * down to this fraction of the full size, then narrower again: a seal keeps the name
 * whole, as registries cut them. */
#define NAME_MIN_CONDENSE 0.5
#define NAME_MIN_SHRINK   0.6
#define NAME_SHRINK_STEP  0.97
/* The characters' em boxes may come this close at their feet (as a fraction of the
 * narrowest gap between neighbours), leaving the side bearings and a little air. */
#define NAME_FEET_FILL 0.95

/* How the name sits on the upper arc: its em, the centre parameter of each character on
 * the tops curve, and how much each character is condensed. */
typedef struct name_fit {
    double em;
    double x_scale;
    double t[TEXT_MAX_CHARS + 1];
} name_fit;

/* Spaces the characters evenly along the curve `depth` of the way down their em boxes
 * (at most 1.3 em apart), then condenses them until neighbours' em boxes no longer meet
 * at their feet, where the arc is shortest; shrinks the em while that would take them
 * under NAME_MIN_CONDENSE of their width. */
static void fit_name(canvas *cv, name_fit *fit, const ellipse *tops, const text *name,
                     double em_max, double half_span, double depth)
{
    double box_per_em = seal_font_em_top(cv->font) + seal_font_em_bottom(cv->font);
    for (double em = em_max;; em *= NAME_SHRINK_STEP) {
        double box = box_per_em * em;
        double available = inset_length(tops, box * depth, -half_span, half_span);
        double step = fmin(available / name->len, em * 1.3);
        double widest = 0.0;
        for (size_t i = 0; i < name->len; i++) {
            double s = available / 2.0 + (i - (name->len - 1) / 2.0) * step;
            fit->t[i] = inset_param_at(tops, box * depth, -half_span, half_span, s);
            widest = fmax(widest, char_advance(cv->cr, &name->chars[i], em));
        }
        double narrowest = INFINITY;
        for (size_t i = 0; i + 1 < name->len; i++) {
            double x0, y0, x1, y1;
            inset_point(tops, fit->t[i], box, &x0, &y0);
            inset_point(tops, fit->t[i + 1], box, &x1, &y1);
            narrowest = fmin(narrowest, hypot(x1 - x0, y1 - y0));
        }
        fit->em = em;
        fit->x_scale = fmin(1.0, NAME_FEET_FILL * narrowest / widest);
        if (fit->x_scale >= NAME_MIN_CONDENSE || em * NAME_SHRINK_STEP < em_max * NAME_MIN_SHRINK)
            return;
    }
}

/* The name along the upper arc: each character upright with its baseline towards the
 * centre, its top on the curve `gap` inside the ring (see fit_name for the spacing). */
static void draw_upper_arc(canvas *cv, const ellipse *inner, const text *name, double em_max,
                           double gap, double half_span, double depth)
{
    cairo_t *cr = cv->cr;
    ellipse tops = ellipse_shrunk(inner, gap);
    name_fit fit;
    fit_name(cv, &fit, &tops, name, em_max, half_span, depth);
    double em_top = seal_font_em_top(cv->font) * fit.em;
    for (size_t i = 0; i < name->len; i++) {
        double x, y;
        inset_point(&tops, fit.t[i], em_top, &x, &y);
        cairo_save(cr);
        cairo_translate(cr, x, y);
        cairo_rotate(cr, ellipse_outward_angle(&tops, fit.t[i]));
        show_char(cr, &name->chars[i], fit.em, fit.x_scale);
        cairo_restore(cr);
    }
}

/* The code along the lower arc, read left to right: upright to a reader, so the baselines
 * face the ring. It uses the part of the ring the name leaves free. */
static void draw_lower_arc(canvas *cv, const ellipse *inner, const text *code, double em,
                           double gap, double half_span)
{
    cairo_t *cr = cv->cr;
    double widest = 0.0;
    for (size_t i = 0; i < code->len; i++)
        widest = fmax(widest, char_advance(cr, &code->chars[i], em));
    ellipse baselines = ellipse_shrunk(inner, gap);
    double middle = em * 0.36; /* the code's mid-height, inside the baselines */
    double t0 = G_PI - half_span;
    double t1 = G_PI + half_span;
    double available = inset_length(&baselines, middle, t0, t1);
    double step = fmin(available / code->len, widest * 1.15);
    double x_scale = fmin(1.0, step * 0.95 / widest);
    for (size_t i = 0; i < code->len; i++) {
        /* t grows clockwise, which runs right to left along the bottom. */
        double s = available / 2.0 + ((code->len - 1) / 2.0 - i) * step;
        double t = inset_param_at(&baselines, middle, t0, t1, s);
        double x, y;
        ellipse_point(&baselines, t, &x, &y);
        cairo_save(cr);
        cairo_translate(cr, x, y);
        cairo_rotate(cr, ellipse_outward_angle(&baselines, t) + G_PI);
        show_char(cr, &code->chars[i], em, x_scale);
        cairo_restore(cr);
    }
}

/* A solid five-pointed star, one point up, as on official seals. */
static void draw_star(cairo_t *cr, double cx, double cy, double radius)
{
    /* The inner vertices of a regular pentagram lie at radius * sin(18°) / sin(126°). */
    double inner = radius * sin(G_PI / 10.0) / sin(7.0 * G_PI / 10.0);
    for (int i = 0; i < 10; i++) {
        double r = i % 2 ? inner : radius;
        double angle = -G_PI / 2.0 + i * G_PI / 5.0;
        if (i == 0)
            cairo_move_to(cr, cx + r * cos(angle), cy + r * sin(angle));
        else
            cairo_line_to(cr, cx + r * cos(angle), cy + r * sin(angle));
    }
    cairo_close_path(cr);
    cairo_fill(cr);
}

/* A straight line of text centred on cx, the top of its em box at top. */
static void draw_line(canvas *cv, const text *line, double cx, double top, double em,
                      double max_width)
{
    cairo_t *cr = cv->cr;
    double width = 0.0;
    for (size_t i = 0; i < line->len; i++)
        width += char_advance(cr, &line->chars[i], em);
    double x_scale = width > max_width ? max_width / width : 1.0;
    double x = cx - width * x_scale / 2.0;
    double baseline = top + seal_font_em_top(cv->font) * em;
    for (size_t i = 0; i < line->len; i++) {
        double advance = char_advance(cr, &line->chars[i], em) * x_scale;
        cairo_save(cr);
        cairo_translate(cr, x + advance / 2.0, baseline);
        show_char(cr, &line->chars[i], em, x_scale);
        cairo_restore(cr);
        x += advance;
    }
}

static void draw_arc_seal(canvas *cv, const arc_layout *lay, const text *name, const text *purpose,
                          const text *code)
{
    cairo_t *cr = cv->cr;
    double size = fmin(cv->width_px, cv->height_px);
    double ring = lay->ring * size;
    ellipse outer = {cv->width_px / 2.0, cv->height_px / 2.0, cv->width_px / 2.0 - cv->margin,
                     cv->height_px / 2.0 - cv->margin};
    ellipse stroke = ellipse_shrunk(&outer, ring / 2.0);
    ellipse inner = ellipse_shrunk(&outer, ring);

    /* The ring: a circle scaled to the ellipse, stroked in unscaled space so the line has
     * the same width all round. */
    cairo_save(cr);
    cairo_translate(cr, stroke.cx, stroke.cy);
    cairo_scale(cr, stroke.a, stroke.b);
    cairo_arc(cr, 0.0, 0.0, 1.0, 0.0, 2.0 * G_PI);
    cairo_restore(cr);
    cairo_set_line_width(cr, ring);
    cairo_stroke(cr);

    double half_span = lay->name_half_deg * G_PI / 180.0;
    draw_upper_arc(cv, &inner, name, lay->name_em * size, lay->name_gap * size, half_span,
                   lay->name_depth);

    double star = lay->star_radius * size;
    draw_star(cr, outer.cx, outer.cy, star);

    if (purpose->len) {
        /* The star's two lower points reach cos(36°) of its radius below the centre. */
        double top = outer.cy + star * cos(G_PI / 5.0) + lay->purpose_gap * size;
        draw_line(cv, purpose, outer.cx, top, lay->purpose_em * size,
                  lay->purpose_width * cv->width_px);
    }
    if (code->len) {
        /* Keep about 11 degrees clear between the ends of the name and the code. */
        double free_half = G_PI - half_span - 0.2;
        draw_lower_arc(cv, &inner, code, lay->code_em * size, lay->code_gap * size, free_half);
    }
}

/* A personal seal: a square border and the name in columns read right to left, top to
 * bottom. Names of one to three characters get "印" so the grid is full: "张三印" puts 张三
 * in the right column and 印 alone, full height, in the left one. */
static void draw_square_seal(canvas *cv, const text *name_in)
{
    cairo_t *cr = cv->cr;
    text name = *name_in;
    if (name.len <= 3)
        text_push(&name, &cv->yin);
    size_t rows = name.len <= 2 ? 1 : name.len <= 6 ? 2 : 3; /* at most SQUARE_MAX_CHARS */
    size_t cols = (name.len + rows - 1) / rows;

    double size = fmin(cv->width_px, cv->height_px);
    double border = 0.06 * size;
    double pad = 0.035 * size;
    double cell_pad = 0.01 * size;
    double x0 = cv->margin + border + pad;
    double y0 = cv->margin + border + pad;
    double inner_w = cv->width_px - 2.0 * x0;
    double inner_h = cv->height_px - 2.0 * y0;

    cairo_rectangle(cr, cv->margin + border / 2.0, cv->margin + border / 2.0,
                    cv->width_px - 2.0 * cv->margin - border,
                    cv->height_px - 2.0 * cv->margin - border);
    cairo_set_line_width(cr, border);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
    cairo_stroke(cr);

    double em = 100.0; /* drawn at a nominal em, then scaled into its cell */
    double box = (seal_font_em_top(cv->font) + seal_font_em_bottom(cv->font)) * em;
    double col_w = inner_w / cols;
    for (size_t i = 0; i < name.len; i++) {
        size_t col = i / rows;
        size_t in_col = col + 1 < cols ? rows : name.len - col * rows;
        size_t row = i % rows;
        double cell_h = inner_h / in_col;
        double cell_x = x0 + inner_w - (col + 1) * col_w; /* the first column is the right */
        double cell_y = y0 + row * cell_h;
        double advance = char_advance(cr, &name.chars[i], em);
        double sx = (col_w - 2.0 * cell_pad) / advance;
        double sy = (cell_h - 2.0 * cell_pad) / box;
        cairo_save(cr);
        cairo_translate(cr, cell_x + col_w / 2.0,
                        cell_y + cell_pad + seal_font_em_top(cv->font) * em * sy);
        cairo_scale(cr, sx, sy);
        show_char(cr, &name.chars[i], em, 1.0);
        cairo_restore(cr);
    }
}

static int side_px(int *out, double mm, int dpi, const char *which)
{
    double px = round(mm / MM_PER_INCH * dpi);
    if (px > SIDE_MAX_PX)
        return seal_error_set(SEAL_EINVAL,
                              "the seal image would be %.0f px %s at %d dpi; the limit is %d "
                              "px (use a lower dpi or a smaller seal)",
                              px, which, dpi, SIDE_MAX_PX);
    *out = (int)px;
    return 0;
}

static int check_mm(double mm, const char *which)
{
    if (!isfinite(mm) || mm < SIDE_MIN_MM || mm > 1000.0)
        return seal_error_set(SEAL_EINVAL, "seal %s %g mm is out of range (%.0f mm or more)", which,
                              mm, SIDE_MIN_MM);
    return 0;
}

/* PNG 1.2 section 4.2.4.2 (ISO/IEC 15948 11.3.5.3): a pHYs chunk, right after IHDR, so
 * that image tools and printers show the seal at its size (Cairo writes none). */
static int add_resolution(seal_buf *png, int dpi)
{
    enum { IHDR_END = 8 + 4 + 4 + 13 + 4, PHYS_LEN = 4 + 4 + 9 + 4 };
    int rc = 0;
    seal_buf out = SEAL_BUF_INIT;
    SEAL_ENSURE(png->len > IHDR_END && memcmp(png->data + 12, "IHDR", 4) == 0, SEAL_EFORMAT,
                "the seal image Cairo wrote does not start with an IHDR chunk");
    uint32_t per_metre = (uint32_t)lround(dpi / (MM_PER_INCH / 1000.0));
    uint8_t chunk[PHYS_LEN] = {0, 0, 0, 9, 'p', 'H', 'Y', 's'};
    for (int i = 0; i < 2; i++) {
        chunk[8 + 4 * i] = (uint8_t)(per_metre >> 24);
        chunk[9 + 4 * i] = (uint8_t)(per_metre >> 16);
        chunk[10 + 4 * i] = (uint8_t)(per_metre >> 8);
        chunk[11 + 4 * i] = (uint8_t)per_metre;
    }
    chunk[16] = 1; /* unit: the metre */
    uint32_t crc = (uint32_t)crc32(crc32(0, Z_NULL, 0), chunk + 4, 4 + 9);
    chunk[17] = (uint8_t)(crc >> 24);
    chunk[18] = (uint8_t)(crc >> 16);
    chunk[19] = (uint8_t)(crc >> 8);
    chunk[20] = (uint8_t)crc;
    SEAL_TRY(seal_buf_reserve(&out, png->len + sizeof chunk));
    SEAL_TRY(seal_buf_append(&out, png->data, IHDR_END));
    SEAL_TRY(seal_buf_append(&out, chunk, sizeof chunk));
    SEAL_TRY(seal_buf_append(&out, png->data + IHDR_END, png->len - IHDR_END));
    seal_buf_clear(png);
    *png = out;
    out = (seal_buf)SEAL_BUF_INIT;
out:
    seal_buf_clear(&out);
    return rc;
}

int seal_image_draw(seal_buf *png, const seal_drawing *d)
{
    int rc = 0;
    seal_font *font = NULL;
    cairo_surface_t *surface = NULL;
    cairo_t *cr = NULL;
    seal_buf out_png = SEAL_BUF_INIT;
    text *texts = NULL;

    SEAL_ENSURE(png && d, SEAL_EINVAL, "no seal drawing given");
    SEAL_ENSURE(d->shape == SEAL_SHAPE_ROUND || d->shape == SEAL_SHAPE_OVAL ||
                    d->shape == SEAL_SHAPE_SQUARE,
                SEAL_EINVAL, "unknown seal shape %d (round, oval or square)", (int)d->shape);
    SEAL_ENSURE(d->name && *d->name, SEAL_EINVAL,
                "the seal name is empty; a seal must show whose seal it is");

    int dpi = d->dpi ? d->dpi : DPI_DEFAULT;
    SEAL_ENSURE(dpi >= DPI_MIN && dpi <= DPI_MAX, SEAL_EINVAL,
                "seal image resolution %d dpi is out of range (%d to %d dpi)", d->dpi, DPI_MIN,
                DPI_MAX);
    uint32_t rgb = d->rgb ? d->rgb : RGB_DEFAULT;
    SEAL_ENSURE(rgb <= 0xFFFFFFu, SEAL_EINVAL,
                "seal colour 0x%X is not an RGB value (0x000000 to 0xFFFFFF)", (unsigned)rgb);

    double width_mm = d->width_mm;
    double height_mm = d->height_mm;
    if (d->shape == SEAL_SHAPE_OVAL) {
        width_mm = width_mm ? width_mm : 45.0;
        height_mm = height_mm ? height_mm : 30.0;
    } else {
        width_mm = width_mm ? width_mm : d->shape == SEAL_SHAPE_ROUND ? 42.0 : 20.0;
        height_mm = height_mm ? height_mm : width_mm;
        SEAL_ENSURE(d->shape != SEAL_SHAPE_ROUND || height_mm == width_mm, SEAL_EINVAL,
                    "a round seal has one diameter, but width %g mm and height %g mm were "
                    "given (use an oval seal)",
                    width_mm, height_mm);
    }
    SEAL_TRY(check_mm(width_mm, "width"));
    SEAL_TRY(check_mm(height_mm, "height"));
    int width_px = 0, height_px = 0;
    SEAL_TRY(side_px(&width_px, width_mm, dpi, "wide"));
    SEAL_TRY(side_px(&height_px, height_mm, dpi, "high"));
    SEAL_TRY(render_cairo_load());

    const char *font_path = d->font_path ? d->font_path : seal_font_path();
    SEAL_ENSURE(font_path, SEAL_ENOTFOUND,
                "the seal font %s is in none of $SEAL_FONT_DIR, %s and %s; set SEAL_FONT_DIR "
                "to the folder that holds it",
                SEAL_FONT_FILE, SEAL_FONT_DIR_SOURCE, SEAL_FONT_DIR_INSTALL);
    SEAL_TRY(seal_font_open(&font, font_path));

    texts = calloc(3, sizeof *texts);
    SEAL_ENSURE(texts, SEAL_ENOMEM, "out of memory");
    text *name = &texts[0], *purpose = &texts[1], *code = &texts[2];
    SEAL_TRY(text_split(name, "name", d->name, font));
    SEAL_TRY(text_split(purpose, "purpose", d->purpose ? d->purpose : "", font));
    SEAL_TRY(text_split(code, "code", d->code ? d->code : "", font));
    text yin = {.len = 0};
    if (d->shape == SEAL_SHAPE_SQUARE && name->len <= 3)
        SEAL_TRY(text_split(&yin, "name's added character", SEAL_CHAR_YIN, font));
    SEAL_ENSURE(d->shape != SEAL_SHAPE_SQUARE || name->len <= SQUARE_MAX_CHARS, SEAL_EINVAL,
                "a square seal holds at most %d characters, the name has %zu (use a round or "
                "oval seal)",
                SQUARE_MAX_CHARS, name->len);

    surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width_px, height_px);
    cr = cairo_create(surface);
    SEAL_ENSURE(cairo_status(cr) == CAIRO_STATUS_SUCCESS, SEAL_ENOMEM,
                "could not make a %d x %d px image: %s", width_px, height_px,
                cairo_status_to_string(cairo_status(cr)));
    cairo_set_font_face(cr, seal_font_face(font));
    /* Outlines as designed: hinting would snap them to a pixel grid the seal is not on. */
    cairo_font_options_t *options = cairo_font_options_create();
    cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
    cairo_set_font_options(cr, options);
    cairo_font_options_destroy(options);
    cairo_set_source_rgb(cr, ((rgb >> 16) & 0xFF) / 255.0, ((rgb >> 8) & 0xFF) / 255.0,
                         (rgb & 0xFF) / 255.0);

    canvas cv = {cr,       font,      yin.chars[0],
                 width_px, height_px, 0.006 * fmin(width_px, height_px) + 1.0};
    if (d->shape == SEAL_SHAPE_SQUARE)
        draw_square_seal(&cv, name);
    else
        draw_arc_seal(&cv, d->shape == SEAL_SHAPE_ROUND ? &round_layout : &oval_layout, name,
                      purpose, code);

    cairo_surface_flush(surface);
    SEAL_ENSURE(cairo_status(cr) == CAIRO_STATUS_SUCCESS, SEAL_ENOMEM,
                "drawing the seal failed: %s", cairo_status_to_string(cairo_status(cr)));
    SEAL_TRY(seal_image_encode_png(&out_png, surface));
    SEAL_TRY(add_resolution(&out_png, dpi));

    seal_buf_clear(png);
    *png = out_png;
    out_png = (seal_buf)SEAL_BUF_INIT;

out:
    seal_buf_clear(&out_png);
    cairo_destroy(cr);
    cairo_surface_destroy(surface);
    free(texts);
    seal_font_free(font);
    return rc;
}
