/* Trusted time and long-term validation inside the PDF module: the B-T signature
 * timestamp the stamper adds, and the checks the verifier runs on timestamps (signature
 * and document timestamps). Internal to src/pdf. */
#ifndef SEAL_PDF_LTV_INTERNAL_H
#define SEAL_PDF_LTV_INTERNAL_H

#include "pdf_internal.h"

#include <seal/buf.h>
#include <seal/cms.h>
#include <seal/pki.h>
#include <seal/report.h>
#include <seal/revocation.h>
#include <seal/tsp.h>

/* PAdES B-T (ETSI EN 319 142-1 5.3, RFC 3161 appendix A): asks `tsa` for a token over
 * the signature value of the CMS in *cms, checks it (and the TSA's chain at genTime when
 * `trust` is given), and adds it as the id-aa-signatureTimeStampToken unsigned attribute. */
int pdf_timestamp_signature(seal_buf *cms, const seal_tsp_client *tsa, const seal_trust *trust);

/* Checks a token on behalf of a signature report: its own signature, ESS binding and
 * EKU, whether its imprint matched (`imprint_ok`, computed by the caller over what it
 * covers: `covers` names that in the report), and the TSA's chain at genTime and its
 * revocation then (the trust's evidence and `dss`, may be NULL). Records a check named
 * `check_name` (and "tsa-revocation" checks).
 * *proven (may be NULL) becomes true when every part holds: then genTime is proven. */
int pdf_judge_timestamp(seal_sig_report *s, const char *check_name, const seal_trust *trust,
                        seal_revocation *dss, const seal_tst *tst, bool imprint_ok,
                        const char *covers, bool *proven);

/* PDF-SIGN.md 5.5 for a PAdES signature: finds the signature timestamp among the CMS's
 * unsigned attributes (*present says whether there is one) and checks it over the
 * signature value. When it holds, *proven_time is its genTime (else 0) and *tsa_name
 * (caller frees) names the TSA. */
int pdf_check_signature_timestamp(seal_sig_report *s, const seal_trust *trust, seal_revocation *dss,
                                  const seal_cms *cms, bool *present, time_t *proven_time,
                                  char **tsa_name);

/* B-LT in the verify flow (verify_dss.c): the document's /DSS as an offline revocation
 * context (its CRLs, OCSP responses and certificates); *out stays NULL when there is no
 * DSS. */
int pdf_dss_load(seal_revocation **out, qpdf_data q);
/* Judges every certificate of `chain` (leaf first, anchor last) but the anchor at `at`
 * from the trust's revocation context and `dss` (may be NULL), one check named
 * `check_name` per certificate; *worst (may be NULL) receives the worst outcome. */
int pdf_check_revocation(seal_sig_report *s, const char *check_name, const seal_trust *trust,
                         seal_revocation *dss, STACK_OF(X509) * chain, time_t at, bool proven,
                         seal_verdict *worst);

/* ---- the incremental updates of B-LT and B-LTA (ltv_update.c) ----
 * One update appended to an opened document: new and re-emitted objects, then a classic
 * xref table or an xref stream (whichever the last revision used) and the trailer
 * (PDF-SIGN.md section 1). A document timestamp's /ByteRange and /Contents placeholders
 * are filled when the update is written. */

typedef struct pdf_xref_row {
    long long num, gen;
    uint64_t offset;
} pdf_xref_row;

typedef struct pdf_update {
    seal_pdf *pdf;
    seal_buf text; /* appended after the input */
    pdf_xref_row *rows;
    size_t n_rows, cap_rows;
    long long next_obj;
    size_t byte_range_pos; /* placeholders of a document timestamp (contents_len 0: none) */
    size_t contents_pos, contents_len;
    /* An encrypted document's key (NULL: none): every object but the cross-reference
     * stream is encrypted with it as it ends, like the stamper's update (encrypt.h). */
    const struct pdf_crypt *crypt;
    long long obj_num, obj_gen; /* the object being written */
    size_t obj_body;            /* its text's start in `text`, after "N G obj" */
} pdf_update;

/* Fills /Contents: called with the ByteRange digest made with `md`; returns the DER. */
typedef int (*pdf_contents_fn)(void *ctx, seal_buf *der, const uint8_t *digest, size_t len);

int pdf_update_init(pdf_update *u, seal_pdf *pdf);
void pdf_update_clear(pdf_update *u);
long long pdf_update_new_number(pdf_update *u);
int pdf_update_begin_object(pdf_update *u, long long num, long long gen);
int pdf_update_end_object(pdf_update *u);
/* A Flate-compressed stream object with extra dictionary keys (may be ""). */
int pdf_update_stream(pdf_update *u, long long num, const char *keys, const uint8_t *data,
                      size_t len);
/* Re-emits the indirect object `obj` as `text` (a whole dictionary). */
int pdf_update_reemit(pdf_update *u, qpdf_oh obj, const char *text);
/* Appends `ref` to dict[key] (an array, direct or indirect): the indirect array is
 * re-emitted here, else *dict_text receives the dictionary with the grown array. */
int pdf_update_append_ref(pdf_update *u, qpdf_oh dict, const char *key, long long ref,
                          seal_buf *dict_text);
/* Writes a signature dictionary's /ByteRange and zero /Contents placeholders of
 * `contents_bytes` at the current position. */
int pdf_update_placeholders(pdf_update *u, size_t contents_bytes);
/* The cross-reference section and trailer. */
int pdf_update_finish(pdf_update *u);
/* Writes input + update to `out` atomically. With placeholders, the ByteRange is filled,
 * the covered bytes hashed with `md`, and `fill` makes the /Contents DER; SEAL_ERANGE-like
 * overflow is reported as SEAL_EUNSUPPORTED with *needed set (the caller retries with a
 * larger gap). */
int pdf_update_write(pdf_update *u, const char *out, const EVP_MD *md, pdf_contents_fn fill,
                     void *ctx, size_t *needed);

#endif
