/* Signature checks by algorithm OID: the verify flow calls this for the CMS signer info of
 * a PDF signature (cms_parse.c) and for the maker and stamper signatures of OFD seals.
 * SM2 signatures arrive DER-encoded, or as 64-byte raw r||s from hardware tokens. */
#include "crypto_int.h"

#include <seal/error.h>

#include <limits.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <string.h>

#define OID_RSA_SHA384    "1.2.840.113549.1.1.12"
#define OID_RSA_SHA512    "1.2.840.113549.1.1.13"
#define OID_ECDSA_SHA384  "1.2.840.10045.4.3.3"
#define OID_ECDSA_SHA512  "1.2.840.10045.4.3.4"
#define OID_EC_PUBLIC_KEY "1.2.840.10045.2.1"
#define OID_SM2_SIGN      "1.2.156.10197.1.301.1" /* GM/T 0006 sm2-1, used by some signers */

/* The key algorithm and digest a signature algorithm OID stands for. For rsaEncryption
 * and ecPublicKey (RFC 3370 3.2, RFC 5753 7.1.2 allow them in SignerInfo) the digest is
 * the one the caller names. */
static int resolve_alg(const char *oid, const EVP_MD *md, seal_key_alg *alg, const EVP_MD **alg_md)
{
    static const struct {
        const char *oid;
        seal_key_alg alg;
        const EVP_MD *(*md)(void);
    } table[] = {
        {SEAL_OID_SM2_WITH_SM3, SEAL_ALG_SM2, EVP_sm3},
        {OID_SM2_SIGN, SEAL_ALG_SM2, EVP_sm3},
        {SEAL_OID_SHA256_WITH_RSA, SEAL_ALG_RSA, EVP_sha256},
        {OID_RSA_SHA384, SEAL_ALG_RSA, EVP_sha384},
        {OID_RSA_SHA512, SEAL_ALG_RSA, EVP_sha512},
        {SEAL_OID_ECDSA_WITH_SHA256, SEAL_ALG_ECDSA, EVP_sha256},
        {OID_ECDSA_SHA384, SEAL_ALG_ECDSA, EVP_sha384},
        {OID_ECDSA_SHA512, SEAL_ALG_ECDSA, EVP_sha512},
        {SEAL_OID_RSA_ENCRYPTION, SEAL_ALG_RSA, NULL},
        {OID_EC_PUBLIC_KEY, SEAL_ALG_ECDSA, NULL},
    };
    for (size_t i = 0; oid && i < sizeof table / sizeof table[0]; i++) {
        if (strcmp(table[i].oid, oid) != 0)
            continue;
        *alg = table[i].alg;
        *alg_md = table[i].md ? table[i].md() : md;
        if (!*alg_md)
            return seal_error_set(SEAL_EINVAL,
                                  "the signature algorithm %s needs a digest algorithm", oid);
        return 0;
    }
    return seal_error_set(SEAL_EUNSUPPORTED, "the signature algorithm %s is not supported",
                          oid ? oid : "(none)");
}

/* GM/T 0009 7.3 stores SM2 signatures as DER SEQUENCE { r, s }; some tokens emit the
 * 64-byte r||s instead. */
static int sm2_raw_to_der(seal_buf *out, const uint8_t *sig)
{
    int rc = 0;
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, 32, NULL);
    BIGNUM *s = BN_bin2bn(sig + 32, 32, NULL);
    unsigned char *der = NULL;

    SEAL_ENSURE(es && r && s, SEAL_ENOMEM, "out of memory");
    SEAL_ENSURE(ECDSA_SIG_set0(es, r, s), SEAL_ENOMEM, "out of memory");
    r = s = NULL;
    int len = i2d_ECDSA_SIG(es, &der);
    SEAL_ENSURE(len > 0, SEAL_ECRYPTO, "cannot encode the SM2 signature");
    SEAL_TRY(seal_buf_set(out, der, (size_t)len));
out:
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
    BN_free(r);
    BN_free(s);
    return rc;
}

int seal_sm2_signature_der(seal_buf *out, const uint8_t *sig, size_t len)
{
    if (!out || !sig || len == 0)
        return seal_error_set(SEAL_EINVAL, "no SM2 signature");
    return len == 64 ? sm2_raw_to_der(out, sig) : seal_buf_set(out, sig, len);
}

