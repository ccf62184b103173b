/* The verification report model: verdict aggregation (worst wins, first reason of the
 * worst), the overall verdict, the JSON shape read back with jansson, the ETSI status of
 * every reason the verifiers record, and the HTML report's escaping. */
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

/* ETSI EN 319 102-1 Table 5: every sub-indication a status may carry. */
static bool is_table5(const char *sub)
{
    static const char *const names[] = {"FORMAT_FAILURE",
                                        "HASH_FAILURE",
                                        "SIG_CRYPTO_FAILURE",
                                        "REVOKED",
                                        "EXPIRED",
                                        "NOT_YET_VALID",
                                        "SIG_CONSTRAINTS_FAILURE",
                                        "CHAIN_CONSTRAINTS_FAILURE",
                                        "CERTIFICATE_CHAIN_GENERAL_FAILURE",
                                        "CRYPTO_CONSTRAINTS_FAILURE",
                                        "POLICY_PROCESSING_ERROR",
                                        "SIGNATURE_POLICY_NOT_AVAILABLE",
                                        "TIMESTAMP_ORDER_FAILURE",
                                        "NO_SIGNING_CERTIFICATE_FOUND",
                                        "NO_CERTIFICATE_CHAIN_FOUND",
                                        "REVOKED_NO_POE",
                                        "REVOKED_CA_NO_POE",
                                        "OUT_OF_BOUNDS_NO_POE",
                                        "OUT_OF_BOUNDS_NOT_REVOKED",
                                        "CRYPTO_CONSTRAINTS_FAILURE_NO_POE",
                                        "NO_POE",
                                        "TRY_LATER",
                                        "SIGNED_DATA_NOT_FOUND"};
    for (size_t i = 0; sub && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(sub, names[i]) == 0)
            return true;
    return false;
}

