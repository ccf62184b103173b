/* pki: certificates we issue are accepted by `openssl verify` and show their names and
 * URLs to `openssl x509`; chains are judged at a time (ok, expired, not yet valid, no
 * anchor, key usage); trust anchors load from PEM bundles, DER files and folders. */
#include "testutil.h"

#include <seal/error.h>
#include <seal/pki.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define DAY (24 * 3600)

static const char ORG[] = "北京市测试印章有限公司";

typedef struct pki_fixture {
    time_t now;
    EVP_PKEY *root_key, *ca_key, *sm2_root_key;
    X509 *root, *ca, *sm2_root;
    EVP_PKEY *leaf_key[3]; /* RSA, EC, SM2 */
    X509 *leaf[3];
    X509 *sm2_leaf; /* SM2 key under the SM2 root */
    STACK_OF(X509) * untrusted;
} pki_fixture;

static EVP_PKEY *new_key(int kind)
{
    EVP_PKEY *k = NULL;
    if (kind == 0)
        k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    else if (kind == 1)
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    else
        k = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
    assert_non_null(k);
    return k;
}

static seal_cert_spec spec_for(seal_cert_role role, const char *cn, time_t now)
{
    seal_cert_spec s = {
        .role = role,
        .country = "CN",
        .province = "北京市",
        .locality = "海淀区",
        .organization = ORG,
        .org_unit = "信息部",
        .common_name = cn,
        .org_identifier = "91110108MA01ABCD1X",
        .not_before = now - DAY,
        .not_after = now + 365 * DAY,
        .crl_url = "http://crl.example.test/issuing.crl",
        .ocsp_url = "http://ocsp.example.test/",
        .ca_issuers_url = "http://ca.example.test/issuing.cer",
    };
    return s;
}

static void write_pem(X509 *cert, const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_X509(f, cert), 1);
    fclose(f);
}

static int setup(void **state)
{
    pki_fixture *f = calloc(1, sizeof *f);
    f->now = time(NULL);
    f->root_key = new_key(0);
    f->ca_key = new_key(0);
    seal_cert_spec s = spec_for(SEAL_CERT_ROOT_CA, "测试根CA", f->now);
    s.not_after = f->now + 3650 * DAY;
    if (seal_cert_issue(&f->root, &s, f->root_key, NULL, NULL) != 0)
        return -1;
    s = spec_for(SEAL_CERT_ISSUING_CA, "测试签发CA", f->now);
    s.not_after = f->now + 1825 * DAY;
    if (seal_cert_issue(&f->ca, &s, f->ca_key, f->root, f->root_key) != 0)
        return -1;
    for (int i = 0; i < 3; i++) {
        f->leaf_key[i] = new_key(i);
        s = spec_for(SEAL_CERT_SIGNER, "张三", f->now);
        if (seal_cert_issue(&f->leaf[i], &s, f->leaf_key[i], f->ca, f->ca_key) != 0)
            return -1;
    }
    f->sm2_root_key = new_key(2);
    s = spec_for(SEAL_CERT_ROOT_CA, "SM2根CA", f->now);
    if (seal_cert_issue(&f->sm2_root, &s, f->sm2_root_key, NULL, NULL) != 0)
        return -1;
    s = spec_for(SEAL_CERT_SEAL_MAKER, "制章者", f->now);
    if (seal_cert_issue(&f->sm2_leaf, &s, f->leaf_key[2], f->sm2_root, f->sm2_root_key) != 0)
        return -1;
    f->untrusted = sk_X509_new_null();
    sk_X509_push(f->untrusted, f->ca);
    X509_up_ref(f->ca);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    pki_fixture *f = *state;
    sk_X509_pop_free(f->untrusted, X509_free);
    for (int i = 0; i < 3; i++) {
        X509_free(f->leaf[i]);
        EVP_PKEY_free(f->leaf_key[i]);
    }
    X509_free(f->sm2_leaf);
    X509_free(f->sm2_root);
    EVP_PKEY_free(f->sm2_root_key);
    X509_free(f->root);
    X509_free(f->ca);
    EVP_PKEY_free(f->root_key);
    EVP_PKEY_free(f->ca_key);
    free(f);
    return 0;
}

