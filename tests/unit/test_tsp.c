/* RFC 3161: our requests decode back to what was asked; our responder grants tokens that
 * our checker accepts and refuses bad requests with the right PKIFailureInfo; serial
 * numbers never repeat across threads and restarts, and a damaged counter stops the TSA;
 * a changed token, a token without certificates, or a TSA certificate without the
 * timeStamping EKU fail; an unsigned attribute added to a CMS leaves its signature valid.
 * (`sealsvc tsa` against openssl ts, and our client against an openssl TSA, are in
 * tests/integration/tsa.sh.) */
#include "testutil.h"

#include <seal/cms.h>
#include <seal/der.h>
#include <seal/error.h>
#include <seal/pki.h>
#include <seal/tsp.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct {
    EVP_PKEY *root_key, *tsa_key, *signer_key;
    X509 *root, *tsa, *signer;
    seal_signer *tsa_signer, *doc_signer;
} pki;

static X509 *make_cert(seal_cert_role role, const char *cn, EVP_PKEY *key, X509 *issuer,
                       EVP_PKEY *issuer_key)
{
    X509 *cert = NULL;
    time_t now = time(NULL);
    seal_cert_spec spec = {.role = role,
                           .country = "CN",
                           .organization = "TSP Test",
                           .common_name = cn,
                           .not_before = now - 3600,
                           .not_after = now + 86400};
    assert_int_equal(seal_cert_issue(&cert, &spec, key, issuer, issuer_key), 0);
    return cert;
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(seal_key_generate(&pki.root_key, SEAL_ALG_RSA, 2048), 0);
    assert_int_equal(seal_key_generate(&pki.tsa_key, SEAL_ALG_RSA, 2048), 0);
    assert_int_equal(seal_key_generate(&pki.signer_key, SEAL_ALG_ECDSA, 0), 0);
    pki.root = make_cert(SEAL_CERT_ROOT_CA, "TSP Test Root", pki.root_key, NULL, NULL);
    pki.tsa = make_cert(SEAL_CERT_TSA, "TSP Test TSA", pki.tsa_key, pki.root, pki.root_key);
    pki.signer =
        make_cert(SEAL_CERT_SIGNER, "TSP Test Signer", pki.signer_key, pki.root, pki.root_key);
    assert_int_equal(seal_signer_new_software(&pki.tsa_signer, pki.tsa_key, pki.tsa, NULL), 0);
    assert_int_equal(seal_signer_new_software(&pki.doc_signer, pki.signer_key, pki.signer, NULL),
                     0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    seal_signer_free(pki.tsa_signer);
    seal_signer_free(pki.doc_signer);
    X509_free(pki.root);
    X509_free(pki.tsa);
    X509_free(pki.signer);
    EVP_PKEY_free(pki.root_key);
    EVP_PKEY_free(pki.tsa_key);
    EVP_PKEY_free(pki.signer_key);
    return 0;
}

static void sha256_of(const char *text, uint8_t out[32])
{
    size_t n = 0;
    assert_int_equal(seal_digest(EVP_sha256(), text, strlen(text), out, &n), 0);
    assert_int_equal(n, 32);
}

static seal_tsa *new_tsa(const char *serial_file)
{
    seal_tsa *tsa = NULL;
    seal_tsa_config cfg = {.signer = pki.tsa_signer,
                           .policy = SEAL_TSA_DEMO_POLICY,
                           .serial_path = test_path(test_tmpdir(), serial_file),
                           .accuracy_ms = 1500};
    assert_int_equal(seal_tsa_new(&tsa, &cfg), 0);
    return tsa;
}

/* Asks `tsa` for a token over `digest`; returns the response's token DER in *token. */
static seal_tsp_status ask(seal_tsa *tsa, seal_buf *resp, const seal_buf *req)
{
    seal_tsp_status status;
    assert_int_equal(seal_tsa_respond(tsa, resp, &status, req->data, req->len, time(NULL)), 0);
    return status;
}

static void test_request_round_trip(void **state)
{
    (void)state;
    uint8_t digest[32], nonce[8] = {0x41, 2, 3, 4, 5, 6, 7, 8};
    seal_buf der = SEAL_BUF_INIT;
    seal_tsp_request req;
    sha256_of("round trip", digest);
    assert_int_equal(seal_tsp_request_encode(&der, EVP_sha256(), digest, 32, nonce, sizeof nonce,
                                             "1.2.3.4.5", true),
                     0);
    assert_int_equal(seal_tsp_request_decode(&req, der.data, der.len), 0);
    assert_int_equal(EVP_MD_get_type(req.md), NID_sha256);
    assert_memory_equal(req.imprint, digest, 32);
    assert_int_equal(req.nonce_len, sizeof nonce);
    assert_memory_equal(req.nonce, nonce, sizeof nonce);
    assert_string_equal(req.policy, "1.2.3.4.5");
    assert_true(req.cert_req);
    assert_false(req.has_extensions);

    /* SM3, no nonce, no policy, no certReq */
    uint8_t sm3[32];
    size_t n = 0;
    assert_int_equal(seal_digest(EVP_sm3(), "x", 1, sm3, &n), 0);
    assert_int_equal(seal_tsp_request_encode(&der, EVP_sm3(), sm3, n, NULL, 0, NULL, false), 0);
    assert_int_equal(seal_tsp_request_decode(&req, der.data, der.len), 0);
    assert_int_equal(EVP_MD_get_type(req.md), NID_sm3);
    assert_int_equal(req.nonce_len, 0);
    assert_string_equal(req.policy, "");
    assert_false(req.cert_req);

    /* a digest of the wrong size is refused before anything is sent */
    assert_int_equal(seal_tsp_request_encode(&der, EVP_sha256(), digest, 20, NULL, 0, NULL, true),
                     SEAL_EINVAL);
    /* truncated and trailing bytes */
    assert_int_equal(seal_tsp_request_decode(&req, der.data, der.len - 1), SEAL_EFORMAT);
    seal_buf_clear(&der);
}

static void test_grant_and_check(void **state)
{
    (void)state;
    uint8_t digest[32], nonce[8] = {0x55, 1, 2, 3, 4, 5, 6, 7};
    seal_buf req = SEAL_BUF_INIT, resp = SEAL_BUF_INIT, token = SEAL_BUF_INIT;
    seal_tst *tst = NULL;
    int status = -1;
    seal_tsa *tsa = new_tsa("grant.serial");
    sha256_of("the signature value", digest);
    assert_int_equal(seal_tsp_request_encode(&req, EVP_sha256(), digest, 32, nonce, 8, NULL, true),
                     0);
    assert_int_equal(ask(tsa, &resp, &req), SEAL_TSP_GRANTED);
    assert_int_equal(seal_tsp_response_decode(&token, &status, resp.data, resp.len), 0);
    assert_int_equal(status, SEAL_TSP_GRANTED);
    assert_int_equal(seal_tst_parse(&tst, token.data, token.len), 0);
    assert_int_equal(seal_tst_check(tst), 0);
    assert_int_equal(seal_tst_imprint_is(tst, EVP_sha256(), digest, 32), 1);
    assert_int_equal(seal_tst_imprint_matches(tst, (const uint8_t *)"the signature value", 19), 1);
    assert_int_equal(seal_tst_imprint_matches(tst, (const uint8_t *)"another value", 13), 0);
    const seal_tst_info *info = seal_tst_get_info(tst);
    assert_string_equal(info->policy, SEAL_TSA_DEMO_POLICY);
    assert_int_equal(info->accuracy_ms, 1500);
    assert_int_equal(info->nonce.len, 8);
    assert_memory_equal(info->nonce.data, nonce, 8);
    assert_true(llabs((long long)(info->gen_time - time(NULL))) < 120);
    assert_non_null(info->tsa_name);
    assert_non_null(strstr(info->tsa_name, "TSP Test TSA"));
    assert_true(X509_cmp(seal_tst_signer_cert(tst), pki.tsa) == 0);
    char *name = seal_tst_tsa_display_name(tst);
    assert_string_equal(name, "TSP Test TSA");
    free(name);

    /* one changed byte of the TSTInfo (the genTime's last digit) breaks the token */
    seal_buf bad = SEAL_BUF_INIT;
    assert_int_equal(seal_buf_set(&bad, token.data, token.len), 0);
    uint8_t *z = memchr(bad.data, 'Z', bad.len);
    assert_non_null(z);
    z[-1] = z[-1] == '0' ? '1' : '0';
    seal_tst *changed = NULL;
    assert_int_equal(seal_tst_parse(&changed, bad.data, bad.len), 0);
    assert_int_equal(seal_tst_check(changed), SEAL_ECRYPTO);
    assert_non_null(strstr(seal_error_last(), "message digest"));
    seal_tst_free(changed);
    seal_buf_clear(&bad);

    /* certReq false: the token carries no certificate (RFC 3161 2.4.1), so it cannot be
     * checked on its own */
    assert_int_equal(seal_tsp_request_encode(&req, EVP_sha256(), digest, 32, NULL, 0, NULL, false),
                     0);
    assert_int_equal(ask(tsa, &resp, &req), SEAL_TSP_GRANTED);
    assert_int_equal(seal_tsp_response_decode(&token, &status, resp.data, resp.len), 0);
    seal_tst_free(tst);
    tst = NULL;
    assert_int_equal(seal_tst_parse(&tst, token.data, token.len), 0);
    assert_int_equal(sk_X509_num(seal_tst_certs(tst)), 0);
    assert_int_equal(seal_tst_check(tst), SEAL_EPKI);

    seal_tst_free(tst);
    seal_tsa_free(tsa);
    seal_buf_clear(&req);
    seal_buf_clear(&resp);
    seal_buf_clear(&token);
}

/* A request the TSA refuses: the rejection names the failure. */
static void expect_rejection(seal_tsa *tsa, const seal_buf *req, const char *failure)
{
    seal_buf resp = SEAL_BUF_INIT, token = SEAL_BUF_INIT;
    int status = -1;
    assert_int_equal(ask(tsa, &resp, req), SEAL_TSP_REJECTION);
    assert_int_equal(seal_tsp_response_decode(&token, &status, resp.data, resp.len), SEAL_EPKI);
    assert_int_equal(status, SEAL_TSP_REJECTION);
    if (!strstr(seal_error_last(), failure))
        fail_msg("expected '%s' in: %s", failure, seal_error_last());
    seal_buf_clear(&resp);
    seal_buf_clear(&token);
}

static void test_rejections(void **state)
{
    (void)state;
    seal_tsa *tsa = new_tsa("reject.serial");
    seal_buf req = SEAL_BUF_INIT;
    uint8_t digest[32];
    sha256_of("x", digest);

    seal_buf_set(&req, "not a request", 13);
    expect_rejection(tsa, &req, "badDataFormat");

    /* SHA-1 is no longer accepted: badAlg */
    uint8_t sha1[20];
    size_t n = 0;
    assert_int_equal(seal_digest(EVP_sha1(), "x", 1, sha1, &n), 0);
    seal_der_writer w = {SEAL_BUF_INIT, 0};
    size_t r = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_der_int(&w, 1);
    size_t imprint = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    size_t alg = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_der_oid(&w, "1.3.14.3.2.26");
    seal_der_end(&w, alg);
    seal_der_octet_string(&w, sha1, n);
    seal_der_end(&w, imprint);
    seal_der_end(&w, r);
    assert_int_equal(seal_der_finish(&w, &req), 0);
    expect_rejection(tsa, &req, "badAlg");

    assert_int_equal(
        seal_tsp_request_encode(&req, EVP_sha256(), digest, 32, NULL, 0, "1.2.3.4", true), 0);
    expect_rejection(tsa, &req, "unacceptedPolicy");

    /* a request extension ([0] after certReq): unacceptedExtension */
    assert_int_equal(seal_tsp_request_encode(&req, EVP_sha256(), digest, 32, NULL, 0, NULL, true),
                     0);
    seal_buf body = SEAL_BUF_INIT;
    seal_der_elem outer;
    seal_slice cur = seal_slice_of(req.data, req.len);
    assert_int_equal(seal_der_next(&cur, &outer, "req"), 0);
    r = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_der_raw(&w, outer.content.data, outer.content.len);
    size_t ext = seal_der_begin(&w, SEAL_DER_CONTEXT_CONS | 0);
    size_t one = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_der_oid(&w, "1.2.3.4.5.6");
    seal_der_octet_string(&w, "x", 1);
    seal_der_end(&w, one);
    seal_der_end(&w, ext);
    seal_der_end(&w, r);
    assert_int_equal(seal_der_finish(&w, &body), 0);
    expect_rejection(tsa, &body, "unacceptedExtension");

    seal_buf_clear(&body);
    seal_buf_clear(&req);
    seal_tsa_free(tsa);
}

typedef struct serial_job {
    seal_tsa *tsa;
    uint64_t serials[50];
} serial_job;

static uint64_t serial_of(const seal_buf *resp)
{
    seal_buf token = SEAL_BUF_INIT;
    seal_tst *tst = NULL;
    int status;
    uint64_t v = 0;
    if (seal_tsp_response_decode(&token, &status, resp->data, resp->len) == 0 &&
        seal_tst_parse(&tst, token.data, token.len) == 0) {
        seal_slice s = seal_tst_get_info(tst)->serial;
        for (size_t i = 0; i < s.len; i++)
            v = v << 8 | s.data[i];
    }
    seal_tst_free(tst);
    seal_buf_clear(&token);
    return v;
}

static void *serial_worker(void *arg)
{
    serial_job *job = arg;
    uint8_t digest[32] = {1};
    seal_buf req = SEAL_BUF_INIT, resp = SEAL_BUF_INIT;
    seal_tsp_status status;
    seal_tsp_request_encode(&req, EVP_sha256(), digest, 32, NULL, 0, NULL, false);
    for (int i = 0; i < 50; i++) {
        resp.len = 0;
        job->serials[i] = 0;
        if (seal_tsa_respond(job->tsa, &resp, &status, req.data, req.len, time(NULL)) == 0)
            job->serials[i] = serial_of(&resp);
    }
    seal_buf_clear(&req);
    seal_buf_clear(&resp);
    return NULL;
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_serials_never_repeat(void **state)
{
    (void)state;
    enum { THREADS = 4, ROUNDS = 2 };
    static serial_job jobs[ROUNDS][THREADS];
    for (int round = 0; round < ROUNDS; round++) {
        /* a new responder over the same counter: a restart */
        seal_tsa *tsa = new_tsa("shared.serial");
        pthread_t threads[THREADS];
        for (int i = 0; i < THREADS; i++) {
            jobs[round][i].tsa = tsa;
            assert_int_equal(pthread_create(&threads[i], NULL, serial_worker, &jobs[round][i]), 0);
        }
        for (int i = 0; i < THREADS; i++)
            pthread_join(threads[i], NULL);
        seal_tsa_free(tsa);
    }
    uint64_t serials[ROUNDS * THREADS * 50];
    size_t n = 0;
    for (int round = 0; round < ROUNDS; round++)
        for (int i = 0; i < THREADS; i++)
            for (int k = 0; k < 50; k++)
                serials[n++] = jobs[round][i].serials[k];
    qsort(serials, n, sizeof serials[0], compare_u64);
    assert_true(serials[0] > 0);
    for (size_t i = 1; i < n; i++)
        if (serials[i] == serials[i - 1])
            fail_msg("serial %llu was issued twice", (unsigned long long)serials[i]);
}

static void test_damaged_counter_refused(void **state)
{
    (void)state;
    const char *path = test_path(test_tmpdir(), "damaged.serial");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("12x\n", f);
    fclose(f);
    seal_tsa *tsa = NULL;
    seal_tsa_config cfg = {
        .signer = pki.tsa_signer, .policy = SEAL_TSA_DEMO_POLICY, .serial_path = path};
    assert_int_equal(seal_tsa_new(&tsa, &cfg), SEAL_ESTORE);
    assert_non_null(strstr(seal_error_last(), "damaged"));
    assert_null(tsa);
}

static void test_tsa_needs_timestamping_eku(void **state)
{
    (void)state;
    seal_tsa *tsa = NULL;
    seal_tsa_config cfg = {.signer = pki.doc_signer,
                           .policy = SEAL_TSA_DEMO_POLICY,
                           .serial_path = test_path(test_tmpdir(), "eku.serial")};
    assert_int_equal(seal_tsa_new(&tsa, &cfg), SEAL_EPKI);
    assert_non_null(strstr(seal_error_last(), "extendedKeyUsage"));
}

static void test_unsigned_attr_keeps_signature(void **state)
{
    (void)state;
    uint8_t digest[32];
    seal_buf cms_der = SEAL_BUF_INIT;
    seal_cms *cms = NULL;
    seal_cms_outcome result;
    seal_slice value;
    sha256_of("document bytes", digest);
    assert_int_equal(seal_cms_sign_detached(&cms_der, pki.doc_signer, digest, 32), 0);
    size_t before = cms_der.len;
    const uint8_t token[] = {0x30, 0x03, 0x02, 0x01, 0x07}; /* any DER value */
    assert_int_equal(
        seal_cms_add_unsigned_attr(&cms_der, SEAL_OID_ATTR_TIMESTAMP_TOKEN, token, sizeof token),
        0);
    assert_true(cms_der.len > before);
    assert_int_equal(seal_cms_parse(&cms, cms_der.data, cms_der.len), 0);
    assert_int_equal(seal_cms_check(&result, cms, digest, 32), 0);
    assert_true(result.digest_ok && result.signature_ok && result.signing_cert_ok);
    assert_int_equal(seal_cms_unsigned_attr(cms, SEAL_OID_ATTR_TIMESTAMP_TOKEN, &value), 0);
    assert_int_equal(value.len, sizeof token);
    assert_memory_equal(value.data, token, sizeof token);
    assert_int_equal(seal_cms_unsigned_attr(cms, "1.2.3", &value), SEAL_ENOTFOUND);
    seal_cms_free(cms);
    seal_buf_clear(&cms_der);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_round_trip),
        cmocka_unit_test(test_grant_and_check),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_serials_never_repeat),
        cmocka_unit_test(test_damaged_counter_refused),
        cmocka_unit_test(test_tsa_needs_timestamping_eku),
        cmocka_unit_test(test_unsigned_attr_keeps_signature),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
