/* Verification steps shared by the document verifiers (PDF today, OFD next): the
 * certificate checks of PDF-SIGN.md 5.4, the same for every format.
 *
 * Verify flow: after the signature itself checks out, a verifier hands the signer's (or
 * timestamp authority's, or seal maker's) certificate, the certificates the signature
 * carries, and the time the signature was made; this builds the chain, judges it at that
 * time, and asks for the revocation status of every certificate in it at that time
 * (seal/revocation.h), recording the outcome as checks on the signature's report. */
#ifndef SEAL_VERIFY_H
#define SEAL_VERIFY_H

#include <seal/pki.h>
#include <seal/report.h>
#include <stdbool.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Fills the report's signer name, subject, issuer, serial and algorithm from CERT
 * (replacing what was there). */
int seal_sig_report_set_signer(seal_sig_report *s, X509 *cert);

typedef struct seal_cert_checks {
    time_t at;       /* the signing time the checks are made at */
    bool at_proven;  /* `at` comes from a timestamp (or other proof of existence) */
    bool signing;    /* the leaf must allow digitalSignature or nonRepudiation */
    const char *who; /* NULL for the signer (checks "chain", "revocation"); else a prefix:
                        "tsa" gives "tsa-chain", "tsa-revocation" */
    /* Evidence the document itself carries (a PDF's DSS: CRLs, OCSP responses and
     * certificates), judged with the trust's own; may be NULL. */
    seal_revocation *document_evidence;
} seal_cert_checks;

/* Adds to `s` one chain check and one revocation check per certificate of the chain but
 * the trust anchor. Chain: from `cert`, `certs` (what the signature carries; may be NULL),
 * the trust's revocation context's pool (a DSS's certificates) and, online, AIA
 * caIssuers. Revocation, at `at`: revoked before it is INVALID (REVOKED); revoked after
 * it stays VALID when `at_proven` and is INDETERMINATE (REVOKED_NO_POE) when not; on
 * hold is INDETERMINATE (SUSPENDED); no acceptable evidence is INDETERMINATE
 * (TRY_LATER), never VALID. Returns 0 when the checks ran, whatever their outcome. */
int seal_verify_certificates(seal_sig_report *s, const seal_trust *trust, X509 *cert,
                             STACK_OF(X509) * certs, const seal_cert_checks *how);

/* The revocation half alone, for a chain already built (leaf first, anchor last): one
 * check named `check_name` per certificate but the anchor, judged at `at` as above.
 * `worst` (may be NULL) receives the worst outcome among them (VALID when none). */
int seal_verify_chain_revocation(seal_sig_report *s, const char *check_name,
                                 const seal_trust *trust, STACK_OF(X509) * chain, time_t at,
                                 bool at_proven, seal_revocation *document_evidence,
                                 seal_verdict *worst);

#ifdef __cplusplus
}
#endif
#endif
