/* The OFD document model over the real files of the shared corpus: page counts and sizes
 * (the document's PageArea or a page's own Area), page IDs, templates, resources with
 * their files, annotations, and the signature lists with their references and StampAnnots
 * (expected values read by hand from the files' XML). */
#include "testutil.h"

#include "ofd/ofd_xml.h"

#include <seal/error.h>
#include <seal/ofd.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static seal_ofd *open_corpus(const char *name)
{
    const char *dir = test_corpus_dir();
    if (!dir)
        return NULL;
    char path[1024];
    snprintf(path, sizeof path, "%s/ofd/%s", dir, name);
    seal_ofd *doc = NULL;
    if (seal_ofd_open(&doc, path, NULL) != 0)
        fail_msg("%s: %s", name, seal_error_last());
    return doc;
}

#define OPEN_OR_SKIP(var, name)                                                                    \
    seal_ofd *var = open_corpus(name);                                                             \
    if (!var) {                                                                                    \
        print_message("corpus not found (SEAL_CORPUS); skipping\n");                               \
        skip();                                                                                    \
    }

static void test_page_counts_and_sizes(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        int pages;
        double w, h;
    } cases[] = {
        {"DigitalSign.ofd", 1, 210, 297},
        {"Page5.ofd", 5, 210, 297},
        {"SESV4SignDoc.ofd", 1, 210, 297},
        {"allprotected.ofd", 1, 210, 297},
        {"helloworld.ofd", 1, 210, 297},
        {"invoice-signed.ofd", 1, 210, 140},
        {"keyword.ofd", 1, 283, 196},
        {"keyword2.ofd", 2, 210, 297},
        {"multiKeywordInTextCode.ofd", 1, 210, 297},
        {"seal-v1.ofd", 2, 210, 297},
        {"seam-v4.ofd", 5, 210, 297},
        {"two-seals-v4.ofd", 5, 210, 297},
    };
    if (!test_corpus_dir())
        skip();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        seal_ofd *doc = open_corpus(cases[i].file);
        assert_int_equal(seal_ofd_page_count(doc), cases[i].pages);
        for (int p = 1; p <= cases[i].pages; p++) {
            double w = 0, h = 0;
            if (seal_ofd_page_size_mm(doc, p, &w, &h) != 0)
                fail_msg("%s page %d: %s", cases[i].file, p, seal_error_last());
            assert_float_equal(w, cases[i].w, 1e-9);
            assert_float_equal(h, cases[i].h, 1e-9);
        }
        double w, h;
        assert_int_equal(seal_ofd_page_size_mm(doc, cases[i].pages + 1, &w, &h), SEAL_ENOTFOUND);
        seal_ofd_free(doc);
    }
}

/* keyword.ofd: the page's own Area (283 x 196) overrides the document's A4, its template
 * is drawn in the background, its font has a file under the Res BaseLoc, and the namespace
 * is the older "http://www.ofdspec.org". */
static void test_keyword_model(void **state)
{
    (void)state;
    OPEN_OR_SKIP(doc, "keyword.ofd");
    const seal_ofd_doc_info *info = seal_ofd_info(doc);
    assert_string_equal(info->document_path, "Doc_0/Document.xml");
    assert_string_equal(info->max_unit_id, "23");
    assert_float_equal(info->physical_box.w, 210, 1e-9);
    const seal_ofd_page *page = NULL;
    assert_int_equal(seal_ofd_page_get(doc, 1, &page), 0);
    assert_string_equal(page->id, "1");
    assert_string_equal(page->content_path, "Doc_0/Pages/Page_0/Content.xml");
    assert_int_equal(page->n_templates, 1);
    assert_string_equal(page->templates[0].tpl->content_path, "Doc_0/Tpls/Tpl_0/Content.xml");
    assert_int_equal(page->templates[0].zorder, SEAL_OFD_ZORDER_BACKGROUND);
    const seal_ofd_resource *font = NULL;
    assert_int_equal(seal_ofd_resource_find(doc, 1, "7", &font), 0);
    assert_int_equal(font->kind, SEAL_OFD_RES_FONT);
    assert_string_equal(font->name, "宋体");
    assert_string_equal(font->file_path, "Doc_0/Res/Font7.ttf");
    assert_true(seal_ofd_entry_exists(doc, font->file_path));
    const seal_ofd_resource *image = NULL;
    assert_int_equal(seal_ofd_resource_find(doc, 0, "5", &image), 0);
    assert_int_equal(image->kind, SEAL_OFD_RES_MULTIMEDIA);
    assert_string_equal(image->name, "Image");
    assert_string_equal(image->file_path, "Doc_0/Res/image_1_5.png");
    assert_int_equal(seal_ofd_resource_find(doc, 1, "999", &image), SEAL_ENOTFOUND);
    xmlDoc *xml = NULL;
    assert_int_equal(seal_ofd_page_xml(doc, 1, &xml), 0);
    assert_true(seal_ofd_xml_is(xmlDocGetRootElement(xml), "Page"));
    /* One Seal and one Sign, both readable; the Seal's StampAnnot is on page ID 1. */
    assert_int_equal(seal_ofd_signature_count(doc), 2);
    const seal_ofd_signature *seal = seal_ofd_signature_at(doc, 0);
    assert_int_equal(seal->error, 0);
    assert_true(seal->is_seal);
    assert_string_equal(seal->path, "Doc_0/Signs/Sign_1/Signature.xml");
    assert_string_equal(seal->seal_path, "Doc_0/Signs/Sign_1/Seal.esl");
    assert_int_equal(seal->n_refs, 7);
    assert_int_equal(seal->n_stamps, 1);
    assert_int_equal(seal->stamps[0].page, 1);
    assert_float_equal(seal->stamps[0].boundary.x, 90.0, 1e-9);
    assert_float_equal(seal->stamps[0].boundary.w, 42.0, 1e-9);
    const seal_ofd_signature *sign = seal_ofd_signature_at(doc, 1);
    assert_false(sign->is_seal);
    assert_string_equal(sign->type, "Sign");
    assert_string_equal(sign->signed_value_path, "Doc_0/Signs/Sign_3/SignedValue.dat");
    assert_null(seal_ofd_signature_at(doc, 2));
    seal_ofd_free(doc);
}

