/* Bounded scanners over the raw bytes of a PDF for the verifier: the revision chain
 * (startxref, classic xref tables, xref stream headers, /Prev, %%EOF), the /Contents hex
 * token a ByteRange gap must be, and BER element lengths. Every read goes through a
 * position checked against the slice length; these parse bytes nobody vouches for and
 * have a fuzz target (tests/fuzz/fuzz_pdf_tail.c). */
#include "verify_tail.h"

#include <seal/error.h>

#include <stdlib.h>
#include <string.h>

/* Limits that no honest file reaches and that keep a hostile one from making us loop or
 * allocate without bound. */
#define MAX_REVISIONS    4096
#define STARTXREF_WINDOW 4096          /* ISO 32000-1 7.5.5: startxref is at the end */
#define TRAILER_WINDOW   (1024 * 1024) /* bytes searched for a trailer's keys */
#define MAX_BER_DEPTH    64

static bool is_space(uint8_t c)
{
    /* ISO 32000-1 7.2.2, Table 1: white-space characters. */
    return c == 0 || c == 9 || c == 10 || c == 12 || c == 13 || c == 32;
}

static bool is_delimiter(uint8_t c)
{
    return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == '{' ||
           c == '}' || c == '/' || c == '%';
}

static bool is_hex(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static uint8_t hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return (uint8_t)(c - '0');
    if (c >= 'a' && c <= 'f')
        return (uint8_t)(c - 'a' + 10);
    return (uint8_t)(c - 'A' + 10);
}

/* The first occurrence of `needle` in [from, to) of `file`, or SIZE_MAX. */
static size_t find(seal_slice file, size_t from, size_t to, const char *needle)
{
    size_t n = strlen(needle);
    if (to > file.len)
        to = file.len;
    if (from >= to || to - from < n)
        return SIZE_MAX;
    const uint8_t *hit = memmem(file.data + from, to - from, needle, n);
    return hit ? (size_t)(hit - file.data) : SIZE_MAX;
}

static size_t rfind(seal_slice file, size_t from, const char *needle)
{
    size_t n = strlen(needle);
    if (file.len < n)
        return SIZE_MAX;
    for (size_t p = file.len - n + 1; p-- > from;)
        if (memcmp(file.data + p, needle, n) == 0)
            return p;
    return SIZE_MAX;
}

static bool starts_with(seal_slice file, size_t pos, const char *word)
{
    size_t n = strlen(word);
    return pos <= file.len && file.len - pos >= n && memcmp(file.data + pos, word, n) == 0;
}

static size_t skip_space(seal_slice file, size_t pos)
{
    while (pos < file.len && is_space(file.data[pos]))
        pos++;
    return pos;
}

