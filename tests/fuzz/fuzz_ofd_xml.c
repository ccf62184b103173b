/* libFuzzer target: OFD XML from untrusted bytes, through the model. The input goes into
 * a package built here (libzip, in memory) as a page's Content.xml and a Signature.xml,
 * then as Document.xml; opening, reading the page, walking its text and searching it must
 * never crash, leak or read out of bounds, whatever the XML holds (entities, deep nesting,
 * odd numbers, "g" delta lists, paths that try to leave the package).
 * Seeds: tests/fuzz/seeds/fuzz_ofd_xml/. */
#include "ofd/ofd_xml.h"

#include <seal/error.h>
#include <seal/ofd.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char OFD_XML[] =
    "<ofd:OFD xmlns:ofd=\"http://www.ofdspec.org/2016\"><ofd:DocBody>"
    "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>"
    "<ofd:Signatures>Doc_0/Signs/Signatures.xml</ofd:Signatures></ofd:DocBody></ofd:OFD>";
static const char DOCUMENT_XML[] =
    "<ofd:Document xmlns:ofd=\"http://www.ofdspec.org/2016\"><ofd:CommonData>"
    "<ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>"
    "<ofd:TemplatePage ID=\"2\" BaseLoc=\"Pages/Page_0/Content.xml\"/></ofd:CommonData>"
    "<ofd:Pages><ofd:Page ID=\"1\" BaseLoc=\"Pages/Page_0/Content.xml\"/></ofd:Pages>"
    "</ofd:Document>";
static const char CONTENT_XML[] =
    "<ofd:Page xmlns:ofd=\"http://www.ofdspec.org/2016\"><ofd:Content/></ofd:Page>";
static const char SIGNATURES_XML[] =
    "<ofd:Signatures xmlns:ofd=\"http://www.ofdspec.org/2016\"><ofd:MaxSignId>1</ofd:MaxSignId>"
    "<ofd:Signature ID=\"1\" BaseLoc=\"Sign_0/Signature.xml\"/></ofd:Signatures>";

static void add(zip_t *zip, const char *name, const void *data, size_t len)
{
    zip_source_t *src = zip_source_buffer(zip, data, len, 0);
    if (src && zip_file_add(zip, name, src, 0) < 0)
        zip_source_free(src);
}

/* A package whose Document.xml, page content and Signature.xml are the given bytes. */
static uint8_t *package(size_t *out_len, const void *document, size_t document_len,
                        const void *content, size_t content_len, const void *signature,
                        size_t signature_len)
{
    zip_error_t error;
    uint8_t *bytes = NULL;
    zip_error_init(&error);
    zip_source_t *buf = zip_source_buffer_create(NULL, 0, 0, &error);
    if (!buf) {
        zip_error_fini(&error);
        return NULL;
    }
    zip_source_keep(buf);
    zip_t *zip = zip_open_from_source(buf, ZIP_TRUNCATE, &error);
    if (zip) {
        add(zip, "OFD.xml", OFD_XML, strlen(OFD_XML));
        add(zip, "Doc_0/Document.xml", document, document_len);
        add(zip, "Doc_0/Pages/Page_0/Content.xml", content, content_len);
        add(zip, "Doc_0/Signs/Signatures.xml", SIGNATURES_XML, strlen(SIGNATURES_XML));
        add(zip, "Doc_0/Signs/Sign_0/Signature.xml", signature, signature_len);
        zip_stat_t st;
        if (zip_close(zip) < 0) {
            zip_discard(zip);
        } else if (zip_source_stat(buf, &st) == 0 && zip_source_open(buf) == 0) {
            bytes = malloc(st.size ? st.size : 1);
            if (bytes && zip_source_read(buf, bytes, st.size) != (zip_int64_t)st.size) {
                free(bytes);
                bytes = NULL;
            }
            *out_len = st.size;
            zip_source_close(buf);
        }
    }
    zip_source_free(buf);
    zip_error_fini(&error);
    return bytes;
}

static void exercise(const uint8_t *pkg, size_t len)
{
    seal_ofd *doc = NULL;
    if (seal_ofd_open_mem(&doc, pkg, len, NULL) == 0) {
        const seal_ofd_page *page = NULL;
        seal_ofd_glyph *glyphs = NULL;
        seal_ofd_text_hit *hits = NULL;
        size_t n = 0;
        const seal_ofd_resource *res = NULL;
        if (seal_ofd_page_get(doc, 1, &page) == 0) {
            seal_ofd_resource_find(doc, 1, "6", &res);
            if (seal_ofd_page_glyphs(doc, 1, &glyphs, &n) == 0)
                free(glyphs);
            if (seal_ofd_find_text(doc, "合同", &hits, &n) == 0)
                free(hits);
        }
        for (size_t i = 0; i < seal_ofd_signature_count(doc); i++)
            seal_ofd_signature_at(doc, i);
        seal_ofd_free(doc);
    }
    seal_error_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t len = 0;
    uint8_t *pkg = package(&len, DOCUMENT_XML, strlen(DOCUMENT_XML), data, size, data, size);
    if (pkg)
        exercise(pkg, len);
    free(pkg);
    pkg = package(&len, data, size, CONTENT_XML, strlen(CONTENT_XML), CONTENT_XML,
                  strlen(CONTENT_XML));
    if (pkg)
        exercise(pkg, len);
    free(pkg);
    return 0;
}
