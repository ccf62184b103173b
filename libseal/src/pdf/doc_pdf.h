/* The PDF adapter behind seal/doc.h (doc_pdf.c holds its ops table): an open document,
 * and the two phases of a stamp (stamp.c). Not part of the public API. */
#ifndef SEAL_PDF_DOC_PDF_H
#define SEAL_PDF_DOC_PDF_H

#include "stamp_internal.h"

#include <seal/doc.h>

typedef struct pdf_doc {
    seal_pdf *pdf;        /* qpdf's view of the document */
    int fd;               /* the input, the caller's: read only, never closed here */
    char *name;           /* names the input in messages */
    char *password;       /* the password it was opened with, or NULL; wiped at close */
    uint64_t size;        /* the input's size when opened */
    const EVP_MD *md;     /* opened for a stamp with this digest (opts->stamp_md), or NULL */
    pdf_input_pass *pass; /* started at open when `md` is set; prepare takes it over */
} pdf_doc;

/* The strict qpdf view of the document (open.c), made on first need (doc_pdf.c). */
int pdf_doc_structure(pdf_doc *d);
/* SEAL_EINVAL naming what a PDF signature cannot be asked for (a lock mode; a QR code
 * beside no seal). */
int pdf_stamp_check_options(const seal_stamp_plan *plan);

/* A /Rect on page `page` as shown, mm from the shown top-left (seal_doc_box_mm). */
int pdf_box_mm(void *impl, int page, const double rect[4], double box_mm[4]);
/* The input examined before a stamp, and the strict policy's rewrite (examine.c). */
int pdf_doc_examine(void *impl, seal_doc_findings *out);
int pdf_doc_normalise(void *impl, const char *path);

/* The two phases (stamp.c), for seal_pdf_doc_ops. */
int pdf_doc_prepare(void *impl, const seal_stamp_plan *plan, seal_pending_stamp *p);
int pdf_doc_finish(seal_pending_stamp *p, const uint8_t *sig, size_t sig_len,
                   const seal_stamp_finish_opts *opts, seal_stamp_digests *digests);
void pdf_doc_abandon(seal_pending_stamp *p);
void pdf_doc_live_free(void *live);

#endif
