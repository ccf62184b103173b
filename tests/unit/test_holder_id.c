/* A personal seal holder's resident ID at rest (store/holder.c): AES-256-GCM under a key
 * derived from the KEK, a fresh nonce per value, the seal id as associated data. A
 * round trip works; a flipped bit anywhere, the value moved to another seal, another KEK,
 * a truncated or unknown-format value are refused; the number is not in the stored bytes;
 * the holder rules (personal seals only, a valid ID) hold. */
#include "testutil.h"

#include "store/store_internal.h"

#include <seal/error.h>

#include <glib.h>
#include <string.h>

#define KEK     "6f1c0d4e5a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f"
#define SEAL_ID "xinghe-legal-rep"
/* GB 11643-1999: 440106 (Tianhe, Guangzhou), born 29 February 1988, sequence 123, check
 * character 6 (weighted sum 1 mod 11, computed by hand). */
#define RESIDENT_ID "440106198802291236"

static const uint8_t *kek(void)
{
    return (const uint8_t *)KEK;
}

static void seal_value(seal_buf *out, const char *seal_id)
{
    assert_int_equal(store_id_encrypt(out, kek(), strlen(KEK), seal_id, RESIDENT_ID), 0);
}

static void assert_refused(const seal_buf *sealed, const char *seal_id, const char *key, int want)
{
    char *plain = (char *)"untouched";
    int rc = store_id_decrypt(&plain, (const uint8_t *)key, strlen(key), seal_id, sealed->data,
                              sealed->len);
    assert_int_equal(rc, want);
    assert_null(plain);
    assert_null(strstr(seal_error_last(), RESIDENT_ID));
}

static void round_trip(void **state)
{
    (void)state;
    seal_buf sealed = SEAL_BUF_INIT;
    char *plain = NULL;
    seal_value(&sealed, SEAL_ID);
    /* format byte, 96-bit nonce, 18 bytes of ciphertext, 128-bit tag */
    assert_int_equal(sealed.len, 1 + 12 + 18 + 16);
    assert_int_equal(sealed.data[0], 0x01);
    assert_int_equal(store_id_decrypt(&plain, kek(), strlen(KEK), SEAL_ID, sealed.data, sealed.len),
                     0);
    assert_string_equal(plain, RESIDENT_ID);
    g_free(plain);
    seal_buf_clear(&sealed);
}

static void number_not_in_stored_bytes(void **state)
{
    (void)state;
    seal_buf sealed = SEAL_BUF_INIT;
    seal_value(&sealed, SEAL_ID);
    assert_null(g_strstr_len((const char *)sealed.data, (gssize)sealed.len, "19880229"));
    assert_null(g_strstr_len((const char *)sealed.data, (gssize)sealed.len, "440106"));
    seal_buf_clear(&sealed);
}

static void fresh_nonce_each_time(void **state)
{
    (void)state;
    seal_buf a = SEAL_BUF_INIT, b = SEAL_BUF_INIT;
    seal_value(&a, SEAL_ID);
    seal_value(&b, SEAL_ID);
    assert_int_equal(a.len, b.len);
    assert_memory_not_equal(a.data + 1, b.data + 1, 12);
    assert_memory_not_equal(a.data + 13, b.data + 13, a.len - 13);
    seal_buf_clear(&a);
    seal_buf_clear(&b);
}

static void every_flipped_bit_refused(void **state)
{
    (void)state;
    seal_buf sealed = SEAL_BUF_INIT;
    seal_value(&sealed, SEAL_ID);
    /* Past the format byte: nonce, ciphertext and tag are all bound by the GCM tag. */
    for (size_t i = 1; i < sealed.len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            sealed.data[i] ^= (uint8_t)(1u << bit);
            assert_refused(&sealed, SEAL_ID, KEK, SEAL_ECRYPTO);
            assert_non_null(strstr(seal_error_last(), "does not decrypt"));
            sealed.data[i] ^= (uint8_t)(1u << bit);
        }
    }
    seal_buf_clear(&sealed);
}

static void other_seal_id_refused(void **state)
{
    (void)state;
    seal_buf sealed = SEAL_BUF_INIT;
    seal_value(&sealed, SEAL_ID);
    /* A row copied to another seal does not open there. */
    assert_refused(&sealed, "xinghe-official", KEK, SEAL_ECRYPTO);
    assert_refused(&sealed, SEAL_ID "x", KEK, SEAL_ECRYPTO);
    seal_buf_clear(&sealed);
}

static void other_kek_refused(void **state)
{
    (void)state;
    seal_buf sealed = SEAL_BUF_INIT;
    seal_value(&sealed, SEAL_ID);
    assert_refused(&sealed, SEAL_ID,
                   "7f1c0d4e5a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f",
                   SEAL_ECRYPTO);
    seal_buf_clear(&sealed);
}

static void truncated_or_unknown_format_refused(void **state)
{
    (void)state;
    seal_buf sealed = SEAL_BUF_INIT;
    seal_value(&sealed, SEAL_ID);
    size_t full = sealed.len;
    sealed.len = 1 + 12 + 16; /* no ciphertext at all */
    assert_refused(&sealed, SEAL_ID, KEK, SEAL_EFORMAT);
    sealed.len = full - 1; /* a byte of the tag missing */
    assert_refused(&sealed, SEAL_ID, KEK, SEAL_ECRYPTO);
    sealed.len = 0;
    assert_refused(&sealed, SEAL_ID, KEK, SEAL_EFORMAT);
    sealed.len = full;
    sealed.data[0] = 0x02;
    assert_refused(&sealed, SEAL_ID, KEK, SEAL_EUNSUPPORTED);
    seal_buf_clear(&sealed);
}

static void empty_kek_refused(void **state)
{
    (void)state;
    seal_buf sealed = SEAL_BUF_INIT;
    assert_int_equal(store_id_encrypt(&sealed, kek(), 0, SEAL_ID, RESIDENT_ID), SEAL_EINVAL);
    assert_int_equal(sealed.len, 0);
    seal_buf_clear(&sealed);
}

static void holder_rules(void **state)
{
    (void)state;
    assert_int_equal(store_holder_check(SEAL_ID, "personal", "张伟明", RESIDENT_ID), 0);
    assert_int_equal(store_holder_check(SEAL_ID, "official", NULL, NULL), 0);
    assert_int_equal(store_holder_check(SEAL_ID, "official", "张伟明", RESIDENT_ID), SEAL_EINVAL);
    assert_non_null(strstr(seal_error_last(), "only a personal seal has a holder"));
    assert_int_equal(store_holder_check(SEAL_ID, "personal", NULL, RESIDENT_ID), SEAL_EINVAL);
    assert_int_equal(store_holder_check(SEAL_ID, "personal", "张伟明", NULL), SEAL_EINVAL);
    /* the wrong check character: refused, named, not echoed */
    assert_int_equal(store_holder_check(SEAL_ID, "personal", "张伟明", "440106198802291237"),
                     SEAL_EINVAL);
    assert_non_null(strstr(seal_error_last(), "check character"));
    assert_null(strstr(seal_error_last(), "4401061988022912"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(number_not_in_stored_bytes),
        cmocka_unit_test(fresh_nonce_each_time),
        cmocka_unit_test(every_flipped_bit_refused),
        cmocka_unit_test(other_seal_id_refused),
        cmocka_unit_test(other_kek_refused),
        cmocka_unit_test(truncated_or_unknown_format_refused),
        cmocka_unit_test(empty_kek_refused),
        cmocka_unit_test(holder_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
