/* The Signature.xml the OFD stamper writes for each new signature (GB/T 33190 18), in
 * schema order with the forms OFD-SEAL.md section 4 marks "write": SignatureMethod and
 * CheckMethod as OIDs, SignatureDateTime as YYYYMMDDhhmmssZ, absolute package paths.
 * Stamp flow: stamp.c fills in the references and stamp annotations, hashes these bytes
 * for the SES dataHash (or the CMS) and stores them as they are. */
#include "ofd_internal.h"
#include "stamp_internal.h"

#include <seal/error.h>

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void ofd_format_number(char out[32], double v)
{
    /* Millimetres to the micrometre are more than any reader or printer resolves. */
    double rounded = round(v * 1000.0) / 1000.0;
    if (rounded == 0.0)
        rounded = 0.0; /* no "-0" */
    g_ascii_formatd(out, 32, "%.3f", rounded);
    char *dot = strchr(out, '.');
    if (dot) {
        char *end = out + strlen(out) - 1;
        while (end > dot && *end == '0')
            *end-- = '\0';
        if (end == dot)
            *end = '\0';
    }
}

static void format_box(char out[4 * 32 + 4], const double box[4])
{
    char n[4][32];
    for (int i = 0; i < 4; i++)
        ofd_format_number(n[i], box[i]);
    snprintf(out, 4 * 32 + 4, "%s %s %s %s", n[0], n[1], n[2], n[3]);
}

/* Package paths are written absolute ("/Doc_0/..."), as every real file in the corpus
 * does: an ST_Loc starting with '/' is resolved from the package root whatever file holds
 * it. */
static char *absolute(const char *path)
{
    return g_strconcat("/", path, NULL);
}

typedef struct writer {
    xmlTextWriterPtr w;
    int failed;
} writer;

static void start(writer *x, const char *name)
{
    if (!x->failed && xmlTextWriterStartElementNS(x->w, BAD_CAST "ofd", BAD_CAST name, NULL) < 0)
        x->failed = 1;
}

static void end(writer *x)
{
    if (!x->failed && xmlTextWriterEndElement(x->w) < 0)
        x->failed = 1;
}

static void attr(writer *x, const char *name, const char *value)
{
    if (!x->failed && value && xmlTextWriterWriteAttribute(x->w, BAD_CAST name, BAD_CAST value) < 0)
        x->failed = 1;
}

static void text(writer *x, const char *value)
{
    if (!x->failed && xmlTextWriterWriteString(x->w, BAD_CAST value) < 0)
        x->failed = 1;
}

static void element(writer *x, const char *name, const char *value)
{
    start(x, name);
    text(x, value);
    end(x);
}

static void write_references(writer *x, const ofd_sig_info *info)
{
    start(x, "References");
    attr(x, "CheckMethod", info->check_method);
    for (size_t i = 0; i < info->n_refs; i++) {
        const ofd_sig_ref *r = &info->refs[i];
        char *file_ref = absolute(r->path);
        gchar *value = g_base64_encode(r->digest, r->digest_len);
        start(x, "Reference");
        attr(x, "FileRef", file_ref);
        /* OFD-SEAL.md 4: base64 of the digest of the stored bytes. */
        element(x, "CheckValue", value);
        end(x);
        g_free(value);
        g_free(file_ref);
    }
    end(x);
}

static void write_stamp_annots(writer *x, const ofd_sig_info *info)
{
    char box[4 * 32 + 4];
    for (size_t i = 0; i < info->n_annots; i++) {
        const ofd_sig_annot *a = &info->annots[i];
        start(x, "StampAnnot");
        attr(x, "ID", a->id);
        attr(x, "PageRef", a->page_ref);
        format_box(box, a->boundary);
        attr(x, "Boundary", box);
        if (a->has_clip) {
            format_box(box, a->clip);
            attr(x, "Clip", box);
        }
        end(x);
    }
}

