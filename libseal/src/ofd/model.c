/* The document model (GB/T 33190 7.3-7.7): OFD.xml -> DocBody -> DocRoot (Document.xml)
 * -> CommonData (PageArea, MaxUnitID, templates, resource files), the pages in order with
 * their content files, Annotations.xml and its per-page files. Page content is read on
 * first use (for the page's own Area, templates and PageRes); the rest at open. A package
 * may hold several documents (DocBody elements): the model reads one at a time, the
 * first at open, another after seal_ofd_select_document. */
#include "ofd_internal.h"

#include <seal/error.h>

#include <stdlib.h>
#include <string.h>

static seal_ofd_zorder parse_zorder(const char *text, seal_ofd_zorder fallback)
{
    if (!text)
        return fallback;
    if (strcmp(text, "Foreground") == 0)
        return SEAL_OFD_ZORDER_FOREGROUND;
    if (strcmp(text, "Body") == 0)
        return SEAL_OFD_ZORDER_BODY;
    return SEAL_OFD_ZORDER_BACKGROUND;
}

static int read_box(seal_ofd_box *out, const char *text, const char *what)
{
    int rc = seal_ofd_parse_box(out, text);
    return rc < 0 ? seal_error_wrap(rc, "%s", what) : 0;
}

/* PageArea / Area (GB/T 33190 Table 7, CT_PageArea): PhysicalBox, ApplicationBox... */
static int read_area(const xmlNode *area, seal_ofd_box *physical, seal_ofd_box *application,
                     bool *has_physical, bool *has_application, const char *where)
{
    int rc = 0;
    char *text = NULL;
    xmlNode *box = seal_ofd_xml_child(area, "PhysicalBox");
    if (box) {
        text = seal_ofd_xml_text(box);
        SEAL_TRY(read_box(physical, text, where));
        SEAL_ENSURE(physical->w > 0 && physical->h > 0, SEAL_EFORMAT,
                    "%s: PhysicalBox \"%s\" has no area", where, text);
        *has_physical = true;
        free(text);
        text = NULL;
    }
    box = seal_ofd_xml_child(area, "ApplicationBox");
    if (box) {
        text = seal_ofd_xml_text(box);
        SEAL_TRY(read_box(application, text, where));
        *has_application = true;
    }
out:
    free(text);
    return rc;
}

/* OFD.xml (GB/T 33190 7.4): the `number`th DocBody's DocRoot and Signatures. */
static int read_ofd_xml(seal_ofd *doc, int number, const char **doc_root_ref,
                        const char **signatures_ref)
{
    int rc = 0;
    xmlDoc *xml = NULL;
    SEAL_ENSURE(seal_ofd_entry_exists(doc, "OFD.xml"), SEAL_EFORMAT,
                "not an OFD package: it has no OFD.xml at its root (GB/T 33190 7.3)");
    SEAL_TRY(seal_ofd_entry_xml(doc, "OFD.xml", &xml));
    xmlNode *root = xmlDocGetRootElement(xml);
    SEAL_ENSURE(seal_ofd_xml_is(root, "OFD"), SEAL_EFORMAT,
                "OFD.xml: the root element is <%s>, not <ofd:OFD>", (const char *)root->name);
    doc->info.ofd_version = ofd_attr(doc, root, "Version");
    if (!doc->info.ofd_version)
        doc->info.ofd_version = "";
    xmlNode *body = NULL;
    doc->info.n_doc_bodies = 0;
    for (xmlNode *b = seal_ofd_xml_child(root, "DocBody"); b; b = seal_ofd_xml_next(b, "DocBody"))
        if (++doc->info.n_doc_bodies == (size_t)number)
            body = b;
    SEAL_ENSURE(doc->info.n_doc_bodies > 0, SEAL_EFORMAT,
                "OFD.xml has no DocBody: the package holds no document");
    SEAL_ENSURE(body, SEAL_ENOTFOUND, "document %d does not exist (the package holds %zu %s)",
                number, doc->info.n_doc_bodies,
                doc->info.n_doc_bodies == 1 ? "document" : "documents");
    doc->info.document = number;
    *doc_root_ref = ofd_child_text(doc, body, "DocRoot");
    SEAL_ENSURE(*doc_root_ref && **doc_root_ref, SEAL_EFORMAT,
                "OFD.xml: DocBody %d has no DocRoot naming the document", number);
    *signatures_ref = ofd_child_text(doc, body, "Signatures");
out:
    return rc;
}

