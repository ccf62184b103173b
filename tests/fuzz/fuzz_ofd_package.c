/* libFuzzer target: OFD packages (zip bytes) nobody vouches for. Opening with the limits,
 * reading every entry, every page's text and every signature's files must never crash,
 * leak or read out of bounds. Seeds: small OFD files of the shared corpus. */
#include <seal/error.h>
#include <seal/ofd.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    seal_ofd *doc = NULL;
    seal_ofd_limits limits;
    seal_ofd_limits_default(&limits);
    limits.max_entry_size = 16 << 20; /* keep a fuzzing run's memory small */
    limits.max_total_size = 64 << 20;
    if (seal_ofd_open_mem(&doc, data, size, &limits) == 0) {
        seal_slice bytes;
        for (size_t i = 0; i < seal_ofd_entry_count(doc); i++)
            seal_ofd_entry_read(doc, seal_ofd_entry_name(doc, i), &bytes);
        for (int p = 1; p <= seal_ofd_page_count(doc) && p <= 8; p++) {
            seal_ofd_glyph *glyphs = NULL;
            size_t n = 0;
            if (seal_ofd_page_glyphs(doc, p, &glyphs, &n) == 0)
                free(glyphs);
        }
        seal_ofd_free(doc);
    }
    seal_error_clear();
    return 0;
}
