/* Output files that appear whole or not at all (see seal_outfile in buf.h): every file
 * sealsvc produces (sealed documents, LTV updates, keys and configuration) goes through
 * here, so a crash or an error never leaves a short file under the name a user asked for. */
#include "base/thread.h"

#include <seal/buf.h>
#include <seal/error.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct seal_outfile_sync {
    pthread_t thread;
    int fd;
    unsigned mode;
    int err; /* errno of the failed call, 0 when synced */
    const char *what;
};

int seal_outfile_open(seal_outfile *f, const char *path)
{
    f->fd = -1;
    f->tmp = NULL;
    f->sync = NULL;
    f->path = strdup(path);
    if (!f->path || asprintf(&f->tmp, "%s.tmpXXXXXX", path) < 0) {
        f->tmp = NULL;
        seal_outfile_abort(f);
        return seal_error_set(SEAL_ENOMEM, "out of memory");
    }
    f->fd = mkostemp(f->tmp, O_CLOEXEC);
    if (f->fd < 0) {
        int rc = seal_error_set(SEAL_EIO, "cannot create the output %s: %s", path, strerror(errno));
        free(f->tmp);
        f->tmp = NULL;
        seal_outfile_abort(f);
        return rc;
    }
    return 0;
}

int seal_outfile_write_at(seal_outfile *f, const void *data, size_t len, uint64_t offset)
{
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t n = pwrite(f->fd, p, len, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return seal_error_set(SEAL_EIO, "cannot write %s: %s", f->path,
                                  n < 0 ? strerror(errno) : "short write");
        p += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
    }
    return 0;
}

void seal_outfile_start_writeback(seal_outfile *f, uint64_t offset, uint64_t len)
{
    /* Only a hint: where the file system cannot, the sync at commit does all the work. */
    if (f->fd >= 0 && len > 0)
        (void)sync_file_range(f->fd, (off64_t)offset, (off64_t)len, SYNC_FILE_RANGE_WRITE);
}

static void *sync_thread(void *arg)
{
    struct seal_outfile_sync *s = arg;
    if (fchmod(s->fd, (mode_t)s->mode) != 0) {
        s->err = errno;
        s->what = "cannot set the mode of";
    } else if (fsync(s->fd) != 0) {
        s->err = errno;
        s->what = "cannot sync";
    }
    return NULL;
}

void seal_outfile_sync_start(seal_outfile *f, unsigned mode)
{
    if (f->fd < 0 || f->sync)
        return;
    struct seal_outfile_sync *s = calloc(1, sizeof *s);
    if (!s)
        return;
    s->fd = f->fd;
    s->mode = mode;
    if (!seal_thread_start_beside(&s->thread, sync_thread, s)) {
        free(s);
        return;
    }
    f->sync = s;
}

/* Waits for a sync started beside; true if it synced everything written before it. */
static bool sync_join(seal_outfile *f, int *err, const char **what)
{
    struct seal_outfile_sync *s = f->sync;
    if (!s)
        return false;
    seal_thread_join(s->thread);
    f->sync = NULL;
    *err = s->err;
    *what = s->what;
    free(s);
    return *err == 0;
}

int seal_outfile_commit(seal_outfile *f, unsigned mode)
{
    int rc = 0;
    int err = 0;
    const char *what = NULL;
    bool synced = sync_join(f, &err, &what);
    SEAL_ENSURE(f->fd >= 0 && f->tmp, SEAL_EINVAL, "the output %s is not open",
                f->path ? f->path : "");
    SEAL_ENSURE(err == 0, SEAL_EIO, "%s %s: %s", what, f->path, strerror(err));
    /* Durable before it becomes visible: a crash never leaves a short file behind. After a
     * full sync beside, only the data written since is left (fdatasync: the size and the
     * blocks are on disk already, timestamps need not be). */
    if (!synced)
        SEAL_ENSURE(fchmod(f->fd, (mode_t)mode) == 0, SEAL_EIO, "cannot set the mode of %s: %s",
                    f->path, strerror(errno));
    SEAL_ENSURE((synced ? fdatasync(f->fd) : fsync(f->fd)) == 0, SEAL_EIO, "cannot sync %s: %s",
                f->path, strerror(errno));
    int fd = f->fd;
    f->fd = -1;
    SEAL_ENSURE(close(fd) == 0, SEAL_EIO, "cannot close %s: %s", f->path, strerror(errno));
    SEAL_ENSURE(rename(f->tmp, f->path) == 0, SEAL_EIO, "cannot create %s: %s", f->path,
                strerror(errno));
    free(f->tmp);
    f->tmp = NULL;
out:
    seal_outfile_abort(f);
    return rc;
}

void seal_outfile_abort(seal_outfile *f)
{
    int err;
    const char *what;
    sync_join(f, &err, &what);
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    if (f->tmp) {
        unlink(f->tmp);
        free(f->tmp);
        f->tmp = NULL;
    }
    free(f->path);
    f->path = NULL;
}
