/* People, roles and grants in the store (store/person.c, grant.c): identity numbers checked,
 * kept only encrypted and shown masked (never in a message, the audit trail or the
 * database file in clear); one legal representative and at most five seal administrators
 * per institution; who may grant and be granted; a grant's window, revocation and use
 * limit, an exclusive grant's claim, and a seal that needs a grant. */
#include "testutil.h"

#include "store/store_internal.h"

#include <seal/ca.h>
#include <seal/error.h>
#include <seal/store.h>

#include <glib.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#define CREDIT_CODE "911101085512345672"
/* GB 11643-1999: 110105 (Chaoyang), born 1980-01-01, sequence 001, check character 6. */
#define ID_A     "110105198001010016"
#define ID_B     "110105198001010024"
#define ID_BAD   "110105198001010017" /* the check character of ID_A changed */
#define MOBILE_A "13812345678"
#define SEAL_ID  "people-test"

static const char *fresh_dir(void)
{
    static int n;
    static char name[32];
    snprintf(name, sizeof name, "people%d", n++);
    return test_path(test_tmpdir(), name);
}

/* A resident ID with a correct check character for sequence number `seq`. */
static void make_id(char out[19], int seq)
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    snprintf(out, 19, "11010519800101%03d", seq);
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (out[i] - '0') * w[i];
    out[17] = "10X98765432"[sum % 11];
    out[18] = '\0';
}

/* A store with an institution and one seal of it (the grants' foreign key). */
static seal_store *open_store(int64_t *inst_out)
{
    seal_store *st = NULL;
    EVP_PKEY *key = NULL;
    int64_t inst = 0;
    assert_int_equal(seal_store_open(&st, fresh_dir(), true), 0);
    assert_int_equal(
        seal_store_institution_register(st, "北京市测试有限公司", CREDIT_CODE, "tester", &inst), 0);
    assert_int_equal(seal_key_generate(&key, SEAL_ALG_ECDSA, 0), 0);
    X509 *cert = X509_new();
    X509_set_version(cert, 2);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600L * 24 * 365);
    X509_set_pubkey(cert, key);
    assert_true(X509_sign(cert, key, EVP_sha256()) > 0);
    static const uint8_t esl[] = {0x30, 0x03, 0x02, 0x01, 0x04};
    seal_record r = {0};
    r.id = g_strdup(SEAL_ID);
    r.name = g_strdup("北京市测试有限公司");
    r.kind = g_strdup("official");
    r.shape = g_strdup("round");
    r.institution_id = inst;
    r.alg = SEAL_ALG_ECDSA;
    assert_int_equal(seal_cert_to_pem(&r.cert_pem, cert), 0);
    assert_int_equal(seal_key_encrypt_pem(&r.key_pem, key, "482913"), 0);
    assert_int_equal(seal_buf_set(&r.image_png, esl, sizeof esl), 0);
    assert_int_equal(seal_buf_set(&r.esl, esl, sizeof esl), 0);
    r.width_mm = r.height_mm = 42;
    r.valid_start = time(NULL) - 86400;
    r.valid_end = time(NULL) + 86400;
    assert_int_equal(seal_store_add_seal(st, &r), 0);
    seal_record_clear(&r);
    X509_free(cert);
    EVP_PKEY_free(key);
    if (inst_out)
        *inst_out = inst;
    return st;
}

static int64_t add_person(seal_store *st, int seq, const char *role)
{
    char id[19], name[32];
    int64_t pid = 0;
    make_id(id, seq);
    snprintf(name, sizeof name, "张%d", seq);
    assert_int_equal(seal_store_person_add(st, name, id, NULL, "tester", &pid), 0);
    if (role)
        assert_int_equal(seal_store_role_grant(st, CREDIT_CODE, pid, role, "tester"), 0);
    return pid;
}

static bool file_contains(const char *path, const char *needle)
{
    gchar *data = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &data, &len, NULL))
        return false;
    bool found = memmem(data, len, needle, strlen(needle)) != NULL;
    g_free(data);
    return found;
}