static void test_status_of_every_reason(void **state)
{
    (void)state;
    seal_status st;
    seal_status_of(SEAL_VERDICT_VALID, NULL, &st);
    assert_int_equal(st.indication, SEAL_ETSI_TOTAL_PASSED);
    assert_null(st.sub_indication);
    assert_null(st.detail);
    assert_string_equal(seal_etsi_indication_name(st.indication), "TOTAL_PASSED");

    /* Every reason the verifiers record today (libseal/src/pdf, src/ofd, src/verify),
     * with its verdict: a Table 5 sub-indication, our code kept as detail when it is not
     * one, sentences in both languages, and the indication following the verdict. */
    static const struct {
        seal_verdict v;
        const char *reason, *sub, *detail;
    } cases[] = {
        {SEAL_VERDICT_INVALID, "HASH_FAILURE", "HASH_FAILURE", NULL},
        {SEAL_VERDICT_INVALID, "MODIFIED_AFTER_SIGNING", "HASH_FAILURE", "MODIFIED_AFTER_SIGNING"},
        {SEAL_VERDICT_INVALID, "SIG_CRYPTO_FAILURE", "SIG_CRYPTO_FAILURE", NULL},
        {SEAL_VERDICT_INVALID, "FORMAT_FAILURE", "FORMAT_FAILURE", NULL},
        {SEAL_VERDICT_INVALID, "REVOKED", "REVOKED", NULL},
        {SEAL_VERDICT_INVALID, "SIG_CONSTRAINTS_FAILURE", "SIG_CONSTRAINTS_FAILURE", NULL},
        {SEAL_VERDICT_INVALID, "SEAL_OUTSIDE_VALIDITY", "SIG_CONSTRAINTS_FAILURE",
         "SEAL_OUTSIDE_VALIDITY"},
        {SEAL_VERDICT_INVALID, "CHAIN_CONSTRAINTS_FAILURE", "CHAIN_CONSTRAINTS_FAILURE", NULL},
        {SEAL_VERDICT_INDETERMINATE, "FORMAT_FAILURE", "FORMAT_FAILURE", NULL},
        {SEAL_VERDICT_INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND", "NO_CERTIFICATE_CHAIN_FOUND",
         NULL},
        {SEAL_VERDICT_INDETERMINATE, "NO_SIGNING_CERTIFICATE_FOUND", "NO_SIGNING_CERTIFICATE_FOUND",
         NULL},
        {SEAL_VERDICT_INDETERMINATE, "EXPIRED", "OUT_OF_BOUNDS_NO_POE", "EXPIRED"},
        {SEAL_VERDICT_INDETERMINATE, "NOT_YET_VALID", "OUT_OF_BOUNDS_NO_POE", "NOT_YET_VALID"},
        {SEAL_VERDICT_INDETERMINATE, "REVOKED_NO_POE", "REVOKED_NO_POE", NULL},
        {SEAL_VERDICT_INDETERMINATE, "SUSPENDED", "TRY_LATER", "SUSPENDED"},
        {SEAL_VERDICT_INDETERMINATE, "TRY_LATER", "TRY_LATER", NULL},
        {SEAL_VERDICT_INDETERMINATE, "CRYPTO_CONSTRAINTS_FAILURE", "CRYPTO_CONSTRAINTS_FAILURE",
         NULL},
        {SEAL_VERDICT_INDETERMINATE, "NO_SIGNATURE", "SIGNED_DATA_NOT_FOUND", "NO_SIGNATURE"},
        /* a code this version does not know yet */
        {SEAL_VERDICT_INVALID, "SOMETHING_NEW", "FORMAT_FAILURE", "SOMETHING_NEW"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        seal_status_of(cases[i].v, cases[i].reason, &st);
        assert_int_equal(st.indication, cases[i].v == SEAL_VERDICT_INVALID
                                            ? SEAL_ETSI_TOTAL_FAILED
                                            : SEAL_ETSI_INDETERMINATE);
        assert_true(is_table5(st.sub_indication));
        assert_string_equal(st.sub_indication, cases[i].sub);
        if (cases[i].detail)
            assert_string_equal(st.detail, cases[i].detail);
        else
            assert_null(st.detail);
        assert_true(strlen(st.en) > 20 && strlen(st.zh) > 20);
    }
}

/* Names from a hostile document come out as text, never as markup or a reference. */
static void test_html_escapes_and_stands_alone(void **state)
{
    (void)state;
    seal_report *r;
    seal_sig_report *s;
    seal_buf out = SEAL_BUF_INIT;
    assert_int_equal(seal_report_new(&r, "/tmp/<x>.pdf", "pdf"), 0);
    assert_int_equal(seal_report_add_sig(r, &s), 0);
    s->field_name = strdup("<script>alert(1)</script>");
    s->signer_name = strdup("A \"B\" & 'C' <img src=http://evil/x>");
    s->signer_org_id = strdup("91110108MA01XH3K7J");
    assert_int_equal(seal_sig_add_check(s, "digest", SEAL_VERDICT_INVALID, "HASH_FAILURE",
                                        "<a href=\"https://evil/\">x</a>"),
                     0);
    assert_int_equal(seal_sig_add_change(s, "page 1 </li><li>forged"), 0);
    seal_report_finish(r);
    assert_int_equal(seal_report_to_html(r, &out), 0);
    assert_int_equal(seal_buf_append_byte(&out, 0), 0);
    const char *page = (const char *)out.data;
    assert_null(strstr(page, "<script"));
    assert_null(strstr(page, "<img src=http"));
    assert_null(strstr(page, "<a href"));
    assert_null(strstr(page, "</li><li>forged"));
    assert_non_null(strstr(page, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(page, "A &quot;B&quot; &amp; &#39;C&#39; &lt;img"));
    assert_non_null(strstr(page, "&lt;x&gt;.pdf"));
    assert_non_null(strstr(page, "INVALID 无效"));
    assert_non_null(strstr(page, "TOTAL_FAILED / HASH_FAILURE"));
    assert_non_null(strstr(page, "91110108MA01XH3K7J"));
    seal_buf_clear(&out);
    seal_report_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worst_verdict_and_first_reason),
        cmocka_unit_test(test_overall_verdicts),
        cmocka_unit_test(test_json_shape),
        cmocka_unit_test(test_status_of_every_reason),
        cmocka_unit_test(test_html_escapes_and_stands_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