static int read_templates(seal_ofd *doc, const xmlNode *common)
{
    int rc = 0;
    doc->templates = g_array_new(FALSE, TRUE, sizeof(seal_ofd_template));
    for (xmlNode *t = seal_ofd_xml_child(common, "TemplatePage"); t;
         t = seal_ofd_xml_next(t, "TemplatePage")) {
        seal_ofd_template tpl = {0};
        tpl.id = ofd_attr(doc, t, "ID");
        const char *loc = ofd_attr(doc, t, "BaseLoc");
        SEAL_ENSURE(tpl.id && loc, SEAL_EFORMAT, "%s: a TemplatePage lacks its ID or BaseLoc",
                    doc->info.document_path);
        SEAL_TRY(ofd_locate(doc, &tpl.content_path, doc->info.document_path, loc));
        tpl.zorder = parse_zorder(ofd_attr(doc, t, "ZOrder"), SEAL_OFD_ZORDER_BACKGROUND);
        g_array_append_val(doc->templates, tpl);
    }
out:
    return rc;
}

static int read_pages(seal_ofd *doc, const xmlNode *pages)
{
    int rc = 0;
    size_t n = 0;
    for (xmlNode *p = seal_ofd_xml_child(pages, "Page"); p; p = seal_ofd_xml_next(p, "Page"))
        n++;
    SEAL_ENSURE(n <= doc->limits.max_pages, SEAL_EPOLICY,
                "the document has %zu pages, more than the limit of %zu", n, doc->limits.max_pages);
    doc->pages = g_new0(ofd_page, n ? n : 1);
    for (xmlNode *p = seal_ofd_xml_child(pages, "Page"); p; p = seal_ofd_xml_next(p, "Page")) {
        ofd_page *page = &doc->pages[doc->n_pages];
        page->pub.number = (int)doc->n_pages + 1;
        page->pub.id = ofd_attr(doc, p, "ID");
        const char *loc = ofd_attr(doc, p, "BaseLoc");
        SEAL_ENSURE(loc && *loc, SEAL_EFORMAT, "%s: page %d has no BaseLoc",
                    doc->info.document_path, page->pub.number);
        if (!page->pub.id)
            page->pub.id = "";
        SEAL_TRY(ofd_locate(doc, &page->pub.content_path, doc->info.document_path, loc));
        page->pub.physical_box = doc->info.physical_box;
        page->pub.application_box = doc->info.application_box;
        doc->n_pages++;
    }
out:
    return rc;
}

/* Annotations.xml (GB/T 33190 15.1): per page, a FileLoc relative to Annotations.xml. */
static int read_annotations(seal_ofd *doc)
{
    int rc = 0;
    xmlDoc *xml = NULL;
    const char *path = doc->info.annotations_path;
    if (!path || !seal_ofd_entry_exists(doc, path))
        return 0;
    SEAL_TRY(seal_ofd_entry_xml(doc, path, &xml));
    xmlNode *root = xmlDocGetRootElement(xml);
    SEAL_ENSURE(seal_ofd_xml_is(root, "Annotations"), SEAL_EFORMAT,
                "%s: the root element is <%s>, not <ofd:Annotations>", path,
                (const char *)root->name);
    for (xmlNode *p = seal_ofd_xml_child(root, "Page"); p; p = seal_ofd_xml_next(p, "Page")) {
        const char *page_id = ofd_attr(doc, p, "PageID");
        const char *loc = ofd_child_text(doc, p, "FileLoc");
        int number = seal_ofd_page_by_id(doc, page_id);
        if (!loc || !*loc || number == 0)
            continue;
        SEAL_TRY(ofd_locate(doc, &doc->pages[number - 1].pub.annotation_path, path, loc));
    }
out:
    return rc;
}

