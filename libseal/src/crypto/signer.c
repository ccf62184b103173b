/* The signer: a certificate, its chain, and an ops table that signs a digest with the
 * certificate's key wherever that key lives (software here, PKCS#11 in pkcs11.c, external:
 * nowhere in this process). The stamp flow makes the digest (seal_signer_digest: the
 * algorithm's hash, for SM2 with Z_A of GB/T 32918.2 6.1 folded in) and hands it to the
 * signer, so that a digest handed out by two-phase stamping and one signed here are the
 * same bytes. */
#include "crypto_int.h"

#include <seal/error.h>

#include <limits.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

struct seal_signer {
    const seal_signer_ops *ops;
    void *impl;
    X509 *cert;
    STACK_OF(X509) * chain;
    seal_key_alg alg;
};

int seal_signer_new(seal_signer **out, const seal_signer_ops *ops, void *impl, X509 *cert,
                    STACK_OF(X509) * chain)
{
    int rc = 0;
    seal_signer *s = NULL;

    if (!ops || !cert) {
        if (ops && ops->free)
            ops->free(impl);
        return seal_error_set(SEAL_EINVAL, "a signer needs its kind and its certificate");
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        if (ops->free)
            ops->free(impl);
        return seal_error_set(SEAL_ENOMEM, "out of memory");
    }
    s->ops = ops;
    s->impl = impl;
    EVP_PKEY *pub = X509_get0_pubkey(cert);
    s->alg = pub ? seal_key_alg_of(pub) : SEAL_ALG_UNKNOWN;
    SEAL_ENSURE(s->alg != SEAL_ALG_UNKNOWN, SEAL_EUNSUPPORTED,
                "the certificate's key is neither RSA, ECDSA nor SM2");
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
    if (s->ops->free)
        s->ops->free(s->impl);
    X509_free(s->cert);
    sk_X509_pop_free(s->chain, X509_free);
    free(s);
}

const char *seal_signer_kind(const seal_signer *s)
{
    return s->ops->kind;
}

bool seal_signer_signs_here(const seal_signer *s)
{
    return s->ops->sign_digest != NULL;
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
    if (s->ops->max_signature_len)
        return s->ops->max_signature_len(s->impl);
    /* RSA: the modulus size; ECDSA and SM2: the largest DER SEQUENCE { r, s }. */
    int size = EVP_PKEY_get_size(X509_get0_pubkey(s->cert));
    return size > 0 ? (size_t)size : 0;
}

/* An SM2 curve coordinate or parameter as the 32 bytes Z_A hashes. */
static int put_coordinate(EVP_MD_CTX *md, const BIGNUM *v)
{
    uint8_t bytes[32];
    return BN_bn2binpad(v, bytes, sizeof bytes) == (int)sizeof bytes &&
           EVP_DigestUpdate(md, bytes, sizeof bytes) == 1;
}

/* GB/T 32918.2 5.5: Z_A = SM3(ENTL_A || ID_A || a || b || x_G || y_G || x_A || y_A), with
 * ENTL_A the ID's length in bits on two bytes. */
static int sm2_z(EVP_MD_CTX *md, EVP_PKEY *pub)
{
    int rc = 0;
    EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_sm2);
    BIGNUM *a = BN_new(), *b = BN_new(), *xg = BN_new(), *yg = BN_new();
    BIGNUM *xa = NULL, *ya = NULL;
    static const uint8_t entl[2] = {(sizeof SEAL_SM2_USER_ID - 1) * 8 >> 8,
                                    (sizeof SEAL_SM2_USER_ID - 1) * 8 & 0xff};

    SEAL_ENSURE(group && a && b && xg && yg, SEAL_ENOMEM, "out of memory");
    bool ok =
        EC_GROUP_get_curve(group, NULL, a, b, NULL) == 1 &&
        EC_POINT_get_affine_coordinates(group, EC_GROUP_get0_generator(group), xg, yg, NULL) == 1 &&
        EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_EC_PUB_X, &xa) == 1 &&
        EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_EC_PUB_Y, &ya) == 1;
    if (!ok) {
        rc = seal_error_set_openssl(SEAL_ECRYPTO, "cannot read the SM2 public key");
        goto out;
    }
    ok = EVP_DigestInit_ex(md, EVP_sm3(), NULL) == 1 &&
         EVP_DigestUpdate(md, entl, sizeof entl) == 1 &&
         EVP_DigestUpdate(md, SEAL_SM2_USER_ID, sizeof SEAL_SM2_USER_ID - 1) == 1 &&
         put_coordinate(md, a) && put_coordinate(md, b) && put_coordinate(md, xg) &&
         put_coordinate(md, yg) && put_coordinate(md, xa) && put_coordinate(md, ya);
    SEAL_ENSURE(ok, SEAL_ECRYPTO, "cannot compute the SM2 signer's Z value");
out:
    EC_GROUP_free(group);
    BN_free(a);
    BN_free(b);
    BN_free(xg);
    BN_free(yg);
    BN_free(xa);
    BN_free(ya);
    return rc;
}

