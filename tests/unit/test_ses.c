/* GB/T 38540 seals: real seals from the corpus (v4 and v1) parse and their maker
 * signatures verify; seals we make round-trip, are accepted by `openssl asn1parse`,
 * and fail verification after a one-byte change; damaged input is refused cleanly. */
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

static const uint8_t PICTURE[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 1, 2, 3, 4};

typedef struct ses_fixture {
    time_t now;
    EVP_PKEY *root_key, *sm2_maker_key, *rsa_maker_key, *rsa_key, *sm2_key;
    X509 *root, *sm2_maker, *rsa_maker, *rsa_signer, *sm2_signer, *stranger;
    STACK_OF(X509) * certs;
    seal_signer *sm2_maker_signer, *rsa_maker_signer;
} ses_fixture;

static X509 *issue(ses_fixture *f, seal_cert_role role, const char *cn, EVP_PKEY *key)
{
    return test_issue_cert(role, "测试单位", cn, key, f->root, f->root_key, f->now);
}

static int setup(void **state)
{
    ses_fixture *f = calloc(1, sizeof *f);
    f->now = time(NULL);
    if (seal_key_generate(&f->root_key, SEAL_ALG_RSA, 2048) != 0 ||
        seal_key_generate(&f->sm2_maker_key, SEAL_ALG_SM2, 0) != 0 ||
        seal_key_generate(&f->rsa_maker_key, SEAL_ALG_RSA, 2048) != 0 ||
        seal_key_generate(&f->rsa_key, SEAL_ALG_RSA, 2048) != 0 ||
        seal_key_generate(&f->sm2_key, SEAL_ALG_SM2, 0) != 0)
        return -1;
    f->root = issue(f, SEAL_CERT_ROOT_CA, "根CA", f->root_key);
    f->sm2_maker = issue(f, SEAL_CERT_SEAL_MAKER, "制章者SM2", f->sm2_maker_key);
    f->rsa_maker = issue(f, SEAL_CERT_SEAL_MAKER, "制章者RSA", f->rsa_maker_key);
    f->rsa_signer = issue(f, SEAL_CERT_SIGNER, "单位RSA", f->rsa_key);
    f->sm2_signer = issue(f, SEAL_CERT_SIGNER, "单位SM2", f->sm2_key);
    f->stranger = issue(f, SEAL_CERT_SIGNER, "别的单位", f->rsa_key);
    f->certs = sk_X509_new_null();
    sk_X509_push(f->certs, f->rsa_signer);
    sk_X509_push(f->certs, f->sm2_signer);
    if (seal_signer_new_software(&f->sm2_maker_signer, f->sm2_maker_key, f->sm2_maker, NULL) ||
        seal_signer_new_software(&f->rsa_maker_signer, f->rsa_maker_key, f->rsa_maker, NULL))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    ses_fixture *f = *state;
    seal_signer_free(f->sm2_maker_signer);
    seal_signer_free(f->rsa_maker_signer);
    sk_X509_free(f->certs);
    X509 *certs[] = {f->root,       f->sm2_maker,  f->rsa_maker,
                     f->rsa_signer, f->sm2_signer, f->stranger};
    for (size_t i = 0; i < sizeof certs / sizeof certs[0]; i++)
        X509_free(certs[i]);
    EVP_PKEY *keys[] = {f->root_key, f->sm2_maker_key, f->rsa_maker_key, f->rsa_key, f->sm2_key};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        EVP_PKEY_free(keys[i]);
    free(f);
    return 0;
}

static seal_eseal_spec spec_of(ses_fixture *f)
{
    seal_eseal_spec s = {
        .es_id = "11010800000001",
        .vid = "sealsvc",
        .type = SEAL_SES_TYPE_OFFICIAL,
        .name = "北京市测试印章有限公司合同专用章",
        .certs = f->certs,
        .picture_type = "PNG",
        .picture = PICTURE,
        .picture_len = sizeof PICTURE,
        .width_mm = 42,
        .height_mm = 40,
        .created = f->now,
        .valid_start = f->now,
        .valid_end = f->now + 365 * DAY,
    };
    return s;
}

static seal_eseal *parse_file(const char *name)
{
    const char *dir = test_corpus_dir();
    seal_buf data = SEAL_BUF_INIT;
    assert_int_equal(seal_buf_read_file(&data, test_path(dir, name), 1 << 24), 0);
    seal_eseal *e = NULL;
    int rc = seal_eseal_parse(&e, data.data, data.len);
    if (rc != 0)
        fprintf(stderr, "%s: %s\n", name, seal_error_last());
    assert_int_equal(rc, 0);
    seal_buf_clear(&data);
    return e;
}

