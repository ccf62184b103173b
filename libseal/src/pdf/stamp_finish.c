/* Stamping a PDF, second phase: the CMS is assembled around the signature made over the
 * prepared signed attributes (with the signature timestamp token for PAdES B-T), checked
 * against the gap reserved for it, hex-filled into /Contents of the prepared file, synced
 * and renamed onto the output. In the process that prepared it, from what prepare kept in
 * memory (`live`); in another, from the saved state and the prepared file alone, whose
 * signed byte ranges are checked against what the signature covers before anything is
 * written. Any failure before the rename leaves the prepared file as it was, so that a
 * finish can be tried again. */
#include "doc_pdf.h"
#include "ltv_internal.h"

#include <seal/cms.h>
#include <seal/error.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK (1u << 20)

/* The gap's new text between '<' and '>': the CMS in hex, then '0's to the end of the gap
 * (ISO 32000-1 12.8.1: /Contents is a hex string of the DER, padded with zeros). The
 * whole gap is always written, so no trace of an earlier attempt can remain in it. */
static int gap_text(seal_buf *hex, const pdf_stamp_state *st, const seal_buf *cms)
{
    int rc = 0;
    size_t room = (size_t)(st->contents_len - 2) / 2;
    SEAL_ENSURE(cms->len <= room, SEAL_ECRYPTO,
                "the signature's CMS needs %zu bytes, more than the %zu bytes reserved for it "
                "when the stamp was prepared: the signer's signature or the timestamp token "
                "is larger than announced",
                cms->len, room);
    SEAL_TRY(seal_hex_encode(hex, cms->data, cms->len, false));
    SEAL_TRY(seal_buf_reserve(hex, 2 * room - hex->len));
    memset(hex->data + hex->len, '0', 2 * room - hex->len);
    hex->len = 2 * room;
out:
    return rc;
}

/* Feeds [from, to) of the file to both digests. */
static int hash_span(int fd, const char *path, uint64_t from, uint64_t to, EVP_MD_CTX *a,
                     EVP_MD_CTX *b, uint8_t *chunk)
{
    while (from < to) {
        size_t want = to - from < READ_CHUNK ? (size_t)(to - from) : READ_CHUNK;
        ssize_t n = pread(fd, chunk, want, (off_t)from);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return seal_error_set(SEAL_EIO, "cannot read the prepared file %s: %s", path,
                                  n < 0 ? strerror(errno) : "it is shorter than prepared");
        if (EVP_DigestUpdate(a, chunk, (size_t)n) != 1 ||
            EVP_DigestUpdate(b, chunk, (size_t)n) != 1)
            return seal_error_set(SEAL_ECRYPTO, "cannot hash the prepared file %s", path);
        from += (uint64_t)n;
    }
    return 0;
}

/* A finish in another process: the prepared file is opened by name, must be as prepare
 * left it (its size, and its signed byte ranges hashing to what the signature covers),
 * and is read once for that and for the output's digest (the same bytes, the gap filled
 * with `hex`). On success *fd is the file, open for writing. */
static int open_prepared(int *fd_out, const seal_pending_stamp *p, const pdf_stamp_state *st,
                         const seal_buf *hex, uint8_t *after, unsigned *after_len)
{
    int rc = 0;
    int fd = -1;
    uint8_t *chunk = NULL;
    EVP_MD_CTX *ranges = EVP_MD_CTX_new(), *whole = EVP_MD_CTX_new();
    uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned digest_len = 0;
    SEAL_ENSURE(ranges && whole, SEAL_ENOMEM, "out of memory");
    fd = open(p->prepared, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    SEAL_ENSURE(fd >= 0, SEAL_EIO, "cannot open the prepared file %s: %s%s", p->prepared,
                strerror(errno),
                errno == ENOENT ? " (the stamp was finished or abandoned already)" : "");
    struct stat sb;
    SEAL_ENSURE(fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode), SEAL_EIO,
                "the prepared file %s is not a regular file", p->prepared);
    SEAL_ENSURE((uint64_t)sb.st_size == st->size, SEAL_EFORMAT,
                "the prepared file %s has %llu bytes, not the %llu it was prepared with: it "
                "changed since",
                p->prepared, (unsigned long long)sb.st_size, (unsigned long long)st->size);

    chunk = malloc(READ_CHUNK);
    SEAL_ENSURE(chunk, SEAL_ENOMEM, "out of memory");
    uint64_t gap_end = st->contents_at + st->contents_len;
    SEAL_ENSURE(EVP_DigestInit_ex(ranges, st->md, NULL) == 1 &&
                    EVP_DigestInit_ex(whole, st->md, NULL) == 1,
                SEAL_ECRYPTO, "cannot start the document digest");
    SEAL_TRY(hash_span(fd, p->prepared, 0, st->contents_at, ranges, whole, chunk));
    SEAL_ENSURE(EVP_DigestUpdate(whole, "<", 1) == 1 &&
                    EVP_DigestUpdate(whole, hex->data, hex->len) == 1 &&
                    EVP_DigestUpdate(whole, ">", 1) == 1,
                SEAL_ECRYPTO, "cannot hash the output");
    SEAL_TRY(hash_span(fd, p->prepared, gap_end, st->size, ranges, whole, chunk));
    SEAL_ENSURE(EVP_DigestFinal_ex(ranges, digest, &digest_len) == 1 &&
                    EVP_DigestFinal_ex(whole, after, after_len) == 1,
                SEAL_ECRYPTO, "cannot hash the prepared file %s", p->prepared);
    SEAL_ENSURE(digest_len == st->range_digest_len &&
                    CRYPTO_memcmp(digest, st->range_digest, digest_len) == 0,
                SEAL_EFORMAT,
                "the prepared file %s no longer holds the bytes the signature covers: it "
                "changed since it was prepared",
                p->prepared);
    *fd_out = fd;
    fd = -1;
out:
    if (fd >= 0)
        close(fd);
    free(chunk);
    EVP_MD_CTX_free(ranges);
    EVP_MD_CTX_free(whole);
    return rc;
}

