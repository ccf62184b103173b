/* The loader of libraries used on first use (base/lazy.h): a library is opened and started
 * once however many threads ask at once; a library that cannot be opened, lacks a function
 * or cannot be started gives one error naming what needs it, the library, its soname and
 * what is missing, the same every time it is asked again; and every table libseal fills
 * this way (libqpdf, Poppler-glib, libcurl, libxml2, Cairo, FreeType) names functions the
 * installed libraries have, which otherwise only the first command to need one would find
 * out. */
#include "testutil.h"

#include "base/curl_lazy.h"
#include "base/lazy.h"
#include "ofd/xml_lazy.h"
#include "pdf/poppler_lazy.h"
#include "pdf/qpdf_lazy.h"
#include "render/cairo_lazy.h"

#include <seal/error.h>

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define N_THREADS 8

/* glibc's own soname: a library every test process can open. */
#define LIBC_SONAME "libc.so.6"

static atomic_int starts, refusals;

static const char *start_counted(void)
{
    atomic_fetch_add(&starts, 1);
    return NULL;
}

static const char *start_refused(void)
{
    atomic_fetch_add(&refusals, 1);
    return "the test's hook said no";
}

static __typeof__(getpid) *found_getpid;
static const seal_lazy_symbol libc_symbols[] = {{"getpid", &found_getpid}};
static seal_lazy libc_counted =
    SEAL_LAZY_LIBRARY(LIBC_SONAME, "glibc", "the test", SEAL_EIO, libc_symbols, start_counted);

static void *load_from_thread(void *rc)
{
    *(int *)rc = seal_lazy_load(&libc_counted);
    return NULL;
}

static void test_loads_once_from_many_threads(void **state)
{
    (void)state;
    pthread_t threads[N_THREADS];
    int rc[N_THREADS];
    for (int i = 0; i < N_THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, load_from_thread, &rc[i]), 0);
    for (int i = 0; i < N_THREADS; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        assert_int_equal(rc[i], 0);
    }
    assert_int_equal(atomic_load(&starts), 1);
    assert_non_null(found_getpid);
    assert_int_equal(found_getpid(), getpid());
    assert_int_equal(seal_lazy_load(&libc_counted), 0);
    assert_int_equal(atomic_load(&starts), 1);
}

/* Asks LIB twice: the same code and message both times, MESSAGE among its words. */
static void expect_refusal(seal_lazy *lib, int code, const char *message)
{
    for (int round = 0; round < 2; round++) {
        seal_error_clear();
        assert_int_equal(seal_lazy_load(lib), code);
        if (!strstr(seal_error_last(), message))
            fail_msg("round %d: \"%s\" does not say \"%s\"", round, seal_error_last(), message);
    }
}

static void test_missing_library(void **state)
{
    (void)state;
    static __typeof__(getpid) *slot;
    static const seal_lazy_symbol symbols[] = {{"getpid", &slot}};
    static seal_lazy absent = SEAL_LAZY_LIBRARY("libseal-absent-for-tests.so.0", "libabsent",
                                                "the test", SEAL_EUNSUPPORTED, symbols, NULL);
    expect_refusal(&absent, SEAL_EUNSUPPORTED,
                   "the test needs libabsent (libseal-absent-for-tests.so.0), and it cannot be "
                   "loaded (libseal-absent-for-tests.so.0: cannot open shared object file");
    assert_null(slot);
}

static void test_missing_function(void **state)
{
    (void)state;
    static void (*present)(void), (*absent)(void);
    static const seal_lazy_symbol symbols[] = {{"getpid", &present},
                                               {"seal_no_such_function", &absent}};
    static seal_lazy lib =
        SEAL_LAZY_LIBRARY(LIBC_SONAME, "glibc", "the test", SEAL_EIO, symbols, NULL);
    expect_refusal(&lib, SEAL_EIO,
                   "the test needs glibc (" LIBC_SONAME "), and it has no seal_no_such_function");
}

static void test_start_refused(void **state)
{
    (void)state;
    static void (*slot)(void);
    static const seal_lazy_symbol symbols[] = {{"getpid", &slot}};
    static seal_lazy lib =
        SEAL_LAZY_LIBRARY(LIBC_SONAME, "glibc", "the test", SEAL_EIO, symbols, start_refused);
    expect_refusal(&lib, SEAL_EIO,
                   "the test needs glibc (" LIBC_SONAME "), and it could not be started (the "
                   "test's hook said no)");
    /* Tried once: a refusal is kept, not tried again on every call. */
    assert_int_equal(atomic_load(&refusals), 1);
}

static void test_libseal_tables(void **state)
{
    (void)state;
    assert_int_equal(pdf_qpdf_load(), 0);
    assert_non_null(pdf_qpdf.init);
    assert_non_null(pdf_qpdf.oh_unparse_resolved);
    const pdf_poppler *pp = NULL;
    assert_int_equal(pdf_poppler_get(&pp), 0);
    assert_non_null(pp);
    const seal_curl *cu = NULL;
    assert_int_equal(seal_curl_get(&cu), 0);
    assert_non_null(cu);
    /* A qpdf session through the table: the same library qpdf's own tool is built on. */
    qpdf_data q = qpdf_init();
    assert_non_null(q);
    assert_false(qpdf_has_error(q));
    qpdf_cleanup(&q);
    assert_null(q);

    assert_int_equal(ofd_libxml2_load(), 0);
    assert_non_null(ofd_libxml2.AddChild);
    assert_non_null(ofd_libxml2.TextWriterWriteString);
    /* A tree through the table, and its text freed with libxml2's deallocator, the variable
     * xmlFree reached through its address. */
    xmlDoc *doc = xmlNewDoc(BAD_CAST "1.0");
    assert_non_null(doc);
    xmlNode *root = xmlNewDocNode(doc, NULL, BAD_CAST "Signatures", NULL);
    assert_non_null(root);
    xmlDocSetRootElement(doc, root);
    xmlNodeAddContent(root, BAD_CAST "7");
    xmlChar *text = xmlNodeGetContent(xmlDocGetRootElement(doc));
    assert_string_equal((const char *)text, "7");
    xmlFree(text);
    xmlFreeDoc(doc);

    assert_int_equal(render_cairo_load(), 0);
    assert_non_null(render_cairo.append_path);
    assert_non_null(render_cairo.translate);
    assert_non_null(render_freetype.Done_Face);
    assert_non_null(render_freetype.New_Memory_Face);
    /* A pixel drawn through the table. */
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
    cairo_t *cr = cairo_create(surface);
    cairo_set_source_rgb(cr, 1, 0, 0);
    cairo_paint(cr);
    assert_int_equal(cairo_status(cr), CAIRO_STATUS_SUCCESS);
    cairo_surface_flush(surface);
    assert_int_equal(*(const uint32_t *)(const void *)cairo_image_surface_get_data(surface),
                     0xFFFF0000u);
    cairo_destroy(cr);
    cairo_surface_destroy(surface);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loads_once_from_many_threads),
        cmocka_unit_test(test_missing_library),
        cmocka_unit_test(test_missing_function),
        cmocka_unit_test(test_start_refused),
        cmocka_unit_test(test_libseal_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
