/* The signature list (GB/T 33190 18.1, Signatures.xml) and each signature's description
 * (18.2, Signature.xml): references with their check values, StampAnnots, the seal file and
 * the SignedValue file. A Signature.xml that cannot be read is recorded on its signature
 * (verify reports it) instead of failing the whole document. Elements are read in any
 * order (ofdrw writes SignedValue first) and a missing Type means Seal (OFD-SEAL.md 7). */
#include "ofd_internal.h"

#include <seal/error.h>

#include <stdlib.h>
#include <string.h>

/* Provider: attributes in the standard; some writers use child elements instead. */
static const char *provider_field(seal_ofd *doc, const xmlNode *provider, const char *name)
{
    const char *v = ofd_attr(doc, provider, name);
    return v ? v : ofd_child_text(doc, provider, name);
}

static int read_references(seal_ofd *doc, seal_ofd_signature *sig, const xmlNode *refs)
{
    int rc = 0;
    GArray *list = g_array_new(FALSE, TRUE, sizeof(seal_ofd_reference));
    sig->check_method = ofd_attr(doc, refs, "CheckMethod");
    for (xmlNode *r = seal_ofd_xml_child(refs, "Reference"); r;
         r = seal_ofd_xml_next(r, "Reference")) {
        seal_ofd_reference ref = {0};
        ref.file_ref = ofd_attr(doc, r, "FileRef");
        SEAL_ENSURE(ref.file_ref && *ref.file_ref, SEAL_EFORMAT, "%s: a Reference has no FileRef",
                    sig->path);
        SEAL_TRY(ofd_locate(doc, &ref.path, sig->path, ref.file_ref));
        ref.check_value = ofd_child_text(doc, r, "CheckValue");
        SEAL_ENSURE(ref.check_value, SEAL_EFORMAT, "%s: the Reference to %s has no CheckValue",
                    sig->path, ref.file_ref);
        g_array_append_val(list, ref);
    }
    sig->n_refs = list->len;
    sig->refs = ofd_own(doc, g_array_free(list, FALSE));
    list = NULL;
out:
    if (list)
        g_array_free(list, TRUE);
    return rc;
}

static int read_stamp_annot(seal_ofd *doc, seal_ofd_signature *sig, const xmlNode *node,
                            seal_ofd_stamp_annot *out)
{
    int rc = 0;
    out->id = ofd_attr(doc, node, "ID");
    out->page_ref = ofd_attr(doc, node, "PageRef");
    const char *boundary = ofd_attr(doc, node, "Boundary");
    SEAL_ENSURE(out->page_ref && boundary, SEAL_EFORMAT,
                "%s: a StampAnnot lacks its PageRef or Boundary", sig->path);
    rc = seal_ofd_parse_box(&out->boundary, boundary);
    if (rc < 0)
        SEAL_FAIL(rc, "%s: StampAnnot Boundary \"%s\" is not \"x y w h\"", sig->path, boundary);
    const char *clip = ofd_attr(doc, node, "Clip");
    if (clip) {
        rc = seal_ofd_parse_box(&out->clip, clip);
        if (rc < 0)
            SEAL_FAIL(rc, "%s: StampAnnot Clip \"%s\" is not \"x y w h\"", sig->path, clip);
        out->has_clip = true;
    }
    out->page = seal_ofd_page_by_id(doc, out->page_ref);
out:
    return rc;
}

static int read_signed_info(seal_ofd *doc, seal_ofd_signature *sig, const xmlNode *info)
{
    int rc = 0;
    GArray *stamps = g_array_new(FALSE, TRUE, sizeof(seal_ofd_stamp_annot));
    xmlNode *provider = seal_ofd_xml_child(info, "Provider");
    if (provider) {
        sig->provider_name = provider_field(doc, provider, "ProviderName");
        sig->provider_company = provider_field(doc, provider, "Company");
        sig->provider_version = provider_field(doc, provider, "Version");
    }
    sig->signature_method = ofd_child_text(doc, info, "SignatureMethod");
    sig->date_time = ofd_child_text(doc, info, "SignatureDateTime");
    xmlNode *params = seal_ofd_xml_child(info, "Parameters");
    for (xmlNode *p = params ? seal_ofd_xml_child(params, "Parameter") : NULL; p;
         p = seal_ofd_xml_next(p, "Parameter")) {
        const char *name = ofd_attr(doc, p, "Name");
        const char **into = !name                                        ? NULL
                            : strcmp(name, "sealsvc.grant.id") == 0      ? &sig->grant_id
                            : strcmp(name, "sealsvc.grant.project") == 0 ? &sig->grant_project
                            : strcmp(name, "sealsvc.grant.grantee") == 0 ? &sig->grant_grantee
                                                                         : NULL;
        if (into) {
            char *v = seal_ofd_xml_text(p);
            *into = ofd_str(doc, v ? v : "");
            free(v);
        }
    }
    xmlNode *refs = seal_ofd_xml_child(info, "References");
    SEAL_ENSURE(refs, SEAL_EFORMAT, "%s has no References: it protects nothing", sig->path);
    SEAL_TRY(read_references(doc, sig, refs));
    for (xmlNode *s = seal_ofd_xml_child(info, "StampAnnot"); s;
         s = seal_ofd_xml_next(s, "StampAnnot")) {
        seal_ofd_stamp_annot annot = {0};
        SEAL_TRY(read_stamp_annot(doc, sig, s, &annot));
        g_array_append_val(stamps, annot);
    }
    xmlNode *seal = seal_ofd_xml_child(info, "Seal");
    if (seal) {
        const char *loc = ofd_child_text(doc, seal, "BaseLoc");
        if (loc && *loc)
            SEAL_TRY(ofd_locate(doc, &sig->seal_path, sig->path, loc));
    }
    sig->n_stamps = stamps->len;
    sig->stamps = ofd_own(doc, g_array_free(stamps, FALSE));
    stamps = NULL;
out:
    if (stamps)
        g_array_free(stamps, TRUE);
    return rc;
}

