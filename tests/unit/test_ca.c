/* The CA's building blocks: serial numbers as people type them, CRLs we make read back by
 * `openssl crl` and by our own status check, the OCSP responder against requests from
 * `openssl ocsp` (including garbage and another CA's certificates), and the audit trail,
 * whose hash chain shows an edited or deleted record. */
#include "testutil.h"

#include <seal/ca.h>
#include <seal/error.h>
#include <seal/pki.h>
#include <seal/revocation.h>
#include <seal/store.h>

#include <glib.h>

#include <openssl/pem.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY 86400

typedef struct fixture {
    EVP_PKEY *ca_key, *leaf_key, *other_key;
    X509 *ca, *leaf, *other_leaf, *other_ca;
} fixture;

static fixture fx;

static X509 *issue(seal_cert_role role, const char *cn, EVP_PKEY *key, X509 *ca, EVP_PKEY *ca_key)
{
    time_t now = time(NULL);
    seal_cert_spec spec = {
        .role = role,
        .country = "CN",
        .organization = "测试",
        .common_name = cn,
        .not_before = now - DAY,
        .not_after = now + 365 * DAY,
    };
    X509 *x = NULL;
    assert_int_equal(seal_cert_issue(&x, &spec, key, ca, ca_key), 0);
    return x;
}

static int setup(void **state)
{
    (void)state;
    if (seal_key_generate(&fx.ca_key, SEAL_ALG_RSA, 2048) < 0 ||
        seal_key_generate(&fx.leaf_key, SEAL_ALG_ECDSA, 0) < 0 ||
        seal_key_generate(&fx.other_key, SEAL_ALG_RSA, 2048) < 0)
        return -1;
    fx.ca = issue(SEAL_CERT_ROOT_CA, "Test CA", fx.ca_key, NULL, NULL);
    fx.leaf = issue(SEAL_CERT_SIGNER, "Leaf", fx.leaf_key, fx.ca, fx.ca_key);
    fx.other_ca = issue(SEAL_CERT_ROOT_CA, "Other CA", fx.other_key, NULL, NULL);
    fx.other_leaf = issue(SEAL_CERT_SIGNER, "Other Leaf", fx.leaf_key, fx.other_ca, fx.other_key);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    EVP_PKEY_free(fx.ca_key);
    EVP_PKEY_free(fx.leaf_key);
    EVP_PKEY_free(fx.other_key);
    X509_free(fx.ca);
    X509_free(fx.leaf);
    X509_free(fx.other_ca);
    X509_free(fx.other_leaf);
    return 0;
}

