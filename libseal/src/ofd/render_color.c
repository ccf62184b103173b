/* Colours and drawing parameters of OFD page content, as Cairo sources and line settings:
 * GB/T 33190 8.2 (DrawParam with its Relative chain and the object's own attributes),
 * 8.3.1 (colour spaces Gray, RGB, CMYK with BitsPerComponent and palettes), 8.3.2 (Value
 * in decimal or "#hex", Index, Alpha) and 8.3.4/8.3.5 (axial and radial shadings). */
#include "ofd/render_internal.h"

#include <seal/error.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A DrawParam chain longer than this is a loop or an attack. */
#define RELATIVE_MAX 16
#define SEGMENTS_MAX 256

void render_param_default(render_param *out)
{
    memset(out, 0, sizeof *out);
    out->line_width = 0.353; /* GB/T 33190 table 22 defaults */
    out->cap = CAIRO_LINE_CAP_BUTT;
    out->join = CAIRO_LINE_JOIN_MITER;
    out->miter_limit = 3.528;
}

static int parse_dash(const char *text, render_param *param)
{
    int n = 0;
    double sum = 0;
    const char *p = text;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        if (!*p)
            break;
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno || !isfinite(v) || v < 0 || v > 1e6 || n == RENDER_DASH_MAX)
            return seal_error_set(SEAL_EFORMAT, "bad DashPattern \"%.40s\"", text);
        param->dash[n++] = v;
        sum += v;
        p = end;
    }
    /* An empty or all-zero pattern means a solid line (Cairo would refuse it). */
    param->n_dash = sum > 0 ? n : 0;
    return 0;
}

int render_param_apply_attrs(const xmlNode *node, render_param *param)
{
    int rc;
    const char *v;
    if ((rc = render_number(node, "LineWidth", param->line_width, &param->line_width)) < 0)
        return rc;
    if (param->line_width < 0 || param->line_width > 1e4)
        return seal_error_set(SEAL_EFORMAT, "LineWidth %g is out of range", param->line_width);
    if ((rc = render_number(node, "MiterLimit", param->miter_limit, &param->miter_limit)) < 0)
        return rc;
    if ((rc = render_number(node, "DashOffset", param->dash_offset, &param->dash_offset)) < 0)
        return rc;
    if ((v = render_attr(node, "Cap"))) {
        if (strcmp(v, "Round") == 0)
            param->cap = CAIRO_LINE_CAP_ROUND;
        else if (strcmp(v, "Square") == 0)
            param->cap = CAIRO_LINE_CAP_SQUARE;
        else
            param->cap = CAIRO_LINE_CAP_BUTT;
    }
    if ((v = render_attr(node, "Join"))) {
        if (strcmp(v, "Round") == 0)
            param->join = CAIRO_LINE_JOIN_ROUND;
        else if (strcmp(v, "Bevel") == 0)
            param->join = CAIRO_LINE_JOIN_BEVEL;
        else
            param->join = CAIRO_LINE_JOIN_MITER;
    }
    if ((v = render_attr(node, "DashPattern")) && (rc = parse_dash(v, param)) < 0)
        return rc;
    return 0;
}

int render_param_apply_resource(render_ctx *r, const char *id, render_param *param)
{
    /* Relative names the parent (table 22): apply the chain from its root down. */
    const xmlNode *chain[RELATIVE_MAX];
    int n = 0;
    while (id && *id) {
        const seal_ofd_resource *res;
        int rc = render_resource(r, id, SEAL_OFD_RES_DRAWPARAM, &res);
        if (rc < 0)
            return rc;
        if (n == RELATIVE_MAX)
            return seal_error_set(SEAL_EFORMAT,
                                  "DrawParam %s: its Relative chain is longer than %d (a loop?)",
                                  id, RELATIVE_MAX);
        chain[n++] = res->node;
        id = render_attr(res->node, "Relative");
    }
    while (n-- > 0) {
        int rc = render_param_apply_attrs(chain[n], param);
        if (rc < 0)
            return rc;
        const xmlNode *c;
        if ((c = seal_ofd_xml_child(chain[n], "FillColor")))
            param->fill_color = c;
        if ((c = seal_ofd_xml_child(chain[n], "StrokeColor")))
            param->stroke_color = c;
    }
    return 0;
}

