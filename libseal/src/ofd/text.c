/* Text on OFD pages (GB/T 33190 11): every TextObject of a page's layers (and of its
 * templates), nested PageBlocks included, is walked into glyphs placed on the page in mm,
 * and keywords are found across TextCode and TextObject boundaries, and across a line break
 * where the next line follows in reading order. The stamp flow centres seals on the boxes
 * found here (`--keyword`).
 *
 * Placement (11.2, 11.3): a TextCode's first glyph sits at (X, Y) in the object's space,
 * each following glyph at the previous one plus DeltaX/DeltaY ("g N v" repeats v N times);
 * the object's CTM maps that space and Boundary's origin places it on the page. */
#include "ofd_internal.h"
#include "place/textflow.h"

#include <seal/error.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A page larger than this in glyphs is refused rather than walked. */
#define MAX_GLYPHS_PER_PAGE 1000000

/* Without font metrics, a glyph's cell is the em square (the font Size) for wide
 * characters and half of it for the others, with the ideographic em box's baseline at
 * 0.88 of the em (the usual CJK ascent; 0.12 below). */
#define EM_ASCENT  0.88
#define EM_DESCENT 0.12

typedef struct glyph_list {
    GArray *glyphs; /* seal_ofd_glyph */
} glyph_list;

static bool is_wide(uint32_t cp)
{
    return (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
           (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
           (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
           (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd);
}

/* A DeltaX/DeltaY list (GB/T 33190 11.3, Table 46): numbers, where "g N v" stands for N
 * copies of v. At most `want` values are kept. A list that cannot be read is treated as
 * absent: the glyphs then advance by their own width. */
static size_t parse_deltas(double *out, size_t want, const char *text)
{
    size_t n = 0;
    const char *p = text;
    if (!p)
        return 0;
    while (n < want) {
        char *end = NULL;
        while (g_ascii_isspace(*p))
            p++;
        if (!*p)
            break;
        if (*p == 'g' && (g_ascii_isspace(p[1]) || !p[1])) {
            p++;
            unsigned long count = strtoul(p, &end, 10);
            if (end == p || count == 0)
                return 0;
            p = end;
            double v = g_ascii_strtod(p, &end);
            if (end == p || !isfinite(v))
                return 0;
            p = end;
            for (unsigned long i = 0; i < count && n < want; i++)
                out[n++] = v;
            continue;
        }
        double v = g_ascii_strtod(p, &end);
        if (end == p || !isfinite(v))
            return 0;
        out[n++] = v;
        p = end;
    }
    return n;
}

/* The state a TextObject carries into its TextCodes. */
typedef struct text_object {
    double origin_x, origin_y; /* Boundary's top-left on the page */
    double ctm[6];
    double size;           /* font size, mm */
    int read_direction;    /* ReadDirection (table 46): 0, 90, 180 or 270 degrees */
    double last_x, last_y; /* X and Y of the previous TextCode (11.3: absent X or Y take them) */
} text_object;

static void map_point(const text_object *t, double x, double y, double *px, double *py)
{
    *px = t->origin_x + t->ctm[0] * x + t->ctm[2] * y + t->ctm[4];
    *py = t->origin_y + t->ctm[1] * x + t->ctm[3] * y + t->ctm[5];
}

static int add_glyph(glyph_list *list, const text_object *t, uint32_t cp, double x, double y)
{
    if (list->glyphs->len >= MAX_GLYPHS_PER_PAGE)
        return seal_error_set(SEAL_EPOLICY, "a page has more than %d glyphs", MAX_GLYPHS_PER_PAGE);
    double width = is_wide(cp) ? t->size : t->size / 2;
    double corners[4][2] = {{x, y - EM_ASCENT * t->size},
                            {x + width, y - EM_ASCENT * t->size},
                            {x, y + EM_DESCENT * t->size},
                            {x + width, y + EM_DESCENT * t->size}};
    seal_ofd_glyph g = {.codepoint = cp};
    map_point(t, x, y, &g.x, &g.y);
    double min_x = INFINITY, min_y = INFINITY, max_x = -INFINITY, max_y = -INFINITY;
    for (int i = 0; i < 4; i++) {
        double px, py;
        map_point(t, corners[i][0], corners[i][1], &px, &py);
        min_x = fmin(min_x, px);
        min_y = fmin(min_y, py);
        max_x = fmax(max_x, px);
        max_y = fmax(max_y, py);
    }
    g.box = (seal_ofd_box){min_x, min_y, max_x - min_x, max_y - min_y};
    g_array_append_val(list->glyphs, g);
    return 0;
}

static int walk_text_code(glyph_list *list, text_object *t, const xmlNode *code)
{
    int rc = 0;
    char *text = NULL, *xs = seal_ofd_xml_attr(code, "X"), *ys = seal_ofd_xml_attr(code, "Y");
    char *dxs = seal_ofd_xml_attr(code, "DeltaX"), *dys = seal_ofd_xml_attr(code, "DeltaY");
    double *dx = NULL, *dy = NULL;
    double x = t->last_x, y = t->last_y;
    if (xs && ofd_parse_double(&x, xs, "TextCode X") < 0)
        x = t->last_x;
    if (ys && ofd_parse_double(&y, ys, "TextCode Y") < 0)
        y = t->last_y;
    seal_error_clear();
    t->last_x = x;
    t->last_y = y;
    xmlChar *content = xmlNodeGetContent(code);
    text = g_strdup(content ? (const char *)content : "");
    xmlFree(content);
    if (!g_utf8_validate(text, -1, NULL))
        goto out; /* libxml2 hands out UTF-8; anything else is not text we can match */
    glong count = g_utf8_strlen(text, -1);
    if (count <= 0)
        goto out;
    SEAL_ENSURE(count <= MAX_GLYPHS_PER_PAGE, SEAL_EPOLICY, "a TextCode has more than %d glyphs",
                MAX_GLYPHS_PER_PAGE);
    size_t want = (size_t)count - 1;
    dx = g_new0(double, want + 1);
    dy = g_new0(double, want + 1);
    size_t n_dx = parse_deltas(dx, want, dxs), n_dy = parse_deltas(dy, want, dys);
    const char *p = text;
    for (size_t i = 0; i < (size_t)count; i++) {
        uint32_t cp = g_utf8_get_char(p);
        SEAL_TRY(add_glyph(list, t, cp, x, y));
        /* DeltaX/DeltaY entry i leads from glyph i to i + 1 (11.3). Where neither list
         * has an entry (writers leave trailing deltas out), the glyph advances by its own
         * width along the reading direction; where only one has, the other offset is 0
         * (vertical text gives DeltaY alone). As the renderer places them. */
        bool none = i >= n_dx && i >= n_dy;
        double advance = none ? (is_wide(cp) ? t->size : t->size / 2) : 0;
        x += i < n_dx ? dx[i]
                      : (t->read_direction == 0     ? advance
                         : t->read_direction == 180 ? -advance
                                                    : 0);
        y += i < n_dy ? dy[i]
                      : (t->read_direction == 90    ? advance
                         : t->read_direction == 270 ? -advance
                                                    : 0);
        p = g_utf8_next_char(p);
    }
out:
    g_free(dx);
    g_free(dy);
    g_free(text);
    free(xs);
    free(ys);
    free(dxs);
    free(dys);
    return rc;
}

static int walk_text_object(glyph_list *list, const xmlNode *obj)
{
    int rc = 0;
    double box[4];
    text_object t = {.ctm = {1, 0, 0, 1, 0, 0}};
    char *boundary = seal_ofd_xml_attr(obj, "Boundary"), *ctm = seal_ofd_xml_attr(obj, "CTM");
    char *size = seal_ofd_xml_attr(obj, "Size");
    char *read_dir = seal_ofd_xml_attr(obj, "ReadDirection");
    double dir = 0;
    if (read_dir && ofd_parse_double(&dir, read_dir, "TextObject ReadDirection") == 0 &&
        (dir == 90 || dir == 180 || dir == 270))
        t.read_direction = (int)dir;
    seal_error_clear();
    /* Boundary may have a negative height (rotated text, keyword.ofd); only its origin
     * places the object. An object that cannot be placed is left out. */
    if (!boundary || ofd_parse_numbers(box, 4, boundary, "TextObject Boundary") < 0 || !size ||
        ofd_parse_double(&t.size, size, "TextObject Size") < 0 || t.size <= 0 ||
        (ctm && seal_ofd_parse_matrix(t.ctm, ctm) < 0)) {
        seal_error_clear();
        goto out;
    }
    t.origin_x = box[0];
    t.origin_y = box[1];
    for (xmlNode *code = seal_ofd_xml_child(obj, "TextCode"); code;
         code = seal_ofd_xml_next(code, "TextCode"))
        SEAL_TRY(walk_text_code(list, &t, code));
out:
    free(boundary);
    free(ctm);
    free(size);
    free(read_dir);
    return rc;
}

/* Layers and PageBlocks (GB/T 33190 7.7, 8.x) in drawing order. */
static int walk_block(glyph_list *list, const xmlNode *block, unsigned depth)
{
    int rc = 0;
    if (depth > 64)
        return 0;
    for (xmlNode *child = seal_ofd_xml_child(block, NULL); child;
         child = seal_ofd_xml_next(child, NULL)) {
        if (seal_ofd_xml_is(child, "TextObject"))
            SEAL_TRY(walk_text_object(list, child));
        else if (seal_ofd_xml_is(child, "PageBlock"))
            SEAL_TRY(walk_block(list, child, depth + 1));
    }
out:
    return rc;
}

static int walk_content(seal_ofd *doc, glyph_list *list, const char *path)
{
    int rc = 0;
    xmlDoc *xml = NULL;
    SEAL_TRY(seal_ofd_entry_xml(doc, path, &xml));
    xmlNode *content = seal_ofd_xml_child(xmlDocGetRootElement(xml), "Content");
    for (xmlNode *layer = seal_ofd_xml_child(content, "Layer"); layer;
         layer = seal_ofd_xml_next(layer, "Layer"))
        SEAL_TRY(walk_block(list, layer, 0));
out:
    return rc;
}

static int walk_templates(seal_ofd *doc, glyph_list *list, const seal_ofd_page *page,
                          bool foreground)
{
    int rc = 0;
    for (size_t i = 0; i < page->n_templates; i++) {
        bool is_fg = page->templates[i].zorder == SEAL_OFD_ZORDER_FOREGROUND;
        const char *path = page->templates[i].tpl->content_path;
        if (is_fg == foreground && seal_ofd_entry_exists(doc, path))
            SEAL_TRY(walk_content(doc, list, path));
    }
out:
    return rc;
}

int seal_ofd_page_glyphs(seal_ofd *doc, int number, seal_ofd_glyph **out, size_t *n_out)
{
    int rc = 0;
    const seal_ofd_page *page = NULL;
    glyph_list list = {g_array_new(FALSE, FALSE, sizeof(seal_ofd_glyph))};
    *out = NULL;
    *n_out = 0;
    SEAL_TRY(seal_ofd_page_get(doc, number, &page));
    SEAL_TRY(walk_templates(doc, &list, page, false));
    SEAL_TRY(walk_content(doc, &list, page->content_path));
    SEAL_TRY(walk_templates(doc, &list, page, true));
    *n_out = list.glyphs->len;
    if (list.glyphs->len) {
        *out = malloc(list.glyphs->len * sizeof(seal_ofd_glyph));
        SEAL_ENSURE(*out, SEAL_ENOMEM, "out of memory");
        memcpy(*out, list.glyphs->data, list.glyphs->len * sizeof(seal_ofd_glyph));
    }
out:
    if (rc < 0)
        *n_out = 0;
    g_array_free(list.glyphs, TRUE);
    return rc;
}

static bool is_space(uint32_t cp)
{
    return g_unichar_isspace(cp) || cp == 0x3000;
}

/* Whether glyph q, drawn after p, goes on along p's line rather than starting another:
 * horizontal text (cells overlapping in height for half the smaller one) where q begins
 * right of p's start with at most two em between them (letter-spaced titles, words drawn
 * as separate objects); text of any other direction (vertical, turned by a CTM) where the
 * cells' centres are at most one and a half times the larger cell side apart. */
static bool same_line(const seal_ofd_box *p, const seal_ofd_box *q)
{
    double em = fmax(fmax(p->w, p->h), fmax(q->w, q->h));
    double overlap = fmin(p->y + p->h, q->y + q->h) - fmax(p->y, q->y);
    if (overlap >= fmin(p->h, q->h) / 2 && q->x >= p->x && q->x - (p->x + p->w) <= 2 * em)
        return true;
    double dx = (q->x + q->w / 2) - (p->x + p->w / 2), dy = (q->y + q->h / 2) - (p->y + p->h / 2);
    return hypot(dx, dy) <= 1.5 * em;
}

/* The page's glyphs cut into lines: runs of glyphs, in content order, each going on along
 * the line of the one before. */
typedef struct glyph_lines {
    size_t *line;       /* per glyph: its line */
    double (*boxes)[4]; /* per line: x0, y0, x1, y1 around its glyphs, mm */
    size_t count;
} glyph_lines;

static void glyph_lines_make(glyph_lines *out, const seal_ofd_glyph *glyphs, size_t n)
{
    out->line = g_new(size_t, n ? n : 1);
    out->boxes = g_malloc_n(n ? n : 1, sizeof *out->boxes);
    out->count = 0;
    for (size_t i = 0; i < n; i++) {
        const seal_ofd_box *b = &glyphs[i].box;
        if (i == 0 || !same_line(&glyphs[i - 1].box, b)) {
            double *box = out->boxes[out->count++];
            box[0] = b->x;
            box[1] = b->y;
            box[2] = b->x + b->w;
            box[3] = b->y + b->h;
        }
        double *box = out->boxes[out->count - 1];
        box[0] = fmin(box[0], b->x);
        box[1] = fmin(box[1], b->y);
        box[2] = fmax(box[2], b->x + b->w);
        box[3] = fmax(box[3], b->y + b->h);
        out->line[i] = out->count - 1;
    }
}

/* Non-overlapping matches of `want` (white space removed) in the page's glyphs, white space
 * glyphs skipped. A match may cross from one line to another only where the next line
 * follows in reading order (place/textflow.h: the next line below, or the next column's
 * first line), so that text that merely comes next in the file makes no false hit. A hit
 * broken across lines is its first part: the glyphs on the line where it begins. */
static void find_on_page(GArray *hits, int number, const seal_ofd_glyph *glyphs, size_t n,
                         const uint32_t *want, size_t n_want)
{
    size_t *idx = g_new(size_t, n ? n : 1);
    bool *joins = g_new(bool, n ? n : 1); /* joins[k]: glyph idx[k] may follow idx[k - 1] */
    glyph_lines lines;
    size_t m = 0;
    glyph_lines_make(&lines, glyphs, n);
    for (size_t i = 0; i < n; i++)
        if (!is_space(glyphs[i].codepoint)) {
            size_t a = m ? lines.line[idx[m - 1]] : 0, b = lines.line[i];
            joins[m] = m > 0 && (a == b || seal_text_line_follows((const double(*)[4])lines.boxes,
                                                                  lines.count, a, b));
            idx[m++] = i;
        }
    for (size_t start = 0; start + n_want <= m;) {
        size_t k = 0;
        while (k < n_want && glyphs[idx[start + k]].codepoint == want[k] &&
               (k == 0 || joins[start + k]))
            k++;
        if (k < n_want) {
            start++;
            continue;
        }
        double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
        size_t first_line = lines.line[idx[start]];
        for (size_t j = 0; j < n_want && lines.line[idx[start + j]] == first_line; j++) {
            const seal_ofd_box *b = &glyphs[idx[start + j]].box;
            x0 = fmin(x0, b->x);
            y0 = fmin(y0, b->y);
            x1 = fmax(x1, b->x + b->w);
            y1 = fmax(y1, b->y + b->h);
        }
        seal_ofd_text_hit hit = {.page = number, .box = {x0, y0, x1 - x0, y1 - y0}};
        g_array_append_val(hits, hit);
        start += n_want;
    }
    g_free(lines.line);
    g_free(lines.boxes);
    g_free(joins);
    g_free(idx);
}

int seal_ofd_find_text(seal_ofd *doc, const char *keyword, seal_ofd_text_hit **out, size_t *n_out)
{
    int rc = 0;
    GArray *hits = g_array_new(FALSE, FALSE, sizeof(seal_ofd_text_hit));
    uint32_t *want = NULL;
    seal_ofd_glyph *glyphs = NULL;
    size_t n_want = 0;
    *out = NULL;
    *n_out = 0;
    SEAL_ENSURE(doc && keyword, SEAL_EINVAL, "no document or keyword");
    SEAL_ENSURE(g_utf8_validate(keyword, -1, NULL), SEAL_EINVAL, "the keyword is not UTF-8");
    want = g_new(uint32_t, strlen(keyword) + 1);
    for (const char *p = keyword; *p; p = g_utf8_next_char(p)) {
        uint32_t cp = g_utf8_get_char(p);
        if (!is_space(cp))
            want[n_want++] = cp;
    }
    SEAL_ENSURE(n_want > 0, SEAL_EINVAL, "the keyword is empty");
    for (int page = 1; page <= seal_ofd_page_count(doc); page++) {
        size_t n = 0;
        SEAL_TRY(seal_ofd_page_glyphs(doc, page, &glyphs, &n));
        find_on_page(hits, page, glyphs, n, want, n_want);
        free(glyphs);
        glyphs = NULL;
    }
    if (hits->len) {
        *out = malloc(hits->len * sizeof(seal_ofd_text_hit));
        SEAL_ENSURE(*out, SEAL_ENOMEM, "out of memory");
        memcpy(*out, hits->data, hits->len * sizeof(seal_ofd_text_hit));
        *n_out = hits->len;
        for (size_t i = 0; i < *n_out; i++)
            (*out)[i].document = doc->info.document;
    }
out:
    free(glyphs);
    g_free(want);
    g_array_free(hits, TRUE);
    return rc;
}
