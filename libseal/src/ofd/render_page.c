/* Renders OFD pages with Cairo: the page walker and the public render API (PNG of one page,
 * PDF of the whole document). Order of drawing, GB/T 33190 7.7 and 7.8: background
 * templates, the page's layers (Background, Body, Foreground), foreground templates, the
 * page's annotations, then the seals of StampAnnot entries. Each graphic unit (8.5) is
 * moved to its Boundary, clipped by it and by its Clips, then transformed by its CTM. */
#include "ofd/ofd_internal.h" /* ofd_parse_numbers */
#include "ofd/render_internal.h"
#include "render/canvas.h"

#include <seal/error.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PT_PER_MM (72.0 / SEAL_MM_PER_INCH)

const char *render_attr(const xmlNode *node, const char *name)
{
    for (const xmlAttr *a = node ? node->properties : NULL; a; a = a->next) {
        if (a->ns == NULL && strcmp((const char *)a->name, name) == 0) {
            const xmlNode *t = a->children;
            if (!t)
                return "";
            return t->type == XML_TEXT_NODE && !t->next ? (const char *)t->content : NULL;
        }
    }
    return NULL;
}

int render_number(const xmlNode *node, const char *name, double fallback, double *out)
{
    const char *v = render_attr(node, name);
    *out = fallback;
    if (!v)
        return 0;
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
        end++;
    if (end == v || *end || errno == ERANGE || !isfinite(d))
        return seal_error_set(SEAL_EFORMAT, "%s=\"%.40s\" on <%s> is not a number", name, v,
                              (const char *)node->name);
    *out = d;
    return 0;
}

bool render_bool(const xmlNode *node, const char *name, bool fallback)
{
    const char *v = render_attr(node, name);
    if (!v)
        return fallback;
    if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        return false;
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
        return true;
    return fallback;
}

int render_resource(render_ctx *r, const char *id, seal_ofd_res_kind kind,
                    const seal_ofd_resource **out)
{
    static const char *const kinds[] = {"font", "image or other multimedia", "colour space",
                                        "drawing parameter", "composite graphic unit"};
    int rc = seal_ofd_resource_find(r->doc, r->page, id, out);
    if (rc == SEAL_ENOTFOUND)
        return seal_error_set(SEAL_EFORMAT, "no resource has ID %s (wanted a %s)", id, kinds[kind]);
    if (rc < 0)
        return rc;
    if ((*out)->kind != kind)
        return seal_error_set(SEAL_EFORMAT, "resource %s is not a %s", id, kinds[kind]);
    return 0;
}

static bool matrix_usable(const double m[6])
{
    double det = m[0] * m[3] - m[1] * m[2];
    for (int i = 0; i < 6; i++)
        if (!isfinite(m[i]) || fabs(m[i]) > 1e6)
            return false;
    return fabs(det) > 1e-12;
}

/* Applies a CTM attribute "a b c d e f" (x' = a x + c y + e, y' = b x + d y + f, GB/T 33190
 * 8.1). A singular matrix draws nothing, which *visible reports. */
static int apply_ctm(render_ctx *r, const xmlNode *node, bool *visible)
{
    const char *text = render_attr(node, "CTM");
    double m[6];
    if (!text)
        return 0;
    int rc = seal_ofd_parse_matrix(m, text);
    if (rc < 0)
        return seal_error_wrap(rc, "<%s> CTM", (const char *)node->name);
    if (!matrix_usable(m)) {
        *visible = false;
        return 0;
    }
    cairo_matrix_t cm;
    cairo_matrix_init(&cm, m[0], m[1], m[2], m[3], m[4], m[5]);
    cairo_transform(r->cr, &cm);
    return 0;
}

/* Boundary (table 34) is "x y w h" in the parent's space; absent, the object is not moved
 * or clipped. Some writers give a negative width or height for a box that extends left or
 * up from (x, y) (rotated watermarks); Cairo clips to such a box as well. */