/* An unsigned decimal integer after optional white space; false if none or too large. */
static bool read_uint(seal_slice file, size_t *pos, uint64_t *out)
{
    size_t p = skip_space(file, *pos);
    uint64_t v = 0;
    size_t digits = 0;
    while (p < file.len && file.data[p] >= '0' && file.data[p] <= '9') {
        if (v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(file.data[p] - '0');
        p++;
        digits++;
    }
    if (digits == 0)
        return false;
    *pos = p;
    *out = v;
    return true;
}

/* The value of a /Prev key in [from, to), if there is one (ISO 32000-1 7.5.5, Table 15). */
static int find_prev(seal_slice file, size_t from, size_t to, bool *has_prev, uint64_t *prev)
{
    *has_prev = false;
    for (size_t p = from;;) {
        p = find(file, p, to, "/Prev");
        if (p == SIZE_MAX)
            return 0;
        size_t after = p + 5;
        if (after < file.len && !is_space(file.data[after]) && !is_delimiter(file.data[after])) {
            p = after; /* a longer name such as /PrevFoo */
            continue;
        }
        if (!read_uint(file, &after, prev))
            return seal_error_set(
                SEAL_EFORMAT, "the trailer at offset %zu has a /Prev that is not an offset", from);
        *has_prev = true;
        return 0;
    }
}

static int add_entry(seal_pdf_revision *rev, size_t *cap, uint64_t id, uint64_t gen, bool in_use,
                     bool in_stream, uint64_t offset)
{
    if (id > UINT32_MAX || gen > UINT32_MAX)
        return seal_error_set(SEAL_EFORMAT,
                              "the cross-reference section at offset %zu "
                              "names an object number out of range",
                              rev->xref_offset);
    if (rev->n_entries == *cap) {
        size_t grown_cap = *cap ? *cap * 2 : 64;
        seal_pdf_xref_entry *grown = realloc(rev->entries, grown_cap * sizeof *grown);
        if (!grown)
            return seal_error_set(SEAL_ENOMEM, "out of memory reading the cross-reference");
        rev->entries = grown;
        *cap = grown_cap;
    }
    rev->entries[rev->n_entries++] =
        (seal_pdf_xref_entry){(uint32_t)id, (uint32_t)gen, in_use, in_stream, offset};
    return 0;
}

/* A classic cross-reference table (ISO 32000-1 7.5.4): "xref", subsections of
 * "first count" and count entries "offset gen n|f", then "trailer" and its dictionary.
 * Returns the position of the trailer keyword in *trailer_at. */
static int scan_table(seal_pdf_revision *rev, seal_slice file, size_t *trailer_at)
{
    int rc = 0;
    size_t cap = 0;
    size_t pos = rev->xref_offset + 4;
    for (;;) {
        pos = skip_space(file, pos);
        if (starts_with(file, pos, "trailer"))
            break;
        uint64_t first, count;
        SEAL_ENSURE(read_uint(file, &pos, &first) && read_uint(file, &pos, &count), SEAL_EFORMAT,
                    "the cross-reference table at offset %zu is damaged (no subsection "
                    "header or trailer)",
                    rev->xref_offset);
        /* Each entry takes at least 18 bytes ("0 0 n" plus separators are fewer, but the
         * standard fixes 20); this keeps a huge count from meaning a huge loop. */
        SEAL_ENSURE(count <= (file.len - pos) / 5 + 1 && first <= UINT32_MAX, SEAL_EFORMAT,
                    "the cross-reference table at offset %zu claims more entries than the "
                    "file holds",
                    rev->xref_offset);
        for (uint64_t i = 0; i < count; i++) {
            uint64_t offset, gen;
            SEAL_ENSURE(read_uint(file, &pos, &offset) && read_uint(file, &pos, &gen), SEAL_EFORMAT,
                        "the cross-reference table at offset %zu is damaged", rev->xref_offset);
            pos = skip_space(file, pos);
            SEAL_ENSURE(pos < file.len && (file.data[pos] == 'n' || file.data[pos] == 'f'),
                        SEAL_EFORMAT,
                        "the cross-reference table at offset %zu has an entry that is "
                        "neither 'n' nor 'f'",
                        rev->xref_offset);
            SEAL_TRY(add_entry(rev, &cap, first + i, gen, file.data[pos] == 'n', false, offset));
            pos++;
        }
    }
    *trailer_at = pos;
out:
    return rc;
}

static int scan_revision(seal_pdf_revision *rev, seal_slice file, bool *has_prev, uint64_t *prev)
{
    int rc = 0;
    size_t dict_from = 0, dict_to = 0;
    if (starts_with(file, rev->xref_offset, "xref")) {
        SEAL_TRY(scan_table(rev, file, &dict_from));
        dict_to = find(file, dict_from, dict_from + TRAILER_WINDOW, "startxref");
        SEAL_ENSURE(dict_to != SIZE_MAX, SEAL_EFORMAT,
                    "the trailer at offset %zu is not followed by startxref", dict_from);
    } else {
        /* ISO 32000-1 7.5.8: "N G obj << /Type /XRef ... >> stream". */
        size_t pos = rev->xref_offset;
        uint64_t id, gen;
        SEAL_ENSURE(read_uint(file, &pos, &id) && read_uint(file, &pos, &gen) &&
                        starts_with(file, skip_space(file, pos), "obj") && id <= UINT32_MAX &&
                        gen <= UINT32_MAX,
                    SEAL_EFORMAT,
                    "startxref or /Prev points at offset %zu, where there is no "
                    "cross-reference section",
                    rev->xref_offset);
        rev->is_stream = true;
        rev->stream_id = (uint32_t)id;
        rev->stream_gen = (uint32_t)gen;
        dict_from = pos;
        dict_to = find(file, dict_from, dict_from + TRAILER_WINDOW, "stream");
        SEAL_ENSURE(dict_to != SIZE_MAX, SEAL_EFORMAT,
                    "the cross-reference stream at offset %zu has no stream data",
                    rev->xref_offset);
    }
    SEAL_TRY(find_prev(file, dict_from, dict_to, has_prev, prev));

    size_t eof = find(file, dict_to, file.len, "%%EOF");
    SEAL_ENSURE(eof != SIZE_MAX, SEAL_EFORMAT,
                "the revision whose cross-reference is at offset %zu has no %%%%EOF marker",
                rev->xref_offset);
    rev->end = eof + 5;
    rev->end_eol = rev->end;
    if (starts_with(file, rev->end, "\r\n"))
        rev->end_eol += 2;
    else if (starts_with(file, rev->end, "\n") || starts_with(file, rev->end, "\r"))
        rev->end_eol += 1;
out:
    return rc;
}

int seal_pdf_tail_scan(seal_pdf_tail *out, seal_slice file)
{
    int rc = 0;
    memset(out, 0, sizeof *out);
    size_t from = file.len > STARTXREF_WINDOW ? file.len - STARTXREF_WINDOW : 0;
    size_t pos = rfind(file, from, "startxref");
    uint64_t offset;
    SEAL_ENSURE(pos != SIZE_MAX, SEAL_EFORMAT,
                "no startxref near the end of the file: it is not a complete PDF");
    pos += 9;
    SEAL_ENSURE(read_uint(file, &pos, &offset), SEAL_EFORMAT,
                "startxref at the end of the file is not followed by an offset");

    for (;;) {
        SEAL_ENSURE(offset < file.len, SEAL_EFORMAT,
                    "a cross-reference offset (%llu) lies beyond the end of the file (%zu "
                    "bytes)",
                    (unsigned long long)offset, file.len);
        for (size_t i = 0; i < out->n_revs; i++)
            SEAL_ENSURE(out->revs[i].xref_offset != offset, SEAL_EFORMAT,
                        "the /Prev chain of cross-reference sections loops at offset %llu",
                        (unsigned long long)offset);
        SEAL_ENSURE(out->n_revs < MAX_REVISIONS, SEAL_EFORMAT,
                    "the file has more than %d revisions", MAX_REVISIONS);
        seal_pdf_revision *grown = realloc(out->revs, (out->n_revs + 1) * sizeof *grown);
        SEAL_ENSURE(grown, SEAL_ENOMEM, "out of memory reading the revisions");
        out->revs = grown;
        seal_pdf_revision *rev = &out->revs[out->n_revs++];
        memset(rev, 0, sizeof *rev);
        rev->xref_offset = (size_t)offset;
        bool has_prev = false;
        SEAL_TRY(scan_revision(rev, file, &has_prev, &offset));
        if (!has_prev)
            break;
    }
out:
    if (rc < 0)
        seal_pdf_tail_clear(out);
    return rc;
}

void seal_pdf_tail_clear(seal_pdf_tail *t)
{
    for (size_t i = 0; i < t->n_revs; i++)
        free(t->revs[i].entries);
    free(t->revs);
    t->revs = NULL;
    t->n_revs = 0;
}

const seal_pdf_revision *seal_pdf_tail_revision_ending_at(const seal_pdf_tail *t, size_t offset)
{
    for (size_t i = 0; i < t->n_revs; i++)
        if (t->revs[i].end == offset || t->revs[i].end_eol == offset)
            return &t->revs[i];
    return NULL;
}

static bool read_be(seal_slice *cur, uint32_t width, uint64_t *out)
{
    seal_slice field;
    if (!seal_slice_take(cur, width, &field))
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < field.len; i++)
        v = (v << 8) | field.data[i];
    *out = v;
    return true;
}

