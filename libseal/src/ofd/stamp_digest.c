/* Digests of the stored bytes of package entries, for the references of a new signature:
 * each entry streamed through libzip (which inflates it and checks its CRC and size) into
 * SM3, so memory does not grow with the document. This is most of a stamp's work: the
 * digest is over each file's uncompressed bytes (OFD-SEAL.md 4), not the zip data.
 * Hashing with a second thread and a second libzip handle was measured and was slower on
 * the 2-core machine (docs/performance.md). */
#include "ofd_internal.h"
#include "stamp_internal.h"

#include <seal/error.h>

#include <stdlib.h>
#include <string.h>

#define CHUNK (64 * 1024)

/* One entry: libzip inflates it and checks the CRC and the size at its end. */
static int digest_one(zip_t *zip, const ofd_entry *e, ofd_sig_ref *ref, uint8_t *chunk,
                      EVP_MD_CTX *ctx)
{
    int rc = 0;
    unsigned len = 0;
    uint64_t total = 0;
    zip_file_t *f = zip_fopen_index(zip, e->index, 0);
    SEAL_ENSURE(f, SEAL_EFORMAT, "package entry %s cannot be read: %s", e->name, zip_strerror(zip));
    SEAL_ENSURE(EVP_DigestInit_ex(ctx, EVP_sm3(), NULL) == 1, SEAL_ECRYPTO,
                "cannot start a digest");
    for (;;) {
        zip_int64_t n = zip_fread(f, chunk, CHUNK);
        SEAL_ENSURE(n >= 0, SEAL_EFORMAT, "package entry %s is damaged: %s", e->name,
                    zip_file_strerror(f));
        if (n == 0)
            break;
        total += (uint64_t)n;
        SEAL_ENSURE(total <= e->size, SEAL_EFORMAT,
                    "package entry %s holds more bytes than its recorded size", e->name);
        SEAL_ENSURE(EVP_DigestUpdate(ctx, chunk, (size_t)n) == 1, SEAL_ECRYPTO,
                    "cannot compute a digest");
    }
    SEAL_ENSURE(total == e->size, SEAL_EFORMAT, "package entry %s is shorter than recorded",
                e->name);
    SEAL_ENSURE(EVP_DigestFinal_ex(ctx, ref->digest, &len) == 1, SEAL_ECRYPTO,
                "cannot compute a digest");
    ref->digest_len = len;
out:
    if (f)
        zip_fclose(f);
    return rc;
}

int ofd_stamp_digest_entries(seal_ofd *doc, ofd_sig_ref *refs, size_t n)
{
    int rc = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t *chunk = malloc(CHUNK);
    SEAL_ENSURE(ctx && chunk, SEAL_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (refs[i].digest_len > 0)
            continue; /* hashed from the new bytes already */
        const ofd_entry *e = ofd_entry_find(doc, refs[i].path);
        SEAL_ENSURE(e, SEAL_ENOTFOUND, "the package has no entry %s", refs[i].path);
        SEAL_TRY(digest_one(doc->zip, e, &refs[i], chunk, ctx));
    }
out:
    EVP_MD_CTX_free(ctx);
    free(chunk);
    return rc;
}
