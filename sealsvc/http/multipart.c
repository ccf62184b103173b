/* The streaming multipart/form-data parser (see multipart.h). The body is read as the
 * stream RFC 2046 5.1.1 describes: a preamble, then parts each opened by the delimiter
 * CRLF "--" boundary, the last closed by CRLF "--" boundary "--", then an epilogue. A
 * two-byte CRLF is put before the first byte so that a body that starts with its
 * delimiter (the usual case) needs no special case. Unconsumed bytes are kept in one
 * buffer that never holds more than a piece of the body and a delimiter's length (or one
 * part's header block while it is read). */
#include "multipart.h"

#include <seal/buf.h>
#include <seal/error.h>

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_PARAM 1024

typedef enum state { PREAMBLE, AFTER_DELIMITER, HEADERS, BODY, EPILOGUE, FAILED } state;

struct http_multipart {
    const http_multipart_callbacks *cb;
    void *ctx;
    char delimiter[4 + HTTP_MULTIPART_MAX_BOUNDARY + 1]; /* CRLF "--" boundary */
    size_t delimiter_len;
    seal_buf pending; /* bytes fed and not yet consumed */
    state state;
    size_t parts;
};

int http_is_multipart(const char *content_type)
{
    static const char type[] = "multipart/form-data";
    return content_type && strncasecmp(content_type, type, sizeof type - 1) == 0 &&
           (content_type[sizeof type - 1] == '\0' || content_type[sizeof type - 1] == ';' ||
            content_type[sizeof type - 1] == ' ');
}

/* Parameter `want` of a header value ("form-data; name=\"a\"; filename=b"): 1 found (its
 * value unquoted into out), 0 absent, -1 malformed or longer than `size`. RFC 9110 5.6.6:
 * parameters are token=token or token=quoted-string, names case-insensitive. */
static int header_param(const char *value, const char *want, char *out, size_t size)
{
    const char *p = strchr(value, ';');
    while (p) {
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        const char *name = p;
        while (*p && *p != '=' && *p != ';')
            p++;
        size_t name_len = (size_t)(p - name);
        while (name_len && (name[name_len - 1] == ' ' || name[name_len - 1] == '\t'))
            name_len--;
        if (*p != '=')
            return -1;
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        bool match = name_len == strlen(want) && strncasecmp(name, want, name_len) == 0;
        size_t n = 0;
        if (*p == '"') {
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1])
                    p++;
                if (match && n + 1 >= size)
                    return -1;
                if (match)
                    out[n++] = *p;
            }
            if (*p != '"')
                return -1;
            p++;
        } else {
            for (; *p && *p != ';' && *p != ' ' && *p != '\t'; p++) {
                if (match && n + 1 >= size)
                    return -1;
                if (match)
                    out[n++] = *p;
            }
        }
        if (match) {
            out[n] = '\0';
            return 1;
        }
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p && *p != ';')
            return -1;
        p = *p ? p : NULL;
    }
    return 0;
}

int http_multipart_new(http_multipart **out, const char *content_type,
                       const http_multipart_callbacks *cb, void *ctx)
{
    char boundary[MAX_PARAM];
    *out = NULL;
    if (!http_is_multipart(content_type))
        return seal_error_set(SEAL_EINVAL, "the body is not multipart/form-data");
    if (header_param(content_type, "boundary", boundary, sizeof boundary) != 1)
        return seal_error_set(SEAL_EINVAL, "multipart/form-data without a boundary parameter");
    size_t n = strlen(boundary);
    /* RFC 2046 5.1.1: 1 to 70 characters of bchars, not ending in a space. */
    if (n == 0 || n > HTTP_MULTIPART_MAX_BOUNDARY || boundary[n - 1] == ' ' ||
        strspn(boundary, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "'()+_,-./:=? ") != n)
        return seal_error_set(SEAL_EINVAL,
                              "the multipart boundary must be 1 to 70 letters, digits or "
                              "'()+_,-./:=? (RFC 2046 5.1.1)");
    http_multipart *mp = calloc(1, sizeof *mp);
    if (!mp)
        return seal_error_set(SEAL_ENOMEM, "out of memory");
    mp->cb = cb;
    mp->ctx = ctx;
    mp->delimiter_len = (size_t)snprintf(mp->delimiter, sizeof mp->delimiter, "\r\n--%s", boundary);
    mp->pending = (seal_buf)SEAL_BUF_INIT;
    mp->state = PREAMBLE;
    if (seal_buf_append(&mp->pending, "\r\n", 2) < 0) {
        free(mp);
        return SEAL_ENOMEM;
    }
    *out = mp;
    return 0;
}

void http_multipart_free(http_multipart *mp)
{
    if (!mp)
        return;
    seal_buf_clear(&mp->pending);
    free(mp);
}

static int fail(http_multipart *mp, const char *why)
{
    mp->state = FAILED;
    return seal_error_set(SEAL_EFORMAT, "%s", why);
}

/* One part's header block (without its final CRLF CRLF): Content-Disposition: form-data
 * with a name (RFC 7578 4.2), an optional Content-Type; other headers are ignored. */