static int run(const char *cmd)
{
    int status = system(cmd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_openssl_verify_accepts_issued(void **state)
{
    pki_fixture *f = *state;
    const char *dir = test_tmpdir();
    write_pem(f->root, test_path(dir, "root.pem"));
    write_pem(f->ca, test_path(dir, "ca.pem"));
    static const char *names[3] = {"rsa.pem", "ec.pem", "sm2.pem"};
    for (int i = 0; i < 3; i++) {
        write_pem(f->leaf[i], test_path(dir, names[i]));
        char cmd[1024];
        snprintf(cmd, sizeof cmd,
                 "openssl verify -CAfile '%s/root.pem' -untrusted '%s/ca.pem' '%s/%s' >/dev/null",
                 dir, dir, dir, names[i]);
        assert_int_equal(run(cmd), 0);
    }
    /* A chain the verifier was not given the issuing CA for must fail. */
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "openssl verify -CAfile '%s/root.pem' '%s/rsa.pem' >/dev/null 2>&1",
             dir, dir);
    assert_int_not_equal(run(cmd), 0);
}

static void test_openssl_shows_names_and_urls(void **state)
{
    pki_fixture *f = *state;
    const char *dir = test_tmpdir();
    write_pem(f->leaf[0], test_path(dir, "show.pem"));
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "openssl x509 -in '%s/show.pem' -noout -text -nameopt utf8 > '%s/show.txt'", dir, dir);
    assert_int_equal(run(cmd), 0);
    FILE *in = fopen(test_path(dir, "show.txt"), "r");
    assert_non_null(in);
    char text[16384];
    size_t n = fread(text, 1, sizeof text - 1, in);
    fclose(in);
    text[n] = '\0';
    assert_non_null(strstr(text, "O=北京市测试印章有限公司"));
    assert_non_null(strstr(text, "CN=张三"));
    assert_non_null(strstr(text, "URI:http://crl.example.test/issuing.crl"));
    assert_non_null(strstr(text, "OCSP - URI:http://ocsp.example.test/"));
    assert_non_null(strstr(text, "CA Issuers - URI:http://ca.example.test/issuing.cer"));
    assert_non_null(strstr(text, "Digital Signature, Non Repudiation"));
    assert_non_null(strstr(text, "91110108MA01ABCD1X"));
}

static void test_role_extensions(void **state)
{
    pki_fixture *f = *state;
    assert_true(X509_check_ca(f->root) > 0);
    assert_true(X509_check_ca(f->ca) > 0);
    assert_int_equal(X509_check_ca(f->leaf[0]), 0);
    assert_int_equal(X509_get_pathlen(f->ca), 0);
    /* 128-bit random serials: 16 octets, positive. */
    const ASN1_INTEGER *serial = X509_get0_serialNumber(f->leaf[1]);
    assert_int_equal(ASN1_STRING_length(serial), 16);
    assert_int_equal(ASN1_STRING_type(serial), V_ASN1_INTEGER);

    EVP_PKEY *key = new_key(1);
    seal_cert_spec s = spec_for(SEAL_CERT_TSA, "时间戳服务", f->now);
    X509 *tsa = NULL;
    assert_int_equal(seal_cert_issue(&tsa, &s, key, f->ca, f->ca_key), 0);
    assert_true(X509_get_extension_flags(tsa) & EXFLAG_XKUSAGE);
    assert_true(X509_get_extended_key_usage(tsa) & XKU_TIMESTAMP);
    int crit = -1;
    EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(tsa, NID_ext_key_usage, &crit, NULL);
    assert_non_null(eku);
    assert_int_equal(crit, 1);
    EXTENDED_KEY_USAGE_free(eku);
    X509_free(tsa);

    s = spec_for(SEAL_CERT_OCSP, "OCSP服务", f->now);
    X509 *ocsp = NULL;
    assert_int_equal(seal_cert_issue(&ocsp, &s, key, f->ca, f->ca_key), 0);
    assert_true(X509_get_extended_key_usage(ocsp) & XKU_OCSP_SIGN);
    assert_true(X509_get_ext_by_NID(ocsp, NID_id_pkix_OCSP_noCheck, -1) >= 0);
    X509_free(ocsp);

    /* A leaf cannot be self-signed; a wrong issuer key is refused. */
    X509 *bad = NULL;
    s = spec_for(SEAL_CERT_SIGNER, "李四", f->now);
    assert_int_equal(seal_cert_issue(&bad, &s, key, NULL, NULL), SEAL_EINVAL);
    assert_int_equal(seal_cert_issue(&bad, &s, key, f->ca, f->root_key), SEAL_EINVAL);
    assert_null(bad);
    EVP_PKEY_free(key);
}

