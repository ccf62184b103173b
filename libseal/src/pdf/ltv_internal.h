/* Trusted time and long-term validation inside the PDF module: the B-T signature
 * timestamp the stamper adds, and the checks the verifier runs on timestamps (signature
 * and document timestamps). Internal to src/pdf. */
#ifndef SEAL_PDF_LTV_INTERNAL_H
#define SEAL_PDF_LTV_INTERNAL_H

#include <seal/buf.h>
#include <seal/cms.h>
#include <seal/pki.h>
#include <seal/report.h>
#include <seal/tsp.h>

/* PAdES B-T (ETSI EN 319 142-1 5.3, RFC 3161 appendix A): asks `tsa` for a token over
 * the signature value of the CMS in *cms, checks it (and the TSA's chain at genTime when
 * `trust` is given), and adds it as the id-aa-signatureTimeStampToken unsigned attribute. */
int pdf_timestamp_signature(seal_buf *cms, const seal_tsp_client *tsa, const seal_trust *trust);

/* Checks a token on behalf of a signature report: its own signature, ESS binding and
 * EKU, whether its imprint matched (`imprint_ok`, computed by the caller over what it
 * covers: `covers` names that in the report), and the TSA's chain at genTime. Records one
 * check named `check_name`. *proven (may be NULL) becomes true when every part holds:
 * then genTime is a proven time. */
int pdf_judge_timestamp(seal_sig_report *s, const char *check_name, const seal_trust *trust,
                        const seal_tst *tst, bool imprint_ok, const char *covers, bool *proven);

/* PDF-SIGN.md 5.5 for a PAdES signature: finds the signature timestamp among the CMS's
 * unsigned attributes (*present says whether there is one) and checks it over the
 * signature value. When it holds, *proven_time is its genTime (else 0) and *tsa_name
 * (caller frees) names the TSA. */
int pdf_check_signature_timestamp(seal_sig_report *s, const seal_trust *trust, const seal_cms *cms,
                                  bool *present, time_t *proven_time, char **tsa_name);

#endif