void render_param_set_line(cairo_t *cr, const render_param *param)
{
    /* A width of 0 is the thinnest line the device shows (as in PDF); Cairo would draw
     * nothing, so use a hairline of a tenth of a millimetre's quarter. */
    cairo_set_line_width(cr, param->line_width > 0 ? param->line_width : 0.025);
    cairo_set_line_cap(cr, param->cap);
    cairo_set_line_join(cr, param->join);
    /* GB/T 33190 gives MiterLimit as a length (3.528 mm by default); Cairo, like PDF, as a
     * ratio to the line width. */
    double ratio = param->line_width > 0 ? param->miter_limit / param->line_width : 10;
    cairo_set_miter_limit(cr, ratio < 1 ? 1 : ratio);
    cairo_set_dash(cr, param->dash, param->n_dash, param->dash_offset);
}

/* ---- colour spaces ---- */

typedef enum cs_type { CS_GRAY, CS_RGB, CS_CMYK } cs_type;

typedef struct colour_space {
    cs_type type;
    int bpc;
    const xmlNode *palette;
} colour_space;

static int cs_components(cs_type t)
{
    return t == CS_GRAY ? 1 : t == CS_CMYK ? 4 : 3;
}

static int read_space(colour_space *out, const xmlNode *node)
{
    out->type = CS_RGB;
    out->bpc = 8;
    out->palette = NULL;
    if (!node)
        return 0;
    const char *type = render_attr(node, "Type");
    if (type && strcasecmp(type, "GRAY") == 0)
        out->type = CS_GRAY;
    else if (type && strcasecmp(type, "CMYK") == 0)
        out->type = CS_CMYK;
    double bpc;
    int rc = render_number(node, "BitsPerComponent", 8, &bpc);
    if (rc < 0)
        return rc;
    /* Table 25: 1, 2, 4, 8 or 16. */
    if (bpc == 1 || bpc == 2 || bpc == 4 || bpc == 8 || bpc == 16)
        out->bpc = (int)bpc;
    out->palette = seal_ofd_xml_child(node, "Palette");
    return 0;
}

static int default_space(render_ctx *r, colour_space *out)
{
    if (!r->default_cs_read) {
        r->default_cs_read = true;
        xmlDoc *xml;
        const seal_ofd_doc_info *info = seal_ofd_info(r->doc);
        if (seal_ofd_entry_xml(r->doc, info->document_path, &xml) == 0) {
            const xmlNode *common = seal_ofd_xml_child(xmlDocGetRootElement(xml), "CommonData");
            const xmlNode *dcs = common ? seal_ofd_xml_child(common, "DefaultCS") : NULL;
            char *id = dcs ? seal_ofd_xml_text(dcs) : NULL;
            const seal_ofd_resource *res;
            if (id && *id && render_resource(r, id, SEAL_OFD_RES_COLORSPACE, &res) == 0)
                r->default_cs = res->node;
            free(id);
        }
        seal_error_clear();
    }
    return read_space(out, r->default_cs);
}

/* Value (table 26): "c1 c2 ...", each decimal or "#" hex, within 0..2^BPC-1. Returns the
 * number of components read, or 0 when the text is not such a list (then the standard's
 * default colour applies). */
static int read_components(double out[4], const char *text, int bpc)
{
    double max = (double)((1u << bpc) - 1);
    int n = 0;
    const char *p = text;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        if (!*p)
            break;
        if (n == 4)
            return 0;
        bool hex = *p == '#';
        if (hex)
            p++;
        char *end;
        errno = 0;
        long v = strtol(p, &end, hex ? 16 : 10);
        /* Some writers put decimals ("255.0"); read the integer part and skip the rest. */
        if (!hex && *end == '.') {
            end++;
            while (*end >= '0' && *end <= '9')
                end++;
        }
        if (end == p || errno || v < 0 || (double)v > max)
            return 0;
        out[n++] = (double)v / max;
        p = end;
    }
    return n;
}