static int read_boundary(const xmlNode *node, seal_ofd_box *box, bool *present)
{
    const char *text = render_attr(node, "Boundary");
    double v[4];
    *present = text != NULL;
    memset(box, 0, sizeof *box);
    if (!text)
        return 0;
    int rc = ofd_parse_numbers(v, 4, text, "Boundary");
    if (rc < 0)
        return rc;
    for (int i = 0; i < 4; i++)
        if (fabs(v[i]) > 1e6)
            return seal_error_set(SEAL_EFORMAT, "Boundary \"%.60s\" is out of range", text);
    *box = (seal_ofd_box){v[0], v[1], v[2], v[3]};
    return 0;
}

static int path_text(render_ctx *r, const xmlNode *path)
{
    const xmlNode *data = seal_ofd_xml_child(path, "AbbreviatedData");
    if (!data)
        return seal_error_set(SEAL_EFORMAT, "a <%s> has no AbbreviatedData",
                              (const char *)path->name);
    char *text = seal_ofd_xml_text(data);
    if (!text)
        return seal_error_set(SEAL_ENOMEM, "out of memory");
    int rc = render_path_append(r->cr, text);
    free(text);
    if (rc < 0)
        return rc;
    return 0;
}

/* One Clip (8.4 table 33): the union of its Areas, each a Path or Text in the object's
 * space with its own CTM. The Areas' outlines go into one path filled by the non-zero
 * rule, which is their union unless outlines of opposite direction overlap. */
static int apply_clip(render_ctx *r, const xmlNode *clip)
{
    cairo_t *cr = r->cr;
    cairo_new_path(cr);
    for (const xmlNode *area = seal_ofd_xml_child(clip, "Area"); area;
         area = seal_ofd_xml_next(area, "Area")) {
        bool visible = true;
        int rc = 0;
        cairo_matrix_t saved;
        cairo_get_matrix(cr, &saved);
        if ((rc = apply_ctm(r, area, &visible)) < 0)
            return rc;
        const xmlNode *shape = seal_ofd_xml_child(area, "Path");
        const xmlNode *text = seal_ofd_xml_child(area, "Text");
        if (visible && shape) {
            seal_ofd_box box;
            bool has_box;
            if ((rc = read_boundary(shape, &box, &has_box)) < 0)
                return rc;
            cairo_translate(cr, box.x, box.y);
            if ((rc = apply_ctm(r, shape, &visible)) < 0)
                return rc;
            if (visible && (rc = path_text(r, shape)) < 0)
                return rc;
        } else if (visible && text) {
            if ((rc = render_text_path(r, text)) < 0)
                return rc;
        }
        cairo_set_matrix(cr, &saved);
    }
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
    cairo_clip(cr);
    return 0;
}

int render_unit_begin(render_ctx *r, const xmlNode *unit, const render_param *inherited,
                      render_param *param, double *alpha, bool *visible)
{
    int rc;
    seal_ofd_box box;
    bool has_box;
    const char *dp;
    const xmlNode *c;

    /* Saved first, so that the caller's cairo_restore balances it whatever fails. */
    cairo_save(r->cr);
    *visible = render_bool(unit, "Visible", true);
    *param = *inherited;
    if ((dp = render_attr(unit, "DrawParam")) && *dp &&
        (rc = render_param_apply_resource(r, dp, param)) < 0)
        return rc;
    if ((rc = render_param_apply_attrs(unit, param)) < 0)
        return rc;
    if ((c = seal_ofd_xml_child(unit, "FillColor")))
        param->fill_color = c;
    if ((c = seal_ofd_xml_child(unit, "StrokeColor")))
        param->stroke_color = c;
    double a;
    if ((rc = render_number(unit, "Alpha", 255, &a)) < 0)
        return rc;
    *alpha = fmin(fmax(a, 0), 255) / 255.0;
    if ((rc = read_boundary(unit, &box, &has_box)) < 0)
        return rc;

    cairo_translate(r->cr, box.x, box.y);
    /* Table 34: what is drawn outside the Boundary is clipped. A Boundary without area
     * (writers put 0 0 0 0 for "unknown") clips nothing. */
    if (has_box && box.w != 0 && box.h != 0) {
        cairo_rectangle(r->cr, 0, 0, box.w, box.h);
        cairo_clip(r->cr);
    }
    /* Several Clip elements: the drawing area is their intersection (8.4). */
    const xmlNode *clips = seal_ofd_xml_child(unit, "Clips");
    for (const xmlNode *clip = clips ? seal_ofd_xml_child(clips, "Clip") : NULL; clip;
         clip = seal_ofd_xml_next(clip, "Clip"))
        if ((rc = apply_clip(r, clip)) < 0)
            return rc;
    return apply_ctm(r, unit, visible);
}

