/* Making a CRL for the platform's CA (RFC 5280 5): v2, thisUpdate and nextUpdate,
 * authorityKeyIdentifier and cRLNumber (and for a delta CRL the deltaCRLIndicator), one
 * entry per revoked or held certificate with its reason, invalidity date and hold
 * instruction. The CA operations (store/ca_ops.c)
 * call it after every change and `sealsvc ca crl` on demand; the OCSP responder serves
 * the file it writes. */
#include "pki/issue_internal.h"

#include <seal/ca.h>
#include <seal/error.h>

#include <ctype.h>
#include <glib.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

int seal_cert_key_id(char out[65], X509 *cert)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!cert || X509_pubkey_digest(cert, EVP_sha256(), md, &len) != 1 || len != 32)
        return seal_error_set_openssl(SEAL_ECRYPTO, "cannot digest the certificate's public key");
    for (unsigned i = 0; i < len; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return 0;
}

int seal_serial_normalize(char *out, size_t size, const char *text)
{
    size_t n = 0;
    const char *p = text ? text : "";
    if (g_ascii_strncasecmp(p, "0x", 2) == 0)
        p += 2;
    for (; *p; p++) {
        if (*p == ':' || *p == ' ')
            continue;
        if (!isxdigit((unsigned char)*p) || n + 1 >= size)
            return seal_error_set(SEAL_EINVAL,
                                  "'%s' is not a certificate serial number (hex digits, "
                                  "colons allowed)",
                                  text ? text : "");
        out[n++] = (char)tolower((unsigned char)*p);
    }
    if (n == 0)
        return seal_error_set(SEAL_EINVAL, "no certificate serial number was given");
    out[n] = '\0';
    /* The form seal_cert_serial_hex gives and the CA database keeps (BN_bn2hex's: whole
     * bytes, so "03ab" for 0x3ab, but "0" for zero): leading zeros go ("00:4a" is "4a"),
     * and one comes back when the digits are odd. Without it a serial whose first byte is
     * below 0x10 (one in sixteen) was never found by `ca revoke SERIAL`. */
    size_t lead = 0;
    while (lead + 1 < n && out[lead] == '0')
        lead++;
    n -= lead;
    memmove(out, out + lead, n + 1);
    if (n % 2 == 1 && !(n == 1 && out[0] == '0')) {
        if (n + 2 > size)
            return seal_error_set(SEAL_EINVAL, "'%s' is too long for a certificate serial number",
                                  text);
        memmove(out + 1, out, n + 1);
        out[0] = '0';
    }
    return 0;
}

static int add_entry(X509_CRL *crl, const seal_crl_entry *e)
{
    int rc = 0;
    X509_REVOKED *r = X509_REVOKED_new();
    BIGNUM *bn = NULL;
    ASN1_INTEGER *serial = NULL;
    ASN1_TIME *when = NULL;
    ASN1_ENUMERATED *reason = NULL;
    ASN1_GENERALIZEDTIME *invalidity = NULL;
    ASN1_OBJECT *hold = NULL;
    SEAL_ENSURE(r, SEAL_ENOMEM, "out of memory");
    SEAL_ENSURE(BN_hex2bn(&bn, e->serial_hex) > 0 && (serial = BN_to_ASN1_INTEGER(bn, NULL)),
                SEAL_EINVAL, "'%s' is not a serial number", e->serial_hex);
    SEAL_ENSURE(X509_REVOKED_set_serialNumber(r, serial), SEAL_ENOMEM, "out of memory");
    /* RFC 5280 5.1.2.6: UTCTime through 2049, GeneralizedTime after (ASN1_TIME_set). */
    when = ASN1_TIME_set(NULL, e->revoked_at);
    SEAL_ENSURE(when && X509_REVOKED_set_revocationDate(r, when), SEAL_ENOMEM, "out of memory");
    /* RFC 5280 5.3.1: reasonCode unspecified SHOULD be absent. */
    if (e->reason > 0) {
        reason = ASN1_ENUMERATED_new();
        SEAL_ENSURE(reason && ASN1_ENUMERATED_set(reason, e->reason) &&
                        X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, reason, 0, 0) == 1,
                    SEAL_ENOMEM, "out of memory");
    }
    /* RFC 5280 5.3.2: invalidityDate is a GeneralizedTime. */
    if (e->invalidity_date) {
        invalidity = ASN1_GENERALIZEDTIME_set(NULL, e->invalidity_date);
        SEAL_ENSURE(invalidity &&
                        X509_REVOKED_add1_ext_i2d(r, NID_invalidity_date, invalidity, 0, 0) == 1,
                    SEAL_ENOMEM, "out of memory");
    }
    /* X.509 (RFC 3280 5.3.2, dropped from RFC 5280's profile but still read): a frozen
     * certificate is to be rejected while it is on hold. */
    if (e->reason == SEAL_CRL_REASON_HOLD) {
        hold = OBJ_nid2obj(NID_hold_instruction_reject);
        SEAL_ENSURE(hold &&
                        X509_REVOKED_add1_ext_i2d(r, NID_hold_instruction_code, hold, 0, 0) == 1,
                    SEAL_ENOMEM, "out of memory");
    }
    SEAL_ENSURE(X509_CRL_add0_revoked(crl, r), SEAL_ENOMEM, "out of memory");
    r = NULL;
