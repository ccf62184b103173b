/* Resource files (GB/T 33190 7.9, CT_Res): fonts, multimedia, colour spaces, drawing
 * parameters and composite units, indexed by ID. A resource's file (FontFile, MediaFile)
 * is relative to the Res element's BaseLoc folder, which is relative to the resource file;
 * writers that leave BaseLoc out of the path they mean are tolerated (OFD-SEAL.md 7).
 * Render looks fonts and images up here; the first resource with an ID wins. */
#include "ofd_internal.h"

#include <seal/error.h>

#include <stdlib.h>
#include <string.h>

static bool attr_true(seal_ofd *doc, const xmlNode *node, const char *name)
{
    const char *v = ofd_attr(doc, node, name);
    return v && strcmp(v, "true") == 0;
}

/* The file a resource names: under BaseLoc, then next to the resource file, then from the
 * root. The first reading is kept when none exists (a reader then reports it missing). */
static int resource_file(seal_ofd *doc, const char **out, const char *res_path,
                         const char *base_dir, const char *ref)
{
    int rc = 0;
    char *under_base = NULL;
    if (base_dir) {
        char *anchor = g_strconcat(base_dir, "/", NULL);
        rc = seal_ofd_resolve(&under_base, anchor, ref);
        g_free(anchor);
        SEAL_TRY(rc);
        if (seal_ofd_entry_exists(doc, under_base)) {
            *out = ofd_str(doc, under_base);
            goto out;
        }
    }
    SEAL_TRY(ofd_locate(doc, out, res_path, ref));
    if (under_base && !seal_ofd_entry_exists(doc, *out))
        *out = ofd_str(doc, under_base);
out:
    free(under_base);
    return rc;
}

static int add_resource(seal_ofd *doc, GHashTable *table, const xmlNode *node,
                        seal_ofd_res_kind kind, const char *res_path, const char *base_dir)
{
    int rc = 0;
    seal_ofd_resource *r = ofd_own(doc, g_new0(seal_ofd_resource, 1));
    r->kind = kind;
    r->node = node;
    r->id = ofd_attr(doc, node, "ID");
    SEAL_ENSURE(r->id && *r->id, SEAL_EFORMAT, "%s: a <%s> has no ID", res_path,
                (const char *)node->name);
    const char *file_element = NULL;
    if (kind == SEAL_OFD_RES_FONT) {
        r->name = ofd_attr(doc, node, "FontName");
        r->family_name = ofd_attr(doc, node, "FamilyName");
        r->bold = attr_true(doc, node, "Bold");
        r->italic = attr_true(doc, node, "Italic");
        r->serif = attr_true(doc, node, "Serif");
        r->fixed_width = attr_true(doc, node, "FixedWidth");
        file_element = "FontFile";
    } else if (kind == SEAL_OFD_RES_MULTIMEDIA) {
        r->name = ofd_attr(doc, node, "Type");
        r->family_name = ofd_attr(doc, node, "Format");
        file_element = "MediaFile";
    }
    const char *file = file_element ? ofd_child_text(doc, node, file_element) : NULL;
    if (file && *file)
        SEAL_TRY(resource_file(doc, &r->file_path, res_path, base_dir, file));
    if (!g_hash_table_contains(table, r->id))
        g_hash_table_insert(table, (char *)r->id, r);
out:
    return rc;
}

int ofd_resources_load(seal_ofd *doc, GHashTable *table, const char *res_path)
{
    static const struct {
        const char *group, *item;
        seal_ofd_res_kind kind;
    } kinds[] = {
        {"Fonts", "Font", SEAL_OFD_RES_FONT},
        {"MultiMedias", "MultiMedia", SEAL_OFD_RES_MULTIMEDIA},
        {"ColorSpaces", "ColorSpace", SEAL_OFD_RES_COLORSPACE},
        {"DrawParams", "DrawParam", SEAL_OFD_RES_DRAWPARAM},
        {"CompositeGraphicUnits", "CompositeGraphicUnit", SEAL_OFD_RES_COMPOSITE},
    };
    int rc = 0;
    xmlDoc *xml = NULL;
    char *base_dir = NULL;
    SEAL_TRY(seal_ofd_entry_xml(doc, res_path, &xml));
    xmlNode *root = xmlDocGetRootElement(xml);
    SEAL_ENSURE(seal_ofd_xml_is(root, "Res"), SEAL_EFORMAT,
                "%s: the root element is <%s>, not <ofd:Res>", res_path, (const char *)root->name);
    const char *base_loc = ofd_attr(doc, root, "BaseLoc");
    if (base_loc && *base_loc)
        SEAL_TRY(seal_ofd_resolve(&base_dir, res_path, base_loc));
    for (size_t k = 0; k < G_N_ELEMENTS(kinds); k++)
        for (xmlNode *g = seal_ofd_xml_child(root, kinds[k].group); g;
             g = seal_ofd_xml_next(g, kinds[k].group))
            for (xmlNode *item = seal_ofd_xml_child(g, kinds[k].item); item;
                 item = seal_ofd_xml_next(item, kinds[k].item))
                SEAL_TRY(add_resource(doc, table, item, kinds[k].kind, res_path, base_dir));
out:
    free(base_dir);
    return rc;
}