static int read_signature_xml(seal_ofd *doc, seal_ofd_signature *sig)
{
    int rc = 0;
    xmlDoc *xml = NULL;
    SEAL_ENSURE(seal_ofd_entry_exists(doc, sig->path), SEAL_EFORMAT,
                "the signature file %s is missing from the package", sig->path);
    SEAL_TRY(seal_ofd_entry_xml(doc, sig->path, &xml));
    xmlNode *root = xmlDocGetRootElement(xml);
    SEAL_ENSURE(seal_ofd_xml_is(root, "Signature"), SEAL_EFORMAT,
                "%s: the root element is <%s>, not <ofd:Signature>", sig->path,
                (const char *)root->name);
    xmlNode *info = seal_ofd_xml_child(root, "SignedInfo");
    SEAL_ENSURE(info, SEAL_EFORMAT, "%s has no SignedInfo", sig->path);
    SEAL_TRY(read_signed_info(doc, sig, info));
    const char *value = ofd_child_text(doc, root, "SignedValue");
    SEAL_ENSURE(value && *value, SEAL_EFORMAT, "%s has no SignedValue", sig->path);
    SEAL_TRY(ofd_locate(doc, &sig->signed_value_path, sig->path, value));
out:
    return rc;
}

int ofd_signatures_load(seal_ofd *doc)
{
    int rc = 0;
    xmlDoc *xml = NULL;
    const char *path = doc->info.signatures_path;
    doc->signatures = g_array_new(FALSE, TRUE, sizeof(seal_ofd_signature));
    if (!path)
        return 0;
    SEAL_ENSURE(seal_ofd_entry_exists(doc, path), SEAL_EFORMAT,
                "OFD.xml names the signature list %s, which the package does not contain", path);
    SEAL_TRY(seal_ofd_entry_xml(doc, path, &xml));
    xmlNode *root = xmlDocGetRootElement(xml);
    SEAL_ENSURE(seal_ofd_xml_is(root, "Signatures"), SEAL_EFORMAT,
                "%s: the root element is <%s>, not <ofd:Signatures>", path,
                (const char *)root->name);
    /* MaxSignId may appear more than once (a writer appending rather than updating); the
     * last one is the current counter. */
    for (xmlNode *m = seal_ofd_xml_child(root, "MaxSignId"); m;
         m = seal_ofd_xml_next(m, "MaxSignId")) {
        char *text = seal_ofd_xml_text(m);
        doc->info.max_sign_id = ofd_str(doc, text);
        free(text);
    }
    for (xmlNode *s = seal_ofd_xml_child(root, "Signature"); s;
         s = seal_ofd_xml_next(s, "Signature")) {
        seal_ofd_signature sig = {0};
        sig.id = ofd_attr(doc, s, "ID");
        if (!sig.id)
            sig.id = "";
        sig.type = ofd_attr(doc, s, "Type");
        if (!sig.type || !*sig.type)
            sig.type = "Seal";
        sig.is_seal = strcmp(sig.type, "Sign") != 0;
        const char *loc = ofd_attr(doc, s, "BaseLoc");
        if (!loc || !*loc) {
            sig.path = "";
            sig.error =
                seal_error_set(SEAL_EFORMAT, "signature %s in %s has no BaseLoc", sig.id, path);
            sig.message = ofd_str(doc, seal_error_last());
        } else {
            int sig_rc = ofd_locate(doc, &sig.path, path, loc);
            if (sig_rc == 0)
                sig_rc = read_signature_xml(doc, &sig);
            if (sig_rc < 0) {
                seal_ofd_signature failed = {.id = sig.id,
                                             .type = sig.type,
                                             .is_seal = sig.is_seal,
                                             .path = sig.path ? sig.path : ofd_str(doc, loc),
                                             .error = sig_rc,
                                             .message = ofd_str(doc, seal_error_last())};
                sig = failed;
            }
        }
        g_array_append_val(doc->signatures, sig);
    }
    seal_error_clear();
out:
    return rc;
}

size_t seal_ofd_signature_count(const seal_ofd *doc)
{
    return doc && doc->signatures ? doc->signatures->len : 0;
}

const seal_ofd_signature *seal_ofd_signature_at(const seal_ofd *doc, size_t index)
{
    if (index >= seal_ofd_signature_count(doc))
        return NULL;
    return &g_array_index(doc->signatures, seal_ofd_signature, index);
}
