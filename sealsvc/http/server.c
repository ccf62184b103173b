/* The HTTP server core (see server.h): libmicrohttpd with a thread pool accepts
 * connections and calls on_request once when a request's headers are in, once per piece
 * of its body, and once when the body is complete. Each request gets an `exchange` that
 * takes the body in as it arrives (memory, a temporary file, or the multipart parser and
 * one temporary file per file part), refuses it early when it is too large, and at the
 * end hands the complete request to the command's handler. The log line is written when
 * MHD is done with the request (on_completed), so that a client that went away is logged
 * too, and every temporary file is closed there: they are unnamed, so nothing is left.
 * The calling thread waits for SIGINT or SIGTERM, then stops accepting (quiesce), waits
 * for the requests in flight and stops the daemon. */
#include "server.h"

#include "forwarded.h"
#include "mhd_lazy.h"
#include "multipart.h"
#include "problem.h"

#include <seal/error.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <jansson.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_MAX_BODY       (64u * 1024u)
#define DEFAULT_THREADS        4
#define DEFAULT_IDLE_TIMEOUT   30
#define DEFAULT_CONNECTIONS    256
#define DEFAULT_SHUTDOWN_GRACE 60
#define MAX_LISTEN_TEXT        256
#define PEER_TEXT              (NI_MAXHOST + 8)
#define TEXT_RESPONSE_LIMIT    1024
#define FIELD_LIMIT            (64u * 1024u) /* one multipart text field */
#define FIELDS_LIMIT           (1024u * 1024u)
#define STOP_POLL_MICROSECONDS 50000

typedef struct server {
    const http_serve_opts *opts;
    uint64_t max_body;
    const char *tmp_dir;
    atomic_uint in_flight;
    atomic_bool stopping;
} server;

/* One request, from its headers to MHD's completion callback. */
typedef struct exchange {
    server *srv;
    char request_id[17];
    char peer[PEER_TEXT];  /* the client: the socket's peer, or the address a trusted proxy
                              named in X-Forwarded-For */
    char proxy[PEER_TEXT]; /* that proxy; empty when the peer is the client */
    const char *method, *path;
    char *path_shown; /* http_path_shown(path) */
    gint64 started;
    uint64_t received;
    /* a raw body */
    seal_buf body;
    int body_fd;
    /* a multipart body */
    http_multipart *mp;
    GArray *fields, *files;
    seal_buf field_value;
    size_t fields_total;
    bool in_file;
    /* a refusal decided while the body arrived, sent at its end */
    unsigned refuse_status;
    const char *refuse_code;
    char *refuse_detail;
    bool answered;
    /* for the log line */
    unsigned status;
    const char *route, *outcome;
    char *caller;
} exchange;

/* ---- responses ---- */

int http_response_set(http_response *resp, unsigned status, const char *content_type,
                      const void *data, size_t len)
{
    resp->status = status;
    resp->content_type = content_type;
    seal_buf_clear(&resp->body);
    return seal_buf_set(&resp->body, data, len);
}

int http_response_text(http_response *resp, unsigned status, const char *fmt, ...)
{
    char text[TEXT_RESPONSE_LIMIT];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    size_t len = (size_t)n < sizeof text - 2 ? (size_t)n : sizeof text - 2;
    text[len++] = '\n';
    return http_response_set(resp, status, "text/plain; charset=utf-8", text, len);
}

int http_response_file(http_response *resp, unsigned status, const char *content_type, int fd)
{
    if (resp->has_fd)
        close(resp->fd);
    resp->status = status;
    resp->content_type = content_type;
    resp->fd = fd;
    resp->has_fd = true;
    return 0;
}

int http_response_header(http_response *resp, const char *name, const char *fmt, ...)
{
    if (resp->n_headers >= HTTP_MAX_HEADERS)
        return seal_error_set(SEAL_EINVAL, "too many headers in one answer");
    va_list ap;
    va_start(ap, fmt);
    resp->headers[resp->n_headers][1] = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    resp->headers[resp->n_headers][0] = g_strdup(name);
    resp->n_headers++;
    return 0;
}

