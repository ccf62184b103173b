/* What a document allows a new signature to do, and what our signature allows after it:
 * the encryption permissions, certification (DocMDP, ISO 32000-1 12.8.2.2) and field
 * locks (FieldMDP, 12.8.2.4 and the /Lock of 12.7.4.5). The stamper asks before writing
 * and writes the dictionaries; the verifier reads them to judge later changes.
 * Internal to src/pdf. */
#ifndef SEAL_PDF_MDP_H
#define SEAL_PDF_MDP_H

#include "pdf_internal.h"

#include <seal/doc.h>

/* Refuses (SEAL_EPOLICY, saying why) a stamp the document does not allow: encryption
 * permissions without the owner password, a certification with P=1, a second
 * certification; SEAL_EINVAL for options that make no sense (unknown field to lock). */
int pdf_check_may_sign(seal_pdf *pdf, const seal_stamp_plan *plan);

/* The /Reference array of the signature dictionary (12.8.1 Table 252) for the plan's
 * certification and field locks, as " /Reference [...]", or nothing when neither. */
int pdf_write_sig_references(seal_buf *out, seal_pdf *pdf, const seal_stamp_plan *plan);

/* The signature field lock dictionary (12.7.4.5 Table 233; an indirect object the field's
 * /Lock refers to) for plan->lock_fields. */
int pdf_write_field_lock(seal_buf *out, const seal_stamp_plan *plan);

/* The catalog's /Perms with /DocMDP referring to signature dictionary `sig` (12.8.4), as
 * "/Perms <<...>>", keeping any other entry (such as /UR3) it had. */
int pdf_write_catalog_perms(seal_buf *out, seal_pdf *pdf, long long sig);

/* The certification level of signature dictionary `sig` when it certifies the document
 * (the catalog's /Perms /DocMDP is this dictionary and its /Reference has a DocMDP
 * transform): 1, 2 or 3; 0 when it does not certify. */
int pdf_docmdp_level(qpdf_data q, qpdf_oh sig);

/* What a signature allows after it, for the verifier (PDF-SIGN.md 5.6): its DocMDP level
 * when it certifies (0 when not: then as P=2, form filling and signing), and the fields
 * its FieldMDP transform (or its field's /Lock) locks. */
typedef struct pdf_mdp_policy {
    int docmdp;   /* 0, 1, 2, 3 */
    int lock;     /* PDF_LOCK_* */
    char **names; /* /Fields of an /Include or /Exclude lock */
    size_t n_names;
} pdf_mdp_policy;

enum { PDF_LOCK_NONE, PDF_LOCK_ALL, PDF_LOCK_INCLUDE, PDF_LOCK_EXCLUDE };

/* Reads the policy of signature dictionary `sig` whose field is `field`. */
int pdf_mdp_policy_read(pdf_mdp_policy *out, qpdf_data q, qpdf_oh sig, qpdf_oh field);
/* Whether the field with this fully qualified name is locked. */
bool pdf_mdp_policy_locks(const pdf_mdp_policy *p, const char *name);
/* "certifies: no changes allowed (DocMDP P=1)" and the like, for the report. */
const char *pdf_mdp_level_text(int level);
void pdf_mdp_policy_clear(pdf_mdp_policy *p);

#endif
