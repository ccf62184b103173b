/* libFuzzer target for the verifier's raw-byte PDF scanners (src/pdf/verify_tail.c): the
 * revision chain (startxref, xref tables and stream headers, /Prev, %%EOF), the ByteRange
 * gap hex token, the xref stream entry decoder and the BER length walker. Every revision
 * end must lie inside the input; nothing may crash, leak or read out of bounds.
 * Seeds: every PDF in ../shared/corpus/pdf and PDFs signed by pdfsig.
 * Build: clang -fsanitize=fuzzer,address,undefined -Ilibseal/include -Ilibseal/src
 *        libseal/src/base/{error,buf}.c libseal/src/pdf/verify_tail.c
 *        tests/fuzz/fuzz_pdf_tail.c -lcrypto */
#include "pdf/verify_tail.h"

#include <seal/error.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

static void require(int cond)
{
    if (!cond)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    seal_slice file = seal_slice_of(data, size);
    seal_pdf_tail tail;
    if (seal_pdf_tail_scan(&tail, file) == 0) {
        for (size_t i = 0; i < tail.n_revs; i++) {
            const seal_pdf_revision *rev = &tail.revs[i];
            require(rev->xref_offset < size);
            require(rev->end <= rev->end_eol && rev->end_eol <= size);
            require(seal_pdf_tail_revision_ending_at(&tail, rev->end) != NULL);
        }
        seal_pdf_tail_clear(&tail);
    }

    /* The input as a ByteRange gap: its first and last bytes are '<' and '>'. */
    seal_buf hex = SEAL_BUF_INIT;
    if (seal_pdf_gap_hex(&hex, file, 0, size) == 0) {
        require(hex.len <= size / 2);
        size_t ber_len;
        if (seal_ber_element_length(&ber_len, seal_slice_of(hex.data, hex.len)) == 0)
            require(ber_len <= hex.len);
    }
    seal_buf_clear(&hex);

    size_t ber_len;
    if (seal_ber_element_length(&ber_len, file) == 0)
        require(ber_len >= 2 && ber_len <= size);

    /* The input as decoded xref stream data, with widths taken from its first bytes. */
    if (size >= 3) {
        seal_pdf_revision rev = {0};
        uint32_t w[3] = {data[0] % 9u, data[1] % 9u, data[2] % 9u};
        uint64_t index[2] = {data[0], (uint64_t)(size / 3)};
        if (seal_pdf_xref_stream_entries(&rev, seal_slice_of(data + 3, size - 3), w, index, 2, 0) ==
            0)
            require(rev.n_entries <= size);
        free(rev.entries);
    }
    return 0;
}
