/* The files a new signature changes besides its own: the signature list Signatures.xml
 * (created, or updated with a new ofd:Signature and MaxSignId) and OFD.xml (given an
 * ofd:Signatures element when the document had no list yet), and the next free IDs of the
 * counter that signatures and StampAnnots share (OFD-SEAL.md 4). Stamp flow: stamp.c asks
 * for these bytes before it computes the references that cover them. */
#include "ofd_xml.h"
#include "stamp_internal.h"

#include <seal/error.h>
#include <seal/ofd.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Beyond this the counter would not fit the IDs other readers parse as 32-bit numbers
 * (GB/T 33190 ST_ID is an unsigned int). */
#define ID_MAX 4294967295ull

/* "s008" -> prefix "s", number 8, 3 digits. False when the ID ends in no digit. */
static bool split_id(const char *id, char prefix[16], unsigned long long *number, int *digits)
{
    size_t len = strlen(id), start = len;
    while (start > 0 && isdigit((unsigned char)id[start - 1]))
        start--;
    if (start == len || len - start > 18 || start >= 16)
        return false;
    memcpy(prefix, id, start);
    prefix[start] = '\0';
    *number = strtoull(id + start, NULL, 10);
    *digits = (int)(len - start);
    return true;
}

static void see_id(ofd_id_counter *c, const char *id)
{
    char prefix[16];
    unsigned long long n;
    int digits;
    if (id && split_id(id, prefix, &n, &digits) && n > c->max)
        c->max = n;
}

void ofd_ids_init(ofd_id_counter *c, const seal_ofd *doc)
{
    memset(c, 0, sizeof *c);
    const char *max_id = seal_ofd_info(doc)->max_sign_id;
    see_id(c, max_id);
    for (size_t i = 0; i < seal_ofd_signature_count(doc); i++) {
        const seal_ofd_signature *s = seal_ofd_signature_at(doc, i);
        see_id(c, s->id);
        for (size_t k = 0; k < s->n_stamps; k++)
            see_id(c, s->stamps[k].id);
    }
    /* Keep the form the document already uses ("s008" -> "s009"). */
    unsigned long long ignored;
    if (max_id && !split_id(max_id, c->prefix, &ignored, &c->width)) {
        c->prefix[0] = '\0';
        c->width = 0;
    }
}

int ofd_ids_take(ofd_id_counter *c, char out[OFD_ID_SIZE])
{
    if (c->max >= ID_MAX)
        return seal_error_set(SEAL_EUNSUPPORTED,
                              "the document's signature IDs already reach %llu; no new ID is free",
                              c->max);
    c->max++;
    snprintf(out, OFD_ID_SIZE, "%s%0*llu", c->prefix, c->width, c->max);
    return 0;
}

static int dump(seal_buf *out, xmlDoc *xml, const char *what)
{
    xmlChar *mem = NULL;
    int len = 0;
    xmlDocDumpMemoryEnc(xml, &mem, &len, "UTF-8");
    if (!mem || len <= 0) {
        xmlFree(mem);
        return seal_error_set(SEAL_ENOMEM, "%s could not be written (out of memory)", what);
    }
    int rc = seal_buf_set(out, mem, (size_t)len);
    xmlFree(mem);
    return rc;
}

/* A child element in the parent's namespace (and so with its prefix). */
static xmlNode *new_child(xmlNode *parent, const char *name, const char *text)
{
    xmlNode *node = xmlNewDocNode(parent->doc, parent->ns, BAD_CAST name, NULL);
    if (node && text)
        xmlNodeAddContent(node, BAD_CAST text);
    return node;
}

static xmlNode *new_signatures_root(xmlDoc **xml)
{
    *xml = xmlNewDoc(BAD_CAST "1.0");
    if (!*xml)
        return NULL;
    xmlNode *root = xmlNewDocNode(*xml, NULL, BAD_CAST "Signatures", NULL);
    if (!root)
        return NULL;
    xmlDocSetRootElement(*xml, root);
    xmlNs *ns = xmlNewNs(root, BAD_CAST OFD_NAMESPACE, BAD_CAST "ofd");
    if (!ns)
        return NULL;
    xmlSetNs(root, ns);
    return root;
}

