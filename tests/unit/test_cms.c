/* CMS SignedData for PAdES: our detached CMS (RSA-2048 via an intermediate CA, RSA-3072,
 * ECDSA P-256) must pass `openssl cms -verify` and carry no signing-time; our SM2 CMS
 * must pass our checker and `openssl pkeyutl -verify`; CMS made by `openssl cms -sign`
 * must pass our checker; damaged input must fail cleanly. Needs the openssl program. */
#include "testutil.h"

#include <seal/cms.h>
#include <seal/error.h>

#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const uint8_t content[] = "%PDF-1.7 the signed byte ranges of a document\n";

/* The throwaway PKI: a root, an intermediate, and one end-entity per algorithm. */
static struct {
    EVP_PKEY *root_key, *inter_key;
    X509 *root, *inter;
    STACK_OF(X509) * inter_chain;
} pki;

static const char *tmp(const char *name)
{
    return test_path(test_tmpdir(), name);
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    assert_non_null(ext);
    assert_true(X509_add_ext(cert, ext, -1));
    X509_EXTENSION_free(ext);
}

/* Issues a certificate for `key`; a NULL issuer makes it self-signed. */
static X509 *issue(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, bool ca)
{
    static long serial = 100;
    X509 *cert = X509_new();
    assert_non_null(cert);
    assert_true(X509_set_version(cert, X509_VERSION_3));
    assert_true(ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++));
    X509_NAME *name = X509_get_subject_name(cert);
    assert_true(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                           (const unsigned char *)"Seal Test", -1, -1, 0));
    assert_true(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
                                           -1, 0));
    assert_true(X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name));
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(cert), -3600));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(cert), 86400));
    assert_true(X509_set_pubkey(cert, key));
    X509 *signer_cert = issuer ? issuer : cert;
    add_ext(cert, signer_cert, NID_subject_key_identifier, "hash");
    if (issuer)
        add_ext(cert, signer_cert, NID_authority_key_identifier, "keyid");
    if (ca) {
        add_ext(cert, signer_cert, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(cert, signer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_ext(cert, signer_cert, NID_key_usage, "critical,digitalSignature,nonRepudiation");
    }
    assert_true(X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
    return cert;
}

static void write_pem_cert(X509 *cert, const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(PEM_write_X509(f, cert));
    fclose(f);
}

static void write_pem_key(EVP_PKEY *key, const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL));
    fclose(f);
}

static void write_bytes(const void *data, size_t len, const char *path)
{
    seal_buf b = SEAL_BUF_INIT;
    assert_int_equal(seal_buf_set(&b, data, len), 0);
    assert_int_equal(seal_buf_write_file(&b, path, 0644), 0);
    seal_buf_clear(&b);
}

static int setup_pki(void **state)
{
    (void)state;
    if (system("openssl version >/dev/null 2>&1") != 0) {
        fprintf(stderr, "the openssl program is not installed\n");
        return -1;
    }
    assert_int_equal(seal_key_generate(&pki.root_key, SEAL_ALG_RSA, 2048), 0);
    assert_int_equal(seal_key_generate(&pki.inter_key, SEAL_ALG_ECDSA, 0), 0);
    pki.root = issue(pki.root_key, "Test Root", NULL, NULL, true);
    pki.inter = issue(pki.inter_key, "Test Intermediate", pki.root, pki.root_key, true);
    pki.inter_chain = sk_X509_new_null();
    assert_true(sk_X509_push(pki.inter_chain, pki.inter));
    write_pem_cert(pki.root, tmp("ca.pem"));
    write_bytes(content, sizeof content - 1, tmp("data.bin"));
    return 0;
}

static int teardown_pki(void **state)
{
    (void)state;
    sk_X509_free(pki.inter_chain);
    X509_free(pki.inter);
    X509_free(pki.root);
    EVP_PKEY_free(pki.inter_key);
    EVP_PKEY_free(pki.root_key);
    return 0;
}

typedef struct signer_fixture {
    EVP_PKEY *key;
    X509 *cert;
    seal_signer *signer;
} signer_fixture;