static void to_rgb(const colour_space *cs, const double c[4], double rgb[3])
{
    switch (cs->type) {
    case CS_GRAY:
        rgb[0] = rgb[1] = rgb[2] = c[0];
        break;
    case CS_CMYK:
        /* The plain conversion; OFD gives no colour profile to do better. */
        for (int i = 0; i < 3; i++)
            rgb[i] = (1 - c[i]) * (1 - c[3]);
        break;
    case CS_RGB:
        memcpy(rgb, c, 3 * sizeof *rgb);
        break;
    }
}

/* The colour of a CT_Color-like element (Color, FillColor, StrokeColor, a Segment's Color):
 * Value, else the palette entry Index names, else all components 0 (8.3.2). */
static int colour_rgb(render_ctx *r, const xmlNode *color, double rgb[3], double *alpha)
{
    colour_space cs;
    int rc;
    const char *cs_id = render_attr(color, "ColorSpace");
    const seal_ofd_resource *res;
    /* A ColorSpace that names no colour space (the tax bureau's seals point one at a
     * font) is read as the default one, as other readers do. */
    if (cs_id && *cs_id && render_resource(r, cs_id, SEAL_OFD_RES_COLORSPACE, &res) == 0) {
        if ((rc = read_space(&cs, res->node)) < 0)
            return rc;
    } else {
        seal_error_clear();
        if ((rc = default_space(r, &cs)) < 0)
            return rc;
    }
    double c[4] = {0, 0, 0, 0};
    const char *value = render_attr(color, "Value");
    const char *index = render_attr(color, "Index");
    if (value) {
        if (read_components(c, value, cs.bpc) != cs_components(cs.type))
            memset(c, 0, sizeof c);
    } else if (index && cs.palette) {
        char *end;
        long i = strtol(index, &end, 10);
        const xmlNode *cv = seal_ofd_xml_child(cs.palette, "CV");
        for (long k = 0; cv && k < i; k++)
            cv = seal_ofd_xml_next(cv, "CV");
        if (*end == '\0' && i >= 0 && cv) {
            char *text = seal_ofd_xml_text(cv);
            if (!text)
                return seal_error_set(SEAL_ENOMEM, "out of memory");
            if (read_components(c, text, cs.bpc) != cs_components(cs.type))
                memset(c, 0, sizeof c);
            free(text);
        }
    }
    /* In CMYK all-zero is white, in the others black: both are "every component 0". */
    to_rgb(&cs, c, rgb);
    double a;
    if ((rc = render_number(color, "Alpha", 255, &a)) < 0)
        return rc;
    *alpha = fmin(fmax(a, 0), 255) / 255.0;
    return 0;
}

static int read_point(const xmlNode *node, const char *name, double out[2])
{
    const char *v = render_attr(node, name);
    char *end;
    if (!v)
        return seal_error_set(SEAL_EFORMAT, "a shading has no %s", name);
    errno = 0;
    out[0] = strtod(v, &end);
    const char *p = end;
    out[1] = strtod(p, &end);
    if (end == p || errno || !isfinite(out[0]) || !isfinite(out[1]))
        return seal_error_set(SEAL_EFORMAT, "a shading's %s \"%.40s\" is not a point", name, v);
    return 0;
}

