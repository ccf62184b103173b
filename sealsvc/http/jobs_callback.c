/* A batch job's callback (docs/api.md "Callbacks"): when a job ends, a worker of any
 * instance POSTs the job's summary (JSON) to the URL the job named, signed so that the
 * portal can tell it came from this service and was not replayed:
 *
 *   X-Sealsvc-Timestamp: T          (Unix seconds when the attempt was made)
 *   X-Sealsvc-Signature: sha256=HEX (HMAC-SHA256, RFC 2104, keyed with the ASCII bytes of
 *                                    the job's callback key, over T "." BODY)
 *
 * A 2xx answer delivers it; no answer or another status is retried with exponential
 * back-off (1, 2, 4, ... seconds, at most an hour apart) up to [jobs] callback_attempts
 * tries in all, every attempt recorded in the store and shown in the job's status. libcurl
 * is loaded on first use (libseal's base/curl_lazy.h); redirects are not followed.
 *
 * A portal names the URL, so the service must not become its way into the platform's own
 * network: a callback never connects to this host, a private, link-local (where cloud
 * metadata services answer), shared, reserved or multicast address unless `[jobs]
 * callback_allow` names it. The check is made on the address libcurl is about to connect
 * to (its open-socket callback), after name resolution, so that a name that resolves to
 * an internal address, or resolves differently later, is refused too. */
#include "jobs.h"

#include "curl_lazy.h"

#include <seal/error.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#define CALLBACK_LEASE       120 /* seconds a worker holds a delivery before another retries */
#define CALLBACK_TIMEOUT_MS  30000
#define CALLBACK_CONNECT_MS  10000
#define CALLBACK_MAX_DELAY   3600
#define CALLBACK_ANSWER_READ 4096 /* bytes of the receiver's answer read (then dropped) */

static size_t discard(char *data, size_t size, size_t n, void *ctx)
{
    (void)data;
    size_t *seen = ctx;
    *seen += size * n;
    return *seen > CALLBACK_ANSWER_READ ? 0 : size * n;
}

/* HMAC-SHA256 under `key` over "T.BODY" as lower-case hex. */
static int sign(const char *key, const char *timestamp, const char *body, char out[65])
{
    int rc = 0;
    uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = m ? EVP_MAC_CTX_new(m) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end()};
    size_t len = 0;
    if (!ctx || EVP_MAC_init(ctx, (const uint8_t *)key, strlen(key), params) != 1 ||
        EVP_MAC_update(ctx, (const uint8_t *)timestamp, strlen(timestamp)) != 1 ||
        EVP_MAC_update(ctx, (const uint8_t *)".", 1) != 1 ||
        EVP_MAC_update(ctx, (const uint8_t *)body, strlen(body)) != 1 ||
        EVP_MAC_final(ctx, mac, &len, sizeof mac) != 1 || len != 32)
        SEAL_FAIL(SEAL_ECRYPTO, "cannot sign a callback");
    mac_len = (unsigned)len;
    for (unsigned i = 0; i < mac_len; i++)
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
out:
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(m);
    OPENSSL_cleanse(mac, sizeof mac);
    return rc;
}

/* The host of `url`, for log lines (a URL's path or query may carry a portal's token). */
static char *host_of(const char *url)
{
    GUri *u = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
    char *host = g_strdup(u && g_uri_get_host(u) ? g_uri_get_host(u) : "?");
    if (u)
        g_uri_unref(u);
    return host;
}

/* One POST: 0 with *status the answer's (0: none) and *error what went wrong (g_free; NULL
 * for a 2xx). */
