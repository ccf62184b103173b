/* The raw-byte side of PDF signature verification: the revisions of a file (followed
 * from startxref through /Prev), the objects each classic cross-reference section
 * defines, the /Contents hex token in a ByteRange gap, and the BER length of a CMS blob.
 * qpdf gives us the objects; these bounded scanners tell us where in the bytes they are,
 * which is what a ByteRange is about (PDF-SIGN.md 5.1). Internal to src/pdf. */
#ifndef SEAL_PDF_VERIFY_TAIL_H
#define SEAL_PDF_VERIFY_TAIL_H

#include <seal/buf.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct seal_pdf_xref_entry {
    uint32_t id;
    uint32_t gen;
    bool in_use;     /* 'n' (or type 1/2 in a stream); false for 'f' */
    bool in_stream;  /* type 2: inside an object stream */
    uint64_t offset; /* where the object starts ('n', type 1), from the header */
} seal_pdf_xref_entry;

typedef struct seal_pdf_revision {
    size_t xref_offset;
    bool is_stream;     /* a cross-reference stream (ISO 32000-1 7.5.8) */
    uint32_t stream_id; /* its object number and generation, when is_stream */
    uint32_t stream_gen;
    size_t end;                   /* just after this revision's "%%EOF" */
    size_t end_eol;               /* after the end-of-line that follows it (== end when none) */
    seal_pdf_xref_entry *entries; /* what this section defines; classic tables only until
                                   * seal_pdf_xref_stream_entries() fills a stream's */
    size_t n_entries;
} seal_pdf_revision;

/* Newest first: revs[0] is the section the final startxref names. */
typedef struct seal_pdf_tail {
    seal_pdf_revision *revs;
    size_t n_revs;
} seal_pdf_tail;

/* Follows startxref and /Prev from the end of `file`. SEAL_EFORMAT when the chain is
 * broken (no startxref, an offset outside the file or not at a cross-reference section,
 * a loop). */
int seal_pdf_tail_scan(seal_pdf_tail *out, seal_slice file);
void seal_pdf_tail_clear(seal_pdf_tail *t);
/* The revision that ends at `offset` (just after %%EOF, or after its end-of-line), or NULL. */
const seal_pdf_revision *seal_pdf_tail_revision_ending_at(const seal_pdf_tail *t, size_t offset);

/* Decodes the entries of a cross-reference stream (ISO 32000-1 7.5.8.3) from its decoded
 * data, its /W widths and /Index pairs (NULL/0: one subsection from 0 of /Size entries). */
int seal_pdf_xref_stream_entries(seal_pdf_revision *rev, seal_slice data, const uint32_t w[3],
                                 const uint64_t *index, size_t n_index, uint64_t size);

/* Checks that [lt, gt_end) of `file` is one hex string token, '<' hex digits and white
 * space '>' (ISO 32000-1 7.3.4.3), and decodes it into *out. */
int seal_pdf_gap_hex(seal_buf *out, seal_slice file, size_t lt, size_t gt_end);

/* The encoded length of the first BER element of `der` (X.690 8.1; indefinite lengths
 * are followed to their end-of-contents), so the zero padding after a PDF /Contents CMS
 * can be told apart from it. */
int seal_ber_element_length(size_t *out, seal_slice der);

#endif
