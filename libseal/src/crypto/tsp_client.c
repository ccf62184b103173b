/* The RFC 3161 client: reading a TSA's TimeStampResp (2.4.2) and the exchange over HTTP
 * (3.4: POST application/timestamp-query, answer application/timestamp-reply) with
 * libcurl. Stamp flow: the PDF stamper asks for a token over a signature value (B-T) or a
 * ByteRange (a document timestamp); every answer is checked before it is used. */
#include "base/curl_lazy.h"
#include "crypto_int.h"
#include "tsp_internal.h"

#include <seal/error.h>

#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_TIMEOUT_S    30
#define CONNECT_TIMEOUT_S    10
#define DEFAULT_MAX_RESPONSE (256u * 1024u)
#define NONCE_BYTES          8
#define STATUS_TEXT_MAX      200
#define REPLY_CONTENT_TYPE   "application/timestamp-reply"

static const char *status_name(long status)
{
    static const char *const names[] = {"granted", "grantedWithMods",   "rejection",
                                        "waiting", "revocationWarning", "revocationNotification"};
    return status >= 0 && status < 6 ? names[status] : "an unknown status";
}

static const char *failure_name(int bit)
{
    switch (bit) {
    case SEAL_TSP_FAIL_BAD_ALG:
        return "badAlg (unrecognized or unsupported algorithm)";
    case SEAL_TSP_FAIL_BAD_REQUEST:
        return "badRequest (transaction not permitted or supported)";
    case SEAL_TSP_FAIL_BAD_DATA_FORMAT:
        return "badDataFormat (the request was malformed)";
    case SEAL_TSP_FAIL_TIME_NOT_AVAILABLE:
        return "timeNotAvailable";
    case SEAL_TSP_FAIL_UNACCEPTED_POLICY:
        return "unacceptedPolicy";
    case SEAL_TSP_FAIL_UNACCEPTED_EXTENSION:
        return "unacceptedExtension";
    case SEAL_TSP_FAIL_ADD_INFO_NOT_AVAILABLE:
        return "addInfoNotAvailable";
    case SEAL_TSP_FAIL_SYSTEM_FAILURE:
        return "systemFailure";
    default:
        return NULL;
    }
}

/* The TSA's statusString, first entry, as printable text of bounded length (it comes
 * from the network and ends up in a message). */
static void status_text(seal_slice strings, char out[STATUS_TEXT_MAX])
{
    seal_der_elem first;
    out[0] = '\0';
    if (seal_der_next(&strings, &first, "statusString") < 0) {
        seal_error_clear();
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < first.content.len && n + 1 < STATUS_TEXT_MAX; i++) {
        uint8_t c = first.content.data[i];
        out[n++] = (c >= 0x20 && c != 0x7f) ? (char)c : ' ';
    }
    out[n] = '\0';
}

/* The names of the bits set in a PKIFailureInfo BIT STRING (X.690 8.6: bit 0 is the
 * high bit of the first octet after the unused-bits count). */
static void failure_text(seal_slice bits, char *out, size_t size)
{
    out[0] = '\0';
    if (bits.len < 2)
        return;
    for (size_t i = 1; i < bits.len; i++) {
        for (int b = 0; b < 8; b++) {
            if (!(bits.data[i] & (0x80 >> b)))
                continue;
            int bit = (int)(i - 1) * 8 + b;
            const char *name = failure_name(bit);
            size_t used = strlen(out);
            if (name)
                snprintf(out + used, size - used, "%s%s", used ? ", " : "", name);
            else
                snprintf(out + used, size - used, "%sfailure bit %d", used ? ", " : "", bit);
        }
    }
}

int seal_tsp_response_decode(seal_buf *token, int *status, const uint8_t *der, size_t len)
{
    int rc = 0;
    seal_der_elem resp, info, e;
    long value = -1;
    char text[STATUS_TEXT_MAX] = "", failures[512] = "";

    *status = -1;
    SEAL_ENSURE(der && len > 0, SEAL_EFORMAT, "the TSA's answer is empty");
    seal_slice cur = seal_slice_of(der, len);
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_SEQUENCE, &resp, "TimeStampResp"));
    SEAL_ENSURE(cur.len == 0, SEAL_EFORMAT, "the TSA's answer has trailing data");
    SEAL_TRY(seal_der_expect(&resp.content, SEAL_DER_SEQUENCE, &info, "TimeStampResp status"));
    SEAL_TRY(seal_der_expect(&info.content, SEAL_DER_INTEGER, &e, "TimeStampResp status"));
    SEAL_TRY(seal_der_read_int(&e, &value, "TimeStampResp status"));
    if (seal_der_peek(&info.content, SEAL_DER_SEQUENCE)) {
        SEAL_TRY(seal_der_next(&info.content, &e, "TimeStampResp statusString"));
        status_text(e.content, text);
    }
    if (seal_der_peek(&info.content, SEAL_DER_BIT_STRING)) {
        SEAL_TRY(seal_der_next(&info.content, &e, "TimeStampResp failInfo"));
        failure_text(e.content, failures, sizeof failures);
    }
    SEAL_ENSURE(info.content.len == 0, SEAL_EFORMAT,
                "the TSA's status information has unexpected fields");
    *status = value >= 0 && value <= 5 ? (int)value : -1;
    if (value != SEAL_TSP_GRANTED && value != SEAL_TSP_GRANTED_WITH_MODS)
        SEAL_FAIL(SEAL_EPKI, "the TSA refused the request: %s (%ld)%s%s%s%s%s", status_name(value),
                  value, failures[0] ? ", " : "", failures, text[0] ? ", \"" : "", text,
                  text[0] ? "\"" : "");
    SEAL_ENSURE(resp.content.len > 0, SEAL_EFORMAT,
                "the TSA granted the request but sent no timestamp token");
    SEAL_TRY(seal_der_expect(&resp.content, SEAL_DER_SEQUENCE, &e, "TimeStampResp token"));
    SEAL_ENSURE(resp.content.len == 0, SEAL_EFORMAT,
                "the TSA's answer has unexpected data after the token");
    SEAL_TRY(seal_buf_set(token, e.whole.data, e.whole.len));