static int post(const service *svc, const char *url, const char *body, const char *timestamp,
                const char *signature, const char *job_id, int64_t attempt, int *status,
                char **error)
{
    const seal_curl *cu = NULL;
    int rc = seal_curl_get(&cu);
    *status = 0;
    *error = NULL;
    if (rc < 0)
        return rc;
    CURL *curl = cu->easy_init();
    if (!curl)
        return seal_error_set(SEAL_ENOMEM, "out of memory for a callback");
    char errbuf[CURL_ERROR_SIZE] = "";
    char *h_time = g_strdup_printf("X-Sealsvc-Timestamp: %s", timestamp);
    char *h_sig = g_strdup_printf("X-Sealsvc-Signature: sha256=%s", signature);
    char *h_job = g_strdup_printf("X-Sealsvc-Job: %s", job_id);
    char *h_attempt = g_strdup_printf("X-Sealsvc-Attempt: %" G_GINT64_FORMAT, attempt);
    struct curl_slist *headers = NULL;
    headers = cu->slist_append(headers, "Content-Type: application/json");
    headers = cu->slist_append(headers, h_time);
    headers = cu->slist_append(headers, h_sig);
    headers = cu->slist_append(headers, h_job);
    headers = cu->slist_append(headers, h_attempt);
    size_t seen = 0;
    seal_curl_guard guard = {.guard = svc->callback_guard};
    cu->easy_setopt(curl, CURLOPT_URL, url);
    seal_curl_guard_install(cu, curl, &guard);
    cu->easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    cu->easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    cu->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    cu->easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)CALLBACK_CONNECT_MS);
    cu->easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)CALLBACK_TIMEOUT_MS);
    cu->easy_setopt(curl, CURLOPT_USERAGENT, "sealsvc/" SEAL_VERSION);
    cu->easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    cu->easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    cu->easy_setopt(curl, CURLOPT_WRITEDATA, &seen);
    cu->easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    cu->easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    cu->easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    CURLcode res = cu->easy_perform(curl);
    long code = 0;
    cu->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    *status = (int)code;
    if (*guard.refused)
        *error = g_strdup_printf("refused: the callback's host is at %s, an internal address "
                                 "([jobs] callback_allow names the ones allowed)",
                                 guard.refused);
    else if (res != CURLE_OK && !(res == CURLE_WRITE_ERROR && code >= 200 && code < 300))
        *error = g_strdup_printf("no answer: %s", errbuf[0] ? errbuf : cu->easy_strerror(res));
    else if (code < 200 || code > 299)
        *error = g_strdup_printf("answered HTTP %ld", code);
    cu->slist_free_all(headers);
    cu->easy_cleanup(curl);
    g_free(h_time);
    g_free(h_sig);
    g_free(h_job);
    g_free(h_attempt);
    return 0;
}

int job_callback_deliver(service *svc, seal_store *st, const char *worker)
{
    int rc = 0, status = 0;
    seal_job_callback cb = {0};
    seal_job_document *docs = NULL;
    size_t n_docs = 0;
    char *body = NULL, *error = NULL, *host = NULL;
    char timestamp[32], signature[65];
    time_t now = time(NULL);
    rc = seal_store_job_callback_claim(st, now, CALLBACK_LEASE, &cb);
    if (rc == SEAL_ENOTFOUND)
        return 0;
    SEAL_TRY(rc);
    SEAL_TRY(seal_store_job_documents(st, cb.job.id, &docs, &n_docs));
    json_t *summary = job_json(&cb.job, docs, n_docs, NULL, 0, true);
    SEAL_ENSURE(summary, SEAL_ENOMEM, "out of memory for a callback");
    json_object_set_new(summary, "event", json_string("job.ended"));
    body = json_dumps(summary, JSON_COMPACT);
    json_decref(summary);
    SEAL_ENSURE(body, SEAL_ENOMEM, "out of memory for a callback");
    int64_t attempt = cb.attempts + 1;
    snprintf(timestamp, sizeof timestamp, "%lld", (long long)time(NULL));
    SEAL_TRY(sign(cb.key, timestamp, body, signature));
    SEAL_TRY(post(svc, cb.job.callback_url, body, timestamp, signature, cb.job.id, attempt, &status,
                  &error));
    /* 1, 2, 4, ... seconds after this attempt, at most CALLBACK_MAX_DELAY; none after the
     * last one allowed. */
    time_t retry_at = 0;
    if (error && attempt < (int64_t)svc->cfg->job_callback_attempts) {
        int64_t delay = attempt - 1 < 12 ? (int64_t)1 << (attempt - 1) : CALLBACK_MAX_DELAY;
        retry_at = time(NULL) + (time_t)MIN(delay, CALLBACK_MAX_DELAY);
    }
    SEAL_TRY(seal_store_job_callback_record(st, cb.job.id, attempt, time(NULL), status, error,
                                            error == NULL, retry_at));
    host = host_of(cb.job.callback_url);
    if (!error)
        http_log("info", NULL,
                 "job %s: callback to %s delivered (attempt %" G_GINT64_FORMAT ", HTTP %d, %s)",
                 cb.job.id, host, attempt, status, worker);
    else if (retry_at)
        http_log("warning", NULL,
                 "job %s: callback to %s, attempt %" G_GINT64_FORMAT ": %s; "
                 "next in %lld s",
                 cb.job.id, host, attempt, error, (long long)(retry_at - time(NULL)));
    else
        http_log("error", NULL,
                 "job %s: callback to %s given up after %" G_GINT64_FORMAT " attempts: %s",
                 cb.job.id, host, attempt, error);
    rc = 1;
out:
    seal_job_callback_clear(&cb);
    seal_job_documents_free(docs, n_docs);
    free(body);
    g_free(error);
    g_free(host);
    return rc;
}