static int part_headers(http_multipart *mp, const char *block, size_t len)
{
    char name[MAX_PARAM] = "", filename[MAX_PARAM] = "", type[MAX_PARAM] = "";
    bool have_name = false, have_filename = false, have_type = false;
    char *text = g_strndup(block, len);
    char **lines = g_strsplit(text, "\r\n", 0);
    int rc = 0;
    for (char **l = lines; *l && rc == 0; l++) {
        if (!**l)
            continue;
        char *colon = strchr(*l, ':');
        if (!colon || colon == *l) {
            rc = fail(mp, "a multipart part has a malformed header line");
            break;
        }
        *colon = '\0';
        char *value = g_strstrip(colon + 1);
        if (g_ascii_strcasecmp(g_strstrip(*l), "Content-Disposition") == 0) {
            if (g_ascii_strncasecmp(value, "form-data", 9) != 0 ||
                (value[9] && value[9] != ';' && value[9] != ' ')) {
                rc = fail(mp, "a multipart part is not form-data (Content-Disposition: "
                              "form-data; name=...)");
                break;
            }
            int got = header_param(value, "name", name, sizeof name);
            int got_file =
                got < 0 ? -1 : header_param(value, "filename", filename, sizeof filename);
            if (got < 0 || got_file < 0) {
                rc = fail(mp, "a multipart part's Content-Disposition is malformed");
                break;
            }
            have_name = got == 1;
            have_filename = got_file == 1;
        } else if (g_ascii_strcasecmp(*l, "Content-Type") == 0) {
            if (strlen(value) >= sizeof type) {
                rc = fail(mp, "a multipart part's Content-Type is too long");
                break;
            }
            g_strlcpy(type, value, sizeof type);
            have_type = true;
        }
    }
    if (rc == 0 && (!have_name || !*name))
        rc = fail(mp, "a multipart part has no form field name (Content-Disposition: form-data; "
                      "name=\"...\")");
    if (rc == 0 && ++mp->parts > HTTP_MULTIPART_MAX_PARTS)
        rc = fail(
            mp, "the multipart body has more than " G_STRINGIFY(HTTP_MULTIPART_MAX_PARTS) " parts");
    if (rc == 0) {
        rc = mp->cb->begin(mp->ctx, name, have_filename ? filename : NULL, have_type ? type : NULL);
        if (rc < 0)
            mp->state = FAILED;
    }
    g_strfreev(lines);
    g_free(text);
    return rc;
}

/* Consumes what it can of the n unconsumed bytes at p: *used says how many. */
static int step(http_multipart *mp, const uint8_t *p, size_t n, size_t *used)
{
    size_t d = mp->delimiter_len;
    *used = 0;
    switch (mp->state) {
    case PREAMBLE: {
        const uint8_t *hit = memmem(p, n, mp->delimiter, d);
        if (hit) {
            *used = (size_t)(hit - p) + d;
            mp->state = AFTER_DELIMITER;
        } else if (n >= d) {
            *used = n - (d - 1);
        }
        return 0;
    }
    case AFTER_DELIMITER: {
        if (n < 2)
            return 0;
        if (p[0] == '-' && p[1] == '-') {
            *used = n;
            mp->state = EPILOGUE;
            return 0;
        }
        size_t i = 0;
        while (i < n && (p[i] == ' ' || p[i] == '\t')) /* transport padding */
            i++;
        if (i + 2 > n)
            return i > 256 ? fail(mp, "a multipart delimiter is followed by too much padding") : 0;
        if (p[i] != '\r' || p[i + 1] != '\n')
            return fail(mp, "a multipart boundary is followed by something else than a line end "
                            "or --");
        *used = i + 2;
        mp->state = HEADERS;
        return 0;
    }
    case HEADERS: {
        if (n >= 2 && p[0] == '\r' && p[1] == '\n') { /* no header at all */
            *used = 2;
            mp->state = BODY;
            return part_headers(mp, "", 0);
        }
        const uint8_t *end = memmem(p, n, "\r\n\r\n", 4);
        if (!end) {
            if (n > HTTP_MULTIPART_MAX_HEADERS)
                return fail(mp, "a multipart part's headers are longer than 8 KiB");
            return 0;
        }
        if ((size_t)(end - p) > HTTP_MULTIPART_MAX_HEADERS)
            return fail(mp, "a multipart part's headers are longer than 8 KiB");
        *used = (size_t)(end - p) + 4;
        mp->state = BODY;
        return part_headers(mp, (const char *)p, (size_t)(end - p));
    }
    case BODY: {
        const uint8_t *hit = memmem(p, n, mp->delimiter, d);
        size_t take = hit ? (size_t)(hit - p) : n >= d ? n - (d - 1) : 0;
        int rc = take ? mp->cb->data(mp->ctx, p, take) : 0;
        if (rc == 0 && hit)
            rc = mp->cb->end(mp->ctx);
        if (rc < 0) {
            mp->state = FAILED;
            return rc;
        }
        *used = hit ? take + d : take;
        if (hit)
            mp->state = AFTER_DELIMITER;
        return 0;
    }
    case EPILOGUE:
        *used = n;
        return 0;
    case FAILED:
        break;
    }
    return seal_error_set(SEAL_EFORMAT, "the multipart body was already refused");
}

int http_multipart_feed(http_multipart *mp, const uint8_t *data, size_t len)
{
    if (mp->state == FAILED)
        return seal_error_set(SEAL_EFORMAT, "the multipart body was already refused");
    if (mp->state == EPILOGUE)
        return 0;
    if (len && seal_buf_append(&mp->pending, data, len) < 0) {
        mp->state = FAILED;
        return SEAL_ENOMEM;
    }
    size_t offset = 0;
    for (;;) {
        size_t used = 0;
        int rc = step(mp, mp->pending.data + offset, mp->pending.len - offset, &used);
        if (rc < 0)
            return rc;
        if (used == 0)
            break;
        offset += used;
    }
    memmove(mp->pending.data, mp->pending.data + offset, mp->pending.len - offset);
    mp->pending.len -= offset;
    return 0;
}

int http_multipart_finish(http_multipart *mp)
{
    if (mp->state == FAILED)
        return seal_error_set(SEAL_EFORMAT, "the multipart body was already refused");
    if (mp->state != EPILOGUE) {
        mp->state = FAILED;
        return seal_error_set(SEAL_EFORMAT, "the multipart body ends before its closing boundary");
    }
    return 0;
}
