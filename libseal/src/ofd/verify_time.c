/* Trusted time and certificates in the OFD verify flow (OFD-SEAL.md 6 step 5): an RFC 3161
 * token over a signature value (GB/T 38540 SES timeStamp, or a CMS signature-time-stamp)
 * is checked for its imprint, its own signature, ESS binding and timeStamping usage, and
 * the TSA's chain and revocation at genTime; when all hold, genTime is the signing time.
 * Certificates are then judged as the PDF verifier does (verify/cert_checks.c). */
#include "verify_internal.h"

#include <seal/error.h>
#include <seal/tsp.h>
#include <seal/verify.h>

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void iso_time(char out[32], time_t t)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* seal_verify_certificates, or one INDETERMINATE chain check when there is nothing to
 * chain to. */
static int certificate_checks(ofd_verify_ctx *c, seal_sig_report *s, X509 *cert,
                              STACK_OF(X509) * certs, const seal_cert_checks *how)
{
    if (c->trust && seal_trust_count(c->trust) > 0)
        return seal_verify_certificates(s, c->trust, cert, certs, how);
    char *name = g_strdup_printf("%s%schain", how->who ? how->who : "", how->who ? "-" : "");
    int rc = seal_sig_add_check(s, name, SEAL_VERDICT_INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND",
                                "no trust anchor is configured: the %s certificate's chain and "
                                "revocation cannot be checked (use --trust)",
                                how->who ? how->who : "signer");
    g_free(name);
    return rc;
}

/* The token's own state: its signature (SEAL_ECRYPTO), its TSA certificate's binding and
 * usage (SEAL_EPKI), or an algorithm we cannot check. Returns whether it holds. */
static int judge_token(seal_sig_report *s, const seal_tst *tst, const char *tsa, bool *holds)
{
    *holds = false;
    int checked = seal_tst_check(tst);
    if (checked == SEAL_ECRYPTO)
        return seal_sig_add_check(s, "timestamp", SEAL_VERDICT_INVALID, "SIG_CRYPTO_FAILURE",
                                  "timestamp by %s: %s", tsa, seal_error_last());
    if (checked == SEAL_EPKI)
        return seal_sig_add_check(s, "timestamp", SEAL_VERDICT_INVALID, "SIG_CONSTRAINTS_FAILURE",
                                  "timestamp by %s: %s", tsa, seal_error_last());
    if (checked == SEAL_EUNSUPPORTED)
        return seal_sig_add_check(s, "timestamp", SEAL_VERDICT_INDETERMINATE,
                                  "CRYPTO_CONSTRAINTS_FAILURE", "timestamp by %s: %s", tsa,
                                  seal_error_last());
    if (checked < 0)
        return checked;
    *holds = true;
    return 0;
}

int ofd_check_timestamp(ofd_verify_ctx *c, seal_sig_report *s, seal_slice token, seal_slice value,
                        const char *covers, time_t *proven)
{
    int rc = 0;
    seal_tst *tst = NULL;
    char *tsa = NULL;
    char when[32];
    bool holds = false;
    *proven = 0;
    if (seal_tst_parse(&tst, token.data, token.len) < 0) {
        rc = seal_sig_add_check(s, "timestamp", SEAL_VERDICT_INVALID, "FORMAT_FAILURE",
                                "the %zu-byte timestamp token cannot be read: %s", token.len,
                                seal_error_last());
        goto out;
    }
    const seal_tst_info *info = seal_tst_get_info(tst);
    tsa = seal_tst_tsa_display_name(tst);
    SEAL_ENSURE(tsa, SEAL_ENOMEM, "out of memory for the verification report");
    iso_time(when, info->gen_time);
    int matches = seal_tst_imprint_matches(tst, value.data, value.len);
    if (matches < 0) {
        rc = seal_sig_add_check(s, "timestamp", SEAL_VERDICT_INDETERMINATE,
                                "CRYPTO_CONSTRAINTS_FAILURE", "timestamp by %s: %s", tsa,
                                seal_error_last());
        goto out;
    }
    if (matches == 0) {
        rc = seal_sig_add_check(s, "timestamp", SEAL_VERDICT_INVALID, "HASH_FAILURE",
                                "the timestamp by %s (%s) is for other data: its imprint is not "
                                "the hash of %s",
                                tsa, when, covers);
        goto out;
    }
    SEAL_TRY(judge_token(s, tst, tsa, &holds));
    if (!holds)
        goto out;
    SEAL_TRY(seal_sig_add_check(s, "timestamp", SEAL_VERDICT_VALID, NULL,
                                "RFC 3161 timestamp by %s at %s (policy %s) over %s; its "
                                "imprint, signature, signing-certificate and timeStamping usage "
                                "hold",
                                tsa, when, info->policy, covers));
    /* The TSA's chain and revocation at genTime (RFC 3161 4.3). */
    size_t first = s->n_checks;
    seal_cert_checks how = {.at = info->gen_time, .at_proven = true, .signing = true, .who = "tsa"};
    SEAL_TRY(certificate_checks(c, s, seal_tst_signer_cert(tst), seal_tst_certs(tst), &how));
    bool trusted = true;
    for (size_t i = first; i < s->n_checks; i++)
        trusted = trusted && s->checks[i].outcome == SEAL_VERDICT_VALID;
    if (trusted) {
        *proven = info->gen_time;
        SEAL_TRY(ofd_set_time_source(s, "proven by timestamp (%s)", tsa));
    }
out:
    free(tsa);
    seal_tst_free(tst);
    return rc;
}

int ofd_check_certificate(ofd_verify_ctx *c, seal_sig_report *s, X509 *cert, STACK_OF(X509) * certs,
                          const char *who, bool proven)
{
    seal_cert_checks how = {
        .at = s->signing_time, .at_proven = proven, .signing = who == NULL, .who = who};
    return certificate_checks(c, s, cert, certs, &how);
}
