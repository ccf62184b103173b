/* The stamper's one pass over its input, on a helper thread that starts as soon as the
 * input is open, while the caller creates the output and parses the document: the input
 * is hashed from a read-only mapping, then copied into the temporary output by the kernel
 * (copy_file_range: no trip through user space, shared blocks where the file system can)
 * once the caller has handed the output over. From PARALLEL_MIN on, copying takes as long
 * as hashing, so the caller copies while the helper hashes. Nothing holds the file in
 * memory: the mapping's pages are given back as they are hashed, and the copy is handed to
 * the disk in WRITEBACK_CHUNK pieces, so that the sync at the end has little to wait for. */
#include "stamp_internal.h"

#include "base/thread.h"

#include <seal/error.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HASH_CHUNK      (1u << 20)
#define WRITEBACK_CHUNK (8u << 20)
#define PARALLEL_MIN    (8u << 20)

struct pdf_input_pass {
    int in_fd;
    uint64_t size;
    const char *in;
    seal_outfile *of;
    EVP_MD_CTX *md;
    pthread_t worker;
    bool worker_running;
    pthread_mutex_t lock; /* guards of and stop for the worker's wait */
    pthread_cond_t ready;
    atomic_bool stop; /* the stamp failed elsewhere: neither hash nor copy is needed */
    int rc;
    char message[512]; /* error messages are per thread: carried back by hand */
};

