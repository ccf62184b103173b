/* Identity data's retention (store/retention.c, retention_erase.c): five calendar years
 * counted in UTC, 29 February to 1 March, across century years that are not leap years; the
 * rule on a store whose certificates ended long ago (made here, so no clock is faked): a
 * person matched to the holder of a personal seal by resident ID, a certificate the CA
 * renewed into a seal counting with its predecessor, a holder whose number cannot be read
 * keeping everyone, an API key in force and an open application keeping an institution; and
 * the deletions: what goes, what stays, refusals audited, a second run doing nothing. */
#include "testutil.h"

#include "store/store_internal.h"

#include <seal/audit.h>
#include <seal/ca.h>
#include <seal/error.h>
#include <seal/retention.h>

#include <glib.h>
#include <openssl/x509v3.h>
#include <string.h>

#define CODE   "911101085512345672"
#define CODE_2 "91440300MA5DQT0X9H"
#define YEAR   (365L * 86400)
/* GB 11643-1999: 110105, born 1980-01-01, sequence 001, 002 and 003 */
#define ID_A "110105198001010016"
#define ID_B "110105198001010024"
#define ID_C "110105198001010032"

static time_t utc(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = s};
    return timegm(&tm);
}

static void test_add_years(void **state)
{
    (void)state;
    static const struct {
        int from[6], years, to[6];
    } cases[] = {
        /* a leap day into a year without one: 1 March, never 28 February */
        {{2028, 2, 29, 10, 30, 5}, 5, {2033, 3, 1, 10, 30, 5}},
        {{2024, 2, 29, 0, 0, 0}, 4, {2028, 2, 29, 0, 0, 0}},
        /* 2100 is no leap year (divisible by 100), 2400 is (by 400) */
        {{2096, 2, 29, 12, 0, 0}, 4, {2100, 3, 1, 12, 0, 0}},
        {{2000, 2, 29, 12, 0, 0}, 400, {2400, 2, 29, 12, 0, 0}},
        {{2099, 2, 28, 23, 59, 59}, 1, {2100, 2, 28, 23, 59, 59}},
        /* ordinary days, the ends of months and years, the time of day kept */
        {{2027, 2, 28, 8, 0, 0}, 5, {2032, 2, 28, 8, 0, 0}},
        {{2027, 3, 1, 0, 0, 0}, 5, {2032, 3, 1, 0, 0, 0}},
        {{2026, 12, 31, 23, 59, 59}, 5, {2031, 12, 31, 23, 59, 59}},
        {{2031, 1, 31, 16, 0, 0}, 5, {2036, 1, 31, 16, 0, 0}},
        {{1970, 1, 1, 0, 0, 0}, 5, {1975, 1, 1, 0, 0, 0}},
        /* before 1970: negative seconds */
        {{1969, 12, 31, 23, 0, 0}, 5, {1974, 12, 31, 23, 0, 0}},
        {{1968, 2, 29, 6, 0, 0}, 5, {1973, 3, 1, 6, 0, 0}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int *f = cases[i].from, *t = cases[i].to;
        time_t got =
            seal_retention_add_years(utc(f[0], f[1], f[2], f[3], f[4], f[5]), cases[i].years);
        assert_int_equal((long long)got, (long long)utc(t[0], t[1], t[2], t[3], t[4], t[5]));
    }
    assert_int_equal(SEAL_RETENTION_YEARS, 5);
}

static const char *fresh_dir(void)
{
    static int n;
    static char name[32];
    snprintf(name, sizeof name, "retention%d", n++);
    return test_path(test_tmpdir(), name);
}

/* A self-signed certificate with serial `serial` (from 0x10: the CA database's serials and
 * seal_serial_normalize's differ in a leading zero below it), valid from `from` to `to` (seconds
 * from now), the credit code `code` (NULL: none) in organizationIdentifier. */
static X509 *make_cert(EVP_PKEY *key, long serial, long from, long to, const char *code)
{
    X509 *cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)"test", -1, -1, 0);
    if (code)
        X509_NAME_add_entry_by_NID(name, NID_organizationIdentifier, MBSTRING_ASC,
                                   (const unsigned char *)code, -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_gmtime_adj(X509_getm_notBefore(cert), from);
    X509_gmtime_adj(X509_getm_notAfter(cert), to);
    X509_set_pubkey(cert, key);
    assert_true(X509_sign(cert, key, EVP_sha256()) > 0);
    return cert;
}