/* An end-entity signer: issued by the intermediate (carried in the chain) or the root. */
static void make_signer(signer_fixture *f, seal_key_alg alg, int bits, bool via_intermediate)
{
    assert_int_equal(seal_key_generate(&f->key, alg, bits), 0);
    X509 *issuer = via_intermediate ? pki.inter : pki.root;
    EVP_PKEY *issuer_key = via_intermediate ? pki.inter_key : pki.root_key;
    f->cert = issue(f->key, "Seal Office", issuer, issuer_key, false);
    assert_int_equal(seal_signer_new_software(&f->signer, f->key, f->cert,
                                              via_intermediate ? pki.inter_chain : NULL),
                     0);
}

static void free_signer(signer_fixture *f)
{
    seal_signer_free(f->signer);
    X509_free(f->cert);
    EVP_PKEY_free(f->key);
}

static void content_digest(const EVP_MD *md, uint8_t *out, size_t *len)
{
    assert_int_equal(seal_digest(md, content, sizeof content - 1, out, len), 0);
}

static void sign_content(seal_buf *der, const seal_signer *s)
{
    uint8_t digest[EVP_MAX_MD_SIZE];
    size_t len = 0;
    content_digest(seal_signer_md(s), digest, &len);
    assert_int_equal(seal_cms_sign_detached(der, s, digest, len), 0);
    assert_true(der->len <= seal_cms_estimate_size(s));
}

/* Parses and checks `der` against the test content; returns the outcome. */
static seal_cms_outcome parse_and_check(const uint8_t *der, size_t len)
{
    seal_cms *cms = NULL;
    seal_cms_outcome result;
    uint8_t digest[EVP_MAX_MD_SIZE];
    size_t digest_len = 0;
    int rc = seal_cms_parse(&cms, der, len);
    if (rc < 0)
        fail_msg("parse failed: %s", seal_error_last());
    assert_non_null(seal_cms_digest_md(cms));
    content_digest(seal_cms_digest_md(cms), digest, &digest_len);
    assert_int_equal(seal_cms_check(&result, cms, digest, digest_len), 0);
    seal_cms_free(cms);
    return result;
}