/* Segments (8.3.4 table 29): Position 0..1 (spread evenly when absent) and a Color. */
static int add_segments(render_ctx *r, cairo_pattern_t *pattern, const xmlNode *shd, double alpha)
{
    int count = 0;
    for (const xmlNode *s = seal_ofd_xml_child(shd, "Segment"); s;
         s = seal_ofd_xml_next(s, "Segment"))
        count++;
    if (count > SEGMENTS_MAX)
        return seal_error_set(SEAL_EFORMAT, "a shading has %d segments (at most %d)", count,
                              SEGMENTS_MAX);
    int i = 0;
    for (const xmlNode *s = seal_ofd_xml_child(shd, "Segment"); s;
         s = seal_ofd_xml_next(s, "Segment"), i++) {
        double pos, rgb[3], a;
        int rc = render_number(s, "Position", count > 1 ? (double)i / (count - 1) : 0, &pos);
        if (rc < 0)
            return rc;
        const xmlNode *color = seal_ofd_xml_child(s, "Color");
        if (!color)
            continue;
        if ((rc = colour_rgb(r, color, rgb, &a)) < 0)
            return rc;
        cairo_pattern_add_color_stop_rgba(pattern, fmin(fmax(pos, 0), 1), rgb[0], rgb[1], rgb[2],
                                          a * alpha);
    }
    return 0;
}

/* Extend (table 29): 0 none, 1 before the start, 2 after the end, 3 both. Cairo has one
 * extend for both ends, so anything but 0 extends both. MapType Repeat and Reflect map
 * to Cairo's repeat and reflect. */
static void set_extend(cairo_pattern_t *pattern, const xmlNode *shd)
{
    const char *map = render_attr(shd, "MapType");
    const char *extend = render_attr(shd, "Extend");
    if (map && strcmp(map, "Repeat") == 0)
        cairo_pattern_set_extend(pattern, CAIRO_EXTEND_REPEAT);
    else if (map && strcmp(map, "Reflect") == 0)
        cairo_pattern_set_extend(pattern, CAIRO_EXTEND_REFLECT);
    else if (extend && strcmp(extend, "0") != 0)
        cairo_pattern_set_extend(pattern, CAIRO_EXTEND_PAD);
    else
        cairo_pattern_set_extend(pattern, CAIRO_EXTEND_NONE);
}

static int shading_source(render_ctx *r, const xmlNode *shd, bool radial, double alpha)
{
    double start[2], end[2];
    int rc;
    cairo_pattern_t *pattern;
    if ((rc = read_point(shd, "StartPoint", start)) < 0 ||
        (rc = read_point(shd, "EndPoint", end)) < 0)
        return rc;
    if (radial) {
        double r0, r1;
        if ((rc = render_number(shd, "StartRadius", 0, &r0)) < 0 ||
            (rc = render_number(shd, "EndRadius", 0, &r1)) < 0)
            return rc;
        pattern =
            cairo_pattern_create_radial(start[0], start[1], fabs(r0), end[0], end[1], fabs(r1));
    } else {
        pattern = cairo_pattern_create_linear(start[0], start[1], end[0], end[1]);
    }
    rc = add_segments(r, pattern, shd, alpha);
    if (rc == 0) {
        set_extend(pattern, shd);
        cairo_set_source(r->cr, pattern);
    }
    cairo_pattern_destroy(pattern);
    return rc;
}

int render_color_source(render_ctx *r, const xmlNode *color, uint32_t fallback_rgb, double alpha,
                        bool *paints)
{
    *paints = alpha > 0;
    if (!color) {
        cairo_set_source_rgba(r->cr, ((fallback_rgb >> 16) & 0xFF) / 255.0,
                              ((fallback_rgb >> 8) & 0xFF) / 255.0, (fallback_rgb & 0xFF) / 255.0,
                              alpha);
        return 0;
    }
    const xmlNode *shd;
    if ((shd = seal_ofd_xml_child(color, "AxialShd")))
        return shading_source(r, shd, false, alpha);
    if ((shd = seal_ofd_xml_child(color, "RadialShd")))
        return shading_source(r, shd, true, alpha);
    /* Patterns and Gouraud shadings are drawn in the colour's own Value (or black). */
    double rgb[3], a;
    int rc = colour_rgb(r, color, rgb, &a);
    if (rc < 0)
        return rc;
    a *= alpha;
    *paints = a > 0;
    cairo_set_source_rgba(r->cr, rgb[0], rgb[1], rgb[2], a);
    return 0;
}