out:
    return rc;
}

/* ---- HTTP ---- */

typedef struct sink {
    seal_buf *body;
    size_t max;
    bool too_large;
    bool no_memory;
} sink;

static size_t on_data(char *data, size_t size, size_t count, void *arg)
{
    sink *k = arg;
    size_t n = size * count;
    if (k->body->len + n > k->max) {
        k->too_large = true;
        return 0;
    }
    if (seal_buf_append(k->body, data, n) < 0) {
        k->no_memory = true;
        return 0;
    }
    return n;
}

/* The URL for messages: scheme, host, port and path, never user name or password. */
static void url_for_messages(const seal_curl *cu, const char *url, char *out, size_t size)
{
    CURLU *u = cu->url();
    char *clean = NULL;
    snprintf(out, size, "the TSA");
    if (u && cu->url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        cu->url_set(u, CURLUPART_USER, NULL, 0) == CURLUE_OK &&
        cu->url_set(u, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK &&
        cu->url_get(u, CURLUPART_URL, &clean, 0) == CURLUE_OK)
        snprintf(out, size, "%s", clean);
    cu->free(clean);
    cu->url_cleanup(u);
}

static int post_request(seal_buf *reply, const seal_tsp_client *c, const seal_buf *query)
{
    int rc = 0;
    const seal_curl *cu = NULL;
    CURL *curl = NULL;
    struct curl_slist *headers = NULL;
    char where[512];
    char error[CURL_ERROR_SIZE] = "";
    long timeout = c->timeout_s > 0 ? c->timeout_s : DEFAULT_TIMEOUT_S;
    sink k = {reply, c->max_response ? c->max_response : DEFAULT_MAX_RESPONSE, false, false};
    seal_curl_guard guard = {.guard = c->guard};

    SEAL_TRY(seal_curl_get(&cu));
    url_for_messages(cu, c->url, where, sizeof where);
    curl = cu->easy_init();
    SEAL_ENSURE(curl, SEAL_ENOMEM, "out of memory");
    headers = cu->slist_append(NULL, "Content-Type: application/timestamp-query");
    SEAL_ENSURE(headers, SEAL_ENOMEM, "out of memory");
    struct curl_slist *more = cu->slist_append(headers, "Accept: " REPLY_CONTENT_TYPE);
    SEAL_ENSURE(more, SEAL_ENOMEM, "out of memory");
    headers = more;
    if (cu->easy_setopt(curl, CURLOPT_URL, c->url) != CURLE_OK ||
        cu->easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
        cu->easy_setopt(curl, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
        cu->easy_setopt(curl, CURLOPT_POSTFIELDS, query->data) != CURLE_OK ||
        cu->easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)query->len) != CURLE_OK ||
        cu->easy_setopt(curl, CURLOPT_TIMEOUT, timeout) != CURLE_OK ||
        cu->easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
                        timeout < CONNECT_TIMEOUT_S ? timeout : CONNECT_TIMEOUT_S) != CURLE_OK ||
        cu->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        cu->easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)k.max) != CURLE_OK ||
        cu->easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
        cu->easy_setopt(curl, CURLOPT_WRITEDATA, &k) != CURLE_OK ||
        cu->easy_setopt(curl, CURLOPT_ERRORBUFFER, error) != CURLE_OK)
        SEAL_FAIL(SEAL_EINVAL, "%s is not a URL this client can use (http or https)", where);
    seal_curl_guard_install(cu, curl, &guard);

    CURLcode res = cu->easy_perform(curl);
    SEAL_TRY(seal_curl_guard_check(&guard, where));
    SEAL_ENSURE(!k.too_large && res != CURLE_FILESIZE_EXCEEDED, SEAL_EFORMAT,
                "%s sent an answer larger than %zu bytes; refusing it", where, k.max);
    SEAL_ENSURE(!k.no_memory, SEAL_ENOMEM, "out of memory reading the TSA's answer");
    SEAL_ENSURE(res == CURLE_OK, SEAL_EIO, "cannot reach %s: %s", where,
                error[0] ? error : cu->easy_strerror(res));
    long code = 0;
    char *type = NULL;
    cu->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    cu->easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
    SEAL_ENSURE(code == 200, SEAL_EIO, "%s answered HTTP %ld instead of a timestamp", where, code);
    SEAL_ENSURE(type && strncasecmp(type, REPLY_CONTENT_TYPE, strlen(REPLY_CONTENT_TYPE)) == 0,
                SEAL_EFORMAT, "%s answered with content of type %s, not " REPLY_CONTENT_TYPE, where,
                type ? type : "(none)");