static void test_person_numbers(void **state)
{
    (void)state;
    seal_store *st = open_store(NULL);
    int64_t id = 0;
    /* a wrong check character, a short mobile, a landline: refused, the number not told */
    assert_int_equal(seal_store_person_add(st, "李四", ID_BAD, NULL, "tester", &id), SEAL_EINVAL);
    assert_non_null(strstr(seal_error_last(), "check character"));
    assert_null(strstr(seal_error_last(), "11010519800101001"));
    assert_int_equal(seal_store_person_add(st, "李四", ID_A, "1381234567", "tester", &id),
                     SEAL_EINVAL);
    assert_non_null(strstr(seal_error_last(), "11 digits"));
    assert_null(strstr(seal_error_last(), "1381234567"));
    assert_int_equal(seal_store_person_add(st, "李四", ID_A, "01012345678", "tester", &id),
                     SEAL_EINVAL);
    assert_non_null(strstr(seal_error_last(), "starts with 1"));
    assert_null(strstr(seal_error_last(), "01012345678"));
    assert_int_equal(seal_store_person_add(st, "李四", ID_A, "138-1234-5678", "tester", &id),
                     SEAL_EINVAL);
    assert_null(strstr(seal_error_last(), "1234"));

    assert_int_equal(seal_store_person_add(st, "李四", ID_A, MOBILE_A, "tester", &id), 0);
    assert_true(id > 0);
    /* the same number again, even with a lower-case x or another name: refused, masked */
    assert_int_equal(seal_store_person_add(st, "李四四", ID_A, NULL, "tester", NULL), SEAL_EEXISTS);
    assert_non_null(strstr(seal_error_last(), "110105********0016"));
    assert_null(strstr(seal_error_last(), ID_A));

    seal_person_record p = {0};
    assert_int_equal(seal_store_person_get(st, id, &p), 0);
    assert_string_equal(p.name, "李四");
    assert_string_equal(p.id_masked, "110105********0016");
    assert_string_equal(p.mobile_masked, "138****5678");
    seal_person_record_clear(&p);
    assert_int_equal(seal_store_person_find(st, ID_A, &p), 0);
    assert_int_equal(p.id, id);
    seal_person_record_clear(&p);
    assert_int_equal(seal_store_person_find(st, ID_B, &p), SEAL_ENOTFOUND);
    assert_null(strstr(seal_error_last(), ID_B));

    /* the numbers come back whole from the ciphertext only */
    char *rid = NULL, *mobile = NULL;
    assert_int_equal(store_person_numbers(st, id, &rid, &mobile), 0);
    assert_string_equal(rid, ID_A);
    assert_string_equal(mobile, MOBILE_A);
    g_free(rid);
    g_free(mobile);

    /* the audit trail names the person with masked numbers only */
    seal_audit_record *records = NULL;
    size_t n = 0;
    char target[32];
    snprintf(target, sizeof target, "person:%lld", (long long)id);
    assert_int_equal(seal_store_audit_list(st, target, &records, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(records[0].action, "person-add");
    assert_string_equal(records[0].actor, "tester");
    assert_non_null(strstr(records[0].detail, "110105********0016"));
    assert_non_null(strstr(records[0].detail, "138****5678"));
    assert_null(strstr(records[0].detail, ID_A));
    assert_null(strstr(records[0].detail, MOBILE_A));
    seal_audit_records_free(records, n);

    /* nor does the database file hold them in clear */
    char *dir = g_strdup(seal_store_data_dir(st));
    seal_store_close(st);
    char *db = g_build_filename(dir, "sealsvc.db", NULL);
    char *wal = g_strconcat(db, "-wal", NULL);
    assert_true(test_exists(db));
    assert_false(file_contains(db, ID_A));
    assert_false(file_contains(db, MOBILE_A));
    assert_false(file_contains(wal, ID_A));
    assert_false(file_contains(wal, MOBILE_A));
    g_free(db);
    g_free(wal);
    g_free(dir);
}

static void test_role_limits(void **state)
{
    (void)state;
    seal_store *st = open_store(NULL);
    int64_t admins[6];
    for (int i = 0; i < 6; i++)
        admins[i] = add_person(st, 10 + i, NULL);
    for (int i = 0; i < SEAL_MAX_SEAL_ADMINISTRATORS; i++)
        assert_int_equal(
            seal_store_role_grant(st, CREDIT_CODE, admins[i], "seal-administrator", "tester"), 0);
    /* the sixth seal administrator is refused, the count named */
    assert_int_equal(
        seal_store_role_grant(st, CREDIT_CODE, admins[5], "seal-administrator", "tester"),
        SEAL_EPOLICY);
    assert_non_null(strstr(seal_error_last(), "5 seal administrators"));
    /* the same role twice */
    assert_int_equal(
        seal_store_role_grant(st, CREDIT_CODE, admins[0], "seal-administrator", "tester"),
        SEAL_EEXISTS);
    /* one legal representative */
    assert_int_equal(
        seal_store_role_grant(st, CREDIT_CODE, admins[5], "legal-representative", "tester"), 0);
    assert_int_equal(
        seal_store_role_grant(st, CREDIT_CODE, admins[0], "legal-representative", "tester"),
        SEAL_EPOLICY);
    assert_non_null(strstr(seal_error_last(), "legal representative already"));
    /* after one leaves, another may come */
    assert_int_equal(
        seal_store_role_revoke(st, CREDIT_CODE, admins[4], "seal-administrator", "tester"), 0);
    assert_int_equal(
        seal_store_role_grant(st, CREDIT_CODE, admins[5], "seal-administrator", "tester"), 0);
    assert_int_equal(
        seal_store_role_revoke(st, CREDIT_CODE, admins[4], "seal-administrator", "tester"),
        SEAL_ENOTFOUND);
    assert_int_equal(seal_store_role_grant(st, CREDIT_CODE, admins[0], "boss", "tester"),
                     SEAL_EINVAL);
    assert_int_equal(seal_store_role_grant(st, "911101085512345673", admins[0], "handler", "t"),
                     SEAL_ENOTFOUND);

    seal_role_record *roles = NULL;
    size_t n = 0;
    assert_int_equal(seal_store_role_list(st, CREDIT_CODE, 0, &roles, &n), 0);
    assert_int_equal(n, 6); /* five administrators and the legal representative */
    seal_role_records_free(roles, n);
    assert_int_equal(seal_store_role_list(st, NULL, admins[5], &roles, &n), 0);
    assert_int_equal(n, 2);
    seal_role_records_free(roles, n);
    seal_store_close(st);
}

static int64_t add_grant(seal_store *st, int64_t grantor, int64_t grantee, time_t from, time_t to,
                         int64_t uses, bool exclusive)
{
    seal_grant_record g = {.seal_id = (char *)SEAL_ID,
                           .grantor_id = grantor,
                           .grantee_id = grantee,
                           .project = (char *)"ZB-2026-001",
                           .not_before = from,
                           .not_after = to,
                           .max_uses = uses,
                           .exclusive = exclusive};
    assert_int_equal(seal_store_grant_add(st, &g, "tester"), 0);
    return g.id;
}

static void test_grants(void **state)
{
    (void)state;
    seal_store *st = open_store(NULL);
    time_t now = time(NULL);
    int64_t admin = add_person(st, 20, "seal-administrator");
    int64_t handler = add_person(st, 21, "handler");
    int64_t outsider = add_person(st, 22, NULL);

    /* who may grant whom */
    seal_grant_record g = {.seal_id = (char *)SEAL_ID,
                           .grantor_id = handler,
                           .grantee_id = admin,
                           .not_before = now,
                           .not_after = now + 3600};
    assert_int_equal(seal_store_grant_add(st, &g, "tester"), SEAL_EPOLICY);
    assert_non_null(strstr(seal_error_last(), "no seal administrator"));
    g.grantor_id = admin;
    g.grantee_id = outsider;
    assert_int_equal(seal_store_grant_add(st, &g, "tester"), SEAL_EPOLICY);
    assert_non_null(strstr(seal_error_last(), "has no role"));
    g.grantee_id = handler;
    g.not_after = now;
    assert_int_equal(seal_store_grant_add(st, &g, "tester"), SEAL_EINVAL);

    int64_t two = add_grant(st, admin, handler, now - 60, now + 3600, 2, false);
    int64_t later = add_grant(st, admin, handler, now + 3600, now + 7200, 0, false);
    int64_t past = add_grant(st, admin, handler, now - 7200, now - 3600, 0, false);
    int64_t gone = add_grant(st, admin, handler, now - 60, now + 3600, 0, false);
    assert_int_equal(seal_store_grant_revoke(st, gone, "project cancelled", "tester"), 0);
    assert_int_equal(seal_store_grant_revoke(st, gone, NULL, "tester"), SEAL_EPOLICY);

    /* each state refuses with its reason */
    assert_int_equal(seal_store_use_check(st, SEAL_ID, later, now, NULL), SEAL_EPOLICY);
    assert_non_null(strstr(seal_error_last(), "not valid before"));
    assert_int_equal(seal_store_use_check(st, SEAL_ID, past, now, NULL), SEAL_EPOLICY);
    assert_non_null(strstr(seal_error_last(), "expired"));
    assert_int_equal(seal_store_use_check(st, SEAL_ID, gone, now, NULL), SEAL_EPOLICY);
    assert_non_null(strstr(seal_error_last(), "revoked"));
    assert_non_null(strstr(seal_error_last(), "project cancelled"));
    assert_int_equal(seal_store_use_check(st, SEAL_ID, 999, now, NULL), SEAL_EPOLICY);
    assert_int_equal(seal_store_use_check(st, "another-seal", two, now, NULL), SEAL_EPOLICY);
    assert_non_null(strstr(seal_error_last(), "is for seal " SEAL_ID));

    /* two uses counted, the third refused; each counted use in the trail */
    seal_grant_record got = {0};
    assert_int_equal(seal_store_use_check(st, SEAL_ID, two, now, &got), 0);
    assert_string_equal(got.project, "ZB-2026-001");
    assert_int_equal(got.grantee_id, handler);
    seal_grant_record_clear(&got);
    assert_int_equal(seal_store_use_record(st, SEAL_ID, two, NULL, now, "tester", "stamp", "one"),
                     0);
    assert_int_equal(seal_store_use_record(st, SEAL_ID, two, NULL, now, "tester", "stamp", "two"),
                     0);
    assert_int_equal(seal_store_use_record(st, SEAL_ID, two, NULL, now, "tester", "stamp", "three"),
                     SEAL_EPOLICY);
    assert_non_null(strstr(seal_error_last(), "used up (2 of 2 uses)"));
    assert_int_equal(seal_store_grant_get(st, two, &got), 0);
    assert_int_equal(got.uses, 2);
    assert_int_equal(seal_grant_state_at(&got, now), SEAL_GRANT_USED_UP);
    seal_grant_record_clear(&got);
    seal_audit_record *records = NULL;
    size_t n = 0, stamps = 0;
    assert_int_equal(seal_store_audit_list(st, "seal:" SEAL_ID, &records, &n), 0);
    for (size_t i = 0; i < n; i++)
        if (strcmp(records[i].action, "stamp") == 0) {
            stamps++;
            assert_non_null(strstr(records[i].detail, "use"));
            assert_null(strstr(records[i].detail, "three"));
        }
    assert_int_equal(stamps, 2);
    seal_audit_records_free(records, n);

    /* without a rule a stamp needs no grant; with it, it does */
    assert_int_equal(seal_store_use_check(st, SEAL_ID, 0, now, NULL), 0);
    assert_int_equal(seal_store_seal_require_grant(st, SEAL_ID, true, "tester"), 0);
    assert_int_equal(seal_store_use_check(st, SEAL_ID, 0, now, NULL), SEAL_EPOLICY);
    assert_non_null(strstr(seal_error_last(), "only with a grant"));
    assert_int_equal(seal_store_use_record(st, SEAL_ID, 0, NULL, now, "tester", "stamp", "x"),
                     SEAL_EPOLICY);
    assert_int_equal(seal_store_seal_require_grant(st, SEAL_ID, false, "tester"), 0);
    assert_int_equal(seal_store_use_check(st, SEAL_ID, 0, now, NULL), 0);
    assert_int_equal(seal_store_seal_require_grant(st, "no-such-seal", true, "tester"),
                     SEAL_ENOTFOUND);
    seal_store_close(st);
}

static void test_exclusive(void **state)
{
    (void)state;
    seal_store *st = open_store(NULL);
    time_t now = time(NULL);
    int64_t admin = add_person(st, 30, "seal-administrator");
    int64_t a = add_person(st, 31, "handler");
    int64_t b = add_person(st, 32, "handler");
    int64_t ex_a = add_grant(st, admin, a, now - 60, now + 3600, 3, true);
    int64_t ex_b = add_grant(st, admin, b, now - 60, now + 3600, 0, true);
    int64_t plain_a = add_grant(st, admin, a, now - 60, now + 3600, 0, false);

    /* unclaimed, it shuts no one out */
    assert_int_equal(seal_store_use_check(st, SEAL_ID, 0, now, NULL), 0);
    /* a's first use claims the seal: b's exclusive grant and stamps without a grant are
     * refused, a's other grant is not */
    assert_int_equal(seal_store_use_record(st, SEAL_ID, ex_a, NULL, now, "tester", "stamp", "a1"),
                     0);
    assert_int_equal(seal_store_use_record(st, SEAL_ID, ex_b, NULL, now, "tester", "stamp", "b1"),
                     SEAL_EPOLICY);
    assert_non_null(strstr(seal_error_last(), "held by exclusive grant"));
    assert_int_equal(seal_store_use_check(st, SEAL_ID, 0, now, NULL), SEAL_EPOLICY);
    assert_int_equal(seal_store_use_check(st, SEAL_ID, plain_a, now, NULL), 0);
    /* once a's grant is used up the seal is free again */
    assert_int_equal(seal_store_use_record(st, SEAL_ID, ex_a, NULL, now, "tester", "stamp", "a2"),
                     0);
    assert_int_equal(seal_store_use_record(st, SEAL_ID, ex_a, NULL, now, "tester", "stamp", "a3"),
                     0);
    assert_int_equal(seal_store_use_record(st, SEAL_ID, ex_b, NULL, now, "tester", "stamp", "b2"),
                     0);
    /* and b holds it now */
    assert_int_equal(seal_store_use_check(st, SEAL_ID, plain_a, now, NULL), SEAL_EPOLICY);
    assert_int_equal(seal_store_grant_revoke(st, ex_b, NULL, "tester"), 0);
    assert_int_equal(seal_store_use_check(st, SEAL_ID, plain_a, now, NULL), 0);
    seal_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_person_numbers),
        cmocka_unit_test(test_role_limits),
        cmocka_unit_test(test_grants),
        cmocka_unit_test(test_exclusive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