/* The grant a stamp used (docs/authorisations.md), as GM/T 0099-2020 B.2's extension
 * parameters of SignedInfo (after SignatureDateTime, before References): named
 * "sealsvc.grant.*", covered by the signature (the SES dataHash or the CMS digest is over
 * these bytes). OFD 1.0 readers look up SignedInfo's children by name and pass over it. */
static void write_grant(writer *x, const seal_doc_grant *g)
{
    if (!g)
        return;
    const char *names[] = {"sealsvc.grant.id", "sealsvc.grant.project", "sealsvc.grant.grantee"};
    const char *values[] = {g->id, g->project, g->grantee};
    start(x, "Parameters");
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        if (!values[i])
            continue;
        start(x, "Parameter");
        attr(x, "Name", names[i]);
        text(x, values[i]);
        end(x);
    }
    end(x);
}

int ofd_signature_xml_write(seal_buf *out, const ofd_sig_info *info)
{
    int rc = ofd_libxml2_load();
    if (rc < 0)
        return rc;
    xmlBufferPtr buf = xmlBufferCreate();
    writer x = {NULL, 0};
    char when[32];
    struct tm tm;

    SEAL_ENSURE(buf, SEAL_ENOMEM, "out of memory");
    SEAL_ENSURE(info->provider_name && info->signature_method && info->check_method &&
                    info->signed_value_path,
                SEAL_EINVAL, "Signature.xml: provider, methods and SignedValue path are required");
    SEAL_ENSURE(gmtime_r(&info->time, &tm) && strftime(when, sizeof when, "%Y%m%d%H%M%SZ", &tm),
                SEAL_EINVAL, "Signature.xml: the signing time cannot be written");
    x.w = xmlNewTextWriterMemory(buf, 0);
    SEAL_ENSURE(x.w, SEAL_ENOMEM, "out of memory");

    if (xmlTextWriterStartDocument(x.w, "1.0", "UTF-8", NULL) < 0)
        x.failed = 1;
    if (!x.failed && xmlTextWriterStartElementNS(x.w, BAD_CAST "ofd", BAD_CAST "Signature",
                                                 BAD_CAST OFD_NAMESPACE) < 0)
        x.failed = 1;
    /* GB/T 33190 18 (schema order): SignedInfo { Provider, SignatureMethod,
     * SignatureDateTime, References, StampAnnot*, Seal? }, then SignedValue. */
    start(&x, "SignedInfo");
    start(&x, "Provider");
    attr(&x, "ProviderName", info->provider_name);
    attr(&x, "Version", info->provider_version);
    attr(&x, "Company", info->provider_company);
    end(&x);
    element(&x, "SignatureMethod", info->signature_method);
    element(&x, "SignatureDateTime", when);
    write_grant(&x, info->grant);
    write_references(&x, info);
    write_stamp_annots(&x, info);
    if (info->seal_path) {
        char *loc = absolute(info->seal_path);
        start(&x, "Seal");
        element(&x, "BaseLoc", loc);
        end(&x);
        g_free(loc);
    }
    end(&x); /* SignedInfo */
    char *signed_value = absolute(info->signed_value_path);
    element(&x, "SignedValue", signed_value);
    g_free(signed_value);
    end(&x); /* Signature */
    if (!x.failed && xmlTextWriterEndDocument(x.w) < 0)
        x.failed = 1;
    SEAL_ENSURE(!x.failed, SEAL_ENOMEM, "Signature.xml could not be written (out of memory)");
    /* The writer must be gone before its buffer is complete. */
    xmlFreeTextWriter(x.w);
    x.w = NULL;
    SEAL_TRY(seal_buf_set(out, xmlBufferContent(buf), (size_t)xmlBufferLength(buf)));
out:
    if (x.w)
        xmlFreeTextWriter(x.w);
    if (buf)
        xmlBufferFree(buf);
    return rc;
}
