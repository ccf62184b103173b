/* The software signer: an institution's private key with its certificate and chain. The
 * stamp flow (PDF CMS in cms_sign.c, OFD SES seals) asks it to sign a message; it applies
 * the algorithm's digest itself, and for SM2 the user ID of GB/T 32918.2 / GM/T 0009. */
#include "crypto_int.h"

#include <seal/error.h>

#include <limits.h>
#include <openssl/err.h>
#include <stdlib.h>

struct seal_signer {
    EVP_PKEY *key;
    X509 *cert;
    STACK_OF(X509) * chain;
    seal_key_alg alg;
};

/* For SM2 the public keys are compared directly: X509_check_private_key goes through the
 * certificate's key type, which may differ (EC vs SM2) for the same numbers. */
static int check_key_matches_cert(EVP_PKEY *key, X509 *cert, seal_key_alg alg)
{
    int rc = 0;
    EVP_PKEY *pub = NULL;
    if (alg != SEAL_ALG_SM2) {
        if (!X509_check_private_key(cert, key)) {
            ERR_clear_error();
            return seal_error_set(SEAL_ECRYPTO,
                                  "the private key does not belong to the certificate");
        }
        return 0;
    }
    EVP_PKEY *cert_key = X509_get0_pubkey(cert);
    SEAL_ENSURE(cert_key, SEAL_EFORMAT, "the certificate's public key cannot be read");
    SEAL_ENSURE(seal_key_alg_of(cert_key) == SEAL_ALG_SM2, SEAL_ECRYPTO,
                "the private key is SM2 but the certificate's key is not");
    SEAL_TRY(seal_key_normalize(&pub, cert_key));
    if (EVP_PKEY_eq(pub, key) != 1) {
        ERR_clear_error();
        SEAL_FAIL(SEAL_ECRYPTO, "the private key does not belong to the certificate");
    }
out:
    EVP_PKEY_free(pub);
    return rc;
}

int seal_signer_new_software(seal_signer **out, EVP_PKEY *key, X509 *cert, STACK_OF(X509) * chain)
{
    int rc = 0;
    seal_signer *s = NULL;

    SEAL_ENSURE(key && cert, SEAL_EINVAL, "a signer needs a private key and its certificate");
    seal_key_alg alg = seal_key_alg_of(key);
    SEAL_ENSURE(alg != SEAL_ALG_UNKNOWN, SEAL_EUNSUPPORTED,
                "the key is neither RSA, ECDSA nor SM2");
    s = calloc(1, sizeof *s);
    SEAL_ENSURE(s, SEAL_ENOMEM, "out of memory");
    s->alg = alg;
    SEAL_TRY(seal_key_normalize(&s->key, key));
    SEAL_TRY(check_key_matches_cert(s->key, cert, alg));
    SEAL_ENSURE(X509_up_ref(cert), SEAL_ENOMEM, "out of memory");
    s->cert = cert;
    s->chain = chain ? X509_chain_up_ref(chain) : sk_X509_new_null();
    SEAL_ENSURE(s->chain, SEAL_ENOMEM, "out of memory");
    *out = s;
    s = NULL;
out:
    seal_signer_free(s);
    return rc;
}

void seal_signer_free(seal_signer *s)
{
    if (!s)
        return;
    EVP_PKEY_free(s->key);
    X509_free(s->cert);
    sk_X509_pop_free(s->chain, X509_free);
    free(s);
}

seal_key_alg seal_signer_alg(const seal_signer *s)
{
    return s->alg;
}

X509 *seal_signer_cert(const seal_signer *s)
{
    return s->cert;
}

STACK_OF(X509) * seal_signer_chain(const seal_signer *s)
{
    return s->chain;
}

const EVP_MD *seal_signer_md(const seal_signer *s)
{
    return seal_digest_for_alg(s->alg);
}

size_t seal_signer_max_sig_len(const seal_signer *s)
{
    /* RSA: the modulus size; ECDSA and SM2: the largest DER SEQUENCE { r, s }. */
    int size = EVP_PKEY_get_size(s->key);
    return size > 0 ? (size_t)size : 0;
}

int seal_signer_sign(const seal_signer *s, seal_buf *sig, const uint8_t *msg, size_t len)
{
    int rc = 0;
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    size_t sig_len = 0;

    SEAL_ENSURE(mctx, SEAL_ENOMEM, "out of memory");
    if (s->alg == SEAL_ALG_SM2) {
        /* GB/T 32918.2 6.1: the signed hash covers Z = SM3(ENTL || ID || curve || key),
         * with the ID GM/T 0009 fixes as the default. */
        pctx = EVP_PKEY_CTX_new(s->key, NULL);
        SEAL_ENSURE(pctx, SEAL_ENOMEM, "out of memory");
        if (EVP_PKEY_CTX_set1_id(pctx, SEAL_SM2_USER_ID, (int)sizeof SEAL_SM2_USER_ID - 1) <= 0) {
            rc = seal_error_set_openssl(SEAL_ECRYPTO, "cannot set the SM2 user ID");
            goto out;
        }
        EVP_MD_CTX_set_pkey_ctx(mctx, pctx);
    }
    if (EVP_DigestSignInit(mctx, NULL, seal_signer_md(s), NULL, s->key) <= 0 ||
        EVP_DigestSign(mctx, NULL, &sig_len, msg, len) <= 0) {
        rc = seal_error_set_openssl(SEAL_ECRYPTO, "the %s signature could not be made",
                                    seal_key_alg_name(s->alg));
        goto out;
    }
    seal_buf_clear(sig);
    SEAL_TRY(seal_buf_reserve(sig, sig_len));
    if (EVP_DigestSign(mctx, sig->data, &sig_len, msg, len) <= 0) {
        rc = seal_error_set_openssl(SEAL_ECRYPTO, "the %s signature could not be made",
                                    seal_key_alg_name(s->alg));
        goto out;
    }
    sig->len = sig_len;
out:
    EVP_MD_CTX_free(mctx);
    EVP_PKEY_CTX_free(pctx); /* not owned by mctx after EVP_MD_CTX_set_pkey_ctx */
    return rc;
}
