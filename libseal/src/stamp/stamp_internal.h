/* What the stamp driver's files share (driver.c, finish.c, policy.c, audit.c). Not part
 * of the public API. */
#ifndef SEAL_STAMP_INTERNAL_H
#define SEAL_STAMP_INTERNAL_H

#include <seal/doc.h>
#include <seal/stamp.h>

#include <glib.h>

/* Adds a warning (printf-style) to the result's list. */
void stamp_warn(seal_stamp_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The stamp policy for seal record `rec`: an expired, not yet valid, revoked or frozen
 * certificate refuses the stamp (SEAL_EPOLICY) before any PIN is tried; one within the
 * renewal window, or whose published status cannot be had, adds a warning. */
int stamp_check_certificate(seal_stamp_result *res, seal_store *st, const seal_record *rec);

/* The document's own signatures, through the verify driver (offline, the platform's
 * anchors): one INVALID refuses the stamp (SEAL_EPOLICY naming each with its reason), or
 * with rq->allow_broken_signatures adds a warning (inspect.c). */
int stamp_check_signatures(seal_stamp_result *res, seal_store *st, const seal_stamp_request *rq);

/* The input examined under rq->input_policy (inspect.c): findings into the result (and its
 * warnings under warn); SEAL_EPOLICY naming them under strict. With rq->normalise and
 * findings, the document is rewritten at `normalised_path`, *doc replaced by the rewrite
 * (opened with `oopts`) and examined again. *audit_note (g_free) says what the audit record
 * adds, or NULL. */
int stamp_examine_input(seal_stamp_result *res, const seal_stamp_request *rq, seal_doc **doc,
                        const seal_doc_open_opts *oopts, const char *normalised_path,
                        char **audit_note);

/* What the audit record of a stamp says. */
typedef struct stamp_audit_info {
    const char *actor, *seal_id, *format, *input, *output, *how;
    size_t places;          /* 0: invisible */
    const char *note;       /* appended to a success ("external signature, pending ID"), or NULL */
    int64_t grant_id;       /* the grant whose use the record counts; 0: none */
    const char *staged;     /* the finished file while it waits for its record, removed when
                               the record fails; NULL: `output` itself */
    const char *pending_id; /* the pending stamp a finish completes, removed with the record */
} stamp_audit_info;

/* Records a stamp in the trail: "stamp" with the digests when rc == 0 (through
 * seal_store_use_record: the seal's grant rule, exclusive grants and a->grant_id checked
 * again and its use counted in the same transaction), else "stamp-failed" with the
 * error's wording (the error itself is kept for the caller). A success whose record
 * cannot be written, or whose use is refused now (another process took the grant's last
 * use), is undone: the file (a->staged, else a->output) removed, the error says why, and the return
 * is negative; a refusal is recorded as "stamp-failed". */
int stamp_audit(seal_store *st, const stamp_audit_info *a, const seal_stamp_digests *digests,
                int rc);

/* "RSA-SHA256", "ECDSA-SHA256", "SM2-SM3": what an external signer must make. */
const char *stamp_signature_alg_name(seal_key_alg alg);

/* The result's account of a stamp (`output` NULL: nothing written yet). */
void stamp_result_done(seal_stamp_result *res, const char *output, const char *how,
                       X509 *signer_cert, const seal_placement *placements, size_t n);

/* What the last steps of a stamp need beyond the pending stamp. */
typedef struct stamp_finish_ctx {
    const char *output; /* the user's output (p->output is a file beside it at B-LT) */
    seal_stamp_level level;
    const seal_tsp_client *tsa;
    const seal_trust *trust;
    seal_revocation *revocation;
    const char *password; /* an encrypted PDF's password: its validation data is encrypted too */
} stamp_finish_ctx;

/* The last steps of a stamp, shared by seal_stamp and seal_stamp_finish: finish (the
 * signature checked first, the timestamp) and, at B-LT and above, validation data into
 * ctx->output. res->digests and the ltv figures are filled. Nothing is left at the
 * output on failure; *signed_out says whether the signature was embedded (after which
 * the prepared stamp is spent), else it stays for the caller to abandon or retry. */
int stamp_complete(seal_stamp_result *res, seal_pending_stamp *p, const uint8_t *sig,
                   size_t sig_len, const stamp_finish_ctx *ctx, bool *signed_out);

#endif