static int fill_and_stroke(render_ctx *r, const xmlNode *obj, const render_param *param,
                           double alpha)
{
    cairo_t *cr = r->cr;
    int rc;
    bool paints;
    const char *rule = render_attr(obj, "Rule");
    cairo_set_fill_rule(cr, rule && strcmp(rule, "Even-Odd") == 0 ? CAIRO_FILL_RULE_EVEN_ODD
                                                                  : CAIRO_FILL_RULE_WINDING);
    /* Table 35: Fill defaults to false, Stroke to true; the fill colour defaults to
     * transparent, the stroke colour to black. */
    if (render_bool(obj, "Fill", false) && param->fill_color) {
        if ((rc = render_color_source(r, param->fill_color, 0, alpha, &paints)) < 0)
            return rc;
        if (paints)
            cairo_fill_preserve(cr);
    }
    if (render_bool(obj, "Stroke", true)) {
        if ((rc = render_color_source(r, param->stroke_color, 0x000000, alpha, &paints)) < 0)
            return rc;
        render_param_set_line(cr, param);
        if (paints)
            cairo_stroke_preserve(cr);
    }
    cairo_new_path(cr);
    return 0;
}

static int draw_path(render_ctx *r, const xmlNode *obj, const render_param *param, double alpha)
{
    cairo_new_path(r->cr);
    int rc = path_text(r, obj);
    if (rc < 0)
        return rc;
    return fill_and_stroke(r, obj, param, alpha);
}

static void drop_surface(void *surface)
{
    cairo_surface_destroy(surface);
}

/* ImageObject (10.2): the picture fills the unit square of the object's space after its
 * CTM; the CTM is what gives it its size. */
static int draw_image(render_ctx *r, const xmlNode *obj, double alpha)
{
    const char *id = render_attr(obj, "ResourceID");
    int rc;
    if (!id || !*id)
        return seal_error_set(SEAL_EFORMAT, "an ImageObject has no ResourceID");
    cairo_surface_t *surface = g_hash_table_lookup(r->images, id);
    if (!surface) {
        const seal_ofd_resource *res;
        seal_slice bytes;
        if ((rc = render_resource(r, id, SEAL_OFD_RES_MULTIMEDIA, &res)) < 0)
            return rc;
        if (!res->file_path)
            return seal_error_set(SEAL_EFORMAT, "image resource %s names no MediaFile", id);
        if ((rc = seal_ofd_entry_read(r->doc, res->file_path, &bytes)) < 0)
            return seal_error_wrap(rc, "image resource %s", id);
        char what[300];
        snprintf(what, sizeof what, "image %s (resource %s)", res->file_path, id);
        if ((rc = render_image_decode(&surface, bytes.data, bytes.len, res->family_name, what)) < 0)
            return rc;
        g_hash_table_insert(r->images, g_strdup(id), surface);
    }
    int w = cairo_image_surface_get_width(surface);
    int h = cairo_image_surface_get_height(surface);
    cairo_t *cr = r->cr;
    cairo_rectangle(cr, 0, 0, 1, 1);
    cairo_clip(cr);
    cairo_scale(cr, 1.0 / w, 1.0 / h);
    cairo_set_source_surface(cr, surface, 0, 0);
    cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD);
    cairo_paint_with_alpha(cr, alpha);
    return 0;
}

/* CompositeObject (13): draws the Content of a CompositeGraphicUnit resource. */
static int draw_composite(render_ctx *r, const xmlNode *obj, const render_param *param)
{
    const char *id = render_attr(obj, "ResourceID");
    const seal_ofd_resource *res;
    int rc;
    if (!id || !*id)
        return seal_error_set(SEAL_EFORMAT, "a CompositeObject has no ResourceID");
    if ((rc = render_resource(r, id, SEAL_OFD_RES_COMPOSITE, &res)) < 0)
        return rc;
    const xmlNode *content = seal_ofd_xml_child(res->node, "Content");
    return content ? render_block(r, content, param) : 0;
}