/* Where the kernel cannot copy between these two files: through a buffer. */
static int copy_through_buffer(pdf_input_pass *p, uint64_t from)
{
    int rc = 0;
    uint64_t synced = from;
    uint8_t *chunk = malloc(HASH_CHUNK);
    SEAL_ENSURE(chunk, SEAL_ENOMEM, "out of memory");
    for (uint64_t done = from; done < p->size;) {
        size_t want = p->size - done < HASH_CHUNK ? (size_t)(p->size - done) : HASH_CHUNK;
        ssize_t n = pread(p->in_fd, chunk, want, (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        SEAL_ENSURE(n > 0, SEAL_EIO, "cannot read %s: %s", p->in,
                    n < 0 ? strerror(errno) : "the file shrank while being stamped");
        SEAL_TRY(seal_outfile_write_at(p->of, chunk, (size_t)n, done));
        done += (uint64_t)n;
        if (done - synced >= WRITEBACK_CHUNK || done == p->size) {
            seal_outfile_start_writeback(p->of, synced, done - synced);
            synced = done;
        }
    }
out:
    free(chunk);
    return rc;
}

static int copy_input(pdf_input_pass *p)
{
    int rc = 0;
    uint64_t done = 0;
    while (done < p->size) {
        uint64_t piece = p->size - done < WRITEBACK_CHUNK ? p->size - done : WRITEBACK_CHUNK;
        uint64_t start = done;
        while (done < start + piece) {
            loff_t in_off = (loff_t)done, out_off = (loff_t)done;
            ssize_t n = copy_file_range(p->in_fd, &in_off, p->of->fd, &out_off,
                                        (size_t)(start + piece - done), 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 &&
                (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL))
                return copy_through_buffer(p, done);
            SEAL_ENSURE(n > 0, SEAL_EIO, "cannot copy %s: %s", p->in,
                        n < 0 ? strerror(errno) : "the file shrank while being stamped");
            done += (uint64_t)n;
        }
        seal_outfile_start_writeback(p->of, start, piece);
    }
out:
    return rc;
}

static int hash_input(pdf_input_pass *p)
{
    int rc = 0;
    if (p->size == 0)
        return 0;
    uint8_t *map = mmap(NULL, (size_t)p->size, PROT_READ, MAP_PRIVATE, p->in_fd, 0);
    SEAL_ENSURE(map != MAP_FAILED, SEAL_EIO, "cannot map %s: %s", p->in, strerror(errno));
    for (uint64_t off = 0; off < p->size && !atomic_load(&p->stop); off += HASH_CHUNK) {
        size_t n = p->size - off < HASH_CHUNK ? (size_t)(p->size - off) : HASH_CHUNK;
        if (EVP_DigestUpdate(p->md, map + off, n) != 1) {
            rc = seal_error_set(SEAL_ECRYPTO, "cannot hash %s", p->in);
            break;
        }
        /* Give the pages back: they stay in the page cache, not in our resident set. */
        madvise(map + off, n, MADV_DONTNEED);
    }
    munmap(map, (size_t)p->size);
out:
    return rc;
}

/* Hash, wait for the output, copy (a large input: hash only, the caller copies). */
static int hash_and_copy(pdf_input_pass *p, bool wait)
{
    int rc = hash_input(p);
    if (rc < 0 || (wait && p->size >= PARALLEL_MIN))
        return rc;
    pthread_mutex_lock(&p->lock);
    while (wait && !p->of && !atomic_load(&p->stop))
        pthread_cond_wait(&p->ready, &p->lock);
    bool go = p->of && !atomic_load(&p->stop);
    pthread_mutex_unlock(&p->lock);
    return go ? copy_input(p) : 0;
}

static void *worker(void *arg)
{
    pdf_input_pass *p = arg;
    p->rc = hash_and_copy(p, true);
    if (p->rc < 0)
        snprintf(p->message, sizeof p->message, "%s", seal_error_last());
    return NULL;
}

static void hand_over(pdf_input_pass *p, seal_outfile *of, bool stop)
{
    pthread_mutex_lock(&p->lock);
    p->of = of;
    if (stop)
        atomic_store(&p->stop, true);
    pthread_cond_signal(&p->ready);
    pthread_mutex_unlock(&p->lock);
}

int pdf_input_pass_start(pdf_input_pass **out, int in_fd, uint64_t size, const char *in,
                         const EVP_MD *md)
{
    int rc = 0;
    pdf_input_pass *p = calloc(1, sizeof *p);
    SEAL_ENSURE(p, SEAL_ENOMEM, "out of memory");
    p->in_fd = in_fd;
    p->size = size;
    p->in = in;
    atomic_init(&p->stop, false);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->ready, NULL);
    p->md = EVP_MD_CTX_new();
    SEAL_ENSURE(p->md && EVP_DigestInit_ex(p->md, md, NULL) == 1, SEAL_ECRYPTO,
                "cannot start the document digest");
    /* Without a thread, pdf_input_pass_finish does the work on the caller's. */
    p->worker_running = seal_thread_start_beside(&p->worker, worker, p);
    *out = p;
    p = NULL;
out:
    if (p) {
        EVP_MD_CTX_free(p->md);
        pthread_mutex_destroy(&p->lock);
        pthread_cond_destroy(&p->ready);
    }
    free(p);
    return rc;
}

void pdf_input_pass_output(pdf_input_pass *p, seal_outfile *of)
{
    hand_over(p, of, false);
}

int pdf_input_pass_finish(pdf_input_pass *p, EVP_MD_CTX **digest)
{
    int rc = 0;
    if (!digest) {
        /* Abandoned: the caller's error stands, whatever the pass would have found. */
        hand_over(p, p->of, true);
        if (p->worker_running)
            seal_thread_join(p->worker);
        goto done;
    }
    if (p->worker_running) {
        if (p->size >= PARALLEL_MIN && p->of) {
            rc = copy_input(p);
            if (rc < 0)
                atomic_store(&p->stop, true);
        }
        seal_thread_join(p->worker);
        if (rc == 0 && p->rc < 0)
            rc = seal_error_set(p->rc, "%s", p->message);
    } else {
        rc = hash_and_copy(p, false);
    }
    if (rc == 0 && !p->of)
        rc = seal_error_set(SEAL_EINVAL, "the input pass of %s was never given its output", p->in);
    if (rc == 0) {
        *digest = p->md;
        p->md = NULL;
    }
done:
    EVP_MD_CTX_free(p->md);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->ready);
    free(p);
    return rc;
}