int seal_pdf_xref_stream_entries(seal_pdf_revision *rev, seal_slice data, const uint32_t w[3],
                                 const uint64_t *index, size_t n_index, uint64_t size)
{
    int rc = 0;
    size_t cap = rev->n_entries;
    uint64_t whole[2] = {0, size};
    if (!index) {
        index = whole;
        n_index = 2;
    }
    SEAL_ENSURE(n_index % 2 == 0 && w[0] <= 8 && w[1] <= 8 && w[2] <= 8 && w[1] > 0, SEAL_EFORMAT,
                "the cross-reference stream at offset %zu has invalid /W or /Index values",
                rev->xref_offset);
    seal_slice cur = data;
    for (size_t s = 0; s < n_index; s += 2) {
        for (uint64_t i = 0; i < index[s + 1]; i++) {
            uint64_t type = 1, field2, field3 = 0;
            /* ISO 32000-1 7.5.8.3, Table 18: a zero-width type field means type 1. */
            SEAL_ENSURE((w[0] == 0 || read_be(&cur, w[0], &type)) && read_be(&cur, w[1], &field2) &&
                            (w[2] == 0 || read_be(&cur, w[2], &field3)),
                        SEAL_EFORMAT,
                        "the cross-reference stream at offset %zu is shorter than its "
                        "/Index says",
                        rev->xref_offset);
            if (index[s] > UINT32_MAX || i > UINT32_MAX - index[s])
                SEAL_FAIL(SEAL_EFORMAT,
                          "the cross-reference stream at offset %zu names an object number "
                          "out of range",
                          rev->xref_offset);
            if (type == 0)
                SEAL_TRY(add_entry(rev, &cap, index[s] + i, field3, false, false, 0));
            else if (type == 1)
                SEAL_TRY(add_entry(rev, &cap, index[s] + i, field3, true, false, field2));
            else if (type == 2)
                SEAL_TRY(add_entry(rev, &cap, index[s] + i, 0, true, true, 0));
            /* Other types are to be ignored (Table 18: "references to the null object"). */
        }
    }
out:
    return rc;
}