/* The output's digest in the process that prepared it: the input's hash state, then the
 * update as it will be written. */
static int live_after_digest(const pdf_stamp_live *live, const pdf_stamp_state *st,
                             const seal_buf *hex, uint8_t *after, unsigned *after_len)
{
    int rc = 0;
    size_t gap = (size_t)(st->contents_at - (st->size - live->update.len));
    const uint8_t *text = live->update.data;
    size_t rest = gap + (size_t)st->contents_len;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    SEAL_ENSURE(md, SEAL_ENOMEM, "out of memory");
    SEAL_ENSURE(EVP_MD_CTX_copy_ex(md, live->input_md) == 1 &&
                    EVP_DigestUpdate(md, text, gap + 1) == 1 &&
                    EVP_DigestUpdate(md, hex->data, hex->len) == 1 &&
                    EVP_DigestUpdate(md, text + rest - 1, live->update.len - rest + 1) == 1 &&
                    EVP_DigestFinal_ex(md, after, after_len) == 1,
                SEAL_ECRYPTO, "cannot hash the output");
out:
    EVP_MD_CTX_free(md);
    return rc;
}

int pdf_doc_finish(seal_pending_stamp *p, const uint8_t *sig, size_t sig_len,
                   const seal_stamp_finish_opts *opts, seal_stamp_digests *digests)
{
    int rc = 0;
    pdf_stamp_live *live = p->live;
    pdf_stamp_state st;
    seal_buf cms = SEAL_BUF_INIT, hex = SEAL_BUF_INIT;
    seal_outfile opened = SEAL_OUTFILE_INIT;
    uint8_t after[EVP_MAX_MD_SIZE];
    unsigned after_len = 0;
    int fd = -1;

    SEAL_ENSURE(p->prepared, SEAL_EINVAL,
                "the stamp has no prepared file: it was finished or abandoned already");
    SEAL_TRY(pdf_stamp_state_load(&st, p->state.data, p->state.len));
    SEAL_TRY(seal_cms_assemble_detached(&cms, p->cert, p->chain, p->to_sign.data, p->to_sign.len,
                                        sig, sig_len));
    if (p->timestamp) {
        SEAL_ENSURE(opts && opts->tsa, SEAL_EINVAL,
                    "the stamp was prepared with a signature timestamp: finishing it needs a "
                    "TSA");
        SEAL_TRY(pdf_timestamp_signature(&cms, opts->tsa, opts->tsa_trust));
    }
    SEAL_TRY(gap_text(&hex, &st, &cms));

    seal_outfile *of = NULL;
    if (live) {
        SEAL_ENSURE(live->of.fd >= 0 && live->of.tmp, SEAL_EIO,
                    "the prepared file %s is gone: an earlier finish failed while writing it",
                    p->prepared);
        SEAL_TRY(live_after_digest(live, &st, &hex, after, &after_len));
        of = &live->of;
    } else {
        SEAL_TRY(open_prepared(&fd, p, &st, &hex, after, &after_len));
        /* From here the prepared file goes the way of every output: written, synced,
         * renamed (or removed when that fails: its contents are then in doubt). */
        opened.fd = fd;
        fd = -1;
        opened.tmp = strdup(p->prepared);
        opened.path = strdup(p->output);
        SEAL_ENSURE(opened.tmp && opened.path, SEAL_ENOMEM, "out of memory");
        of = &opened;
    }
    SEAL_TRY(seal_outfile_write_at(of, hex.data, hex.len, st.contents_at + 1));
    /* The prepared file was private (0600); the output is a document like any other. */
    SEAL_TRY(seal_outfile_commit(of, 0644));
    free(p->prepared);
    p->prepared = NULL;
    if (digests) {
        digests->md = st.md;
        memcpy(digests->before, p->digests.before, sizeof digests->before);
        memcpy(digests->after, after, after_len);
        digests->len = after_len;
    }
out:
    if (opened.fd >= 0) {
        /* Not committed: closed, the prepared file kept for another try. */
        close(opened.fd);
        opened.fd = -1;
    }
    free(opened.tmp);
    free(opened.path);
    if (fd >= 0)
        close(fd);
    seal_buf_clear(&cms);
    seal_buf_clear(&hex);
    return rc;
}

void pdf_doc_abandon(seal_pending_stamp *p)
{
    if (!p || !p->prepared)
        return;
    pdf_stamp_live *live = p->live;
    if (live)
        seal_outfile_abort(&live->of); /* closes and removes the prepared file */
    else
        unlink(p->prepared);
    free(p->prepared);
    p->prepared = NULL;
}
