/* Chain building and validation at a time T: does the signer's certificate lead to a
 * configured anchor, with every certificate valid then? Verify flow: called for the
 * signer and the seal maker with the time the signature was made (proven by a timestamp
 * when one is present); revocation is checked separately. */
#include "pki/trust_internal.h"

#include <seal/error.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

const char *seal_chain_status_name(seal_chain_status s)
{
    switch (s) {
    case SEAL_CHAIN_OK:
        return "ok";
    case SEAL_CHAIN_NO_ANCHOR:
        return "no-anchor";
    case SEAL_CHAIN_EXPIRED:
        return "expired";
    case SEAL_CHAIN_NOT_YET_VALID:
        return "not-yet-valid";
    case SEAL_CHAIN_BAD_SIGNATURE:
        return "bad-signature";
    case SEAL_CHAIN_CONSTRAINTS:
        return "constraints";
    }
    return "unknown";
}

void seal_chain_result_clear(seal_chain_result *r)
{
    if (!r)
        return;
    sk_X509_pop_free(r->chain, X509_free);
    memset(r, 0, sizeof *r);
}

static seal_chain_status status_of(int err)
{
    switch (err) {
    case X509_V_OK:
        return SEAL_CHAIN_OK;
    case X509_V_ERR_CERT_HAS_EXPIRED:
        return SEAL_CHAIN_EXPIRED;
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return SEAL_CHAIN_NOT_YET_VALID;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_CERT_UNTRUSTED:
        return SEAL_CHAIN_NO_ANCHOR;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
        return SEAL_CHAIN_BAD_SIGNATURE;
    default:
        return SEAL_CHAIN_CONSTRAINTS;
    }
}

/* Drops a UTF-8 sequence cut off by truncation, so the detail stays valid text. */
static void trim_utf8_tail(char *s)
{
    size_t n = strlen(s);
    size_t i = n;
    while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
        i--;
    if (i == 0 || ((unsigned char)s[i - 1] & 0x80) == 0)
        return;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t want = (lead & 0xe0) == 0xc0 ? 2 : (lead & 0xf0) == 0xe0 ? 3 : 4;
    if (n - (i - 1) < want)
        s[i - 1] = '\0';
}

/* "reason: subject", the subject in RFC 2253 order with UTF-8 left as is. */
static void set_detail(seal_chain_result *r, const char *reason, X509 *cert)
{
    char subject[200] = "";
    BIO *bio = cert ? BIO_new(BIO_s_mem()) : NULL;
    if (bio && X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0,
                                  XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
        int n = BIO_read(bio, subject, (int)sizeof subject - 1);
        subject[n > 0 ? n : 0] = '\0';
    }
    BIO_free(bio);
    snprintf(r->detail, sizeof r->detail, "%s%s%s", reason, subject[0] ? ": " : "", subject);
    trim_utf8_tail(r->detail);
}

/* GB/T 38540 and RFC 5280 4.2.1.3: a certificate that signs documents must allow it
 * when it restricts its key usage at all. */
static bool usage_allows_signing(X509 *cert)
{
    if (!(X509_get_extension_flags(cert) & EXFLAG_KUSAGE))
        return true;
    return (X509_get_key_usage(cert) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) != 0;
}

int seal_chain_verify(seal_chain_result *out, const seal_trust *t, X509 *cert,
                      STACK_OF(X509) * untrusted, time_t at, bool signing)
{
    int rc = 0;
    X509_STORE_CTX *ctx = NULL;
    X509 *leaf = NULL;
    STACK_OF(X509) *candidates = NULL;

    SEAL_ENSURE(out && t && cert, SEAL_EINVAL, "no certificate to check");
    memset(out, 0, sizeof *out);
    SEAL_TRY(seal_trust_prepare_cert(&leaf, cert));
    candidates = sk_X509_new_null();
    SEAL_ENSURE(candidates, SEAL_ENOMEM, "out of memory");
    for (int i = 0; untrusted && i < sk_X509_num(untrusted); i++) {
        X509 *c = NULL;
        SEAL_TRY(seal_trust_prepare_cert(&c, sk_X509_value(untrusted, i)));
        if (!sk_X509_push(candidates, c)) {
            X509_free(c);
            SEAL_FAIL(SEAL_ENOMEM, "out of memory");
        }
    }

    ctx = X509_STORE_CTX_new();
    SEAL_ENSURE(ctx, SEAL_ENOMEM, "out of memory");
    if (!X509_STORE_CTX_init(ctx, seal_trust_store(t), leaf, candidates)) {
        rc = seal_error_set_openssl(SEAL_EPKI, "certificate check could not start");
        goto out;
    }
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    /* set_time also sets X509_V_FLAG_USE_CHECK_TIME: validity is judged at `at`. */
    X509_VERIFY_PARAM_set_time(param, at);
    /* Real CAs issue certificates that fail the strict profile checks; keep them off. */
    X509_VERIFY_PARAM_clear_flags(param, X509_V_FLAG_X509_STRICT);
    if (seal_trust_has_intermediate(t))
        X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);

    int ok = X509_verify_cert(ctx);
    int err = X509_STORE_CTX_get_error(ctx);
    if (ok < 0 || (ok == 0 && err == X509_V_OK)) {
        rc = seal_error_set_openssl(SEAL_EPKI, "certificate check failed to run");
        goto out;
    }
    ERR_clear_error();
    out->status = ok == 1 ? SEAL_CHAIN_OK : status_of(err);
    if (out->status != SEAL_CHAIN_NO_ANCHOR)
        out->chain = X509_STORE_CTX_get1_chain(ctx);
    if (ok != 1) {
        X509 *at_error = X509_STORE_CTX_get_current_cert(ctx);
        set_detail(out, X509_verify_cert_error_string(err), at_error ? at_error : leaf);
    } else if (signing && !usage_allows_signing(leaf)) {
        out->status = SEAL_CHAIN_CONSTRAINTS;
        set_detail(out, "key usage allows neither digitalSignature nor nonRepudiation", leaf);
    } else {
        set_detail(out, "chain to a trust anchor", leaf);
    }
out:
    X509_STORE_CTX_free(ctx);
    sk_X509_pop_free(candidates, X509_free);
    X509_free(leaf);
    return rc;
}