int ofd_signatures_xml_add(seal_buf *out, const seal_slice *old, const ofd_list_entry *entry,
                           const seal_ofd_limits *limits)
{
    int rc = 0;
    xmlDoc *xml = NULL;
    xmlNode *root = NULL;

    if (old) {
        SEAL_TRY(seal_ofd_xml_parse(&xml, old->data, old->len, "Signatures.xml", limits));
        root = xmlDocGetRootElement(xml);
        SEAL_ENSURE(seal_ofd_xml_is(root, "Signatures"), SEAL_EFORMAT,
                    "the signature list's root element is <%s>, not <ofd:Signatures>",
                    (const char *)root->name);
    } else {
        root = new_signatures_root(&xml);
        SEAL_ENSURE(root, SEAL_ENOMEM, "out of memory");
    }
    /* GB/T 33190 18.1: MaxSignId, then the Signature entries. A list that repeats
     * MaxSignId (ofdrw appends one per signature) gets the new value in each, so a reader
     * taking the first or the last one agrees. */
    bool had_max = false;
    for (xmlNode *m = seal_ofd_xml_child(root, "MaxSignId"); m;
         m = seal_ofd_xml_next(m, "MaxSignId")) {
        xmlNodeSetContent(m, NULL);
        xmlNodeAddContent(m, BAD_CAST entry->max_sign_id);
        had_max = true;
    }
    if (!had_max) {
        xmlNode *max = new_child(root, "MaxSignId", entry->max_sign_id);
        SEAL_ENSURE(max, SEAL_ENOMEM, "out of memory");
        if (root->children)
            xmlAddPrevSibling(root->children, max);
        else
            xmlAddChild(root, max);
    }
    xmlNode *sig = new_child(root, "Signature", NULL);
    SEAL_ENSURE(sig && xmlAddChild(root, sig), SEAL_ENOMEM, "out of memory");
    SEAL_ENSURE(xmlSetProp(sig, BAD_CAST "ID", BAD_CAST entry->id) &&
                    xmlSetProp(sig, BAD_CAST "Type", BAD_CAST entry->type) &&
                    xmlSetProp(sig, BAD_CAST "BaseLoc", BAD_CAST entry->base_loc),
                SEAL_ENOMEM, "out of memory");
    SEAL_TRY(dump(out, xml, "Signatures.xml"));
out:
    xmlFreeDoc(xml);
    return rc;
}

int ofd_ofd_xml_add_signatures(seal_buf *out, seal_slice old, int document, const char *list_loc,
                               const seal_ofd_limits *limits)
{
    int rc = 0;
    xmlDoc *xml = NULL;

    SEAL_TRY(seal_ofd_xml_parse(&xml, old.data, old.len, "OFD.xml", limits));
    xmlNode *body = seal_ofd_xml_child(xmlDocGetRootElement(xml), "DocBody");
    for (int n = 1; body && n < document; n++)
        body = seal_ofd_xml_next(body, "DocBody");
    SEAL_ENSURE(body, SEAL_EFORMAT, "OFD.xml has no DocBody %d", document);
    SEAL_ENSURE(!seal_ofd_xml_child(body, "Signatures"), SEAL_EFORMAT,
                "OFD.xml already names a signature list");
    /* GB/T 33190 7.3 (OFD.xml): DocBody { DocInfo, DocRoot, Versions?, Signatures? }. */
    xmlNode *after = seal_ofd_xml_child(body, "Versions");
    if (!after)
        after = seal_ofd_xml_child(body, "DocRoot");
    SEAL_ENSURE(after, SEAL_EFORMAT, "OFD.xml has no DocRoot");
    xmlNode *list = new_child(body, "Signatures", list_loc);
    SEAL_ENSURE(list && xmlAddNextSibling(after, list), SEAL_ENOMEM, "out of memory");
    SEAL_TRY(dump(out, xml, "OFD.xml"));
out:
    xmlFreeDoc(xml);
    return rc;
}