/* invoice-signed.ofd: DocumentRes/PublicRes, annotations per page, a template, the
 * signature list at a relative path, 13 references with CheckMethod SM3 by OID. */
static void test_invoice_model(void **state)
{
    (void)state;
    OPEN_OR_SKIP(doc, "invoice-signed.ofd");
    const seal_ofd_doc_info *info = seal_ofd_info(doc);
    assert_string_equal(info->signatures_path, "Doc_0/Signs/Signatures.xml");
    assert_string_equal(info->annotations_path, "Doc_0/Annots/Annotations.xml");
    assert_string_equal(info->attachments_path, "Doc_0/Attachs/Attachments.xml");
    assert_string_equal(info->max_sign_id, "2");
    const seal_ofd_page *page = NULL;
    assert_int_equal(seal_ofd_page_get(doc, 1, &page), 0);
    assert_string_equal(page->annotation_path, "Doc_0/Annots/Page_0/Annotation.xml");
    assert_int_equal(page->n_templates, 1);
    const seal_ofd_resource *media = NULL;
    assert_int_equal(seal_ofd_resource_find(doc, 1, "80", &media), 0);
    assert_string_equal(media->family_name, "GBIG2");
    assert_string_equal(media->file_path, "Doc_0/Res/image_80.jb2");
    const seal_ofd_resource *font = NULL;
    assert_int_equal(seal_ofd_resource_find(doc, 1, "63", &font), 0);
    assert_null(font->file_path);
    assert_int_equal(seal_ofd_signature_count(doc), 1);
    const seal_ofd_signature *sig = seal_ofd_signature_at(doc, 0);
    assert_int_equal(sig->error, 0);
    assert_string_equal(sig->id, "2");
    assert_true(sig->is_seal);
    assert_string_equal(sig->check_method, "1.2.156.10197.1.401");
    assert_string_equal(sig->date_time, "20201004072855.302Z");
    assert_string_equal(sig->provider_name, "gomain_eseal");
    assert_int_equal(sig->n_refs, 13);
    assert_string_equal(sig->refs[12].file_ref, "/OFD.xml");
    assert_string_equal(sig->refs[12].path, "OFD.xml");
    assert_null(sig->seal_path);
    assert_int_equal(sig->n_stamps, 1);
    assert_float_equal(sig->stamps[0].boundary.x, 90.0, 1e-9);
    assert_float_equal(sig->stamps[0].boundary.y, 8.0, 1e-9);
    assert_false(sig->stamps[0].has_clip);
    seal_ofd_free(doc);
}

/* seam-v4 and two-seals-v4 (ofdrw): SignedValue before SignedInfo, string IDs, a seam
 * seal with one StampAnnot per page and Clip slices. */
static void test_seam_model(void **state)
{
    (void)state;
    OPEN_OR_SKIP(doc, "two-seals-v4.ofd");
    assert_string_equal(seal_ofd_info(doc)->max_sign_id, "s008");
    assert_int_equal(seal_ofd_signature_count(doc), 2);
    const seal_ofd_signature *seam = seal_ofd_signature_at(doc, 0);
    assert_int_equal(seam->error, 0);
    assert_string_equal(seam->id, "s001");
    assert_string_equal(seam->check_method, "SM3");
    assert_int_equal(seam->n_stamps, 5);
    static const int pages[] = {1, 2, 3, 4, 5};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(seam->stamps[i].page, pages[i]);
        assert_true(seam->stamps[i].has_clip);
        assert_float_equal(seam->stamps[i].clip.x, 8.0 * (double)i, 1e-9);
        assert_float_equal(seam->stamps[i].clip.w, 8.0, 1e-9);
    }
    assert_string_equal(seam->stamps[1].page_ref, "21");
    assert_string_equal(seam->signed_value_path, "Doc_0/Signs/Sign_0/SignedValue.dat");
    seal_ofd_free(doc);
}

/* seal-v1.ofd: Signatures.xml outside Signs/, Provider with child elements. */
static void test_v1_model(void **state)
{
    (void)state;
    OPEN_OR_SKIP(doc, "seal-v1.ofd");
    assert_string_equal(seal_ofd_info(doc)->signatures_path, "Doc_0/Signatures.xml");
    const seal_ofd_signature *sig = seal_ofd_signature_at(doc, 0);
    assert_non_null(sig);
    assert_int_equal(sig->error, 0);
    assert_string_equal(sig->provider_company, "dms360.cn");
    assert_string_equal(sig->check_method, "1.2.156.10197.1.401.2");
    assert_int_equal(sig->n_stamps, 1);
    assert_int_equal(sig->stamps[0].page, 2);
    seal_ofd_free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_counts_and_sizes),
        cmocka_unit_test(test_keyword_model),
        cmocka_unit_test(test_invoice_model),
        cmocka_unit_test(test_seam_model),
        cmocka_unit_test(test_v1_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
