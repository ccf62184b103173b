/* Growable byte buffers, bounded slices, hex, and whole-file reads and atomic writes. */
#include <seal/buf.h>
#include <seal/error.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void seal_secure_zero(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n--)
        *v++ = 0;
}

int seal_buf_reserve(seal_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len)
        return seal_error_set(SEAL_ENOMEM, "buffer size overflow");
    size_t need = b->len + extra;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *data = realloc(b->data, cap);
    if (!data)
        return seal_error_set(SEAL_ENOMEM, "out of memory (%zu bytes)", cap);
    b->data = data;
    b->cap = cap;
    return 0;
}

int seal_buf_append(seal_buf *b, const void *data, size_t len)
{
    int rc = seal_buf_reserve(b, len + 1);
    if (rc < 0)
        return rc;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = 0; /* keeps text buffers terminated; not counted in len */
    return 0;
}

int seal_buf_append_byte(seal_buf *b, uint8_t byte)
{
    return seal_buf_append(b, &byte, 1);
}

int seal_buf_append_str(seal_buf *b, const char *s)
{
    return seal_buf_append(b, s, strlen(s));
}

int seal_buf_printf(seal_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return seal_error_set(SEAL_EINVAL, "bad format string");
    int rc = seal_buf_reserve(b, (size_t)n + 1);
    if (rc < 0)
        return rc;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int seal_buf_set(seal_buf *b, const void *data, size_t len)
{
    b->len = 0;
    return seal_buf_append(b, data, len);
}

void seal_buf_clear(seal_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void seal_buf_clear_secret(seal_buf *b)
{
    if (b->data)
        seal_secure_zero(b->data, b->cap);
    seal_buf_clear(b);
}

int seal_buf_read_file(seal_buf *b, const char *path, size_t max_len)
{
    int rc = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return seal_error_set(SEAL_EIO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    SEAL_ENSURE(fstat(fd, &st) == 0, SEAL_EIO, "cannot stat %s: %s", path, strerror(errno));
    SEAL_ENSURE(S_ISREG(st.st_mode), SEAL_EIO, "%s is not a regular file", path);
    SEAL_ENSURE((uint64_t)st.st_size <= max_len, SEAL_EINVAL,
                "%s is too large (%lld bytes, at most %zu allowed)", path, (long long)st.st_size,
                max_len);
    b->len = 0;
    SEAL_TRY(seal_buf_reserve(b, (size_t)st.st_size + 1));
    for (;;) {
        ssize_t n = read(fd, b->data + b->len, b->cap - b->len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        SEAL_ENSURE(n >= 0, SEAL_EIO, "cannot read %s: %s", path, strerror(errno));
        if (n == 0)
            break;
        b->len += (size_t)n;
        SEAL_ENSURE(b->len <= max_len, SEAL_EINVAL, "%s grew past %zu bytes while being read", path,
                    max_len);
        if (b->len + 1 == b->cap)
            SEAL_TRY(seal_buf_reserve(b, 4096));
    }
    b->data[b->len] = 0;
out:
    close(fd);
    return rc;
}

int seal_buf_write_file(const seal_buf *b, const char *path, unsigned mode)
{
    seal_outfile f;
    int rc = seal_outfile_open(&f, path);
    if (rc == 0)
        rc = seal_outfile_write_at(&f, b->data, b->len, 0);
    if (rc == 0)
        rc = seal_outfile_commit(&f, mode);
    seal_outfile_abort(&f);
    return rc;
}

bool seal_slice_take(seal_slice *s, size_t n, seal_slice *out)
{
    if (n > s->len)
        return false;
    if (out) {
        out->data = s->data;
        out->len = n;
    }
    s->data += n;
    s->len -= n;
    return true;
}

bool seal_slice_byte(seal_slice *s, uint8_t *out)
{
    if (s->len < 1)
        return false;
    *out = s->data[0];
    s->data++;
    s->len--;
    return true;
}

bool seal_slice_eq(seal_slice a, seal_slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

int seal_hex_encode(seal_buf *out, const uint8_t *data, size_t len, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    if (len > (SIZE_MAX - 1) / 2)
        return seal_error_set(SEAL_ENOMEM, "hex output too large");
    int rc = seal_buf_reserve(out, len * 2 + 1);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < len; i++) {
        out->data[out->len++] = (uint8_t)digits[data[i] >> 4];
        out->data[out->len++] = (uint8_t)digits[data[i] & 15];
    }
    out->data[out->len] = 0;
    return 0;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int seal_hex_decode(seal_buf *out, const char *hex, size_t len)
{
    if (len % 2)
        return seal_error_set(SEAL_EFORMAT, "hex string has an odd number of digits (%zu)", len);
    int rc = seal_buf_reserve(out, len / 2 + 1);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < len; i += 2) {
        int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
        if (hi < 0 || lo < 0)
            return seal_error_set(SEAL_EFORMAT, "not a hex digit at position %zu",
                                  hi < 0 ? i : i + 1);
        out->data[out->len++] = (uint8_t)(hi << 4 | lo);
    }
    out->data[out->len] = 0;
    return 0;
}

bool seal_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (strcmp(a, b) == 0)
        return true;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}