int seal_cert_signed_digest(X509 *cert, const uint8_t *msg, size_t len, uint8_t *out,
                            size_t *out_len)
{
    int rc = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY *pub = NULL;
    unsigned n = 0;

    SEAL_ENSURE(md, SEAL_ENOMEM, "out of memory");
    SEAL_ENSURE(cert && X509_get0_pubkey(cert), SEAL_EINVAL, "no certificate to sign for");
    seal_key_alg alg = seal_key_alg_of(X509_get0_pubkey(cert));
    SEAL_ENSURE(alg != SEAL_ALG_UNKNOWN, SEAL_EUNSUPPORTED,
                "the certificate's key is neither RSA, ECDSA nor SM2");
    if (alg == SEAL_ALG_SM2) {
        uint8_t z[32];
        SEAL_TRY(seal_key_normalize(&pub, X509_get0_pubkey(cert)));
        SEAL_TRY(sm2_z(md, pub));
        SEAL_ENSURE(EVP_DigestFinal_ex(md, z, &n) == 1 && n == sizeof z, SEAL_ECRYPTO,
                    "cannot compute the SM2 signer's Z value");
        SEAL_ENSURE(EVP_DigestInit_ex(md, EVP_sm3(), NULL) == 1 &&
                        EVP_DigestUpdate(md, z, sizeof z) == 1,
                    SEAL_ECRYPTO, "cannot compute the SM2 digest");
    } else {
        SEAL_ENSURE(EVP_DigestInit_ex(md, seal_digest_for_alg(alg), NULL) == 1, SEAL_ECRYPTO,
                    "cannot compute the digest");
    }
    SEAL_ENSURE(EVP_DigestUpdate(md, msg, len) == 1 && EVP_DigestFinal_ex(md, out, &n) == 1,
                SEAL_ECRYPTO, "cannot compute the digest to sign");
    *out_len = n;
out:
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pub);
    return rc;
}

int seal_signer_digest(const seal_signer *s, const uint8_t *msg, size_t len, uint8_t *out,
                       size_t *out_len)
{
    return seal_cert_signed_digest(s->cert, msg, len, out, out_len);
}

int seal_signer_sign_digest(const seal_signer *s, seal_buf *sig, const uint8_t *digest, size_t len)
{
    if (!s->ops->sign_digest)
        return seal_error_set(SEAL_EUNSUPPORTED,
                              "this seal's key is not here (an external signer): prepare the "
                              "stamp and finish it with the signature made where the key is");
    int md_size = EVP_MD_get_size(seal_signer_md(s));
    if (!digest || md_size <= 0 || len != (size_t)md_size)
        return seal_error_set(SEAL_EINVAL, "the digest to sign has %zu bytes; %s needs %d", len,
                              seal_key_alg_name(s->alg), md_size);
    return s->ops->sign_digest(s->impl, s->alg, digest, len, sig);
}

int seal_signer_sign(const seal_signer *s, seal_buf *sig, const uint8_t *msg, size_t len)
{
    uint8_t digest[EVP_MAX_MD_SIZE];
    size_t digest_len = 0;
    int rc = seal_signer_digest(s, msg, len, digest, &digest_len);
    return rc < 0 ? rc : seal_signer_sign_digest(s, sig, digest, digest_len);
}

/* ---- the software signer ---- */

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

int crypto_pkey_sign_digest(EVP_PKEY *key, seal_key_alg alg, const uint8_t *digest, size_t len,
                            seal_buf *sig)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
    size_t sig_len = 0;
    bool ok = ctx && EVP_PKEY_sign_init(ctx) > 0;
    if (ok && alg == SEAL_ALG_RSA)
        ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0 &&
             EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) > 0;
    if (ok)
        ok = EVP_PKEY_sign(ctx, NULL, &sig_len, digest, len) > 0;
    if (ok) {
        seal_buf_clear(sig);
        ok = seal_buf_reserve(sig, sig_len) == 0 &&
             EVP_PKEY_sign(ctx, sig->data, &sig_len, digest, len) > 0;
    }
    if (ok)
        sig->len = sig_len;
    EVP_PKEY_CTX_free(ctx);
    return ok ? 0 : -1;
}

static int software_sign_digest(void *impl, seal_key_alg alg, const uint8_t *digest, size_t len,
                                seal_buf *sig)
{
    if (crypto_pkey_sign_digest((EVP_PKEY *)impl, alg, digest, len, sig) < 0)
        return seal_error_set_openssl(SEAL_ECRYPTO, "the %s signature could not be made",
                                      seal_key_alg_name(alg));
    return 0;
}

static size_t software_max_signature_len(void *impl)
{
    int size = EVP_PKEY_get_size((EVP_PKEY *)impl);
    return size > 0 ? (size_t)size : 0;
}

static void software_free(void *impl)
{
    EVP_PKEY_free(impl);
}

static const seal_signer_ops software_ops = {
    .kind = "software",
    .sign_digest = software_sign_digest,
    .max_signature_len = software_max_signature_len,
    .free = software_free,
};

int seal_signer_new_software(seal_signer **out, EVP_PKEY *key, X509 *cert, STACK_OF(X509) * chain)
{
    int rc = 0;
    EVP_PKEY *normal = NULL;

    SEAL_ENSURE(key && cert, SEAL_EINVAL, "a signer needs a private key and its certificate");
    seal_key_alg alg = seal_key_alg_of(key);
    SEAL_ENSURE(alg != SEAL_ALG_UNKNOWN, SEAL_EUNSUPPORTED,
                "the key is neither RSA, ECDSA nor SM2");
    SEAL_TRY(seal_key_normalize(&normal, key));
    SEAL_TRY(check_key_matches_cert(normal, cert, alg));
    rc = seal_signer_new(out, &software_ops, normal, cert, chain);
    normal = NULL; /* owned (or freed) by the signer now */
out:
    EVP_PKEY_free(normal);
    return rc;
}

/* ---- the external signer: the key is elsewhere ---- */

static const seal_signer_ops external_ops = {.kind = "external"};

int seal_signer_new_external(seal_signer **out, X509 *cert, STACK_OF(X509) * chain)
{
    return seal_signer_new(out, &external_ops, NULL, cert, chain);
}
