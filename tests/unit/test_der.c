/* Unit tests for the DER writer and reader (der.c). Writer output is compared with X.690
 * examples and with what OpenSSL encodes for the same value; the reader is fed the
 * malformed headers that real and hostile files contain. */
#include "testutil.h"

#include <seal/der.h>
#include <seal/error.h>

#include <limits.h>
#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <stdlib.h>
#include <string.h>

static void assert_bytes(const seal_buf *b, const char *hex)
{
    seal_buf got = SEAL_BUF_INIT;
    assert_int_equal(seal_hex_encode(&got, b->data, b->len, false), 0);
    assert_string_equal((const char *)got.data, hex);
    seal_buf_clear(&got);
}

static void assert_message(const char *part)
{
    if (!strstr(seal_error_last(), part))
        fail_msg("message \"%s\" does not mention \"%s\"", seal_error_last(), part);
}

/* ---- writer ---- */

static void write_int_expect(long v, const char *hex)
{
    seal_der_writer w = {SEAL_BUF_INIT, 0};
    seal_buf out = SEAL_BUF_INIT;
    seal_der_int(&w, v);
    assert_int_equal(seal_der_finish(&w, &out), 0);
    assert_bytes(&out, hex);

    /* OpenSSL encodes the same value to the same bytes. */
    ASN1_INTEGER *ai = ASN1_INTEGER_new();
    assert_int_equal(ASN1_INTEGER_set_int64(ai, v), 1);
    unsigned char *der = NULL;
    int n = i2d_ASN1_INTEGER(ai, &der);
    assert_int_equal((size_t)n, out.len);
    assert_memory_equal(der, out.data, out.len);
    OPENSSL_free(der);
    ASN1_INTEGER_free(ai);

    /* And our reader reads it back. */
    seal_slice cur = seal_slice_of(out.data, out.len);
    seal_der_elem e;
    long back = 0;
    assert_int_equal(seal_der_expect(&cur, SEAL_DER_INTEGER, &e, "int"), 0);
    assert_int_equal(seal_der_read_int(&e, &back, "int"), 0);
    assert_true(back == v);
    seal_buf_clear(&out);
}

static void writer_integers_are_minimal_twos_complement(void **state)
{
    (void)state;
    write_int_expect(0, "020100");
    write_int_expect(127, "02017f");
    write_int_expect(128, "02020080");
    write_int_expect(256, "02020100");
    write_int_expect(-1, "0201ff");
    write_int_expect(-128, "020180");
    write_int_expect(-129, "0202ff7f");
    write_int_expect(LONG_MAX, "02087fffffffffffffff");
    write_int_expect(LONG_MIN, "02088000000000000000");
}

static void writer_unsigned_big_integers(void **state)
{
    (void)state;
    seal_der_writer w = {SEAL_BUF_INIT, 0};
    seal_buf out = SEAL_BUF_INIT;
    const uint8_t high[] = {0x00, 0x00, 0x80, 0x01};
    const uint8_t low[] = {0x01, 0x02};
    const uint8_t zeros[] = {0x00, 0x00};
    seal_der_uint_bytes(&w, high, sizeof high);   /* leading zeros stripped, one put back */
    seal_der_uint_bytes(&w, low, sizeof low);     /* as is */
    seal_der_uint_bytes(&w, zeros, sizeof zeros); /* zero is one octet */
    seal_der_uint_bytes(&w, NULL, 0);
    assert_int_equal(seal_der_finish(&w, &out), 0);
    assert_bytes(&out, "020300800102020102020100020100");
    seal_buf_clear(&out);
}

