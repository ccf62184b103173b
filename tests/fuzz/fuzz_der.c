/* Fuzz target for the DER reader (der.c), which verification runs over seals, CMS blobs
 * and certificates taken from documents nobody vouches for. Walks arbitrary bytes as a
 * tree of elements, calls every typed reader on every element, and traps when the reader
 * hands back slices that are not inside the input or do not add up.
 * Build: clang -fsanitize=fuzzer,address,undefined -Ilibseal/include
 *        libseal/src/base/{error,buf,der}.c tests/fuzz/fuzz_der.c -lcrypto */
#include <seal/der.h>
#include <seal/error.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Deeper than any structure we read; bounds the recursion on hostile nesting. */
#define MAX_DEPTH 64

static void require(int cond)
{
    if (!cond)
        __builtin_trap();
}

static int inside(seal_slice inner, const uint8_t *start, size_t len)
{
    return inner.data >= start && inner.len <= len &&
           (size_t)(inner.data - start) <= len - inner.len;
}

static void try_typed_readers(const seal_der_elem *e)
{
    long value;
    char oid[128];
    time_t t;
    seal_slice bits;
    (void)seal_der_read_int(e, &value, "fuzz");
    if (seal_der_read_oid(e, oid, sizeof oid, "fuzz") == 0)
        require(memchr(oid, '\0', sizeof oid) != NULL);
    (void)seal_der_read_time(e, &t, "fuzz");
    if (seal_der_read_bits(e, &bits, "fuzz") == 0)
        require(inside(bits, e->content.data, e->content.len));
    /* A short output buffer must be refused, not overrun. */
    (void)seal_der_read_oid(e, oid, 4, "fuzz");
}

static void walk(seal_slice cur, int depth)
{
    const uint8_t *start = cur.data;
    size_t len = cur.len;
    while (cur.len > 0) {
        uint8_t tag = cur.data[0];
        require(seal_der_peek(&cur, tag));
        seal_der_elem e;
        seal_slice before = cur;
        if (seal_der_next(&cur, &e, "fuzz") < 0) {
            require(cur.data == before.data && cur.len == before.len);
            require(seal_error_last()[0] != '\0');
            return;
        }
        require(e.tag == tag);
        require(e.whole.data == before.data);
        require(inside(e.whole, start, len));
        require(inside(e.content, e.whole.data, e.whole.len));
        require(e.content.data + e.content.len == e.whole.data + e.whole.len);
        require(before.len - cur.len == e.whole.len);
        try_typed_readers(&e);
        /* Constructed (X.690 8.1.2.5), or an OCTET/BIT STRING that may wrap DER as CMS
         * and certificates do. */
        if (depth < MAX_DEPTH && ((tag & 0x20) || tag == SEAL_DER_OCTET_STRING))
            walk(e.content, depth + 1);
        if (depth < MAX_DEPTH && tag == SEAL_DER_BIT_STRING && e.content.len > 0) {
            seal_slice inner = e.content;
            seal_slice_take(&inner, 1, NULL);
            walk(inner, depth + 1);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    walk(seal_slice_of(data, size), 0);
    seal_der_elem e;
    seal_slice cur = seal_slice_of(data, size);
    if (size > 0)
        (void)seal_der_expect(&cur, data[0] ^ 1, &e, "fuzz");
    return 0;
}
