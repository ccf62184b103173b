/* The Signature.xml writer: schema order, the "write" forms of OFD-SEAL.md section 4
 * (OIDs, YYYYMMDDhhmmssZ, absolute paths, base64 digests), numbers in the C locale with at
 * most three decimals, and text that needs escaping escaped. Read back with libxml2. */
#include "testutil.h"

#include "ofd/stamp_internal.h"

#include <seal/error.h>

#include <libxml/parser.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

static void test_numbers(void **state)
{
    (void)state;
    char n[32];
    const struct {
        double v;
        const char *text;
    } cases[] = {{50, "50"},      {12.3456, "12.346"}, {-0.0001, "0"},
                 {0.5, "0.5"},    {210.1, "210.1"},    {-3.25, "-3.25"},
                 {1e-3, "0.001"}, {99.9999, "100"},    {1234567, "1234567"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ofd_format_number(n, cases[i].v);
        assert_string_equal(n, cases[i].text);
    }
    /* a decimal comma locale changes nothing */
    if (setlocale(LC_NUMERIC, "de_DE.UTF-8")) {
        ofd_format_number(n, 1.5);
        assert_string_equal(n, "1.5");
        setlocale(LC_NUMERIC, "C");
    }
}

static ofd_sig_info sample(ofd_sig_ref refs[2], ofd_sig_annot annots[2])
{
    memset(refs, 0, 2 * sizeof refs[0]);
    refs[0].path = "OFD.xml";
    refs[0].digest_len = 32;
    memset(refs[0].digest, 0xab, 32);
    refs[1].path = "Doc_0/Res/a&b.png";
    refs[1].digest_len = 3;
    memcpy(refs[1].digest, "abc", 3);
    annots[0] = (ofd_sig_annot){.id = "5", .page_ref = "1", .boundary = {10, 20.5, 40, 40}};
    annots[1] = (ofd_sig_annot){.id = "6",
                                .page_ref = "9",
                                .boundary = {195, 100, 40, 40},
                                .has_clip = true,
                                .clip = {0, 0, 15, 40}};
    ofd_sig_info info = {.provider_name = "sealsvc",
                         .provider_version = "0.1.0",
                         .provider_company = "sealsvc \"project\"",
                         .signature_method = "1.2.156.10197.1.501",
                         .time = 1700000000, /* 2023-11-14 22:13:20 UTC */
                         .check_method = "1.2.156.10197.1.401",
                         .refs = refs,
                         .n_refs = 2,
                         .annots = annots,
                         .n_annots = 2,
                         .seal_path = "Doc_0/Signs/Sign_0/Seal.esl",
                         .signed_value_path = "Doc_0/Signs/Sign_0/SignedValue.dat"};
    return info;
}

static void test_exact_bytes(void **state)
{
    (void)state;
    ofd_sig_ref refs[2];
    ofd_sig_annot annots[2];
    ofd_sig_info info = sample(refs, annots);
    seal_buf out = SEAL_BUF_INIT;
    assert_int_equal(ofd_signature_xml_write(&out, &info), 0);
    const char *want =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<ofd:Signature xmlns:ofd=\"http://www.ofdspec.org/2016\"><ofd:SignedInfo>"
        "<ofd:Provider ProviderName=\"sealsvc\" Version=\"0.1.0\" "
        "Company=\"sealsvc &quot;project&quot;\"/>"
        "<ofd:SignatureMethod>1.2.156.10197.1.501</ofd:SignatureMethod>"
        "<ofd:SignatureDateTime>20231114221320Z</ofd:SignatureDateTime>"
        "<ofd:References CheckMethod=\"1.2.156.10197.1.401\">"
        "<ofd:Reference FileRef=\"/OFD.xml\"><ofd:CheckValue>"
        "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=</ofd:CheckValue></ofd:Reference>"
        "<ofd:Reference FileRef=\"/Doc_0/Res/a&amp;b.png\"><ofd:CheckValue>YWJj</ofd:CheckValue>"
        "</ofd:Reference></ofd:References>"
        "<ofd:StampAnnot ID=\"5\" PageRef=\"1\" Boundary=\"10 20.5 40 40\"/>"
        "<ofd:StampAnnot ID=\"6\" PageRef=\"9\" Boundary=\"195 100 40 40\" Clip=\"0 0 15 40\"/>"
        "<ofd:Seal><ofd:BaseLoc>/Doc_0/Signs/Sign_0/Seal.esl</ofd:BaseLoc></ofd:Seal>"
        "</ofd:SignedInfo>"
        "<ofd:SignedValue>/Doc_0/Signs/Sign_0/SignedValue.dat</ofd:SignedValue>"
        "</ofd:Signature>\n";
    assert_int_equal(out.len, strlen(want));
    assert_memory_equal(out.data, want, out.len);

    /* and it is well-formed, namespaced XML a parser reads back */
    xmlDoc *doc =
        xmlReadMemory((const char *)out.data, (int)out.len, "Signature.xml", NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    xmlNode *root = xmlDocGetRootElement(doc);
    assert_string_equal((const char *)root->ns->href, "http://www.ofdspec.org/2016");
    xmlChar *file_ref =
        xmlGetProp(root->children->children->next->next->next->children->next, BAD_CAST "FileRef");
    assert_string_equal((const char *)file_ref, "/Doc_0/Res/a&b.png");
    xmlFree(file_ref);
    xmlFreeDoc(doc);
    seal_buf_clear(&out);
}

static void test_without_seal_or_stamps(void **state)
{
    (void)state;
    ofd_sig_ref refs[2];
    ofd_sig_annot annots[2];
    ofd_sig_info info = sample(refs, annots);
    info.seal_path = NULL;
    info.n_annots = 0;
    info.provider_version = NULL;
    seal_buf out = SEAL_BUF_INIT;
    assert_int_equal(ofd_signature_xml_write(&out, &info), 0);
    seal_buf_append_byte(&out, 0);
    const char *xml = (const char *)out.data;
    assert_null(strstr(xml, "StampAnnot"));
    assert_null(strstr(xml, "ofd:Seal>"));
    assert_null(strstr(xml, "Version="));
    assert_non_null(strstr(xml, "</ofd:References></ofd:SignedInfo><ofd:SignedValue>"));
    seal_buf_clear(&out);

    info.check_method = NULL;
    assert_int_equal(ofd_signature_xml_write(&out, &info), SEAL_EINVAL);
    assert_int_equal(out.len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_exact_bytes),
        cmocka_unit_test(test_without_seal_or_stamps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