static void write_oid_expect(const char *dotted, const char *hex)
{
    seal_der_writer w = {SEAL_BUF_INIT, 0};
    seal_buf out = SEAL_BUF_INIT;
    seal_der_oid(&w, dotted);
    assert_int_equal(seal_der_finish(&w, &out), 0);
    assert_bytes(&out, hex);

    ASN1_OBJECT *obj = OBJ_txt2obj(dotted, 1);
    assert_non_null(obj);
    unsigned char *der = NULL;
    int n = i2d_ASN1_OBJECT(obj, &der);
    assert_int_equal((size_t)n, out.len);
    assert_memory_equal(der, out.data, out.len);
    OPENSSL_free(der);
    ASN1_OBJECT_free(obj);

    seal_slice cur = seal_slice_of(out.data, out.len);
    seal_der_elem e;
    char text[128];
    assert_int_equal(seal_der_expect(&cur, SEAL_DER_OID, &e, "oid"), 0);
    assert_int_equal(seal_der_read_oid(&e, text, sizeof text, "oid"), 0);
    assert_string_equal(text, dotted);
    seal_buf_clear(&out);
}

static void writer_oids(void **state)
{
    (void)state;
    write_oid_expect("1.2.156.10197.1.501", "06082a811ccf55018375"); /* SM2 with SM3 */
    write_oid_expect("1.2.840.113549.1.1.11", "06092a864886f70d01010b");
    write_oid_expect("2.999.3", "0603883703"); /* the X.690 8.19.5 example */
    write_oid_expect("0.0", "060100");
    write_oid_expect("1.39.18446744073709551615", "060b4f81ffffffffffffffff7f");
}

static void writer_refuses_bad_oids(void **state)
{
    (void)state;
    const char *bad[] = {"",     "1",    "3.1",  "1.40", "1..2",  "a.b",
                         "1.2.", ".1.2", "1.2 ", "-1.2", "1.2.x", "1.2.99999999999999999999",
                         NULL};
    for (size_t i = 0; bad[i]; i++) {
        seal_der_writer w = {SEAL_BUF_INIT, 0};
        seal_buf out = SEAL_BUF_INIT;
        seal_der_oid(&w, bad[i]);
        if (seal_der_finish(&w, &out) != SEAL_EINVAL)
            fail_msg("\"%s\" was accepted as an OID", bad[i]);
        assert_message("is not an object identifier");
        assert_null(out.data);
    }
}

static void writer_nested_and_long_lengths(void **state)
{
    (void)state;
    /* Content sizes on both sides of each length-form boundary (X.690 8.1.3). */
    const size_t sizes[] = {0, 127, 128, 255, 256, 65535, 65536, 70000};
    const char *headers[] = {"0400",     "047f",     "048180",     "0481ff",
                             "04820100", "0482ffff", "0483010000", "0483011170"};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint8_t *content = malloc(sizes[i] + 1);
        memset(content, 0x5a, sizes[i]);
        seal_der_writer w = {SEAL_BUF_INIT, 0};
        seal_buf out = SEAL_BUF_INIT;
        size_t outer = seal_der_begin(&w, SEAL_DER_SEQUENCE);
        size_t inner = seal_der_begin(&w, SEAL_DER_CONTEXT_CONS | 1);
        seal_der_octet_string(&w, content, sizes[i]);
        seal_der_end(&w, inner);
        seal_der_null(&w);
        seal_der_end(&w, outer);
        assert_int_equal(seal_der_finish(&w, &out), 0);

        /* OpenSSL parses the whole thing and agrees on the lengths. */
        const unsigned char *p = out.data;
        long len;
        int tag, cls;
        int ret = ASN1_get_object(&p, &len, &tag, &cls, (long)out.len);
        assert_false(ret & 0x80);
        assert_int_equal(ret, V_ASN1_CONSTRUCTED);
        assert_int_equal(tag, V_ASN1_SEQUENCE);
        assert_true((size_t)(p - out.data) + (size_t)len == out.len);

        /* Our reader walks it back and finds the content intact. */
        seal_slice cur = seal_slice_of(out.data, out.len);
        seal_der_elem seq, ctx, oct, nul;
        assert_int_equal(seal_der_expect(&cur, SEAL_DER_SEQUENCE, &seq, "seq"), 0);
        assert_int_equal(cur.len, 0);
        assert_int_equal(seal_der_expect(&seq.content, SEAL_DER_CONTEXT_CONS | 1, &ctx, "ctx"), 0);
        assert_int_equal(seal_der_expect(&ctx.content, SEAL_DER_OCTET_STRING, &oct, "oct"), 0);
        assert_int_equal(ctx.content.len, 0);
        assert_int_equal(oct.content.len, sizes[i]);
        assert_true(sizes[i] == 0 || memcmp(oct.content.data, content, sizes[i]) == 0);
        seal_buf hdr = SEAL_BUF_INIT;
        seal_hex_encode(&hdr, oct.whole.data, oct.whole.len - oct.content.len, false);
        assert_string_equal((const char *)hdr.data, headers[i]);
        seal_buf_clear(&hdr);
        assert_int_equal(seal_der_expect(&seq.content, SEAL_DER_NULL, &nul, "null"), 0);
        assert_int_equal(seq.content.len, 0);
        seal_buf_clear(&out);
        free(content);
    }
}