/* Runs a command; its exit status. */
static int run(const char *cmd)
{
    int status = system(cmd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The text of `openssl cms -cmsout -print` for a DER file. */
static char *cms_print(const char *path)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "openssl cms -cmsout -print -inform DER -in '%s'", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    seal_buf text = SEAL_BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
        assert_int_equal(seal_buf_append(&text, chunk, n), 0);
    assert_int_equal(pclose(p), 0);
    assert_int_equal(seal_buf_append_byte(&text, 0), 0);
    return (char *)text.data;
}

static void check_ours_with_openssl(seal_key_alg alg, int bits, bool via_intermediate,
                                    const char *name)
{
    signer_fixture f = {0};
    seal_buf der = SEAL_BUF_INIT;
    char cmd[2048];
    const char *path = tmp(name);

    make_signer(&f, alg, bits, via_intermediate);
    sign_content(&der, f.signer);
    write_bytes(der.data, der.len, path);

    snprintf(cmd, sizeof cmd,
             "openssl cms -verify -binary -inform DER -in '%s' -content '%s' -CAfile '%s' "
             "-purpose any -out /dev/null",
             path, tmp("data.bin"), tmp("ca.pem"));
    assert_int_equal(run(cmd), 0);

    char *printed = cms_print(path);
    assert_null(strstr(printed, "signingTime"));
    assert_non_null(strstr(printed, "messageDigest"));
    assert_non_null(strstr(printed, "signingCertificateV2"));
    free(printed);

    seal_cms *cms = NULL;
    assert_int_equal(seal_cms_parse(&cms, der.data, der.len), 0);
    assert_int_equal(sk_X509_num(seal_cms_certs(cms)), via_intermediate ? 2 : 1);
    assert_int_equal(X509_cmp(seal_cms_signer_cert(cms), f.cert), 0);
    time_t when;
    assert_int_equal(seal_cms_signing_time(cms, &when), SEAL_ENOTFOUND);
    seal_cms_free(cms);

    seal_cms_outcome result = parse_and_check(der.data, der.len);
    assert_true(result.digest_ok);
    assert_true(result.signature_ok);
    assert_true(result.has_signing_cert_attr);
    assert_true(result.signing_cert_ok);

    seal_buf_clear(&der);
    free_signer(&f);
}

static void test_ours_rsa2048_openssl_verifies(void **state)
{
    (void)state;
    check_ours_with_openssl(SEAL_ALG_RSA, 2048, true, "rsa2048.der");
}

static void test_ours_rsa3072_openssl_verifies(void **state)
{
    (void)state;
    check_ours_with_openssl(SEAL_ALG_RSA, 3072, false, "rsa3072.der");
}

static void test_ours_ecdsa_openssl_verifies(void **state)
{
    (void)state;
    check_ours_with_openssl(SEAL_ALG_ECDSA, 0, false, "ecdsa.der");
}

/* OpenSSL's CMS layer cannot make or verify SM2 SignedData, so the signature is checked
 * with `openssl pkeyutl` over the signed attributes that OpenSSL's PKCS#7 parser extracts
 * and re-encodes (PKCS7_ATTR_VERIFY: a DER SET OF, sorted by OpenSSL, not by us). */
static void test_ours_sm2_pkeyutl_verifies(void **state)
{
    (void)state;
    signer_fixture f = {0};
    seal_buf der = SEAL_BUF_INIT;
    char cmd[2048];

    make_signer(&f, SEAL_ALG_SM2, 0, false);
    sign_content(&der, f.signer);

    seal_cms *cms = NULL;
    assert_int_equal(seal_cms_parse(&cms, der.data, der.len), 0);
    assert_ptr_equal(seal_cms_digest_md(cms), EVP_sm3());
    assert_string_equal(seal_cms_sig_alg_oid(cms), SEAL_OID_SM2_WITH_SM3);
    seal_cms_free(cms);
    seal_cms_outcome result = parse_and_check(der.data, der.len);
    assert_true(result.digest_ok && result.signature_ok && result.signing_cert_ok);

    const unsigned char *p = der.data;
    PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)der.len);
    assert_non_null(p7);
    PKCS7_SIGNER_INFO *si = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(p7), 0);
    assert_non_null(si);
    unsigned char *attrs = NULL;
    int attrs_len =
        ASN1_item_i2d((ASN1_VALUE *)si->auth_attr, &attrs, ASN1_ITEM_rptr(PKCS7_ATTR_VERIFY));
    assert_true(attrs_len > 0);
    write_bytes(attrs, (size_t)attrs_len, tmp("signedattrs.der"));
    write_bytes(ASN1_STRING_get0_data(si->enc_digest), (size_t)ASN1_STRING_length(si->enc_digest),
                tmp("sig.der"));
    OPENSSL_free(attrs);
    PKCS7_free(p7);

    FILE *pub = fopen(tmp("pub.pem"), "w");
    assert_non_null(pub);
    assert_true(PEM_write_PUBKEY(pub, f.key));
    fclose(pub);
    snprintf(cmd, sizeof cmd,
             "openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:1234567812345678 "
             "-pubin -inkey '%s' -in '%s' -sigfile '%s' >/dev/null",
             tmp("pub.pem"), tmp("signedattrs.der"), tmp("sig.der"));
    assert_int_equal(run(cmd), 0);

    seal_buf_clear(&der);
    free_signer(&f);
}

static void test_flipped_bytes_are_caught(void **state)
{
    (void)state;
    signer_fixture f = {0};
    seal_buf der = SEAL_BUF_INIT;
    seal_cms *cms = NULL;
    seal_cms_outcome result;
    uint8_t digest[EVP_MAX_MD_SIZE];
    size_t digest_len = 0;

    make_signer(&f, SEAL_ALG_RSA, 2048, false);
    sign_content(&der, f.signer);

    /* A changed document: its digest no longer matches message-digest. */
    assert_int_equal(seal_cms_parse(&cms, der.data, der.len), 0);
    content_digest(seal_cms_digest_md(cms), digest, &digest_len);
    digest[5] ^= 0x01;
    assert_int_equal(seal_cms_check(&result, cms, digest, digest_len), 0);
    assert_false(result.digest_ok);
    assert_true(result.signature_ok);
    assert_int_equal(seal_cms_check(&result, cms, digest, digest_len - 1), SEAL_EINVAL);

    /* A changed signature value. */
    seal_slice sig = seal_cms_signature_value(cms);
    assert_int_equal(sig.len, 256);
    uint8_t *at = memmem(der.data, der.len, sig.data, sig.len);
    assert_non_null(at);
    seal_cms_free(cms);
    at[sig.len - 3] ^= 0x80;
    result = parse_and_check(der.data, der.len);
    assert_true(result.digest_ok);
    assert_false(result.signature_ok);
    at[sig.len - 3] ^= 0x80;

    /* A changed signer certificate (in its issuer's signature, so the key stays the same):
     * the signature still verifies, but signing-certificate-v2 no longer names it. */
    unsigned char *cert_der = NULL;
    int cert_len = i2d_X509(f.cert, &cert_der);
    assert_true(cert_len > 0);
    at = memmem(der.data, der.len, cert_der, (size_t)cert_len);
    assert_non_null(at);
    OPENSSL_free(cert_der);
    at[cert_len - 2] ^= 0x01;
    result = parse_and_check(der.data, der.len);
    assert_true(result.digest_ok);
    assert_true(result.signature_ok);
    assert_true(result.has_signing_cert_attr);
    assert_false(result.signing_cert_ok);

    seal_buf_clear(&der);
    free_signer(&f);
}

