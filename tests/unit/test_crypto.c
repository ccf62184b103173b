/* Keys, certificates, digests and signatures: generation and signing for RSA, ECDSA and
 * SM2, the GB/T 32918 / SM3 test vectors, encrypted key round trips, and the real SM2 keys
 * of the shared corpus (USER.p12, sign_key.pem). */
#include "testutil.h"

#include <seal/crypto.h>
#include <seal/error.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *corpus_file(const char *name)
{
    const char *dir = test_corpus_dir();
    return dir ? test_path(test_path(dir, "ofd"), name) : NULL;
}

/* A certificate for `key`, issued (signed) by an ECDSA key so that it can be made with any
 * subject key type; only its public key matters to these tests. */
static X509 *make_cert(EVP_PKEY *key, const char *cn)
{
    EVP_PKEY *issuer_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *cert = X509_new();
    assert_non_null(issuer_key);
    assert_non_null(cert);
    assert_true(X509_set_version(cert, X509_VERSION_3));
    assert_true(ASN1_INTEGER_set(X509_get_serialNumber(cert), 4711));
    X509_NAME *name = X509_get_subject_name(cert);
    assert_true(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
                                           -1, 0));
    assert_true(X509_set_issuer_name(cert, name));
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(cert), 0));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(cert), 86400));
    assert_true(X509_set_pubkey(cert, key));
    assert_true(X509_sign(cert, issuer_key, EVP_sha256()) > 0);
    EVP_PKEY_free(issuer_key);
    return cert;
}

static void test_alg_names(void **state)
{
    (void)state;
    seal_key_alg alg = SEAL_ALG_UNKNOWN;
    assert_int_equal(seal_key_alg_parse(&alg, "sm2"), 0);
    assert_int_equal(alg, SEAL_ALG_SM2);
    assert_int_equal(seal_key_alg_parse(&alg, "RSA"), 0);
    assert_int_equal(alg, SEAL_ALG_RSA);
    assert_string_equal(seal_key_alg_name(SEAL_ALG_ECDSA), "ecdsa");
    assert_int_equal(seal_key_alg_parse(&alg, "dsa"), SEAL_EINVAL);
    assert_non_null(strstr(seal_error_last(), "dsa"));
}

static void sign_and_verify(seal_key_alg alg, int bits, const char *sig_oid)
{
    EVP_PKEY *key = NULL;
    seal_signer *signer = NULL;
    seal_buf sig = SEAL_BUF_INIT;
    static const uint8_t msg[] = "the bytes of a document";

    assert_int_equal(seal_key_generate(&key, alg, bits), 0);
    assert_int_equal(seal_key_alg_of(key), alg);
    X509 *cert = make_cert(key, "Signer");
    assert_int_equal(seal_signer_new_software(&signer, key, cert, NULL), 0);
    assert_int_equal(seal_signer_alg(signer), alg);
    assert_int_equal(sk_X509_num(seal_signer_chain(signer)), 0);
    assert_int_equal(seal_signer_sign(signer, &sig, msg, sizeof msg), 0);
    assert_true(sig.len > 0 && sig.len <= seal_signer_max_sig_len(signer));

    assert_int_equal(seal_verify_signature(cert, sig_oid, NULL, msg, sizeof msg, sig.data, sig.len),
                     0);
    /* A changed message or signature must not verify. */
    uint8_t other[sizeof msg];
    memcpy(other, msg, sizeof msg);
    other[0] ^= 1;
    assert_int_equal(
        seal_verify_signature(cert, sig_oid, NULL, other, sizeof other, sig.data, sig.len),
        SEAL_ECRYPTO);
    sig.data[sig.len / 2] ^= 0x40;
    assert_int_equal(seal_verify_signature(cert, sig_oid, NULL, msg, sizeof msg, sig.data, sig.len),
                     SEAL_ECRYPTO);

    seal_buf_clear(&sig);
    seal_signer_free(signer);
    X509_free(cert);
    EVP_PKEY_free(key);
}

static void test_sign_verify_rsa(void **state)
{
    (void)state;
    sign_and_verify(SEAL_ALG_RSA, 2048, SEAL_OID_SHA256_WITH_RSA);
}

