/* The document face (seal/doc.h): a document's format is told here, once, by its bytes,
 * and every call is handed to that format's ops table (doc_internal.h). The stamp and
 * verify drivers, the command line and the HTTP service reach documents only through
 * this file. A pending stamp's signature is checked here, for every format alike, before
 * its adapter writes anything; pending stamps are written out and read back here
 * (pending.c). */
#include "doc/doc_internal.h"

#include <seal/error.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* In sniffing order. A third format is one more line. */
static const seal_doc_ops *const formats[] = {&seal_pdf_doc_ops, &seal_ofd_doc_ops};

/* How much of its start a format's sniffer sees (PDF readers look for %PDF- this far). */
#define SNIFF_HEAD 1024

struct seal_doc {
    const seal_doc_ops *ops;
    void *impl;
    int fd;       /* the input */
    bool owns_fd; /* opened here from a path (closed at free), else the caller's */
    char *name;   /* names it in messages */
};

const seal_doc_ops *seal_doc_ops_by_name(const char *name)
{
    for (size_t i = 0; name && i < G_N_ELEMENTS(formats); i++)
        if (strcmp(formats[i]->name, name) == 0)
            return formats[i];
    return NULL;
}

static int sniff_fd(const seal_doc_ops **out, int fd, const char *name)
{
    uint8_t head[SNIFF_HEAD];
    size_t n = 0;
    struct stat st;
    *out = NULL;
    if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode))
        return seal_error_set(SEAL_EFORMAT,
                              "%s is not a regular file: neither a PDF nor an OFD document", name);
    while (n < sizeof head) {
        ssize_t got = pread(fd, head + n, sizeof head - n, (off_t)n);
        if (got < 0 && errno == EINTR)
            continue;
        /* A folder has no bytes to tell a format by; it is no document either. */
        if (got < 0 && errno != EISDIR)
            return seal_error_set(SEAL_EIO, "cannot read %s: %s", name, strerror(errno));
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(formats); i++) {
        if (formats[i]->sniff(fd, head, n)) {
            *out = formats[i];
            return 0;
        }
    }
    if (n == 0)
        return seal_error_set(SEAL_EFORMAT, "%s is empty: neither a PDF nor an OFD document", name);
    return seal_error_set(SEAL_EFORMAT, "%s is neither a PDF nor an OFD document", name);
}

int seal_doc_sniff(const char *path, const char **format_out)
{
    if (!path || !format_out)
        return seal_error_set(SEAL_EINVAL, "no document named");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return seal_error_set(SEAL_EIO, "cannot open %s: %s", path, strerror(errno));
    const seal_doc_ops *ops;
    int rc = sniff_fd(&ops, fd, path);
    close(fd);
    if (rc == 0)
        *format_out = ops->name;
    return rc;
}

int seal_doc_sniff_fd(int fd, const char **format_out)
{
    if (fd < 0 || !format_out)
        return seal_error_set(SEAL_EINVAL, "no document to sniff");
    const seal_doc_ops *ops;
    int rc = sniff_fd(&ops, fd, "the document");
    if (rc == 0)
        *format_out = ops->name;
    return rc;
}

static int open_fd(seal_doc **out, int fd, bool owns_fd, const char *name,
                   const seal_doc_open_opts *opts)
{
    int rc = 0;
    seal_doc *doc = calloc(1, sizeof *doc);
    SEAL_ENSURE(doc, SEAL_ENOMEM, "out of memory");
    doc->fd = fd;
    doc->owns_fd = owns_fd;
    owns_fd = false;
    doc->name = strdup(name);
    SEAL_ENSURE(doc->name, SEAL_ENOMEM, "out of memory");
    SEAL_TRY(sniff_fd(&doc->ops, fd, doc->name));
    SEAL_TRY(doc->ops->open(&doc->impl, fd, doc->name, opts));
    /* A format without document_count holds one document (a PDF). */
    if (opts && opts->document > 1 && !doc->ops->document_count)
        SEAL_TRY(seal_error_set(SEAL_EINVAL,
                                "%s is a %s, which holds a single document: there is no document "
                                "%d",
                                doc->name, doc->ops->name, opts->document));
    *out = doc;
    doc = NULL;
out:
    if (owns_fd)
        close(fd);
    seal_doc_free(doc);
    return rc;
}

