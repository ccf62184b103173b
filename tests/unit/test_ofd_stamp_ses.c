/* The GB/T 38540 v4 SES_Signature writer: the stamper's SM2 signature over DER(TBS_Sign)
 * verifies with OpenSSL directly (user ID 1234567812345678, SM3), the structure has the
 * fields OFD-SEAL.md section 1 lists, `openssl asn1parse` reads it and our SES_Signature
 * parser verifies it; seals the stamper may not use (not bound, expired, v1, non-SM2 key)
 * are refused before anything is signed. */
#include "testutil.h"

#include <seal/der.h>
#include <seal/error.h>
#include <seal/pki.h>
#include <seal/ses.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY (24 * 3600)

static const uint8_t PICTURE[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 5, 6, 7, 8};
static const char PATH[] = "/Doc_0/Signs/Sign_0/Signature.xml";

typedef struct fixture {
    time_t now;
    EVP_PKEY *root_key, *maker_key, *sm2_key, *other_sm2_key, *rsa_key;
    X509 *root, *maker, *sm2_cert, *other_sm2_cert, *rsa_cert;
    seal_signer *maker_signer, *stamper, *other_stamper, *rsa_stamper;
    seal_buf seal;      /* v4, binding sm2_cert and rsa_cert */
    seal_eseal *parsed; /* the same, parsed */
    uint8_t hash[32];
} fixture;

static X509 *issue(fixture *f, seal_cert_role role, const char *cn, EVP_PKEY *key)
{
    return test_issue_cert(role, "测试单位", cn, key, f->root, f->root_key, f->now);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->now = time(NULL);
    if (seal_key_generate(&f->root_key, SEAL_ALG_RSA, 2048) != 0 ||
        seal_key_generate(&f->maker_key, SEAL_ALG_SM2, 0) != 0 ||
        seal_key_generate(&f->sm2_key, SEAL_ALG_SM2, 0) != 0 ||
        seal_key_generate(&f->other_sm2_key, SEAL_ALG_SM2, 0) != 0 ||
        seal_key_generate(&f->rsa_key, SEAL_ALG_RSA, 2048) != 0)
        return -1;
    f->root = issue(f, SEAL_CERT_ROOT_CA, "根CA", f->root_key);
    f->maker = issue(f, SEAL_CERT_SEAL_MAKER, "制章者", f->maker_key);
    f->sm2_cert = issue(f, SEAL_CERT_SIGNER, "单位SM2", f->sm2_key);
    f->other_sm2_cert = issue(f, SEAL_CERT_SIGNER, "别的单位", f->other_sm2_key);
    f->rsa_cert = issue(f, SEAL_CERT_SIGNER, "单位RSA", f->rsa_key);
    if (seal_signer_new_software(&f->maker_signer, f->maker_key, f->maker, NULL) ||
        seal_signer_new_software(&f->stamper, f->sm2_key, f->sm2_cert, NULL) ||
        seal_signer_new_software(&f->other_stamper, f->other_sm2_key, f->other_sm2_cert, NULL) ||
        seal_signer_new_software(&f->rsa_stamper, f->rsa_key, f->rsa_cert, NULL))
        return -1;
    STACK_OF(X509) *certs = sk_X509_new_null();
    sk_X509_push(certs, f->sm2_cert);
    sk_X509_push(certs, f->rsa_cert);
    seal_eseal_spec spec = {.es_id = "4401060000001",
                            .vid = "sealsvc",
                            .type = SEAL_SES_TYPE_OFFICIAL,
                            .name = "广州测试有限公司",
                            .certs = certs,
                            .picture_type = "PNG",
                            .picture = PICTURE,
                            .picture_len = sizeof PICTURE,
                            .width_mm = 40,
                            .height_mm = 40,
                            .created = f->now - DAY,
                            .valid_start = f->now - DAY,
                            .valid_end = f->now + 30 * DAY};
    int rc = seal_eseal_make(&f->seal, &spec, f->maker_signer);
    sk_X509_free(certs);
    if (rc != 0 || seal_eseal_parse(&f->parsed, f->seal.data, f->seal.len) != 0)
        return -1;
    size_t len = 0;
    if (seal_digest(EVP_sm3(), "<ofd:Signature/>", 16, f->hash, &len) != 0 || len != 32)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    seal_signer_free(f->maker_signer);
    seal_signer_free(f->stamper);
    seal_signer_free(f->other_stamper);
    seal_signer_free(f->rsa_stamper);
    X509 *certs[] = {f->root, f->maker, f->sm2_cert, f->other_sm2_cert, f->rsa_cert};
    for (size_t i = 0; i < sizeof certs / sizeof certs[0]; i++)
        X509_free(certs[i]);
    EVP_PKEY *keys[] = {f->root_key, f->maker_key, f->sm2_key, f->other_sm2_key, f->rsa_key};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        EVP_PKEY_free(keys[i]);
    seal_buf_clear(&f->seal);
    seal_eseal_free(f->parsed);
    free(f);
    return 0;
}

