/* `sealsvc serve`, the HTTP API: what its parts share. The server core (server.h) hands
 * every request to the router (router.c), which finds the route in the one route table
 * (the table the OpenAPI document is checked against), checks the caller's API key and
 * role (auth.c), opens the request's own store handle and calls the route's handler with
 * a `call`. The handlers (routes_*.c) fill a seal_stamp_request or a verify call from the
 * request, or make the store or CA call the command line makes for the same change
 * (the administration routes, their JSON bodies read by json_body.c), and answer with the
 * library's result; errors are problem documents (problem.h); metrics.c counts. */
#ifndef SEALSVC_HTTP_SERVICE_H
#define SEALSVC_HTTP_SERVICE_H

#include "problem.h"
#include "server.h"

#include <seal/net.h>
#include <seal/pki.h>
#include <seal/stamp.h>
#include <seal/store.h>

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* The service's settings: the config file, then SEALSVC_* environment variables, then the
 * command line (docs/serve.md). */
typedef struct serve_config {
    char *listen;
    char *data_dir;
    char *db_url;               /* the database; NULL: DATA_DIR/sealsvc.db */
    char *tmp_dir;              /* request bodies and answers on their way; NULL: $TMPDIR */
    uint64_t max_body;          /* bytes */
    unsigned threads;           /* 0: the number of CPUs */
    unsigned connections;       /* at once */
    unsigned per_client;        /* connections from one address at once */
    char *trusted_proxies;      /* addresses and networks whose X-Forwarded-For is believed */
    unsigned idle_timeout;      /* seconds */
    unsigned shutdown_grace;    /* seconds */
    unsigned verify_per_minute; /* verify requests one client address may make a minute */
    bool verify_offline;        /* verify without fetching CRLs or OCSP answers */
    char *tsa_url;              /* the TSA for level B-T and above when a request names none */
    char *outbound_allow;       /* internal addresses a requester's TSA or a document's CRL, OCSP
                                   and issuer URLs may reach nevertheless (seal/net.h) */
    char *stamp_input_policy;   /* the input policy of keys that have none; NULL: strict */
    bool responders;            /* serve /tsa, /ocsp and /crl from the data directory */
    char *web_dir;              /* the web pages' folder; NULL: the one installed (cmd_serve.c) */
    /* batch jobs (routes_jobs.c, jobs_worker.c) */
    unsigned job_workers;           /* worker threads of this instance; 0: none */
    uint64_t job_document_max;      /* bytes one document of a job may have */
    unsigned job_stale_after;       /* seconds without a heartbeat before a job is taken over */
    unsigned job_callback_attempts; /* a callback's tries before it is given up */
    char *job_callback_allow;       /* internal addresses callbacks may reach nevertheless */
    unsigned job_keep_days;         /* days an ended job and its results are kept */
    /* the clerk desk's sessions (routes_session.c, docs/desk.md) */
    unsigned desk_idle;     /* seconds a session lives without a request */
    unsigned desk_lifetime; /* seconds a session lives at most */
    unsigned desk_lock_for; /* seconds an account stays locked after 5 wrong passwords */
    /* remote signing (routes_csc.c, docs/csc.md) */
    unsigned csc_sad_seconds; /* seconds a SAD lives */
} serve_config;

typedef struct metrics metrics;
typedef struct rate_limit rate_limit;
typedef struct responders responders;
typedef struct job_runner job_runner;

typedef struct service {
    const serve_config *cfg;
    char *work_dir; /* DATA/serve: stamp outputs and the prepared files of pending stamps */
    metrics *metrics;
    seal_store_pool *stores; /* the requests' stores, reused (seal_store_pool_take) */
    rate_limit *verify_limit;
    responders *responders; /* NULL when not served */
    job_runner *jobs;       /* this instance's job workers; NULL when it runs none */
    char *web_root;         /* the web pages' folder, resolved; NULL: no pages served */
    /* where callbacks may connect (jobs_callback.c): [jobs] callback_allow */
    seal_net_guard *callback_guard;
    /* where connections to URLs others chose may go ([server] outbound_allow): a TSA a
     * request names, the CRL, OCSP and issuer URLs of a document's certificates */
    seal_net_guard *outbound;
} service;

