/* Page ranges as people type them ("1-3,5,last", "2-last", "all", "odd", "even"): the
 * stamp flow turns --pages and --seam's page range into the list of pages that get a
 * widget. Format-neutral: it only needs the document's page count. The text comes from a
 * command line or an HTTP request, so every malformed piece is named in the error. */
#include <seal/error.h>
#include <seal/place.h>

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SPEC_MAX_LEN 4096

typedef struct item {
    const char *text; /* the item as typed, for messages */
    size_t len;
} item;

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static item trim(const char *start, const char *end)
{
    while (start < end && is_space(*start))
        start++;
    while (end > start && is_space(end[-1]))
        end--;
    item it = {start, (size_t)(end - start)};
    return it;
}

static bool item_is(item it, const char *word)
{
    return it.len == strlen(word) && strncasecmp(it.text, word, it.len) == 0;
}

static const char *pages_word(int count)
{
    return count == 1 ? "page" : "pages";
}

/* One page number: digits or "last". */
static int parse_page(int *out, item it, item whole, int page_count)
{
    if (item_is(it, "last")) {
        *out = page_count;
        return 0;
    }
    if (it.len == 0)
        return seal_error_set(SEAL_EINVAL, "page range \"%.*s\" is missing a page number",
                              (int)whole.len, whole.text);
    long value = 0;
    for (size_t i = 0; i < it.len; i++) {
        char c = it.text[i];
        if (c < '0' || c > '9')
            return seal_error_set(SEAL_EINVAL,
                                  "\"%.*s\" is not a page number, a range N-M, \"last\", "
                                  "\"all\", \"odd\" or \"even\"",
                                  (int)whole.len, whole.text);
        if (value <= INT_MAX / 10)
            value = value * 10 + (c - '0');
        if (value > INT_MAX / 10)
            value = INT_MAX; /* certainly beyond the document; keep reading the digits */
    }
    if (value == 0)
        return seal_error_set(SEAL_EINVAL, "page 0 in \"%.*s\": pages are numbered from 1",
                              (int)whole.len, whole.text);
    if (value > page_count) {
        if (value == INT_MAX)
            return seal_error_set(SEAL_ENOTFOUND, "page %.*s does not exist (document has %d %s)",
                                  (int)it.len, it.text, page_count, pages_word(page_count));
        return seal_error_set(SEAL_ENOTFOUND, "page %ld does not exist (document has %d %s)", value,
                              page_count, pages_word(page_count));
    }
    *out = (int)value;
    return 0;
}

/* One comma-separated item, as the first and last page and the step between pages. */
static int parse_item(int *first, int *last, int *step, item it, int page_count)
{
    *step = 1;
    if (item_is(it, "all")) {
        *first = 1;
        *last = page_count;
        return 0;
    }
    if (item_is(it, "odd") || item_is(it, "even")) {
        *first = item_is(it, "odd") ? 1 : 2;
        *last = page_count;
        *step = 2;
        if (*first > page_count)
            return seal_error_set(SEAL_ENOTFOUND, "\"%.*s\" names no page of a %d-page document",
                                  (int)it.len, it.text, page_count);
        return 0;
    }
    const char *dash = memchr(it.text, '-', it.len);
    if (!dash) {
        int rc = parse_page(first, it, it, page_count);
        *last = *first;
        return rc;
    }
    int rc = parse_page(first, trim(it.text, dash), it, page_count);
    if (rc < 0)
        return rc;
    rc = parse_page(last, trim(dash + 1, it.text + it.len), it, page_count);
    if (rc < 0)
        return rc;
    if (*last < *first)
        return seal_error_set(SEAL_EINVAL, "page range \"%.*s\" runs backwards (%d to %d)",
                              (int)it.len, it.text, *first, *last);
    return 0;
}

int seal_place_pages_parse(seal_page_set *out, const char *spec, int page_count)
{
    int rc = 0;
    bool *chosen = NULL;
    int *pages = NULL;

    out->pages = NULL;
    out->count = 0;
    SEAL_ENSURE(page_count > 0, SEAL_EINVAL, "the document has no pages");
    SEAL_ENSURE(spec, SEAL_EINVAL, "no page range given");
    size_t spec_len = strnlen(spec, SPEC_MAX_LEN + 1);
    SEAL_ENSURE(spec_len <= SPEC_MAX_LEN, SEAL_EINVAL,
                "the page range is longer than %d characters", SPEC_MAX_LEN);
    SEAL_ENSURE(trim(spec, spec + spec_len).len > 0, SEAL_EINVAL, "the page range is empty");

    chosen = calloc((size_t)page_count, sizeof *chosen);
    SEAL_ENSURE(chosen, SEAL_ENOMEM, "out of memory for a %d-page range", page_count);
    size_t count = 0;
    const char *end = spec + spec_len;
    for (const char *start = spec; start <= end;) {
        const char *comma = memchr(start, ',', (size_t)(end - start));
        const char *stop = comma ? comma : end;
        item it = trim(start, stop);
        SEAL_ENSURE(it.len > 0, SEAL_EINVAL, "page range \"%s\" has an empty item", spec);
        int first, last, step;
        SEAL_TRY(parse_item(&first, &last, &step, it, page_count));
        for (int page = first; page <= last; page += step) {
            SEAL_ENSURE(!chosen[page - 1], SEAL_EINVAL, "page %d is listed twice in \"%s\"", page,
                        spec);
            chosen[page - 1] = true;
            count++;
            if (last - page < step)
                break; /* page + step would pass last (and could overflow at INT_MAX) */
        }
        start = stop + 1;
    }

    pages = malloc(count * sizeof *pages);
    SEAL_ENSURE(pages, SEAL_ENOMEM, "out of memory for a %zu-page range", count);
    size_t n = 0;
    for (int page = 1; page <= page_count; page++)
        if (chosen[page - 1])
            pages[n++] = page;
    out->pages = pages;
    out->count = count;
    pages = NULL;

out:
    free(pages);
    free(chosen);
    return rc;
}

void seal_place_pages_clear(seal_page_set *set)
{
    if (!set)
        return;
    free(set->pages);
    set->pages = NULL;
    set->count = 0;
}
