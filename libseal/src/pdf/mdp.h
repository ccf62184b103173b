/* What a document allows a new signature to do, and what our signature allows after it:
 * the encryption permissions, certification (DocMDP, ISO 32000-1 12.8.2.2) and field
 * locks (FieldMDP, 12.8.2.4 and the /Lock of 12.7.4.5). The stamper asks before writing
 * and writes the dictionaries; the verifier reads them to judge later changes.
 * Internal to src/pdf. */
#ifndef SEAL_PDF_MDP_H
#define SEAL_PDF_MDP_H

#include "pdf_internal.h"

/* Refuses (SEAL_EPOLICY, saying why) a stamp the document does not allow: encryption
 * permissions without the owner password, a certification with P=1, a second
 * certification; SEAL_EINVAL for options that make no sense (unknown field to lock). */
int pdf_check_may_sign(seal_pdf *pdf, const seal_pdf_stamp_opts *opts);

/* The /Reference array of the signature dictionary (12.8.1 Table 252) for the options'
 * certification and field locks, as " /Reference [...]", or nothing when neither. */
int pdf_write_sig_references(seal_buf *out, seal_pdf *pdf, const seal_pdf_stamp_opts *opts);

/* The signature field lock dictionary (12.7.4.5 Table 233; an indirect object the field's
 * /Lock refers to) for opts->lock_fields. */
int pdf_write_field_lock(seal_buf *out, const seal_pdf_stamp_opts *opts);

/* The catalog's /Perms with /DocMDP referring to signature dictionary `sig` (12.8.4), as
 * "/Perms <<...>>", keeping any other entry (such as /UR3) it had. */
int pdf_write_catalog_perms(seal_buf *out, seal_pdf *pdf, long long sig);

/* The certification level of signature dictionary `sig` when it certifies the document
 * (the catalog's /Perms /DocMDP is this dictionary and its /Reference has a DocMDP
 * transform): 1, 2 or 3; 0 when it does not certify. */
int pdf_docmdp_level(qpdf_data q, qpdf_oh sig);

#endif
