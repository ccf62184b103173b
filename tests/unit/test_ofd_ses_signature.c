/* SES_Signature (GB/T 38540 v4, GM/T 0031-2014 v1) read from the corpus: version by shape,
 * the seal inside, the stamper's signature over the stored TBS_Sign (checked here as
 * `openssl dgst -sm3 -sigopt distid:1234567812345678` would), dataHash = SM3 of the
 * Signature.xml bytes, the v4 [0] extDatas and raw r||s signatures; damaged input is
 * refused with a message; time texts of OFD writers. */
#include "testutil.h"

#include <seal/der.h>
#include <seal/error.h>
#include <seal/ofd.h>
#include <seal/ses.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct stored {
    seal_ofd *doc;
    seal_slice value, xml;
} stored;

/* The SignedValue.dat and Signature.xml of a corpus file's signature `index`. */
static bool load(stored *s, const char *name, size_t index)
{
    const char *dir = test_corpus_dir();
    if (!dir)
        return false;
    char path[1024];
    snprintf(path, sizeof path, "%s/ofd/%s", dir, name);
    if (seal_ofd_open(&s->doc, path, NULL) != 0)
        fail_msg("%s: %s", name, seal_error_last());
    const seal_ofd_signature *sig = seal_ofd_signature_at(s->doc, index);
    assert_non_null(sig);
    assert_int_equal(seal_ofd_entry_read(s->doc, sig->signed_value_path, &s->value), 0);
    assert_int_equal(seal_ofd_entry_read(s->doc, sig->path, &s->xml), 0);
    return true;
}

#define LOAD_OR_SKIP(s, name, index)                                                               \
    stored s = {0};                                                                                \
    if (!load(&s, name, index)) {                                                                  \
        print_message("corpus not found (SEAL_CORPUS); skipping\n");                               \
        skip();                                                                                    \
    }

static void assert_sm3(seal_slice hash, seal_slice data)
{
    uint8_t md[EVP_MAX_MD_SIZE];
    size_t md_len = sizeof md;
    assert_int_equal(seal_digest(EVP_sm3(), data.data, data.len, md, &md_len), 0);
    assert_int_equal(hash.len, md_len);
    assert_memory_equal(hash.data, md, md_len);
}

/* The tax invoice: v4, signed 2020-10-04 07:28:55 UTC (timeInfo 20201004072855Z). */
static void test_invoice_v4(void **state)
{
    (void)state;
    LOAD_OR_SKIP(s, "invoice-signed.ofd", 0);
    seal_ses_signature *sig = NULL;
    assert_int_equal(seal_ses_signature_parse(&sig, s.value.data, s.value.len), 0);
    assert_int_equal(sig->version, 4);
    assert_int_equal(sig->seal->version, 4);
    assert_string_equal(sig->seal->name, "国家税务总局江苏省税务局");
    assert_string_equal(sig->property_info, "/Doc_0/Signs/Sign_0/Signature.xml");
    assert_int_equal(sig->time, 1601796535);
    assert_string_equal(sig->sig_alg_oid, SEAL_OID_SM2_WITH_SM3);
    assert_non_null(sig->signer_cert);
    assert_int_equal(sig->timestamp.len, 0);
    assert_sm3(sig->data_hash, s.xml);
    assert_int_equal(seal_ses_signature_verify(sig), 0);
    assert_int_equal(seal_eseal_verify_maker(sig->seal), 0);
    assert_int_equal(seal_eseal_lists_cert(sig->seal, sig->signer_cert), 1);
    /* TBS_Sign is the stored bytes: the element right after the outer header. */
    assert_ptr_equal(sig->tbs.data, sig->der.data + 4);
    /* One flipped byte inside TBS_Sign (in propertyInfo) breaks the stamper signature. */
    uint8_t *copy = malloc(s.value.len);
    memcpy(copy, s.value.data, s.value.len);
    size_t at = (size_t)(sig->tbs.data - sig->der.data) + sig->tbs.len - 2;
    copy[at] ^= 0x01;
    seal_ses_signature *bad = NULL;
    assert_int_equal(seal_ses_signature_parse(&bad, copy, s.value.len), 0);
    assert_int_equal(seal_ses_signature_verify(bad), SEAL_ECRYPTO);
    seal_ses_signature_free(bad);
    free(copy);
    seal_ses_signature_free(sig);
    seal_ofd_free(s.doc);
}

/* keyword.ofd's seal: TBS_Sign carries extDatas [0], the signature is 64 raw bytes. */
static void test_v4_ext_datas_raw_signature(void **state)
{
    (void)state;
    LOAD_OR_SKIP(s, "keyword.ofd", 0);
    seal_ses_signature *sig = NULL;
    assert_int_equal(seal_ses_signature_parse(&sig, s.value.data, s.value.len), 0);
    assert_int_equal(sig->version, 4);
    assert_true(sig->has_ext_datas);
    assert_int_equal(sig->signature.len, 64);
    assert_int_equal(seal_ses_signature_verify(sig), 0);
    assert_sm3(sig->data_hash, s.xml);
    seal_ses_signature_free(sig);
    seal_ofd_free(s.doc);
}

/* seal-v1.ofd (GM/T 0031-2014): timeInfo is the text 2020-01-25T07:31:56.377Z; the maker
 * signature verifies over SEQUENCE { SealInfo, cert, alg }; the stamper signature does not
 * (corpus README). */
