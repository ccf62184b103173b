/* OFD package and XML safety: hostile zips built here with libzip ("../x", absolute and
 * backslash names, duplicate names, a high-ratio bomb, too many entries, too much in all,
 * encrypted entries, an entry that inflates past its recorded size) and hostile XML
 * (external entity, billion laughs, deep nesting) are refused with a message naming the
 * problem; path resolution follows GB/T 33190 and never leaves the root. */
#include "testutil.h"

#include "ofd/ofd_xml.h"

#include <seal/error.h>
#include <seal/ofd.h>

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

static const char OFD_XML[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ofd:OFD xmlns:ofd=\"http://www.ofdspec.org/2016\" Version=\"1.0\" DocType=\"OFD\">"
    "<ofd:DocBody><ofd:DocInfo><ofd:DocID>x</ofd:DocID></ofd:DocInfo>"
    "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>";

static const char DOCUMENT_XML[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ofd:Document xmlns:ofd=\"http://www.ofdspec.org/2016\"><ofd:CommonData>"
    "<ofd:MaxUnitID>3</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297"
    "</ofd:PhysicalBox></ofd:PageArea></ofd:CommonData><ofd:Pages>"
    "<ofd:Page ID=\"1\" BaseLoc=\"Pages/Page_0/Content.xml\"/></ofd:Pages></ofd:Document>";

static const char CONTENT_XML[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ofd:Page xmlns:ofd=\"http://www.ofdspec.org/2016\"><ofd:Content><ofd:Layer ID=\"2\"/>"
    "</ofd:Content></ofd:Page>";

typedef struct zip_builder {
    zip_source_t *src;
    zip_t *zip;
    zip_error_t error;
} zip_builder;

static void zb_start(zip_builder *b)
{
    zip_error_init(&b->error);
    b->src = zip_source_buffer_create(NULL, 0, 0, &b->error);
    assert_non_null(b->src);
    zip_source_keep(b->src);
    b->zip = zip_open_from_source(b->src, ZIP_TRUNCATE, &b->error);
    assert_non_null(b->zip);
}

/* Adds an entry (deflated) and returns its index. */
static zip_int64_t zb_add(zip_builder *b, const char *name, const void *data, size_t len)
{
    void *copy = malloc(len ? len : 1);
    memcpy(copy, data, len);
    zip_source_t *s = zip_source_buffer(b->zip, copy, len, 1);
    assert_non_null(s);
    zip_int64_t idx = zip_file_add(b->zip, name, s, ZIP_FL_ENC_UTF_8);
    assert_true(idx >= 0);
    return idx;
}

static void zb_add_str(zip_builder *b, const char *name, const char *text)
{
    zb_add(b, name, text, strlen(text));
}

/* A minimal valid package: OFD.xml, Document.xml, one page. */
static void zb_add_minimal(zip_builder *b)
{
    zb_add_str(b, "OFD.xml", OFD_XML);
    zb_add_str(b, "Doc_0/Document.xml", DOCUMENT_XML);
    zb_add_str(b, "Doc_0/Pages/Page_0/Content.xml", CONTENT_XML);
}

/* Closes the archive and returns its bytes (malloc'd). */
static uint8_t *zb_finish(zip_builder *b, size_t *len)
{
    assert_int_equal(zip_close(b->zip), 0);
    zip_stat_t st;
    assert_int_equal(zip_source_stat(b->src, &st), 0);
    uint8_t *bytes = malloc(st.size ? st.size : 1);
    assert_int_equal(zip_source_open(b->src), 0);
    assert_int_equal(zip_source_read(b->src, bytes, st.size), (zip_int64_t)st.size);
    zip_source_close(b->src);
    zip_source_free(b->src);
    zip_error_fini(&b->error);
    *len = st.size;
    return bytes;
}

/* Replaces every occurrence of `from` by `to` (same length) in the archive bytes: how a
 * test makes names that libzip itself refuses to write. */
static void patch_bytes(uint8_t *data, size_t len, const char *from, const char *to)
{
    size_t n = strlen(from);
    assert_int_equal(n, strlen(to));
    int hits = 0;
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(data + i, from, n) == 0) {
            memcpy(data + i, to, n);
            hits++;
        }
    assert_true(hits >= 2); /* local header and central directory */
}

/* Opens the bytes, expects `code`, and checks the message contains `needle`. */
static void expect_refused(const uint8_t *data, size_t len, const seal_ofd_limits *limits, int code,
                           const char *needle)
{
    seal_ofd *doc = NULL;
    int rc = seal_ofd_open_mem(&doc, data, len, limits);
    if (rc != code || !strstr(seal_error_last(), needle))
        fail_msg("expected %d containing \"%s\", got %d: %s", code, needle, rc, seal_error_last());
    assert_null(doc);
}

static void test_minimal_package_opens(void **state)
{
    (void)state;
    zip_builder b;
    size_t len;
    zb_start(&b);
    zb_add_minimal(&b);
    uint8_t *data = zb_finish(&b, &len);
    seal_ofd *doc = NULL;
    assert_int_equal(seal_ofd_open_mem(&doc, data, len, NULL), 0);
    assert_int_equal(seal_ofd_page_count(doc), 1);
    assert_int_equal(seal_ofd_entry_count(doc), 3);
    seal_slice bytes;
    assert_int_equal(seal_ofd_entry_read(doc, "/Doc_0/Document.xml", &bytes), 0);
    assert_int_equal(bytes.len, strlen(DOCUMENT_XML));
    assert_memory_equal(bytes.data, DOCUMENT_XML, bytes.len);
    assert_int_equal(seal_ofd_entry_read(doc, "Doc_0/missing.xml", &bytes), SEAL_ENOTFOUND);
    seal_ofd_free(doc);
    free(data);
}

static void test_escaping_names_refused(void **state)
{
    (void)state;
    static const struct {
        const char *name, *needle;
    } cases[] = {
        {"../x", "\"..\""},          {"Doc_0/../../x", "\"..\""},
        {"/etc/passwd", "absolute"}, {"Doc_0\\..\\..\\x", "backslash"},
        {"C:/x", "drive"},           {"Doc_0//x", "empty"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        zip_builder b;
        size_t len;
        zb_start(&b);
        zb_add_minimal(&b);
        zb_add_str(&b, cases[i].name, "evil");
        uint8_t *data = zb_finish(&b, &len);
        expect_refused(data, len, NULL, SEAL_EFORMAT, cases[i].needle);
        free(data);
    }
}

static void test_duplicate_names_refused(void **state)
{
    (void)state;
    zip_builder b;
    size_t len;
    zb_start(&b);
    zb_add_minimal(&b);
    zb_add_str(&b, "Doc_0/PublicRes.xml", "<a/>");
    zb_add_str(&b, "Doc_0/PublicRes.xmm", "<b/>");
    uint8_t *data = zb_finish(&b, &len);
    patch_bytes(data, len, "Doc_0/PublicRes.xmm", "Doc_0/PublicRes.xml");
    expect_refused(data, len, NULL, SEAL_EFORMAT, "appears twice");
    free(data);
}

static void test_zip_bomb_refused(void **state)
{
    (void)state;
    zip_builder b;
    size_t len, big = (size_t)4 << 20;
    uint8_t *zeros = calloc(1, big);
    zb_start(&b);
    zb_add_minimal(&b);
    zb_add(&b, "Doc_0/Res/bomb.bin", zeros, big);
    uint8_t *data = zb_finish(&b, &len);
    assert_true(len < big / 200); /* it is a bomb: deflate shrinks zeros ~1000 times */
    expect_refused(data, len, NULL, SEAL_EPOLICY, "zip bomb");
    free(data);
    free(zeros);
}

static void test_size_limits_refused(void **state)
{
    (void)state;
    zip_builder b;
    size_t len;
    char name[64];
    seal_ofd_limits lim;

    zb_start(&b);
    zb_add_minimal(&b);
    for (int i = 0; i < 10; i++) {
        snprintf(name, sizeof name, "Doc_0/Res/f%d.txt", i);
        zb_add_str(&b, name, "some text that compresses a little, a little, a little");
    }
    uint8_t *data = zb_finish(&b, &len);
    seal_ofd_limits_default(&lim);
    lim.max_entries = 12;
    expect_refused(data, len, &lim, SEAL_EPOLICY, "13 entries, more than the limit of 12");
    seal_ofd_limits_default(&lim);
    lim.max_entry_size = 100;
    expect_refused(data, len, &lim, SEAL_EPOLICY, "more than the limit of 100");
    seal_ofd_limits_default(&lim);
    lim.max_total_size = 1000;
    expect_refused(data, len, &lim, SEAL_EPOLICY, "more than 1000 bytes in all");
    seal_ofd_limits_default(&lim);
    lim.max_xml_size = 100;
    expect_refused(data, len, &lim, SEAL_EPOLICY, "OFD.xml is");
    free(data);
}

static void test_encrypted_entry_refused(void **state)
{
    (void)state;
    zip_builder b;
    size_t len;
    zb_start(&b);
    zb_add_minimal(&b);
    zip_int64_t idx = zb_add(&b, "Doc_0/secret.xml", "<a/>", 4);
    if (zip_file_set_encryption(b.zip, (zip_uint64_t)idx, ZIP_EM_AES_256, "pw") != 0) {
        zip_close(b.zip);
        skip();
    }
    uint8_t *data = zb_finish(&b, &len);
    expect_refused(data, len, NULL, SEAL_EUNSUPPORTED, "encrypted");
    free(data);
}

/* The central directory says 100 bytes; the deflate stream gives 5000. */
static void test_entry_larger_than_recorded_refused(void **state)
{
    (void)state;
    zip_builder b;
    size_t len;
    char *text = malloc(5001);
    memset(text, 'a', 5000);
    text[5000] = '\0';
    zb_start(&b);
    zb_add_minimal(&b);
    zb_add_str(&b, "Doc_0/Res/long.txt", text);
    uint8_t *data = zb_finish(&b, &len);
    /* Uncompressed size 5000 = 0x1388, little-endian 88 13 00 00, in both headers. */
    const uint8_t from[] = {0x88, 0x13, 0x00, 0x00}, to[] = {100, 0, 0, 0};
    int hits = 0;
    for (size_t i = 0; i + 4 <= len; i++)
        if (memcmp(data + i, from, 4) == 0) {
            memcpy(data + i, to, 4);
            hits++;
        }
    assert_int_equal(hits, 2);
    seal_ofd *doc = NULL;
    assert_int_equal(seal_ofd_open_mem(&doc, data, len, NULL), 0);
    seal_slice bytes;
    int rc = seal_ofd_entry_read(doc, "Doc_0/Res/long.txt", &bytes);
    assert_int_equal(rc, SEAL_EFORMAT);
    assert_non_null(strstr(seal_error_last(), "long.txt"));
    seal_ofd_free(doc);
    free(data);
    free(text);
}

static void test_not_a_package(void **state)
{
    (void)state;
    const char junk[] = "PK\3\4 this is not really a zip file at all";
    expect_refused((const uint8_t *)junk, sizeof junk, NULL, SEAL_EFORMAT, "not a readable");
    zip_builder b;
    size_t len;
    zb_start(&b);
    zb_add_str(&b, "hello.txt", "hello");
    uint8_t *data = zb_finish(&b, &len);
    expect_refused(data, len, NULL, SEAL_EFORMAT, "no OFD.xml");
    free(data);
}

/* Bytes before the archive (OFD-SEAL.md 7) are skipped; the entries read as stored. */
static void test_bytes_before_archive(void **state)
{
    (void)state;
    zip_builder b;
    size_t len;
    zb_start(&b);
    zb_add_minimal(&b);
    uint8_t *data = zb_finish(&b, &len);
    uint8_t *prefixed = malloc(len + 300);
    memset(prefixed, 'X', 300);
    memcpy(prefixed + 300, data, len);
    seal_ofd *doc = NULL;
    assert_int_equal(seal_ofd_open_mem(&doc, prefixed, len + 300, NULL), 0);
    seal_slice bytes;
    assert_int_equal(seal_ofd_entry_read(doc, "Doc_0/Document.xml", &bytes), 0);
    assert_memory_equal(bytes.data, DOCUMENT_XML, strlen(DOCUMENT_XML));
    seal_ofd_free(doc);
    /* The same from a file. */
    const char *path = test_path(test_tmpdir(), "prefixed.ofd");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(prefixed, 1, len + 300, f), len + 300);
    fclose(f);
    assert_int_equal(seal_ofd_open(&doc, path, NULL), 0);
    assert_int_equal(seal_ofd_page_count(doc), 1);
    seal_ofd_free(doc);
    assert_int_equal(seal_ofd_open(&doc, test_path(test_tmpdir(), "missing.ofd"), NULL), SEAL_EIO);
    free(prefixed);
    free(data);
}

static void xml_refused(const char *xml, int code, const char *needle)
{
    xmlDoc *doc = NULL;
    int rc = seal_ofd_xml_parse(&doc, (const uint8_t *)xml, strlen(xml), "test.xml", NULL);
    if (rc != code || !strstr(seal_error_last(), needle))
        fail_msg("expected %d containing \"%s\", got %d: %s", code, needle, rc, seal_error_last());
    assert_null(doc);
}

static void test_hostile_xml_refused(void **state)
{
    (void)state;
    xml_refused("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                "<r>&x;</r>",
                SEAL_EFORMAT, "document type declaration");
    xml_refused("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
                "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
                "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"
                "<lolz>&lol3;</lolz>",
                SEAL_EFORMAT, "document type declaration");
    xml_refused("<r><a></r>", SEAL_EFORMAT, "not well-formed");
    xml_refused("", SEAL_EFORMAT, "empty");
    GString *deep = g_string_new("");
    for (int i = 0; i < 200; i++)
        g_string_append(deep, "<a>");
    for (int i = 0; i < 200; i++)
        g_string_append(deep, "</a>");
    xml_refused(deep->str, SEAL_EPOLICY, "levels deep");
    g_string_free(deep, TRUE);
}

/* The same hostile XML inside a package: OFD.xml with an external entity. */
static void test_package_with_entity_refused(void **state)
{
    (void)state;
    zip_builder b;
    size_t len;
    zb_start(&b);
    zb_add_str(&b, "OFD.xml",
               "<?xml version=\"1.0\"?><!DOCTYPE o [<!ENTITY x SYSTEM \"http://127.0.0.1:1/\">]>"
               "<ofd:OFD xmlns:ofd=\"http://www.ofdspec.org/2016\"><ofd:DocBody>"
               "<ofd:DocRoot>&x;</ofd:DocRoot></ofd:DocBody></ofd:OFD>");
    uint8_t *data = zb_finish(&b, &len);
    expect_refused(data, len, NULL, SEAL_EFORMAT, "OFD.xml has a document type declaration");
    free(data);
}

static void resolves(const char *base, const char *ref, const char *want)
{
    char *got = NULL;
    int rc = seal_ofd_resolve(&got, base, ref);
    if (rc != 0 || strcmp(got, want) != 0)
        fail_msg("resolve(%s, %s): rc %d, got %s, want %s (%s)", base ? base : "NULL", ref, rc,
                 got ? got : "NULL", want, seal_error_last());
    free(got);
}

static void test_resolve(void **state)
{
    (void)state;
    resolves("OFD.xml", "Doc_0/Document.xml", "Doc_0/Document.xml");
    resolves("OFD.xml", "/Doc_0/Document.xml", "Doc_0/Document.xml");
    resolves("Doc_0/Document.xml", "Pages/Page_0/Content.xml", "Doc_0/Pages/Page_0/Content.xml");
    resolves("Doc_0/Signs/Signatures.xml", "/Doc_0/Signs/Sign_0/Signature.xml",
             "Doc_0/Signs/Sign_0/Signature.xml");
    resolves("Doc_0/Signs/Signatures.xml", "Sign_0/Signature.xml",
             "Doc_0/Signs/Sign_0/Signature.xml");
    resolves("Doc_0/Pages/Page_0/Content.xml", "../../Res/a.png", "Doc_0/Res/a.png");
    resolves("Doc_0/Document.xml", " ./Res\\img.png ", "Doc_0/Res/img.png");
    resolves(NULL, "Doc_0/x.xml", "Doc_0/x.xml");
    char *got = NULL;
    assert_int_equal(seal_ofd_resolve(&got, "Doc_0/Document.xml", "../../x"), SEAL_EFORMAT);
    assert_non_null(strstr(seal_error_last(), "outside the package"));
    assert_null(got);
    assert_int_equal(seal_ofd_resolve(&got, "OFD.xml", "  "), SEAL_EFORMAT);
    assert_int_equal(seal_ofd_resolve(&got, "OFD.xml", "/"), SEAL_EFORMAT);
}

/* Relative paths meant from the root are tolerated (OFD-SEAL.md 7). */
static void test_locate_tolerates_root_relative(void **state)
{
    (void)state;
    zip_builder b;
    size_t len;
    zb_start(&b);
    zb_add_minimal(&b);
    zb_add_str(&b, "Doc_0/Res/a.png", "x");
    uint8_t *data = zb_finish(&b, &len);
    seal_ofd *doc = NULL;
    assert_int_equal(seal_ofd_open_mem(&doc, data, len, NULL), 0);
    char *path = NULL;
    assert_int_equal(seal_ofd_locate(doc, &path, "Doc_0/Document.xml", "Doc_0/Res/a.png"), 0);
    assert_string_equal(path, "Doc_0/Res/a.png");
    free(path);
    path = NULL;
    assert_int_equal(seal_ofd_locate(doc, &path, "Doc_0/Document.xml", "Res/b.png"),
                     SEAL_ENOTFOUND);
    assert_string_equal(path, "Doc_0/Res/b.png");
    free(path);
    seal_ofd_free(doc);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimal_package_opens),
        cmocka_unit_test(test_escaping_names_refused),
        cmocka_unit_test(test_duplicate_names_refused),
        cmocka_unit_test(test_zip_bomb_refused),
        cmocka_unit_test(test_size_limits_refused),
        cmocka_unit_test(test_encrypted_entry_refused),
        cmocka_unit_test(test_entry_larger_than_recorded_refused),
        cmocka_unit_test(test_not_a_package),
        cmocka_unit_test(test_bytes_before_archive),
        cmocka_unit_test(test_hostile_xml_refused),
        cmocka_unit_test(test_package_with_entity_refused),
        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_locate_tolerates_root_relative),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