void http_response_clear(http_response *resp)
{
    seal_buf_clear(&resp->body);
    if (resp->has_fd)
        close(resp->fd);
    resp->has_fd = false;
    for (size_t i = 0; i < resp->n_headers; i++) {
        g_free(resp->headers[i][0]);
        g_free(resp->headers[i][1]);
    }
    resp->n_headers = 0;
    g_free(resp->caller);
    resp->caller = NULL;
}

/* ---- requests ---- */

const char *http_request_query(const http_request *req, const char *name)
{
    return req->connection
               ? MHD_lookup_connection_value(req->connection, MHD_GET_ARGUMENT_KIND, name)
               : NULL;
}

const char *http_request_header(const http_request *req, const char *name)
{
    return req->connection ? MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, name)
                           : NULL;
}

const char *http_request_field(const http_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_fields; i++)
        if (strcmp(req->fields[i].name, name) == 0)
            return req->fields[i].value;
    return NULL;
}

const http_file *http_request_file(const http_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_files; i++)
        if (strcmp(req->files[i].name, name) == 0)
            return &req->files[i];
    return NULL;
}

int http_tmpfile(const char *dir, int *fd_out)
{
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
        char *path = g_build_filename(dir, "sealsvc-upload-XXXXXX", NULL);
        fd = g_mkstemp_full(path, O_RDWR | O_CLOEXEC, 0600);
        if (fd >= 0)
            unlink(path);
        g_free(path);
    }
    if (fd < 0)
        return seal_error_set(SEAL_EIO, "cannot make a temporary file in %s: %s", dir,
                              strerror(errno));
    *fd_out = fd;
    return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return seal_error_set(SEAL_EIO, "cannot keep the request body in a temporary file: %s",
                                  n < 0 ? strerror(errno) : "nothing written");
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* `fd` opened again: its own open file description, so that the caller's offset is its
 * own (an unnamed file has no other name to open it by). */
static int reopen(int fd, int *fd_out)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    int again = open(path, O_RDONLY | O_CLOEXEC);
    if (again < 0)
        return seal_error_set(SEAL_EIO, "cannot reopen the request body: %s", strerror(errno));
    *fd_out = again;
    return 0;
}

int http_file_open(const http_file *file, int *fd_out)
{
    return reopen(file->fd, fd_out);
}

int http_request_body_fd(const http_request *req, int *fd_out)
{
    if (req->body_fd >= 0)
        return reopen(req->body_fd, fd_out);
    int fd = memfd_create("sealsvc-body", MFD_CLOEXEC);
    if (fd < 0)
        return seal_error_set(SEAL_EIO, "cannot hold the request body: %s", strerror(errno));
    if (req->body_len && write_all(fd, req->body, req->body_len) < 0) {
        close(fd);
        return SEAL_EIO;
    }
    lseek(fd, 0, SEEK_SET);
    *fd_out = fd;
    return 0;
}

/* ---- the log ---- */

static void log_object(json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    if (text) {
        /* one call: stdio's lock keeps lines from different threads whole */
        fprintf(stderr, "%s\n", text);
        free(text);
    }
    json_decref(j);
}

static json_t *log_start(const char *level, const char *request_id)
{
    GDateTime *now = g_date_time_new_now_utc();
    char *when = g_date_time_format_iso8601(now);
    json_t *j = json_pack("{s:s, s:s}", "time", when, "level", level);
    g_free(when);
    g_date_time_unref(now);
    if (j && request_id)
        json_object_set_new(j, "request_id", json_string(request_id));
    return j;
}

void http_log(const char *level, const char *request_id, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *raw = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *message = g_utf8_make_valid(raw, -1);
    json_t *j = log_start(level, request_id);
    if (j)
        json_object_set_new(j, "message", json_string(message));
    log_object(j);
    g_free(message);
    g_free(raw);
}

/* 11 digits is a mainland mobile number, 15 or 18 characters a resident ID (GB 11643):
 * a client may have put one in a path, which the log and the problem documents show. */
#define SHOWN_DIGITS_MAX 10

