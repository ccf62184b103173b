/* The PDF adapter's ops table behind seal/doc.h: how the document face opens a PDF from a
 * file descriptor, asks its pages and text, renders and verifies it. The qpdf view that
 * refuses damaged files is made at open for a stamp (with the input's one pass started
 * beside it, stamp_input.c), else on first need: a file a reader can still show and a
 * verifier still judge must not be refused by merely opening it. The two phases of a
 * stamp are stamp.c's. */
#include "pdf/doc_pdf.h"

#include "doc/doc_internal.h"

#include <seal/error.h>
#include <seal/pdf.h>

#include <math.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ISO 32000-1 7.5.2: the header "%PDF-" is the first line; readers (and qpdf) accept it
 * anywhere in the first 1024 bytes, with whatever a writer put before it. A zip's local
 * file header first (APPNOTE 4.3.7) is a package, whatever it stores: an OFD whose first
 * entry is a PDF attachment holds "%PDF-" there too. */
static bool pdf_sniff(int fd, const uint8_t *head, size_t len)
{
    (void)fd;
    if (len >= 4 && memcmp(head, "PK\3\4", 4) == 0)
        return false;
    return memmem(head, len, "%PDF-", 5) != NULL;
}

static void pdf_close(void *impl)
{
    pdf_doc *d = impl;
    if (!d)
        return;
    if (d->pass)
        pdf_input_pass_finish(d->pass, NULL); /* never taken over by a prepare: stopped */
    seal_pdf_free(d->pdf);
    if (d->password) {
        OPENSSL_cleanse(d->password, strlen(d->password));
        free(d->password);
    }
    free(d->name);
    free(d);
}

int pdf_doc_structure(pdf_doc *d)
{
    return d->pdf ? 0 : pdf_open_fd(&d->pdf, d->fd, d->name, d->password);
}

static int pdf_open(void **impl, int fd, const char *name, const seal_doc_open_opts *opts)
{
    int rc = 0;
    struct stat st;
    pdf_doc *d = calloc(1, sizeof *d);
    SEAL_ENSURE(d, SEAL_ENOMEM, "out of memory");
    d->fd = fd;
    d->name = strdup(name);
    SEAL_ENSURE(d->name, SEAL_ENOMEM, "out of memory");
    if (opts && opts->password && *opts->password) {
        d->password = strdup(opts->password);
        SEAL_ENSURE(d->password, SEAL_ENOMEM, "out of memory");
    }
    SEAL_ENSURE(fstat(fd, &st) == 0 && S_ISREG(st.st_mode), SEAL_EIO, "%s is not a regular file",
                name);
    d->size = (uint64_t)st.st_size;
    if (opts && opts->stamp_md) {
        /* The input is hashed on a helper thread while this one reads its structure. */
        d->md = opts->stamp_md;
        SEAL_TRY(pdf_input_pass_start(&d->pass, fd, d->size, d->name, d->md));
        SEAL_TRY(pdf_doc_structure(d));
    }
    *impl = d;
    d = NULL;
out:
    pdf_close(d);
    return rc;
}

static int pdf_page_count(void *impl)
{
    pdf_doc *d = impl;
    int rc = pdf_doc_structure(d);
    return rc < 0 ? rc : seal_pdf_page_count(d->pdf);
}

static int pdf_page_size(void *impl, int page, double *width_mm, double *height_mm)
{
    pdf_doc *d = impl;
    seal_pdf_page_geom geom;
    int rc = pdf_doc_structure(d);
    if (rc == 0)
        rc = seal_pdf_page_geometry(d->pdf, page, &geom);
    if (rc < 0)
        return rc;
    *width_mm = seal_pt_to_mm(geom.view_width_pt);
    *height_mm = seal_pt_to_mm(geom.view_height_pt);
    return 0;
}

/* A widget's /Rect (user space) on the page as shown: the inverse of seal_place_pdf's
 * turn (ISO 32000-1 8.3.2.3: /Rotate turns the CropBox clockwise for display). */