static int read_resource_files(seal_ofd *doc, const xmlNode *common, const char *element)
{
    int rc = 0;
    for (xmlNode *r = seal_ofd_xml_child(common, element); r; r = seal_ofd_xml_next(r, element)) {
        char *ref = seal_ofd_xml_text(r);
        const char *path = NULL;
        rc = ofd_locate(doc, &path, doc->info.document_path, ref);
        free(ref);
        SEAL_TRY(rc);
        if (seal_ofd_entry_exists(doc, path))
            SEAL_TRY(ofd_resources_load(doc, doc->resources, path));
    }
out:
    return rc;
}

static int read_document(seal_ofd *doc)
{
    int rc = 0;
    xmlDoc *xml = NULL;
    const char *path = doc->info.document_path;
    SEAL_ENSURE(seal_ofd_entry_exists(doc, path), SEAL_EFORMAT,
                "OFD.xml names the document %s, which the package does not contain", path);
    SEAL_TRY(seal_ofd_entry_xml(doc, path, &xml));
    xmlNode *root = xmlDocGetRootElement(xml);
    SEAL_ENSURE(seal_ofd_xml_is(root, "Document"), SEAL_EFORMAT,
                "%s: the root element is <%s>, not <ofd:Document>", path, (const char *)root->name);
    xmlNode *common = seal_ofd_xml_child(root, "CommonData");
    SEAL_ENSURE(common, SEAL_EFORMAT, "%s has no CommonData", path);
    doc->info.max_unit_id = ofd_child_text(doc, common, "MaxUnitID");
    if (!doc->info.max_unit_id)
        doc->info.max_unit_id = "";
    bool has_physical = false, has_application = false;
    xmlNode *area = seal_ofd_xml_child(common, "PageArea");
    if (area)
        SEAL_TRY(read_area(area, &doc->info.physical_box, &doc->info.application_box, &has_physical,
                           &has_application, "Document.xml PageArea"));
    if (!has_application)
        doc->info.application_box = doc->info.physical_box;
    SEAL_TRY(read_templates(doc, common));
    SEAL_TRY(read_resource_files(doc, common, "DocumentRes"));
    SEAL_TRY(read_resource_files(doc, common, "PublicRes"));
    xmlNode *pages = seal_ofd_xml_child(root, "Pages");
    SEAL_ENSURE(pages, SEAL_EFORMAT, "%s has no Pages", path);
    SEAL_TRY(read_pages(doc, pages));
    const char *annots = ofd_child_text(doc, root, "Annotations");
    if (annots && *annots)
        SEAL_TRY(ofd_locate(doc, &doc->info.annotations_path, path, annots));
    const char *attachs = ofd_child_text(doc, root, "Attachments");
    if (attachs && *attachs)
        SEAL_TRY(ofd_locate(doc, &doc->info.attachments_path, path, attachs));
    SEAL_TRY(read_annotations(doc));
out:
    return rc;
}

int ofd_model_load(seal_ofd *doc, int number)
{
    int rc = 0;
    const char *doc_root = NULL, *signatures = NULL;
    doc->resources = g_hash_table_new(g_str_hash, g_str_equal);
    SEAL_TRY(read_ofd_xml(doc, number, &doc_root, &signatures));
    SEAL_TRY(ofd_locate(doc, &doc->info.document_path, "OFD.xml", doc_root));
    if (signatures && *signatures)
        SEAL_TRY(ofd_locate(doc, &doc->info.signatures_path, "OFD.xml", signatures));
    SEAL_TRY(read_document(doc));
    SEAL_TRY(ofd_signatures_load(doc));
out:
    return rc;
}

int ofd_body_signatures(seal_ofd *doc, int number, const char **out)
{
    int rc = 0;
    xmlDoc *xml = NULL;
    int n = 0;
    *out = NULL;
    SEAL_TRY(seal_ofd_entry_xml(doc, "OFD.xml", &xml));
    for (xmlNode *b = seal_ofd_xml_child(xmlDocGetRootElement(xml), "DocBody"); b;
         b = seal_ofd_xml_next(b, "DocBody")) {
        if (++n != number)
            continue;
        const char *ref = ofd_child_text(doc, b, "Signatures");
        if (ref && *ref)
            SEAL_TRY(ofd_locate(doc, out, "OFD.xml", ref));
        break;
    }
out:
    return rc;
}