/* Seal `id` of institution `inst` with `cert`; a personal one held by `holder_id`. */
static void add_seal(seal_store *st, int64_t inst, const char *id, X509 *cert, EVP_PKEY *key,
                     const char *holder_id)
{
    static const uint8_t esl[] = {0x30, 0x03, 0x02, 0x01, 0x04};
    seal_record r = {0};
    r.id = g_strdup(id);
    r.name = g_strdup("测试章");
    r.kind = g_strdup(holder_id ? "personal" : "official");
    r.shape = g_strdup("square");
    r.institution_id = inst;
    r.alg = SEAL_ALG_ECDSA;
    assert_int_equal(seal_cert_to_pem(&r.cert_pem, cert), 0);
    assert_int_equal(seal_key_encrypt_pem(&r.key_pem, key, "482913"), 0);
    assert_int_equal(seal_buf_set(&r.image_png, esl, sizeof esl), 0);
    assert_int_equal(seal_buf_set(&r.esl, esl, sizeof esl), 0);
    r.width_mm = r.height_mm = 20;
    r.valid_start = seal_asn1_time(X509_get0_notBefore(cert));
    r.valid_end = seal_asn1_time(X509_get0_notAfter(cert));
    assert_int_equal(seal_store_add_seal(st, &r), 0);
    if (holder_id) {
        assert_int_equal(store_begin(st), 0);
        assert_int_equal(store_holder_add_in_tx(st, id, "王五", holder_id), 0);
        assert_int_equal(store_commit(st), 0);
    }
    seal_record_clear(&r);
}

static const seal_retention_item *find(const seal_retention_item *items, size_t n,
                                       seal_retention_kind kind, int64_t id, const char *seal)
{
    for (size_t i = 0; i < n; i++)
        if (items[i].kind == kind && items[i].id == id &&
            (!seal || (items[i].seals && items[i].seals[0] && !strcmp(items[i].seals[0], seal))))
            return &items[i];
    return NULL;
}

static size_t count_actions(seal_store *st, const char *target, const char *action)
{
    seal_audit_record *records = NULL;
    size_t n = 0, found = 0;
    assert_int_equal(seal_store_audit_list(st, target, &records, &n), 0);
    for (size_t i = 0; i < n; i++) {
        found += strcmp(records[i].action, action) == 0;
        assert_null(strstr(records[i].detail, ID_A));
        assert_null(strstr(records[i].detail, ID_B));
        assert_null(strstr(records[i].detail, ID_C));
    }
    seal_audit_records_free(records, n);
    return found;
}