/* Who may call a route. */
enum {
    ROLE_ADMIN = 1 << 0,
    ROLE_PORTAL = 1 << 1,
    ROLE_CLERK = 1 << 2,
    ROLE_AUDITOR = 1 << 3,
    ROLES_ANY = ROLE_ADMIN | ROLE_PORTAL | ROLE_CLERK | ROLE_AUDITOR,
    ROLES_STAMP = ROLE_ADMIN | ROLE_PORTAL | ROLE_CLERK,
    ROLES_READ = ROLE_ADMIN | ROLE_AUDITOR, /* the audit trail and the seals' lifecycle */
    ROUTE_PUBLIC = 0
};

/* The most {name} segments a route's path has. */
#define SERVE_PATH_PARAMS 2

/* One request on its way through a route. */
typedef struct call {
    service *svc;
    const http_request *req;
    http_response *resp;
    seal_store *store;      /* opened for routes that use it */
    seal_apikey_record key; /* the caller, for routes with a key; a desk session acts as a
                               clerk key of its institution, its id "person:ID" */
    bool has_key;
    seal_desk_session session; /* the caller, when it came with a desk session's cookie */
    bool has_session;
    const char *id;  /* the first {name} segment of the route's path, when it has one */
    const char *sub; /* the second ("/api/v1/people/{id}/roles/{role}": the role; a job's
                        document's {n}) */
} call;

typedef struct serve_route {
    const char *method;
    const char *pattern; /* "/api/v1/seals/{id}/picture": a {name} is one path segment; a
                            route has at most two */
    unsigned roles;      /* ROUTE_PUBLIC or the roles whose keys may call it */
    bool store;          /* the handler gets call->store */
    int (*handler)(call *c);
} serve_route;

/* The route table (router.c) and its size. */
extern const serve_route serve_routes[];
extern const size_t serve_route_count;

/* The server core's handler for the service (ctx: the service). */
int serve_dispatch(void *ctx, const http_request *req, http_response *resp);

/* ---- auth.c ---- */
/* The desk session cookie's name. */
#define DESK_COOKIE "sealsvc_session"
/* Checks `Authorization: Bearer KEY`, or without one the desk session's cookie (and, on a
 * mutating request, its X-CSRF-Token), against the store and the route's roles: 0 with
 * c->key (and c->session) filled, or 1 when it answered (401, 403) itself, or an error. */
int auth_check(call *c, unsigned roles);
/* The API key of a "Bearer KEY" Authorization header, checked: 0 with c->key (and
 * c->has_key); SEAL_EAUTH when the header is not Bearer or the key is unknown, revoked or
 * expired (seal_error_last() says which; a known key's id goes to the log); or an error. */
int auth_bearer(call *c, const char *header);
/* The desk session token in the request's Cookie header, or NULL (g_free). */
char *auth_session_token(const call *c);
/* The desk's session rules from the service's settings. */
seal_desk_policy auth_desk_policy(const call *c);
/* Whether the caller may see and use seal `r` (admin: any; a key with an institution:
 * that institution's). */
bool auth_may_use_seal(const call *c, const seal_record *r);
/* Reads seal `id` for the caller: 0 with *r filled; 1 when it answered (404 unknown, 403
 * another institution's); or an error. */
int auth_seal(call *c, const char *id, seal_record *r);
/* The audit trail's actor for the caller: "apikey:ID", or "person:ID" for a desk session
 * (g_free). */
char *auth_actor(const call *c);

/* ---- metrics.c ---- */
int metrics_new(metrics **out);
void metrics_free(metrics *m);
/* The server core's observer: counts the answer by route and status, and its latency. */
void metrics_observe(void *ctx, const http_request *req, const http_response *resp, double seconds);
void metrics_stamp(metrics *m, const char *format, const char *algorithm, const char *outcome);
/* The Prometheus text exposition (version 0.0.4); `pending` is the pending stamps' count,
 * `jobs` the batch jobs queued and running; -1 when unknown. */
int metrics_render(metrics *m, long pending, const long jobs[2], seal_buf *out);