void ofd_model_clear(seal_ofd *doc)
{
    for (size_t i = 0; i < doc->n_pages; i++) {
        if (doc->pages[i].templates)
            g_array_free(doc->pages[i].templates, TRUE);
        if (doc->pages[i].resources)
            g_hash_table_destroy(doc->pages[i].resources);
    }
    g_free(doc->pages);
    doc->pages = NULL;
    doc->n_pages = 0;
    if (doc->templates)
        g_array_free(doc->templates, TRUE);
    if (doc->resources)
        g_hash_table_destroy(doc->resources);
    if (doc->signatures)
        g_array_free(doc->signatures, TRUE);
    doc->templates = NULL;
    doc->resources = NULL;
    doc->signatures = NULL;
    memset(&doc->info, 0, sizeof doc->info);
}

int seal_ofd_select_document(seal_ofd *doc, int number)
{
    if (!doc)
        return seal_error_set(SEAL_EINVAL, "no document");
    if (number == doc->info.document)
        return 0;
    if (number < 1 || (size_t)number > doc->info.n_doc_bodies)
        return seal_error_set(
            SEAL_ENOTFOUND, "document %d does not exist (the package holds %zu %s)", number,
            doc->info.n_doc_bodies, doc->info.n_doc_bodies == 1 ? "document" : "documents");
    int was = doc->info.document;
    ofd_model_clear(doc);
    int rc = ofd_model_load(doc, number);
    if (rc < 0) {
        /* Back to the document that was read before, which loaded then. */
        char *why = g_strdup(seal_error_last());
        ofd_model_clear(doc);
        ofd_model_load(doc, was);
        rc = seal_error_set(rc, "document %d: %s", number, why);
        g_free(why);
    }
    return rc;
}

const seal_ofd_doc_info *seal_ofd_info(const seal_ofd *doc)
{
    return doc ? &doc->info : NULL;
}

int seal_ofd_page_count(const seal_ofd *doc)
{
    return doc ? (int)doc->n_pages : 0;
}

int seal_ofd_page_by_id(const seal_ofd *doc, const char *id)
{
    if (!doc || !id || !*id)
        return 0;
    for (size_t i = 0; i < doc->n_pages; i++)
        if (strcmp(doc->pages[i].pub.id, id) == 0)
            return (int)i + 1;
    /* IDs are ST_ID numbers (GB/T 33190 Table 2); "01" and "1" name the same page. */
    char *end = NULL;
    unsigned long want = strtoul(id, &end, 10);
    if (end == id || *end)
        return 0;
    for (size_t i = 0; i < doc->n_pages; i++) {
        const char *pid = doc->pages[i].pub.id;
        unsigned long have = strtoul(pid, &end, 10);
        if (end != pid && !*end && have == want)
            return (int)i + 1;
    }
    return 0;
}

size_t seal_ofd_template_count(const seal_ofd *doc)
{
    return doc && doc->templates ? doc->templates->len : 0;
}

const seal_ofd_template *seal_ofd_template_at(const seal_ofd *doc, size_t index)
{
    if (!doc || !doc->templates || index >= doc->templates->len)
        return NULL;
    return &g_array_index(doc->templates, seal_ofd_template, index);
}

static const seal_ofd_template *template_by_id(const seal_ofd *doc, const char *id)
{
    for (size_t i = 0; id && i < seal_ofd_template_count(doc); i++) {
        const seal_ofd_template *t = seal_ofd_template_at(doc, i);
        if (t->id && strcmp(t->id, id) == 0)
            return t;
    }
    return NULL;
}