static seal_ses_tbs_spec spec_of(fixture *f)
{
    seal_ses_tbs_spec s = {.seal = f->parsed,
                           .time = f->now,
                           .data_hash = f->hash,
                           .data_hash_len = sizeof f->hash,
                           .property_info = PATH};
    return s;
}

/* The SM2 check done with OpenSSL's own API, not ours: Z-value with the default user ID,
 * SM3, over the message. */
static int openssl_sm2_verify(X509 *cert, const seal_slice msg, const seal_slice sig)
{
    EVP_PKEY *pub = X509_get0_pubkey(cert);
    EVP_PKEY *sm2 = EVP_PKEY_dup(pub);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new(sm2, NULL);
    EVP_PKEY_CTX_set1_id(pctx, "1234567812345678", 16);
    EVP_MD_CTX_set_pkey_ctx(md, pctx);
    int ok = EVP_DigestVerifyInit(md, NULL, EVP_sm3(), NULL, sm2) == 1 &&
             EVP_DigestVerify(md, sig.data, sig.len, msg.data, msg.len) == 1;
    EVP_MD_CTX_free(md);
    EVP_PKEY_CTX_free(pctx);
    EVP_PKEY_free(sm2);
    return ok;
}

static void test_signature_fields_and_openssl_verify(void **state)
{
    fixture *f = *state;
    seal_ses_tbs_spec spec = spec_of(f);
    seal_ses_signed s = {SEAL_BUF_INIT, SEAL_BUF_INIT};
    seal_buf der = SEAL_BUF_INIT;
    assert_int_equal(seal_ses_sign(&s, &spec, f->stamper), 0);
    assert_int_equal(seal_ses_signature_encode(&der, &s, f->sm2_cert, NULL, 0), 0);

    seal_slice cur = seal_slice_of(der.data, der.len), in, tbs_in;
    seal_der_elem top, tbs, cert, alg, sig, e;
    assert_int_equal(seal_der_expect(&cur, SEAL_DER_SEQUENCE, &top, "t"), 0);
    assert_int_equal(cur.len, 0);
    in = top.content;
    assert_int_equal(seal_der_expect(&in, SEAL_DER_SEQUENCE, &tbs, "t"), 0);
    assert_true(seal_slice_eq(tbs.whole, seal_slice_of(s.tbs.data, s.tbs.len)));
    assert_int_equal(seal_der_expect(&in, SEAL_DER_OCTET_STRING, &cert, "t"), 0);
    assert_int_equal(seal_der_expect(&in, SEAL_DER_OID, &alg, "t"), 0);
    assert_int_equal(seal_der_expect(&in, SEAL_DER_BIT_STRING, &sig, "t"), 0);
    assert_int_equal(in.len, 0); /* no timeStamp */
    char oid[128];
    assert_int_equal(seal_der_read_oid(&alg, oid, sizeof oid, "t"), 0);
    assert_string_equal(oid, "1.2.156.10197.1.501");

    /* cert is the stamper's certificate, DER */
    seal_buf cert_der = SEAL_BUF_INIT;
    assert_int_equal(seal_cert_to_der(&cert_der, f->sm2_cert), 0);
    assert_true(seal_slice_eq(cert.content, seal_slice_of(cert_der.data, cert_der.len)));
    seal_buf_clear(&cert_der);

    /* TBS_Sign: version 4, the seal as stored, GeneralizedTime, SM3, the path */
    tbs_in = tbs.content;
    long version = 0;
    assert_int_equal(seal_der_expect(&tbs_in, SEAL_DER_INTEGER, &e, "t"), 0);
    assert_int_equal(seal_der_read_int(&e, &version, "t"), 0);
    assert_int_equal(version, 4);
    assert_int_equal(seal_der_expect(&tbs_in, SEAL_DER_SEQUENCE, &e, "t"), 0);
    assert_true(seal_slice_eq(e.whole, seal_slice_of(f->seal.data, f->seal.len)));
    assert_int_equal(seal_der_expect(&tbs_in, SEAL_DER_GENERALIZED_TIME, &e, "t"), 0);
    assert_int_equal(e.content.len, 15); /* YYYYMMDDhhmmssZ */
    assert_int_equal(e.content.data[14], 'Z');
    time_t t = 0;
    assert_int_equal(seal_der_read_time(&e, &t, "t"), 0);
    assert_int_equal(t, f->now);
    seal_slice bits;
    assert_int_equal(seal_der_expect(&tbs_in, SEAL_DER_BIT_STRING, &e, "t"), 0);
    assert_int_equal(seal_der_read_bits(&e, &bits, "t"), 0);
    assert_true(seal_slice_eq(bits, seal_slice_of(f->hash, sizeof f->hash)));
    assert_int_equal(seal_der_expect(&tbs_in, SEAL_DER_IA5_STRING, &e, "t"), 0);
    assert_int_equal(e.content.len, strlen(PATH));
    assert_memory_equal(e.content.data, PATH, strlen(PATH));
    assert_int_equal(tbs_in.len, 0); /* no extDatas */

    /* the signature: OpenSSL directly, and our verifier; a changed byte fails both */
    seal_slice value;
    assert_int_equal(seal_der_read_bits(&sig, &value, "t"), 0);
    assert_true(openssl_sm2_verify(f->sm2_cert, tbs.whole, value));
    assert_int_equal(seal_verify_signature(f->sm2_cert, SEAL_OID_SM2_WITH_SM3, NULL, tbs.whole.data,
                                           tbs.whole.len, value.data, value.len),
                     0);
    seal_ses_signature *parsed = NULL;
    assert_int_equal(seal_ses_signature_parse(&parsed, der.data, der.len), 0);
    assert_int_equal(parsed->version, 4);
    assert_int_equal(seal_ses_signature_verify(parsed), 0);
    assert_true(seal_slice_eq(parsed->eseal_der, seal_slice_of(f->seal.data, f->seal.len)));
    assert_true(parsed->timestamp.len == 0);
    seal_ses_signature_free(parsed);
    s.tbs.data[s.tbs.len - 3] ^= 1;
    assert_false(openssl_sm2_verify(f->sm2_cert, seal_slice_of(s.tbs.data, s.tbs.len), value));

    /* openssl asn1parse reads the whole structure down to the seal's fields */
    const char *file = test_path(test_tmpdir(), "SignedValue.dat");
    FILE *out = fopen(file, "wb");
    assert_non_null(out);
    assert_int_equal(fwrite(der.data, 1, der.len, out), der.len);
    fclose(out);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "openssl asn1parse -inform DER -in '%s' > '%s.txt' 2>&1", file, file);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "grep -q 'IA5STRING *:%s' '%s.txt' && grep -q 'SM2-with-SM3' '%s.txt' && "
             "grep -q 'IA5STRING *:ES' '%s.txt'",
             PATH, file, file, file);
    assert_int_equal(system(cmd), 0);

    seal_ses_signed_clear(&s);
    seal_buf_clear(&der);
}