/* ---- rate limits (metrics.c) ---- */
int rate_limit_new(rate_limit **out, unsigned per_minute);
void rate_limit_free(rate_limit *r);
/* 0 when `who` may go on; else the seconds until it may. */
unsigned rate_limit_take(rate_limit *r, const char *who);

/* ---- the routes' helpers (routes_stamp.c) ---- */
/* A request parameter: a multipart field, else a query parameter; NULL when absent. */
const char *call_param(const call *c, const char *name);
/* The document of a request: the multipart part "file", or the raw body (PDF, OFD or
 * octet-stream). 0 with a new descriptor; 1 when it answered (400, 415). */
int call_document(call *c, int *fd_out, const char **name_out);
/* Answers a refused stamp or PIN: a wrong PIN says how many tries are left (and 423 once
 * the seal locked); a request the document cannot take (`usage`) is 400; the rest by the
 * error's class. */
int call_stamp_refused(call *c, bool usage, const char *seal_id, int err);
/* The input policy a caller's stamps have (docs/stamping.md): its API key's own, else the
 * service's [stamp] input_policy, else strict for an API key (a portal submits documents
 * it did not write) and warn for a desk session (a clerk sees the document and reads the
 * warnings). A request may ask for a stricter one, never a looser one. */
seal_input_policy call_input_policy(call *c);
/* A batch job's input policy fixed at submit (docs/stamping.md), as its TSA is: the
 * caller's, or the stricter one `params` asks for, written into `params`; 403 when it
 * asks for a looser one. 0, 1 when it answered, or an error (routes_stamp.c). */
int call_input_policy_fix(call *c, json_t *params);
/* A stamp (external: a prepare) of the request's parameters: of `document_fd` (taken
 * over: closed) named `document_name` when it is >= 0, else of the request's document
 * (call_document). Answers the sealed document (200 with its descriptor), the prepared
 * stamp, or the refusal. */
int call_stamp(call *c, bool external, int document_fd, const char *document_name);
/* Answers with the JSON `j` (taken over). */
int call_json(call *c, unsigned status, json_t *j);
/* Whether a Content-Type header is `type`, parameters aside, case-insensitive (RFC 9110
 * 8.3.1). */
bool call_type_is(const char *header, const char *type);
/* The media type of a document format ("PDF" -> application/pdf). */
const char *serve_media_type(const char *format);

/* ---- JSON request bodies, query parameters and the store's refusals (json_body.c) ----
 * What the administration routes share: a body is one JSON object whose members are
 * named in a table with their types; a body that does not fit is 400 naming the member, a
 * value the library refuses is 422. Nothing here ever quotes a value back: it may be an
 * identity number. */
typedef enum body_type { BODY_STRING, BODY_INTEGER, BODY_BOOLEAN, BODY_TIME } body_type;

typedef struct body_member {
    const char *name;
    body_type type; /* BODY_TIME: a string cli_parse_time reads ("2026-12-31T18:00:00Z") */
    bool required;
} body_member;

/* The request's body as a JSON object whose members are all among `members` (n of them),
 * each of its type, the required ones present; an empty body is {}. 0 with *out (the
 * caller json_decref's it); 1 when it answered: 415 not application/json, 413 over 64 KiB,
 * 400 malformed-json or invalid-request (with `field`). */
int call_json_body(call *c, const body_member *members, size_t n, json_t **out);
/* A member call_json_body accepted: its text (NULL when absent), its time (`otherwise`
 * when absent). */
const char *body_text(json_t *body, const char *name);
time_t body_time(json_t *body, const char *name, time_t otherwise);
/* A time query parameter: 0 with *out (unchanged when absent), or 1 when it answered 400. */
int call_query_time(call *c, const char *name, time_t *out);
/* A whole-number query parameter within [min, max]: 0 with *out (unchanged when absent),
 * or 1 when it answered 400. */