int pdf_box_mm(void *impl, int page, const double rect[4], double box_mm[4])
{
    pdf_doc *d = impl;
    seal_pdf_page_geom geom;
    int rc = pdf_doc_structure(d);
    if (rc == 0)
        rc = seal_pdf_page_geometry(d->pdf, page, &geom);
    if (rc < 0)
        return rc;
    const double *b = geom.crop;
    double llx = fmin(rect[0], rect[2]), urx = fmax(rect[0], rect[2]);
    double lly = fmin(rect[1], rect[3]), ury = fmax(rect[1], rect[3]);
    double v[4]; /* x, y, width, height in points, from the shown top-left */
    switch (geom.rotate) {
    case 90: /* the shown top-left is the box's lower-left; right is +y, down is +x */
        v[0] = lly - b[1], v[1] = llx - b[0], v[2] = ury - lly, v[3] = urx - llx;
        break;
    case 180: /* the upper-right corner; right is -x, down is +y */
        v[0] = b[2] - urx, v[1] = lly - b[1], v[2] = urx - llx, v[3] = ury - lly;
        break;
    case 270: /* the upper-right corner; right is -y, down is -x */
        v[0] = b[3] - ury, v[1] = b[2] - urx, v[2] = ury - lly, v[3] = urx - llx;
        break;
    default:
        v[0] = llx - b[0], v[1] = b[3] - ury, v[2] = urx - llx, v[3] = ury - lly;
        break;
    }
    for (int i = 0; i < 4; i++)
        box_mm[i] = seal_pt_to_mm(v[i]);
    return 0;
}

static int pdf_find_text(void *impl, const char *text, seal_text_hits *hits)
{
    pdf_doc *d = impl;
    int rc = pdf_doc_structure(d);
    return rc < 0 ? rc : seal_pdf_find_text(hits, d->pdf, text);
}

static int pdf_render_png(void *impl, int page, const seal_doc_render_opts *opts, seal_buf *png)
{
    pdf_doc *d = impl;
    /* Seals are widget annotations among the page's others: Poppler draws them all. */
    return pdf_render_page_fd(png, d->fd, d->name, d->password, page, opts ? opts->dpi : 0);
}

static int pdf_verify(void *impl, const seal_verify_opts *opts, seal_report **out)
{
    pdf_doc *d = impl;
    return pdf_verify_fd(out, d->fd, d->name, opts ? opts->trust : NULL, d->password);
}

/* prepare, finish, abandon and live_free are stamp.c's (pdf_doc_prepare...), wired in
 * when they land; until then doc.c refuses to stamp a PDF through the face. */
/* "PAdES B-T, certifying". */
static void pdf_describe(const seal_stamp_plan *plan, seal_key_alg alg, const char *level,
                         char *out, size_t size)
{
    (void)alg;
    snprintf(out, size, "PAdES %s%s", level, plan->certify ? ", certifying" : "");
}

/* B-LT, B-LTA: a DSS (and a document timestamp) in later updates (ltv.c). */
static int pdf_extend(const char *in, const char *out, const seal_doc_extend_opts *opts,
                      seal_doc_extend_summary *summary)
{
    seal_pdf_ltv_opts lopts = {.trust = opts->trust,
                               .revocation = opts->revocation,
                               .archive_tsa = opts->archive_tsa,
                               .password = opts->password};
    seal_pdf_ltv_summary s = {0};
    int rc = seal_pdf_ltv(in, out, &lopts, &s);
    if (rc == 0 && summary)
        *summary = (seal_doc_extend_summary){.signatures = s.signatures,
                                             .timestamps = s.timestamps,
                                             .certs = s.certs,
                                             .crls = s.crls,
                                             .ocsps = s.ocsps,
                                             .archived = s.archived};
    return rc;
}

const seal_doc_ops seal_pdf_doc_ops = {
    .name = "PDF",
    .sniff = pdf_sniff,
    .open = pdf_open,
    .close = pdf_close,
    .page_count = pdf_page_count,
    .page_size = pdf_page_size,
    .find_text = pdf_find_text,
    .box_mm = pdf_box_mm,
    .render_png = pdf_render_png,
    .render_pdf = NULL,
    .verify = pdf_verify,
    .prepare = pdf_doc_prepare,
    .finish = pdf_doc_finish,
    .abandon = pdf_doc_abandon,
    .live_free = pdf_doc_live_free,
    .check_plan = pdf_stamp_check_options,
    .describe = pdf_describe,
    .shows_seal_data_picture = false,
    .extend = pdf_extend,
    .examine = pdf_doc_examine,
    .normalise = pdf_doc_normalise,
};
