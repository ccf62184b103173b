/* OFD XML read safely: libxml2 with no entity substitution, no DTD loading and no network
 * (XML_PARSE_NONET; never XML_PARSE_NOENT or XML_PARSE_DTDLOAD), a document type declaration
 * refused outright (OFD XML has none, GB/T 33190 7.2, and entity definitions are how
 * "billion laughs" and external-entity attacks start), size and depth limits. Lookup is by
 * local name in any namespace: real files use the ofd: prefix, a default namespace, or an
 * older namespace URI. Also the number, box and matrix readers of GB/T 33190 Table 2. */
#include "ofd_internal.h"

#include <seal/error.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int check_depth(const xmlDoc *xml, unsigned max_depth, const char *what)
{
    const xmlNode *node = xmlDocGetRootElement(xml);
    unsigned depth = 1;
    while (node) {
        if (depth > max_depth)
            return seal_error_set(SEAL_EPOLICY, "%s nests elements more than %u levels deep", what,
                                  max_depth);
        if (node->children && node->type == XML_ELEMENT_NODE) {
            node = node->children;
            depth++;
            continue;
        }
        while (node && !node->next) {
            node = node->parent;
            depth--;
            if (node && node->type == XML_DOCUMENT_NODE)
                node = NULL;
        }
        if (node)
            node = node->next;
    }
    return 0;
}

int seal_ofd_xml_parse(xmlDoc **out, const uint8_t *data, size_t len, const char *what,
                       const seal_ofd_limits *limits)
{
    seal_ofd_limits defaults;
    *out = NULL;
    if (!limits) {
        seal_ofd_limits_default(&defaults);
        limits = &defaults;
    }
    if (!what)
        what = "XML";
    if (len > limits->max_xml_size || len > INT32_MAX)
        return seal_error_set(SEAL_EPOLICY, "%s is %zu bytes, more than the XML limit of %zu", what,
                              len, limits->max_xml_size);
    if (len == 0)
        return seal_error_set(SEAL_EFORMAT, "%s is empty", what);
    if (memmem(data, len, "<!DOCTYPE", 9) || memmem(data, len, "<!ENTITY", 8))
        return seal_error_set(SEAL_EFORMAT,
                              "%s has a document type declaration; OFD XML has none, and one is "
                              "refused so that no entity can be expanded or fetched",
                              what);
    int rc = ofd_libxml2_load();
    if (rc < 0)
        return rc;
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt)
        return seal_error_set(SEAL_ENOMEM, "out of memory");
    xmlDoc *xml = xmlCtxtReadMemory(ctxt, (const char *)data, (int)len, NULL, NULL,
                                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!xml) {
        const xmlError *err = xmlCtxtGetLastError(ctxt);
        char *msg = g_strstrip(g_strdup(err && err->message ? err->message : "not well-formed"));
        rc = seal_error_set(SEAL_EFORMAT, "%s is not well-formed XML (line %d): %s", what,
                            err ? err->line : 0, msg);
        g_free(msg);
    } else if (xml->intSubset || xml->extSubset) {
        rc = seal_error_set(SEAL_EFORMAT, "%s has a document type declaration; refused", what);
    } else if (!xmlDocGetRootElement(xml)) {
        rc = seal_error_set(SEAL_EFORMAT, "%s has no root element", what);
    } else {
        rc = check_depth(xml, limits->max_xml_depth, what);
    }
    xmlFreeParserCtxt(ctxt);
    if (rc < 0) {
        xmlFreeDoc(xml);
        return rc;
    }
    *out = xml;
    return 0;
}

int seal_ofd_entry_xml(seal_ofd *doc, const char *path, xmlDoc **out)
{
    seal_slice bytes;
    *out = NULL;
    int rc = seal_ofd_entry_read(doc, path, &bytes);
    if (rc < 0)
        return rc;
    ofd_entry *e = ofd_entry_find(doc, path);
    if (!e->xml) {
        rc = seal_ofd_xml_parse(&e->xml, bytes.data, bytes.len, e->name, &doc->limits);
        if (rc < 0)
            return rc;
    }
    *out = e->xml;
    return 0;
}

bool seal_ofd_xml_is(const xmlNode *node, const char *local_name)
{
    return node && node->type == XML_ELEMENT_NODE &&
           (!local_name || strcmp((const char *)node->name, local_name) == 0);
}