out:
    if (cu) {
        cu->slist_free_all(headers);
        cu->easy_cleanup(curl);
    }
    return rc;
}

/* Two INTEGER encodings of the same non-negative number (leading zero octets aside). */
static bool same_integer(seal_slice a, const uint8_t *b, size_t b_len)
{
    while (a.len > 1 && a.data[0] == 0) {
        a.data++;
        a.len--;
    }
    while (b_len > 1 && b[0] == 0) {
        b++;
        b_len--;
    }
    return a.data && a.len == b_len && memcmp(a.data, b, b_len) == 0;
}

int seal_tsp_timestamp(seal_tst **out, const seal_tsp_client *c, const uint8_t *digest,
                       size_t digest_len)
{
    int rc = 0;
    seal_buf query = SEAL_BUF_INIT, reply = SEAL_BUF_INIT, token = SEAL_BUF_INIT;
    seal_tst *t = NULL;
    uint8_t nonce[NONCE_BYTES];
    int status = -1;
    char where[512];
    const EVP_MD *md = c && c->md ? c->md : EVP_sha256();

    const seal_curl *cu = NULL;

    *out = NULL;
    SEAL_ENSURE(c && c->url && *c->url, SEAL_EINVAL, "no TSA URL was given");
    SEAL_TRY(seal_curl_get(&cu));
    url_for_messages(cu, c->url, where, sizeof where);
    /* RFC 3161 2.4.1: a large random nonce ties the answer to this request. Positive and
     * without a leading zero octet, so both sides encode it the same way. */
    SEAL_ENSURE(RAND_bytes(nonce, sizeof nonce) == 1, SEAL_ECRYPTO, "no random bytes for a nonce");
    nonce[0] = (uint8_t)((nonce[0] & 0x7f) | 0x40);
    SEAL_TRY(seal_tsp_request_encode(&query, md, digest, digest_len, nonce, sizeof nonce, c->policy,
                                     true));
    SEAL_TRY(post_request(&reply, c, &query));
    rc = seal_tsp_response_decode(&token, &status, reply.data, reply.len);
    if (rc < 0)
        SEAL_TRY(seal_error_wrap(rc, "%s", where));
    rc = seal_tst_parse(&t, token.data, token.len);
    if (rc < 0)
        SEAL_TRY(seal_error_wrap(rc, "%s sent a token that cannot be read", where));
    const seal_tst_info *info = seal_tst_get_info(t);
    SEAL_ENSURE(same_integer(info->nonce, nonce, sizeof nonce), SEAL_EPKI,
                "%s answered with a token that does not carry our nonce%s: it answers another "
                "request (replayed or misdirected), refusing it",
                where, info->nonce.data ? "" : " (it has none)");
    SEAL_ENSURE(seal_tst_imprint_is(t, md, digest, digest_len), SEAL_EPKI,
                "%s answered with a token for other data: its imprint (%s) is not the %s "
                "digest we asked to timestamp",
                where, info->md ? EVP_MD_get0_name(info->md) : info->hash_oid,
                EVP_MD_get0_name(md));
    SEAL_ENSURE(!c->policy || strcmp(c->policy, info->policy) == 0, SEAL_EPKI,
                "%s answered under policy %s, not the %s we asked for", where, info->policy,
                c->policy);
    rc = seal_tst_check(t);
    if (rc < 0)
        SEAL_TRY(seal_error_wrap(rc, "%s", where));
    *out = t;
    t = NULL;
out:
    seal_tst_free(t);
    seal_buf_clear(&query);
    seal_buf_clear(&reply);
    seal_buf_clear(&token);
    return rc;
}

int seal_tsp_timestamp_data(seal_tst **out, const seal_tsp_client *c, const uint8_t *data,
                            size_t len)
{
    uint8_t digest[EVP_MAX_MD_SIZE];
    size_t digest_len = 0;
    *out = NULL;
    if (!c)
        return seal_error_set(SEAL_EINVAL, "no TSA was given");
    int rc = seal_digest(c->md ? c->md : EVP_sha256(), data, len, digest, &digest_len);
    return rc < 0 ? rc : seal_tsp_timestamp(out, c, digest, digest_len);
}