static void writer_simple_types(void **state)
{
    (void)state;
    seal_der_writer w = {SEAL_BUF_INIT, 0};
    seal_buf out = SEAL_BUF_INIT;
    seal_der_bool(&w, 1);
    seal_der_bool(&w, 0);
    seal_der_null(&w);
    seal_der_bit_string(&w, "\x01\x02", 2);
    seal_der_octet_string(&w, "ab", 2);
    seal_der_string(&w, SEAL_DER_UTF8_STRING, "\xe5\x8d\xb0"); /* 印 */
    seal_der_tlv(&w, SEAL_DER_CONTEXT | 2, "x", 1);
    seal_der_raw(&w, "\x05\x00", 2);
    seal_der_generalized_time(&w, 0);
    seal_der_generalized_time(&w, 1700000000);
    assert_int_equal(seal_der_finish(&w, &out), 0);
    assert_bytes(&out, "0101ff010100"
                       "0500"
                       "0303000102"
                       "04026162"
                       "0c03e58db0"
                       "820178"
                       "0500"
                       "180f31393730303130313030303030305a"   /* 19700101000000Z */
                       "180f32303233313131343232313332305a"); /* 20231114221320Z */
    seal_buf_clear(&out);
}

static void writer_latches_first_error(void **state)
{
    (void)state;
    seal_der_writer w = {SEAL_BUF_INIT, 0};
    seal_buf out = SEAL_BUF_INIT;
    seal_der_int(&w, 5);
    seal_der_end(&w, 1); /* never opened */
    assert_int_equal(w.error, SEAL_EINVAL);
    assert_message("not opened");
    size_t len = w.out.len;
    seal_der_oid(&w, "nonsense"); /* would be a different error; the first one stays */
    seal_der_int(&w, 7);          /* and nothing more is written */
    assert_int_equal(w.out.len, len);
    assert_int_equal(w.error, SEAL_EINVAL);
    assert_message("not opened");
    assert_int_equal(seal_der_finish(&w, &out), SEAL_EINVAL);
    assert_null(out.data);

    /* The writer is clean again after finish. */
    seal_der_int(&w, 1);
    assert_int_equal(seal_der_finish(&w, &out), 0);
    assert_bytes(&out, "020101");
    seal_buf_clear(&out);

    /* Closing the same element twice is caught too. */
    size_t mark = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_der_null(&w);
    seal_der_end(&w, mark);
    seal_der_end(&w, mark);
    assert_int_equal(seal_der_finish(&w, &out), SEAL_EINVAL);
}

/* ---- reader ---- */