static void test_sign_verify_rsa3072(void **state)
{
    (void)state;
    sign_and_verify(SEAL_ALG_RSA, 3072, SEAL_OID_SHA256_WITH_RSA);
}

static void test_sign_verify_ecdsa(void **state)
{
    (void)state;
    sign_and_verify(SEAL_ALG_ECDSA, 0, SEAL_OID_ECDSA_WITH_SHA256);
}

static void test_sign_verify_sm2(void **state)
{
    (void)state;
    sign_and_verify(SEAL_ALG_SM2, 0, SEAL_OID_SM2_WITH_SM3);
}

/* rsaEncryption as the signature algorithm takes its digest from the caller (RFC 3370). */
static void test_verify_rsa_encryption_with_md(void **state)
{
    (void)state;
    EVP_PKEY *key = NULL;
    seal_signer *signer = NULL;
    seal_buf sig = SEAL_BUF_INIT;
    assert_int_equal(seal_key_generate(&key, SEAL_ALG_RSA, 2048), 0);
    X509 *cert = make_cert(key, "RSA");
    assert_int_equal(seal_signer_new_software(&signer, key, cert, NULL), 0);
    assert_int_equal(seal_signer_sign(signer, &sig, (const uint8_t *)"abc", 3), 0);
    assert_int_equal(seal_verify_signature(cert, SEAL_OID_RSA_ENCRYPTION, EVP_sha256(),
                                           (const uint8_t *)"abc", 3, sig.data, sig.len),
                     0);
    assert_int_equal(seal_verify_signature(cert, SEAL_OID_RSA_ENCRYPTION, EVP_sha384(),
                                           (const uint8_t *)"abc", 3, sig.data, sig.len),
                     SEAL_ECRYPTO);
    /* An ECDSA algorithm with an RSA key is refused, not crashed on. */
    assert_int_equal(seal_verify_signature(cert, SEAL_OID_ECDSA_WITH_SHA256, NULL,
                                           (const uint8_t *)"abc", 3, sig.data, sig.len),
                     SEAL_ECRYPTO);
    assert_int_equal(
        seal_verify_signature(cert, "1.2.3.4", NULL, (const uint8_t *)"abc", 3, sig.data, sig.len),
        SEAL_EUNSUPPORTED);
    seal_buf_clear(&sig);
    seal_signer_free(signer);
    X509_free(cert);
    EVP_PKEY_free(key);
}

static void test_signer_refuses_foreign_key(void **state)
{
    (void)state;
    EVP_PKEY *key = NULL, *other = NULL;
    seal_signer *signer = NULL;
    assert_int_equal(seal_key_generate(&key, SEAL_ALG_SM2, 0), 0);
    assert_int_equal(seal_key_generate(&other, SEAL_ALG_SM2, 0), 0);
    X509 *cert = make_cert(other, "Someone else");
    assert_int_equal(seal_signer_new_software(&signer, key, cert, NULL), SEAL_ECRYPTO);
    assert_null(signer);
    X509_free(cert);
    EVP_PKEY_free(other);
    EVP_PKEY_free(key);

    assert_int_equal(seal_key_generate(&key, SEAL_ALG_ECDSA, 0), 0);
    assert_int_equal(seal_key_generate(&other, SEAL_ALG_ECDSA, 0), 0);
    cert = make_cert(other, "Someone else");
    assert_int_equal(seal_signer_new_software(&signer, key, cert, NULL), SEAL_ECRYPTO);
    X509_free(cert);
    EVP_PKEY_free(other);
    EVP_PKEY_free(key);
}

/* The keys a seal may sign with: RSA 2048 and more, ECDSA P-256, SM2; weaker or other
 * keys are refused naming what they are. */
