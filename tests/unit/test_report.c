/* The verification report model: verdict aggregation (worst wins, first reason of the
 * worst), the overall verdict, and the JSON shape read back with jansson. */
#include "testutil.h"

#include <seal/report.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void test_worst_verdict_and_first_reason(void **state)
{
    (void)state;
    seal_report *r;
    seal_sig_report *s;
    assert_int_equal(seal_report_new(&r, "a.pdf", "pdf"), 0);
    assert_int_equal(seal_report_add_sig(r, &s), 0);
    assert_int_equal(s->verdict, SEAL_VERDICT_VALID);
    assert_int_equal(seal_sig_add_check(s, "byte-range", SEAL_VERDICT_VALID, NULL, "ok"), 0);
    assert_int_equal(seal_sig_add_check(s, "chain", SEAL_VERDICT_INDETERMINATE,
                                        "NO_CERTIFICATE_CHAIN_FOUND", "no anchor"),
                     0);
    assert_int_equal(s->verdict, SEAL_VERDICT_INDETERMINATE);
    assert_string_equal(s->reason, "NO_CERTIFICATE_CHAIN_FOUND");
    assert_int_equal(
        seal_sig_add_check(s, "digest", SEAL_VERDICT_INVALID, "HASH_FAILURE", "digest %d", 1), 0);
    assert_int_equal(
        seal_sig_add_check(s, "signature", SEAL_VERDICT_INVALID, "SIG_CRYPTO_FAILURE", "bad"), 0);
    /* A later INDETERMINATE does not soften an INVALID. */
    assert_int_equal(seal_sig_add_check(s, "x", SEAL_VERDICT_INDETERMINATE, "EXPIRED", "x"), 0);
    assert_int_equal(s->verdict, SEAL_VERDICT_INVALID);
    assert_string_equal(s->reason, "HASH_FAILURE");
    assert_int_equal(s->n_checks, 5);
    assert_string_equal(s->checks[2].detail, "digest 1");

    seal_sig_report *t;
    assert_int_equal(seal_report_add_sig(r, &t), 0);
    assert_int_equal(seal_sig_add_check(t, "chain", SEAL_VERDICT_INDETERMINATE, "EXPIRED", "e"), 0);
    seal_report_finish(r);
    assert_int_equal(r->verdict, SEAL_VERDICT_INVALID);
    assert_string_equal(r->reason, "HASH_FAILURE");
    seal_report_free(r);
}

static void test_overall_verdicts(void **state)
{
    (void)state;
    seal_report *r;
    seal_sig_report *s;
    assert_int_equal(seal_report_new(&r, "b.pdf", "pdf"), 0);
    seal_report_finish(r);
    assert_int_equal(r->verdict, SEAL_VERDICT_INDETERMINATE);
    assert_string_equal(r->reason, "NO_SIGNATURE");

    assert_int_equal(seal_report_add_sig(r, &s), 0);
    assert_int_equal(seal_sig_add_check(s, "digest", SEAL_VERDICT_VALID, NULL, "ok"), 0);
    seal_report_finish(r);
    assert_int_equal(r->verdict, SEAL_VERDICT_VALID);
    assert_null(r->reason);

    assert_int_equal(seal_report_add_sig(r, &s), 0);
    assert_int_equal(seal_sig_add_check(s, "chain", SEAL_VERDICT_INDETERMINATE,
                                        "NO_CERTIFICATE_CHAIN_FOUND", "none"),
                     0);
    seal_report_finish(r);
    assert_int_equal(r->verdict, SEAL_VERDICT_INDETERMINATE);
    assert_string_equal(r->reason, "NO_CERTIFICATE_CHAIN_FOUND");
    assert_string_equal(seal_verdict_name(r->verdict), "INDETERMINATE");
    seal_report_free(r);
    seal_report_free(NULL);
}

static void test_json_shape(void **state)
{
    (void)state;
    seal_report *r;
    seal_sig_report *s;
    seal_buf out = SEAL_BUF_INIT;
    assert_int_equal(seal_report_new(&r, "c.pdf", "pdf"), 0);
    assert_int_equal(seal_report_add_sig(r, &s), 0);
    s->field_name = strdup("Signature1");
    s->kind = strdup("pades");
    s->signer_name = strdup("测试单位");
    s->signing_time = 1700000000; /* 2023-11-14T22:13:20Z */
    s->coverage = strdup("entire revision");
    s->page = 2;
    s->rect[2] = 100;
    s->rect[3] = 50;
    s->visible = true;
    assert_int_equal(seal_sig_add_check(s, "changes", SEAL_VERDICT_INVALID,
                                        "MODIFIED_AFTER_SIGNING", "1 change"),
                     0);
    assert_int_equal(seal_sig_add_change(s, "object %d: page %d added", 12, 2), 0);
    seal_report_finish(r);
    assert_int_equal(seal_report_to_json(r, &out), 0);

    json_error_t err;
    json_t *root = json_loadb((const char *)out.data, out.len, 0, &err);
    assert_non_null(root);
    assert_string_equal(json_string_value(json_object_get(root, "file")), "c.pdf");
    assert_string_equal(json_string_value(json_object_get(root, "verdict")), "INVALID");
    assert_string_equal(json_string_value(json_object_get(root, "reason")),
                        "MODIFIED_AFTER_SIGNING");
    json_t *sig = json_array_get(json_object_get(root, "signatures"), 0);
    assert_non_null(sig);
    assert_string_equal(json_string_value(json_object_get(sig, "field")), "Signature1");
    assert_string_equal(json_string_value(json_object_get(json_object_get(sig, "signer"), "name")),
                        "测试单位");
    assert_true(json_is_null(json_object_get(json_object_get(sig, "signer"), "serial")));
    assert_string_equal(json_string_value(json_object_get(sig, "signing_time")),
                        "2023-11-14T22:13:20Z");
    assert_int_equal(json_integer_value(json_object_get(sig, "page")), 2);
    assert_true(json_is_true(json_object_get(sig, "visible")));
    assert_true(json_real_value(json_array_get(json_object_get(sig, "rect"), 2)) == 100.0);
    json_t *check = json_array_get(json_object_get(sig, "checks"), 0);
    assert_string_equal(json_string_value(json_object_get(check, "name")), "changes");
    assert_string_equal(json_string_value(json_object_get(check, "outcome")), "INVALID");
    assert_string_equal(json_string_value(json_array_get(json_object_get(sig, "changes"), 0)),
                        "object 12: page 2 added");
    json_decref(root);

    seal_buf_clear(&out);
    assert_int_equal(seal_report_to_text(r, &out), 0);
    assert_non_null(memmem(out.data, out.len, "object 12: page 2 added", 23));
    assert_non_null(memmem(out.data, out.len, "MODIFIED_AFTER_SIGNING", 22));
    seal_buf_clear(&out);
    seal_report_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worst_verdict_and_first_reason),
        cmocka_unit_test(test_overall_verdicts),
        cmocka_unit_test(test_json_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