char *http_path_shown(const char *path)
{
    GString *shown = g_string_new(NULL);
    for (const char *p = path ? path : ""; *p;) {
        size_t n = strspn(p, "0123456789");
        if (n > 0 && (p[n] == 'X' || p[n] == 'x'))
            n++;
        if (n > SHOWN_DIGITS_MAX) {
            g_string_append_len(shown, p, 3);
            for (size_t i = 3; i < n - 4; i++)
                g_string_append_c(shown, '*');
            g_string_append_len(shown, p + n - 4, 4);
        } else {
            g_string_append_len(shown, p, n ? (gssize)n : 1);
        }
        p += n ? n : 1;
    }
    return g_string_free(shown, FALSE);
}

static json_t *text_or_null(const char *text)
{
    if (!text)
        return json_null();
    char *valid = g_utf8_make_valid(text, -1);
    json_t *j = json_string(valid);
    g_free(valid);
    return j;
}

/* The request's line: what an operator needs, never a query string (a PIN may be in it)
 * nor a header value. */
static void log_exchange(const exchange *x, enum MHD_RequestTerminationCode toe)
{
    json_t *j = log_start("info", x->request_id);
    if (!j)
        return;
    double ms = (double)(g_get_monotonic_time() - x->started) / 1000.0;
    const char *outcome = x->outcome;
    if (!x->answered)
        outcome = toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? "client-timeout"
                                                                : "client-disconnected";
    else if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && !outcome)
        outcome = "answer-not-delivered";
    json_object_set_new(j, "service", json_string(x->srv->opts->name));
    json_object_set_new(j, "peer", json_string(x->peer));
    if (x->proxy[0])
        json_object_set_new(j, "proxy", json_string(x->proxy));
    json_object_set_new(j, "method", text_or_null(x->method));
    json_object_set_new(j, "path", text_or_null(x->path_shown));
    json_object_set_new(j, "route", text_or_null(x->route));
    json_object_set_new(j, "status", x->answered ? json_integer(x->status) : json_null());
    json_object_set_new(j, "latency_ms", json_real(ms));
    json_object_set_new(j, "body_bytes", json_integer((json_int_t)x->received));
    json_object_set_new(j, "caller", text_or_null(x->caller));
    json_object_set_new(j, "outcome", text_or_null(outcome ? outcome : "ok"));
    log_object(j);
}

/* ---- sending ---- */

static void peer_text(struct MHD_Connection *connection, char out[PEER_TEXT])
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, PEER_TEXT, "?");
    if (!info || !info->client_addr)
        return;
    socklen_t len = info->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                             : sizeof(struct sockaddr_in);
    if (getnameinfo(info->client_addr, len, out, PEER_TEXT, NULL, 0, NI_NUMERICHOST) != 0)
        snprintf(out, PEER_TEXT, "?");
}

/* The last X-Forwarded-For header (a client may send its own first; the trusted proxy's
 * own is the one it appended to, or added last). */
static enum MHD_Result last_forwarded_for(void *cls, enum MHD_ValueKind kind, const char *key,
                                          const char *value)
{
    (void)kind;
    if (key && value && g_ascii_strcasecmp(key, "X-Forwarded-For") == 0)
        *(const char **)cls = value;
    return MHD_YES;
}

static void client_behind_proxy(server *srv, struct MHD_Connection *connection, exchange *x)
{
    const char *header = NULL;
    char client[PEER_TEXT];
    if (!srv->opts->trusted_proxies)
        return;
    MHD_get_connection_values(connection, MHD_HEADER_KIND, last_forwarded_for, &header);
    if (forwarded_client(srv->opts->trusted_proxies, x->peer, header, client, sizeof client)) {
        g_strlcpy(x->proxy, x->peer, sizeof x->proxy);
        g_strlcpy(x->peer, client, sizeof x->peer);
    }
}

