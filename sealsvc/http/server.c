/* The responders' HTTP server (see http_serve.h): libmicrohttpd with a small thread pool
 * accepts connections, we collect each request body within a limit, hand the request to
 * the command's handler and send what it made. The calling thread waits for SIGINT or
 * SIGTERM and then stops the daemon, letting requests in flight finish. */
#include "http_serve.h"

#include "mhd_lazy.h"

#include <seal/error.h>

#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define DEFAULT_MAX_BODY    (64u * 1024u)
#define DEFAULT_THREADS     4
#define CONNECTION_TIMEOUT  30 /* seconds a client may stay idle */
#define CONNECTION_LIMIT    256
#define MAX_LISTEN_TEXT     256
#define PEER_TEXT           (NI_MAXHOST + 8)
#define TEXT_RESPONSE_LIMIT 1024

typedef struct server {
    const http_serve_opts *opts;
    size_t max_body;
} server;

/* What we keep for one request while its body arrives. */
typedef struct pending {
    seal_buf body;
    bool too_large;
} pending;

int http_response_set(http_response *resp, unsigned status, const char *content_type,
                      const void *data, size_t len)
{
    resp->status = status;
    resp->content_type = content_type;
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

static enum MHD_Result send_response(struct MHD_Connection *connection, http_response *resp)
{
    /* MHD frees the body with free() once sent (it was allocated by seal_buf). */
    struct MHD_Response *r =
        MHD_create_response_from_buffer(resp->body.len, resp->body.data, MHD_RESPMEM_MUST_FREE);
    if (!r)
        return MHD_NO;
    resp->body = (seal_buf)SEAL_BUF_INIT;
    if (resp->content_type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result ok = MHD_queue_response(connection, resp->status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result finish(server *srv, struct MHD_Connection *connection, const char *url,
                              const char *method, pending *p)
{
    char peer[PEER_TEXT];
    http_response resp = {.status = 200, .body = SEAL_BUF_INIT};
    peer_text(connection, peer);
    if (p->too_large) {
        http_response_text(&resp, MHD_HTTP_CONTENT_TOO_LARGE,
                           "the request body is larger than %zu bytes", srv->max_body);
    } else {
        http_request req = {
            .method = method,
            .path = url,
            .content_type = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                                        MHD_HTTP_HEADER_CONTENT_TYPE),
            .body = p->body.len ? p->body.data : NULL,
            .body_len = p->body.len,
            .peer = peer,
        };
        seal_error_clear();
        if (srv->opts->handler(srv->opts->ctx, &req, &resp) < 0) {
            fprintf(stderr, "%s: %s %s %s: %s error: %s\n", srv->opts->name, peer, method, url,
                    seal_error_class_name(seal_error_last_class()), seal_error_last());
            seal_buf_clear(&resp.body);
            http_response_text(&resp, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error");
        }
    }
    fprintf(stderr, "%s: %s %s %s %u %zu\n", srv->opts->name, peer, method, url, resp.status,
            resp.body.len);
    enum MHD_Result ok = send_response(connection, &resp);
    seal_buf_clear(&resp.body);
    return ok;
}

/* MHD calls this once when the headers are in, again for each piece of the body, and a
 * last time with no data (RFC 9112 bodies, chunked or with Content-Length alike). */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    server *srv = cls;
    pending *p = *con_cls;
    (void)version;
    if (!p) {
        p = calloc(1, sizeof *p);
        if (!p)
            return MHD_NO;
        *con_cls = p;
        const char *length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                                         MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (length && strtoull(length, NULL, 10) > srv->max_body)
            p->too_large = true;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!p->too_large && p->body.len + *upload_data_size > srv->max_body)
            p->too_large = true;
        if (!p->too_large && seal_buf_append(&p->body, upload_data, *upload_data_size) < 0)
            return MHD_NO;
        *upload_data_size = 0;
        return MHD_YES;
    }
    return finish(srv, connection, url, method, p);
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)connection;
    (void)toe;
    pending *p = *con_cls;
    if (p) {
        seal_buf_clear(&p->body);
        free(p);
        *con_cls = NULL;
    }
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: ", (const char *)cls);
    vfprintf(stderr, fmt, ap);
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

int http_serve_run(const http_serve_opts *opts)
{
    int rc = 0;
    struct addrinfo *addr = NULL;
    struct MHD_Daemon *daemon = NULL;
    sigset_t stop, previous;
    bool masked = false;
    server srv = {opts, opts->max_body ? opts->max_body : DEFAULT_MAX_BODY};

    SEAL_ENSURE(opts->handler && opts->name, SEAL_EINVAL, "the server has no handler");
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

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
    if (addr->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    /* The logger comes first so that MHD's own messages about the options go through it. */
    daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, &srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log,
        (void *)opts->name, MHD_OPTION_SOCK_ADDR, addr->ai_addr, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)(opts->threads ? opts->threads : DEFAULT_THREADS), MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)CONNECTION_TIMEOUT, MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
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
out:
    if (daemon)
        MHD_stop_daemon(daemon);
    if (masked)
        pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (addr)
        freeaddrinfo(addr);
    return rc;
}
