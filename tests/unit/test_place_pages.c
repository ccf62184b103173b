/* Page ranges: the pages a user means by "1-3,5,last", "all", "odd", "even", and a clear
 * error naming the mistake for every malformed range or page beyond the document. */
#include "testutil.h"

#include <seal/error.h>
#include <seal/place.h>

#include <stdio.h>
#include <string.h>

static void assert_pages(const char *spec, int page_count, const int *expected, size_t count)
{
    seal_page_set set;
    int rc = seal_place_pages_parse(&set, spec, page_count);
    if (rc < 0)
        fail_msg("\"%s\" of %d pages: %s", spec, page_count, seal_error_last());
    if (set.count != count)
        fail_msg("\"%s\" of %d pages: %zu pages, expected %zu", spec, page_count, set.count, count);
    for (size_t i = 0; i < count; i++)
        if (set.pages[i] != expected[i])
            fail_msg("\"%s\" of %d pages: item %zu is page %d, expected %d", spec, page_count, i,
                     set.pages[i], expected[i]);
    seal_place_pages_clear(&set);
}

static void assert_refused(const char *spec, int page_count, int code, const char *message)
{
    seal_page_set set;
    int rc = seal_place_pages_parse(&set, spec, page_count);
    if (rc != code)
        fail_msg("\"%s\" of %d pages: rc %d, expected %d (%s)", spec, page_count, rc, code,
                 rc < 0 ? seal_error_last() : "accepted");
    if (!strstr(seal_error_last(), message))
        fail_msg("\"%s\": message \"%s\" lacks \"%s\"", spec, seal_error_last(), message);
    assert_null(set.pages);
    assert_int_equal(set.count, 0);
}

static void lists_ranges_and_last(void **state)
{
    (void)state;
    assert_pages("1-3,5,last", 7, (const int[]){1, 2, 3, 5, 7}, 5);
    assert_pages("2-last", 4, (const int[]){2, 3, 4}, 3);
    assert_pages("last", 3, (const int[]){3}, 1);
    assert_pages("1", 1, (const int[]){1}, 1);
    assert_pages("3-3", 5, (const int[]){3}, 1);
    assert_pages("last-last", 2, (const int[]){2}, 1);
}

static void keywords_all_odd_even(void **state)
{
    (void)state;
    assert_pages("all", 4, (const int[]){1, 2, 3, 4}, 4);
    assert_pages("odd", 5, (const int[]){1, 3, 5}, 3);
    assert_pages("even", 5, (const int[]){2, 4}, 2);
    assert_pages("even", 2, (const int[]){2}, 1);
    assert_pages("ALL", 2, (const int[]){1, 2}, 2);
    assert_pages("Last", 2, (const int[]){2}, 1);
    assert_pages("odd,4", 4, (const int[]){1, 3, 4}, 3);
}

static void sorted_and_spaces_allowed(void **state)
{
    (void)state;
    assert_pages(" 5 , 1 - 2 ,\tlast ", 6, (const int[]){1, 2, 5, 6}, 4);
    assert_pages("4,2", 4, (const int[]){2, 4}, 2);
}

static void malformed_ranges_refused(void **state)
{
    (void)state;
    assert_refused("", 3, SEAL_EINVAL, "empty");
    assert_refused("   ", 3, SEAL_EINVAL, "empty");
    assert_refused("1,,2", 3, SEAL_EINVAL, "empty item");
    assert_refused("1,", 3, SEAL_EINVAL, "empty item");
    assert_refused("a", 3, SEAL_EINVAL, "\"a\" is not a page number");
    assert_refused("1-x", 3, SEAL_EINVAL, "\"1-x\" is not a page number");
    assert_refused("1-2-3", 3, SEAL_EINVAL, "\"1-2-3\" is not a page number");
    assert_refused("2-", 3, SEAL_EINVAL, "\"2-\" is missing a page number");
    assert_refused("-2", 3, SEAL_EINVAL, "\"-2\" is missing a page number");
    assert_refused("1.5", 3, SEAL_EINVAL, "not a page number");
    assert_refused("3-1", 3, SEAL_EINVAL, "\"3-1\" runs backwards (3 to 1)");
    assert_refused("0", 3, SEAL_EINVAL, "pages are numbered from 1");
    assert_refused("0-2", 3, SEAL_EINVAL, "pages are numbered from 1");
    assert_refused("1-3,2", 3, SEAL_EINVAL, "page 2 is listed twice in \"1-3,2\"");
    assert_refused("last,3", 3, SEAL_EINVAL, "page 3 is listed twice");
    assert_refused("all,odd", 3, SEAL_EINVAL, "page 1 is listed twice");
    assert_refused(NULL, 3, SEAL_EINVAL, "no page range");
}

static void pages_beyond_the_document_refused(void **state)
{
    (void)state;
    assert_refused("7", 5, SEAL_ENOTFOUND, "page 7 does not exist (document has 5 pages)");
    assert_refused("1-6", 5, SEAL_ENOTFOUND, "page 6 does not exist (document has 5 pages)");
    assert_refused("2", 1, SEAL_ENOTFOUND, "page 2 does not exist (document has 1 page)");
    assert_refused("99999999999999999999", 5, SEAL_ENOTFOUND,
                   "page 99999999999999999999 does not exist");
    assert_refused("even", 1, SEAL_ENOTFOUND, "\"even\" names no page of a 1-page document");
    assert_refused("1", 0, SEAL_EINVAL, "no pages");
}

static void oversized_spec_refused(void **state)
{
    (void)state;
    char spec[5000];
    memset(spec, '1', sizeof spec - 1);
    spec[sizeof spec - 1] = '\0';
    assert_refused(spec, 3, SEAL_EINVAL, "longer than 4096 characters");
}

static void large_document_all_pages(void **state)
{
    (void)state;
    seal_page_set set;
    assert_int_equal(seal_place_pages_parse(&set, "all", 100000), 0);
    assert_int_equal(set.count, 100000);
    assert_int_equal(set.pages[0], 1);
    assert_int_equal(set.pages[99999], 100000);
    seal_place_pages_clear(&set);
    seal_place_pages_clear(&set);
    seal_place_pages_clear(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lists_ranges_and_last),
        cmocka_unit_test(keywords_all_odd_even),
        cmocka_unit_test(sorted_and_spaces_allowed),
        cmocka_unit_test(malformed_ranges_refused),
        cmocka_unit_test(pages_beyond_the_document_refused),
        cmocka_unit_test(oversized_spec_refused),
        cmocka_unit_test(large_document_all_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