static void test_serials(void **state)
{
    (void)state;
    char out[80];
    assert_int_equal(seal_serial_normalize(out, sizeof out, "0x00:4A:3f"), 0);
    assert_string_equal(out, "4a3f");
    assert_int_equal(seal_serial_normalize(out, sizeof out, "0"), 0);
    assert_string_equal(out, "0");
    assert_int_equal(seal_serial_normalize(out, sizeof out, "12g4"), SEAL_EINVAL);
    assert_int_equal(seal_serial_normalize(out, sizeof out, ""), SEAL_EINVAL);
    assert_int_equal(seal_serial_normalize(out, 4, "123456"), SEAL_EINVAL);
    assert_int_equal(seal_serial_normalize(out, sizeof out, "3AB"), 0);
    assert_string_equal(out, "03ab");

    /* Every way of writing a serial comes to what the CA database keeps for the
     * certificate (seal_cert_serial_hex), odd first digit or not. */
    static const struct {
        long value;
        const char *forms[4];
    } cases[] = {
        {0x0311, {"311", "0311", "03:11", "0x000311"}},
        {0x4a3f, {"4a3f", "4A:3F", "004a3f", "0x4a3f"}},
        {0x5, {"5", "05", "0x5", "00:05"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        X509 *cert = X509_new();
        assert_non_null(cert);
        ASN1_INTEGER_set(X509_get_serialNumber(cert), cases[i].value);
        char *stored = seal_cert_serial_hex(cert);
        for (size_t f = 0; f < 4; f++) {
            assert_int_equal(seal_serial_normalize(out, sizeof out, cases[i].forms[f]), 0);
            assert_string_equal(out, stored);
        }
        g_free(stored);
        X509_free(cert);
    }
}

static int write_der_crl(X509_CRL *crl, const char *path)
{
    FILE *f = fopen(path, "wb");
    int ok = f && i2d_X509_CRL_fp(f, crl) == 1;
    if (f)
        fclose(f);
    return ok ? 0 : -1;
}

static void test_crl_round_trip(void **state)
{
    (void)state;
    time_t now = time(NULL);
    char *serial = seal_cert_serial_hex(fx.leaf);
    seal_crl_entry entries[] = {
        {.serial_hex = serial, .revoked_at = now - 60, .reason = 1, .invalidity_date = now - DAY},
        {.serial_hex = "1234", .revoked_at = now - 30, .reason = SEAL_CRL_REASON_HOLD},
    };
    seal_crl_spec spec = {.this_update = now,
                          .next_update = now + DAY,
                          .number = 7,
                          .entries = entries,
                          .n_entries = 2};
    X509_CRL *crl = NULL;
    assert_int_equal(seal_crl_make(&crl, &spec, fx.ca, fx.ca_key), 0);
    assert_int_equal(seal_crl_check(crl, fx.leaf, fx.ca), 0);
    /* Another CA's certificate is not judged by this CRL. */
    assert_int_equal(seal_crl_check(crl, fx.other_leaf, fx.other_ca), SEAL_EPKI);

    const char *path = test_path(test_tmpdir(), "made.crl");
    assert_int_equal(write_der_crl(crl, path), 0);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "openssl crl -inform DER -in '%s' -noout -text | grep -q 'Key Compromise' && "
             "openssl crl -inform DER -in '%s' -noout -text | grep -q 'Hold Instruction Reject' "
             "&& openssl crl -inform DER -in '%s' -noout -crlnumber | grep -q 'crlNumber=0x07'",
             path, path, path);
    assert_int_equal(system(cmd), 0);

    seal_revocation *rv;
    seal_revocation_opts o = {.offline = true};
    seal_cert_status st;
    assert_int_equal(seal_revocation_new(&rv, &o), 0);
    assert_int_equal(seal_revocation_add_file(rv, path), 0);
    assert_int_equal(seal_pki_status_at(&st, rv, fx.leaf, fx.ca, now), 0);
    assert_int_equal(st.state, SEAL_CERT_REVOKED);
    assert_int_equal(st.reason, 1);
    assert_int_equal(st.invalidity_date, now - DAY);
    assert_string_equal(st.evidence.crl_number, "7");
    seal_cert_status_clear(&st);
    seal_revocation_free(rv);

    /* nextUpdate before thisUpdate; a key that is not the CA's */
    spec.next_update = now - 1;
    assert_int_equal(seal_crl_make(&crl, &spec, fx.ca, fx.ca_key), SEAL_EINVAL);
    spec.next_update = now + DAY;
    X509_CRL *bad = NULL;
    assert_int_equal(seal_crl_make(&bad, &spec, fx.ca, fx.other_key), SEAL_EINVAL);
    X509_CRL_free(crl);
    g_free(serial);
}

typedef struct lookup_table {
    const char *serial;
    seal_ocsp_answer answer;
} lookup_table;

static int lookup(void *ctx, const char *serial, seal_ocsp_answer *out)
{
    const lookup_table *t = ctx;
    if (strcmp(serial, t->serial) == 0)
        *out = t->answer;
    return 0;
}

static void respond_file(const seal_ocsp_responder *r, const char *req, const char *resp)
{
    seal_buf in = SEAL_BUF_INIT, out = SEAL_BUF_INIT;
    assert_int_equal(seal_buf_read_file(&in, req, 1 << 20), 0);
    assert_int_equal(seal_ocsp_respond(&out, r, in.data, in.len), 0);
    assert_int_equal(seal_buf_write_file(&out, resp, 0644), 0);
    seal_buf_clear(&in);
    seal_buf_clear(&out);
}

static void test_ocsp_responder(void **state)
{
    (void)state;
    const char *dir = test_tmpdir();
    char *serial = seal_cert_serial_hex(fx.leaf);
    lookup_table table = {
        serial, {.state = SEAL_CERT_SUSPENDED, .revoked_at = time(NULL) - 5, .reason = 6}};
    seal_ocsp_responder r = {.issuer = fx.ca,
                             .signer = fx.ca,
                             .signer_key = fx.ca_key,
                             .lookup = lookup,
                             .lookup_ctx = &table};
    FILE *f = fopen(test_path(dir, "ca.pem"), "w");
    PEM_write_X509(f, fx.ca);
    fclose(f);
    f = fopen(test_path(dir, "leaf.pem"), "w");
    PEM_write_X509(f, fx.leaf);
    fclose(f);
    f = fopen(test_path(dir, "other-ca.pem"), "w");
    PEM_write_X509(f, fx.other_ca);
    fclose(f);
    f = fopen(test_path(dir, "other-leaf.pem"), "w");
    PEM_write_X509(f, fx.other_leaf);
    fclose(f);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && openssl ocsp -issuer ca.pem -cert leaf.pem -reqout leaf.req 2>/dev/null"
             " && openssl ocsp -issuer other-ca.pem -cert other-leaf.pem -reqout other.req "
             "2>/dev/null",
             dir);
    assert_int_equal(system(cmd), 0);
    respond_file(&r, test_path(dir, "leaf.req"), test_path(dir, "leaf.resp"));
    /* openssl checks the signature, the nonce and the status. */
    snprintf(cmd, sizeof cmd,
             "cd '%s' && openssl ocsp -reqin leaf.req -respin leaf.resp -CAfile ca.pem "
             "-resp_text 2>&1 | tee leaf.txt | grep -q 'Response verify OK' && grep -q "
             "'Cert Status: revoked' leaf.txt && grep -q 'certificateHold' leaf.txt && "
             "grep -q 'OCSP Nonce' leaf.txt && ! grep -q -i 'nonce verify error' leaf.txt",
             dir);
    assert_int_equal(system(cmd), 0);

    respond_file(&r, test_path(dir, "other.req"), test_path(dir, "other.resp"));
    snprintf(cmd, sizeof cmd,
             "openssl ocsp -respin '%s' -resp_text -noverify 2>&1 | grep -q unauthorized",
             test_path(dir, "other.resp"));
    assert_int_equal(system(cmd), 0);

    seal_buf out = SEAL_BUF_INIT;
    static const uint8_t garbage[] = {0x30, 0x03, 0x02, 0x01};
    assert_int_equal(seal_ocsp_respond(&out, &r, garbage, sizeof garbage), 0);
    /* OCSPResponse { responseStatus malformedRequest (1) } */
    static const uint8_t malformed[] = {0x30, 0x03, 0x0a, 0x01, 0x01};
    assert_int_equal(out.len, sizeof malformed);
    assert_memory_equal(out.data, malformed, sizeof malformed);
    seal_buf_clear(&out);
    g_free(serial);
}

