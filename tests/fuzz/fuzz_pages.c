/* Fuzz target for the page-range parser (place/pages.c), which reads --pages and the HTTP
 * API's page ranges as typed by anyone. Parses the input as a range of documents of a
 * few sizes and traps unless the result is ascending, unique and within the document, or
 * an error with a message and no pages.
 * Build: see README.md here (-DSEAL_FUZZ=ON). */
#include <seal/error.h>
#include <seal/place.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void require(int cond)
{
    if (!cond)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *spec = malloc(size + 1);
    if (!spec)
        return 0;
    memcpy(spec, data, size);
    spec[size] = '\0';
    static const int counts[] = {1, 2, 7, 100000};
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        seal_page_set set;
        int rc = seal_place_pages_parse(&set, spec, counts[c]);
        if (rc < 0) {
            require(set.pages == NULL && set.count == 0 && seal_error_last()[0] != '\0');
            continue;
        }
        require(set.count > 0 && set.count <= (size_t)counts[c]);
        for (size_t i = 0; i < set.count; i++) {
            require(set.pages[i] >= 1 && set.pages[i] <= counts[c]);
            require(i == 0 || set.pages[i] > set.pages[i - 1]);
        }
        seal_place_pages_clear(&set);
    }
    free(spec);
    return 0;
}
