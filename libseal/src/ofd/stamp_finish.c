/* The second phase of an OFD stamp (seal/doc.h): the signature, made here or elsewhere
 * over what stamp.c prepared, becomes SignedValue.dat (a GB/T 38540 SES_Signature, or a
 * CMS), with a timestamp over the signature value when the plan asked for one; the
 * prepared package beside the output gets it as its last entry (stamp_tail.c) and is
 * renamed onto the output. Works from p->live in the process that prepared, else from
 * p->state and p->prepared alone. The caller has checked the signature over p->digest. */
#include "doc_ofd.h"
#include "stamp_internal.h"

#include <seal/cms.h>
#include <seal/error.h>
#include <seal/ses.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* p->state: this magic and version, then the fields of ofd_prepared in order, integers
 * little-endian. */
static const uint8_t STATE_MAGIC[] = {'O', 'F', 'D', 'P', 1};
#define READ_CHUNK (1 << 20)

void ofd_prepared_free(ofd_prepared *pp)
{
    if (!pp)
        return;
    g_free(pp->signed_value_path);
    seal_buf_clear(&pp->central);
    EVP_MD_CTX_free(pp->prefix_md);
    g_free(pp);
}

void ofd_doc_live_free(void *live)
{
    ofd_prepared_free(live);
}

static int put_uint(seal_buf *b, uint64_t v, size_t bytes)
{
    uint8_t le[8];
    for (size_t i = 0; i < bytes; i++)
        le[i] = (uint8_t)(v >> (8 * i));
    return seal_buf_append(b, le, bytes);
}

int ofd_prepared_encode(seal_buf *state, const ofd_prepared *pp)
{
    int rc = 0;
    size_t path_len = strlen(pp->signed_value_path);
    seal_buf_clear(state);
    SEAL_TRY(seal_buf_append(state, STATE_MAGIC, sizeof STATE_MAGIC));
    SEAL_TRY(put_uint(state, pp->type_seal, 1));
    SEAL_TRY(put_uint(state, path_len, 2));
    SEAL_TRY(seal_buf_append(state, pp->signed_value_path, path_len));
    SEAL_TRY(put_uint(state, pp->cd_offset, 8));
    SEAL_TRY(put_uint(state, pp->n_entries, 2));
    SEAL_TRY(put_uint(state, pp->central.len, 4));
    SEAL_TRY(seal_buf_append(state, pp->central.data, pp->central.len));
    SEAL_TRY(seal_buf_append(state, pp->entry_template, OFD_CENTRAL_LEN));
    SEAL_TRY(put_uint(state, pp->prefix_digest_len, 1));
    SEAL_TRY(seal_buf_append(state, pp->prefix_digest, pp->prefix_digest_len));
out:
    return rc;
}

static bool get_uint(seal_slice *s, size_t bytes, uint64_t *v)
{
    seal_slice le;
    if (!seal_slice_take(s, bytes, &le))
        return false;
    *v = 0;
    for (size_t i = 0; i < bytes; i++)
        *v |= (uint64_t)le.data[i] << (8 * i);
    return true;
}

int ofd_prepared_decode(ofd_prepared **out, const uint8_t *state, size_t len)
{
    int rc = 0;
    seal_slice s = seal_slice_of(state, len), magic, path, central, template, digest;
    uint64_t type_seal = 0, path_len = 0, cd_offset = 0, n_entries = 0, central_len = 0,
             digest_len = 0;
    ofd_prepared *pp = g_new0(ofd_prepared, 1);

    bool ok = state && seal_slice_take(&s, sizeof STATE_MAGIC, &magic) &&
              memcmp(magic.data, STATE_MAGIC, sizeof STATE_MAGIC) == 0 &&
              get_uint(&s, 1, &type_seal) && get_uint(&s, 2, &path_len) &&
              seal_slice_take(&s, path_len, &path) && get_uint(&s, 8, &cd_offset) &&
              get_uint(&s, 2, &n_entries) && get_uint(&s, 4, &central_len) &&
              seal_slice_take(&s, central_len, &central) &&
              seal_slice_take(&s, OFD_CENTRAL_LEN, &template) && get_uint(&s, 1, &digest_len) &&
              digest_len <= EVP_MAX_MD_SIZE && seal_slice_take(&s, digest_len, &digest) &&
              s.len == 0 && path_len > 0 && !memchr(path.data, 0, path.len);
    SEAL_ENSURE(ok, SEAL_EFORMAT, "the saved OFD stamp is damaged or from another version");
    pp->type_seal = type_seal != 0;
    pp->signed_value_path = g_strndup((const char *)path.data, path.len);
    pp->cd_offset = cd_offset;
    pp->n_entries = (uint16_t)n_entries;
    SEAL_TRY(seal_buf_set(&pp->central, central.data, central.len));
    memcpy(pp->entry_template, template.data, OFD_CENTRAL_LEN);
    memcpy(pp->prefix_digest, digest.data, digest.len);
    pp->prefix_digest_len = digest.len;
    *out = pp;
    pp = NULL;
out:
    ofd_prepared_free(pp);
    return rc;
}