int seal_doc_open(seal_doc **out, const char *path, const seal_doc_open_opts *opts)
{
    if (!out || !path)
        return seal_error_set(SEAL_EINVAL, "no document named");
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return seal_error_set(SEAL_EIO, "cannot open %s: %s", path, strerror(errno));
    return open_fd(out, fd, true, path, opts);
}

int seal_doc_open_fd(seal_doc **out, int fd, const char *name, const seal_doc_open_opts *opts)
{
    if (!out || fd < 0)
        return seal_error_set(SEAL_EINVAL, "no document to open");
    *out = NULL;
    return open_fd(out, fd, false, name ? name : "the document", opts);
}

void seal_doc_free(seal_doc *doc)
{
    if (!doc)
        return;
    if (doc->ops && doc->impl)
        doc->ops->close(doc->impl);
    if (doc->owns_fd)
        close(doc->fd);
    free(doc->name);
    free(doc);
}

const char *seal_doc_format(const seal_doc *doc)
{
    return doc ? doc->ops->name : NULL;
}

int seal_doc_document_count(const seal_doc *doc)
{
    if (!doc)
        return seal_error_set(SEAL_EINVAL, "no document");
    return doc->ops->document_count ? doc->ops->document_count(doc->impl) : 1;
}

int seal_doc_page_count(const seal_doc *doc)
{
    if (!doc)
        return seal_error_set(SEAL_EINVAL, "no document");
    return doc->ops->page_count(doc->impl);
}

int seal_doc_page_size(seal_doc *doc, int page, double *width_mm, double *height_mm)
{
    if (!doc || !width_mm || !height_mm)
        return seal_error_set(SEAL_EINVAL, "no document or nowhere to put the page size");
    return doc->ops->page_size(doc->impl, page, width_mm, height_mm);
}

int seal_doc_find_text(seal_doc *doc, const char *text, seal_text_hits *hits)
{
    if (!doc || !hits)
        return seal_error_set(SEAL_EINVAL, "no document or nowhere to put the hits");
    hits->hits = NULL;
    hits->count = 0;
    return doc->ops->find_text(doc->impl, text, hits);
}

static int view_page_size(void *ctx, int page, double *width_mm, double *height_mm)
{
    return seal_doc_page_size(ctx, page, width_mm, height_mm);
}

static int view_find_text(void *ctx, const char *text, seal_text_hits *hits)
{
    return seal_doc_find_text(ctx, text, hits);
}

void seal_doc_place_view(seal_place_doc *out, seal_doc *doc)
{
    int pages = seal_doc_page_count(doc);
    /* A document whose pages cannot be read has none to place a seal on; the planner
     * says so. */
    out->ctx = doc;
    out->page_count = pages > 0 ? pages : 0;
    out->page_size = view_page_size;
    out->find_text = view_find_text;
}

int seal_doc_box_mm(seal_doc *doc, int page, const double rect[4], double box_mm[4])
{
    if (!doc || !rect || !box_mm)
        return seal_error_set(SEAL_EINVAL, "no document, rectangle or place for the box");
    return doc->ops->box_mm(doc->impl, page, rect, box_mm);
}

int seal_doc_render_png(seal_doc *doc, int page, const seal_doc_render_opts *opts, seal_buf *png)
{
    if (!doc || !png)
        return seal_error_set(SEAL_EINVAL, "nothing to render");
    return doc->ops->render_png(doc->impl, page, opts, png);
}

int seal_doc_render_pdf(seal_doc *doc, const seal_doc_render_opts *opts, seal_buf *pdf)
{
    if (!doc || !pdf)
        return seal_error_set(SEAL_EINVAL, "nothing to render");
    if (!doc->ops->render_pdf)
        return seal_error_set(SEAL_EUNSUPPORTED, "%s is a %s document; it is not rendered as a PDF",
                              doc->name, doc->ops->name);
    return doc->ops->render_pdf(doc->impl, opts, pdf);
}

void seal_doc_findings_clear(seal_doc_findings *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++) {
        g_free(f->items[i].kind);
        g_free(f->items[i].detail);
    }
    g_free(f->items);
    memset(f, 0, sizeof *f);
}