static void test_v1(void **state)
{
    (void)state;
    LOAD_OR_SKIP(s, "seal-v1.ofd", 0);
    seal_ses_signature *sig = NULL;
    assert_int_equal(seal_ses_signature_parse(&sig, s.value.data, s.value.len), 0);
    assert_int_equal(sig->version, 1);
    assert_int_equal(sig->seal->version, 1);
    assert_int_equal(sig->time, 1579937516);
    assert_false(sig->time_zone_assumed);
    assert_non_null(sig->signer_cert);
    assert_int_equal(seal_eseal_verify_maker(sig->seal), 0);
    assert_int_equal(seal_ses_signature_verify(sig), SEAL_ECRYPTO);
    assert_int_equal(seal_eseal_lists_cert(sig->seal, sig->signer_cert), 0);
    seal_ses_signature_free(sig);
    seal_ofd_free(s.doc);
}

/* The stand-alone SignedValueV4.dat of the corpus. */
static void test_standalone_file(void **state)
{
    (void)state;
    const char *dir = test_corpus_dir();
    if (!dir)
        skip();
    seal_buf data = SEAL_BUF_INIT;
    assert_int_equal(seal_buf_read_file(&data, test_path(dir, "ofd/SignedValueV4.dat"), 1 << 20),
                     0);
    seal_ses_signature *sig = NULL;
    assert_int_equal(seal_ses_signature_parse(&sig, data.data, data.len), 0);
    assert_int_equal(sig->version, 4);
    assert_int_equal(seal_ses_signature_verify(sig), 0);
    seal_ses_signature_free(sig);
    seal_buf_clear(&data);
}

/* A v4 signature with a timeStamp [0], built here: the token bytes are kept as stored
 * (EXPLICIT [0] BIT STRING, OFD-SEAL.md 1), and so is an untagged BIT STRING. */
static void test_timestamp_field_kept(void **state)
{
    (void)state;
    LOAD_OR_SKIP(s, "invoice-signed.ofd", 0);
    static const uint8_t token[] = {0x30, 0x03, 0x02, 0x01, 0x07}; /* a stand-in token */
    for (int form = 0; form < 2; form++) {
        seal_der_writer w = {SEAL_BUF_INIT, 0};
        seal_slice in = s.value;
        seal_der_elem outer;
        assert_int_equal(seal_der_expect(&in, SEAL_DER_SEQUENCE, &outer, "x"), 0);
        size_t mark = seal_der_begin(&w, SEAL_DER_SEQUENCE);
        seal_der_raw(&w, outer.content.data, outer.content.len);
        if (form == 0) {
            size_t tag = seal_der_begin(&w, SEAL_DER_CONTEXT_CONS | 0);
            seal_der_bit_string(&w, token, sizeof token);
            seal_der_end(&w, tag);
        } else {
            seal_der_bit_string(&w, token, sizeof token);
        }
        seal_der_end(&w, mark);
        seal_buf der = SEAL_BUF_INIT;
        assert_int_equal(seal_der_finish(&w, &der), 0);
        seal_ses_signature *sig = NULL;
        assert_int_equal(seal_ses_signature_parse(&sig, der.data, der.len), 0);
        assert_int_equal(sig->timestamp.len, sizeof token);
        assert_memory_equal(sig->timestamp.data, token, sizeof token);
        assert_int_equal(seal_ses_signature_verify(sig), 0);
        seal_ses_signature_free(sig);
        seal_buf_clear(&der);
    }
    seal_ofd_free(s.doc);
}

static void test_damaged_refused(void **state)
{
    (void)state;
    LOAD_OR_SKIP(s, "invoice-signed.ofd", 0);
    seal_ses_signature *sig = NULL;
    for (size_t cut = 0; cut < s.value.len; cut += 97) {
        assert_int_equal(seal_ses_signature_parse(&sig, s.value.data, cut), SEAL_EFORMAT);
        assert_null(sig);
        assert_true(strlen(seal_error_last()) > 0);
    }
    static const uint8_t three[] = {0x30, 0x09, 0x02, 0x01, 0x04, 0x02,
                                    0x01, 0x04, 0x02, 0x01, 0x04};
    assert_int_equal(seal_ses_signature_parse(&sig, three, sizeof three), SEAL_EFORMAT);
    assert_non_null(strstr(seal_error_last(), "3 elements"));
    seal_ofd_free(s.doc);
}

static void time_is(const char *text, time_t want, bool assumed)
{
    time_t t = 0;
    bool a = !assumed;
    if (seal_ses_time_text(&t, &a, text, strlen(text)) != 0)
        fail_msg("%s: %s", text, seal_error_last());
    assert_int_equal(t, want);
    assert_int_equal(a, assumed);
}

/* The forms OFD-SEAL.md 4 lists; without a zone the time is China Standard Time. */
static void test_time_texts(void **state)
{
    (void)state;
    time_is("20201004072855.302Z", 1601796535, false);
    time_is("20201010151120", 1602342680 - 8 * 3600, true);
    time_is("2024-01-01T00:00:00", 1704067200 - 8 * 3600, true);
    time_is("2026-08-04 10:08:09", 1785838089 - 8 * 3600, true);
    time_is("2020-01-25T07:31:56.377Z", 1579937516, false);
    time_is("2020-01-25T15:31:56+08:00", 1579937516, false);
    time_t t;
    bool a;
    assert_int_equal(seal_ses_time_text(&t, &a, "2020-02-30 10:00:00", 19), SEAL_EFORMAT);
    assert_int_equal(seal_ses_time_text(&t, &a, "yesterday", 9), SEAL_EFORMAT);
    assert_int_equal(seal_ses_time_text(&t, &a, "0000-01-01 00:00:00", 19), SEAL_EFORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invoice_v4),
        cmocka_unit_test(test_v4_ext_datas_raw_signature),
        cmocka_unit_test(test_v1),
        cmocka_unit_test(test_standalone_file),
        cmocka_unit_test(test_timestamp_field_kept),
        cmocka_unit_test(test_damaged_refused),
        cmocka_unit_test(test_time_texts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