static int next_hex(const char *hex, seal_der_elem *e, seal_buf *keep)
{
    seal_buf_clear(keep);
    assert_int_equal(seal_hex_decode(keep, hex, strlen(hex)), 0);
    seal_slice cur = seal_slice_of(keep->data, keep->len);
    seal_slice before = cur;
    int rc = seal_der_next(&cur, e, "seal picture");
    if (rc < 0) { /* the cursor does not move on failure */
        assert_ptr_equal(cur.data, before.data);
        assert_int_equal(cur.len, before.len);
    }
    return rc;
}

static void reader_rejects_malformed_headers(void **state)
{
    (void)state;
    seal_buf b = SEAL_BUF_INIT;
    seal_der_elem e;

    assert_int_equal(next_hex("", &e, &b), SEAL_EFORMAT);
    assert_message("seal picture: ends where another element was expected");
    assert_int_equal(next_hex("30", &e, &b), SEAL_EFORMAT);
    assert_message("seal picture: ends inside the header");
    assert_int_equal(next_hex("308000000000", &e, &b), SEAL_EFORMAT);
    assert_message("indefinite length");
    assert_int_equal(next_hex("04850000000001aa", &e, &b), SEAL_EFORMAT);
    assert_message("length of 5 bytes");
    assert_int_equal(next_hex("048201", &e, &b), SEAL_EFORMAT);
    assert_message("ends inside the length");
    assert_int_equal(next_hex("1f8101", &e, &b), SEAL_EFORMAT);
    assert_message("high tag number form");
    assert_int_equal(next_hex("0403aabb", &e, &b), SEAL_EFORMAT);
    assert_message("seal picture: length 3 exceeds the 2 bytes left");

    /* The message from the brief: 5000 bytes announced, 20 present. */
    assert_int_equal(next_hex("30821388"
                              "0000000000000000000000000000000000000000",
                              &e, &b),
                     SEAL_EFORMAT);
    assert_string_equal(seal_error_last(), "seal picture: length 5000 exceeds the 20 bytes left");
    seal_buf_clear(&b);
}

static void reader_accepts_non_minimal_lengths(void **state)
{
    (void)state;
    seal_buf b = SEAL_BUF_INIT;
    seal_der_elem e;
    assert_int_equal(next_hex("048200020102", &e, &b), 0);
    assert_int_equal(e.tag, SEAL_DER_OCTET_STRING);
    assert_int_equal(e.content.len, 2);
    assert_int_equal(e.content.data[0], 1);
    assert_int_equal(e.whole.len, 6); /* the stored bytes, header as written */
    assert_ptr_equal(e.whole.data, b.data);
    seal_buf_clear(&b);
}

static void reader_walks_siblings_and_peeks(void **state)
{
    (void)state;
    seal_buf b = SEAL_BUF_INIT;
    const char *hex = "020105"
                      "0500"
                      "a003020107";
    assert_int_equal(seal_hex_decode(&b, hex, strlen(hex)), 0);
    seal_slice cur = seal_slice_of(b.data, b.len);
    seal_der_elem e;
    assert_true(seal_der_peek(&cur, SEAL_DER_INTEGER));
    assert_false(seal_der_peek(&cur, SEAL_DER_NULL));
    assert_int_equal(seal_der_expect(&cur, SEAL_DER_INTEGER, &e, "version"), 0);
    /* A wrong tag names both and does not consume. */
    assert_int_equal(seal_der_expect(&cur, SEAL_DER_SEQUENCE, &e, "seal info"), SEAL_EFORMAT);
    assert_message("seal info: expected SEQUENCE (tag 0x30) but found NULL (tag 0x05)");
    assert_int_equal(seal_der_expect(&cur, SEAL_DER_NULL, &e, "params"), 0);
    assert_true(seal_der_peek(&cur, SEAL_DER_CONTEXT_CONS));
    assert_int_equal(seal_der_next(&cur, &e, "explicit"), 0);
    assert_int_equal(e.tag, SEAL_DER_CONTEXT_CONS);
    assert_int_equal(cur.len, 0);
    assert_false(seal_der_peek(&cur, SEAL_DER_INTEGER));
    seal_buf_clear(&b);
}

