/* A small HTTP/1.1 server for sealsvc's responders (the RFC 3161 TSA, the OCSP responder
 * and CRL publication) on libmicrohttpd. A command fills in http_serve_opts with one
 * handler and calls http_serve_run(): the request body is collected (up to a limit, else
 * 413), the handler turns a request into a response, and the server runs until SIGINT or
 * SIGTERM. Handlers run on several threads at once; they must be thread-safe. */
#ifndef SEALSVC_HTTP_SERVE_H
#define SEALSVC_HTTP_SERVE_H

#include <seal/buf.h>

#include <stddef.h>
#include <stdint.h>

typedef struct http_request {
    const char *method;       /* "GET", "POST"... */
    const char *path;         /* the URL path, percent-decoded ("/tsa") */
    const char *content_type; /* the Content-Type header, NULL when absent */
    const uint8_t *body;      /* NULL when empty */
    size_t body_len;
    const char *peer; /* the client's address, for log lines */
} http_request;

typedef struct http_response {
    unsigned status;          /* 200 unless the handler sets it */
    const char *content_type; /* a string that outlives the call (a literal); NULL: none */
    seal_buf body;            /* the server sends and frees it */
} http_response;

/* Fills *resp. Returns 0, or a negative SEAL_E* code after seal_error_set(): the client
 * then gets "500 internal error" and the message goes to the server's log only. */
typedef int (*http_handler)(void *ctx, const http_request *req, http_response *resp);

typedef struct http_serve_opts {
    const char *listen; /* "HOST:PORT" ("127.0.0.1:8088", "[::1]:0"); port 0 picks a free one */
    const char *name;   /* names the service in log lines: "tsa", "ocsp" */
    size_t max_body;    /* larger request bodies get 413; 0: 64 KiB */
    unsigned threads;   /* worker threads; 0: 4 */
    http_handler handler;
    void *ctx;
} http_serve_opts;

/* Sets the response to `status` with a copy of `data`. */
int http_response_set(http_response *resp, unsigned status, const char *content_type,
                      const void *data, size_t len);
/* Sets a text/plain response (a line for people: "expected POST application/..."). */
int http_response_text(http_response *resp, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Binds, prints "NAME: listening on http://HOST:PORT/" on stderr (with the real port when
 * 0 was asked for, so a test can read it), serves until SIGINT or SIGTERM, and returns 0;
 * or a negative SEAL_E* code when the address cannot be used. One line per request goes
 * to stderr: peer, method, path, status, response size. */
int http_serve_run(const http_serve_opts *opts);

#endif