int seal_verify_signature(X509 *cert, const char *alg_oid, const EVP_MD *md, const uint8_t *msg,
                          size_t msg_len, const uint8_t *sig, size_t sig_len)
{
    int rc = 0;
    seal_key_alg alg = SEAL_ALG_UNKNOWN;
    const EVP_MD *alg_md = NULL;
    EVP_PKEY *key = NULL;
    EVP_MD_CTX *mctx = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    seal_buf der_sig = SEAL_BUF_INIT;

    SEAL_ENSURE(cert, SEAL_EINVAL, "no certificate to check the signature with");
    SEAL_TRY(resolve_alg(alg_oid, md, &alg, &alg_md));
    EVP_PKEY *cert_key = X509_get0_pubkey(cert);
    SEAL_ENSURE(cert_key, SEAL_EFORMAT, "the certificate's public key cannot be read");
    seal_key_alg key_alg = seal_key_alg_of(cert_key);
    SEAL_ENSURE(key_alg == alg, SEAL_ECRYPTO,
                "the signature algorithm %s does not fit the certificate's %s key", alg_oid,
                seal_key_alg_name(key_alg));
    SEAL_TRY(seal_key_normalize(&key, cert_key));

    if (alg == SEAL_ALG_SM2 && sig_len == 64) {
        SEAL_TRY(sm2_raw_to_der(&der_sig, sig));
        sig = der_sig.data;
        sig_len = der_sig.len;
    }
    mctx = EVP_MD_CTX_new();
    SEAL_ENSURE(mctx, SEAL_ENOMEM, "out of memory");
    if (alg == SEAL_ALG_SM2) {
        pctx = EVP_PKEY_CTX_new(key, NULL);
        SEAL_ENSURE(pctx, SEAL_ENOMEM, "out of memory");
        if (EVP_PKEY_CTX_set1_id(pctx, SEAL_SM2_USER_ID, (int)sizeof SEAL_SM2_USER_ID - 1) <= 0) {
            rc = seal_error_set_openssl(SEAL_ECRYPTO, "cannot set the SM2 user ID");
            goto out;
        }
        EVP_MD_CTX_set_pkey_ctx(mctx, pctx);
    }
    if (EVP_DigestVerifyInit(mctx, NULL, alg_md, NULL, key) <= 0) {
        rc = seal_error_set_openssl(SEAL_ECRYPTO, "cannot check a %s signature with %s",
                                    seal_key_alg_name(alg), EVP_MD_get0_name(alg_md));
        goto out;
    }
    if (EVP_DigestVerify(mctx, sig, sig_len, msg, msg_len) != 1) {
        ERR_clear_error();
        SEAL_FAIL(SEAL_ECRYPTO, "the %s signature does not verify with the certificate's key",
                  seal_key_alg_name(alg));
    }
out:
    EVP_MD_CTX_free(mctx);
    EVP_PKEY_CTX_free(pctx);
    EVP_PKEY_free(key);
    seal_buf_clear(&der_sig);
    return rc;
}

int seal_verify_digest_signature(X509 *cert, const uint8_t *digest, size_t digest_len,
                                 const uint8_t *sig, size_t sig_len)
{
    int rc = 0;
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    seal_buf der_sig = SEAL_BUF_INIT;

    SEAL_ENSURE(cert && X509_get0_pubkey(cert), SEAL_EINVAL,
                "no certificate to check the signature with");
    SEAL_ENSURE(sig && sig_len > 0 && sig_len <= 16384, SEAL_ECRYPTO,
                "the signature is empty or implausibly long (%zu bytes)", sig_len);
    SEAL_TRY(seal_key_normalize(&key, X509_get0_pubkey(cert)));
    seal_key_alg alg = seal_key_alg_of(key);
    SEAL_ENSURE(alg != SEAL_ALG_UNKNOWN, SEAL_EUNSUPPORTED,
                "the certificate's key is neither RSA, ECDSA nor SM2");
    if (alg == SEAL_ALG_SM2 && sig_len == 64) {
        SEAL_TRY(sm2_raw_to_der(&der_sig, sig));
        sig = der_sig.data;
        sig_len = der_sig.len;
    }
    ctx = EVP_PKEY_CTX_new(key, NULL);
    SEAL_ENSURE(ctx, SEAL_ENOMEM, "out of memory");
    bool ready = EVP_PKEY_verify_init(ctx) > 0;
    if (ready && alg == SEAL_ALG_RSA)
        ready = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0 &&
                EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) > 0;
    if (!ready) {
        rc = seal_error_set_openssl(SEAL_ECRYPTO, "cannot check a %s signature",
                                    seal_key_alg_name(alg));
        goto out;
    }
    if (EVP_PKEY_verify(ctx, sig, sig_len, digest, digest_len) != 1) {
        ERR_clear_error();
        SEAL_FAIL(SEAL_ECRYPTO,
                  "the %s signature does not verify with the certificate's key over the "
                  "prepared data (another key, or not this digest)",
                  seal_key_alg_name(alg));
    }
out:
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    seal_buf_clear(&der_sig);
    return rc;
}
