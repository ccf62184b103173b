/* The SQLite store: institutions with checked credit codes, seal records, and the PIN rules
 * of the stamp flow (wrong PINs counted, a lock at five, a right PIN resets, an expired
 * or locked seal refused). */
#include "testutil.h"

#include "store/store_internal.h"

#include <seal/ca.h>
#include <seal/error.h>
#include <seal/ses.h>
#include <seal/store.h>

#include <glib.h>
#include <openssl/hmac.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define PIN       "482913"
#define WRONG_PIN "111111"
/* GB 32100: 91 (enterprise) 110108 (Haidian) 55123456-7 (organisation code), then the check
 * character. */
#define CREDIT_CODE "911101085512345672"

static EVP_PKEY *test_key;
static X509 *test_cert;
static seal_buf test_key_pem;

static X509 *self_signed(EVP_PKEY *key)
{
    X509 *cert = X509_new();
    X509_NAME *name = X509_NAME_new();
    assert_non_null(cert);
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600L * 24 * 365);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)"测试机构", -1, -1,
                               0);
    X509_set_subject_name(cert, name);
    X509_set_issuer_name(cert, name);
    X509_set_pubkey(cert, key);
    assert_true(X509_sign(cert, key, EVP_sha256()) > 0);
    X509_NAME_free(name);
    return cert;
}

static int group_setup(void **state)
{
    (void)state;
    if (seal_key_generate(&test_key, SEAL_ALG_ECDSA, 0) < 0)
        return -1;
    test_cert = self_signed(test_key);
    return seal_key_encrypt_pem(&test_key_pem, test_key, PIN) < 0 ? -1 : 0;
}

static int group_teardown(void **state)
{
    (void)state;
    EVP_PKEY_free(test_key);
    X509_free(test_cert);
    seal_buf_clear(&test_key_pem);
    return 0;
}

/* A fresh data directory per test. */
static const char *fresh_dir(void)
{
    static int n;
    static char name[32];
    snprintf(name, sizeof name, "data%d", n++);
    return test_path(test_tmpdir(), name);
}

static seal_store *open_store_with_institution(int64_t *inst)
{
    seal_store *st = NULL;
    assert_int_equal(test_store_open(&st, fresh_dir(), true), 0);
    assert_int_equal(seal_store_add_institution(st, "北京市测试有限公司", CREDIT_CODE, inst), 0);
    return st;
}