static void test_timestamp_goes_in_explicit_tag(void **state)
{
    fixture *f = *state;
    seal_ses_tbs_spec spec = spec_of(f);
    seal_ses_signed s = {SEAL_BUF_INIT, SEAL_BUF_INIT};
    seal_buf der = SEAL_BUF_INIT;
    static const uint8_t token[] = {0x30, 0x03, 0x02, 0x01, 0x07};
    assert_int_equal(seal_ses_sign(&s, &spec, f->stamper), 0);
    assert_int_equal(seal_ses_signature_encode(&der, &s, f->sm2_cert, token, sizeof token), 0);

    seal_slice cur = seal_slice_of(der.data, der.len), in;
    seal_der_elem top, e, bits_elem;
    assert_int_equal(seal_der_expect(&cur, SEAL_DER_SEQUENCE, &top, "t"), 0);
    in = top.content;
    for (int i = 0; i < 4; i++)
        assert_int_equal(seal_der_next(&in, &e, "t"), 0);
    assert_int_equal(seal_der_expect(&in, SEAL_DER_CONTEXT_CONS | 0, &e, "t"), 0);
    assert_int_equal(in.len, 0);
    seal_slice inner = e.content, bits;
    assert_int_equal(seal_der_expect(&inner, SEAL_DER_BIT_STRING, &bits_elem, "t"), 0);
    assert_int_equal(seal_der_read_bits(&bits_elem, &bits, "t"), 0);
    assert_true(seal_slice_eq(bits, seal_slice_of(token, sizeof token)));
    /* and the SES_Signature reader finds the token where it looks */
    seal_ses_signature *parsed = NULL;
    assert_int_equal(seal_ses_signature_parse(&parsed, der.data, der.len), 0);
    assert_true(seal_slice_eq(parsed->timestamp, seal_slice_of(token, sizeof token)));
    assert_int_equal(seal_ses_signature_verify(parsed), 0);
    seal_ses_signature_free(parsed);

    seal_ses_signed_clear(&s);
    seal_buf_clear(&der);
}