/* SignedValue.dat. Type=Seal (OFD-SEAL.md 1): SES_Signature { TBS_Sign as prepared, the
 * stamper's certificate, SM2-with-SM3, the signature, and with a TSA a token over the
 * signature value (the content of the signature BIT STRING) }. Type=Sign (OFD-SEAL.md 4):
 * the CMS around the prepared signed attributes; with a TSA a signature-time-stamp as
 * PAdES B-T has. Made before the prepared file is touched, so a TSA that fails leaves the
 * stamp finishable. */
static int make_signed_value(seal_buf *out, const seal_pending_stamp *p, const ofd_prepared *pp,
                             const uint8_t *sig, size_t sig_len, const seal_stamp_finish_opts *opts)
{
    int rc = 0;
    seal_ses_signed parts = {SEAL_BUF_INIT, SEAL_BUF_INIT};
    seal_buf token = SEAL_BUF_INIT;
    const seal_tsp_client *tsa = opts ? opts->tsa : NULL;
    const seal_trust *tsa_trust = opts ? opts->tsa_trust : NULL;

    SEAL_ENSURE(!p->timestamp || tsa, SEAL_EINVAL,
                "the stamp was prepared with a timestamp: finishing it needs a TSA");
    if (pp->type_seal) {
        SEAL_TRY(seal_buf_set(&parts.tbs, p->to_sign.data, p->to_sign.len));
        /* OFD-SEAL.md 3: written DER, also when a token handed back raw r||s; the timestamp
         * covers the value as stored. */
        SEAL_TRY(seal_sm2_signature_der(&parts.signature, sig, sig_len));
        if (p->timestamp)
            SEAL_TRY(ofd_stamp_timestamp(&token, tsa, tsa_trust, parts.signature.data,
                                         parts.signature.len));
        SEAL_TRY(seal_ses_signature_encode(out, &parts, p->cert, token.len ? token.data : NULL,
                                           token.len));
    } else {
        SEAL_TRY(seal_cms_assemble_detached(out, p->cert, p->chain, p->to_sign.data, p->to_sign.len,
                                            sig, sig_len));
        if (p->timestamp)
            SEAL_TRY(ofd_stamp_timestamp_cms(out, tsa, tsa_trust));
    }
out:
    seal_buf_clear(&token);
    seal_ses_signed_clear(&parts);
    return rc;
}

/* The prepared file, open for completing, locked against a second finish of the same
 * stamp; once the lock is held the name must still be this file (a finish that held the
 * lock before has renamed it onto the output). */