static void test_seal_key_algorithms(void **state)
{
    (void)state;
    EVP_PKEY *key = NULL;
    assert_int_equal(seal_key_generate(&key, SEAL_ALG_RSA, 3072), 0);
    assert_int_equal(seal_key_check_seal_alg(key), 0);
    EVP_PKEY_free(key);
    assert_int_equal(seal_key_generate(&key, SEAL_ALG_ECDSA, 0), 0);
    assert_int_equal(seal_key_check_seal_alg(key), 0);
    EVP_PKEY_free(key);
    assert_int_equal(seal_key_generate(&key, SEAL_ALG_SM2, 0), 0);
    assert_int_equal(seal_key_check_seal_alg(key), 0);
    EVP_PKEY_free(key);

    key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    assert_int_equal(seal_key_check_seal_alg(key), SEAL_EUNSUPPORTED);
    assert_non_null(strstr(seal_error_last(), "RSA of 1024 bits"));
    EVP_PKEY_free(key);
    key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    assert_int_equal(seal_key_check_seal_alg(key), SEAL_EUNSUPPORTED);
    assert_non_null(strstr(seal_error_last(), "curve secp384r1"));
    EVP_PKEY_free(key);
    key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
    assert_int_equal(seal_key_check_seal_alg(key), SEAL_EUNSUPPORTED);
    EVP_PKEY_free(key);
    key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    assert_int_equal(seal_key_check_seal_alg(key), SEAL_EUNSUPPORTED);
    assert_non_null(strstr(seal_error_last(), "ED25519"));
    EVP_PKEY_free(key);
}

static void hex_to_bytes(const char *hex, uint8_t *out, size_t len)
{
    seal_buf b = SEAL_BUF_INIT;
    assert_int_equal(seal_hex_decode(&b, hex, strlen(hex)), 0);
    assert_int_equal(b.len, len);
    memcpy(out, b.data, len);
    seal_buf_clear(&b);
}

/* The SM2 public key for private key d on the recommended curve, built through
 * OSSL_PARAM (group "SM2"). */
static EVP_PKEY *sm2_key_from_private(const char *d_hex)
{
    BIGNUM *d = NULL;
    assert_true(BN_hex2bn(&d, d_hex) > 0);
    EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_sm2);
    EC_POINT *pub = EC_POINT_new(group);
    assert_true(EC_POINT_mul(group, pub, d, NULL, NULL, NULL));
    uint8_t point[65];
    assert_int_equal(
        EC_POINT_point2oct(group, pub, POINT_CONVERSION_UNCOMPRESSED, point, sizeof point, NULL),
        65);

    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    assert_true(OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0));
    assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d));
    assert_true(OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 65));
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
    EVP_PKEY *key = NULL;
    assert_true(EVP_PKEY_fromdata_init(ctx) > 0);
    assert_true(EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params) > 0);

    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EC_POINT_free(pub);
    EC_GROUP_free(group);
    BN_free(d);
    return key;
}

/* GB/T 32918.5 annex A (OFD-SEAL.md 3): r, s over "message digest" with ID
 * 1234567812345678, checked as raw r||s and as DER. */
static void test_sm2_standard_vector(void **state)
{
    (void)state;
    EVP_PKEY *key = sm2_key_from_private("3945208F7B2144B13F36E38AC6D39F9588939369"
                                         "2860B51A42FB81EF4DF7C5B8");
    assert_int_equal(seal_key_alg_of(key), SEAL_ALG_SM2);
    X509 *cert = make_cert(key, "GB/T 32918 vector");
    uint8_t rs[64];
    hex_to_bytes("F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
                 "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA",
                 rs, sizeof rs);
    static const char msg[] = "message digest";

    assert_int_equal(seal_verify_signature(cert, SEAL_OID_SM2_WITH_SM3, NULL, (const uint8_t *)msg,
                                           strlen(msg), rs, sizeof rs),
                     0);

    ECDSA_SIG *es = ECDSA_SIG_new();
    assert_true(ECDSA_SIG_set0(es, BN_bin2bn(rs, 32, NULL), BN_bin2bn(rs + 32, 32, NULL)));
    unsigned char *der = NULL;
    int der_len = i2d_ECDSA_SIG(es, &der);
    assert_true(der_len > 64);
    assert_int_equal(seal_verify_signature(cert, SEAL_OID_SM2_WITH_SM3, NULL, (const uint8_t *)msg,
                                           strlen(msg), der, (size_t)der_len),
                     0);
    /* Another message with the same signature fails. */
    assert_int_equal(seal_verify_signature(cert, SEAL_OID_SM2_WITH_SM3, NULL,
                                           (const uint8_t *)"message digesT", strlen(msg), rs,
                                           sizeof rs),
                     SEAL_ECRYPTO);
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
    X509_free(cert);
    EVP_PKEY_free(key);
}

