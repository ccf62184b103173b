/* What the OFD verifier's files share: the context of one verification and the helpers
 * that fill a report entry. verify.c drives (references, placement, changes after
 * signing), verify_seal.c checks Type=Seal signatures (SES), verify_sign.c Type=Sign. */
#ifndef SEAL_OFD_VERIFY_INTERNAL_H
#define SEAL_OFD_VERIFY_INTERNAL_H

#include "ofd_internal.h"

#include <seal/report.h>
#include <seal/verify.h>

typedef struct ofd_verify_ctx {
    seal_ofd *doc; /* with the document being verified selected */
    const seal_trust *trust;
    /* The files of every other document's signatures (their lists, Signature.xml,
     * SignedValue.dat, Seal.esl): path -> what they are, for the changes (g_free'd). */
    GHashTable *foreign;
    /* Every file the selected document's content reaches (pages, templates, annotation
     * and resource lists, resource files): path (g_free'd) -> what it is (static). */
    GHashTable *reached;
} ofd_verify_ctx;

/* seal_ofd_verify over a package already open; NAME names it in the report. `document`:
 * only that document's signatures (1-based), 0: every document's. The document selected
 * before is selected again afterwards. */
int ofd_verify_doc(seal_report **out, seal_ofd *doc, const char *name, const seal_trust *trust,
                   int document);

/* Type=Seal: SignedValue.dat is an SES_Signature (OFD-SEAL.md 6, steps 3-5). */
int ofd_verify_seal(ofd_verify_ctx *c, seal_sig_report *s, const seal_ofd_signature *sig);
/* Type=Sign: SignedValue.dat is a CMS SignedData or a bare signature (step 6). */
int ofd_verify_sign(ofd_verify_ctx *c, seal_sig_report *s, const seal_ofd_signature *sig);

/* The claimed time of SignatureDateTime (signed: Signature.xml is what the signature
 * covers); 0 when absent or unreadable. *zone_assumed when it had no time zone. */
time_t ofd_claimed_time(const seal_ofd_signature *sig, bool *zone_assumed);
/* Sets s->time_source (copied). */
int ofd_set_time_source(seal_sig_report *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* An RFC 3161 token over `value` (verify_time.c): check "timestamp" and the TSA's
 * "tsa-chain"/"tsa-revocation" at genTime. When all hold, *proven is genTime (else 0) and
 * the time source names the TSA. */
int ofd_check_timestamp(ofd_verify_ctx *c, seal_sig_report *s, seal_slice token, seal_slice value,
                        const char *covers, time_t *proven);
/* Chain and revocation of `cert` at s->signing_time (seal_verify_certificates): checks
 * "chain"/"revocation" for the signer (`who` NULL), else "<who>-chain"/"<who>-revocation".
 * `certs` (may be NULL) are what the signature carries. */
int ofd_check_certificate(ofd_verify_ctx *c, seal_sig_report *s, X509 *cert, STACK_OF(X509) * certs,
                          const char *who, bool proven);
/* The certificate's own validity at s->signing_time, as check `name`. */
int ofd_check_cert_time(seal_sig_report *s, const char *name, X509 *cert, const char *whose,
                        bool proven);

#endif
