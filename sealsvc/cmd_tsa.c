/* `sealsvc tsa --listen HOST:PORT`: the platform's own RFC 3161 time-stamping authority
 * over HTTP (RFC 3161 3.4). The platform's TSA key (in the database, under the
 * key-encryption key) signs; libseal's responder does the protocol; http/server.c does the
 * HTTP. Serial numbers come from the database's counter "tsa-serial", so that several
 * instances on one database never issue the same one. */
#include "cli.h"
#include "http/server.h"
#include "responders.h"

#include <seal/ca.h>
#include <seal/error.h>
#include <seal/store.h>
#include <seal/tsp.h>

#include <errno.h>
#include <getopt.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#define SERIAL_COUNTER     "tsa-serial"
#define MAX_REQUEST_BYTES  (16u * 1024u) /* a TimeStampReq is a few hundred bytes */
#define DEFAULT_ACCURACY   1000
#define QUERY_CONTENT_TYPE "application/timestamp-query"
#define REPLY_CONTENT_TYPE "application/timestamp-reply"

static const char tsa_usage[] =
    "usage: sealsvc [--data DIR] [--db URL] tsa --listen HOST:PORT [--policy OID]\n"
    "                                [--accuracy-ms N]\n"
    "                                [--threads N]\n"
    "\n"
    "Serves RFC 3161 timestamps over HTTP (POST " QUERY_CONTENT_TYPE " to /tsa or /),\n"
    "signed with the platform's TSA certificate, until SIGINT or SIGTERM.\n"
    "\n"
    "  --listen HOST:PORT  where to listen (port 0: a free port, printed on stderr)\n"
    "  --data DIR          the data directory (also a global option)\n"
    "  --policy OID        the TSA policy of every token (default: the demo policy\n"
    "                      " SEAL_TSA_DEMO_POLICY ")\n"
    "  --accuracy-ms N     the accuracy stated in tokens (default 1000; 0: none)\n"
    "  --threads N         worker threads (default 4)\n";

struct tsa_service {
    seal_tsa *tsa;
    seal_signer *signer;
    seal_store *st; /* for the serial counter: used under the TSA's own lock only */
};

/* The media type without parameters, compared case-insensitively (RFC 9110 8.3.1). */
static bool is_query_type(const char *type)
{
    size_t n = strlen(QUERY_CONTENT_TYPE);
    return type && strncasecmp(type, QUERY_CONTENT_TYPE, n) == 0 &&
           (type[n] == '\0' || type[n] == ';' || type[n] == ' ');
}

int tsa_handle(void *ctx, const http_request *req, http_response *resp)
{
    tsa_service *svc = ctx;
    if (strcmp(req->path, "/tsa") != 0 && strcmp(req->path, "/") != 0)
        return http_response_text(resp, 404, "no such resource: the TSA is at /tsa");
    if (strcmp(req->method, "POST") != 0)
        return http_response_text(resp, 405, "the TSA takes POST " QUERY_CONTENT_TYPE);
    if (!is_query_type(req->content_type))
        return http_response_text(resp, 415, "expected Content-Type " QUERY_CONTENT_TYPE ", not %s",
                                  req->content_type ? req->content_type : "(none)");
    seal_tsp_status status;
    int rc = seal_tsa_respond(svc->tsa, &resp->body, &status, req->body, req->body_len, time(NULL));
    if (rc < 0 && resp->body.len == 0)
        return rc;
    if (rc < 0) /* a systemFailure answer was made: send it, keep the reason in our log */
        fprintf(stderr, "tsa: %s: %s\n", req->peer, seal_error_last());
    resp->status = 200;
    resp->content_type = REPLY_CONTENT_TYPE;
    return 0;
}

/* The TSA's key and certificate, and its issuing CA, from the database. */
static int load_tsa_signer(seal_signer **out, seal_store *st)
{
    int rc = 0;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL, *ca = NULL;
    STACK_OF(X509) *chain = sk_X509_new_null();
    SEAL_ENSURE(chain, SEAL_ENOMEM, "out of memory");
    SEAL_TRY(seal_ca_load_party(st, "tsa", &cert, &key));
    SEAL_TRY(seal_store_party_cert(st, "issuing-ca", &ca));
    SEAL_ENSURE(sk_X509_push(chain, ca), SEAL_ENOMEM, "out of memory");
    ca = NULL;
    SEAL_TRY(seal_signer_new_software(out, key, cert, chain));
out:
    EVP_PKEY_free(key);
    X509_free(cert);
    X509_free(ca);
    sk_X509_pop_free(chain, X509_free);
    return rc;
}