static seal_trust *root_trust(pki_fixture *f)
{
    seal_trust *t = NULL;
    assert_int_equal(seal_trust_new(&t), 0);
    assert_int_equal(seal_trust_add_cert(t, f->root), 0);
    return t;
}

static void test_chain_at_times(void **state)
{
    pki_fixture *f = *state;
    seal_trust *t = root_trust(f);
    seal_chain_result r;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(seal_chain_verify(&r, t, f->leaf[i], f->untrusted, f->now, true), 0);
        assert_int_equal(r.status, SEAL_CHAIN_OK);
        assert_non_null(r.chain);
        assert_int_equal(sk_X509_num(r.chain), 3);
        assert_int_equal(X509_cmp(sk_X509_value(r.chain, 2), f->root), 0);
        seal_chain_result_clear(&r);
    }

    assert_int_equal(seal_chain_verify(&r, t, f->leaf[0], f->untrusted, f->now + 400 * DAY, true),
                     0);
    assert_int_equal(r.status, SEAL_CHAIN_EXPIRED);
    assert_string_equal(seal_chain_status_name(r.status), "expired");
    assert_non_null(strstr(r.detail, "CN=张三"));
    seal_chain_result_clear(&r);

    assert_int_equal(seal_chain_verify(&r, t, f->leaf[1], f->untrusted, f->now - 2 * DAY, true), 0);
    assert_int_equal(r.status, SEAL_CHAIN_NOT_YET_VALID);
    seal_chain_result_clear(&r);

    /* Without the issuing CA there is no path to the root. */
    assert_int_equal(seal_chain_verify(&r, t, f->leaf[0], NULL, f->now, true), 0);
    assert_int_equal(r.status, SEAL_CHAIN_NO_ANCHOR);
    assert_null(r.chain);
    seal_chain_result_clear(&r);

    /* A CA certificate may not sign documents (its key usage is keyCertSign, cRLSign). */
    assert_int_equal(seal_chain_verify(&r, t, f->ca, NULL, f->now, true), 0);
    assert_int_equal(r.status, SEAL_CHAIN_CONSTRAINTS);
    assert_non_null(strstr(r.detail, "key usage"));
    seal_chain_result_clear(&r);
    assert_int_equal(seal_chain_verify(&r, t, f->ca, NULL, f->now, false), 0);
    assert_int_equal(r.status, SEAL_CHAIN_OK);
    seal_chain_result_clear(&r);
    seal_trust_free(t);

    seal_trust *empty = NULL;
    assert_int_equal(seal_trust_new(&empty), 0);
    assert_int_equal(seal_trust_count(empty), 0);
    assert_int_equal(seal_chain_verify(&r, empty, f->leaf[0], f->untrusted, f->now, true), 0);
    assert_int_equal(r.status, SEAL_CHAIN_NO_ANCHOR);
    seal_chain_result_clear(&r);

    /* An intermediate configured as the anchor ends the chain there. */
    assert_int_equal(seal_trust_add_cert(empty, f->ca), 0);
    assert_int_equal(seal_chain_verify(&r, empty, f->leaf[2], NULL, f->now, true), 0);
    assert_int_equal(r.status, SEAL_CHAIN_OK);
    assert_int_equal(sk_X509_num(r.chain), 2);
    seal_chain_result_clear(&r);
    seal_trust_free(empty);
}