static enum MHD_Result send_response(exchange *x, struct MHD_Connection *connection,
                                     http_response *resp)
{
    struct MHD_Response *r = NULL;
    if (resp->has_fd) {
        struct stat st;
        if (fstat(resp->fd, &st) == 0 &&
            (r = MHD_create_response_from_fd((uint64_t)st.st_size, resp->fd)) != NULL)
            resp->has_fd = false; /* MHD closes it when the answer is sent */
    } else {
        /* MHD frees the body with free() once sent (it was allocated by seal_buf). */
        r = MHD_create_response_from_buffer(resp->body.len, resp->body.data, MHD_RESPMEM_MUST_FREE);
        if (r)
            resp->body = (seal_buf)SEAL_BUF_INIT;
    }
    if (!r)
        return MHD_NO;
    if (resp->content_type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Request-Id", x->request_id);
    for (size_t i = 0; i < resp->n_headers; i++)
        MHD_add_response_header(r, resp->headers[i][0], resp->headers[i][1]);
    if (atomic_load(&x->srv->stopping))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ok = MHD_queue_response(connection, resp->status, r);
    MHD_destroy_response(r);
    x->answered = ok == MHD_YES;
    x->status = resp->status;
    x->route = resp->route;
    x->outcome = resp->outcome;
    g_free(x->caller);
    x->caller = g_strdup(resp->caller);
    return ok;
}

static void refuse(exchange *x, unsigned status, const char *code, const char *detail)
{
    if (x->refuse_status)
        return;
    x->refuse_status = status;
    x->refuse_code = code;
    x->refuse_detail = g_strdup(detail);
}

static enum MHD_Result send_refusal(exchange *x, struct MHD_Connection *connection)
{
    http_request req = {.method = x->method,
                        .path = x->path,
                        .path_shown = x->path_shown,
                        .peer = x->peer,
                        .proxy = x->proxy[0] ? x->proxy : NULL,
                        .request_id = x->request_id,
                        .body_fd = -1};
    http_response resp = {.body = SEAL_BUF_INIT};
    http_problem(&resp, &req, x->refuse_status, x->refuse_code, NULL, "%s", x->refuse_detail);
    enum MHD_Result ok = send_response(x, connection, &resp);
    http_response_clear(&resp);
    return ok;
}

/* ---- bodies ---- */

static int on_part_begin(void *ctx, const char *name, const char *filename,
                         const char *content_type)
{
    exchange *x = ctx;
    if (filename) {
        http_file f = {.name = g_strdup(name),
                       .filename = g_strdup(filename),
                       .content_type = g_strdup(content_type),
                       .fd = -1};
        g_array_append_val(x->files, f);
        x->in_file = true;
        return http_tmpfile(x->srv->tmp_dir,
                            &g_array_index(x->files, http_file, x->files->len - 1).fd);
    }
    http_field f = {.name = g_strdup(name), .value = NULL};
    g_array_append_val(x->fields, f);
    x->in_file = false;
    seal_buf_clear(&x->field_value);
    return 0;
}

static int on_part_data(void *ctx, const uint8_t *data, size_t len)
{
    exchange *x = ctx;
    if (x->in_file) {
        http_file *f = &g_array_index(x->files, http_file, x->files->len - 1);
        f->size += len;
        return write_all(f->fd, data, len);
    }
    x->fields_total += len;
    if (x->field_value.len + len > FIELD_LIMIT || x->fields_total > FIELDS_LIMIT)
        return seal_error_set(SEAL_EINVAL,
                              "a multipart text field is larger than 64 KiB (or all of them "
                              "than 1 MiB); send documents as file parts (with a filename)");
    return seal_buf_append(&x->field_value, data, len);
}

static int on_part_end(void *ctx)
{
    exchange *x = ctx;
    if (x->in_file) {
        http_file *f = &g_array_index(x->files, http_file, x->files->len - 1);
        lseek(f->fd, 0, SEEK_SET);
        return 0;
    }
    http_field *f = &g_array_index(x->fields, http_field, x->fields->len - 1);
    f->value = g_strndup((const char *)x->field_value.data, x->field_value.len);
    if (strlen(f->value) != x->field_value.len)
        return seal_error_set(SEAL_EINVAL, "the multipart field '%s' holds a NUL byte", f->name);
    seal_buf_clear(&x->field_value);
    return 0;
}

static const http_multipart_callbacks part_callbacks = {on_part_begin, on_part_data, on_part_end};

static void body_failed(exchange *x, int err, const char *what)
{
    char *detail = g_strdup_printf("%s: %s", what, seal_error_last());
    if (err == SEAL_EIO || err == SEAL_ENOMEM) {
        http_log("error", x->request_id, "%s", detail);
        refuse(x, 503, "storage-unavailable",
               "the server cannot keep the request body now; try again later");
    } else {
        refuse(x, 400, "malformed-body", detail);
    }
    g_free(detail);
}

static void take_body(exchange *x, const char *data, size_t len)
{
    server *srv = x->srv;
    x->received += len;
    if (x->refuse_status)
        return;
    if (x->received > srv->max_body) {
        char *detail = g_strdup_printf("the request body is larger than %" G_GUINT64_FORMAT
                                       " bytes, the server's limit",
                                       srv->max_body);
        refuse(x, 413, "body-too-large", detail);
        g_free(detail);
        return;
    }
    int rc = 0;
    if (x->mp) {
        rc = http_multipart_feed(x->mp, (const uint8_t *)data, len);
        if (rc < 0)
            body_failed(x, rc, "the multipart/form-data body is malformed");
        return;
    }
    if (x->body_fd < 0 && srv->opts->spool_above && x->body.len + len > srv->opts->spool_above) {
        rc = http_tmpfile(srv->tmp_dir, &x->body_fd);
        if (rc == 0 && x->body.len)
            rc = write_all(x->body_fd, x->body.data, x->body.len);
        seal_buf_clear(&x->body);
    }
    if (rc == 0)
        rc = x->body_fd >= 0 ? write_all(x->body_fd, data, len)
                             : seal_buf_append(&x->body, data, len);
    if (rc < 0)
        body_failed(x, rc, "the request body");
}

static enum MHD_Result finish(exchange *x, struct MHD_Connection *connection)
{
    server *srv = x->srv;
    if (!x->refuse_status && x->mp && http_multipart_finish(x->mp) < 0)
        body_failed(x, SEAL_EFORMAT, "the multipart/form-data body is malformed");
    if (x->refuse_status)
        return send_refusal(x, connection);
    if (x->body_fd >= 0)
        lseek(x->body_fd, 0, SEEK_SET);
    http_request req = {
        .method = x->method,
        .path = x->path,
        .path_shown = x->path_shown,
        .content_type =
            MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
        .peer = x->peer,
        .proxy = x->proxy[0] ? x->proxy : NULL,
        .request_id = x->request_id,
        .body = x->body.len ? x->body.data : NULL,
        .body_len = x->body.len,
        .body_fd = x->body_fd,
        .body_size = x->received,
        .fields = x->fields ? (const http_field *)(void *)x->fields->data : NULL,
        .n_fields = x->fields ? x->fields->len : 0,
        .files = x->files ? (const http_file *)(void *)x->files->data : NULL,
        .n_files = x->files ? x->files->len : 0,
        .connection = connection,
    };
    http_response resp = {.status = 200, .body = SEAL_BUF_INIT};
    seal_error_clear();
    int rc = srv->opts->handler(srv->opts->ctx, &req, &resp);
    if (rc < 0) {
        const char *route = resp.route;
        char *caller = g_strdup(resp.caller);
        http_response_clear(&resp);
        resp = (http_response){.route = route, .caller = caller, .body = SEAL_BUF_INIT};
        http_problem_from_error(&resp, &req, rc);
    }
    enum MHD_Result ok = send_response(x, connection, &resp);
    if (srv->opts->observer)
        srv->opts->observer(srv->opts->ctx, &req, &resp,
                            (double)(g_get_monotonic_time() - x->started) / 1e6);
    http_response_clear(&resp);
    return ok;
}

static exchange *exchange_new(server *srv, struct MHD_Connection *connection, const char *url,
                              const char *method)
{
    exchange *x = g_new0(exchange, 1);
    x->srv = srv;
    x->started = g_get_monotonic_time();
    x->method = method;
    x->path = url;
    x->path_shown = http_path_shown(url);
    x->body = (seal_buf)SEAL_BUF_INIT;
    x->field_value = (seal_buf)SEAL_BUF_INIT;
    x->body_fd = -1;
    snprintf(x->request_id, sizeof x->request_id, "%08x%08x", g_random_int(), g_random_int());
    peer_text(connection, x->peer);
    client_behind_proxy(srv, connection, x);
    atomic_fetch_add(&srv->in_flight, 1);
    const char *length =
        MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (length && g_ascii_strtoull(length, NULL, 10) > srv->max_body) {
        char *detail =
            g_strdup_printf("the request body (%s bytes) is larger than %" G_GUINT64_FORMAT
                            " bytes, the server's limit",
                            length, srv->max_body);
        refuse(x, 413, "body-too-large", detail);
        g_free(detail);
        return x;
    }
    const char *type =
        MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (srv->opts->spool_above && http_is_multipart(type)) {
        x->fields = g_array_new(FALSE, TRUE, sizeof(http_field));
        x->files = g_array_new(FALSE, TRUE, sizeof(http_file));
        int rc = http_multipart_new(&x->mp, type, &part_callbacks, x);
        if (rc < 0)
            body_failed(x, SEAL_EFORMAT, "the multipart/form-data request");
    }
    return x;
}

static void exchange_free(exchange *x)
{
    g_free(x->path_shown);
    http_multipart_free(x->mp);
    for (guint i = 0; x->fields && i < x->fields->len; i++) {
        http_field *f = &g_array_index(x->fields, http_field, i);
        g_free(f->name);
        g_free(f->value);
    }
    for (guint i = 0; x->files && i < x->files->len; i++) {
        http_file *f = &g_array_index(x->files, http_file, i);
        if (f->fd >= 0)
            close(f->fd);
        g_free(f->name);
        g_free(f->filename);
        g_free(f->content_type);
    }
    if (x->fields)
        g_array_free(x->fields, TRUE);
    if (x->files)
        g_array_free(x->files, TRUE);
    if (x->body_fd >= 0)
        close(x->body_fd);
    seal_buf_clear(&x->body);
    seal_buf_clear(&x->field_value);
    g_free(x->refuse_detail);
    g_free(x->caller);
    g_free(x);
}

/* MHD calls this once when the headers are in, again for each piece of the body, and a
 * last time with no data (RFC 9112 bodies, chunked or with Content-Length alike). */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    server *srv = cls;
    exchange *x = *con_cls;
    (void)version;
    if (!x) {
        *con_cls = exchange_new(srv, connection, url, method);
        x = *con_cls;
        /* Refused from its headers alone (too large): answer now, before a client that
         * waits for 100 Continue sends the body at all. */
        return x->refuse_status ? send_refusal(x, connection) : MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!x->answered)
            take_body(x, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    return x->answered ? MHD_YES : finish(x, connection);
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    server *srv = cls;
    exchange *x = *con_cls;
    (void)connection;
    if (!x)
        return;
    log_exchange(x, toe);
    exchange_free(x);
    *con_cls = NULL;
    atomic_fetch_sub(&srv->in_flight, 1);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char *text = g_strdup_vprintf(fmt, ap);
    g_strchomp(text);
    http_log("warning", NULL, "%s: libmicrohttpd: %s", (const char *)cls, text);
    g_free(text);
}

/* "HOST:PORT", "[V6]:PORT": a numeric port, any host getaddrinfo knows. */
static int resolve_listen(struct addrinfo **out, const char *listen)
{
    char text[MAX_LISTEN_TEXT];
    if (!listen || strlen(listen) >= sizeof text)
        return seal_error_set(SEAL_EINVAL, "--listen wants HOST:PORT, e.g. 127.0.0.1:8088");
    snprintf(text, sizeof text, "%s", listen);
    char *colon = strrchr(text, ':');
    if (!colon || colon == text || !colon[1])
        return seal_error_set(SEAL_EINVAL, "--listen wants HOST:PORT, not '%s'", listen);
    *colon = '\0';
    char *host = text, *port = colon + 1;
    if (host[0] == '[') {
        size_t n = strlen(host);
        if (n < 3 || host[n - 1] != ']')
            return seal_error_set(SEAL_EINVAL, "--listen: '%s' is not [IPv6]:PORT", listen);
        host[n - 1] = '\0';
        host++;
    }
    char *end = NULL;
    unsigned long number = strtoul(port, &end, 10);
    if (*end || number > 65535)
        return seal_error_set(SEAL_EINVAL, "--listen: '%s' is not a port number", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    int err = getaddrinfo(host, port, &hints, out);
    if (err != 0)
        return seal_error_set(SEAL_EINVAL, "--listen: cannot use the address '%s': %s", host,
                              gai_strerror(err));
    return 0;
}

/* After a stop signal: no new connection is accepted; the requests in flight get up to
 * shutdown_grace seconds to finish before the daemon stops (and drops what is left). */
static void drain(server *srv, struct MHD_Daemon *daemon)
{
    atomic_store(&srv->stopping, true);
    MHD_socket listen_fd = MHD_quiesce_daemon(daemon);
    unsigned grace = srv->opts->shutdown_grace ? srv->opts->shutdown_grace : DEFAULT_SHUTDOWN_GRACE;
    gint64 deadline = g_get_monotonic_time() + (gint64)grace * G_USEC_PER_SEC;
    while (atomic_load(&srv->in_flight) > 0 && g_get_monotonic_time() < deadline)
        g_usleep(STOP_POLL_MICROSECONDS);
    if (atomic_load(&srv->in_flight) > 0)
        http_log("warning", NULL, "%s: %u request(s) still running after %u s, stopping anyway",
                 srv->opts->name, atomic_load(&srv->in_flight), grace);
    MHD_stop_daemon(daemon);
    if (listen_fd != MHD_INVALID_SOCKET)
        close(listen_fd);
}

int http_serve_run(const http_serve_opts *opts)
{
    int rc = 0;
    struct addrinfo *addr = NULL;
    struct MHD_Daemon *daemon = NULL;
    sigset_t stop, previous;
    bool masked = false;
    const char *tmp = opts->tmp_dir ? opts->tmp_dir : g_get_tmp_dir();
    server srv = {.opts = opts,
                  .max_body = opts->max_body ? opts->max_body : DEFAULT_MAX_BODY,
                  .tmp_dir = tmp};

    SEAL_ENSURE(opts->handler && opts->name, SEAL_EINVAL, "the server has no handler");
    SEAL_ENSURE(g_file_test(tmp, G_FILE_TEST_IS_DIR), SEAL_EINVAL,
                "the temporary directory %s does not exist", tmp);
    SEAL_TRY(http_mhd_load());
    SEAL_TRY(resolve_listen(&addr, opts->listen));

    /* The workers inherit this mask: only this thread takes the stop signals. */
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    SEAL_ENSURE(pthread_sigmask(SIG_BLOCK, &stop, &previous) == 0, SEAL_EIO,
                "cannot block the stop signals");
    masked = true;
    signal(SIGPIPE, SIG_IGN);

    /* ITC: an internal channel MHD needs to quiesce a daemon with a thread pool. */
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG | MHD_USE_ITC;
    if (addr->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    /* The logger comes first so that MHD's own messages about the options go through it. */
    daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, &srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log,
        (void *)opts->name, MHD_OPTION_SOCK_ADDR, addr->ai_addr, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)(opts->threads ? opts->threads : DEFAULT_THREADS), MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)(opts->idle_timeout ? opts->idle_timeout : DEFAULT_IDLE_TIMEOUT),
        MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)(opts->connection_limit ? opts->connection_limit : DEFAULT_CONNECTIONS),
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)opts->per_client_limit,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, &srv, MHD_OPTION_END);
    SEAL_ENSURE(daemon, SEAL_EIO,
                "cannot listen on %s (is the port in use, or the address not this machine's?)",
                opts->listen);

    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    char host[NI_MAXHOST] = "?";
    getnameinfo(addr->ai_addr, addr->ai_addrlen, host, sizeof host, NULL, 0, NI_NUMERICHOST);
    fprintf(stderr, "%s: listening on http://%s%s%s:%u/\n", opts->name,
            addr->ai_family == AF_INET6 ? "[" : "", host, addr->ai_family == AF_INET6 ? "]" : "",
            info ? (unsigned)info->port : 0u);
    fflush(stderr);

    int signo = 0;
    SEAL_ENSURE(sigwait(&stop, &signo) == 0, SEAL_EIO, "cannot wait for the stop signal");
    fprintf(stderr, "%s: stopping (%s)\n", opts->name, signo == SIGINT ? "SIGINT" : "SIGTERM");
    if (opts->on_stop)
        opts->on_stop(opts->ctx);
    drain(&srv, daemon);
    daemon = NULL;
out:
    if (daemon)
        MHD_stop_daemon(daemon);
    if (masked)
        pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (addr)
        freeaddrinfo(addr);
    return rc;
}