int seal_doc_findings_add(seal_doc_findings *f, const char *kind, int page, const char *fmt, ...)
{
    va_list ap;
    f->items = g_renew(seal_doc_finding, f->items, f->n + 1);
    seal_doc_finding *it = &f->items[f->n++];
    it->kind = g_strdup(kind);
    it->page = page;
    va_start(ap, fmt);
    it->detail = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return 0;
}

int seal_doc_examine(seal_doc *doc, seal_doc_findings *out)
{
    if (!doc || !out)
        return seal_error_set(SEAL_EINVAL, "no document to examine");
    memset(out, 0, sizeof *out);
    if (!doc->ops->examine)
        return seal_error_set(SEAL_EUNSUPPORTED, "%s is a %s document; it is not examined",
                              doc->name, doc->ops->name);
    int rc = doc->ops->examine(doc->impl, out);
    if (rc < 0)
        seal_doc_findings_clear(out);
    return rc;
}

int seal_doc_normalise(seal_doc *doc, const char *path)
{
    if (!doc || !path)
        return seal_error_set(SEAL_EINVAL, "no document to normalise");
    if (!doc->ops->normalise)
        return seal_error_set(SEAL_EUNSUPPORTED,
                              "%s is a %s document; it cannot be normalised (rewritten) before "
                              "a stamp",
                              doc->name, doc->ops->name);
    return doc->ops->normalise(doc->impl, path);
}

int seal_doc_verify(seal_doc *doc, const seal_verify_opts *opts, seal_report **out)
{
    int rc = 0;
    seal_trust *none = NULL;
    SEAL_ENSURE(doc && out, SEAL_EINVAL, "no document to verify");
    *out = NULL;
    seal_verify_opts o = opts ? *opts : (seal_verify_opts){0};
    /* No anchors: every chain is judged INDETERMINATE, as the adapters do for an empty
     * trust. */
    if (!o.trust) {
        SEAL_TRY(seal_trust_new(&none));
        o.trust = none;
    }
    SEAL_TRY(doc->ops->verify(doc->impl, &o, out));
out:
    seal_trust_free(none);
    return rc;
}

/* ---- stamping, two phases ---- */

static int unknown_format(const char *format)
{
    return seal_error_set(SEAL_EFORMAT, "\"%s\" is no document format this version knows",
                          format ? format : "");
}

int seal_doc_check_plan(const char *format, const seal_stamp_plan *plan)
{
    const seal_doc_ops *ops = seal_doc_ops_by_name(format);
    if (!ops)
        return unknown_format(format);
    return ops->check_plan(plan);
}

void seal_doc_describe(const char *format, const seal_stamp_plan *plan, seal_key_alg alg,
                       const char *level, char *out, size_t size)
{
    const seal_doc_ops *ops = seal_doc_ops_by_name(format);
    if (ops)
        ops->describe(plan, alg, level, out, size);
    else
        snprintf(out, size, "%s", format ? format : "?");
}

bool seal_doc_shows_seal_data_picture(const seal_doc *doc)
{
    return doc->ops->shows_seal_data_picture;
}

int seal_doc_extend(const char *in, const char *out, const seal_doc_extend_opts *opts,
                    seal_doc_extend_summary *summary)
{
    const char *format = NULL;
    int rc = seal_doc_sniff(in, &format);
    if (rc < 0)
        return rc;
    const seal_doc_ops *ops = seal_doc_ops_by_name(format);
    if (!ops->extend)
        return seal_error_set(SEAL_EUNSUPPORTED,
                              "%s documents take no validation data (B-LT and B-LTA are PAdES "
                              "levels)",
                              format);
    return ops->extend(in, out, opts, summary);
}