static void test_rule_and_deletion(void **state)
{
    (void)state;
    seal_store *st = NULL;
    EVP_PKEY *key = NULL;
    int64_t inst = 0, inst2 = 0, pa = 0;
    time_t now = time(NULL);
    assert_int_equal(test_store_open(&st, fresh_dir(), true), 0);
    assert_int_equal(seal_key_generate(&key, SEAL_ALG_ECDSA, 0), 0);
    assert_int_equal(seal_store_institution_register(st, "北京市测试有限公司", CODE, "t", &inst),
                     0);
    assert_int_equal(seal_store_institution_register(st, "深圳测试有限公司", CODE_2, "t", &inst2),
                     0);
    /* A: registered, holder of a personal seal whose certificate ended 7 years ago */
    assert_int_equal(seal_store_person_add(st, "王五", ID_A, "13812345678", "t", &pa), 0);
    X509 *old = make_cert(key, 0x11, -9 * YEAR, -7 * YEAR, CODE);
    add_seal(st, inst, "old-a", old, key, ID_A);
    /* B: holder only, a certificate that ended 7 years ago too, but renewed by the CA from
     * one that ends in a year (a renewal may be shorter than what it replaced) */
    X509 *renewed = make_cert(key, 0x12, -9 * YEAR, -7 * YEAR, NULL);
    X509 *replaced = make_cert(key, 0x13, -9 * YEAR, YEAR, NULL);
    add_seal(st, inst2, "old-b", renewed, key, ID_B);
    assert_int_equal(seal_store_ca_add(st, replaced, replaced, "signer", "t"), 0);
    seal_ca_record rec = {0};
    assert_int_equal(seal_store_ca_find(st, "13", NULL, &rec), 0);
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_ca_set_replaced(st, &rec, "12"), 0);
    assert_int_equal(store_commit(st), 0);
    seal_ca_record_clear(&rec);
    /* C: holder only, of a seal of institution 2 whose certificate ends in a year */
    X509 *current = make_cert(key, 0x14, -YEAR, YEAR, NULL);
    add_seal(st, inst2, "new-c", current, key, ID_C);

    seal_retention_item *items = NULL;
    size_t n = 0;
    assert_int_equal(seal_retention_review(st, now, &items, &n), 0);
    const seal_retention_item *a = find(items, n, SEAL_RETENTION_PERSON, pa, NULL);
    assert_non_null(a);
    assert_string_equal(a->seals[0], "old-a");
    assert_null(a->seals[1]);
    assert_string_equal(a->number, "110105********0016");
    assert_string_equal(a->basis_what, "the end of the certificate of seal old-a");
    assert_int_equal((long long)a->basis, (long long)seal_asn1_time(X509_get0_notAfter(old)));
    assert_int_equal((long long)a->keep_until, (long long)seal_retention_add_years(a->basis, 5));
    assert_true(a->due);
    const seal_retention_item *b = find(items, n, SEAL_RETENTION_PERSON, 0, "old-b");
    assert_non_null(b);
    assert_non_null(
        strstr(b->basis_what, "the end of certificate 13, which seal old-b's replaced"));
    assert_false(b->due);
    /* institution 1: its certificate ended 7 years ago, also in organizationIdentifier */
    const seal_retention_item *i1 = find(items, n, SEAL_RETENTION_INSTITUTION, inst, NULL);
    assert_non_null(i1);
    assert_true(i1->due);
    seal_retention_items_free(items, n);

    /* institution 2 (kept anyway by seal new-c's certificate): an API key acting for it
     * holds it while in force, its revocation counts as its end; an open application holds
     * it too */
    seal_apikey_record key_rec = {.role = "portal", .institution = CODE_2};
    char *api_key = NULL;
    assert_int_equal(seal_store_apikey_create(st, &key_rec, &api_key, "t"), 0);
    g_free(api_key);
    assert_int_equal(seal_retention_review(st, now, &items, &n), 0);
    const seal_retention_item *i2 = find(items, n, SEAL_RETENTION_INSTITUTION, inst2, NULL);
    assert_non_null(strstr(i2->held_by, "API key key-"));
    assert_non_null(strstr(i2->held_by, " acts for it"));
    seal_retention_items_free(items, n);
    assert_int_equal(seal_store_seal_apply(st, "new-2", CODE_2, "新章", "official", "t", "why"), 0);
    assert_int_equal(seal_store_apikey_revoke(st, key_rec.id, "t"), 0);
    assert_int_equal(seal_retention_review(st, now, &items, &n), 0);
    i2 = find(items, n, SEAL_RETENTION_INSTITUTION, inst2, NULL);
    assert_string_equal(i2->held_by, "the application for seal new-2 is open");
    assert_true(find(items, n, SEAL_RETENTION_INSTITUTION, inst, NULL)->due);
    seal_retention_items_free(items, n);

    /* a holder whose number does not open (altered, or another KEK) may be anyone: nobody's
     * data goes until that holder's own time is past */
    seal_buf sealed = SEAL_BUF_INIT;
    seal_db_stmt *stmt = NULL;
    assert_int_equal(store_prepare(st, &stmt, "test",
                                   "SELECT id_sealed FROM seal_holder WHERE seal_id = 'new-c'"),
                     0);
    assert_int_equal(seal_db_step(stmt), SEAL_DB_ROW);
    assert_int_equal(store_column_buf(stmt, 0, &sealed), 0);
    seal_db_finalize(stmt);
    assert_int_equal(store_prepare(st, &stmt, "test",
                                   "UPDATE seal_holder SET id_lookup = NULL, id_sealed = ?1 "
                                   "WHERE seal_id = 'new-c'"),
                     0);
    seal_db_bind_blob(stmt, 1, "\x01garbage-garbage-garbage-garbage", 32);
    assert_int_equal(seal_db_step(stmt), SEAL_DB_DONE);
    seal_db_finalize(stmt);
    assert_int_equal(seal_retention_review(st, now, &items, &n), 0);
    a = find(items, n, SEAL_RETENTION_PERSON, pa, NULL);
    assert_false(a->due);
    assert_non_null(strstr(a->held_by, "seal new-c's holder cannot be read"));
    const seal_retention_item *c = find(items, n, SEAL_RETENTION_PERSON, 0, "new-c");
    assert_string_equal(c->number, "?");
    assert_non_null(strstr(c->held_by, "cannot be read with this key-encryption key"));
    seal_retention_items_free(items, n);
    time_t later = seal_retention_add_years(now, 7);
    assert_int_equal(seal_retention_review(st, later, &items, &n), 0);
    assert_true(find(items, n, SEAL_RETENTION_PERSON, pa, NULL)->due);
    assert_false(find(items, n, SEAL_RETENTION_PERSON, 0, "new-c")->due);
    seal_retention_items_free(items, n);
    /* the number put back (the right KEK again): matched in memory, without its MAC */
    assert_int_equal(store_prepare(st, &stmt, "test",
                                   "UPDATE seal_holder SET id_sealed = ?1 WHERE seal_id = 'new-c'"),
                     0);
    seal_db_bind_blob(stmt, 1, sealed.data, sealed.len);
    assert_int_equal(seal_db_step(stmt), SEAL_DB_DONE);
    seal_db_finalize(stmt);
    seal_buf_clear(&sealed);
    assert_int_equal(seal_retention_review(st, now, &items, &n), 0);
    assert_true(find(items, n, SEAL_RETENTION_PERSON, pa, NULL)->due);
    c = find(items, n, SEAL_RETENTION_PERSON, 0, "new-c");
    assert_string_equal(c->number, "110105********0032");
    assert_null(c->held_by);
    seal_retention_items_free(items, n);

    /* a run in the future deletes nothing and is recorded; a dry run says what it would */
    assert_int_equal(seal_retention_run(st, later, false, "t", &items, &n), SEAL_EPOLICY);
    assert_int_equal(count_actions(st, "retention", "identity-erase-refused"), 1);
    assert_int_equal(seal_retention_run(st, later, true, "t", &items, &n), 0);
    seal_retention_items_free(items, n);
    char *rid = NULL;
    assert_int_equal(store_person_numbers(st, pa, &rid, NULL), 0);
    assert_string_equal(rid, ID_A);
    g_free(rid);

    /* A deleted on request; a reason with a resident ID refused, and not recorded */
    char person_a[32];
    snprintf(person_a, sizeof person_a, "person:%lld", (long long)pa);
    seal_retention_item it = {0};
    assert_int_equal(seal_store_person_delete(st, pa, "asked, " ID_A, "t", &it), SEAL_EINVAL);
    assert_null(strstr(seal_error_last(), ID_A));
    assert_int_equal(count_actions(st, person_a, "identity-erase-refused"), 0);
    assert_int_equal(seal_store_person_delete(st, pa, "asked by the holder", "t", &it), 0);
    assert_true(it.erased > 0);
    assert_string_equal(it.basis_what, "the end of the certificate of seal old-a");
    seal_retention_item_clear(&it);
    assert_int_equal(store_person_numbers(st, pa, &rid, NULL), SEAL_ENOTFOUND);
    seal_person_record p = {0};
    assert_int_equal(seal_store_person_get(st, pa, &p), 0);
    assert_string_equal(p.id_masked, "110105********0016");
    assert_string_equal(p.mobile_masked, "");
    assert_true(p.erased > 0);
    seal_person_record_clear(&p);
    assert_int_equal(seal_store_person_find(st, ID_A, &p), SEAL_ENOTFOUND);
    char *holder = NULL, masked[19];
    assert_int_equal(seal_store_get_holder(st, "old-a", &holder, masked), 0);
    assert_string_equal(masked, "110105********0016");
    g_free(holder);
    assert_int_equal(count_actions(st, person_a, "identity-erase"), 1);
    /* again: nothing more to do, nothing recorded */
    assert_int_equal(seal_store_person_delete(st, pa, "asked again", "t", &it), 0);
    assert_null(it.basis_what);
    assert_true(it.erased > 0);
    seal_retention_item_clear(&it);
    assert_int_equal(count_actions(st, person_a, "identity-erase"), 1);

    /* the run: institution 1 goes, its record staying for its seal;
     * institution 2 stays for its open application; then nothing more */
    assert_int_equal(seal_retention_run(st, now, false, "t", &items, &n), 0);
    assert_true(find(items, n, SEAL_RETENTION_INSTITUTION, inst, NULL)->erased > 0);
    assert_false(find(items, n, SEAL_RETENTION_INSTITUTION, inst2, NULL)->due);
    seal_retention_items_free(items, n);
    seal_institution_record *list = NULL;
    assert_int_equal(seal_store_institution_list(st, &list, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].name, "");
    assert_string_equal(list[0].credit_code, "erased:1");
    assert_true(list[0].erased > 0);
    assert_string_equal(list[1].credit_code, CODE_2);
    seal_institution_records_free(list, n);
    assert_int_equal(seal_retention_run(st, now, false, "t", &items, &n), 0);
    for (size_t i = 0; i < n; i++)
        assert_false(items[i].due);
    seal_retention_items_free(items, n);
    assert_int_equal(count_actions(st, "institution:1", "identity-erase"), 1);

    /* institution 2 on request: refused naming what keeps it, and recorded */
    assert_int_equal(seal_store_institution_delete(st, CODE_2, "dissolved", "t", &it),
                     SEAL_EPOLICY);
    assert_non_null(strstr(seal_error_last(), "the application for seal new-2 is open"));
    seal_retention_item_clear(&it);
    assert_int_equal(count_actions(st, "institution:2", "identity-erase-refused"), 1);
    seal_audit_summary sum;
    assert_int_equal(seal_store_audit_verify(st, NULL, &sum), 0);
    assert_true(sum.intact);

    X509_free(old);
    X509_free(renewed);
    X509_free(replaced);
    X509_free(current);
    EVP_PKEY_free(key);
    seal_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_years),
        cmocka_unit_test(test_rule_and_deletion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