int seal_pdf_gap_hex(seal_buf *out, seal_slice file, size_t lt, size_t gt_end)
{
    int rc = 0;
    SEAL_ENSURE(lt < gt_end && gt_end <= file.len && gt_end - lt >= 2, SEAL_EFORMAT,
                "the ByteRange gap [%zu, %zu) is not inside the file", lt, gt_end);
    SEAL_ENSURE(file.data[lt] == '<' && file.data[gt_end - 1] == '>', SEAL_EFORMAT,
                "the ByteRange gap [%zu, %zu) does not start with '<' and end with '>'", lt,
                gt_end);
    seal_buf_clear(out);
    SEAL_TRY(seal_buf_reserve(out, (gt_end - lt) / 2));
    int high = -1;
    for (size_t p = lt + 1; p < gt_end - 1; p++) {
        uint8_t c = file.data[p];
        if (is_space(c))
            continue;
        SEAL_ENSURE(is_hex(c), SEAL_EFORMAT,
                    "the ByteRange gap holds a byte that is not a hex digit at offset %zu", p);
        if (high < 0) {
            high = hex_value(c);
        } else {
            SEAL_TRY(seal_buf_append_byte(out, (uint8_t)(high << 4 | hex_value(c))));
            high = -1;
        }
    }
    /* ISO 32000-1 7.3.4.3: an odd final digit is taken as followed by 0. */
    if (high >= 0)
        SEAL_TRY(seal_buf_append_byte(out, (uint8_t)(high << 4)));
out:
    return rc;
}

static int ber_length(seal_slice der, size_t *out, int depth)
{
    int rc = 0;
    seal_slice cur = der;
    uint8_t tag, first;
    SEAL_ENSURE(depth < MAX_BER_DEPTH, SEAL_EFORMAT, "the CMS nests deeper than %d levels",
                MAX_BER_DEPTH);
    SEAL_ENSURE(seal_slice_byte(&cur, &tag), SEAL_EFORMAT, "the CMS ends inside an element");
    if ((tag & 0x1f) == 0x1f) { /* X.690 8.1.2.4: high tag number form */
        uint8_t b;
        int n = 0;
        do {
            SEAL_ENSURE(seal_slice_byte(&cur, &b) && ++n <= 4, SEAL_EFORMAT,
                        "the CMS has a malformed tag");
        } while (b & 0x80);
    }
    SEAL_ENSURE(seal_slice_byte(&cur, &first), SEAL_EFORMAT, "the CMS ends inside a length");
    if (first == 0x80) {
        /* X.690 8.1.3.6: indefinite form, constructed only, ends with two zero octets. */
        SEAL_ENSURE(tag & 0x20, SEAL_EFORMAT,
                    "the CMS has an indefinite length on a primitive element");
        for (;;) {
            SEAL_ENSURE(cur.len >= 2, SEAL_EFORMAT, "the CMS ends before its end-of-contents");
            if (cur.data[0] == 0 && cur.data[1] == 0) {
                *out = der.len - cur.len + 2;
                goto out;
            }
            size_t child;
            SEAL_TRY(ber_length(cur, &child, depth + 1));
            seal_slice skipped;
            seal_slice_take(&cur, child, &skipped);
        }
    }
    size_t len = first;
    if (first & 0x80) {
        size_t n = first & 0x7f;
        SEAL_ENSURE(n <= sizeof(size_t) && first != 0xff, SEAL_EFORMAT,
                    "the CMS has a length of %zu octets", n);
        len = 0;
        for (size_t i = 0; i < n; i++) {
            uint8_t b;
            SEAL_ENSURE(seal_slice_byte(&cur, &b), SEAL_EFORMAT, "the CMS ends inside a length");
            SEAL_ENSURE(len <= (SIZE_MAX >> 8), SEAL_EFORMAT, "the CMS has an impossible length");
            len = (len << 8) | b;
        }
    }
    SEAL_ENSURE(len <= cur.len, SEAL_EFORMAT, "the CMS claims %zu more bytes than /Contents holds",
                len - cur.len);
    *out = der.len - cur.len + len;
out:
    return rc;
}

int seal_ber_element_length(size_t *out, seal_slice der)
{
    return ber_length(der, out, 0);
}