int seal_doc_prepare(seal_doc *doc, const seal_stamp_plan *plan, seal_pending_stamp **out)
{
    int rc = 0;
    bool prepared = false;
    seal_pending_stamp *p = NULL;
    SEAL_ENSURE(doc && plan && out, SEAL_EINVAL, "nothing to prepare");
    *out = NULL;
    SEAL_ENSURE(plan->output && *plan->output, SEAL_EINVAL, "the stamp has no output file");
    SEAL_ENSURE(plan->cert, SEAL_EINVAL, "the stamp has no signing certificate");
    p = calloc(1, sizeof *p);
    SEAL_ENSURE(p, SEAL_ENOMEM, "out of memory");
    p->format = strdup(doc->ops->name);
    p->output = strdup(plan->output);
    SEAL_ENSURE(p->format && p->output, SEAL_ENOMEM, "out of memory");
    SEAL_ENSURE(X509_up_ref(plan->cert) == 1, SEAL_ENOMEM, "out of memory");
    p->cert = plan->cert;
    if (plan->chain) {
        p->chain = X509_chain_up_ref(plan->chain);
        SEAL_ENSURE(p->chain, SEAL_ENOMEM, "out of memory");
    }
    p->alg = seal_key_alg_of(X509_get0_pubkey(plan->cert));
    p->timestamp = plan->timestamp;
    SEAL_TRY(doc->ops->prepare(doc->impl, plan, p));
    prepared = true;
    /* What the signer signs: the hash of M, for SM2 e = SM3(Z_A || M) (GB/T 32918.2 6.1). */
    p->digest_len = sizeof p->digest;
    SEAL_TRY(seal_cert_signed_digest(p->cert, p->to_sign.data, p->to_sign.len, p->digest,
                                     &p->digest_len));
    *out = p;
    p = NULL;
out:
    if (p && prepared)
        seal_doc_abandon(p);
    seal_pending_stamp_free(p);
    return rc;
}

int seal_doc_finish(seal_pending_stamp *p, const uint8_t *sig, size_t sig_len,
                    const seal_stamp_finish_opts *opts, seal_stamp_digests *digests)
{
    if (!p || !sig || !sig_len)
        return seal_error_set(SEAL_EINVAL, "no signature to finish the stamp with");
    const seal_doc_ops *ops = seal_doc_ops_by_name(p->format);
    if (!ops)
        return seal_error_set(SEAL_EFORMAT,
                              "the pending stamp is for \"%s\" documents, a format "
                              "this version does not know",
                              p->format ? p->format : "");
    if (!p->cert)
        return seal_error_set(SEAL_EINVAL,
                              "the pending stamp names no certificate to check the signature with");
    /* Checked before anything is written: a signature from another key, or a damaged one,
     * must leave no output behind, and the stamp can be finished again with a good one. */
    if (seal_verify_digest_signature(p->cert, p->digest, p->digest_len, sig, sig_len) < 0) {
        char *why = g_strdup(seal_error_last());
        /* The CN as UTF-8: X509_NAME_oneline would print a Chinese name as \xE5... escapes. */
        char *name = seal_cert_subject_cn(p->cert);
        int rc = seal_error_set(SEAL_ECRYPTO,
                                "the signature does not verify with the seal's certificate (%s): "
                                "%s; nothing was written",
                                name ? name : "?", why);
        free(name);
        g_free(why);
        return rc;
    }
    /* GM/T 0009 7.3: an SM2 signature is stored DER, whatever form a token hands back (some
     * return the 64-byte r||s). */
    seal_buf der = SEAL_BUF_INIT;
    int rc = p->alg == SEAL_ALG_SM2 ? seal_sm2_signature_der(&der, sig, sig_len) : 0;
    if (rc == 0)
        rc = der.len ? ops->finish(p, der.data, der.len, opts, digests)
                     : ops->finish(p, sig, sig_len, opts, digests);
    seal_buf_clear(&der);
    return rc;
}

void seal_doc_abandon(seal_pending_stamp *p)
{
    const seal_doc_ops *ops = p ? seal_doc_ops_by_name(p->format) : NULL;
    if (ops && ops->abandon)
        ops->abandon(p);
}

void seal_pending_stamp_free(seal_pending_stamp *p)
{
    if (!p)
        return;
    const seal_doc_ops *ops = seal_doc_ops_by_name(p->format);
    if (p->live && ops && ops->live_free)
        ops->live_free(p->live);
    free(p->format);
    free(p->output);
    free(p->prepared);
    seal_buf_clear(&p->to_sign);
    seal_buf_clear(&p->state);
    X509_free(p->cert);
    sk_X509_pop_free(p->chain, X509_free);
    free(p);
}