/* A complete record; `valid_end` lets a test make an expired seal. */
static void fill_record(seal_record *r, const char *id, int64_t inst, time_t valid_end)
{
    /* A 2x2 red PNG, half of it translucent: a seal's picture must be one. */
    static const uint8_t picture[] = {
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49,
        0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x08, 0x06,
        0x00, 0x00, 0x00, 0x72, 0xb6, 0x0d, 0x24, 0x00, 0x00, 0x00, 0x14, 0x49, 0x44,
        0x41, 0x54, 0x78, 0xda, 0x63, 0x38, 0x20, 0x20, 0xf0, 0x1f, 0x84, 0x19, 0x80,
        0x44, 0x03, 0x08, 0x03, 0x00, 0x3e, 0xfa, 0x06, 0x7f, 0x29, 0xe2, 0xb3, 0x4c,
        0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
    static const uint8_t esl[] = {0x30, 0x03, 0x02, 0x01, 0x04};
    memset(r, 0, sizeof *r);
    r->id = g_strdup(id);
    r->name = g_strdup("北京市测试有限公司");
    r->kind = g_strdup("official");
    r->shape = g_strdup("round");
    r->institution_id = inst;
    r->alg = SEAL_ALG_ECDSA;
    assert_int_equal(seal_cert_to_pem(&r->cert_pem, test_cert), 0);
    assert_int_equal(seal_buf_set(&r->key_pem, test_key_pem.data, test_key_pem.len), 0);
    assert_int_equal(seal_buf_set(&r->image_png, picture, sizeof picture), 0);
    assert_int_equal(seal_buf_set(&r->esl, esl, sizeof esl), 0);
    r->width_mm = r->height_mm = 42;
    r->valid_start = time(NULL) - 86400 * 2;
    r->valid_end = valid_end;
}

static seal_store *store_with_seal(const char *id, time_t valid_end)
{
    int64_t inst = 0;
    seal_store *st = open_store_with_institution(&inst);
    seal_record r;
    fill_record(&r, id, inst, valid_end);
    assert_int_equal(seal_store_add_seal(st, &r), 0);
    seal_record_clear(&r);
    return st;
}

/* The wrong-PIN count, and the state with " (locked)" when the lock flag is set. */
static int pin_failures_of(seal_store *st, const char *id, char **state_out)
{
    seal_record r;
    assert_int_equal(seal_store_get_seal(st, id, &r), 0);
    int n = r.pin_failures;
    *state_out = g_strdup_printf("%s%s", r.state, r.locked ? " (locked)" : "");
    seal_record_clear(&r);
    return n;
}

static void test_institution_credit_code(void **state)
{
    (void)state;
    seal_store *st = NULL;
    int64_t id = 0, found = 0;
    char *name = NULL;
    assert_int_equal(test_store_open(&st, fresh_dir(), true), 0);
    /* last character changed: the check character no longer matches */
    assert_int_equal(seal_store_add_institution(st, "坏代码公司", "91110108551234567A", &id),
                     SEAL_EINVAL);
    assert_non_null(strstr(seal_error_last(), "check character"));
    assert_int_equal(seal_store_add_institution(st, "短代码公司", "9111", &id), SEAL_EINVAL);
    assert_int_equal(seal_store_find_institution(st, CREDIT_CODE, &found, NULL), SEAL_ENOTFOUND);

    assert_int_equal(seal_store_add_institution(st, "北京市测试有限公司", CREDIT_CODE, &id), 0);
    assert_true(id > 0);
    assert_int_equal(seal_store_add_institution(st, "重复公司", CREDIT_CODE, NULL), SEAL_EEXISTS);
    assert_int_equal(seal_store_find_institution(st, CREDIT_CODE, &found, &name), 0);
    assert_int_equal(found, id);
    assert_string_equal(name, "北京市测试有限公司");
    g_free(name);
    seal_store_close(st);
}

static void test_files_private_and_open_needs_platform(void **state)
{
    (void)state;
    const char *dir = fresh_dir();
    seal_store *st = NULL;
    struct stat sb;
    assert_int_equal(seal_store_open(&st, dir, false), SEAL_ENOTFOUND);
    assert_null(st);
    assert_int_equal(seal_store_open(&st, dir, true), 0);
    assert_string_equal(seal_store_data_dir(st), dir);
    assert_int_equal(stat(dir, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    assert_int_equal(stat(test_path(dir, "sealsvc.db"), &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    seal_store_close(st);
    /* the schema is there when opened again without `create` */
    assert_int_equal(seal_store_open(&st, dir, false), 0);
    char **ids = NULL;
    assert_int_equal(seal_store_list_seals(st, &ids), 0);
    assert_null(ids[0]);
    g_strfreev(ids);
    seal_store_close(st);
}

static void test_add_get_list(void **state)
{
    (void)state;
    int64_t inst = 0;
    seal_store *st = open_store_with_institution(&inst);
    seal_record in, out;
    fill_record(&in, "test-official", inst, time(NULL) + 86400);
    assert_int_equal(seal_store_add_seal(st, &in), 0);
    assert_int_equal(seal_store_add_seal(st, &in), SEAL_EEXISTS);

    assert_int_equal(seal_store_get_seal(st, "test-official", &out), 0);
    assert_string_equal(out.name, in.name);
    assert_string_equal(out.kind, "official");
    assert_string_equal(out.shape, "round");
    assert_string_equal(out.owner, "北京市测试有限公司");
    assert_string_equal(out.owner_code, CREDIT_CODE);
    assert_string_equal(out.state, "active");
    assert_int_equal(out.alg, SEAL_ALG_ECDSA);
    assert_int_equal(out.pin_failures, 0);
    assert_int_equal(out.valid_end, in.valid_end);
    assert_true(out.width_mm == 42.0);
    assert_true(seal_slice_eq(seal_slice_of(out.esl.data, out.esl.len),
                              seal_slice_of(in.esl.data, in.esl.len)));
    assert_true(seal_slice_eq(seal_slice_of(out.cert_pem.data, out.cert_pem.len),
                              seal_slice_of(in.cert_pem.data, in.cert_pem.len)));
    seal_record_clear(&out);

    g_free(in.id);
    in.id = g_strdup("test-second");
    assert_int_equal(seal_store_add_seal(st, &in), 0);
    char **ids = NULL;
    assert_int_equal(seal_store_list_seals(st, &ids), 0);
    assert_int_equal(g_strv_length(ids), 2);
    assert_string_equal(ids[0], "test-official");
    assert_string_equal(ids[1], "test-second");
    g_strfreev(ids);

    /* an id becomes a file name: no path separators */
    g_free(in.id);
    in.id = g_strdup("../escape");
    assert_int_equal(seal_store_add_seal(st, &in), SEAL_EINVAL);
    /* a seal must belong to a registered institution */
    g_free(in.id);
    in.id = g_strdup("orphan");
    in.institution_id = inst + 100;
    assert_int_equal(seal_store_add_seal(st, &in), SEAL_ENOTFOUND);
    seal_record_clear(&in);
    seal_store_close(st);
}

static void test_unknown_id(void **state)
{
    (void)state;
    int64_t inst = 0;
    seal_store *st = open_store_with_institution(&inst);
    seal_record r;
    seal_signer *signer = NULL;
    assert_int_equal(seal_store_get_seal(st, "no-such-seal", &r), SEAL_ENOTFOUND);
    assert_non_null(strstr(seal_error_last(), "no-such-seal"));
    assert_int_equal(seal_store_unlock_seal(st, "no-such-seal", PIN, &signer, NULL),
                     SEAL_ENOTFOUND);
    assert_null(signer);
    seal_store_close(st);
}

static void test_right_pin_gives_signer(void **state)
{
    (void)state;
    seal_store *st = store_with_seal("s1", time(NULL) + 86400);
    seal_signer *signer = NULL;
    seal_record r;
    assert_int_equal(seal_store_unlock_seal(st, "s1", PIN, &signer, &r), 0);
    assert_non_null(signer);
    assert_int_equal(seal_signer_alg(signer), SEAL_ALG_ECDSA);
    assert_int_equal(X509_cmp(seal_signer_cert(signer), test_cert), 0);
    assert_string_equal(r.id, "s1");
    seal_record_clear(&r);
    seal_signer_free(signer);
    seal_store_close(st);
}

/* The store keeps the certificates it parsed (cert_memo.c), keyed by their text: seals
 * unlocked in turn, on one handle and on another, each sign with their own certificate. */
static void test_each_seal_its_certificate(void **state)
{
    (void)state;
    int64_t inst = 0;
    seal_store *st = open_store_with_institution(&inst), *other = NULL;
    EVP_PKEY *key2 = NULL;
    assert_int_equal(seal_key_generate(&key2, SEAL_ALG_ECDSA, 0), 0);
    X509 *cert2 = self_signed(key2);
    seal_record r;
    fill_record(&r, "first", inst, time(NULL) + 86400);
    assert_int_equal(seal_store_add_seal(st, &r), 0);
    seal_record_clear(&r);
    fill_record(&r, "second", inst, time(NULL) + 86400);
    seal_buf_clear(&r.cert_pem);
    assert_int_equal(seal_cert_to_pem(&r.cert_pem, cert2), 0);
    seal_buf_clear(&r.key_pem);
    assert_int_equal(seal_key_encrypt_pem(&r.key_pem, key2, PIN), 0);
    assert_int_equal(seal_store_add_seal(st, &r), 0);
    seal_record_clear(&r);
    assert_int_equal(test_store_open(&other, seal_store_data_dir(st), false), 0);
    const char *ids[] = {"first", "second", "first", "second"};
    X509 *certs[] = {test_cert, cert2, test_cert, cert2};
    for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
        seal_signer *signer = NULL;
        assert_int_equal(seal_store_unlock_seal(i % 2 ? other : st, ids[i], PIN, &signer, NULL), 0);
        assert_int_equal(X509_cmp(seal_signer_cert(signer), certs[i]), 0);
        seal_signer_free(signer);
    }
    X509_free(cert2);
    EVP_PKEY_free(key2);
    seal_store_close(other);
    seal_store_close(st);
}

static void test_wrong_pin_counts(void **state)
{
    (void)state;
    seal_store *st = store_with_seal("s1", time(NULL) + 86400);
    seal_signer *signer = NULL;
    char *seal_state = NULL;
    assert_int_equal(seal_store_unlock_seal(st, "s1", WRONG_PIN, &signer, NULL), SEAL_EAUTH);
    assert_null(signer);
    assert_non_null(strstr(seal_error_last(), "wrong PIN for seal s1 (4 tries left)"));
    assert_null(strstr(seal_error_last(), WRONG_PIN));
    assert_int_equal(pin_failures_of(st, "s1", &seal_state), 1);
    assert_string_equal(seal_state, "active");
    g_free(seal_state);

    /* a right PIN resets the count */
    assert_int_equal(seal_store_unlock_seal(st, "s1", WRONG_PIN, &signer, NULL), SEAL_EAUTH);
    assert_int_equal(pin_failures_of(st, "s1", &seal_state), 2);
    g_free(seal_state);
    assert_int_equal(seal_store_unlock_seal(st, "s1", PIN, &signer, NULL), 0);
    assert_int_equal(pin_failures_of(st, "s1", &seal_state), 0);
    g_free(seal_state);
    seal_signer_free(signer);
    seal_store_close(st);
}

static void test_lock_after_five(void **state)
{
    (void)state;
    seal_store *st = store_with_seal("s1", time(NULL) + 86400);
    seal_signer *signer = NULL;
    char *seal_state = NULL;
    for (int i = 0; i < SEAL_STORE_MAX_PIN_FAILURES; i++)
        assert_int_equal(seal_store_unlock_seal(st, "s1", WRONG_PIN, &signer, NULL), SEAL_EAUTH);
    assert_non_null(strstr(seal_error_last(), "locked"));
    assert_int_equal(pin_failures_of(st, "s1", &seal_state), 5);
    assert_string_equal(seal_state, "active (locked)");
    g_free(seal_state);

    /* locked: even the right PIN is refused, and no more tries are counted */
    assert_int_equal(seal_store_unlock_seal(st, "s1", PIN, &signer, NULL), SEAL_EPOLICY);
    assert_null(signer);
    assert_non_null(
        strstr(seal_error_last(), "seal s1 is locked after 5 wrong PINs; an administrator"));
    assert_null(strstr(seal_error_last(), PIN));
    assert_int_equal(pin_failures_of(st, "s1", &seal_state), 5);
    g_free(seal_state);
    seal_store_close(st);
}

static void test_expired_refused(void **state)
{
    (void)state;
    seal_store *st = store_with_seal("old", time(NULL) - 3600);
    seal_signer *signer = NULL;
    char *seal_state = NULL;
    assert_int_equal(seal_store_unlock_seal(st, "old", PIN, &signer, NULL), SEAL_EPOLICY);
    assert_null(signer);
    assert_non_null(strstr(seal_error_last(), "seal old expired on"));
    /* refused before the PIN is tried: no count */
    assert_int_equal(seal_store_unlock_seal(st, "old", WRONG_PIN, &signer, NULL), SEAL_EPOLICY);
    assert_int_equal(pin_failures_of(st, "old", &seal_state), 0);
    g_free(seal_state);
    seal_store_close(st);
}

/* create_seal: the key rests encrypted under the PIN, and the SESeal is signed by the
 * maker and binds the signing certificate (GB/T 38540 7.2). */
static void test_create_seal(void **state)
{
    (void)state;
    int64_t inst = 0;
    seal_store *st = open_store_with_institution(&inst);
    seal_signer *maker = NULL, *signer = NULL;
    seal_eseal *e = NULL;
    seal_record r;
    assert_int_equal(seal_signer_new_software(&maker, test_key, test_cert, NULL), 0);
    fill_record(&r, "made", inst, time(NULL) + 86400);
    seal_buf_clear(&r.key_pem);
    seal_buf_clear(&r.esl);

    assert_int_equal(seal_store_create_seal(st, &r, NULL, test_key, "123", maker, "test"),
                     SEAL_EINVAL);
    assert_int_equal(seal_store_create_seal(st, &r, NULL, test_key, PIN, maker, "test"), 0);
    assert_string_equal(r.owner_code, CREDIT_CODE);
    assert_non_null(strstr((const char *)r.key_pem.data, "ENCRYPTED PRIVATE KEY"));
    assert_int_equal(seal_eseal_parse(&e, r.esl.data, r.esl.len), 0);
    assert_int_equal(e->version, 4);
    assert_int_equal(strlen(e->es_id), 13);
    assert_memory_equal(e->es_id, CREDIT_CODE + 2, 6);
    assert_string_equal(e->name, r.name);
    assert_int_equal(e->type, SEAL_SES_TYPE_OFFICIAL);
    assert_int_equal(e->valid_end, r.valid_end);
    assert_int_equal(seal_eseal_lists_cert(e, test_cert), 1);
    assert_int_equal(seal_eseal_verify_maker(e), 0);
    seal_eseal_free(e);
    seal_record_clear(&r);

    assert_int_equal(seal_store_unlock_seal(st, "made", PIN, &signer, NULL), 0);
    seal_signer_free(signer);
    seal_signer_free(maker);
    seal_store_close(st);
}

/* The passphrase a seal key rests under, computed here as an outsider would: the hex of
 * HMAC-SHA256 keyed with DATA/secrets/kek's text over the PIN. */
static void outside_passphrase(const char *dir, const char *pin, char out[65])
{
    gchar *kek = NULL;
    assert_true(g_file_get_contents(test_path(test_path(dir, "secrets"), "kek"), &kek, NULL, NULL));
    g_strstrip(kek);
    assert_int_equal(strlen(kek), 64);
    uint8_t mac[32];
    unsigned len = 0;
    assert_non_null(
        HMAC(EVP_sha256(), kek, (int)strlen(kek), (const uint8_t *)pin, strlen(pin), mac, &len));
    for (unsigned i = 0; i < len; i++)
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
    g_free(kek);
}

static char *stored_key_pem(seal_store *st, const char *id)
{
    seal_record r;
    assert_int_equal(seal_store_get_seal(st, id, &r), 0);
    char *pem = g_strndup((const char *)r.key_pem.data, r.key_pem.len);
    seal_record_clear(&r);
    return pem;
}

/* A new seal's key opens with the PIN and the platform's key-encryption key, not with the
 * PIN alone: a copy of sealsvc.db alone gives a PIN guesser nothing. The data directory's
 * KEK (0600) is made with the store. */
static void test_key_needs_pin_and_kek(void **state)
{
    (void)state;
    int64_t inst = 0;
    seal_store *st = open_store_with_institution(&inst);
    const char *dir = seal_store_data_dir(st);
    struct stat sb;
    assert_int_equal(stat(test_path(test_path(dir, "secrets"), "kek"), &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    seal_signer *maker = NULL;
    EVP_PKEY *key = NULL;
    seal_record r;
    assert_int_equal(seal_signer_new_software(&maker, test_key, test_cert, NULL), 0);
    fill_record(&r, "made", inst, time(NULL) + 86400);
    seal_buf_clear(&r.key_pem);
    seal_buf_clear(&r.esl);
    assert_int_equal(seal_store_create_seal(st, &r, NULL, test_key, PIN, maker, "test"), 0);
    seal_record_clear(&r);

    char *pem = stored_key_pem(st, "made");
    char pass[65];
    assert_int_equal(seal_key_load_mem(&key, (uint8_t *)pem, strlen(pem), PIN), SEAL_EAUTH);
    outside_passphrase(dir, PIN, pass);
    assert_int_equal(seal_key_load_mem(&key, (uint8_t *)pem, strlen(pem), pass), 0);
    assert_int_equal(EVP_PKEY_eq(key, test_key), 1);
    EVP_PKEY_free(key);
    g_free(pem);

    /* Without its KEK the platform cannot open a key; that is not a wrong PIN. */
    const char *kek = test_path(test_path(dir, "secrets"), "kek");
    const char *aside = test_path(test_path(dir, "secrets"), "kek.aside");
    assert_int_equal(rename(kek, aside), 0);
    seal_signer *signer = NULL;
    char *seal_state = NULL;
    assert_int_equal(seal_store_unlock_seal(st, "made", PIN, &signer, NULL), SEAL_EIO);
    assert_non_null(strstr(seal_error_last(), "key-encryption key"));
    assert_int_equal(pin_failures_of(st, "made", &seal_state), 0);
    g_free(seal_state);
    assert_int_equal(rename(aside, kek), 0);
    assert_int_equal(seal_store_unlock_seal(st, "made", PIN, &signer, NULL), 0);
    seal_signer_free(signer);
    seal_signer_free(maker);
    seal_store_close(st);
}

/* A key stored by an earlier sealsvc under the PIN alone still unlocks, and is then stored
 * again under the PIN and the KEK. */
static void test_pin_only_key_is_rewrapped(void **state)
{
    (void)state;
    seal_store *st = store_with_seal("old-key", time(NULL) + 86400); /* under the PIN alone */
    EVP_PKEY *key = NULL;
    char *pem = stored_key_pem(st, "old-key");
    assert_int_equal(seal_key_load_mem(&key, (uint8_t *)pem, strlen(pem), PIN), 0);
    EVP_PKEY_free(key);
    g_free(pem);
    seal_signer *signer = NULL;
    assert_int_equal(seal_store_unlock_seal(st, "old-key", WRONG_PIN, &signer, NULL), SEAL_EAUTH);
    assert_int_equal(seal_store_unlock_seal(st, "old-key", PIN, &signer, NULL), 0);
    seal_signer_free(signer);
    pem = stored_key_pem(st, "old-key");
    assert_int_equal(seal_key_load_mem(&key, (uint8_t *)pem, strlen(pem), PIN), SEAL_EAUTH);
    char pass[65];
    outside_passphrase(seal_store_data_dir(st), PIN, pass);
    assert_int_equal(seal_key_load_mem(&key, (uint8_t *)pem, strlen(pem), pass), 0);
    EVP_PKEY_free(key);
    g_free(pem);
    assert_int_equal(seal_store_unlock_seal(st, "old-key", PIN, &signer, NULL), 0);
    seal_signer_free(signer);
    seal_store_close(st);
}

/* What several instances share lives in the database: the platform's own certificate and
 * key (the key opens with the KEK only), the CRLs as published, the counters. */
static void test_platform_state(void **state)
{
    (void)state;
    seal_store *st = NULL;
    seal_ca *ca = NULL;
    EVP_PKEY *key = NULL, *got_key = NULL;
    X509 *got = NULL;
    seal_buf der = SEAL_BUF_INIT, published = SEAL_BUF_INIT;
    uint64_t first = 0;
    assert_int_equal(test_store_open(&st, fresh_dir(), true), 0);
    assert_int_equal(seal_key_generate(&key, SEAL_ALG_ECDSA, 0), 0);
    X509 *root =
        test_issue_cert(SEAL_CERT_ROOT_CA, "Org", "Test Root", key, NULL, NULL, time(NULL));
    assert_int_equal(seal_store_party_put(st, "root-ca", root, key), 0);
    assert_int_equal(seal_ca_load_party(st, "root-ca", &got, &got_key), 0);
    assert_int_equal(X509_cmp(got, root), 0);
    assert_int_equal(EVP_PKEY_eq(got_key, key), 1);
    X509_free(got);
    EVP_PKEY_free(got_key);
    assert_int_equal(seal_ca_load_party(st, "nobody", &got, &got_key), SEAL_ENOTFOUND);
    assert_int_equal(seal_ca_load_party(st, "../x", &got, &got_key), SEAL_EINVAL);
    /* Another KEK: the key stays shut, and says why. */
    setenv("SEALSVC_KEK", "not the platform's key", 1);
    assert_int_equal(seal_ca_load_party(st, "root-ca", &got, &got_key), SEAL_ECRYPTO);
    assert_non_null(strstr(seal_error_last(), "key-encryption key"));
    assert_null(got);
    unsetenv("SEALSVC_KEK");

    /* A CRL published is the CRL served; a stale publication never replaces a newer one. */
    assert_int_equal(seal_store_crl_get(st, "root-ca", &published, NULL, NULL), SEAL_ENOTFOUND);
    assert_int_equal(seal_ca_open(&ca, st, "root-ca"), 0);
    assert_int_equal(seal_ca_publish_crl(ca, 0, &der, "test"), 0);
    assert_int_equal(seal_ca_publish_crl(ca, 0, &der, "test"), 0);
    assert_int_equal(seal_store_crl_get(st, "root-ca", &published, NULL, NULL), 0);
    assert_int_equal(published.len, der.len);
    assert_memory_equal(published.data, der.data, der.len);

    /* Counters hand out each number once. */
    assert_int_equal(seal_store_counter_reserve(st, "tsa-serial", 64, &first), 0);
    assert_int_equal(first, 1);
    assert_int_equal(seal_store_counter_reserve(st, "tsa-serial", 64, &first), 0);
    assert_int_equal(first, 65);
    assert_int_equal(seal_store_counter_reserve(st, "other", 1, &first), 0);
    assert_int_equal(first, 1);

    seal_ca_free(ca);
    seal_buf_clear(&der);
    seal_buf_clear(&published);
    X509_free(root);
    EVP_PKEY_free(key);
    seal_store_close(st);
}

/* The service's pool (seal_store_pool): a store given back is handed out again; one given
 * back inside a transaction is not (its transaction is rolled back with it, so its write
 * is not seen and holds no lock); the pool keeps no more than it may. */
static void test_pool_reuses_clean_stores(void **state)
{
    (void)state;
    const char *dir = fresh_dir();
    seal_store *st = NULL, *a = NULL, *b = NULL, *c = NULL;
    assert_int_equal(test_store_open(&st, dir, true), 0);
    seal_store_close(st);
    seal_store_pool *pool = NULL;
    assert_int_equal(seal_store_pool_new(&pool, test_store_url(dir), dir, 1), 0);

    assert_int_equal(seal_store_pool_take(pool, &a), 0);
    assert_int_equal(seal_store_pool_take(pool, &b), 0);
    assert_ptr_not_equal(a, b);
    seal_store_pool_give(pool, a);
    seal_store_pool_give(pool, b); /* the pool holds one: b is closed */
    assert_int_equal(seal_store_pool_take(pool, &c), 0);
    assert_ptr_equal(c, a);

    /* A write left inside an open transaction. */
    int64_t inst = 0;
    assert_int_equal(seal_db_begin(store_db(c)), 0);
    assert_int_equal(seal_store_add_institution(c, "池测试有限公司", CREDIT_CODE, &inst), 0);
    seal_store_pool_give(pool, c);
    assert_int_equal(seal_store_pool_take(pool, &a), 0);
    assert_int_equal(seal_store_find_institution(a, CREDIT_CODE, &inst, NULL), SEAL_ENOTFOUND);
    seal_error_clear();
    /* No lock is left behind: another write goes through at once. */
    assert_int_equal(seal_store_add_institution(a, "池测试有限公司", CREDIT_CODE, &inst), 0);
    seal_store_pool_give(pool, a);
    seal_store_pool_give(pool, NULL);
    seal_store_pool_free(pool);
    seal_store_pool_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_institution_credit_code),
        cmocka_unit_test(test_files_private_and_open_needs_platform),
        cmocka_unit_test(test_add_get_list),
        cmocka_unit_test(test_unknown_id),
        cmocka_unit_test(test_right_pin_gives_signer),
        cmocka_unit_test(test_each_seal_its_certificate),
        cmocka_unit_test(test_wrong_pin_counts),
        cmocka_unit_test(test_lock_after_five),
        cmocka_unit_test(test_expired_refused),
        cmocka_unit_test(test_create_seal),
        cmocka_unit_test(test_key_needs_pin_and_kek),
        cmocka_unit_test(test_pin_only_key_is_rewrapped),
        cmocka_unit_test(test_platform_state),
        cmocka_unit_test(test_pool_reuses_clean_stores),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