static void test_damaged_cms_is_a_format_error(void **state)
{
    (void)state;
    signer_fixture f = {0};
    seal_buf der = SEAL_BUF_INIT, padded = SEAL_BUF_INIT;
    seal_cms *cms = NULL;

    make_signer(&f, SEAL_ALG_ECDSA, 0, false);
    sign_content(&der, f.signer);

    for (size_t len = 0; len < der.len; len++) {
        assert_int_equal(seal_cms_parse(&cms, der.data, len), SEAL_EFORMAT);
        assert_null(cms);
    }

    /* PDF /Contents padding: zeros are fine, anything else is not. */
    assert_int_equal(seal_buf_append(&padded, der.data, der.len), 0);
    uint8_t zeros[300] = {0};
    assert_int_equal(seal_buf_append(&padded, zeros, sizeof zeros), 0);
    assert_int_equal(seal_cms_parse(&cms, padded.data, padded.len), 0);
    seal_cms_free(cms);
    cms = NULL;
    padded.data[padded.len - 1] = 0x01;
    assert_int_equal(seal_cms_parse(&cms, padded.data, padded.len), SEAL_EFORMAT);
    assert_non_null(strstr(seal_error_last(), "zero padding"));

    /* Garbage, with and without a plausible first byte. */
    uint8_t garbage[512];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof garbage; i++) {
        x = x * 1103515245u + 12345u;
        garbage[i] = (uint8_t)(x >> 16);
    }
    assert_int_equal(seal_cms_parse(&cms, garbage, sizeof garbage), SEAL_EFORMAT);
    garbage[0] = 0x30;
    garbage[1] = 0x82;
    garbage[2] = 0x01;
    garbage[3] = 0xfc;
    assert_int_equal(seal_cms_parse(&cms, garbage, sizeof garbage), SEAL_EFORMAT);

    /* Every single-byte change: parse and check may refuse, never crash; a change in the
     * message-digest value or the signature value never passes. */
    uint8_t digest[EVP_MAX_MD_SIZE];
    size_t digest_len = 0;
    content_digest(EVP_sha256(), digest, &digest_len);
    assert_int_equal(seal_cms_parse(&cms, der.data, der.len), 0);
    seal_slice sig = seal_cms_signature_value(cms);
    size_t sig_at = (size_t)((uint8_t *)memmem(der.data, der.len, sig.data, sig.len) - der.data);
    seal_cms_free(cms);
    cms = NULL;
    size_t md_at = (size_t)((uint8_t *)memmem(der.data, der.len, digest, digest_len) - der.data);
    for (size_t i = 0; i < der.len; i++) {
        bool covered =
            (i >= sig_at && i < sig_at + sig.len) || (i >= md_at && i < md_at + digest_len);
        der.data[i] ^= 0x21;
        if (seal_cms_parse(&cms, der.data, der.len) == 0) {
            seal_cms_outcome result;
            if (seal_cms_check(&result, cms, digest, digest_len) == 0 && covered)
                assert_false(result.digest_ok && result.signature_ok);
            seal_cms_free(cms);
            cms = NULL;
        }
        der.data[i] ^= 0x21;
    }

    seal_buf_clear(&padded);
    seal_buf_clear(&der);
    free_signer(&f);
}

/* CMS written by `openssl cms -sign` (with signing-time, optionally CAdES ESS v2, or a
 * subjectKeyIdentifier signer identifier) checks OK with our reader. */