static int draw_object(render_ctx *r, const xmlNode *obj, const render_param *inherited)
{
    render_param param;
    double alpha;
    bool visible;
    int rc;
    bool path = seal_ofd_xml_is(obj, "PathObject"), text = seal_ofd_xml_is(obj, "TextObject"),
         image = seal_ofd_xml_is(obj, "ImageObject"),
         composite = seal_ofd_xml_is(obj, "CompositeObject"),
         block = seal_ofd_xml_is(obj, "PageBlock");

    if (!path && !text && !image && !composite && !block)
        return 0; /* Actions, extensions and whatever a later edition adds */
    if (++r->objects > RENDER_MAX_OBJECTS)
        return seal_error_set(SEAL_EPOLICY, "the page has more than %u graphic objects",
                              RENDER_MAX_OBJECTS);
    if (block) /* a PageBlock (table 16) only groups; it has no Boundary of its own */
        return render_block(r, obj, inherited);

    if (composite && r->depth + 1 > RENDER_MAX_DEPTH)
        return seal_error_set(SEAL_EFORMAT, "composite objects nest deeper than %d",
                              RENDER_MAX_DEPTH);
    rc = render_unit_begin(r, obj, inherited, &param, &alpha, &visible);
    if (rc == 0 && visible) {
        if (path)
            rc = draw_path(r, obj, &param, alpha);
        else if (text)
            rc = render_text(r, obj, &param, alpha);
        else if (image)
            rc = draw_image(r, obj, alpha);
        else
            rc = draw_composite(r, obj, &param);
    }
    cairo_restore(r->cr);
    if (rc < 0 && !r->error_placed) {
        /* Said once, at the innermost object: the file and the object's ID. */
        const char *id = render_attr(obj, "ID");
        r->error_placed = true;
        seal_error_wrap(rc, "%s, %s %s", r->part, (const char *)obj->name, id ? id : "without ID");
    }
    return rc;
}

int render_block(render_ctx *r, const xmlNode *parent, const render_param *inherited)
{
    if (++r->depth > RENDER_MAX_DEPTH) {
        r->depth--;
        return seal_error_set(SEAL_EFORMAT, "page blocks nest deeper than %d", RENDER_MAX_DEPTH);
    }
    int rc = 0;
    for (const xmlNode *obj = seal_ofd_xml_child(parent, NULL); obj && rc == 0;
         obj = seal_ofd_xml_next(obj, NULL))
        rc = draw_object(r, obj, inherited);
    if (rc == 0 && cairo_status(r->cr) != CAIRO_STATUS_SUCCESS)
        rc = seal_error_set(SEAL_ENOMEM, "drawing failed: %s",
                            cairo_status_to_string(cairo_status(r->cr)));
    r->depth--;
    return rc;
}

/* Layer Type (table 15): Background, Body (the default; Custom is drawn with it), then
 * Foreground. */
static int layer_rank(const xmlNode *layer)
{
    const char *type = render_attr(layer, "Type");
    if (type && strcmp(type, "Background") == 0)
        return 0;
    if (type && strcmp(type, "Foreground") == 0)
        return 2;
    return 1;
}

/* Draws the Content layers of a page or template file. */
static int draw_content(render_ctx *r, const char *path)
{
    xmlDoc *xml;
    int rc = seal_ofd_entry_xml(r->doc, path, &xml);
    if (rc < 0)
        return rc;
    const char *saved_part = r->part;
    r->part = path;
    const xmlNode *content = seal_ofd_xml_child(xmlDocGetRootElement(xml), "Content");
    for (int rank = 0; rank < 3 && content && rc == 0; rank++) {
        for (const xmlNode *layer = seal_ofd_xml_child(content, "Layer"); layer && rc == 0;
             layer = seal_ofd_xml_next(layer, "Layer")) {
            if (layer_rank(layer) != rank)
                continue;
            render_param param;
            render_param_default(&param);
            const char *dp = render_attr(layer, "DrawParam");
            if (dp && *dp && (rc = render_param_apply_resource(r, dp, &param)) < 0)
                break;
            rc = render_block(r, layer, &param);
        }
    }
    if (rc < 0 && !r->error_placed) {
        r->error_placed = true;
        seal_error_wrap(rc, "%s", path);
    }
    r->part = saved_part;
    return rc;
}

