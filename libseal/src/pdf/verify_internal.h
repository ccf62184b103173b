/* Shared between the PDF verifier's files (verify.c drives, verify_changes.c judges what
 * later incremental updates changed). Internal to src/pdf. */
#ifndef SEAL_PDF_VERIFY_INTERNAL_H
#define SEAL_PDF_VERIFY_INTERNAL_H

#include "pdf_internal.h"
#include "verify_tail.h"

#include "qpdf_lazy.h"
#include <seal/report.h>

/* True when `oh` is a signature field, or a widget whose field (itself or its /Parent)
 * has /FT /Sig (ISO 32000-1 12.7.3.1: /FT is inheritable). */
bool seal_pdf_is_sig_field_or_widget(qpdf_data q, qpdf_oh oh);

/* Fills a cross-reference stream revision's entries (verify_tail.h), decoded by qpdf. */
int seal_pdf_load_stream_entries(qpdf_data q, seal_pdf_revision *rev);

/* Compares the signed revision (bytes [0, signed_end) of `file`) with the final document
 * `final_doc`, records a "changes" check on `s` and one line per change that is not
 * allowed after signing (PDF-SIGN.md 5.6) by the signature's `policy` (mdp.h). An
 * encrypted file's revision is read with `password`. */
struct pdf_mdp_policy;
int seal_pdf_check_changes(seal_sig_report *s, qpdf_data final_doc, seal_slice file,
                           seal_pdf_tail *tail, size_t signed_end,
                           const struct pdf_mdp_policy *policy, const char *password);

#endif
