/* sealsvc's HTTP/1.1 server core on libmicrohttpd, shared by the responders (`sealsvc tsa`,
 * `sealsvc ocsp`) and the service (`sealsvc serve`). A command fills in http_serve_opts
 * with one handler (the service's is its router) and calls http_serve_run(). The core
 * reads each request body within the limits (small ones in memory, larger ones streamed
 * into an unnamed temporary file as they arrive, multipart/form-data parts each into their
 * own), gives every request an id, hands it to the handler, sends what the handler made
 * (bytes, or a file streamed from its descriptor), writes one JSON log line per request,
 * and on SIGINT or SIGTERM stops accepting, lets requests in flight finish and returns.
 * Its own refusals (413, a malformed multipart body) are RFC 9457 problem documents
 * (http/problem.h). Handlers run on several threads at once; they must be thread-safe. */
#ifndef SEALSVC_HTTP_SERVER_H
#define SEALSVC_HTTP_SERVER_H

#include <seal/buf.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct MHD_Connection;

/* A multipart/form-data text field. */
typedef struct http_field {
    char *name, *value;
} http_field;

/* A multipart/form-data file part, in an unnamed temporary file. */
typedef struct http_file {
    char *name, *filename, *content_type; /* filename and content_type may be NULL */
    int fd;                               /* read it with pread; the server closes it */
    uint64_t size;
} http_file;

typedef struct http_request {
    const char *method;       /* "GET", "POST"... */
    const char *path;         /* the URL path, percent-decoded ("/tsa"); no query */
    const char *path_shown;   /* the path for logs and messages (http_path_shown) */
    const char *content_type; /* the Content-Type header, NULL when absent */
    const char *peer;         /* the client's address */
    const char *proxy;        /* the trusted proxy it came through (its X-Forwarded-For named
                                 the client), or NULL */
    const char *request_id;   /* 16 hex digits, also in the X-Request-Id answer header */
    /* A raw body (not multipart): in memory when small (body, body_len), else in an
     * unnamed temporary file (body_fd >= 0, body_len 0, body NULL). body_size counts it
     * either way. */
    const uint8_t *body;
    size_t body_len;
    int body_fd;
    uint64_t body_size;
    /* A multipart/form-data body: its text fields and its files. */
    const http_field *fields;
    size_t n_fields;
    const http_file *files;
    size_t n_files;
    struct MHD_Connection *connection;
} http_request;

#define HTTP_MAX_HEADERS 12

typedef struct http_response {
    unsigned status;          /* 200 unless the handler sets it */
    const char *content_type; /* a string that outlives the call (a literal); NULL: none */
    seal_buf body;            /* the server sends and frees it */
    int fd;                   /* with has_fd: a file sent from its start, then closed */
    bool has_fd;
    /* For the log line and the metrics: the route's name ("POST /api/v1/stamp"), the
     * caller (an API key's id) and the outcome ("stamped", "pin-refused"); literals or
     * the server frees them (caller). */
    const char *route;
    const char *outcome;
    char *caller;
    char *headers[HTTP_MAX_HEADERS][2]; /* extra headers (name, value), freed by the server */
    size_t n_headers;
} http_response;

/* Fills *resp. Returns 0, or a negative SEAL_E* code after seal_error_set(): the client
 * then gets a 500 problem document and the message goes to the server's log only. */
typedef int (*http_handler)(void *ctx, const http_request *req, http_response *resp);

/* Called after each answer was handed to the connection, for metrics. */
typedef void (*http_observer)(void *ctx, const http_request *req, const http_response *resp,
                              double seconds);

typedef struct http_serve_opts {
    const char *listen; /* "HOST:PORT" ("127.0.0.1:8088", "[::1]:0"); port 0 picks a free one */
    const char *name;   /* names the service in log lines: "tsa", "ocsp", "serve" */
    uint64_t max_body;  /* larger request bodies get 413; 0: 64 KiB */
    /* Bodies larger than this go to a temporary file in tmp_dir (and every multipart
     * body is parsed as it arrives, its files into temporary files); 0: bodies stay in
     * memory and multipart is not parsed (the responders, whose bodies are small). */
    size_t spool_above;
    const char *tmp_dir;       /* NULL: $TMPDIR or /tmp */
    unsigned threads;          /* worker threads; 0: 4 */
    unsigned connection_limit; /* 0: 256 */
    unsigned per_client_limit; /* connections from one address at once; 0: no limit */
    /* Proxies whose X-Forwarded-For names the client (forwarded.h); NULL: none, the
     * socket's peer is the client. */
    const struct seal_netset *trusted_proxies;
    unsigned idle_timeout;   /* seconds a connection may stay idle; 0: 30 */
    unsigned shutdown_grace; /* seconds requests in flight get at a stop; 0: 60 */
    http_handler handler;
    void *ctx;
    http_observer observer; /* may be NULL */
    /* Called with ctx when the stop signal has come, before the requests in flight are
     * waited for (the service stops its job workers meanwhile); may be NULL. */
    void (*on_stop)(void *ctx);
} http_serve_opts;

/* Sets the response to `status` with a copy of `data`. */
int http_response_set(http_response *resp, unsigned status, const char *content_type,
                      const void *data, size_t len);
/* Sets a text/plain response (a line for people: "expected POST application/..."). */
int http_response_text(http_response *resp, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Answers with the file open at `fd` (taken over: the server closes it). */
int http_response_file(http_response *resp, unsigned status, const char *content_type, int fd);
/* Adds a header to the answer (the value printf-style). */
int http_response_header(http_response *resp, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Frees what the response holds (the server does this for the handler's response). */
void http_response_clear(http_response *resp);

/* A query parameter (percent-decoded), or NULL. */
const char *http_request_query(const http_request *req, const char *name);
/* A request header, or NULL. */
const char *http_request_header(const http_request *req, const char *name);
/* A multipart text field, or NULL. */
const char *http_request_field(const http_request *req, const char *name);
/* A multipart file part, or NULL. */
const http_file *http_request_file(const http_request *req, const char *name);
/* The raw body as a new descriptor the caller closes: the temporary file's (its own open
 * file description, at offset 0), or for a body kept in memory an unnamed memory file
 * holding it. */
int http_request_body_fd(const http_request *req, int *fd_out);

/* A multipart file part's content as a new descriptor the caller closes (its own open file
 * description, at offset 0). */
int http_file_open(const http_file *file, int *fd_out);

/* An unnamed temporary file in `dir` (O_TMPFILE; where the file system lacks it, a file
 * unlinked at once): gone when its last descriptor closes, whatever happens to the
 * process. */
int http_tmpfile(const char *dir, int *fd_out);

/* `path` (or another text a client sent, a JSON member's name) as logs and messages show
 * it: every run of 11 or more digits (and an X after it: GB 11643's check character),
 * which may be a mobile or a resident ID a client put in the URL, masked but for its first
 * 3 and last 4 characters. g_free it. */
char *http_path_shown(const char *path);

/* One JSON log line on stderr: {"time", "level", "request_id" (when not NULL), "message"}.
 * Never give it a PIN, a key or an identity number. */
void http_log(const char *level, const char *request_id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Binds, prints "NAME: listening on http://HOST:PORT/" on stderr (with the real port when
 * 0 was asked for, so a test can read it), serves until SIGINT or SIGTERM, lets the
 * requests in flight finish (up to shutdown_grace seconds) and returns 0; or a negative
 * SEAL_E* code when the address cannot be used. */
int http_serve_run(const http_serve_opts *opts);

#endif
