/* Digests of the stored bytes of package entries, for the references of a new signature:
 * each entry streamed through libzip (which inflates it and checks its CRC and size) into
 * SM3, so memory does not grow with the document. This is most of a stamp's work: the
 * digest is over each file's uncompressed bytes (OFD-SEAL.md 4), not the zip data. So a
 * helper thread with a libzip handle of its own on the same bytes takes entries too: the
 * two take the next entry not yet taken until none is left (docs/performance.md). */
#include "ofd_internal.h"
#include "stamp_internal.h"

#include "base/thread.h"

#include <seal/error.h>

#include <stdatomic.h>
#include <stdio.h>
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

/* What the two hashing threads share. */
typedef struct digest_job {
    seal_ofd *doc;
    ofd_sig_ref *refs;
    const ofd_entry **entries; /* refs[i]'s entry; NULL: hashed already */
    size_t n;
    atomic_size_t next; /* the next reference nobody has taken */
    atomic_bool failed;
    int rc;            /* the helper's error */
    char message[512]; /* carried back by hand: error messages are per thread */
} digest_job;

/* Takes references until none is left (or the other thread failed). */
static int digest_some(digest_job *job, zip_t *zip)
{
    int rc = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t *chunk = malloc(CHUNK);
    SEAL_ENSURE(ctx && chunk, SEAL_ENOMEM, "out of memory");
    for (;;) {
        size_t i = atomic_fetch_add(&job->next, 1);
        if (i >= job->n || atomic_load(&job->failed))
            break;
        if (job->entries[i])
            SEAL_TRY(digest_one(zip, job->entries[i], &job->refs[i], chunk, ctx));
    }
out:
    if (rc < 0)
        atomic_store(&job->failed, true);
    EVP_MD_CTX_free(ctx);
    free(chunk);
    return rc;
}

static void *digest_helper(void *arg)
{
    digest_job *job = arg;
    zip_t *zip = ofd_package_reopen(job->doc);
    /* Without a handle of its own, the helper leaves every entry to the caller. */
    job->rc = zip ? digest_some(job, zip) : 0;
    if (job->rc < 0)
        snprintf(job->message, sizeof job->message, "%s", seal_error_last());
    if (zip)
        zip_discard(zip);
    return NULL;
}

/* Below this many uncompressed bytes a second thread costs more than it saves. */
#define PARALLEL_MIN (256 * 1024)

int ofd_stamp_digest_entries(seal_ofd *doc, ofd_sig_ref *refs, size_t n)
{
    int rc = 0;
    digest_job job = {.doc = doc, .refs = refs, .n = n};
    atomic_init(&job.next, 0);
    atomic_init(&job.failed, false);
    pthread_t helper;
    bool helped = false;
    uint64_t total = 0;
    job.entries = calloc(n ? n : 1, sizeof *job.entries);
    SEAL_ENSURE(job.entries, SEAL_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (refs[i].digest_len > 0)
            continue; /* hashed from the new bytes already */
        job.entries[i] = ofd_entry_find(doc, refs[i].path);
        SEAL_ENSURE(job.entries[i], SEAL_ENOTFOUND, "the package has no entry %s", refs[i].path);
        total += job.entries[i]->size;
    }
    if (total >= PARALLEL_MIN && doc->mem)
        helped = seal_thread_start_beside(&helper, digest_helper, &job);
    rc = digest_some(&job, doc->zip);
    if (helped) {
        seal_thread_join(helper);
        if (rc == 0 && job.rc < 0)
            rc = seal_error_set(job.rc, "%s", job.message);
    }
out:
    free(job.entries);
    return rc;
}