/* The page's annotations (GB/T 33190 15): each visible Annot's Appearance, a page block
 * placed at its Boundary. */
static int draw_annotations(render_ctx *r, const char *path)
{
    xmlDoc *xml;
    int rc = seal_ofd_entry_xml(r->doc, path, &xml);
    if (rc < 0)
        return rc;
    const char *saved_part = r->part;
    r->part = path;
    render_param param;
    render_param_default(&param);
    for (const xmlNode *annot = seal_ofd_xml_child(xmlDocGetRootElement(xml), "Annot");
         annot && rc == 0; annot = seal_ofd_xml_next(annot, "Annot")) {
        if (!render_bool(annot, "Visible", true))
            continue;
        for (const xmlNode *app = seal_ofd_xml_child(annot, "Appearance"); app && rc == 0;
             app = seal_ofd_xml_next(app, "Appearance")) {
            seal_ofd_box box;
            bool has_box;
            if ((rc = read_boundary(app, &box, &has_box)) < 0)
                break;
            cairo_save(r->cr);
            cairo_translate(r->cr, box.x, box.y);
            if (has_box && box.w != 0 && box.h != 0) {
                cairo_rectangle(r->cr, 0, 0, box.w, box.h);
                cairo_clip(r->cr);
            }
            rc = render_block(r, app, &param);
            cairo_restore(r->cr);
        }
    }
    if (rc < 0 && !r->error_placed) {
        r->error_placed = true;
        seal_error_wrap(rc, "%s", path);
    }
    r->part = saved_part;
    return rc;
}

static int draw_templates(render_ctx *r, const seal_ofd_page *page, seal_ofd_zorder zorder)
{
    for (size_t i = 0; i < page->n_templates; i++) {
        const seal_ofd_page_template *t = &page->templates[i];
        if (t->zorder != zorder || !t->tpl || !t->tpl->content_path)
            continue;
        int rc = draw_content(r, t->tpl->content_path);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int render_page_on(cairo_t *cr, seal_ofd *doc, int number, bool stamps, unsigned depth)
{
    int rc = 0;
    const seal_ofd_page *page;
    render_ctx r = {
        .doc = doc,
        .page = number,
        .cr = cr,
        .stamps = stamps,
        .depth = depth,
        .part = "the page",
    };

    SEAL_TRY(seal_ofd_page_get(doc, number, &page));
    r.fonts =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)render_font_free);
    r.images = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, drop_surface);
    cairo_save(cr);
    cairo_translate(cr, -page->physical_box.x, -page->physical_box.y);
    rc = draw_templates(&r, page, SEAL_OFD_ZORDER_BACKGROUND);
    if (rc == 0)
        rc = draw_templates(&r, page, SEAL_OFD_ZORDER_BODY);
    if (rc == 0)
        rc = draw_content(&r, page->content_path);
    if (rc == 0)
        rc = draw_templates(&r, page, SEAL_OFD_ZORDER_FOREGROUND);
    if (rc == 0 && page->annotation_path)
        rc = draw_annotations(&r, page->annotation_path);
    if (rc == 0 && stamps)
        rc = render_stamps(&r);
    cairo_restore(cr);
    if (rc == 0 && cairo_status(cr) != CAIRO_STATUS_SUCCESS)
        rc = seal_error_set(SEAL_ENOMEM, "drawing page %d failed: %s", number,
                            cairo_status_to_string(cairo_status(cr)));
    if (rc < 0)
        seal_error_wrap(rc, "page %d", number);
out:
    if (r.fonts)
        g_hash_table_destroy(r.fonts);
    if (r.images)
        g_hash_table_destroy(r.images);
    render_font_free(r.fallback);
    return rc;
}

/* ---- public API (seal/ofd.h, render section) ---- */

