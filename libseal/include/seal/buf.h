/* Byte buffers that grow, and slices (bounded cursors) for reading bytes nobody vouches for.
 *
 * A seal_slice is the only way parsers walk untrusted input: every read checks the
 * remaining length first, so no parser does raw pointer arithmetic of its own. */
#ifndef SEAL_BUF_H
#define SEAL_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct seal_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
} seal_buf;

#define SEAL_BUF_INIT                                                                              \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

int seal_buf_reserve(seal_buf *b, size_t extra);
int seal_buf_append(seal_buf *b, const void *data, size_t len);
int seal_buf_append_byte(seal_buf *b, uint8_t byte);
int seal_buf_append_str(seal_buf *b, const char *s);
int seal_buf_printf(seal_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int seal_buf_set(seal_buf *b, const void *data, size_t len);
/* Frees the memory; the buffer can be used again afterwards. */
void seal_buf_clear(seal_buf *b);
/* Like seal_buf_clear, and wipes the bytes first (for keys and PINs). */
void seal_buf_clear_secret(seal_buf *b);

/* Reads a whole file (refusing files larger than max_len). */
int seal_buf_read_file(seal_buf *b, const char *path, size_t max_len);
/* Writes a whole file atomically: a temporary file beside it, fsync, rename. */
int seal_buf_write_file(const seal_buf *b, const char *path, unsigned mode);
/* A new file that appears whole or not at all: written under a temporary name beside
 * PATH (so that rename is atomic), synced, then renamed onto PATH. Until commit, PATH is
 * untouched; abort (or a failed commit) removes the temporary file. */
typedef struct seal_outfile {
    int fd;    /* the temporary file, open for writing; -1 when closed */
    char *tmp; /* its name; NULL once renamed or removed */
    char *path;
    struct seal_outfile_sync *sync; /* a sync running beside the caller, or done */
} seal_outfile;

#define SEAL_OUTFILE_INIT                                                                          \
    {                                                                                              \
        -1, NULL, NULL, NULL                                                                       \
    }

int seal_outfile_open(seal_outfile *f, const char *path);
/* Writes all of DATA at OFFSET (a short write is an error naming PATH). */
int seal_outfile_write_at(seal_outfile *f, const void *data, size_t len, uint64_t offset);
/* Asks the kernel to start writing [offset, offset+len) to disk now, so that the sync at
 * commit has less to wait for. Advisory: never fails. */
void seal_outfile_start_writeback(seal_outfile *f, uint64_t offset, uint64_t len);
/* Sets MODE and syncs what is written so far on a helper thread while the caller goes on
 * (say, to sign); seal_outfile_commit waits for it and then syncs only the data written
 * since (fdatasync). Without a thread, commit does all the syncing. */
void seal_outfile_sync_start(seal_outfile *f, unsigned mode);
/* Sets MODE, syncs, closes and renames onto PATH. On failure the file is removed. */
int seal_outfile_commit(seal_outfile *f, unsigned mode);
/* Closes and removes the temporary file if it is still there; safe to call twice. */
void seal_outfile_abort(seal_outfile *f);

/* True when the two paths name the same file (the same name, or the same device and
 * inode): how the stampers refuse to write over their input. */
bool seal_same_file(const char *a, const char *b);

typedef struct seal_slice {
    const uint8_t *data;
    size_t len;
} seal_slice;

static inline seal_slice seal_slice_of(const void *data, size_t len)
{
    seal_slice s = {(const uint8_t *)data, len};
    return s;
}

/* Takes n bytes off the front of *s into *out; false (and *s unchanged) if s is shorter. */
bool seal_slice_take(seal_slice *s, size_t n, seal_slice *out);
bool seal_slice_byte(seal_slice *s, uint8_t *out);
bool seal_slice_eq(seal_slice a, seal_slice b);

/* Hex helpers: lower-case encoding; decoding ignores nothing and refuses odd lengths. */
int seal_hex_encode(seal_buf *out, const uint8_t *data, size_t len, bool upper);
int seal_hex_decode(seal_buf *out, const char *hex, size_t len);

/* Wipes memory in a way the compiler cannot drop. */
void seal_secure_zero(void *p, size_t n);

#ifdef __cplusplus
}
#endif
#endif