static int reserve_serials(void *ctx, uint64_t count, uint64_t *first)
{
    tsa_service *svc = ctx;
    return seal_store_counter_reserve(svc->st, SERIAL_COUNTER, count, first);
}

static int parse_count(const char *text, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < 0 || v > max)
        return -1;
    *out = v;
    return 0;
}

int tsa_service_open(tsa_service **out, const char *db_url, const char *data, const char *policy,
                     long accuracy_ms)
{
    int rc = 0;
    tsa_service *svc = g_new0(tsa_service, 1);
    SEAL_TRY(seal_store_open_db(&svc->st, db_url, data, false));
    SEAL_TRY(load_tsa_signer(&svc->signer, svc->st));
    seal_tsa_config config = {
        .signer = svc->signer,
        .policy = policy ? policy : SEAL_TSA_DEMO_POLICY,
        .accuracy_ms = (unsigned)accuracy_ms,
        .reserve = reserve_serials,
        .reserve_ctx = svc,
    };
    SEAL_TRY(seal_tsa_new(&svc->tsa, &config));
    char *name = seal_cert_subject_cn(seal_signer_cert(svc->signer));
    fprintf(stderr, "tsa: %s, policy %s, serial numbers from the database\n", name ? name : "TSA",
            config.policy);
    free(name);
    *out = svc;
    svc = NULL;
out:
    tsa_service_free(svc);
    return rc;
}

void tsa_service_free(tsa_service *svc)
{
    if (!svc)
        return;
    seal_tsa_free(svc->tsa);
    seal_signer_free(svc->signer);
    seal_store_close(svc->st);
    g_free(svc);
}

int cmd_tsa(const cli_ctx *ctx, int argc, char **argv)
{
    static const struct option options[] = {
        {"listen", required_argument, NULL, 'l'},
        {"data", required_argument, NULL, 'd'},
        {"policy", required_argument, NULL, 'p'},
        {"accuracy-ms", required_argument, NULL, 'a'},
        {"threads", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *listen = NULL, *data = cli_data_dir(ctx), *policy = SEAL_TSA_DEMO_POLICY;
    long accuracy = DEFAULT_ACCURACY, threads = 0;
    int code = EXIT_ERROR;

    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 'l':
            listen = optarg;
            break;
        case 'd':
            data = optarg;
            break;
        case 'p':
            policy = optarg;
            break;
        case 'a':
            if (parse_count(optarg, 3600L * 1000, &accuracy) < 0)
                return cli_usage_error("--accuracy-ms wants milliseconds, not '%s'", optarg);
            break;
        case 't':
            if (parse_count(optarg, 256, &threads) < 0 || threads == 0)
                return cli_usage_error("--threads wants 1 to 256, not '%s'", optarg);
            break;
        case 'h':
            fputs(tsa_usage, stdout);
            return EXIT_OK;
        default:
            return cli_usage_error("tsa: unknown option");
        }
    }
    if (optind < argc)
        return cli_usage_error("tsa: unexpected argument '%s'", argv[optind]);
    if (!listen)
        return cli_usage_error("tsa needs --listen HOST:PORT (e.g. 127.0.0.1:8090)");
    if (!data)
        return cli_usage_error("tsa needs the data directory: --data DIR or $SEALSVC_DATA");

    tsa_service *svc = NULL;
    if (tsa_service_open(&svc, ctx->db_url, data, policy, accuracy) < 0)
        return cli_fail("tsa");
    http_serve_opts serve = {
        .listen = listen,
        .name = "tsa",
        .max_body = MAX_REQUEST_BYTES,
        .threads = (unsigned)threads,
        .handler = tsa_handle,
        .ctx = svc,
    };
    code = http_serve_run(&serve) < 0 ? cli_fail("tsa") : EXIT_OK;
    tsa_service_free(svc);
    return code;
}