static void test_corpus_v4(void **state)
{
    (void)state;
    seal_eseal *e = parse_file("ofd/UserV4.esl");
    assert_int_equal(e->version, 4);
    assert_string_equal(e->vid, "OFDR&WTest");
    assert_string_equal(e->es_id, "51f044b76510434e9bc67a1185c2fba5");
    assert_string_equal(e->name, "OFD R&W 测试用印章");
    assert_int_equal(e->type, 3);
    assert_int_equal(e->cert_list_type, 1);
    assert_int_equal(e->cert_list_count, 1);
    assert_int_equal(sk_X509_num(e->certs), 1);
    assert_string_equal(e->picture_type, "PNG");
    assert_int_equal(e->picture.len, 15693);
    assert_memory_equal(e->picture.data, "\x89PNG", 4);
    assert_int_equal(e->width_mm, 40);
    assert_int_equal(e->height_mm, 40);
    assert_int_equal(e->valid_start, 1587521340); /* 2020-04-22 02:09:00 UTC */
    assert_int_equal(e->valid_end, 1650593340);   /* 2022-04-22 02:09:00 UTC */
    assert_non_null(e->maker_cert);
    assert_string_equal(e->maker_alg_oid, SEAL_OID_SM2_WITH_SM3);
    /* The maker signed the SES_SealInfo exactly as stored: offset 4, 16393 bytes. */
    assert_int_equal(e->maker_tbs.len, 16393);
    assert_memory_equal(e->maker_tbs.data, e->der.data + 4, 16393);
    assert_int_equal(seal_eseal_verify_maker(e), 0);
    assert_int_equal(seal_eseal_lists_cert(e, sk_X509_value(e->certs, 0)), 1);
    assert_int_equal(seal_eseal_lists_cert(e, e->maker_cert), 0);
    seal_eseal_free(e);
}

static void test_corpus_v1(void **state)
{
    (void)state;
    seal_eseal *e = parse_file("ofd/UserV1.esl");
    assert_int_equal(e->version, 1);
    assert_string_equal(e->name, "OFDRW测试用印章");
    assert_int_equal(e->type, 1);
    assert_int_equal(e->cert_list_count, 1);
    assert_int_equal(e->valid_start, 1587521887); /* UTCTime 200422021807Z */
    assert_int_equal(e->valid_end, 1650593887);
    assert_string_equal(e->picture_type, "PNG");
    assert_int_equal(e->width_mm, 40);
    assert_string_equal(e->maker_alg_oid, SEAL_OID_SM2_WITH_SM3);
    /* GM/T 0031-2014: SEQUENCE { SES_SealInfo, cert, alg }, not the SealInfo alone. */
    assert_int_equal(e->maker_tbs.data[0], 0x30);
    assert_true(e->maker_tbs.len > 16381 + 530 + 10);
    assert_int_equal(seal_eseal_verify_maker(e), 0);
    seal_eseal_free(e);
}

