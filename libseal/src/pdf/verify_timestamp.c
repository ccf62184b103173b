/* Timestamps in the verify flow (PDF-SIGN.md 5.5): a PAdES signature's
 * signature-time-stamp (its imprint is the hash of the SignerInfo signature value) and a
 * document timestamp (the hash of its ByteRange). Each token is checked for its own
 * signature, ESS binding and TSA extendedKeyUsage, and the TSA's chain is built at
 * genTime; a token that holds makes genTime the proven time of what it covers. */
#include "ltv_internal.h"

#include <seal/error.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void iso_time(char out[32], time_t t)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void serial_text(char *out, size_t size, seal_slice serial)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < serial.len && n + 3 < size; i++)
        n += (size_t)snprintf(out + n, size - n, "%02x", serial.data[i]);
}

int pdf_judge_timestamp(seal_sig_report *s, const char *check_name, const seal_trust *trust,
                        seal_revocation *dss, const seal_tst *tst, bool imprint_ok,
                        const char *covers, bool *proven)
{
    int rc = 0;
    seal_chain_result chain = {0};
    const seal_tst_info *info = seal_tst_get_info(tst);
    char when[32], serial[80], accuracy[48] = "";
    char *tsa = seal_tst_tsa_display_name(tst);
    SEAL_ENSURE(tsa, SEAL_ENOMEM, "out of memory for the verification report");
    if (proven)
        *proven = false;
    iso_time(when, info->gen_time);
    serial_text(serial, sizeof serial, info->serial);
    if (info->accuracy_ms >= 0)
        snprintf(accuracy, sizeof accuracy, ", accuracy %ld ms", info->accuracy_ms);

    int checked = seal_tst_check(tst);
    if (checked < 0) {
        if (checked == SEAL_ECRYPTO)
            rc = seal_sig_add_check(s, check_name, SEAL_VERDICT_INVALID, "SIG_CRYPTO_FAILURE",
                                    "timestamp by %s: %s", tsa, seal_error_last());
        else if (checked == SEAL_EPKI)
            rc = seal_sig_add_check(s, check_name, SEAL_VERDICT_INVALID, "SIG_CONSTRAINTS_FAILURE",
                                    "timestamp by %s: %s", tsa, seal_error_last());
        else if (checked == SEAL_EUNSUPPORTED)
            rc = seal_sig_add_check(s, check_name, SEAL_VERDICT_INDETERMINATE,
                                    "CRYPTO_CONSTRAINTS_FAILURE", "timestamp by %s: %s", tsa,
                                    seal_error_last());
        else
            rc = checked;
        goto out;
    }
    if (!imprint_ok) {
        SEAL_TRY(seal_sig_add_check(s, check_name, SEAL_VERDICT_INVALID, "HASH_FAILURE",
                                    "the timestamp by %s (%s) is for other data: its imprint is "
                                    "not the hash of %s",
                                    tsa, when, covers));
        goto out;
    }
    SEAL_TRY(seal_chain_verify(&chain, trust, seal_tst_signer_cert(tst), seal_tst_certs(tst),
                               info->gen_time, true));
    switch (chain.status) {
    case SEAL_CHAIN_OK:
        SEAL_TRY(seal_sig_add_check(s, check_name, SEAL_VERDICT_VALID, NULL,
                                    "RFC 3161 timestamp by %s at %s (serial %s%s, policy %s) "
                                    "over %s; its signature, signing-certificate and "
                                    "timeStamping usage hold, and the TSA's chain of %d "
                                    "certificates leads to a trust anchor, valid at that time",
                                    tsa, when, serial, accuracy, info->policy, covers,
                                    chain.chain ? sk_X509_num(chain.chain) : 0));
        /* PDF-SIGN.md 5.5: the TSA's chain, revocation included, at genTime. */
        seal_verdict revocation = SEAL_VERDICT_VALID;
        SEAL_TRY(pdf_check_revocation(s, "tsa-revocation", trust, dss, chain.chain, info->gen_time,
                                      true, &revocation));
        if (revocation != SEAL_VERDICT_VALID)
            break;
        if (proven)
            *proven = true;
        break;
    case SEAL_CHAIN_NO_ANCHOR:
        SEAL_TRY(seal_sig_add_check(s, check_name, SEAL_VERDICT_INDETERMINATE,
                                    "NO_CERTIFICATE_CHAIN_FOUND",
                                    "the timestamp by %s at %s cannot be trusted: no chain to a "
                                    "configured trust anchor (%s)",
                                    tsa, when, chain.detail));
        break;
    case SEAL_CHAIN_EXPIRED:
    case SEAL_CHAIN_NOT_YET_VALID:
        SEAL_TRY(
            seal_sig_add_check(s, check_name, SEAL_VERDICT_INVALID,
                               chain.status == SEAL_CHAIN_EXPIRED ? "EXPIRED" : "NOT_YET_VALID",
                               "the timestamp by %s claims %s, when a certificate of the "
                               "TSA's chain was not valid: %s",
                               tsa, when, chain.detail));
        break;
    case SEAL_CHAIN_BAD_SIGNATURE:
    case SEAL_CHAIN_CONSTRAINTS:
        SEAL_TRY(seal_sig_add_check(s, check_name, SEAL_VERDICT_INVALID,
                                    "CHAIN_CONSTRAINTS_FAILURE", "the timestamp by %s: %s (%s)",
                                    tsa, chain.detail, seal_chain_status_name(chain.status)));
        break;
    }
out:
    seal_chain_result_clear(&chain);
    free(tsa);
    return rc;
}

int pdf_check_signature_timestamp(seal_sig_report *s, const seal_trust *trust, seal_revocation *dss,
                                  const seal_cms *cms, bool *present, time_t *proven_time,
                                  char **tsa_name)
{
    int rc = 0;
    seal_tst *tst = NULL;
    seal_slice token;
    bool proven = false;
    *present = false;
    *proven_time = 0;
    *tsa_name = NULL;

    rc = seal_cms_unsigned_attr(cms, SEAL_OID_ATTR_TIMESTAMP_TOKEN, &token);
    if (rc == SEAL_ENOTFOUND) {
        seal_error_clear();
        return 0;
    }
    *present = true;
    if (rc < 0 || seal_tst_parse(&tst, token.data, token.len) < 0) {
        rc = seal_sig_add_check(s, "timestamp", SEAL_VERDICT_INVALID, "FORMAT_FAILURE",
                                "the signature timestamp cannot be read: %s", seal_error_last());
        goto out;
    }
    seal_slice value = seal_cms_signature_value(cms);
    int matches = seal_tst_imprint_matches(tst, value.data, value.len);
    if (matches < 0) {
        rc = seal_sig_add_check(s, "timestamp", SEAL_VERDICT_INDETERMINATE,
                                "CRYPTO_CONSTRAINTS_FAILURE", "%s", seal_error_last());
        goto out;
    }
    SEAL_TRY(pdf_judge_timestamp(s, "timestamp", trust, dss, tst, matches == 1,
                                 "this signature's value", &proven));
    if (proven) {
        *proven_time = seal_tst_get_info(tst)->gen_time;
        *tsa_name = seal_tst_tsa_display_name(tst);
        SEAL_ENSURE(*tsa_name, SEAL_ENOMEM, "out of memory for the verification report");
    }
out:
    seal_tst_free(tst);
    return rc;
}
