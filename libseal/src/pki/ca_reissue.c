/* Re-issuing a certificate for the CA operations: renewal keeps the key, re-key brings a
 * new one; both keep the subject and the extensions (key usage, CRL distribution point,
 * AIA...) and get a new serial and validity (RFC 5280 4.1.2.2, 4.1.2.5). The subject and
 * authority key identifiers are made afresh (4.2.1.1, 4.2.1.2); a CA that publishes delta
 * CRLs names them in a Freshest CRL extension (4.2.1.15). */
#include "pki/issue_internal.h"

#include <seal/ca.h>
#include <seal/error.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

static int add_key_ids(X509 *x, X509 *ca_cert)
{
    static const struct {
        int nid;
        const char *value;
    } ids[] = {
        {NID_subject_key_identifier, "hash"},
        {NID_authority_key_identifier, "keyid:always"},
    };
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, ca_cert, x, NULL, NULL, 0);
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, ids[i].nid, ids[i].value);
        if (!ext || !X509_add_ext(x, ext, -1)) {
            X509_EXTENSION_free(ext);
            return seal_error_set_openssl(SEAL_ECRYPTO, "the key identifiers could not be made");
        }
        X509_EXTENSION_free(ext);
    }
    return 0;
}

int seal_cert_reissue(X509 **out, X509 *old, EVP_PKEY *subject_key, time_t not_before,
                      time_t not_after, X509 *ca_cert, EVP_PKEY *ca_key,
                      const char *freshest_crl_url)
{
    int rc = 0;
    X509 *x = NULL;
    SEAL_ENSURE(out && old && subject_key && ca_cert && ca_key, SEAL_EINVAL,
                "no certificate to re-issue");
    SEAL_ENSURE(not_after > not_before, SEAL_EINVAL, "certificate validity ends before it starts");
    SEAL_ENSURE(X509_check_private_key(ca_cert, ca_key) == 1, SEAL_EINVAL,
                "the CA key does not belong to the CA certificate");
    SEAL_ENSURE(X509_NAME_cmp(X509_get_issuer_name(old), X509_get_subject_name(ca_cert)) == 0,
                SEAL_EINVAL, "the certificate was not issued by this CA");
    x = X509_new();
    SEAL_ENSURE(x, SEAL_ENOMEM, "out of memory");
    SEAL_ENSURE(X509_set_version(x, X509_VERSION_3), SEAL_ENOMEM, "out of memory");
    SEAL_TRY(pki_set_random_serial(x));
    SEAL_ENSURE(X509_set_subject_name(x, X509_get_subject_name(old)) &&
                    X509_set_issuer_name(x, X509_get_subject_name(ca_cert)),
                SEAL_ENOMEM, "out of memory");
    SEAL_ENSURE(ASN1_TIME_set(X509_getm_notBefore(x), not_before) &&
                    ASN1_TIME_set(X509_getm_notAfter(x), not_after),
                SEAL_EINVAL, "certificate validity dates cannot be encoded");
    SEAL_ENSURE(X509_set_pubkey(x, subject_key), SEAL_ECRYPTO,
                "the subject key cannot go into a certificate");
    for (int i = 0; i < X509_get_ext_count(old); i++) {
        X509_EXTENSION *ext = X509_get_ext(old, i);
        int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
        if (nid == NID_subject_key_identifier || nid == NID_authority_key_identifier ||
            (nid == NID_freshest_crl && freshest_crl_url))
            continue;
        SEAL_ENSURE(X509_add_ext(x, ext, -1), SEAL_ENOMEM, "out of memory");
    }
    if (freshest_crl_url)
        SEAL_TRY(pki_add_dist_point(x, NID_freshest_crl, freshest_crl_url));
    SEAL_TRY(add_key_ids(x, ca_cert));
    SEAL_TRY(pki_sign_cert(x, ca_key));
    *out = x;
    x = NULL;
out:
    X509_free(x);
    ERR_clear_error();
    return rc;
}