/* GB/T 32918.5 annex A: e = SM3(Z_A || M) for the same key and message, and the
 * standard's r, s verify over that digest alone: what an external SM2 signer is handed. */
static void test_sm2_signed_digest_vector(void **state)
{
    (void)state;
    EVP_PKEY *key = sm2_key_from_private("3945208F7B2144B13F36E38AC6D39F9588939369"
                                         "2860B51A42FB81EF4DF7C5B8");
    X509 *cert = make_cert(key, "GB/T 32918 vector");
    uint8_t rs[64], expected_e[32], e[EVP_MAX_MD_SIZE];
    size_t e_len = 0;
    hex_to_bytes("F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
                 "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA",
                 rs, sizeof rs);
    hex_to_bytes("F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640", expected_e,
                 sizeof expected_e);
    static const char msg[] = "message digest";
    assert_int_equal(seal_cert_signed_digest(cert, (const uint8_t *)msg, strlen(msg), e, &e_len),
                     0);
    assert_int_equal(e_len, 32);
    assert_memory_equal(e, expected_e, 32);
    assert_int_equal(seal_verify_digest_signature(cert, e, e_len, rs, sizeof rs), 0);
    e[0] ^= 1;
    assert_int_equal(seal_verify_digest_signature(cert, e, e_len, rs, sizeof rs), SEAL_ECRYPTO);
    X509_free(cert);
    EVP_PKEY_free(key);
}

/* Signing a digest and checking it: the signer's signature verifies over the digest and
 * over the message; another key's does not; an external signer refuses to sign but knows
 * its certificate and its largest signature. */
static void digest_sign_and_check(seal_key_alg alg, const char *sig_oid)
{
    EVP_PKEY *key = NULL, *other_key = NULL;
    seal_signer *signer = NULL, *other = NULL, *external = NULL;
    seal_buf sig = SEAL_BUF_INIT, other_sig = SEAL_BUF_INIT;
    uint8_t digest[EVP_MAX_MD_SIZE];
    size_t digest_len = 0;
    static const uint8_t msg[] = "signed attributes";

    assert_int_equal(seal_key_generate(&key, alg, 2048), 0);
    assert_int_equal(seal_key_generate(&other_key, alg, 2048), 0);
    X509 *cert = make_cert(key, "Signer");
    X509 *other_cert = make_cert(other_key, "Other");
    assert_int_equal(seal_signer_new_software(&signer, key, cert, NULL), 0);
    assert_int_equal(seal_signer_new_software(&other, other_key, other_cert, NULL), 0);
    assert_string_equal(seal_signer_kind(signer), "software");
    assert_int_equal(seal_signer_digest(signer, msg, sizeof msg, digest, &digest_len), 0);
    assert_int_equal(seal_signer_sign_digest(signer, &sig, digest, digest_len), 0);
    assert_int_equal(seal_verify_digest_signature(cert, digest, digest_len, sig.data, sig.len), 0);
    assert_int_equal(seal_verify_signature(cert, sig_oid, NULL, msg, sizeof msg, sig.data, sig.len),
                     0);
    assert_int_equal(seal_signer_sign_digest(other, &other_sig, digest, digest_len), 0);
    assert_int_equal(
        seal_verify_digest_signature(cert, digest, digest_len, other_sig.data, other_sig.len),
        SEAL_ECRYPTO);
    assert_int_equal(seal_verify_digest_signature(cert, digest, digest_len, sig.data, sig.len / 2),
                     SEAL_ECRYPTO);
    assert_int_equal(seal_signer_sign_digest(signer, &sig, digest, digest_len - 1), SEAL_EINVAL);

    assert_int_equal(seal_signer_new_external(&external, cert, NULL), 0);
    assert_string_equal(seal_signer_kind(external), "external");
    assert_false(seal_signer_signs_here(external));
    assert_true(seal_signer_signs_here(signer));
    assert_int_equal(seal_signer_max_sig_len(external), seal_signer_max_sig_len(signer));
    assert_int_equal(seal_signer_sign_digest(external, &sig, digest, digest_len),
                     SEAL_EUNSUPPORTED);

    seal_buf_clear(&sig);
    seal_buf_clear(&other_sig);
    seal_signer_free(signer);
    seal_signer_free(other);
    seal_signer_free(external);
    X509_free(cert);
    X509_free(other_cert);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other_key);
}

