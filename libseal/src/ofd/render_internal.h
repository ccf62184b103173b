/* What the OFD renderer's files share (render_*.c): the drawing context of one page, the
 * inherited drawing parameters, and the pieces that turn OFD XML into Cairo calls (paths,
 * colours, fonts, images, text, seals). Not part of the public API; seal/ofd.h has it. */
#ifndef SEAL_OFD_RENDER_INTERNAL_H
#define SEAL_OFD_RENDER_INTERNAL_H

#include "ofd/ofd_xml.h"
#include "render/cairo_lazy.h"

#include <seal/buf.h>
#include <seal/ofd.h>

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Nesting of PageBlocks, composite objects and seal pictures that are themselves OFD. */
#define RENDER_MAX_DEPTH 48
/* Graphic objects drawn for one page, templates and annotations included. */
#define RENDER_MAX_OBJECTS 2000000u

/* ---- render_path.c ---- */

/* Appends the path AbbreviatedData describes (GB/T 33190 9.1 table 36) to cr's current
 * path, in cr's user space. SEAL_EFORMAT names the offset of what is wrong. */
int render_path_append(cairo_t *cr, const char *data);

/* ---- render_image.c ---- */

/* Decodes PNG, JPEG or JBIG2 (told by the bytes; `format_hint`, the declared MultiMedia
 * Format or NULL, only decides for JBIG2 streams without a file header). `what` names the
 * picture in messages. */
int render_image_decode(cairo_surface_t **out, const uint8_t *data, size_t len,
                        const char *format_hint, const char *what);

/* ---- render_font.c ---- */

typedef struct render_font render_font;

int render_font_open_embedded(render_font **out, const uint8_t *data, size_t len, const char *what);
/* The shipped seal font (seal_font_path), for fonts a document does not embed. */
int render_font_open_fallback(render_font **out);
/* For a character the fallback lacks too: the complete installed font of its typeface
 * (fonts/README.md), opened on the first call and kept with `fallback`; NULL when it is
 * not installed. */
render_font *render_font_more(render_font *fallback);
void render_font_free(render_font *font);
cairo_font_face_t *render_font_face(const render_font *font);
/* The glyph for a character, 0 when the font has none. */
unsigned long render_font_glyph(const render_font *font, uint32_t code_point);
bool render_font_has_glyph_index(const render_font *font, unsigned long glyph);

/* ---- the drawing context (render_page.c) ---- */

#define RENDER_DASH_MAX 16

/* Drawing parameters as GB/T 33190 8.2 (table 22) defines them, after inheritance: a
 * DrawParam resource (and the ones it names as Relative), then the object's own
 * attributes and colour elements. */
typedef struct render_param {
    double line_width; /* mm; default 0.353 */
    cairo_line_cap_t cap;
    cairo_line_join_t join;
    double miter_limit; /* default 3.528 */
    double dash[RENDER_DASH_MAX];
    int n_dash;
    double dash_offset;
    const xmlNode *fill_color;   /* a CT_Color element, NULL for the default */
    const xmlNode *stroke_color; /* likewise */
} render_param;

typedef struct render_ctx {
    seal_ofd *doc;
    int page;    /* 1-based page being drawn (PageRes lookups); 0 for none */
    cairo_t *cr; /* user space: millimetres of the page (or of the current object) */
    bool stamps; /* draw the seals of StampAnnot entries */
    unsigned depth;
    size_t objects;
    const char *part;          /* the package file being drawn, for messages */
    bool error_placed;         /* the failure message already names the file and object */
    render_font *fallback;     /* opened on first use */
    GHashTable *fonts;         /* font resource ID -> render_font* (NULL value: use the fallback) */
    GHashTable *images;        /* multimedia resource ID -> cairo_surface_t* */
    const xmlNode *default_cs; /* CommonData DefaultCS resource element, NULL: RGB */
    bool default_cs_read;
} render_ctx;