static int open_prepared(int *out, const char *path)
{
    int rc = 0;
    struct stat by_fd, by_name;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    SEAL_ENSURE(fd >= 0 || errno != ENOENT, SEAL_ENOTFOUND,
                "the prepared stamp %s is gone: it was finished or abandoned", path);
    SEAL_ENSURE(fd >= 0, SEAL_EIO, "cannot open the prepared stamp %s: %s", path, strerror(errno));
    SEAL_ENSURE(flock(fd, LOCK_EX | LOCK_NB) == 0, SEAL_EPOLICY,
                "the stamp %s is being finished by another process", path);
    SEAL_ENSURE(fstat(fd, &by_fd) == 0 && stat(path, &by_name) == 0 &&
                    by_fd.st_dev == by_name.st_dev && by_fd.st_ino == by_name.st_ino,
                SEAL_ENOTFOUND, "the prepared stamp %s is gone: it was finished or abandoned",
                path);
    *out = fd;
    fd = -1;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

/* The digest of the prepared bytes before the central directory, still open: the live
 * one, or read back from the file and compared with the one prepare saved. */
static int prefix_digest(EVP_MD_CTX **out, int fd, const ofd_prepared *pp, const EVP_MD *md,
                         const char *path)
{
    int rc = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new(), *copy = EVP_MD_CTX_new();
    uint8_t *chunk = NULL, digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    SEAL_ENSURE(ctx && copy, SEAL_ENOMEM, "out of memory");
    if (pp->prefix_md) {
        SEAL_ENSURE(EVP_MD_CTX_copy_ex(ctx, pp->prefix_md), SEAL_ECRYPTO,
                    "cannot hash the prepared package");
        goto done;
    }
    chunk = g_malloc(READ_CHUNK);
    SEAL_ENSURE(EVP_DigestInit_ex(ctx, md, NULL), SEAL_ECRYPTO, "cannot hash the prepared package");
    for (uint64_t at = 0; at < pp->cd_offset;) {
        size_t want = pp->cd_offset - at < READ_CHUNK ? (size_t)(pp->cd_offset - at) : READ_CHUNK;
        ssize_t n = pread(fd, chunk, want, (off_t)at);
        if (n < 0 && errno == EINTR)
            continue;
        SEAL_ENSURE(n >= 0, SEAL_EIO, "cannot read the prepared stamp %s: %s", path,
                    strerror(errno));
        SEAL_ENSURE(n > 0, SEAL_EFORMAT, "the prepared stamp %s is shorter than it was written",
                    path);
        SEAL_ENSURE(EVP_DigestUpdate(ctx, chunk, (size_t)n), SEAL_ECRYPTO,
                    "cannot hash the prepared package");
        at += (uint64_t)n;
    }
    SEAL_ENSURE(EVP_MD_CTX_copy_ex(copy, ctx) && EVP_DigestFinal_ex(copy, digest, &digest_len),
                SEAL_ECRYPTO, "cannot hash the prepared package");
    SEAL_ENSURE(digest_len == pp->prefix_digest_len &&
                    memcmp(digest, pp->prefix_digest, digest_len) == 0,
                SEAL_EFORMAT, "the prepared stamp %s has changed since it was prepared", path);
done:
    *out = ctx;
    ctx = NULL;
out:
    g_free(chunk);
    EVP_MD_CTX_free(ctx);
    EVP_MD_CTX_free(copy);
    return rc;
}

static int write_all(int fd, const seal_buf *b, uint64_t offset, const char *path)
{
    const uint8_t *p = b->data;
    for (size_t left = b->len; left > 0;) {
        ssize_t n = pwrite(fd, p, left, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return seal_error_set(SEAL_EIO, "cannot write %s: %s", path,
                                  n < 0 ? strerror(errno) : "short write");
        p += n;
        left -= (size_t)n;
        offset += (uint64_t)n;
    }
    return 0;
}

int ofd_doc_finish(seal_pending_stamp *p, const uint8_t *sig, size_t sig_len,
                   const seal_stamp_finish_opts *opts, seal_stamp_digests *digests)
{
    int rc = 0, fd = -1;
    ofd_prepared *decoded = NULL;
    const ofd_prepared *pp = p ? p->live : NULL;
    seal_buf signed_value = SEAL_BUF_INIT, tail = SEAL_BUF_INIT;
    EVP_MD_CTX *md = NULL;
    uint8_t after[EVP_MAX_MD_SIZE];
    unsigned int after_len = 0;
    bool published = false;

    SEAL_ENSURE(p && sig && sig_len > 0 && p->output && p->cert && p->digests.md, SEAL_EINVAL,
                "nothing to finish: no signature, output or certificate");
    SEAL_ENSURE(p->prepared, SEAL_ENOTFOUND, "the stamp was finished or abandoned already");
    if (!pp) {
        SEAL_TRY(ofd_prepared_decode(&decoded, p->state.data, p->state.len));
        pp = decoded;
    }
    SEAL_TRY(make_signed_value(&signed_value, p, pp, sig, sig_len, opts));
    SEAL_TRY(ofd_tail_make(&tail, pp, &signed_value));

    SEAL_TRY(open_prepared(&fd, p->prepared));
    SEAL_TRY(prefix_digest(&md, fd, pp, p->digests.md, p->prepared));
    /* Everything from the old central directory on is rewritten from the state, so a finish
     * that failed half-way leaves a file the next one completes all the same. */
    SEAL_TRY(write_all(fd, &tail, pp->cd_offset, p->prepared));
    SEAL_ENSURE(ftruncate(fd, (off_t)(pp->cd_offset + tail.len)) == 0, SEAL_EIO,
                "cannot write %s: %s", p->prepared, strerror(errno));
    SEAL_ENSURE(EVP_DigestUpdate(md, tail.data, tail.len) &&
                    EVP_DigestFinal_ex(md, after, &after_len),
                SEAL_ECRYPTO, "cannot hash the output");

    /* Durable before it becomes visible, with the mode any new output gets. */
    SEAL_ENSURE(fchmod(fd, 0644) == 0, SEAL_EIO, "cannot set the mode of %s: %s", p->output,
                strerror(errno));
    SEAL_ENSURE(fsync(fd) == 0, SEAL_EIO, "cannot sync %s: %s", p->output, strerror(errno));
    SEAL_ENSURE(rename(p->prepared, p->output) == 0, SEAL_EIO, "cannot create %s: %s", p->output,
                strerror(errno));
    published = true;
    g_free(p->prepared);
    p->prepared = NULL;
    if (digests) {
        digests->md = p->digests.md;
        digests->len = p->digests.len;
        memcpy(digests->before, p->digests.before, p->digests.len);
        memcpy(digests->after, after, after_len);
    }
out:
    if (fd >= 0 && !published)
        (void)fchmod(fd, 0600); /* still the private prepared file; best effort */
    if (fd >= 0)
        close(fd);
    EVP_MD_CTX_free(md);
    seal_buf_clear(&tail);
    seal_buf_clear(&signed_value);
    ofd_prepared_free(decoded);
    return rc;
}

void ofd_doc_abandon(seal_pending_stamp *p)
{
    if (p && p->prepared)
        unlink(p->prepared);
}