static void test_digest_signing(void **state)
{
    (void)state;
    digest_sign_and_check(SEAL_ALG_RSA, SEAL_OID_SHA256_WITH_RSA);
    digest_sign_and_check(SEAL_ALG_ECDSA, SEAL_OID_ECDSA_WITH_SHA256);
    digest_sign_and_check(SEAL_ALG_SM2, SEAL_OID_SM2_WITH_SM3);
}

static void test_sm3_abc(void **state)
{
    (void)state;
    uint8_t out[EVP_MAX_MD_SIZE], want[32];
    size_t len = 0;
    hex_to_bytes("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0", want,
                 sizeof want);
    assert_int_equal(seal_digest(seal_digest_for_alg(SEAL_ALG_SM2), "abc", 3, out, &len), 0);
    assert_int_equal(len, 32);
    assert_memory_equal(out, want, 32);
    assert_ptr_equal(seal_digest_for_alg(SEAL_ALG_RSA), EVP_sha256());
}

static void test_sm2_key_survives_encryption(void **state)
{
    (void)state;
    EVP_PKEY *key = NULL, *back = NULL;
    seal_buf pem = SEAL_BUF_INIT;
    static const char pin[] = "pin-4711-secret";

    assert_int_equal(seal_key_generate(&key, SEAL_ALG_SM2, 0), 0);
    assert_int_equal(seal_key_encrypt_pem(&pem, key, pin), 0);
    assert_non_null(memmem(pem.data, pem.len, "BEGIN ENCRYPTED PRIVATE KEY", 27));

    /* The PKCS#8 container uses PBES2 (PBKDF2) with AES-256-CBC. */
    BIO *bio = BIO_new_mem_buf(pem.data, (int)pem.len);
    X509_SIG *p8 = PEM_read_bio_PKCS8(bio, NULL, NULL, NULL);
    assert_non_null(p8);
    const X509_ALGOR *alg = NULL;
    X509_SIG_get0(p8, &alg, NULL);
    const ASN1_OBJECT *obj = NULL;
    const void *pval = NULL;
    int ptype = 0;
    X509_ALGOR_get0(&obj, &ptype, &pval, alg);
    assert_int_equal(ptype, V_ASN1_SEQUENCE);
    const ASN1_STRING *param = pval;
    assert_int_equal(OBJ_obj2nid(obj), NID_pbes2);
    PBE2PARAM *pbe2 = ASN1_item_unpack(param, ASN1_ITEM_rptr(PBE2PARAM));
    assert_non_null(pbe2);
    assert_int_equal(OBJ_obj2nid(pbe2->keyfunc->algorithm), NID_id_pbkdf2);
    assert_int_equal(OBJ_obj2nid(pbe2->encryption->algorithm), NID_aes_256_cbc);
    PBE2PARAM_free(pbe2);
    X509_SIG_free(p8);
    BIO_free(bio);

    assert_int_equal(seal_key_load_mem(&back, pem.data, pem.len, pin), 0);
    assert_int_equal(seal_key_alg_of(back), SEAL_ALG_SM2);
    assert_int_equal(EVP_PKEY_eq(key, back), 1);
    EVP_PKEY_free(back);
    back = NULL;

    assert_int_equal(seal_key_load_mem(&back, pem.data, pem.len, "pin-4712-secret"), SEAL_EAUTH);
    assert_null(back);
    assert_null(strstr(seal_error_last(), "4712"));
    assert_int_equal(seal_key_load_mem(&back, pem.data, pem.len, NULL), SEAL_EAUTH);

    /* Through a file, the message names the file, never the password. */
    const char *path = test_path(test_tmpdir(), "sm2-key.pem");
    assert_int_equal(seal_buf_write_file(&pem, path, 0600), 0);
    assert_int_equal(seal_key_load(&back, NULL, NULL, path, "wrong-pass"), SEAL_EAUTH);
    assert_non_null(strstr(seal_error_last(), "wrong password for the key in"));
    assert_non_null(strstr(seal_error_last(), "sm2-key.pem"));
    assert_null(strstr(seal_error_last(), "wrong-pass"));
    assert_int_equal(seal_key_load(&back, NULL, NULL, path, pin), 0);
    assert_int_equal(EVP_PKEY_eq(key, back), 1);

    EVP_PKEY_free(back);
    EVP_PKEY_free(key);
    seal_buf_clear(&pem);
}