/* The value of an attribute (borrowed from the tree), NULL when absent. */
const char *render_attr(const xmlNode *node, const char *name);
/* An attribute as a number; `fallback` when absent. SEAL_EFORMAT when present and not a
 * finite number. */
int render_number(const xmlNode *node, const char *name, double fallback, double *out);
/* True unless the attribute says "false" (or "0"); `fallback` when absent. */
bool render_bool(const xmlNode *node, const char *name, bool fallback);

/* Looks up a resource for the page being drawn. */
int render_resource(render_ctx *r, const char *id, seal_ofd_res_kind kind,
                    const seal_ofd_resource **out);

/* Draws the graphic objects under `parent` (a Layer, PageBlock, Appearance or a
 * composite unit's Content) with the inherited parameters. */
int render_block(render_ctx *r, const xmlNode *parent, const render_param *inherited);

/* Applies what every graphic unit has (GB/T 33190 8.5 table 34): saves the state, moves
 * to the Boundary's corner and clips to it, applies Clips, then the CTM. The caller
 * restores cr when it has drawn, also when this failed. *visible is false when
 * Visible="false" or the CTM is singular. */
int render_unit_begin(render_ctx *r, const xmlNode *unit, const render_param *inherited,
                      render_param *param, double *alpha, bool *visible);

/* ---- render_color.c ---- */

void render_param_default(render_param *out);
/* Applies DrawParam resource `id` (and its Relative chain) on top of *param. */
int render_param_apply_resource(render_ctx *r, const char *id, render_param *param);
/* Applies the LineWidth, Cap, Join, MiterLimit, DashOffset and DashPattern attributes of
 * `node` (an object or a DrawParam) on top of *param. */
int render_param_apply_attrs(const xmlNode *node, render_param *param);
/* Sets cr's stroke parameters from *param. */
void render_param_set_line(cairo_t *cr, const render_param *param);

/* Sets cr's source to a CT_Color element (GB/T 33190 8.3: Value or Index in its colour
 * space, Alpha, axial and radial shadings) times `alpha` (0..1); `color` NULL sets
 * `fallback_rgb`. *paints is false when the colour is fully transparent. */
int render_color_source(render_ctx *r, const xmlNode *color, uint32_t fallback_rgb, double alpha,
                        bool *paints);

/* ---- render_text.c ---- */

/* Draws a TextObject (GB/T 33190 11) in the object space render_unit_begin set up. */
int render_text(render_ctx *r, const xmlNode *text, const render_param *param, double alpha);
/* Adds the outlines of a Text clip area to cr's path. */
int render_text_path(render_ctx *r, const xmlNode *text);
/* The font for a resource ID: the embedded file when it loads, else the fallback. */
int render_font_for(render_ctx *r, const char *id, render_font **out);
int render_font_fallback(render_ctx *r, render_font **out);

/* ---- render_stamp.c ---- */

/* Draws the seals of every StampAnnot on the page being drawn (OFD-SEAL.md 4: the seal
 * picture of the signature's SES data, in Boundary, clipped by Clip). */
int render_stamps(render_ctx *r);

/* ---- render_page.c ---- */

/* Draws page `page` (1-based) on `cr`, whose user space must be the page's millimetres
 * from its top-left corner (scale it for pixels or points first). Templates, layers,
 * annotations and, unless opts->no_stamps, the seals of StampAnnot entries are drawn;
 * nothing is painted under them. `opts` may be NULL. The PNG and PDF forms are public
 * (seal/ofd.h); this one stays here because its argument is a Cairo type. */
int seal_ofd_render_page(cairo_t *cr, seal_ofd *doc, int page, const seal_ofd_render_opts *opts);

/* Draws page `page` of `doc` on cr, whose user space is the page's millimetres with the
 * PhysicalBox corner at (0, 0); nothing is painted under the content. */
int render_page_on(cairo_t *cr, seal_ofd *doc, int page, bool stamps, unsigned depth);

#endif