/* Runs `sql` on the database of data directory `dir` behind the store's back: sqlite3 on
 * the embedded file, psql on the case's PostgreSQL schema (the db layer is private to
 * libseal). */
static void tamper(const char *dir, const char *sql)
{
    if (test_store_on_postgres()) {
        assert_int_equal(test_run("psql -X -q -v ON_ERROR_STOP=1 -d '%s' -c \"%s\" >/dev/null",
                                  test_store_url(dir), sql),
                         0);
        return;
    }
    sqlite3 *db;
    char *db_path = g_build_filename(dir, "sealsvc.db", NULL);
    assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    g_free(db_path);
}

static void test_audit_chain(void **state)
{
    (void)state;
    const char *dir = test_path(test_tmpdir(), "store");
    seal_store *st;
    size_t n = 0;
    seal_audit_record *records = NULL;
    assert_int_equal(test_store_open(&st, dir, true), 0);
    assert_int_equal(seal_store_audit(st, "alice", "freeze", "cert:01", "frozen"), 0);
    assert_int_equal(seal_store_audit(st, "bob", "unfreeze", "cert:01", "released"), 0);
    assert_int_equal(seal_store_audit(st, "bob", "revoke", "cert:02", "keyCompromise"), 0);
    assert_int_equal(seal_store_audit_check(st, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(seal_store_audit_list(st, "cert:01", &records, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(records[1].actor, "bob");
    assert_string_equal(records[1].action, "unfreeze");
    seal_audit_records_free(records, n);
    seal_store_close(st);

    /* Someone edits a record behind the store's back: the chain shows it. */
    tamper(dir, "UPDATE audit SET detail = 'nothing' WHERE id = 2");
    assert_int_equal(test_store_open(&st, dir, false), 0);
    assert_int_equal(seal_store_audit_check(st, &n), SEAL_ESTORE);
    assert_non_null(strstr(seal_error_last(), "record 2 was changed"));
    seal_store_close(st);

    /* ... or deletes one. */
    tamper(dir, "DELETE FROM audit WHERE id = 2");
    assert_int_equal(test_store_open(&st, dir, false), 0);
    assert_int_equal(seal_store_audit_check(st, &n), SEAL_ESTORE);
    assert_non_null(strstr(seal_error_last(), "record 2 is missing"));
    seal_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serials),
        cmocka_unit_test(test_crl_round_trip),
        cmocka_unit_test(test_ocsp_responder),
        cmocka_unit_test(test_audit_chain),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
