/* RFC 9457 problem documents: every refusal and failure the HTTP face sends is one
 * application/problem+json object with type, title, status, detail and our stable `code`
 * (the class of the error, for programs to switch on), plus the request id. libseal's
 * error codes (seal/error.h) map onto a status and a code here, in one table, the way
 * the command line maps them onto exit codes. */
#ifndef SEALSVC_HTTP_PROBLEM_H
#define SEALSVC_HTTP_PROBLEM_H

#include "server.h"

#include <jansson.h>

#define HTTP_PROBLEM_TYPE "application/problem+json"

/* Sets `resp` to a problem document. `extra` (may be NULL, taken over) adds members
 * ("tries_left"...). 0, or SEAL_ENOMEM. */
int http_problem(http_response *resp, const http_request *req, unsigned status, const char *code,
                 json_t *extra, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* The problem for libseal error `err` (its message is the detail, except for the server's
 * own faults: 5xx say only that the server failed and the log has the message). */
int http_problem_from_error(http_response *resp, const http_request *req, int err);

/* The status and code libseal error `err` maps to. */
void http_problem_for_error(int err, unsigned *status, const char **code);

#endif
