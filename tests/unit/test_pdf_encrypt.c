/* Unit tests for the string rewriting of an encrypted update (pdf/encrypt.c): every
 * literal and hex string of an object becomes a hex string of its encrypted bytes (ISO
 * 32000-1 7.3.4 escapes decoded first), names that look like strings are left alone, a
 * signature's /Contents stays as it is and must not move, and nothing after the `stream`
 * keyword is touched. With a /Identity crypt filter the "encrypted" bytes are the plain
 * ones, so the decoding itself can be checked; AES output is checked for its layout. */
#include "testutil.h"

#include "pdf/encrypt.h"

#include <seal/buf.h>
#include <seal/error.h>

#include <stdlib.h>
#include <string.h>

static char *rewrite(const pdf_crypt *c, const char *object, size_t keep_at)
{
    seal_buf b = SEAL_BUF_INIT;
    assert_int_equal(seal_buf_append_str(&b, "7 0 obj\n"), 0);
    size_t body = b.len;
    assert_int_equal(seal_buf_append_str(&b, object), 0);
    int rc =
        pdf_crypt_object_text(&b, body, c, 7, 0, keep_at == SIZE_MAX ? SIZE_MAX : body + keep_at);
    assert_int_equal(rc, 0);
    return (char *)b.data;
}

static void test_identity_decodes_escapes(void **state)
{
    (void)state;
    pdf_crypt c = {.strings = PDF_CIPHER_NONE, .streams = PDF_CIPHER_NONE};
    char *out =
        rewrite(&c, "<< /T (a\\(b\\)c\\n\\101\\\\(x)) /N#28 /H <4 1> /D << /X (1) >> >>", SIZE_MAX);
    /* a(b)c\nA\(x) -> 61 28 62 29 63 0a 41 5c 28 78 29 */
    assert_string_equal(out + 8,
                        "<< /T <61286229630a415c287829> /N#28 /H <41> /D << /X <31> >> >>");
    free(out);
}

static void test_contents_kept_and_stream_untouched(void **state)
{
    (void)state;
    pdf_crypt c = {.strings = PDF_CIPHER_NONE, .streams = PDF_CIPHER_NONE};
    const char *sig = "<< /ByteRange [0 0 0 0] /Contents <00AB> /M (x) >>";
    size_t at = (size_t)(strstr(sig, "<00AB>") - sig);
    char *out = rewrite(&c, sig, at);
    assert_string_equal(out + 8, "<< /ByteRange [0 0 0 0] /Contents <00AB> /M <78> >>");
    free(out);
    out = rewrite(&c, "<< /Length 3 /S (s) >>\nstream\n(a)\nendstream", SIZE_MAX);
    assert_string_equal(out + 8, "<< /Length 3 /S <73> >>\nstream\n(a)\nendstream");
    free(out);
}

static void test_contents_must_not_move(void **state)
{
    (void)state;
    pdf_crypt c = {.strings = PDF_CIPHER_NONE, .streams = PDF_CIPHER_NONE};
    const char *sig = "<< /Name (a) /Contents <00> >>";
    seal_buf b = SEAL_BUF_INIT;
    assert_int_equal(seal_buf_append_str(&b, sig), 0);
    size_t at = (size_t)(strstr(sig, "<00>") - sig);
    assert_int_equal(pdf_crypt_object_text(&b, 0, &c, 1, 0, at), SEAL_EFORMAT);
    seal_buf_clear(&b);
}

static void test_aes_layout(void **state)
{
    (void)state;
    pdf_crypt c = {.strings = PDF_CIPHER_AESV3, .streams = PDF_CIPHER_AESV3, .key_len = 32};
    memset(c.key, 0x42, sizeof c.key);
    char *out = rewrite(&c, "(0123456789abcdef)", SIZE_MAX);
    /* 16 bytes of IV, then 16 bytes of data and a full block of padding: 48 bytes. */
    assert_int_equal(strlen(out + 8), 2 + 48 * 2);
    seal_buf data = SEAL_BUF_INIT;
    assert_int_equal(pdf_crypt_stream(&data, &c, 7, 0, (const uint8_t *)"", 0), 0);
    assert_int_equal(data.len, 32); /* IV plus one block of padding for empty data */
    seal_buf_clear(&data);
    free(out);
}

static void test_unterminated_string(void **state)
{
    (void)state;
    pdf_crypt c = {.strings = PDF_CIPHER_NONE};
    seal_buf b = SEAL_BUF_INIT;
    assert_int_equal(seal_buf_append_str(&b, "<< /T (abc >>"), 0);
    assert_int_equal(pdf_crypt_object_text(&b, 0, &c, 1, 0, SIZE_MAX), SEAL_EFORMAT);
    seal_buf_clear(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_decodes_escapes),
        cmocka_unit_test(test_contents_kept_and_stream_untouched),
        cmocka_unit_test(test_contents_must_not_move),
        cmocka_unit_test(test_aes_layout),
        cmocka_unit_test(test_unterminated_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