static int read_int_hex(const char *hex, long *out)
{
    seal_buf b = SEAL_BUF_INIT;
    seal_der_elem e;
    assert_int_equal(next_hex(hex, &e, &b), 0);
    int rc = seal_der_read_int(&e, out, "serial");
    seal_buf_clear(&b);
    return rc;
}

static void reader_integers(void **state)
{
    (void)state;
    long v = 0;
    assert_int_equal(read_int_hex("0202ff7f", &v), 0);
    assert_int_equal(v, -129);
    assert_int_equal(read_int_hex("0203000080", &v), 0); /* padded, not DER, still 128 */
    assert_int_equal(v, 128);
    assert_int_equal(read_int_hex("800105", &v), 0); /* [0] IMPLICIT INTEGER */
    assert_int_equal(v, 5);
    assert_int_equal(read_int_hex("0209010000000000000000", &v), SEAL_EFORMAT);
    assert_message("serial: INTEGER of 9 bytes is too large");
    assert_int_equal(read_int_hex("0200", &v), SEAL_EFORMAT);
    assert_message("no content");
    assert_int_equal(read_int_hex("040105", &v), SEAL_EFORMAT);
    assert_message("expected INTEGER but found OCTET STRING");
}

static int read_oid_hex(const char *hex, char *out, size_t out_len)
{
    seal_buf b = SEAL_BUF_INIT;
    seal_der_elem e;
    assert_int_equal(next_hex(hex, &e, &b), 0);
    int rc = seal_der_read_oid(&e, out, out_len, "algorithm");
    seal_buf_clear(&b);
    return rc;
}

static void reader_oids(void **state)
{
    (void)state;
    char text[128];
    assert_int_equal(read_oid_hex("06082a811ccf55018375", text, sizeof text), 0);
    assert_string_equal(text, "1.2.156.10197.1.501");
    assert_int_equal(read_oid_hex("06082a811ccf55018375", text, 10), SEAL_EFORMAT);
    assert_message("longer than 9 characters");
    assert_int_equal(read_oid_hex("06022a81", text, sizeof text), SEAL_EFORMAT);
    assert_message("ends inside an arc");
    assert_int_equal(read_oid_hex("06032a8001", text, sizeof text), SEAL_EFORMAT);
    assert_message("padded arc");
    assert_int_equal(read_oid_hex("0600", text, sizeof text), SEAL_EFORMAT);
    assert_message("empty");
    assert_int_equal(read_oid_hex("060b2a82ffffffffffffffff7f", text, sizeof text), SEAL_EFORMAT);
    assert_message("too large");
}

static int read_time_hex(const char *tag_hex, const char *text, time_t *out)
{
    seal_buf hex = SEAL_BUF_INIT;
    seal_buf_printf(&hex, "%s%02zx", tag_hex, strlen(text));
    seal_hex_encode(&hex, (const uint8_t *)text, strlen(text), false);
    seal_buf b = SEAL_BUF_INIT;
    seal_der_elem e;
    assert_int_equal(next_hex((const char *)hex.data, &e, &b), 0);
    int rc = seal_der_read_time(&e, out, "signing time");
    seal_buf_clear(&b);
    seal_buf_clear(&hex);
    return rc;
}