xmlNode *seal_ofd_xml_next(const xmlNode *node, const char *local_name)
{
    for (node = node ? node->next : NULL; node; node = node->next)
        if (seal_ofd_xml_is(node, local_name))
            return (xmlNode *)node;
    return NULL;
}

xmlNode *seal_ofd_xml_child(const xmlNode *parent, const char *local_name)
{
    if (!parent)
        return NULL;
    xmlNode *first = parent->children;
    if (seal_ofd_xml_is(first, local_name))
        return first;
    return seal_ofd_xml_next(first, local_name);
}

char *seal_ofd_xml_attr(const xmlNode *node, const char *name)
{
    if (!node || node->type != XML_ELEMENT_NODE)
        return NULL;
    /* OFD attributes are unqualified; a writer that qualifies them is read the same. */
    for (const xmlAttr *a = node->properties; a; a = a->next) {
        if (strcmp((const char *)a->name, name) != 0)
            continue;
        xmlChar *v = xmlNodeListGetString(node->doc, a->children, 1);
        char *copy = strdup(v ? (const char *)v : "");
        xmlFree(v);
        return copy;
    }
    return NULL;
}

char *seal_ofd_xml_text(const xmlNode *node)
{
    xmlChar *v = node ? xmlNodeGetContent(node) : NULL;
    char *copy = g_strstrip(g_strdup(v ? (const char *)v : ""));
    xmlFree(v);
    char *result = strdup(copy);
    g_free(copy);
    return result;
}

const char *ofd_attr(seal_ofd *doc, const xmlNode *node, const char *name)
{
    char *v = seal_ofd_xml_attr(node, name);
    const char *pooled = v ? ofd_str(doc, g_strstrip(v)) : NULL;
    free(v);
    return pooled;
}

const char *ofd_child_text(seal_ofd *doc, const xmlNode *parent, const char *local_name)
{
    xmlNode *child = seal_ofd_xml_child(parent, local_name);
    if (!child)
        return NULL;
    char *v = seal_ofd_xml_text(child);
    const char *pooled = ofd_str(doc, v ? v : "");
    free(v);
    return pooled;
}

int ofd_parse_double(double *out, const char *text, const char *what)
{
    char *end = NULL;
    if (!text)
        return seal_error_set(SEAL_EFORMAT, "%s: missing number", what);
    while (g_ascii_isspace(*text))
        text++;
    double v = g_ascii_strtod(text, &end);
    if (end == text || !isfinite(v))
        return seal_error_set(SEAL_EFORMAT, "%s: \"%.40s\" is not a number", what, text);
    while (g_ascii_isspace(*end))
        end++;
    if (*end)
        return seal_error_set(SEAL_EFORMAT, "%s: \"%.40s\" is not a number", what, text);
    *out = v;
    return 0;
}

int ofd_parse_numbers(double *out, size_t n, const char *text, const char *what)
{
    const char *p = text ? text : "";
    for (size_t i = 0; i < n; i++) {
        char *end = NULL;
        while (g_ascii_isspace(*p))
            p++;
        out[i] = g_ascii_strtod(p, &end);
        if (end == p || !isfinite(out[i]))
            return seal_error_set(SEAL_EFORMAT, "%s: \"%.60s\" is not %zu numbers", what,
                                  text ? text : "", n);
        p = end;
    }
    while (g_ascii_isspace(*p))
        p++;
    if (*p)
        return seal_error_set(SEAL_EFORMAT, "%s: \"%.60s\" has more than %zu numbers", what, text,
                              n);
    return 0;
}

int seal_ofd_parse_box(seal_ofd_box *out, const char *text)
{
    double v[4];
    int rc = ofd_parse_numbers(v, 4, text, "box");
    if (rc < 0)
        return rc;
    if (v[2] < 0 || v[3] < 0)
        return seal_error_set(SEAL_EFORMAT, "box \"%.60s\" has a negative width or height", text);
    out->x = v[0];
    out->y = v[1];
    out->w = v[2];
    out->h = v[3];
    return 0;
}

int seal_ofd_parse_matrix(double out[6], const char *text)
{
    return ofd_parse_numbers(out, 6, text, "matrix");
}