static void expect_refusal(fixture *f, const seal_ses_tbs_spec *spec, const seal_signer *stamper,
                           int code, const char *words)
{
    seal_ses_signed s = {SEAL_BUF_INIT, SEAL_BUF_INIT};
    int rc = seal_ses_sign(&s, spec, stamper);
    if (rc != code || !strstr(seal_error_last(), words))
        fail_msg("got %d '%s', wanted %d with '%s'", rc, seal_error_last(), code, words);
    assert_int_equal(s.tbs.len, 0);
    assert_int_equal(s.signature.len, 0);
    (void)f;
}

static void test_refusals(void **state)
{
    fixture *f = *state;
    seal_ses_tbs_spec spec = spec_of(f);
    expect_refusal(f, &spec, f->other_stamper, SEAL_EPOLICY, "not one of the certificates");
    expect_refusal(f, &spec, f->rsa_stamper, SEAL_EUNSUPPORTED, "SM2 key");

    spec.time = f->now + 31 * DAY;
    expect_refusal(f, &spec, f->stamper, SEAL_EPOLICY, "is valid from");
    spec.time = f->now - 2 * DAY;
    expect_refusal(f, &spec, f->stamper, SEAL_EPOLICY, "is valid from");

    spec = spec_of(f);
    spec.data_hash_len = 20;
    expect_refusal(f, &spec, f->stamper, SEAL_EINVAL, "SM3");

    spec = spec_of(f);
    spec.property_info = "/Doc_0/签章.xml";
    expect_refusal(f, &spec, f->stamper, SEAL_EINVAL, "ASCII");

    spec = spec_of(f);
    spec.seal = NULL;
    expect_refusal(f, &spec, f->stamper, SEAL_EINVAL, "nothing to sign");
}

static void test_v1_seal_refused(void **state)
{
    fixture *f = *state;
    const char *dir = test_corpus_dir();
    if (!dir)
        skip();
    seal_buf v1 = SEAL_BUF_INIT;
    seal_eseal *parsed = NULL;
    assert_int_equal(seal_buf_read_file(&v1, test_path(dir, "ofd/UserV1.esl"), 1 << 24), 0);
    assert_int_equal(seal_eseal_parse(&parsed, v1.data, v1.len), 0);
    seal_ses_tbs_spec spec = spec_of(f);
    spec.seal = parsed;
    expect_refusal(f, &spec, f->stamper, SEAL_EUNSUPPORTED, "v1 SESeal");
    seal_eseal_free(parsed);
    seal_buf_clear(&v1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature_fields_and_openssl_verify),
        cmocka_unit_test(test_timestamp_goes_in_explicit_tag),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_v1_seal_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