static void reader_times(void **state)
{
    (void)state;
    time_t t = 0;
    assert_int_equal(read_time_hex("17", "231114221320Z", &t), 0);
    assert_int_equal((long long)t, 1700000000LL);
    assert_int_equal(read_time_hex("17", "500101000000Z", &t), 0); /* 1950 */
    assert_int_equal((long long)t, -631152000LL);
    assert_int_equal(read_time_hex("17", "491231235959Z", &t), 0); /* 2049 */
    assert_int_equal((long long)t, 2524607999LL);
    assert_int_equal(read_time_hex("18", "20231114221320Z", &t), 0);
    assert_int_equal((long long)t, 1700000000LL);
    assert_int_equal(read_time_hex("18", "20231114221320.123Z", &t), 0);
    assert_int_equal((long long)t, 1700000000LL);
    assert_int_equal(read_time_hex("18", "20231114221320", &t), 0); /* no Z: UTC */
    assert_int_equal((long long)t, 1700000000LL);
    assert_int_equal(read_time_hex("18", "20240229000000Z", &t), 0); /* leap day */
    assert_int_equal((long long)t, 1709164800LL);

    assert_int_equal(read_time_hex("18", "20230229000000Z", &t), SEAL_EFORMAT);
    assert_message("signing time: GeneralizedTime is not a real date and time");
    assert_int_equal(read_time_hex("18", "20231314221320Z", &t), SEAL_EFORMAT);
    assert_int_equal(read_time_hex("17", "2311142213Z", &t), SEAL_EFORMAT); /* no seconds */
    assert_message("not in the form YYMMDDhhmmssZ");
    assert_int_equal(read_time_hex("18", "20231114221320+0800", &t), SEAL_EFORMAT);
    assert_message("time zone offset");
    assert_int_equal(read_time_hex("18", "20231114221320.Z", &t), SEAL_EFORMAT);
    assert_int_equal(read_time_hex("18", "20231114221320ZZ", &t), SEAL_EFORMAT);
    assert_int_equal(read_time_hex("17", "231114221320.5Z", &t), SEAL_EFORMAT);
    assert_int_equal(read_time_hex("04", "20231114221320Z", &t), SEAL_EFORMAT);
    assert_message("expected a time");

    /* What the writer writes, the reader reads. */
    seal_der_writer w = {SEAL_BUF_INIT, 0};
    seal_buf out = SEAL_BUF_INIT;
    seal_der_generalized_time(&w, 4102444799); /* 2099-12-31 23:59:59 */
    assert_int_equal(seal_der_finish(&w, &out), 0);
    seal_slice cur = seal_slice_of(out.data, out.len);
    seal_der_elem e;
    assert_int_equal(seal_der_next(&cur, &e, "t"), 0);
    assert_int_equal(seal_der_read_time(&e, &t, "t"), 0);
    assert_int_equal((long long)t, 4102444799LL);
    seal_buf_clear(&out);
}

static void reader_bit_strings(void **state)
{
    (void)state;
    seal_buf b = SEAL_BUF_INIT;
    seal_der_elem e;
    seal_slice bits;
    assert_int_equal(next_hex("030300abcd", &e, &b), 0);
    assert_int_equal(seal_der_read_bits(&e, &bits, "signature"), 0);
    assert_int_equal(bits.len, 2);
    assert_int_equal(bits.data[0], 0xab);
    assert_int_equal(next_hex("030304abc0", &e, &b), 0);
    assert_int_equal(seal_der_read_bits(&e, &bits, "signature"), SEAL_EFORMAT);
    assert_message("signature: BIT STRING has 4 unused bits");
    assert_int_equal(next_hex("0300", &e, &b), 0);
    assert_int_equal(seal_der_read_bits(&e, &bits, "signature"), SEAL_EFORMAT);
    assert_message("no content");
    seal_buf_clear(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(writer_integers_are_minimal_twos_complement),
        cmocka_unit_test(writer_unsigned_big_integers),
        cmocka_unit_test(writer_oids),
        cmocka_unit_test(writer_refuses_bad_oids),
        cmocka_unit_test(writer_nested_and_long_lengths),
        cmocka_unit_test(writer_simple_types),
        cmocka_unit_test(writer_latches_first_error),
        cmocka_unit_test(reader_rejects_malformed_headers),
        cmocka_unit_test(reader_accepts_non_minimal_lengths),
        cmocka_unit_test(reader_walks_siblings_and_peeks),
        cmocka_unit_test(reader_integers),
        cmocka_unit_test(reader_oids),
        cmocka_unit_test(reader_times),
        cmocka_unit_test(reader_bit_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