static void test_der_pkcs8_keys(void **state)
{
    (void)state;
    EVP_PKEY *key = NULL, *back = NULL;
    assert_int_equal(seal_key_generate(&key, SEAL_ALG_ECDSA, 0), 0);

    /* Plain PKCS#8 DER. */
    BIO *bio = BIO_new(BIO_s_mem());
    assert_true(i2d_PKCS8PrivateKey_bio(bio, key, NULL, NULL, 0, NULL, NULL));
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    assert_int_equal(seal_key_load_mem(&back, (uint8_t *)data, (size_t)len, NULL), 0);
    assert_int_equal(EVP_PKEY_eq(key, back), 1);
    EVP_PKEY_free(back);
    back = NULL;
    BIO_free(bio);

    /* Encrypted PKCS#8 DER. */
    bio = BIO_new(BIO_s_mem());
    assert_true(i2d_PKCS8PrivateKey_bio(bio, key, EVP_aes_256_cbc(), "geheim", 6, NULL, NULL));
    len = BIO_get_mem_data(bio, &data);
    assert_int_equal(seal_key_load_mem(&back, (uint8_t *)data, (size_t)len, "geheim"), 0);
    assert_int_equal(EVP_PKEY_eq(key, back), 1);
    EVP_PKEY_free(back);
    back = NULL;
    assert_int_equal(seal_key_load_mem(&back, (uint8_t *)data, (size_t)len, "falsch"), SEAL_EAUTH);
    BIO_free(bio);

    /* Not a key at all. */
    const char *path = test_path(test_tmpdir(), "notakey.bin");
    seal_buf junk = SEAL_BUF_INIT;
    assert_int_equal(seal_buf_append_str(&junk, "this is not a key"), 0);
    assert_int_equal(seal_buf_write_file(&junk, path, 0600), 0);
    assert_int_equal(seal_key_load(&back, NULL, NULL, path, NULL), SEAL_EFORMAT);
    assert_non_null(strstr(seal_error_last(), "notakey.bin"));
    seal_buf_clear(&junk);
    EVP_PKEY_free(key);
}

static void test_cert_helpers(void **state)
{
    (void)state;
    EVP_PKEY *key = NULL;
    X509 *back = NULL;
    seal_buf der = SEAL_BUF_INIT, pem = SEAL_BUF_INIT;
    assert_int_equal(seal_key_generate(&key, SEAL_ALG_ECDSA, 0), 0);
    X509 *cert = make_cert(key, "Zhejiang Seal Office 浙江");
    char *cn = seal_cert_subject_cn(cert);
    assert_string_equal(cn, "Zhejiang Seal Office 浙江");
    free(cn);

    assert_int_equal(seal_cert_to_der(&der, cert), 0);
    assert_int_equal(seal_cert_load_mem(&back, der.data, der.len), 0);
    assert_int_equal(X509_cmp(cert, back), 0);
    X509_free(back);
    assert_int_equal(seal_cert_to_pem(&pem, cert), 0);
    const char *path = test_path(test_tmpdir(), "two.pem");
    seal_buf two = SEAL_BUF_INIT;
    assert_int_equal(seal_buf_append(&two, pem.data, pem.len), 0);
    assert_int_equal(seal_buf_append(&two, pem.data, pem.len), 0);
    assert_int_equal(seal_buf_write_file(&two, path, 0644), 0);
    seal_buf_clear(&two);
    STACK_OF(X509) *certs = NULL;
    assert_int_equal(seal_certs_load(&certs, path), 0);
    assert_int_equal(sk_X509_num(certs), 2);
    sk_X509_pop_free(certs, X509_free);
    assert_int_equal(seal_cert_load(&back, path), 0);
    X509_free(back);
    assert_int_equal(seal_cert_load_mem(&back, der.data, der.len - 1), SEAL_EFORMAT);

    seal_buf_clear(&der);
    seal_buf_clear(&pem);
    X509_free(cert);
    EVP_PKEY_free(key);
}

