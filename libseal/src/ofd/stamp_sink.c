/* A libzip write target over a file descriptor the stamper owns: libzip writes the new
 * package straight into the temporary output (no temporary file of its own, no rename of
 * its own), through a buffer, so that writing a package costs a handful of system calls
 * instead of one per header and chunk. stamp_package.c syncs and renames the file. */
#include "stamp_internal.h"

#include <seal/error.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SINK_BUFFER (1 << 20)

static int fail(ofd_sink *s, int zip_code)
{
    zip_error_set(&s->error, zip_code, errno);
    return -1;
}

static int write_at(ofd_sink *s, const uint8_t *data, size_t len, uint64_t offset)
{
    while (len > 0) {
        ssize_t n = pwrite(s->fd, data, len, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return fail(s, ZIP_ER_WRITE);
        data += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
    }
    return 0;
}

static int flush(ofd_sink *s)
{
    if (s->buffered == 0)
        return 0;
    int rc = write_at(s, s->buf, s->buffered, s->buf_offset);
    /* libzip comes back only for the last local header: the rest can go to the disk now,
     * so the sync at the end has less to wait for. */
    if (rc == 0)
        seal_outfile_start_writeback(s->of, s->buf_offset, s->buffered);
    s->buffered = 0;
    return rc;
}

/* The buffer is a window on the file: a write that starts inside it or right at its end
 * and fits goes into it, so libzip seeking back to complete the local header of the entry
 * it just wrote costs a memcpy, not two system calls. Anything else flushes the window
 * first, so the file sees every write in order. */
static zip_int64_t sink_write(ofd_sink *s, const uint8_t *data, zip_uint64_t len)
{
    bool inside = s->buffered > 0 && s->pos >= s->buf_offset &&
                  s->pos <= s->buf_offset + s->buffered &&
                  len <= SINK_BUFFER - (s->pos - s->buf_offset);
    if (inside) {
        size_t at = (size_t)(s->pos - s->buf_offset);
        memcpy(s->buf + at, data, len);
        if (at + len > s->buffered)
            s->buffered = at + len;
    } else {
        if (flush(s) < 0)
            return -1;
        if (len >= SINK_BUFFER) {
            if (write_at(s, data, len, s->pos) < 0)
                return -1;
        } else {
            memcpy(s->buf, data, len);
            s->buffered = len;
            s->buf_offset = s->pos;
        }
    }
    s->pos += len;
    if (s->pos > s->end)
        s->end = s->pos;
    return (zip_int64_t)len;
}

static zip_int64_t sink_callback(void *userdata, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
    ofd_sink *s = userdata;
    switch (cmd) {
    case ZIP_SOURCE_STAT: {
        /* An empty archive: the stamper always writes a new one (ZIP_TRUNCATE). */
        zip_stat_t *st = ZIP_SOURCE_GET_ARGS(zip_stat_t, data, len, &s->error);
        if (!st)
            return -1;
        zip_stat_init(st);
        st->size = 0;
        st->valid |= ZIP_STAT_SIZE;
        return sizeof *st;
    }
    case ZIP_SOURCE_OPEN:
    case ZIP_SOURCE_CLOSE:
    case ZIP_SOURCE_READ:
    case ZIP_SOURCE_TELL:
    case ZIP_SOURCE_ROLLBACK_WRITE:
    case ZIP_SOURCE_REMOVE:
    case ZIP_SOURCE_FREE:
        return 0;
    case ZIP_SOURCE_SEEK:
        return zip_source_seek_compute_offset(0, 0, data, len, &s->error) < 0 ? -1 : 0;
    case ZIP_SOURCE_BEGIN_WRITE:
        s->pos = s->end = 0;
        s->buffered = 0;
        return ftruncate(s->fd, 0) == 0 ? 0 : fail(s, ZIP_ER_WRITE);
    case ZIP_SOURCE_WRITE:
        return sink_write(s, data, len);
    case ZIP_SOURCE_SEEK_WRITE: {
        zip_int64_t to = zip_source_seek_compute_offset(s->pos, s->end, data, len, &s->error);
        if (to < 0)
            return -1;
        s->pos = (uint64_t)to;
        return 0;
    }
    case ZIP_SOURCE_TELL_WRITE:
        return (zip_int64_t)s->pos;
    case ZIP_SOURCE_COMMIT_WRITE:
        return flush(s);
    case ZIP_SOURCE_ERROR:
        return zip_error_to_data(&s->error, data, len);
    case ZIP_SOURCE_SUPPORTS:
        return ZIP_SOURCE_SUPPORTS_WRITABLE;
    default:
        zip_error_set(&s->error, ZIP_ER_OPNOTSUPP, 0);
        return -1;
    }
}

int ofd_sink_open(ofd_sink *s, seal_outfile *of, zip_t **out)
{
    memset(s, 0, sizeof *s);
    s->of = of;
    s->fd = of->fd;
    zip_error_init(&s->error);
    s->buf = malloc(SINK_BUFFER);
    if (!s->buf)
        return seal_error_set(SEAL_ENOMEM, "out of memory");
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t *src = zip_source_function_create(sink_callback, s, &error);
    zip_t *zip = src ? zip_open_from_source(src, ZIP_TRUNCATE, &error) : NULL;
    if (!zip) {
        int rc = seal_error_set(SEAL_EIO, "cannot start the output package: %s",
                                zip_error_strerror(&error));
        zip_source_free(src);
        zip_error_fini(&error);
        return rc;
    }
    zip_error_fini(&error);
    *out = zip;
    return 0;
}

void ofd_sink_clear(ofd_sink *s)
{
    free(s->buf);
    s->buf = NULL;
    zip_error_fini(&s->error);
}
