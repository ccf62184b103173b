/* `sealsvc ocsp --listen HOST:PORT`: the platform's OCSP responder (RFC 6960) and CRL
 * publication point over HTTP. OCSP requests (POST to / or /ocsp, or GET /ocsp/BASE64,
 * RFC 6960 A.1) are answered from the CA database, signed by the demo OCSP-signing
 * certificate; GET /crl/NAME.crl serves the CRL CA NAME published last (in the database),
 * re-published when it is within an hour of its nextUpdate. Every listener serves both, so the
 * demo's two ports (8088 for OCSP, 8089 for CRLs) are two `sealsvc ocsp` processes. */
#include "cli.h"
#include "http/server.h"
#include "responders.h"

#include <seal/ca.h>
#include <seal/error.h>
#include <seal/revocation.h>
#include <seal/store.h>

#include <getopt.h>
#include <glib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_REQUEST_BYTES  (16u * 1024u)
#define CRL_REFRESH_MARGIN 3600 /* re-publish a CRL this close to its nextUpdate */
#define RESPONSE_TYPE      "application/ocsp-response"
#define CRL_TYPE           "application/pkix-crl"

static const char ocsp_usage[] =
    "usage: sealsvc [--data DIR] ocsp --listen HOST:PORT [--ca NAME] [--signer NAME]\n"
    "                                 [--validity MINUTES] [--threads N]\n"
    "\n"
    "Answers OCSP requests (POST application/ocsp-request to / or /ocsp, or GET\n"
    "/ocsp/BASE64) for the certificates of the CA NAME (default issuing-ca) from the\n"
    "CA database, and serves GET /crl/NAME.crl (the CRLs in the database, re-published\n"
    "before they go stale), until SIGINT or SIGTERM. The demo's certificates name\n"
    "127.0.0.1:8088 for OCSP and 127.0.0.1:8089 for CRLs: run one responder on each.\n"
    "\n"
    "  --listen HOST:PORT  where to listen (port 0: a free port, printed on stderr)\n"
    "  --data DIR          the data directory (also a global option)\n"
    "  --ca NAME           the CA answered for (default issuing-ca)\n"
    "  --signer NAME       which of the platform's certificates signs responses, with\n"
    "                      its key (default ocsp, the delegated responder; or the CA's\n"
    "                      own name)\n"
    "  --validity MINUTES  nextUpdate - thisUpdate of each answer (default 60)\n"
    "  --threads N         worker threads (default 4)\n";

struct ocsp_service {
    seal_store *st; /* one handle for all the worker threads: used under store_lock */
    pthread_mutex_t store_lock;
    seal_ca *ca;
    seal_ocsp_responder responder;
    pthread_mutex_t publish_lock;
};

static int lookup(void *ctx, const char *serial, seal_ocsp_answer *out)
{
    ocsp_service *svc = ctx;
    seal_ca_record c = {0};
    pthread_mutex_lock(&svc->store_lock);
    int rc = seal_store_ca_find(svc->st, serial, seal_ca_key_id(svc->ca), &c);
    pthread_mutex_unlock(&svc->store_lock);
    /* A serial the CA never issued, or one no CA could (negative): RFC 6960 2.2 unknown. */
    if (rc == SEAL_ENOTFOUND || rc == SEAL_EINVAL) {
        seal_error_clear();
        out->state = SEAL_CERT_UNKNOWN;
        return 0;
    }
    if (rc < 0)
        return rc;
    out->state = c.state == SEAL_CA_REVOKED ? SEAL_CERT_REVOKED
                 : c.state == SEAL_CA_HOLD  ? SEAL_CERT_SUSPENDED
                                            : SEAL_CERT_GOOD;
    out->revoked_at = c.revoked_at;
    out->reason = c.reason;
    out->invalidity_date = c.invalidity_date;
    seal_ca_record_clear(&c);
    return 0;
}