static bool draw_stamps(const seal_ofd_render_opts *opts)
{
    return !opts || !opts->no_stamps;
}

int seal_ofd_render_page(cairo_t *cr, seal_ofd *doc, int page, const seal_ofd_render_opts *opts)
{
    if (!cr || !doc)
        return seal_error_set(SEAL_EINVAL, "nothing to render");
    /* The caller made cr with Cairo, but perhaps not through libseal's table. */
    int rc = render_cairo_load();
    if (rc < 0)
        return rc;
    return render_page_on(cr, doc, page, draw_stamps(opts), 0);
}

int seal_ofd_render_page_png(seal_buf *png, seal_ofd *doc, int page,
                             const seal_ofd_render_opts *opts)
{
    int rc = 0;
    seal_render_canvas canvas = {0};
    double width_mm, height_mm;

    SEAL_ENSURE(png && doc, SEAL_EINVAL, "nothing to render");
    SEAL_TRY(seal_ofd_page_size_mm(doc, page, &width_mm, &height_mm));
    SEAL_TRY(seal_render_canvas_new(&canvas, width_mm, height_mm, opts ? opts->dpi : 0,
                                    SEAL_MM_PER_INCH));
    SEAL_TRY(render_page_on(canvas.cr, doc, page, draw_stamps(opts), 0));
    SEAL_TRY(seal_render_canvas_png(&canvas, page, png));
out:
    seal_render_canvas_free(&canvas);
    return rc;
}

int seal_ofd_render_pdf(seal_buf *pdf, seal_ofd *doc, const seal_ofd_render_opts *opts)
{
    int rc = 0;
    cairo_surface_t *surface = NULL;
    cairo_t *cr = NULL;
    seal_buf out = SEAL_BUF_INIT;

    SEAL_ENSURE(pdf && doc, SEAL_EINVAL, "nothing to render");
    int pages = seal_ofd_page_count(doc);
    SEAL_ENSURE(pages > 0, SEAL_EFORMAT, "the document has no pages");
    SEAL_TRY(render_cairo_load());
    /* Page sizes come per page; the first one is set again below. */
    surface = cairo_pdf_surface_create_for_stream(seal_render_write_buf, &out, 595, 842);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "sealsvc");
    cr = cairo_create(surface);
    SEAL_ENSURE(cairo_status(cr) == CAIRO_STATUS_SUCCESS, SEAL_ENOMEM, "could not start a PDF: %s",
                cairo_status_to_string(cairo_status(cr)));
    for (int n = 1; n <= pages; n++) {
        double width_mm, height_mm;
        SEAL_TRY(seal_ofd_page_size_mm(doc, n, &width_mm, &height_mm));
        /* ISO 32000-1 annex C: a page is at most 14 400 units (200 inches) on a side. */
        SEAL_ENSURE(width_mm > 0 && height_mm > 0 && width_mm <= 5080 && height_mm <= 5080,
                    SEAL_EPOLICY, "page %d is %g x %g mm; a PDF page is at most 5080 mm a side", n,
                    width_mm, height_mm);
        cairo_pdf_surface_set_size(surface, width_mm * PT_PER_MM, height_mm * PT_PER_MM);
        cairo_save(cr);
        cairo_scale(cr, PT_PER_MM, PT_PER_MM);
        rc = render_page_on(cr, doc, n, draw_stamps(opts), 0);
        cairo_restore(cr);
        if (rc < 0)
            goto out;
        cairo_show_page(cr);
    }
    cairo_destroy(cr);
    cr = NULL;
    cairo_surface_finish(surface);
    cairo_status_t status = cairo_surface_status(surface);
    SEAL_ENSURE(status == CAIRO_STATUS_SUCCESS, SEAL_ENOMEM, "could not write the PDF: %s",
                cairo_status_to_string(status));
    seal_buf_clear(pdf);
    *pdf = out;
    out = (seal_buf)SEAL_BUF_INIT;
out:
    cairo_destroy(cr);
    if (surface) {
        cairo_surface_finish(surface);
        cairo_surface_destroy(surface);
    }
    seal_buf_clear(&out);
    return rc;
}