/* A page's own Content.xml: Area, Template references and PageRes (GB/T 33190 7.7). */
static int load_page(seal_ofd *doc, ofd_page *page)
{
    int rc = 0;
    xmlDoc *xml = NULL;
    const char *path = page->pub.content_path;
    page->templates = g_array_new(FALSE, TRUE, sizeof(seal_ofd_page_template));
    page->resources = g_hash_table_new(g_str_hash, g_str_equal);
    SEAL_ENSURE(seal_ofd_entry_exists(doc, path), SEAL_EFORMAT,
                "page %d: its content %s is missing from the package", page->pub.number, path);
    SEAL_TRY(seal_ofd_entry_xml(doc, path, &xml));
    xmlNode *root = xmlDocGetRootElement(xml);
    SEAL_ENSURE(seal_ofd_xml_is(root, "Page"), SEAL_EFORMAT,
                "%s: the root element is <%s>, not <ofd:Page>", path, (const char *)root->name);
    bool has_physical = false, has_application = false;
    xmlNode *area = seal_ofd_xml_child(root, "Area");
    if (area) {
        SEAL_TRY(read_area(area, &page->pub.physical_box, &page->pub.application_box, &has_physical,
                           &has_application, path));
        if (has_physical && !has_application)
            page->pub.application_box = page->pub.physical_box;
    }
    SEAL_ENSURE(page->pub.physical_box.w > 0 && page->pub.physical_box.h > 0, SEAL_EFORMAT,
                "page %d has no size: neither its Area nor the document's PageArea gives a "
                "PhysicalBox",
                page->pub.number);
    for (xmlNode *t = seal_ofd_xml_child(root, "Template"); t;
         t = seal_ofd_xml_next(t, "Template")) {
        const char *id = ofd_attr(doc, t, "TemplateID");
        const seal_ofd_template *tpl = template_by_id(doc, id);
        if (!tpl)
            continue;
        seal_ofd_page_template use = {tpl, parse_zorder(ofd_attr(doc, t, "ZOrder"), tpl->zorder)};
        g_array_append_val(page->templates, use);
    }
    page->pub.templates = (const seal_ofd_page_template *)page->templates->data;
    page->pub.n_templates = page->templates->len;
    for (xmlNode *r = seal_ofd_xml_child(root, "PageRes"); r; r = seal_ofd_xml_next(r, "PageRes")) {
        char *ref = seal_ofd_xml_text(r);
        const char *res = NULL;
        rc = ofd_locate(doc, &res, path, ref);
        free(ref);
        SEAL_TRY(rc);
        if (seal_ofd_entry_exists(doc, res))
            SEAL_TRY(ofd_resources_load(doc, page->resources, res));
    }
    page->loaded = true;
out:
    return rc;
}

int seal_ofd_page_get(seal_ofd *doc, int number, const seal_ofd_page **out)
{
    if (!doc)
        return seal_error_set(SEAL_EINVAL, "no document");
    if (number < 1 || (size_t)number > doc->n_pages)
        return seal_error_set(SEAL_ENOTFOUND, "page %d does not exist (the document has %zu %s)",
                              number, doc->n_pages, doc->n_pages == 1 ? "page" : "pages");
    ofd_page *page = &doc->pages[number - 1];
    if (!page->loaded) {
        if (page->templates) {
            g_array_free(page->templates, TRUE);
            g_hash_table_destroy(page->resources);
            page->templates = NULL;
            page->resources = NULL;
        }
        int rc = load_page(doc, page);
        if (rc < 0)
            return rc;
    }
    *out = &page->pub;
    return 0;
}

int seal_ofd_page_size_mm(seal_ofd *doc, int number, double *width_mm, double *height_mm)
{
    const seal_ofd_page *page = NULL;
    int rc = seal_ofd_page_get(doc, number, &page);
    if (rc < 0)
        return rc;
    *width_mm = page->physical_box.w;
    *height_mm = page->physical_box.h;
    return 0;
}

int seal_ofd_page_xml(seal_ofd *doc, int number, xmlDoc **out)
{
    const seal_ofd_page *page = NULL;
    int rc = seal_ofd_page_get(doc, number, &page);
    if (rc < 0)
        return rc;
    return seal_ofd_entry_xml(doc, page->content_path, out);
}

int seal_ofd_resource_find(seal_ofd *doc, int page, const char *id, const seal_ofd_resource **out)
{
    *out = NULL;
    if (!doc || !id)
        return seal_error_set(SEAL_EINVAL, "no document or resource ID");
    if (page > 0) {
        const seal_ofd_page *p = NULL;
        int rc = seal_ofd_page_get(doc, page, &p);
        if (rc < 0)
            return rc;
        *out = g_hash_table_lookup(doc->pages[page - 1].resources, id);
    }
    if (!*out)
        *out = g_hash_table_lookup(doc->resources, id);
    if (!*out)
        return seal_error_set(SEAL_ENOTFOUND, "no resource has the ID %s", id);
    return 0;
}