static void test_sm2_signed_chain(void **state)
{
    pki_fixture *f = *state;
    seal_trust *t = NULL;
    assert_int_equal(seal_trust_new(&t), 0);
    assert_int_equal(seal_trust_add_cert(t, f->sm2_root), 0);
    seal_chain_result r;
    assert_int_equal(seal_chain_verify(&r, t, f->sm2_leaf, NULL, f->now, true), 0);
    assert_int_equal(r.status, SEAL_CHAIN_OK);
    seal_chain_result_clear(&r);
    /* An SM2 certificate under another root does not chain to this one. */
    assert_int_equal(seal_chain_verify(&r, t, f->leaf[2], f->untrusted, f->now, true), 0);
    assert_int_equal(r.status, SEAL_CHAIN_NO_ANCHOR);
    seal_chain_result_clear(&r);
    seal_trust_free(t);

    const char *dir = test_tmpdir();
    write_pem(f->sm2_root, test_path(dir, "sm2root.pem"));
    write_pem(f->sm2_leaf, test_path(dir, "sm2leaf.pem"));
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "openssl verify -vfyopt distid:1234567812345678 -CAfile '%s/sm2root.pem' "
             "'%s/sm2leaf.pem' >/dev/null",
             dir, dir);
    assert_int_equal(run(cmd), 0);
}

static void test_trust_paths(void **state)
{
    pki_fixture *f = *state;
    const char *dir = test_path(test_tmpdir(), "anchors");
    mkdir(dir, 0700);
    /* A bundle of two PEM certificates, a DER file, and files the folder scan skips. */
    FILE *out = fopen(test_path(dir, "bundle.pem"), "w");
    assert_non_null(out);
    PEM_write_X509(out, f->root);
    PEM_write_X509(out, f->ca);
    fclose(out);
    out = fopen(test_path(dir, "sm2.cer"), "wb");
    assert_non_null(out);
    i2d_X509_fp(out, f->sm2_root);
    fclose(out);
    out = fopen(test_path(dir, "README.txt"), "w");
    fputs("not a certificate\n", out);
    fclose(out);

    seal_trust *t = NULL;
    assert_int_equal(seal_trust_new(&t), 0);
    assert_int_equal(seal_trust_add_path(t, test_path(dir, "bundle.pem")), 0);
    assert_int_equal(seal_trust_count(t), 2);
    assert_int_equal(seal_trust_add_path(t, test_path(dir, "sm2.cer")), 0);
    assert_int_equal(seal_trust_count(t), 3);
    seal_trust_free(t);

    assert_int_equal(seal_trust_new(&t), 0);
    assert_int_equal(seal_trust_add_path(t, dir), 0);
    assert_int_equal(seal_trust_count(t), 3);

    assert_int_equal(seal_trust_add_path(t, test_path(dir, "README.txt")), SEAL_EFORMAT);
    assert_non_null(strstr(seal_error_last(), "README.txt"));
    assert_int_equal(seal_trust_add_path(t, test_path(dir, "missing.pem")), SEAL_EIO);
    assert_non_null(strstr(seal_error_last(), "missing.pem"));

    /* A folder with a broken certificate file fails and names it. */
    out = fopen(test_path(dir, "broken.crt"), "w");
    fputs("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", out);
    fclose(out);
    assert_int_equal(seal_trust_add_path(t, dir), SEAL_EFORMAT);
    assert_non_null(strstr(seal_error_last(), "broken.crt"));
    assert_int_equal(seal_trust_count(t), 3);
    seal_trust_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openssl_verify_accepts_issued),
        cmocka_unit_test(test_openssl_shows_names_and_urls),
        cmocka_unit_test(test_role_extensions),
        cmocka_unit_test(test_chain_at_times),
        cmocka_unit_test(test_sm2_signed_chain),
        cmocka_unit_test(test_trust_paths),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