static int run(const char *cmd)
{
    int status = system(cmd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_make_round_trip(void **state)
{
    ses_fixture *f = *state;
    seal_eseal_spec s = spec_of(f);
    seal_buf der = SEAL_BUF_INIT;
    assert_int_equal(seal_eseal_make(&der, &s, f->sm2_maker_signer), 0);

    seal_eseal *e = NULL;
    assert_int_equal(seal_eseal_parse(&e, der.data, der.len), 0);
    assert_int_equal(e->version, 4);
    assert_string_equal(e->es_id, s.es_id);
    assert_string_equal(e->vid, s.vid);
    assert_int_equal(e->type, s.type);
    assert_string_equal(e->name, s.name);
    assert_int_equal(e->cert_list_type, 1);
    assert_int_equal(e->cert_list_count, 2);
    assert_int_equal(X509_cmp(sk_X509_value(e->certs, 0), f->rsa_signer), 0);
    assert_int_equal(X509_cmp(sk_X509_value(e->certs, 1), f->sm2_signer), 0);
    assert_string_equal(e->picture_type, "PNG");
    assert_int_equal(e->picture.len, sizeof PICTURE);
    assert_memory_equal(e->picture.data, PICTURE, sizeof PICTURE);
    assert_int_equal(e->width_mm, 42);
    assert_int_equal(e->height_mm, 40);
    assert_int_equal(e->created, s.created);
    assert_int_equal(e->valid_start, s.valid_start);
    assert_int_equal(e->valid_end, s.valid_end);
    assert_int_equal(X509_cmp(e->maker_cert, f->sm2_maker), 0);
    assert_string_equal(e->maker_alg_oid, SEAL_OID_SM2_WITH_SM3);
    assert_int_equal(seal_eseal_verify_maker(e), 0);
    assert_int_equal(seal_eseal_lists_cert(e, f->rsa_signer), 1);
    assert_int_equal(seal_eseal_lists_cert(e, f->sm2_signer), 1);
    assert_int_equal(seal_eseal_lists_cert(e, f->stranger), 0);
    seal_eseal_free(e);

    /* An independent DER reader accepts the whole structure. */
    const char *path = test_path(test_tmpdir(), "made.esl");
    assert_int_equal(seal_buf_write_file(&der, path, 0600), 0);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "openssl asn1parse -inform DER -in '%s' > /dev/null", path);
    assert_int_equal(run(cmd), 0);

    /* One changed byte in the seal name breaks the maker's signature. */
    const char *name_bytes = "北京市";
    uint8_t *hit = memmem(der.data, der.len, name_bytes, strlen(name_bytes));
    assert_non_null(hit);
    hit[1] ^= 0x01;
    assert_int_equal(seal_eseal_parse(&e, der.data, der.len), 0);
    assert_int_equal(seal_eseal_verify_maker(e), SEAL_ECRYPTO);
    assert_non_null(strstr(seal_error_last(), "maker"));
    seal_eseal_free(e);
    seal_buf_clear(&der);
}

static void test_make_rsa_maker(void **state)
{
    ses_fixture *f = *state;
    seal_eseal_spec s = spec_of(f);
    s.type = SEAL_SES_TYPE_PERSONAL;
    seal_buf der = SEAL_BUF_INIT;
    assert_int_equal(seal_eseal_make(&der, &s, f->rsa_maker_signer), 0);
    seal_eseal *e = NULL;
    assert_int_equal(seal_eseal_parse(&e, der.data, der.len), 0);
    assert_string_equal(e->maker_alg_oid, SEAL_OID_SHA256_WITH_RSA);
    assert_int_equal(e->type, SEAL_SES_TYPE_PERSONAL);
    assert_int_equal(seal_eseal_verify_maker(e), 0);
    seal_eseal_free(e);

    /* A seal without certificates or with an empty name is refused. */
    s.certs = NULL;
    assert_int_equal(seal_eseal_make(&der, &s, f->rsa_maker_signer), SEAL_EINVAL);
    s = spec_of(f);
    s.name = "";
    assert_int_equal(seal_eseal_make(&der, &s, f->rsa_maker_signer), SEAL_EINVAL);
    seal_buf_clear(&der);
}

static void test_damaged_input(void **state)
{
    ses_fixture *f = *state;
    seal_eseal_spec s = spec_of(f);
    seal_buf der = SEAL_BUF_INIT;
    assert_int_equal(seal_eseal_make(&der, &s, f->sm2_maker_signer), 0);
    seal_eseal *e = NULL;
    /* Every truncation is a format error, never a crash (ASan checks the reads). */
    for (size_t len = 0; len < der.len; len++) {
        e = NULL;
        assert_int_equal(seal_eseal_parse(&e, der.data, len), SEAL_EFORMAT);
        assert_null(e);
    }
    static const uint8_t garbage[] = "this is not a seal at all";
    assert_int_equal(seal_eseal_parse(&e, garbage, sizeof garbage), SEAL_EFORMAT);

    /* The name stored as an IA5String instead of UTF8String is named in the error. */
    const char *name_bytes = "北京市";
    uint8_t *hit = memmem(der.data, der.len, name_bytes, strlen(name_bytes));
    assert_non_null(hit);
    assert_int_equal(hit[-2], SEAL_DER_UTF8_STRING);
    hit[-2] = SEAL_DER_IA5_STRING;
    assert_int_equal(seal_eseal_parse(&e, der.data, der.len), SEAL_EFORMAT);
    assert_non_null(strstr(seal_error_last(), "seal property: name"));
    assert_non_null(strstr(seal_error_last(), "UTF8String"));
    seal_buf_clear(&der);
}

/* A hand-built v4 SESeal (unsigned) for the tolerated variants: certListType 2 and
 * extDatas untagged or [0] with `critical FALSE` spelled out. */
static void build_variant(seal_buf *out, X509 *listed, int ext_form)
{
    seal_der_writer w = {SEAL_BUF_INIT, 0};
    size_t seal = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    size_t info = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    size_t header = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_der_string(&w, SEAL_DER_IA5_STRING, "ES");
    seal_der_int(&w, 4);
    seal_der_string(&w, SEAL_DER_IA5_STRING, "test");
    seal_der_end(&w, header);
    seal_der_string(&w, SEAL_DER_IA5_STRING, "variant");
    size_t prop = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_der_int(&w, 1);
    seal_der_string(&w, SEAL_DER_UTF8_STRING, "摘要印章");
    seal_der_int(&w, 2);
    size_t list = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_buf cert_der = SEAL_BUF_INIT;
    assert_int_equal(seal_cert_to_der(&cert_der, listed), 0);
    uint8_t digest[64];
    size_t digest_len = sizeof digest;
    assert_int_equal(seal_digest(EVP_sm3(), cert_der.data, cert_der.len, digest, &digest_len), 0);
    size_t entry = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_der_string(&w, SEAL_DER_PRINTABLE_STRING, "SM3");
    seal_der_octet_string(&w, digest, digest_len);
    seal_der_end(&w, entry);
    seal_der_end(&w, list);
    for (int i = 0; i < 3; i++)
        seal_der_generalized_time(&w, 1700000000);
    seal_der_end(&w, prop);
    size_t pic = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_der_string(&w, SEAL_DER_IA5_STRING, "PNG");
    seal_der_octet_string(&w, PICTURE, sizeof PICTURE);
    seal_der_int(&w, 40);
    seal_der_int(&w, 40);
    seal_der_end(&w, pic);
    if (ext_form > 0) {
        size_t tag = ext_form == 2 ? seal_der_begin(&w, SEAL_DER_CONTEXT_CONS) : 0;
        size_t exts = seal_der_begin(&w, SEAL_DER_SEQUENCE);
        size_t ext = seal_der_begin(&w, SEAL_DER_SEQUENCE);
        seal_der_oid(&w, "1.2.156.10197.6.1.4.1");
        seal_der_bool(&w, 0);
        seal_der_octet_string(&w, "x", 1);
        seal_der_end(&w, ext);
        seal_der_end(&w, exts);
        if (ext_form == 2)
            seal_der_end(&w, tag);
    }
    seal_der_end(&w, info);
    seal_der_octet_string(&w, cert_der.data, cert_der.len);
    seal_der_oid(&w, SEAL_OID_SM2_WITH_SM3);
    seal_der_bit_string(&w, "sig", 3);
    seal_der_end(&w, seal);
    assert_int_equal(seal_der_finish(&w, out), 0);
    seal_buf_clear(&cert_der);
}

static void test_tolerated_variants(void **state)
{
    ses_fixture *f = *state;
    for (int form = 0; form < 3; form++) {
        seal_buf der = SEAL_BUF_INIT;
        build_variant(&der, f->sm2_signer, form);
        seal_eseal *e = NULL;
        int rc = seal_eseal_parse(&e, der.data, der.len);
        if (rc != 0)
            fprintf(stderr, "form %d: %s\n", form, seal_error_last());
        assert_int_equal(rc, 0);
        assert_int_equal(e->cert_list_type, 2);
        assert_int_equal(e->cert_list_count, 1);
        assert_int_equal(sk_X509_num(e->certs), 0);
        assert_int_equal(seal_eseal_lists_cert(e, f->sm2_signer), 1);
        assert_int_equal(seal_eseal_lists_cert(e, f->rsa_signer), 0);
        /* The signature is not the maker's: verification says so, without crashing. */
        assert_int_equal(seal_eseal_verify_maker(e), SEAL_ECRYPTO);
        seal_eseal_free(e);
        seal_buf_clear(&der);
    }
}

int main(void)
{
    const struct CMUnitTest own[] = {
        cmocka_unit_test(test_make_round_trip),
        cmocka_unit_test(test_make_rsa_maker),
        cmocka_unit_test(test_damaged_input),
        cmocka_unit_test(test_tolerated_variants),
    };
    const struct CMUnitTest corpus[] = {
        cmocka_unit_test(test_corpus_v4),
        cmocka_unit_test(test_corpus_v1),
    };
    int failed = cmocka_run_group_tests(own, setup, teardown);
    if (!test_corpus_dir()) {
        fprintf(stderr, "SEAL_CORPUS is not set or missing: corpus seal tests skipped\n");
        return failed ? failed : 77;
    }
    return failed + cmocka_run_group_tests(corpus, NULL, NULL);
}