static bool valid_crl_name(const char *name)
{
    size_t n = strlen(name);
    if (n < 5 || n > 68 || strcmp(name + n - 4, ".crl") != 0 || name[0] == '.')
        return false;
    for (size_t i = 0; i < n - 4; i++)
        if (!g_ascii_isalnum(name[i]) && name[i] != '-' && name[i] != '_')
            return false;
    return true;
}

static int serve_crl(ocsp_service *svc, const char *name, http_response *resp)
{
    int rc = 0;
    seal_buf der = SEAL_BUF_INIT;
    seal_ca *ca = NULL;
    char *ca_name = g_strndup(name, strlen(name) - 4);
    time_t tu = 0, nu = 0;
    pthread_mutex_lock(&svc->publish_lock);
    pthread_mutex_lock(&svc->store_lock);
    bool have = seal_store_crl_get(svc->st, ca_name, &der, &tu, &nu) == 0;
    /* Only the platform's own CAs publish here; a CRL close to its nextUpdate is replaced
     * by a new one valid as long as it was. */
    if ((!have || (nu && nu - time(NULL) < CRL_REFRESH_MARGIN)) &&
        seal_ca_open(&ca, svc->st, ca_name) == 0) {
        int hours = nu > tu ? (int)((nu - tu + 3599) / 3600) : 0;
        rc = seal_ca_publish_crl(ca, hours, &der, "ocsp responder");
        have = rc == 0;
    }
    pthread_mutex_unlock(&svc->store_lock);
    pthread_mutex_unlock(&svc->publish_lock);
    if (rc < 0)
        goto out;
    seal_error_clear();
    rc = have ? http_response_set(resp, 200, CRL_TYPE, der.data, der.len)
              : http_response_text(resp, 404, "no CRL %s here", name);
out:
    seal_ca_free(ca);
    seal_buf_clear(&der);
    g_free(ca_name);
    return rc;
}

int ocsp_handle(void *ctx, const http_request *req, http_response *resp)
{
    ocsp_service *svc = ctx;
    int rc = 0;
    guchar *decoded = NULL;
    seal_buf answer = SEAL_BUF_INIT;
    if (g_str_has_prefix(req->path, "/crl/")) {
        if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)
            return http_response_text(resp, 405, "CRLs are fetched with GET");
        if (!valid_crl_name(req->path + 5))
            return http_response_text(resp, 404, "no such CRL: CRLs are /crl/NAME.crl");
        return serve_crl(svc, req->path + 5, resp);
    }
    const uint8_t *body = req->body;
    size_t len = req->body_len;
    if (strcmp(req->method, "GET") == 0) {
        /* RFC 6960 A.1: GET {url}/{base64 of the DER request, URL-encoded}; the path
         * arrives percent-decoded. */
        const char *b64 = g_str_has_prefix(req->path, "/ocsp/") ? req->path + 6
                          : req->path[0] == '/'                 ? req->path + 1
                                                                : req->path;
        gsize n = 0;
        if (!*b64 || strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                                 "+/=") != strlen(b64))
            return http_response_text(resp, 404,
                                      "OCSP requests are POSTed to /ocsp or sent as GET "
                                      "/ocsp/BASE64");
        decoded = g_base64_decode(b64, &n);
        body = decoded;
        len = n;
    } else if (strcmp(req->method, "POST") != 0) {
        return http_response_text(resp, 405, "OCSP takes POST application/ocsp-request or GET");
    } else if (strcmp(req->path, "/") != 0 && strcmp(req->path, "/ocsp") != 0) {
        return http_response_text(resp, 404, "the OCSP responder is at /ocsp");
    }
    rc = seal_ocsp_respond(&answer, &svc->responder, body, len);
    if (rc == 0)
        rc = http_response_set(resp, 200, RESPONSE_TYPE, answer.data, answer.len);
    seal_buf_clear(&answer);
    g_free(decoded);
    return rc;
}

