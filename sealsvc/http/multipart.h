/* A multipart/form-data parser (RFC 7578, the body syntax of RFC 2046 5.1.1) fed the body
 * piece by piece as it arrives, so that a file part goes to its temporary file without the
 * body ever being held whole. The server (http/server.c) feeds it; the callbacks get each
 * part's name, filename and type, then its bytes, then its end. Bytes nobody vouches for:
 * every length is bounded (a part's headers, the number of parts) and any fault is one
 * error with a message, after which nothing more is parsed. */
#ifndef SEALSVC_HTTP_MULTIPART_H
#define SEALSVC_HTTP_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_MULTIPART_MAX_PARTS    64
#define HTTP_MULTIPART_MAX_HEADERS  (8u * 1024u) /* one part's header block */
#define HTTP_MULTIPART_MAX_BOUNDARY 70           /* RFC 2046 5.1.1 */

typedef struct http_multipart_callbacks {
    /* A part starts: its form field name (never NULL), the filename and Content-Type
     * when it has them (NULL otherwise). */
    int (*begin)(void *ctx, const char *name, const char *filename, const char *content_type);
    int (*data)(void *ctx, const uint8_t *data, size_t len);
    int (*end)(void *ctx);
} http_multipart_callbacks;

typedef struct http_multipart http_multipart;

/* A parser for the body of a request with Content-Type `content_type` (the whole header
 * value: "multipart/form-data; boundary=..."). SEAL_EINVAL when it is not
 * multipart/form-data with a usable boundary. A callback that returns < 0 stops the
 * parse with its error. */
int http_multipart_new(http_multipart **out, const char *content_type,
                       const http_multipart_callbacks *cb, void *ctx);
/* The next piece of the body. SEAL_EFORMAT naming what is wrong with the body. */
int http_multipart_feed(http_multipart *mp, const uint8_t *data, size_t len);
/* The body ended: SEAL_EFORMAT unless the closing boundary was seen. */
int http_multipart_finish(http_multipart *mp);
void http_multipart_free(http_multipart *mp);

/* Whether a Content-Type names multipart/form-data (case-insensitive, RFC 9110 8.3.1). */
int http_is_multipart(const char *content_type);

#endif