out:
    X509_REVOKED_free(r);
    BN_free(bn);
    ASN1_INTEGER_free(serial);
    ASN1_TIME_free(when);
    ASN1_ENUMERATED_free(reason);
    ASN1_GENERALIZEDTIME_free(invalidity);
    ERR_clear_error();
    return rc;
}

static int add_crl_extensions(X509_CRL *crl, X509 *ca_cert, uint64_t number, uint64_t delta_base)
{
    int rc = 0;
    X509V3_CTX ctx;
    X509_EXTENSION *aki = NULL;
    ASN1_INTEGER *n = ASN1_INTEGER_new();
    ASN1_INTEGER *base = NULL;
    SEAL_ENSURE(n && ASN1_INTEGER_set_uint64(n, number), SEAL_ENOMEM, "out of memory");
    /* RFC 5280 5.2.3: cRLNumber, non-critical. */
    SEAL_ENSURE(X509_CRL_add1_ext_i2d(crl, NID_crl_number, n, 0, 0) == 1, SEAL_ENOMEM,
                "out of memory");
    /* RFC 5280 5.2.4: deltaCRLIndicator (the BaseCRLNumber), critical. */
    if (delta_base) {
        base = ASN1_INTEGER_new();
        SEAL_ENSURE(base && ASN1_INTEGER_set_uint64(base, delta_base) &&
                        X509_CRL_add1_ext_i2d(crl, NID_delta_crl, base, 1, 0) == 1,
                    SEAL_ENOMEM, "out of memory");
    }
    /* RFC 5280 5.2.1: authorityKeyIdentifier with the CA's key identifier. */
    X509V3_set_ctx(&ctx, ca_cert, NULL, NULL, crl, 0);
    aki = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
    if (!aki || !X509_CRL_add_ext(crl, aki, -1)) {
        rc = seal_error_set_openssl(SEAL_ECRYPTO,
                                    "the CRL's authority key identifier could not be made (the "
                                    "CA certificate needs a subject key identifier)");
        goto out;
    }
out:
    X509_EXTENSION_free(aki);
    ASN1_INTEGER_free(n);
    ASN1_INTEGER_free(base);
    return rc;
}

int seal_crl_make(X509_CRL **out, const seal_crl_spec *spec, X509 *ca_cert, EVP_PKEY *ca_key)
{
    int rc = 0;
    X509_CRL *crl = NULL;
    ASN1_TIME *tu = NULL, *nu = NULL;
    EVP_MD_CTX *md_ctx = NULL;
    EVP_PKEY_CTX *pkey_ctx = NULL;
    SEAL_ENSURE(out && spec && ca_cert && ca_key, SEAL_EINVAL, "no CRL to make");
    SEAL_ENSURE(spec->next_update > spec->this_update, SEAL_EINVAL,
                "a CRL's nextUpdate must come after its thisUpdate");
    SEAL_ENSURE(X509_check_private_key(ca_cert, ca_key) == 1, SEAL_EINVAL,
                "the CA key does not belong to the CA certificate");
    crl = X509_CRL_new();
    SEAL_ENSURE(crl, SEAL_ENOMEM, "out of memory");
    /* RFC 5280 5.1.2.1: v2 (value 1), since there are extensions. */
    SEAL_ENSURE(X509_CRL_set_version(crl, 1) &&
                    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca_cert)),
                SEAL_ENOMEM, "out of memory");
    tu = ASN1_TIME_set(NULL, spec->this_update);
    nu = ASN1_TIME_set(NULL, spec->next_update);
    SEAL_ENSURE(tu && nu && X509_CRL_set1_lastUpdate(crl, tu) && X509_CRL_set1_nextUpdate(crl, nu),
                SEAL_ENOMEM, "out of memory");
    for (size_t i = 0; i < spec->n_entries; i++) {
        SEAL_ENSURE(spec->delta_base || spec->entries[i].reason != SEAL_CRL_REASON_REMOVE,
                    SEAL_EINVAL, "removeFromCRL belongs to delta CRLs (RFC 5280 5.3.1)");
        SEAL_TRY(add_entry(crl, &spec->entries[i]));
    }
    SEAL_ENSURE(!spec->delta_base || spec->delta_base < spec->number, SEAL_EINVAL,
                "a delta CRL's number must come after its base CRL's");
    SEAL_TRY(add_crl_extensions(crl, ca_cert, spec->number, spec->delta_base));
    /* RFC 5280 5.1.2.6 does not order entries; sorting lets readers search them. */
    SEAL_ENSURE(X509_CRL_sort(crl), SEAL_ENOMEM, "out of memory");
    md_ctx = EVP_MD_CTX_new();
    SEAL_ENSURE(md_ctx, SEAL_ENOMEM, "out of memory");
    SEAL_TRY(pki_sign_init(md_ctx, &pkey_ctx, ca_key));
    if (X509_CRL_sign_ctx(crl, md_ctx) <= 0) {
        rc = seal_error_set_openssl(SEAL_ECRYPTO, "the CRL could not be signed");
        goto out;
    }
    *out = crl;
    crl = NULL;
out:
    X509_CRL_free(crl);
    ASN1_TIME_free(tu);
    ASN1_TIME_free(nu);
    EVP_MD_CTX_free(md_ctx);
    EVP_PKEY_CTX_free(pkey_ctx);
    return rc;
}