int ocsp_service_open(ocsp_service **out, const char *db_url, const char *data, const char *ca_name,
                      const char *signer, int validity_minutes)
{
    int rc = 0;
    ocsp_service *svc = g_new0(ocsp_service, 1);
    pthread_mutex_init(&svc->publish_lock, NULL);
    pthread_mutex_init(&svc->store_lock, NULL);
    SEAL_TRY(seal_store_open_db(&svc->st, db_url, data, false));
    SEAL_TRY(seal_ca_open(&svc->ca, svc->st, ca_name ? ca_name : "issuing-ca"));
    SEAL_TRY(seal_ca_load_party(svc->st, signer ? signer : "ocsp", &svc->responder.signer,
                                &svc->responder.signer_key));
    svc->responder.issuer = seal_ca_cert(svc->ca);
    svc->responder.validity_minutes = validity_minutes;
    svc->responder.lookup = lookup;
    svc->responder.lookup_ctx = svc;
    *out = svc;
    svc = NULL;
out:
    ocsp_service_free(svc);
    return rc;
}

void ocsp_service_free(ocsp_service *svc)
{
    if (!svc)
        return;
    X509_free(svc->responder.signer);
    EVP_PKEY_free(svc->responder.signer_key);
    seal_ca_free(svc->ca);
    seal_store_close(svc->st);
    pthread_mutex_destroy(&svc->publish_lock);
    pthread_mutex_destroy(&svc->store_lock);
    g_free(svc);
}

int cmd_ocsp(const cli_ctx *ctx, int argc, char **argv)
{
    static const struct option options[] = {
        {"listen", required_argument, NULL, 'l'},   {"data", required_argument, NULL, 'D'},
        {"ca", required_argument, NULL, 'c'},       {"signer", required_argument, NULL, 's'},
        {"validity", required_argument, NULL, 'v'}, {"threads", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    const char *listen = NULL, *data = cli_data_dir(ctx), *ca_name = "issuing-ca", *signer = "ocsp";
    long validity = 60, threads = 4;
    int code = EXIT_OK;
    optind = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        char *end = NULL;
        switch (opt) {
        case 'l':
            listen = optarg;
            break;
        case 'D':
            data = optarg;
            break;
        case 'c':
            ca_name = optarg;
            break;
        case 's':
            signer = optarg;
            break;
        case 'v':
        case 't': {
            long v = strtol(optarg, &end, 10);
            if (end == optarg || *end || v < 1 || v > (opt == 'v' ? 10080 : 64))
                return cli_usage_error("ocsp: --%s wants a number (%s), not '%s'",
                                       opt == 'v' ? "validity" : "threads",
                                       opt == 'v' ? "1..10080 minutes" : "1..64", optarg);
            *(opt == 'v' ? &validity : &threads) = v;
            break;
        }
        case 'h':
            fputs(ocsp_usage, stdout);
            return EXIT_OK;
        default:
            return cli_usage_error("ocsp: unknown option");
        }
    }
    if (optind < argc)
        return cli_usage_error("ocsp: unexpected argument '%s'", argv[optind]);
    if (!listen)
        return cli_usage_error("ocsp needs --listen HOST:PORT (e.g. 127.0.0.1:8088)");
    if (!data)
        return cli_usage_error("ocsp needs the data directory: --data DIR or $SEALSVC_DATA");

    ocsp_service *svc = NULL;
    if (ocsp_service_open(&svc, ctx->db_url, data, ca_name, signer, (int)validity) < 0)
        return cli_fail("ocsp");
    http_serve_opts serve = {
        .listen = listen,
        .name = "ocsp",
        .max_body = MAX_REQUEST_BYTES,
        .threads = (unsigned)threads,
        .handler = ocsp_handle,
        .ctx = svc,
    };
    if (http_serve_run(&serve) < 0)
        code = cli_fail("ocsp");
    ocsp_service_free(svc);
    return code;
}