static void test_corpus_user_p12(void **state)
{
    (void)state;
    const char *path = corpus_file("USER.p12");
    if (!path) {
        print_message("SEAL_CORPUS not set: skipping USER.p12\n");
        skip();
    }
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    STACK_OF(X509) *chain = NULL;
    seal_signer *signer = NULL;
    seal_buf sig = SEAL_BUF_INIT;

    assert_int_equal(seal_key_load(&key, &cert, &chain, path, "000000"), SEAL_EAUTH);
    assert_non_null(strstr(seal_error_last(), "USER.p12"));
    assert_null(strstr(seal_error_last(), "000000"));
    assert_null(key);

    assert_int_equal(seal_key_load(&key, &cert, &chain, path, "777777"), 0);
    assert_int_equal(seal_key_alg_of(key), SEAL_ALG_SM2);
    assert_non_null(cert);
    assert_non_null(chain);
    char *cn = seal_cert_subject_cn(cert);
    assert_string_equal(cn, "Test Certificate");
    free(cn);
    assert_int_equal(seal_signer_new_software(&signer, key, cert, chain), 0);
    assert_int_equal(seal_signer_sign(signer, &sig, (const uint8_t *)"seal", 4), 0);
    assert_int_equal(seal_verify_signature(cert, SEAL_OID_SM2_WITH_SM3, NULL,
                                           (const uint8_t *)"seal", 4, sig.data, sig.len),
                     0);
    seal_buf_clear(&sig);
    seal_signer_free(signer);
    sk_X509_pop_free(chain, X509_free);
    X509_free(cert);
    EVP_PKEY_free(key);
}

static void test_corpus_sign_key_pem(void **state)
{
    (void)state;
    const char *key_path = corpus_file("sign_key.pem");
    if (!key_path) {
        print_message("SEAL_CORPUS not set: skipping sign_key.pem\n");
        skip();
    }
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    seal_signer *signer = NULL;
    assert_int_equal(seal_key_load(&key, NULL, NULL, key_path, NULL), 0);
    assert_int_equal(seal_key_alg_of(key), SEAL_ALG_SM2);
    assert_int_equal(seal_cert_load(&cert, corpus_file("sign_cert.pem")), 0);
    assert_int_equal(seal_signer_new_software(&signer, key, cert, NULL), 0);
    assert_ptr_equal(seal_signer_cert(signer), cert);
    assert_ptr_equal(seal_signer_md(signer), EVP_sm3());
    seal_signer_free(signer);
    X509_free(cert);
    EVP_PKEY_free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alg_names),
        cmocka_unit_test(test_sign_verify_rsa),
        cmocka_unit_test(test_sign_verify_rsa3072),
        cmocka_unit_test(test_sign_verify_ecdsa),
        cmocka_unit_test(test_sign_verify_sm2),
        cmocka_unit_test(test_verify_rsa_encryption_with_md),
        cmocka_unit_test(test_signer_refuses_foreign_key),
        cmocka_unit_test(test_seal_key_algorithms),
        cmocka_unit_test(test_sm2_standard_vector),
        cmocka_unit_test(test_sm2_signed_digest_vector),
        cmocka_unit_test(test_digest_signing),
        cmocka_unit_test(test_sm3_abc),
        cmocka_unit_test(test_sm2_key_survives_encryption),
        cmocka_unit_test(test_der_pkcs8_keys),
        cmocka_unit_test(test_cert_helpers),
        cmocka_unit_test(test_corpus_user_p12),
        cmocka_unit_test(test_corpus_sign_key_pem),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    if (failed == 0 && !test_corpus_dir()) {
        fprintf(stderr, "SEAL_CORPUS is not set or missing: the corpus key tests were skipped\n");
        return 77;
    }
    return failed;
}
