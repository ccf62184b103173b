/* libmicrohttpd, loaded on first use through libseal's lazy loader (base/lazy.h). Only the
 * responders (`sealsvc tsa`, `sealsvc ocsp`) and the service (`sealsvc serve`) serve
 * HTTP; linking it made every sealsvc command load and relocate it with GnuTLS and what GnuTLS
 * needs (nine libraries in all) at start-up, about a third of the dynamic loader's work in `sealsvc
 * --version`. So sealsvc is not linked with it.
 *
 * Files that serve HTTP include this header instead of <microhttpd.h> and call
 * libmicrohttpd by its own names: each name below is defined onto the table's field of the
 * same name without the MHD_ prefix (`MHD_stop_daemon(d)` becomes
 * `(http_mhd.stop_daemon)(d)`). http_mhd_load() must have succeeded before the first call
 * (http_serve_run, in http/server.c, calls it before it starts a daemon). To use another MHD
 * function, add it to HTTP_MHD_FUNCTIONS and define its name below; one left out fails sealsvc's
 * link. */
#ifndef SEALSVC_MHD_LAZY_H
#define SEALSVC_MHD_LAZY_H

#include <microhttpd.h>

/* Every libmicrohttpd function sealsvc calls, without the MHD_ prefix. */
#define HTTP_MHD_FUNCTIONS(X)                                                                      \
    X(start_daemon)                                                                                \
    X(stop_daemon)                                                                                 \
    X(get_daemon_info)                                                                             \
    X(get_connection_info)                                                                         \
    X(lookup_connection_value)                                                                     \
    X(get_connection_values)                                                                       \
    X(create_response_from_buffer)                                                                 \
    X(create_response_from_fd)                                                                     \
    X(quiesce_daemon)                                                                              \
    X(add_response_header)                                                                         \
    X(queue_response)                                                                              \
    X(destroy_response)

/* The table, each field typed from libmicrohttpd's own declaration. */
typedef struct http_mhd_table {
#define HTTP_MHD_FIELD(name) __typeof__(MHD_##name) *name;
    HTTP_MHD_FUNCTIONS(HTTP_MHD_FIELD)
#undef HTTP_MHD_FIELD
} http_mhd_table;

/* Filled by http_mhd_load; read only after it succeeded. */
extern http_mhd_table http_mhd;

/* Loads libmicrohttpd on the first call (safe from any thread); SEAL_EUNSUPPORTED "serving
 * HTTP needs libmicrohttpd (SONAME), and ..." when it cannot be loaded. */
int http_mhd_load(void);

#define MHD_start_daemon                (http_mhd.start_daemon)
#define MHD_stop_daemon                 (http_mhd.stop_daemon)
#define MHD_get_daemon_info             (http_mhd.get_daemon_info)
#define MHD_get_connection_info         (http_mhd.get_connection_info)
#define MHD_lookup_connection_value     (http_mhd.lookup_connection_value)
#define MHD_get_connection_values       (http_mhd.get_connection_values)
#define MHD_create_response_from_buffer (http_mhd.create_response_from_buffer)
#define MHD_create_response_from_fd     (http_mhd.create_response_from_fd)
#define MHD_quiesce_daemon              (http_mhd.quiesce_daemon)
#define MHD_add_response_header         (http_mhd.add_response_header)
#define MHD_queue_response              (http_mhd.queue_response)
#define MHD_destroy_response            (http_mhd.destroy_response)

#endif
