/* The PDF report (seal_report_to_pdf) on reports a hostile document could produce: text
 * that looks like PDF syntax, invalid UTF-8, control and bidirectional characters, values
 * far longer than a line, and many signatures with many checks. The PDF must be one qpdf
 * accepts, flow over several pages, and show the document's text as text (pdftotext reads
 * it back) with what cannot be drawn replaced. A bad verification address is refused. */
#include "testutil.h"

#include <seal/error.h>
#include <seal/report.h>

#include <glib.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIGNATURES 24

/* Under LeakSanitizer (tests/run.sh): Cairo 1.16 loses 192 bytes when it subsets an
 * OpenType (CFF) font into a PDF, in cairo_surface_finish (not ours: ofd_render.sh says how
 * it was shown). Full stacks let the suppression name that function, not the library. Both
 * are read only by a sanitizer runtime; the environment's options come on top. */
const char *__lsan_default_suppressions(void);
const char *__asan_default_options(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:cairo_surface_finish\n";
}
const char *__asan_default_options(void)
{
    return "fast_unwind_on_malloc=0";
}

static seal_report *hostile_report(void)
{
    seal_report *r;
    seal_sig_report *s;
    assert_int_equal(seal_report_new(&r, "/tmp/投标文件 (evil).pdf", "pdf"), 0);
    for (int i = 0; i < SIGNATURES; i++) {
        assert_int_equal(seal_report_add_sig(r, &s), 0);
        s->field_name = strdup(") Tj /JavaScript (app.alert(1)) Tj (\x01\x02\xff\xfe");
        s->kind = strdup("pades");
        /* U+202E RIGHT-TO-LEFT OVERRIDE before a name: must not reverse what follows. */
        s->signer_name = strdup("\xe2\x80\xae北京市星河信息技术有限公司");
        s->signer_org = strdup("北京市星河信息技术有限公司");
        s->signer_org_id = strdup("91110108MA01XH3K0W");
        GString *long_subject = g_string_new("CN=");
        for (int k = 0; k < 600; k++)
            g_string_append(long_subject, k % 7 ? "长" : "long ");
        s->signer_subject = g_string_free(long_subject, FALSE);
        s->time_source = strdup("claimed (/M), not proven:\nno timestamp\r\n\t(bell \a)");
        s->signing_time = 1767225600;
        for (int c = 0; c < 9; c++)
            assert_int_equal(seal_sig_add_check(s, "revocation",
                                                c == 4 ? SEAL_VERDICT_INVALID : SEAL_VERDICT_VALID,
                                                c == 4 ? "HASH_FAILURE" : NULL,
                                                "check %d: a CRL from http://example/%0200d", c, c),
                             0);
        assert_int_equal(seal_sig_add_change(s, "page 2 content changed << /S /Launch >>"), 0);
    }
    seal_report_finish(r);
    return r;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    return text;
}

static void test_hostile_report_renders_as_text(void **state)
{
    (void)state;
    seal_report *r = hostile_report();
    seal_report_pdf_opts o = {
        .file_size = 12345, .verified_at = 1767225600, .verify_url = "https://verify.example.cn/"};
    memset(o.sha256, 0xab, sizeof o.sha256);
    memset(o.sm3, 0xcd, sizeof o.sm3);
    seal_buf pdf = SEAL_BUF_INIT;
    assert_int_equal(seal_report_to_pdf(r, &o, &pdf), 0);
    assert_true(pdf.len > 1000 && memcmp(pdf.data, "%PDF-", 5) == 0);

    const char *dir = test_tmpdir();
    const char *path = test_path(dir, "report.pdf");
    assert_int_equal(seal_buf_write_file(&pdf, path, 0600), 0);
    assert_int_equal(test_run("qpdf --check '%s' >/dev/null", path), 0);
    assert_int_equal(test_run("pdfinfo '%s' | awk '/^Pages:/ { exit !($2 >= 8) }'", path), 0);
    assert_int_equal(test_run("pdftotext -enc UTF-8 '%s' '%s/report.txt'", path, dir), 0);
    const char *text = read_text(test_path(dir, "report.txt"));
    /* The document's strings are there as text, PDF syntax and all... */
    assert_non_null(strstr(text, "/JavaScript (app.alert(1)) Tj"));
    assert_non_null(strstr(text, "<< /S /Launch >>"));
    assert_non_null(strstr(text, "北京市星河信息技术有限公司"));
    assert_non_null(strstr(text, "91110108MA01XH3K0W"));
    assert_non_null(strstr(text, "投标文件 (evil).pdf"));
    assert_non_null(strstr(text, "INVALID"));
    assert_non_null(strstr(text, "无效"));
    assert_non_null(strstr(text, "abababab"));
    /* ...and what cannot be drawn is not: no override character, no control character. */
    assert_null(strstr(text, "\xe2\x80\xae"));
    assert_null(strstr(text, "\a"));
    assert_null(strstr(text, "\x01"));
    seal_buf_clear(&pdf);
    seal_report_free(r);
}

static void test_bad_verification_address_is_refused(void **state)
{
    (void)state;
    seal_report *r;
    assert_int_equal(seal_report_new(&r, "a.pdf", "pdf"), 0);
    seal_report_finish(r);
    seal_report_pdf_opts o = {.verify_url = "https://verify.example.cn/a b"};
    seal_buf pdf = SEAL_BUF_INIT;
    assert_int_equal(seal_report_to_pdf(r, &o, &pdf), SEAL_EINVAL);
    assert_non_null(strstr(seal_error_last(), "address"));
    assert_int_equal(pdf.len, 0);
    /* No signature at all: still a report, which says so. */
    o.verify_url = NULL;
    assert_int_equal(seal_report_to_pdf(r, &o, &pdf), 0);
    assert_true(pdf.len > 0);
    seal_buf_clear(&pdf);
    seal_report_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_report_renders_as_text),
        cmocka_unit_test(test_bad_verification_address_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
