/* The OFD input examined as an attacker's document before a stamp (seal_doc_examine, the
 * stamp driver's input policy, docs/stamping.md): files of the package that nothing
 * refers to (a later change can point a page at them, and a reader of the zip alone sees
 * them), annotations a reader does not show (GB/T 33190 15.2: Visible="false"), and
 * attachments (GB/T 33190 20). A smaller list than a PDF's: an OFD has no scripts and no
 * revisions. */
#include "ofd/doc_ofd.h"
#include "ofd/ofd_internal.h"

#include <seal/error.h>

#include <string.h>

#define MAX_LISTED_FILES 10
#define MAX_VALUE_LEN    1024

typedef struct crawl {
    seal_ofd *ofd;
    GHashTable *reached; /* entry name -> itself (pooled) */
    GQueue todo;         /* XML entries reached but not read yet */
} crawl;

static bool is_xml(const char *path)
{
    size_t n = strlen(path);
    return n > 4 && g_ascii_strcasecmp(path + n - 4, ".xml") == 0;
}

/* A value that names a file of the package, read against `base_file`'s folder (GB/T 33190
 * 7.5: ST_Loc paths are relative to the file that holds them, or absolute). */
static void try_value(crawl *c, const char *base_file, const char *value)
{
    const char *path = NULL;
    size_t n = strlen(value);
    if (n == 0 || n > MAX_VALUE_LEN || strchr(value, '\n'))
        return;
    if (ofd_locate(c->ofd, &path, base_file, value) < 0) {
        seal_error_clear();
        return;
    }
    if (!path || !seal_ofd_entry_exists(c->ofd, path) || g_hash_table_contains(c->reached, path))
        return;
    g_hash_table_add(c->reached, (gpointer)path);
    if (is_xml(path))
        g_queue_push_tail(&c->todo, (gpointer)path);
}

/* Every attribute value and element text of the tree is tried as a file name: against
 * the file itself and, for a resource file, against its BaseLoc (7.9: MediaFile and
 * FontFile are relative to it). */
static void crawl_node(crawl *c, const xmlNode *node, const char *base, const char *res_base)
{
    for (const xmlNode *n = node; n; n = n->next) {
        if (n->type == XML_TEXT_NODE && n->content) {
            char *text = g_strstrip(g_strdup((const char *)n->content));
            try_value(c, base, text);
            if (res_base)
                try_value(c, res_base, text);
            g_free(text);
        }
        if (n->type != XML_ELEMENT_NODE)
            continue;
        for (const xmlAttr *a = n->properties; a; a = a->next) {
            if (!a->children || !a->children->content)
                continue;
            try_value(c, base, (const char *)a->children->content);
            if (res_base)
                try_value(c, res_base, (const char *)a->children->content);
        }
        crawl_node(c, n->children, base, res_base);
    }
}

static void crawl_file(crawl *c, const char *path)
{
    xmlDoc *xml = NULL;
    if (seal_ofd_entry_xml(c->ofd, path, &xml) < 0) {
        seal_error_clear(); /* a file that is not XML after all: a leaf */
        return;
    }
    xmlNode *root = xmlDocGetRootElement(xml);
    char *base_loc = root ? seal_ofd_xml_attr(root, "BaseLoc") : NULL;
    const char *res_dir = NULL;
    char *res_base = NULL;
    if (base_loc && ofd_locate(c->ofd, &res_dir, path, base_loc) == 0 && res_dir)
        res_base = g_strconcat(res_dir, "/-", NULL);
    seal_error_clear();
    crawl_node(c, root, path, res_base);
    g_free(res_base);
    free(base_loc);
}

static void find_unlisted(ofd_doc *d, seal_doc_findings *out)
{
    crawl c = {.ofd = d->ofd, .reached = g_hash_table_new(g_str_hash, g_str_equal)};
    g_queue_init(&c.todo);
    try_value(&c, "OFD.xml", "/OFD.xml");
    while (!g_queue_is_empty(&c.todo))
        crawl_file(&c, g_queue_pop_head(&c.todo));
    GString *list = g_string_new(NULL);
    size_t count = 0;
    for (size_t i = 0; i < seal_ofd_entry_count(d->ofd); i++) {
        const char *name = seal_ofd_entry_name(d->ofd, i);
        if (g_hash_table_contains(c.reached, name))
            continue;
        if (count++ < MAX_LISTED_FILES)
            g_string_append_printf(list, "%s%s", list->len ? ", " : "", name);
    }
    if (count)
        seal_doc_findings_add(out, "unlisted-file", 0,
                              "%zu file%s of the package that nothing in the document refers "
                              "to (%s%s): a later change can switch them in",
                              count, count == 1 ? "" : "s", list->str,
                              count > MAX_LISTED_FILES ? ", ..." : "");
    g_string_free(list, TRUE);
    g_hash_table_destroy(c.reached);
}

/* GB/T 33190 15.2 Table 57: Annot Visible defaults to true. */
static int find_hidden_annotations(ofd_doc *d, seal_doc_findings *out)
{
    int rc = 0;
    int pages = seal_ofd_page_count(d->ofd);
    for (int number = 1; number <= pages; number++) {
        const seal_ofd_page *page = NULL;
        xmlDoc *xml = NULL;
        SEAL_TRY(seal_ofd_page_get(d->ofd, number, &page));
        if (!page->annotation_path || !seal_ofd_entry_exists(d->ofd, page->annotation_path))
            continue;
        SEAL_TRY(seal_ofd_entry_xml(d->ofd, page->annotation_path, &xml));
        for (const xmlNode *a = seal_ofd_xml_child(xmlDocGetRootElement(xml), "Annot"); a;
             a = seal_ofd_xml_next(a, "Annot")) {
            char *visible = seal_ofd_xml_attr(a, "Visible");
            char *type = seal_ofd_xml_attr(a, "Type");
            char *id = seal_ofd_xml_attr(a, "ID");
            if (visible && strcmp(visible, "false") == 0)
                seal_doc_findings_add(out, "hidden-annotation", number,
                                      "page %d: a %s annotation (ID %s) is hidden "
                                      "(Visible=\"false\"): a later change may show it",
                                      number, type ? type : "untyped", id ? id : "?");
            free(visible);
            free(type);
            free(id);
        }
    }
out:
    return rc;
}

/* GB/T 33190 20: the Attachments file lists files carried with the document. */
static void find_attachments(ofd_doc *d, seal_doc_findings *out)
{
    const char *path = seal_ofd_info(d->ofd)->attachments_path;
    xmlDoc *xml = NULL;
    if (!path || !seal_ofd_entry_exists(d->ofd, path) ||
        seal_ofd_entry_xml(d->ofd, path, &xml) < 0) {
        seal_error_clear();
        return;
    }
    for (const xmlNode *a = seal_ofd_xml_child(xmlDocGetRootElement(xml), "Attachment"); a;
         a = seal_ofd_xml_next(a, "Attachment")) {
        char *name = seal_ofd_xml_attr(a, "Name");
        seal_doc_findings_add(out, "embedded-file", 0,
                              "an attachment \"%s\": a seal would seem to vouch for content no "
                              "page shows",
                              name ? name : "?");
        free(name);
    }
}

int ofd_doc_examine(void *impl, seal_doc_findings *out)
{
    ofd_doc *d = impl;
    out->has_signatures = seal_ofd_signature_count(d->ofd) > 0;
    find_unlisted(d, out);
    find_attachments(d, out);
    return find_hidden_annotations(d, out);
}