int call_query_int(call *c, const char *name, int64_t min, int64_t max, int64_t *out);
/* 400 invalid-request naming `field` (a body member or a query parameter). Returns 1. */
int call_bad_field(call *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A path's id as a positive number: 0 with *out, or 1 when it answered 404
 * `not_found_code` (a literal), without quoting the id. */
int call_path_number(call *c, const char *id, const char *not_found_code, int64_t *out);
/* The answer to a refusal by libseal of a request that fitted its schema: SEAL_EINVAL is
 * 422 invalid-value (an invalid credit code...), SEAL_ENOTFOUND 404 `not_found_code` (a
 * literal: the path's resource) or, with NULL, 422 unknown-reference (something the body
 * names), the rest by problem.c's table. Returns 0 once answered. */
int call_refused(call *c, int err, const char *not_found_code);
/* An ISO 8601 time for JSON, or null for 0. */
json_t *json_time(time_t t);
/* A string or null. */
json_t *json_text(const char *text);
/* The actor's key when it acts for one institution (not an admin's): its credit code. */
const char *call_institution(const call *c);

/* ---- routes_responders.c ---- */
/* The TSA and the OCSP responder of the data directory, each when it has one. */
int responders_open(responders **out, const char *db_url, const char *data_dir);
void responders_free(responders *r);

/* ---- routes_static.c: the web pages ---- */
/* The web folder: `configured` (it must be a folder), else the first of `candidates`
 * (NULL-terminated) that holds verify/index.html, resolved (*out: g_free); *out NULL when
 * none does. */
int serve_web_root(char **out, const char *configured, const char *const *candidates);
int route_page(call *c);     /* "/NAME/": web/NAME/index.html */
int route_web_file(call *c); /* "/web/{rest}": that file of the web folder */

/* ---- route handlers ---- */
/* routes_session.c: the clerk desk's login, who is logged in, logout */
int route_session_create(call *c);
int route_session(call *c);
int route_session_delete(call *c);
/* routes_documents.c: uploads for the desk's previews, private to their owner */
int route_document_upload(call *c);
int route_document(call *c);
int route_document_page(call *c);
int route_document_find(call *c);
int route_document_stamp(call *c);
int route_healthz(call *c);
int route_readyz(call *c);
int route_metrics(call *c);
int route_openapi(call *c);
int route_stamp(call *c);
int route_stamp_prepare(call *c);
int route_stamp_finish(call *c);
int route_verify(call *c);
int route_seals(call *c);
int route_seal(call *c);
int route_seal_picture(call *c);
int route_jobs(call *c);
int route_job_submit(call *c);
int route_job(call *c);
int route_job_document(call *c);
int route_job_zip(call *c);
int route_job_cancel(call *c);
int route_tsa(call *c);
int route_ocsp(call *c);
int route_crl(call *c);
/* routes_admin.c: institutions, people and their roles, API keys */
int route_institutions(call *c);
int route_institution_create(call *c);
int route_institution(call *c);
int route_people(call *c);
int route_person_create(call *c);
int route_person(call *c);
int route_person_role_add(call *c);
int route_person_role_remove(call *c);
int route_apikeys(call *c);
int route_apikey_create(call *c);
int route_apikey_revoke(call *c);
/* routes_grants.c */
int route_grants(call *c);
int route_grant_create(call *c);
int route_grant(call *c);
int route_grant_revoke(call *c);
int route_grant_rule(call *c);
int route_grant_rule_set(call *c);
/* routes_lifecycle.c */
int route_seal_events(call *c);
int route_seal_event_add(call *c);
int route_seal_state(call *c);
int route_seal_lock(call *c);
int route_seal_unlock(call *c);
/* routes_certs.c */
int route_cert_status(call *c);
int route_cert_revoke(call *c);
int route_cert_freeze(call *c);
int route_cert_unfreeze(call *c);
/* routes_audit.c */
int route_audit(call *c);
int route_audit_verify(call *c);
/* routes_csc.c: remote signing, Cloud Signature Consortium API v2 (docs/csc.md) */
int route_csc_info(call *c);
int route_csc_credentials_list(call *c);
int route_csc_credentials_info(call *c);
int route_csc_credentials_authorize(call *c);
int route_csc_sign_hash(call *c);
int route_csc_sign_doc(call *c);
/* Any other POST /csc/v2/...: 501 not_implemented_method (router.c calls it). */
int route_csc_not_implemented(call *c);

#endif