static void check_theirs(seal_key_alg alg, const char *extra, bool expect_ess)
{
    signer_fixture f = {0};
    seal_buf der = SEAL_BUF_INIT;
    char cmd[2048];

    make_signer(&f, alg, 2048, false);
    write_pem_cert(f.cert, tmp("theirs-cert.pem"));
    write_pem_key(f.key, tmp("theirs-key.pem"));
    snprintf(cmd, sizeof cmd,
             "openssl cms -sign -binary -md sha256 -nosmimecap -outform DER %s -signer '%s' "
             "-inkey '%s' -in '%s' -out '%s'",
             extra, tmp("theirs-cert.pem"), tmp("theirs-key.pem"), tmp("data.bin"),
             tmp("theirs.der"));
    assert_int_equal(run(cmd), 0);
    assert_int_equal(seal_buf_read_file(&der, tmp("theirs.der"), 1 << 20), 0);

    seal_cms *cms = NULL;
    assert_int_equal(seal_cms_parse(&cms, der.data, der.len), 0);
    assert_int_equal(X509_cmp(seal_cms_signer_cert(cms), f.cert), 0);
    time_t when = 0;
    assert_int_equal(seal_cms_signing_time(cms, &when), 0);
    assert_true(labs((long)(when - time(NULL))) < 600);
    seal_cms_free(cms);

    seal_cms_outcome result = parse_and_check(der.data, der.len);
    assert_true(result.digest_ok);
    assert_true(result.signature_ok);
    assert_int_equal(result.has_signing_cert_attr, expect_ess);
    assert_true(result.signing_cert_ok);

    seal_buf_clear(&der);
    free_signer(&f);
}

static void test_theirs_rsa(void **state)
{
    (void)state;
    check_theirs(SEAL_ALG_RSA, "", false);
}

static void test_theirs_ecdsa(void **state)
{
    (void)state;
    check_theirs(SEAL_ALG_ECDSA, "", false);
}

static void test_theirs_cades_keyid(void **state)
{
    (void)state;
    check_theirs(SEAL_ALG_RSA, "-cades -keyid", true);
    check_theirs(SEAL_ALG_ECDSA, "-cades", true);
}

static void test_two_signers_refused(void **state)
{
    (void)state;
    signer_fixture a = {0}, b = {0};
    seal_buf der = SEAL_BUF_INIT;
    char cmd[4096];
    seal_cms *cms = NULL;

    make_signer(&a, SEAL_ALG_ECDSA, 0, false);
    make_signer(&b, SEAL_ALG_ECDSA, 0, false);
    write_pem_cert(a.cert, tmp("a.pem"));
    write_pem_key(a.key, tmp("a.key"));
    write_pem_cert(b.cert, tmp("b.pem"));
    write_pem_key(b.key, tmp("b.key"));
    snprintf(cmd, sizeof cmd,
             "openssl cms -sign -binary -md sha256 -nosmimecap -outform DER -signer '%s' "
             "-inkey '%s' -signer '%s' -inkey '%s' -in '%s' -out '%s'",
             tmp("a.pem"), tmp("a.key"), tmp("b.pem"), tmp("b.key"), tmp("data.bin"),
             tmp("two.der"));
    assert_int_equal(run(cmd), 0);
    assert_int_equal(seal_buf_read_file(&der, tmp("two.der"), 1 << 20), 0);
    assert_int_equal(seal_cms_parse(&cms, der.data, der.len), SEAL_EFORMAT);
    assert_string_equal(seal_error_last(),
                        "the CMS has 2 signer infos; PAdES requires exactly one");
    seal_buf_clear(&der);
    free_signer(&a);
    free_signer(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ours_rsa2048_openssl_verifies),
        cmocka_unit_test(test_ours_rsa3072_openssl_verifies),
        cmocka_unit_test(test_ours_ecdsa_openssl_verifies),
        cmocka_unit_test(test_ours_sm2_pkeyutl_verifies),
        cmocka_unit_test(test_flipped_bytes_are_caught),
        cmocka_unit_test(test_damaged_cms_is_a_format_error),
        cmocka_unit_test(test_theirs_rsa),
        cmocka_unit_test(test_theirs_ecdsa),
        cmocka_unit_test(test_theirs_cades_keyid),
        cmocka_unit_test(test_two_signers_refused),
    };
    return cmocka_run_group_tests(tests, setup_pki, teardown_pki);
}
